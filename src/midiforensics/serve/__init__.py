"""``mf serve``: a local web page to paste a transcript (or drop a file), see every piece found
with its repairs, hear it and download the files.

- ``app.py``: the Starlette app (``create_app``): the page, ``POST /api/decode``, the files;
- ``store.py``: per-request temporary folders and the opaque ids files are served by;
- ``worker.py``: the child process that runs ``midiforensics.decode`` and renders the audio and
  the piano roll, under a time limit;
- ``static/``: the page's HTML, script and style (served by the app; nothing from the internet).

Starlette and uvicorn (the ``serve`` extra) are imported only here, never by ``mf`` at startup.
"""
