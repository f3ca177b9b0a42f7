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
    finder with ``stitch`` may continue one another across blocks (base64 split in two).
    ``anchors`` matches somewhere in every run it can find and ``reach`` is how far around
    such a match a run and the context read with it extend (the gate, :mod:`..gate`)."""

    name: str
    find: Callable[[str], list[Run]]
    anchors: str
    reach: int = 512
    stitch: bool = False


# The encodings the text stage looks for, the only list of them (fixtures: tests/fixtures/<name>/).
# four bytes in a row (a line of a dump may hold fewer: the next line goes on), or 16 digits
_HEX = r"[0-9A-Fa-f]{2,8}(?:[ \t,:;\r\n]+(?:0[xX])?[0-9A-Fa-f]{2,8}){3}|[0-9A-Fa-f]{16}"
# four numbers of an array, each maybe cast ("(byte)77") or typed ("0x4Du8"), with comments
# between them
_ITEM = r"(?:\(\s*[A-Za-z0-9_ ]+\)\s*)?-?(?:0[xX][0-9A-Fa-f]{1,2}|[0-9]{1,3})(?:_?[ui]8|[uU])?"
# white space and comments (a C comment may hold stars), before a comma or after it
_GAPS = r"(?:\s|//[^\n]*|#[^\n]*|/\*(?:[^*]|\*+[^*/])*\*+/)*"
_SEP = rf"{_GAPS},{_GAPS}"
_ARRAY = rf"0[xX][0-9A-Fa-f]{{1,2}}(?:_?[ui]8|[uU])?{_GAPS},|{_ITEM}(?:{_SEP}{_ITEM}){{3}}{_GAPS},"
FINDERS: tuple[Finder, ...] = (
    Finder("hex", find_hex, _HEX),
    Finder("bytes-literal", find_bytes_literals, r"\\x[0-9A-Fa-f]{2}"),
    Finder("array", find_byte_arrays, _ARRAY),
    # a run starts with a token of 16 characters, or a line of a narrowly wrapped block (at
    # the start of the text or of a line, maybe after a tag such as <pre>)
    Finder(
        "base64",
        find_base64,
        # (a wrapped block is one match: the gate's cost is per match)
        r"[A-Za-z0-9+/_-]{16}[A-Za-z0-9+/=_\r\n-]*"
        r"|(?:^|\n)[ \t>]*(?:<[a-z]{1,8}>)?[A-Za-z0-9+/_-]{4,15}[ \t]*\r?\n",
        reach=128,  # the characters around a run it looks at: a URL, a quote, an ellipsis
        stitch=True,
    ),
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
