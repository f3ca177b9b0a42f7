"""Positions in a text: offsets to line and column."""

from __future__ import annotations

import bisect

ELLIPSIS = ("...", "\u2026")  # how a cut-off run ends


class LineIndex:
    """Maps a character offset to 1-based line and column."""

    def __init__(self, text: str) -> None:
        starts = [0]
        pos = text.find("\n")
        while pos != -1:
            starts.append(pos + 1)
            pos = text.find("\n", pos + 1)
        self._starts = starts

    def linecol(self, offset: int) -> tuple[int, int]:
        i = bisect.bisect_right(self._starts, offset) - 1
        return i + 1, offset - self._starts[i] + 1
