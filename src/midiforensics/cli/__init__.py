"""The ``mf`` command line (typer): decode, scan, repair, play, render, show."""

from .app import app, main

__all__ = ["app", "main"]
