"""What the base64 decoder asks of a payload's format, and which format answers.

The frame search needs a payload model (:mod:`.plausible`) to see where bytes stop being
plausible. A format that knows more - a fixed header that a damaged run can be anchored by,
a way to weigh whole decodings against each other, a repairer that says whether music
survives - offers it as a :class:`Judge`. The decoder calls only this interface; which
judge answers for which bytes is decided here (MIDI's lives in ``formats/midi/judge.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from .plausible import MidiModel, sniff


@dataclass(frozen=True)
class HeadEdit:
    """Characters [at, at + drop) are dropped and ``insert`` put in their place."""

    at: int
    drop: int
    insert: str


class Judge(Protocol):
    name: str
    head_chars: int  # characters that encode the payload's fixed header
    end: bytes  # bytes a whole payload ends with (b"" for none)
    whole_chars: int  # runs up to this long have their frame repairs weighed whole

    def anchor(self, text: str) -> list[HeadEdit]:
        """Edits near the start that restore a damaged header, best first."""
        ...

    def edit_noise(self, edit: HeadEdit) -> tuple[int, int]:
        """Bytes an edit's inserted characters decode into past the known header."""
        ...

    def edit_lost(self, edit: HeadEdit, edited: str) -> tuple[int, int]:
        """Header bytes an edit leaves unknown (their values are not the payload's)."""
        ...

    def whole_fit(self, data: bytes, lost: list[tuple[int, int]], fixes: int) -> float:
        """How well a whole decoding reads as the payload."""
        ...

    def keeps_music(self, data: bytes, lost: list[tuple[int, int]]) -> bool:
        """Whether the format's repairer reads music from a decoding."""
        ...

    def beats_strict(self, strict: bytes, data: bytes, lost: list[tuple[int, int]]) -> bool:
        """Whether frame repairs of a run strict mode accepted read better than without."""
        ...


def judge_for(head: bytes) -> Judge | None:
    """The judge for a payload that begins with ``head``, if its format offers one."""
    if isinstance(sniff(head), MidiModel):
        from ..formats.midi.judge import MidiJudge

        return MidiJudge()
    return None
