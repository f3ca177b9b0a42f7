"""Result types shared by the format handlers.

A handler never raises for data that is not its format: it returns ``None`` (or an empty
list of extents). Any other exception is caught by the pipeline and reported as a problem.
Repairs carry ``offset`` relative to the data the handler was given; the pipeline turns that
into a location in the original input.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..report.models import Repair

Extent = tuple[int, int]


@dataclass(frozen=True)
class MusicResult:
    """A repaired piece, ready to write.

    ``midi`` is always a Standard MIDI File that plain ``mido.MidiFile`` loads. ``musicxml``
    is the repaired score text for score formats (MusicXML, MXL, ABC) and ``None`` for MIDI.
    ``verdict`` is ``intact`` (nothing changed), ``repaired`` (changed, nothing lost),
    ``salvaged`` (part of it lost) or ``fragment`` (not a whole piece).
    """

    midi: bytes
    repairs: tuple[Repair, ...]
    verdict: str
    confidence: float
    notes: int
    tracks: int
    seconds: float
    tempo_bpm: float | None = None
    musicxml: str | None = None
    source_text: str | None = None  # the score text as found (after unescaping), for ABC
    # what a plain reader (music21) makes of the input as found, when the repair changed it:
    # "reads 6 notes: C4 C4 C4 C4 C4 C4" or "refuses it (ParseError)"; "" when not compared
    as_found: str = ""


VERDICTS = ("intact", "repaired", "salvaged", "fragment")


def verdict_for(repairs: tuple[Repair, ...] | list[Repair], fragment: bool = False) -> str:
    """The one rule for a piece's verdict: ``fragment`` when it is not a whole piece,
    ``salvaged`` when any repair lost or guessed data, ``repaired`` when it was changed with
    nothing lost or guessed, ``intact`` when nothing was changed."""
    if fragment:
        return "fragment"
    if any(r.loss for r in repairs):
        return "salvaged"
    return "repaired" if repairs else "intact"


def prefer_plain(plain: MusicResult | None, repaired: MusicResult | None) -> MusicResult | None:
    """Never worse than a plain reader: of the plain reading (the data as found, read by
    music21 or mido) and the repaired reading, keep the repaired one only when it holds at
    least as many notes; otherwise keep the plain one and say why in its ``as_found``."""
    if repaired is None:
        return plain
    if plain is None or repaired.notes >= plain.notes:
        return repaired
    why = (
        f"repair kept {repaired.notes} notes, the plain reading {plain.notes}: "
        "the plain reading was kept"
    )
    return replace(plain, as_found=why)
