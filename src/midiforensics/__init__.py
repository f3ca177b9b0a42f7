"""midiforensics: recover playable music from damaged text.

The API is :func:`decode`, the same the ``mf`` command uses::

    import midiforensics
    report = midiforensics.decode(open("blob.txt").read())
    for art in report.artifacts: ...
"""

from __future__ import annotations

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
    out_dir: str | None = None,
    name: str = "<input>",
) -> Report:
    """Find, decode, classify, repair and (when ``out_dir`` is given) write every piece of
    music in ``data``. Never raises for bad input; problems are listed in the report."""
    from .pipeline import run

    return run(data, out_dir=out_dir, name=name)
