"""The pieces of a note list: note names, duration words, and what a find holds."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ...report.models import Repair
from ..notes import Note

STAGE = "notelist"
MIN_NOTES = 4  # fewer note names in a row are prose that mentions notes, not a melody
DEFAULT_OCTAVE = 4


def name_re(k: str, octave: str = "?") -> str:
    """A note name (``C``, ``F#4``, ``Bb3``, ``E flat``) with groups suffixed by ``k``; the
    octave is required when ``octave`` is ``""``."""
    return (
        rf"(?P<L{k}>[A-G])(?P<a{k}>##|#|♯|♭|bb|b|x|[ -]?sharp|[ -]?flat)?"
        rf"(?P<o{k}>[0-8]){octave}(?![A-Za-z0-9'’#♯♭])"
    )


DUR_WORD = (
    r"(?:[Dd]otted[ -])?(?:[Ww]hole|[Hh]alf|[Qq]uarter|[Ee]ighth|8th|[Ss]ixteenth|16th"
    r"|[Tt]hirty-second|32nd)"
)
_BEATS = {
    "whole": 4.0, "half": 2.0, "quarter": 1.0, "eighth": 0.5, "8th": 0.5,
    "sixteenth": 0.25, "16th": 0.25, "thirty-second": 0.125, "32nd": 0.125,
}  # fmt: skip
_ALTER = {"#": 1, "##": 2, "♯": 1, "x": 2, "b": -1, "bb": -2, "♭": -1, "sharp": 1, "flat": -1}
_SEMI = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


def beats_of(word: str) -> float | None:
    """Quarter notes in a duration word (``dotted quarter`` = 1.5); None when not one."""
    w = word.strip().lower()
    dotted = w.startswith("dotted")
    w = w.removeprefix("dotted").strip(" -")
    w = w.removesuffix(" note").removesuffix("-note").removesuffix(" notes").strip()
    base = _BEATS.get(w)
    if base is None:
        return None
    return base * 1.5 if dotted else base


def pitch_of(m: re.Match[str], k: str) -> tuple[int, bool] | None:
    """The MIDI pitch of the note name matched with suffix ``k``, and whether its octave was
    written (octave 4 when not)."""
    acc = (m.group(f"a{k}") or "").strip(" -")
    octave = m.group(f"o{k}")
    pitch = 12 * (int(octave or DEFAULT_OCTAVE) + 1) + _SEMI[m.group(f"L{k}")] + _ALTER.get(acc, 0)
    return (pitch, octave is not None) if 0 <= pitch <= 127 else None


@dataclass
class Found:
    """One note list in a text: where it is, its notes and what was guessed."""

    start: int
    end: int
    notes: list[Note] = field(default_factory=list)
    repairs: list[Repair] = field(default_factory=list)
    bpm: float | None = None


def guessed(kind: str, reason: str, offset: int, after: str = "") -> Repair:
    return Repair(STAGE, kind, reason, offset=offset, after=after, confidence=0.6, loss="guessed")


def octave_repair(found: Found, missing: int) -> None:
    if missing:
        found.repairs.append(
            guessed("octave-assumed",
                    f"{missing} note name{'s' if missing != 1 else ''} without an octave: "
                    f"octave {DEFAULT_OCTAVE} assumed", found.start, str(DEFAULT_OCTAVE))
        )  # fmt: skip


TEMPO = re.compile(r"(?i)\b(\d{2,3})\s*(?:bpm|beats per minute)\b|\btempo\W{1,3}(\d{2,3})\b")


def tempo_near(text: str, start: int, end: int, found: Found) -> None:
    """The tempo stated near a note list (``at 96 BPM``); else 120, guessed."""
    m = TEMPO.search(text, max(0, start - 400), min(len(text), end + 200))
    bpm = float(m.group(1) or m.group(2)) if m else 0.0
    if 20 <= bpm <= 300:
        found.bpm = bpm
        return
    found.bpm = 120.0
    found.repairs.append(guessed("tempo-default", "no tempo given: 120 BPM assumed", start, "120"))
