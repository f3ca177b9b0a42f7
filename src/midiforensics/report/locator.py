"""Location chains a person can follow back to the input, built in one place.

A chain reads like a forensic path: ``L12:C1 base64 -> text L5:C3`` (a place in text decoded
from a base64 run) or ``L12:C1 base64 -> byte 1840`` (a byte of the decoded payload).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Locator:
    """Where some data came from (``chain``; empty for the input itself), and how to name a
    place inside it."""

    chain: str = ""

    def text(self, line: int, col: int) -> str:
        """A line and column of this data, read as text."""
        here = f"L{line}:C{col}"
        return f"{self.chain} -> text {here}" if self.chain else here

    def byte(self, offset: int) -> str:
        """A byte offset of this data."""
        return f"{self.chain} -> byte {offset}" if self.chain else f"byte {offset}"

    def bytes_from(self, start: int) -> Callable[[int], str]:
        """Locations of offsets inside a part of this data that starts at byte ``start``."""
        return lambda off: self.byte(start + off)
