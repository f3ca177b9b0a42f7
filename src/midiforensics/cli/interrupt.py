"""Ctrl-C for the ``mf`` program: one line on stderr, then ``KeyboardInterrupt`` (which ends a
batch's workers and exits 130). Imports nothing heavy, so that it can be installed before
typer and the pipeline are imported."""

from __future__ import annotations

import signal
import sys

EXIT_INTERRUPTED = 130
_said = False


def _interrupted(signum: int, frame: object) -> None:
    global _said
    if not _said:
        _said = True
        sys.stderr.write("mf: error: interrupted; the files written so far are kept\n")
    raise KeyboardInterrupt


def install() -> None:
    """Make Ctrl-C stop ``mf``, even when it was started where SIGINT is ignored (a
    background job of a script). Only the program calls this, never an import."""
    signal.signal(signal.SIGINT, _interrupted)
