"""The worklist loop and its budget: locate -> decode -> split -> repair -> write -> report.

Stages are generators (:mod:`.search` for texts, :mod:`.payload` for decoded bytes); the loop
runs each task a stage yields before that stage goes on, admits payloads (de-duplication, a
size budget, a depth limit), records what the stages report and hands outputs to the writer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

from .inputs.files import Export
from .inputs.raw import read_input, unescape_html_page
from .output import Output
from .payload import split_payload
from .report.models import Blob, Problem, Report, Segment, Span
from .search import search_text
from .work import Context, FileOut, Item, PayloadTask, PieceOut, TextTask

if TYPE_CHECKING:
    from concurrent.futures import Executor, Future

    from .inputs.files import Window

_T = TypeVar("_T")
MAX_DECODED = 256 * 1024 * 1024  # bytes decoded from one input, all blobs together


class Pipeline:
    def __init__(self, out_dir: str | None, repair: bool = True, strict: bool = False) -> None:
        self.ctx = Context(repair, strict)
        self.output = Output(out_dir)
        self.spans: list[Span] = []
        self.blobs: list[Blob] = []
        self.segments: list[Segment] = []
        self.seen: dict[bytes, str] = {}
        self.decoded = 0

    @property
    def problems(self) -> list[Problem]:
        return self.ctx.problems

    def run(self, task: TextTask | PayloadTask) -> None:
        """Run ``task`` and everything it leads to, depth first."""
        stack: list[Iterator[Item]] = [self._stage(task)]
        while stack:
            item = next(stack[-1], None)
            if item is None:
                stack.pop()
            elif isinstance(item, TextTask | PayloadTask):
                stack.append(self._stage(item))
            else:
                self._record(item)

    def _stage(self, task: TextTask | PayloadTask) -> Iterator[Item]:
        if isinstance(task, TextTask):
            return search_text(task, self.ctx)
        blob = self._admit(task)
        if blob is None:
            return iter(())
        return split_payload(blob, task.label, self.ctx, task.inherited)

    def _record(self, item: Item) -> None:
        if isinstance(item, Span):
            self.spans.append(item)
        elif isinstance(item, Segment):
            self.segments.append(item)
        elif isinstance(item, Problem):
            self.problems.append(item)
        elif isinstance(item, PieceOut):
            self.problems.extend(self.output.music(item))
        elif isinstance(item, FileOut):
            self.output.file(item)

    def _admit(self, task: PayloadTask) -> Blob | None:
        """The payload as a blob, or None (with a problem) when it was seen before or the
        decoded-size budget is spent. A container's member seen before is skipped silently."""
        digest = hashlib.sha256(task.data).digest()
        if digest in self.seen:
            if task.parent is None:
                self.problems.append(
                    Problem(
                        task.where,
                        f"same payload as {self.seen[digest]}: not written again",
                        "duplicate",
                    )
                )
            return None
        if self.decoded + len(task.data) > MAX_DECODED:
            self.problems.append(
                Problem(task.where, "decoded-size budget exhausted: payload skipped", "budget")
            )
            return None
        self.decoded += len(task.data)
        blob = Blob(
            id=f"B{len(self.blobs) + 1}",
            span=task.span,
            data=task.data,
            repairs=task.repairs,
            lost=task.lost,
            depth=task.depth,
            parent=task.parent,
            provenance=task.provenance,
        )
        self.seen[digest] = blob.id
        self.blobs.append(blob)
        return blob

    def replay(self, events: list[Event]) -> None:
        """Record what a worker's stages yielded for one window (:func:`search_window`) as if
        they had run here: payloads are admitted here, and what a payload refused here led
        to is left out."""
        ids: dict[str, str] = {}  # the worker's blob ids -> ours
        skip = 0
        for ev in events:
            kind = ev[0]
            if skip:
                skip += 1 if kind == "task" else -1 if kind == "end" else 0
                continue
            if kind == "task":
                task: PayloadTask = ev[1]
                if task.parent is not None:
                    task = replace(task, parent=ids.get(task.parent, task.parent))
                blob = self._admit(task)
                if blob is None:
                    skip = 1
                elif ev[2] is not None:
                    ids[ev[2]] = blob.id
            elif kind == "item":
                item = ev[1]
                if isinstance(item, Segment):  # of our blob (made at once: replace is slow)
                    blob_id = ids.get(item.blob, item.blob)
                    item = Segment(blob_id, item.start, item.end, item.kind, item.confidence)
                self._record(item)

    def report(self, name: str, size: int) -> Report:
        writer = self.output.writer
        report = Report(
            input=name,
            size=size,
            spans=tuple(self.spans),
            blobs=tuple(self.blobs),
            segments=tuple(self.segments),
            artifacts=tuple(self.output.artifacts),
            problems=tuple(self.problems),
            out_dir=str(writer.root) if writer else None,
            music_found=_music_found(self.spans, self.segments),
        )
        report = replace(
            report, verdict=verdict(report) if self.ctx.repair else scan_verdict(report)
        )
        if writer is not None and (report.artifacts or report.spans):
            from .report.json import json_pieces

            writer.write("report.json", (s.encode("utf-8") for s in json_pieces(report)))
        return report


def run(
    data: str | bytes | Export,
    out_dir: str | None = None,
    name: str = "<input>",
    repair: bool = True,
    strict: bool = False,
    jobs: int = 1,
    pool: Executor | None = None,
) -> Report:
    """The whole pipeline on one input. ``repair=False`` finds and classifies only (``mf scan``);
    ``strict=True`` lets a handler's exception through instead of reporting it (tests).

    A chat export (ChatGPT ``conversations.json``, JSON Lines, Markdown or HTML chats) is
    searched message by message, so every find says which conversation and message it is in.
    An :class:`~.inputs.files.Export` (a large input in JSON) is read a piece at a time, a
    conversation at a time in memory, with the report reading it whole would give; read
    whole when it is not an export that reads so (see :func:`.inputs.exports.stream_export`).
    Its messages are searched in ``jobs`` worker processes (``pool``, as for
    :func:`run_windows`) when ``jobs > 1``.
    """
    from .messages import run_export, search_messages

    if isinstance(data, Export):
        report = run_export(data, out_dir, name, repair, strict, jobs, pool)
        if report is not None:
            return report
        data = data.path.read_bytes()
    from .inputs.exports import iter_export

    p = Pipeline(out_dir, repair, strict)
    text, binary, notes = read_input(data)
    p.problems.extend(Problem(name, note) for note in notes)
    if binary is not None:
        span = Span(0, len(binary), 1, 1, "binary")
        p.spans.append(span)
        p.run(PayloadTask(binary, span, f"{name} (binary)", "bin", 0, name))
    elif text is not None:
        messages = iter_export(text)
        if messages is None or not search_messages(p, messages, name):
            text, note = unescape_html_page(text)
            if note:
                p.problems.append(Problem(name, note))
            p.run(TextTask.of(text))
    return p.report(name, len(data))


def run_windows(
    windows: Iterable[Window],
    out_dir: str | None = None,
    name: str = "<input>",
    repair: bool = True,
    size: int = 0,
    jobs: int = 1,
    pool: Executor | None = None,
) -> Report:
    """The pipeline over a large text read in windows (see :func:`inputs.files.iter_windows`); one
    report, with lines and offsets counted in the whole input.

    With ``jobs > 1`` the windows are searched and repaired in that many worker processes
    (:func:`search_window`) while this process admits their payloads, in window order, and
    writes; the report and the files are the same as with one process. ``pool``: the ``jobs``
    workers, already started (:func:`worker_pool`); started here when it is not given."""
    p = Pipeline(out_dir, repair)
    seen = [0]  # bytes read, the size of a stream (``size`` 0: not known in advance)

    def counted() -> Iterator[Window]:
        for w in windows:
            seen[0] += w.length
            yield w

    if pool is not None:
        with _collector_paused():
            for events in _in_workers(counted(), repair, pool, jobs):
                p.replay(events)
    elif jobs > 1:
        with worker_pool(jobs) as started, _collector_paused():
            for events in _in_workers(counted(), repair, started, jobs):
                p.replay(events)
    else:
        for w in counted():
            p.run(TextTask.of(w.text, "", "", 0, w.first_line - 1, w.char_offset))
    return p.report(name, size or seen[0])


# --- windows in worker processes -----------------------------------------------------------

# What a worker sends back for one window: the stages' output in the order the loop met it.
# ("task", payload task, its blob id in the worker or None) opens what that payload led to and
# ("end",) closes it; ("item", x) is anything else.
Event = tuple[Any, ...]


class _Recorded(list[Problem]):
    """A worker's problem list: every problem also goes into the event stream, in order."""

    def __init__(self, events: list[Event]) -> None:
        super().__init__()
        self.events = events

    def append(self, problem: Problem) -> None:
        super().append(problem)  # stages count problems to see whether a handler failed
        self.events.append(("item", problem))

    def extend(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            self.append(problem)


class _WindowPipeline(Pipeline):
    """The loop in a worker (or aside: a chat export's group of messages that is reported
    after a group still open): stages run as in :class:`Pipeline`, but what they yield is
    recorded for the parent to replay instead of being recorded and written here."""

    def __init__(self, repair: bool, strict: bool = False) -> None:
        super().__init__(None, repair, strict)
        self.events: list[Event] = []
        self.ctx.problems = _Recorded(self.events)

    def run(self, task: TextTask | PayloadTask) -> None:
        stack: list[Iterator[Item]] = [self._stage(task)]
        closes: list[bool] = [False]  # does this stage close a payload's events?
        while stack:
            item = next(stack[-1], None)
            if item is None:
                stack.pop()
                if closes.pop():
                    self.events.append(("end",))
            elif isinstance(item, PayloadTask):
                n = len(self.blobs)
                stage = self._stage(item)
                blob = self.blobs[-1].id if len(self.blobs) > n else None
                self.events.append(("task", item, blob))
                stack.append(stage)
                closes.append(True)
            elif isinstance(item, TextTask):
                stack.append(self._stage(item))
                closes.append(False)
            elif isinstance(item, PieceOut):
                # locations resolved here: the parent cannot call this process's closures
                res = item.result
                fixed = tuple(
                    replace(r, where=r.where or item.where(r.offset or 0)) for r in res.repairs
                )
                piece = replace(item, result=replace(res, repairs=fixed), where=_nowhere)
                self.events.append(("item", piece))
            else:
                self.events.append(("item", item))

    def _admit(self, task: PayloadTask) -> Blob | None:
        """De-duplicate and budget as the parent will (to save the work), but say nothing:
        the parent's own admission reports duplicates."""
        problems = self.ctx.problems
        self.ctx.problems = []
        try:
            return super()._admit(task)
        finally:
            self.ctx.problems = problems


class WorkerError(RuntimeError):
    """A worker process died while it searched a window: the message says which and why."""


def _nowhere(offset: int) -> str:
    return ""


def record(task: TextTask, repair: bool, strict: bool = False) -> list[Event]:
    """A text through the stages, what they yield recorded: the events to replay
    (:meth:`Pipeline.replay`), in a worker process or aside in this one."""
    p = _WindowPipeline(repair, strict)
    p.run(task)
    return p.events


def search_window(window: Window, repair: bool) -> list[Event]:
    """One window through the stages in a worker process: the events to replay."""
    from .inputs.files import keep_freed_memory

    keep_freed_memory()  # a forked worker has it from its parent; a spawned one asks
    return record(
        TextTask.of(window.text, "", "", 0, window.first_line - 1, window.char_offset), repair
    )


@contextmanager
def worker_pool(jobs: int) -> Iterator[Executor]:
    """``jobs`` worker processes for :func:`run_windows`, started now.

    On Linux, a process that runs no other thread is forked: the workers start at once, with
    the stages this process has imported. A fork must not copy a thread (a progress
    display's), and on macOS system libraries may not survive one, so otherwise they are
    forked from a server process that imports the stages once, or spawned where there is no
    fork server."""
    import multiprocessing
    import sys
    import threading
    from concurrent.futures import ProcessPoolExecutor
    from importlib import import_module

    from .batch import ignore_sigint
    from .inputs.files import keep_freed_memory

    methods = multiprocessing.get_all_start_methods()
    ctx: multiprocessing.context.BaseContext
    if sys.platform.startswith("linux") and threading.active_count() == 1:
        ctx = multiprocessing.get_context("fork")
        from .gate import prepare

        # done once here, not once in each worker: the gate compiled, the allocator told to
        # keep freed memory, the carving (which every blob meets) imported
        prepare()
        keep_freed_memory()
        import_module("midiforensics.formats.midi.find")
    elif "forkserver" in methods:
        server = multiprocessing.get_context("forkserver")
        server.set_forkserver_preload(["midiforensics.pipeline"])
        ctx = server
    else:
        ctx = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=ignore_sigint)
    pool.submit(int)  # a forking pool starts its workers on the first task, before its thread
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while the workers' records are read and replayed: they
    are thousands of objects a window, kept for the report, that hold no cycles; the
    collector would look at each several times as it ages (25 ms of this process's 0.3 s of
    CPU on a 200 MB scan). It is on again after, as it was."""
    import gc

    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _in_workers(
    windows: Iterable[Window], repair: bool, pool: Executor, jobs: int
) -> Iterator[list[Event]]:
    """The events of each window, in window order, from the ``jobs`` workers of ``pool``; at
    most ``jobs + 1`` windows are in flight at once."""
    from collections import deque

    pending: deque[tuple[Future[list[Event]], int]] = deque()  # and the window's first line

    def first() -> list[Event]:
        future, line = pending.popleft()
        return worker_result(future, f"the window from line {line} on")

    for w in windows:
        pending.append((pool.submit(search_window, w, repair), w.first_line))
        if len(pending) > jobs:
            yield first()
    while pending:
        yield first()


def worker_result(future: Future[_T], what: str) -> _T:
    """The events a worker sends back for ``what`` it searched; :class:`WorkerError` when
    the worker died."""
    from concurrent.futures import BrokenExecutor

    try:
        return future.result()
    except BrokenExecutor:
        raise WorkerError(
            f"a worker process ended before it had searched {what} (killed, or out of "
            "memory); --jobs 1 searches in this process"
        ) from None


def scan_verdict(report: Report) -> str:
    """The verdict of a scan: what was found, nothing repaired."""
    from .formats import MUSIC_KINDS, TEXT_HANDLERS

    text_kinds = {h.name for h in TEXT_HANDLERS}
    kinds: dict[str, int] = {}
    for seg in report.segments:
        if seg.kind in MUSIC_KINDS or seg.kind == "zip":
            kinds[seg.kind] = kinds.get(seg.kind, 0) + 1
    for span in report.spans:
        if span.encoding in text_kinds:
            kinds[span.encoding] = kinds.get(span.encoding, 0) + 1
    if not kinds:
        return "encoded data found, but no music in it" if report.blobs else "nothing musical found"
    found = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    return f"found {found} (scan only: run mf decode to repair and write)"


def verdict(report: Report) -> str:
    """One line: how many pieces, counted by verdict (see :func:`formats.base.verdict_for`),
    and how many handlers failed, or why there is no piece."""
    from .formats.base import VERDICTS

    failed = sum(1 for p in report.problems if p.kind == "failure")
    tail = (
        f"; {failed} handler failure{'s' if failed != 1 else ''} (see problems)" if failed else ""
    )
    by_piece = {a.piece: a.verdict for a in report.artifacts if a.kind == "midi" and a.notes > 0}
    if by_piece:
        n = len(by_piece)
        counts = [(sum(1 for v in by_piece.values() if v == k), k) for k in VERDICTS]
        what = ", ".join(f"{c} {k}" for c, k in counts if c)
        return f"{n} playable piece{'s' if n != 1 else ''} recovered ({what}){tail}"
    if any(a.kind == "midi" or a.piece is not None for a in report.artifacts):
        return "music found, but nothing playable (fragments or note-less files only)" + tail
    if report.music_found:
        return "music data found, but nothing in it could be played (see problems)" + tail
    if report.blobs:
        return "encoded data found, but no music in it" + tail
    return "nothing musical found" + tail


def _music_found(spans: list[Span], segments: list[Segment]) -> bool:
    from .formats import MUSIC_KINDS

    return any(s.kind in MUSIC_KINDS for s in segments) or any(
        s.encoding in MUSIC_KINDS for s in spans
    )


__all__ = ["WorkerError", "read_input", "run", "run_windows", "scan_verdict", "verdict"]
