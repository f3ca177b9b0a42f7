"""The ``mf`` command line (typer): decode, scan, repair, play, render, show, serve.

The typer app is ``midiforensics.cli.app:app``; it is not offered here as ``cli.app``,
where the submodule of that name would shadow it once imported."""

from __future__ import annotations

import sys


def main() -> None:
    """The ``mf`` program: Ctrl-C is handled from the start, even while typer is imported."""
    from .interrupt import EXIT_INTERRUPTED, install

    install()
    try:
        from .app import app

        app()
    except KeyboardInterrupt:
        sys.exit(EXIT_INTERRUPTED)


__all__ = ["main"]
