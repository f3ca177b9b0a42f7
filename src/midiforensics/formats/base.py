"""The handler interface every format offers, and the result types it returns.

A handler never raises for data that is not its format: it returns ``None`` (or an empty
list of extents). Any other exception is caught by the pipeline and reported as a problem
(unblob's way). Repairs carry ``offset`` relative to the data the handler was given; the
pipeline turns that into a location in the original input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import ClassVar, Protocol

from ..report.models import Repair

Extent = tuple[int, int]
Lost = Sequence[Extent]


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
    source_text: str | None = None  # the piece's own text (an ABC tune), written beside its MIDI
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


@dataclass(frozen=True)
class Contents:
    """What a container (zip, gzip) holds: payloads to search again, each with the step that
    names it in a location chain (``gunzip``, ``member 2``) and a short form for file names
    (``gz``, ``z2``). ``keep`` asks for the container itself to be written as a binary file
    too; ``problems`` say what could not be read."""

    members: tuple[tuple[str, str, bytes], ...] = ()
    problems: tuple[str, ...] = ()
    keep: bool = False
    lost: tuple[Repair, ...] = ()  # what the container lost (cut short): its members inherit it


@dataclass(frozen=True)
class HeadEdit:
    """Characters [at, at + drop) are dropped and ``insert`` put in their place."""

    at: int
    drop: int
    insert: str


class Judge(Protocol):
    """What a format offers the base64 frame search (see :mod:`..decoding.judge`)."""

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


class Handler:
    """One format: what it is called, where its data is, and how it is made playable.

    ``reads`` is ``"text"`` (the handler finds its data in a text: MusicXML, ABC) or
    ``"bytes"`` (in a decoded payload: MIDI, MXL, zip, gzip). ``magic`` lists the signatures a
    payload of this format starts with; ``extents`` finds byte extents signatures alone do not
    (MIDI chunks inside other bytes) and ``detect`` finds the handler's data in a text.
    ``repair`` returns a :class:`MusicResult` (a piece), :class:`Contents` (a container's
    payloads) or ``None`` ("not mine": the next handler in the registry is asked).
    """

    name: ClassVar[str] = ""
    suffix: ClassVar[str] = ""  # the file written with the format's own (repaired) text
    reads: ClassVar[str] = "bytes"
    magic: ClassVar[tuple[bytes, ...]] = ()
    container: ClassVar[bool] = False  # its members are payloads to search, not music
    label: ClassVar[str] = ""  # in names of files written for its finds (default: name)
    # Text handlers, for the gate (:mod:`..gate`): a regular expression (in the syntax both re
    # and re2 read) that matches inside anything ``detect`` can find, and how far around such
    # a match a find and the context it reads may reach. No anchors: texts are searched whole.
    anchors: ClassVar[str] = ""
    reach: ClassVar[int] = 512
    spans_paragraphs: ClassVar[bool] = False  # a find may go on past a blank line

    def detect(self, text: str) -> list[tuple[int, int, str]]:
        """Text handlers: (start, end, the text to repair) of each find in ``text``."""
        return []

    def extents(self, data: bytes) -> list[Extent]:
        """Bytes handlers: [start, end) of each extent of this format inside ``data``."""
        return []

    def repair(self, data: str | bytes, lost: Lost) -> MusicResult | Contents | None:
        return None

    def incomplete(self, data: bytes) -> bool:
        """True when ``data`` holds this format cut off mid-piece (so a block that follows
        may continue it)."""
        return False

    def frame_judge(self, head: bytes) -> Judge | None:
        """A judge of base64 frame repairs for a payload that begins with ``head``, when this
        format can weigh decodings better than a generic model (None: it cannot)."""
        return None

    def refused(self, data: bytes) -> str:
        """Why an extent this handler found could not be made playable; "" when it was a
        false alarm (the extent is then unknown data)."""
        return f"{self.name} data found, but it could not be read"

    def combine(self, found: list[tuple[int, MusicResult]]) -> list[tuple[int, MusicResult]]:
        """Pieces this handler found in one text, (offset, result), before they are written:
        a handler may let one inform another (a score takes a later fragment's tempo)."""
        return found
