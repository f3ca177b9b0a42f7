"""Find encoded runs in text: base64 (wrapped, indented, fenced, quoted, JSON-escaped, glued to
the words around it), hex dumps, Python bytes literals and byte arrays in code.

Everything here is linear in the input: the regular expressions are single character classes
or alternations of disjoint first characters, so none of them backtracks on a long line. The
result of each finder is a list of :class:`Run`: the span in the text, the cleaned payload
characters, and for each payload character the text offset it came from (so that a repair
found in the payload can be pointed at in the input).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .arrays import find_byte_arrays, find_bytes_literals
from .base64 import drop_prefix, find_base64, glued_prefix
from .hex import find_hex
from .run import Run, join_runs
from .text import LineIndex


@dataclass(frozen=True)
class Finder:
    """One way bytes are written as text. ``find`` returns its runs in a text; runs of a
    finder with ``stitch`` may continue one another across blocks (base64 split in two)."""

    name: str
    find: Callable[[str], list[Run]]
    stitch: bool = False


# The encodings the text stage looks for, the only list of them (fixtures: tests/fixtures/<name>/).
FINDERS: tuple[Finder, ...] = (
    Finder("hex", find_hex),
    Finder("bytes-literal", find_bytes_literals),
    Finder("array", find_byte_arrays),
    Finder("base64", find_base64, stitch=True),
)

__all__ = [
    "FINDERS",
    "Finder",
    "LineIndex",
    "Run",
    "drop_prefix",
    "find_base64",
    "find_byte_arrays",
    "find_bytes_literals",
    "find_hex",
    "glued_prefix",
    "join_runs",
]
