"""Result types shared by the format handlers.

A handler never raises for data that is not its format: it returns ``None`` (or an empty
list of extents). Any other exception is caught by the pipeline and reported as a problem.
Repairs carry ``offset`` relative to the data the handler was given; the pipeline turns that
into a location in the original input.
"""

from __future__ import annotations

from dataclasses import dataclass

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
