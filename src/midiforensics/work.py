"""What flows through the worklist: tasks for the stages, and what the stages yield.

A stage is a generator: given a task it yields report records (spans, segments, problems),
new tasks (a payload to admit and split, a text to search) and outputs (a piece or a file to
write). The loop in :mod:`.pipeline` runs each new task before the stage that yielded it goes
on, so finds are numbered in the order they sit in the input.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from .formats.base import MusicResult
from .locate import LineIndex
from .report.locator import Locator
from .report.models import Problem, Repair, Segment, Span

MAX_DEPTH = 4  # text inside a payload inside a payload ... at most this deep


@dataclass
class TextTask:
    """A text to search: the input itself (or a window or message of it), or decoded text."""

    text: str
    index: LineIndex
    chain: str  # how we got here; "" for the input
    label: str  # file-name prefix for what is found in it
    depth: int
    line0: int = 0  # lines of the input before this text (a window of a large file)
    base: int = 0  # characters of the input before this text
    lost: dict[int, int] = field(default_factory=dict)  # offset -> bytes lost there (decoding)
    inherited: tuple[Repair, ...] = ()  # data lost upstream (a cut run, a cut container)
    col0: int = 0  # characters of its first line before this text (a region of a long line)

    @classmethod
    def of(cls, text: str, chain: str = "", label: str = "", depth: int = 0, line0: int = 0,
           base: int = 0) -> TextTask:  # fmt: skip
        return cls(text, LineIndex(text), chain, label, depth, line0, base)

    def region(self, lo: int, hi: int, lines_before: int) -> TextTask:
        """The part ``[lo, hi)`` of this text as a text of its own, found where it is (lines,
        offsets and lost bytes counted in this text's input)."""
        sub = TextTask.of(
            self.text[lo:hi],
            self.chain,
            self.label,
            self.depth,
            self.line0 + lines_before,
            self.base + lo,
        )
        sub.lost = {at - lo: n for at, n in self.lost.items() if lo <= at <= hi}
        sub.inherited = self.inherited
        line_start = self.text.rfind("\n", 0, lo) + 1
        sub.col0 = lo - line_start + (self.col0 if line_start == 0 else 0)
        return sub

    def linecol(self, offset: int) -> tuple[int, int]:
        line, col = self.index.linecol(offset)
        return line + self.line0, col + self.col0 if line == 1 else col

    def where(self, offset: int) -> str:
        return Locator(self.chain).text(*self.linecol(offset))

    def shifted(self, base: int) -> Callable[[int], str]:
        """Locations of offsets inside a find that starts at ``base``."""
        return lambda off: self.where(base + off)


@dataclass(frozen=True)
class PayloadTask:
    """Decoded bytes, to be admitted (de-duplication, size budget) and split into segments."""

    data: bytes = field(repr=False)
    span: Span
    provenance: str  # the location chain of the payload
    label: str
    depth: int
    where: str  # where a problem with this payload is reported
    repairs: tuple[Repair, ...] = ()
    lost: tuple[tuple[int, int], ...] = ()
    parent: str | None = None  # the blob this payload was found in (a container's member)
    inherited: tuple[Repair, ...] = ()  # data lost upstream (a cut container it was read from)


@dataclass(frozen=True)
class PieceOut:
    """A piece of music to write (``.mid``, and the score's own text for scores)."""

    result: MusicResult
    kind: str
    label: str
    chain: str
    where: Callable[[int], str]  # a location for a repair's offset
    suffix: str = ".mid"  # the handler's own suffix, for the piece's own text


@dataclass(frozen=True)
class FileOut:
    """Anything else to write: decoded prose, a container, unknown binary data."""

    name: str
    data: bytes = field(repr=False)
    kind: str
    source: str


def with_inherited_loss(res: MusicResult, inherited: tuple[Repair, ...]) -> MusicResult:
    """A piece read from data that lost something upstream (a run cut off, a container cut
    short) has lost something too, whatever its own handler could mend: it is salvaged."""
    if not inherited or res.verdict not in ("intact", "repaired"):
        return res
    kinds = ", ".join(sorted({f"{r.stage} {r.kind}" for r in inherited}))
    mark = Repair(
        stage="decode",
        kind="upstream-loss",
        reason=f"the data this piece was read from lost something before it ({kinds})",
        offset=0,
        confidence=0.7,
        loss="lost",
    )
    return replace(
        res,
        repairs=(*res.repairs, mark),
        verdict="salvaged",
        confidence=min(res.confidence, 0.75),
    )


Item = TextTask | PayloadTask | PieceOut | FileOut | Span | Segment | Problem
Stage = Iterator[Item]


class Context:
    """What every stage may read: whether to repair, and where a handler's failure goes."""

    def __init__(self, repair: bool = True, strict: bool = False) -> None:
        self.repair = repair
        self.strict = strict  # tests: a handler's exception is raised, not reported
        self.problems: list[Problem] = []
        self.decoded_runs: dict[str, Any] = {}

    def safe(self, where: str | Callable[[], str], fn: Callable[..., Any], *args: Any) -> Any:
        """Run a handler; an exception becomes a problem in the report and the run goes on.
        ``where`` may be a function that says where, asked only when there is a problem."""
        try:
            return fn(*args)
        except Exception as exc:  # noqa: BLE001 - a handler's failure must not end the run
            if self.strict:
                raise
            if callable(where):
                where = where()
            name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", "handler")
            message = f"{name} failed: {type(exc).__name__}: {exc}"
            self.problems.append(Problem(where, message, "failure"))
            return None
