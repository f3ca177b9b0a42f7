"""The ``serve`` command: the web page (``midiforensics.serve``), added to the main app by
``register``. Starlette and uvicorn (the ``serve`` extra) are imported only when it runs."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    import socket

EXIT_USAGE = 2


def serve_cmd(
    host: Annotated[
        str, typer.Option(help="Address to listen on; other machines can reach it if not local.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8000,
    open_browser: Annotated[
        bool, typer.Option("--open", help="Open the page in the default browser.")
    ] = False,
    max_upload: Annotated[
        float, typer.Option(min=0.001, help="Largest input accepted, in MB.")
    ] = 16.0,
    timeout: Annotated[
        float, typer.Option(min=1, help="Seconds one decode (with its audio) may take.")
    ] = 120.0,
    keep: Annotated[
        float, typer.Option(min=1, help="Minutes each request's files are kept.")
    ] = 30.0,
    workers: Annotated[int, typer.Option(min=1, help="Decodes run at once.")] = 2,
) -> None:
    """Serve a local web page: paste text or drop a file, see, hear and download every piece."""
    try:
        import uvicorn

        from ..serve.app import MB, ServeConfig, create_app
    except ImportError as exc:
        sys.stderr.write(
            f"mf: error: mf serve needs the 'serve' extra ({exc.name} is missing): "
            "pip install 'midiforensics[serve]'\n"
        )
        raise typer.Exit(EXIT_USAGE) from None
    config = ServeConfig(
        max_upload=int(max_upload * MB), timeout=timeout, keep=keep * 60, workers=workers
    )
    try:
        sock = _listen(host, port)
    except OSError as exc:
        sys.stderr.write(f"mf: error: cannot listen on {host}:{port}: {exc.strerror or exc}\n")
        raise typer.Exit(EXIT_USAGE) from None
    bound = sock.getsockname()[1]
    url = f"http://{'[' + host + ']' if ':' in host else host}:{bound}/"
    sys.stderr.write(f"mf serve: {url}  (Ctrl+C to stop)\n")
    sys.stderr.flush()
    if open_browser:
        import webbrowser

        webbrowser.open(url)
    server = uvicorn.Server(uvicorn.Config(create_app(config), log_level="warning"))
    server.run(sockets=[sock])


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket, so the URL printed (or opened) answers from this moment on."""
    import socket

    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the main app."""
    app.command("serve")(serve_cmd)
