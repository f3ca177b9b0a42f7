"""The result of every finder: an encoded run, where it sits, and how to point back into it."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from ..report.models import Repair


@dataclass(frozen=True)
class Run:
    """An encoded run found in a text."""

    start: int
    end: int
    encoding: str  # base64 | hex | bytes-literal | decimal
    payload: str = field(repr=False)  # base64: cleaned characters; hex: hex digits
    # (payload index, text offset) at the start of each unbroken piece of the payload
    pieces: tuple[tuple[int, int], ...] = field(repr=False, default=())
    truncated: bool = False
    data: bytes | None = field(repr=False, default=None)  # decoded here (hex, arrays, literals)
    joins: tuple[int, ...] = ()  # text offsets where a continuation block was joined on
    # changes made while finding the run (a line pasted twice, left out), offsets in the text
    repairs: tuple[Repair, ...] = ()

    def text_offset(self, index: int) -> int:
        """The text offset of payload character ``index`` (base64 runs)."""
        if not self.pieces:
            return self.start
        k = bisect.bisect_right(self.pieces, (index, 1 << 62)) - 1
        p_idx, t_off = self.pieces[max(k, 0)]
        return t_off + (index - p_idx)


def join_runs(a: Run, b: Run) -> Run:
    """``b`` appended to ``a`` as one run (a blob split over two blocks)."""
    shift = len(a.payload)
    return Run(
        start=a.start,
        end=b.end,
        encoding=a.encoding,
        payload=a.payload + b.payload,
        pieces=a.pieces + tuple((i + shift, off) for i, off in b.pieces),
        truncated=b.truncated,
        joins=(*a.joins, b.start),
        repairs=a.repairs + b.repairs,
    )
