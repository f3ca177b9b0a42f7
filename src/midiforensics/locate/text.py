"""Positions in a text: offsets to line and column, and unescaping that keeps a map from the
unescaped text back to the text it came from."""

from __future__ import annotations

import bisect
import re
from itertools import accumulate

ELLIPSIS = ("...", "\u2026")  # how a cut-off run ends


def newlines(text: str | bytes, lo: int = 0, hi: int | None = None) -> int:
    """How many line breaks ``text[lo:hi]`` holds. Counted as the bytes ``replace`` removes: it
    finds them with ``memchr``, several times faster than ``count`` in a long text."""
    part = text[lo:hi]
    raw = part.encode("latin-1", "replace") if isinstance(part, str) else part
    return len(raw) - len(raw.replace(b"\n", b""))


class LineIndex:
    """Maps a character offset to 1-based line and column."""

    SHORT = 4096  # a text this short is asked directly: counting in it costs less than an index

    def __init__(self, text: str) -> None:
        self._text: str | None = text
        self._starts: list[int] = []

    def _index(self) -> list[int]:
        """Line starts, counted on the first question (a long text is mostly never asked)."""
        if self._text is not None:
            self._starts = [0, *accumulate(len(line) + 1 for line in self._text.split("\n"))][:-1]
            self._text = None
        return self._starts

    def linecol(self, offset: int) -> tuple[int, int]:
        text = self._text
        if text is not None and len(text) <= self.SHORT:
            # the line breaks before the offset, and the last of them (an offset past the end
            # counts as the index does: on the last line)
            return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)
        starts = self._index()
        i = bisect.bisect_right(starts, offset) - 1
        return i + 1, offset - starts[i] + 1

    def where(self, offset: int) -> str:
        """``L12:C7``: how a person finds the place again (notebooks/recover_seed.ipynb uses it)."""
        line, col = self.linecol(offset)
        return f"L{line}:C{col}"


# --- unescaping with a map back to the text ---------------------------------------------------

# HTML entities of markup, and the backslash escapes of JSON and string literals
HTML_ESCAPE = re.compile(r"&(?:lt|gt|quot|apos|amp);")
HTML_TABLE = {"&lt;": "<", "&gt;": ">", "&quot;": '"', "&apos;": "'", "&amp;": "&"}
BACKSLASH_ESCAPE = re.compile(r"\\(?:u[0-9a-fA-F]{4}|[ntr\"'/\\])")
BACKSLASH_TABLE = {
    "\\n": "\n",
    "\\t": "\t",
    "\\r": "\r",
    '\\"': '"',
    "\\'": "'",
    "\\/": "/",
    "\\\\": "\\",
}


class OffsetMap:
    """Maps a position in an unescaped text back to the text it came from; layers of
    unescaping compose (the last layer added is undone first)."""

    def __init__(self) -> None:
        self._layers: list[tuple[list[int], list[int]]] = []

    def add(self, new_pos: list[int], old_pos: list[int]) -> None:
        self._layers.append((new_pos, old_pos))

    def __call__(self, pos: int) -> int:
        for new, old in reversed(self._layers):
            i = bisect.bisect_right(new, pos) - 1
            if i >= 0:
                pos = old[i] + (pos - new[i])
        return pos


def sub_mapped(
    text: str, pattern: re.Pattern[str], table: dict[str, str]
) -> tuple[str, list[int], list[int]]:
    """``text`` with each match of ``pattern`` replaced by ``table[match]`` (``\\uXXXX`` by
    its character), and the positions after each replacement in the new and the old text:
    what :meth:`OffsetMap.add` takes."""
    out: list[str] = []
    new_pos: list[int] = [0]
    old_pos: list[int] = [0]
    i = n = 0
    for m in pattern.finditer(text):
        out.append(text[i : m.start()])
        n += m.start() - i
        rep = table.get(m.group(0))
        if rep is None:
            rep = chr(int(m.group(0)[2:], 16)) if m.group(0)[1] == "u" else m.group(0)
        out.append(rep)
        n += len(rep)
        i = m.end()
        new_pos.append(n)
        old_pos.append(i)
    out.append(text[i:])
    return "".join(out), new_pos, old_pos
