"""The MIDI handler: Standard MIDI Files carved out of decoded bytes."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import ClassVar

from ..base import Extent, Handler, Judge, Lost, MusicResult


class MidiHandler(Handler):
    name: ClassVar[str] = "midi"
    suffix: ClassVar[str] = ".mid"
    reads: ClassVar[str] = "bytes"
    magic: ClassVar[tuple[bytes, ...]] = (b"MThd", b"MTrk", b"RIFF")

    def extents(self, data: bytes) -> list[Extent]:
        return _carver()(data)

    def repair(self, data: str | bytes, lost: Lost) -> MusicResult | None:
        from .carve import repair_midi

        return repair_midi(data, lost) if isinstance(data, bytes) else None

    def incomplete(self, data: bytes) -> bool:
        """A chunk that declares more bytes than are there, or fewer tracks than declared."""
        pos = data.find(b"MThd")
        if pos == -1:
            return False
        declared = int.from_bytes(data[pos + 10 : pos + 12], "big")
        pos += 14
        tracks = 0
        while pos + 8 <= len(data):
            length = int.from_bytes(data[pos + 4 : pos + 8], "big")
            if pos + 8 + length > len(data):
                return True
            pos += 8 + length
            tracks += 1
        return pos > len(data) or tracks < declared

    def frame_judge(self, head: bytes) -> Judge | None:
        from ...decoding.plausible import MidiModel, sniff

        if not isinstance(sniff(head), MidiModel):
            return None
        from .judge import MidiJudge

        return MidiJudge()

    def refused(self, data: bytes) -> str:
        if b"MThd" not in data:
            return ""  # a stray "MTrk" in other data, nothing after it
        return "MIDI chunks found, but no track with events: nothing to play"


@cache
def _carver() -> Callable[[bytes], list[Extent]]:
    """The carving, imported on first use (a scan needs no repair code; a command that finds
    no MIDI, none at all), and once: an import in each call costs more than a small file's
    carving."""
    from .find import find_midi

    return find_midi
