"""What the commands of ``mf`` share: exit codes, the one-line error, clean help."""

from __future__ import annotations

import re
import sys

from typer._click.core import Context, Parameter  # typer 0.29 vendors click
from typer.core import TyperCommand

from .coerce import use_plain_coercion

EXIT_FOUND, EXIT_NOTHING, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130  # Ctrl-C (see cli/interrupt.py)


def err(msg: str) -> None:
    """One line on stderr: ``mf: error: ...``."""
    sys.stderr.write(f"mf: error: {msg}\n")


_TYPE_LABEL = re.compile(r" <[A-Za-z\[\]|, ]+>")
_BRACED = re.compile(r"\{([A-Z.]+)\}\.\.\.")


def clean_help(text: str) -> str:
    """Help without typer's type labels (``<list[str]>``, blanked so columns stay aligned)
    and with ``FILE...`` for ``{FILE...}...`` in the usage line."""
    text = _TYPE_LABEL.sub(lambda m: " " * len(m.group()), text)
    return _BRACED.sub(r"\1", text)


class Command(TyperCommand):
    """A command whose help reads cleanly (see :func:`clean_help`) and whose plain values
    are checked without pydantic (see :mod:`.coerce`)."""

    def get_params(self, ctx: Context) -> list[Parameter]:
        return use_plain_coercion(super().get_params(ctx))

    def get_help(self, ctx: Context) -> str:
        return clean_help(super().get_help(ctx))
