"""The ``mf`` command line (typer): decode, scan, repair, play, render, show."""

from __future__ import annotations

import sys
from typing import Any


def main() -> None:
    """The ``mf`` program: Ctrl-C is handled from the start, even while typer is imported."""
    from .interrupt import EXIT_INTERRUPTED, install

    install()
    try:
        from .app import app

        app()
    except KeyboardInterrupt:
        sys.exit(EXIT_INTERRUPTED)


def __getattr__(name: str) -> Any:
    if name == "app":  # imported when asked for: ``mf`` installs its Ctrl-C handler first
        from .app import app

        return app
    raise AttributeError(name)


__all__ = ["app", "main"]
