"""Plain data types that flow through the pipeline.

Nothing here knows about rich, music21 or files on disk; renderers read these and never
change them. Every type is a frozen dataclass so that a report, once made, stays as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .locator import Locator

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Repair:
    """One change the tool made to the data, with where and why.

    ``offset`` is the position in the data the stage worked on (a character index for text
    stages, a byte offset for binary ones); ``where`` is a location a person can find again
    in the original input (``L30:C7``, or ``L12:C1 base64 -> byte 1840``). Stages that do not
    know the input fill ``offset`` and leave ``where`` empty; the pipeline fills it in.
    """

    stage: str
    kind: str
    reason: str
    offset: int | None = None
    before: str = ""
    after: str = ""
    confidence: float = 1.0
    where: str = ""
    loss: str = ""  # "" | "lost" | "guessed"


@dataclass(frozen=True)
class Span:
    """Where an encoded run sits in one text (the input, or a decoded payload)."""

    start: int
    end: int
    line: int
    col: int
    encoding: str  # base64 | hex | bytes-literal | decimal | musicxml | abc | binary
    text: str = field(repr=False, default="")
    truncated: bool = False
    origin: str = ""  # the decoded text this span sits in ("" for the input itself)

    @property
    def where(self) -> str:
        return Locator(self.origin).text(self.line, self.col)


@dataclass(frozen=True)
class Blob:
    """Bytes decoded from a span, with how the decoding was repaired.

    ``lost`` lists byte ranges [start, end) whose value is not known (noise left where
    characters were dropped); they are never presented as real data.
    """

    id: str
    span: Span
    data: bytes = field(repr=False)
    repairs: tuple[Repair, ...] = ()
    lost: tuple[tuple[int, int], ...] = ()
    depth: int = 0
    parent: str | None = None
    provenance: str = ""

    @property
    def where(self) -> str:
        """Where the blob's run starts, with its encoding: ``L12:C1 base64``."""
        return f"{self.span.where} {self.span.encoding}"


@dataclass(frozen=True)
class Segment:
    """A byte range of a blob with what it is. The segments of a blob cover every byte once."""

    blob: str
    start: int
    end: int
    kind: str  # a handler's name (midi, zip, gzip ...), text, padding, png ..., or unknown
    confidence: float


@dataclass(frozen=True)
class Artifact:
    """A file written to the output folder."""

    path: str
    kind: str  # midi | musicxml | abc | text | binary
    source: str  # provenance chain: "L12:C1 base64 -> text@1840 -> musicxml"
    notes: int = 0
    tracks: int = 0
    seconds: float = 0.0
    tempo_bpm: float | None = None
    verdict: str = ""  # intact | repaired | salvaged | fragment | "" for non-music
    confidence: float = 1.0
    repairs: tuple[Repair, ...] = ()
    piece: int | None = None  # artifacts of the same piece (a .musicxml and its .mid) share it
    as_found: str = ""  # what a plain reader makes of the input before repair (scores)
    # the file's bytes when no output folder was given (the API's decode(text) with no out_dir)
    data: bytes | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Problem:
    """Something that went wrong but did not stop the run.

    ``kind`` groups problems for a short report: ``failure`` (a handler raised: a bug, not
    bad input), ``duplicate`` (a payload seen before), ``budget`` (a size or depth limit),
    ``unread`` (music found that gave no piece), or "" for the rest."""

    where: str
    message: str
    kind: str = ""


@dataclass(frozen=True)
class Report:
    input: str
    size: int
    spans: tuple[Span, ...] = ()
    blobs: tuple[Blob, ...] = ()
    segments: tuple[Segment, ...] = ()
    artifacts: tuple[Artifact, ...] = ()
    problems: tuple[Problem, ...] = ()
    verdict: str = ""
    out_dir: str | None = None
    music_found: bool = False  # anything in a music format was found, even if nothing played

    @property
    def repairs(self) -> tuple[Repair, ...]:
        out: list[Repair] = []
        for b in self.blobs:
            out.extend(b.repairs)
        seen = {id(r) for r in out}
        for a in self.artifacts:
            out.extend(r for r in a.repairs if id(r) not in seen)
        return tuple(out)

    @property
    def pieces(self) -> int:
        """How many playable pieces were recovered."""
        return len({a.piece for a in self.artifacts if a.kind == "midi" and a.notes > 0})
