"""midiforensics: recover playable music from damaged text.

The API is :func:`decode`, the same the ``mf`` command uses::

    import midiforensics
    report = midiforensics.decode(open("blob.txt").read())
    for art in report.artifacts: ...
"""

from __future__ import annotations

import os

from .report.models import Artifact, Blob, Problem, Repair, Report, Segment, Span

__version__ = "0.1.0"

__all__ = [
    "Artifact",
    "Blob",
    "Problem",
    "Repair",
    "Report",
    "Segment",
    "Span",
    "__version__",
    "decode",
]


def decode(
    data: str | bytes,
    out_dir: str | os.PathLike[str] | None = None,
    name: str = "<input>",
    strict: bool = False,
) -> Report:
    """Find, decode, classify, repair and (when ``out_dir`` is given) write every piece of
    music in ``data``. Never raises for bad input; problems are listed in the report.

    ``data`` is the input's text (``str``) or its raw bytes; anything else is a ``TypeError``.
    ``strict=True`` (for tests) lets a handler's unexpected exception through instead of
    turning it into a problem in the report.
    """
    if not isinstance(data, str | bytes | bytearray):
        raise TypeError(f"decode() takes the input as str or bytes, not {type(data).__name__}")
    if out_dir is not None and not isinstance(out_dir, str | os.PathLike):
        raise TypeError(f"out_dir must be a path or None, not {type(out_dir).__name__}")
    from .pipeline import run

    return run(
        bytes(data) if isinstance(data, bytearray) else data,
        out_dir=None if out_dir is None else os.fspath(out_dir),
        name=name,
        strict=strict,
    )
