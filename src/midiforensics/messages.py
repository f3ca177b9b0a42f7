"""The search of a chat export's messages, a group at a time (:mod:`.inputs.groups`): in this
process, or in worker processes whose records are replayed here in the report's order. A JSON
export larger than a window is read a piece at a time (:mod:`.inputs.chars`)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from functools import partial
from itertools import chain
from typing import TYPE_CHECKING

from .inputs.groups import iter_groups
from .pipeline import Event, Pipeline, record, worker_pool, worker_result
from .report.models import Problem, Report
from .search import decode_run
from .work import TextTask

if TYPE_CHECKING:
    from concurrent.futures import Executor, Future

    from .inputs.chat_message import Message
    from .inputs.files import Export

Groups = Iterator[tuple[list["Message"], bool]]  # what iter_groups yields


def run_export(
    export: Export,
    out_dir: str | None,
    name: str,
    repair: bool,
    strict: bool,
    jobs: int = 1,
    pool: Executor | None = None,
) -> Report | None:
    """:func:`.pipeline.run` of a JSON chat export read a piece at a time; None, with
    nothing done, when it is not one that reads so."""
    from .inputs.chars import Chars, valid_utf8
    from .inputs.exports import stream_export
    from .inputs.raw import NOT_UTF8

    p = Pipeline(out_dir, repair, strict)
    with export.path.open("rb") as fh:
        messages = stream_export(Chars(fh=fh, piece=export.piece))
        if messages is None or not search_messages(p, messages, name, jobs, pool):
            return None
    if not valid_utf8(export.path):
        p.problems.insert(0, Problem(name, NOT_UTF8))  # where reading it whole says it
    return p.report(name, export.path.stat().st_size)


def search_messages(
    p: Pipeline,
    messages: Iterator[Message],
    name: str,
    jobs: int = 1,
    pool: Executor | None = None,
) -> bool:
    """Search a chat export's messages a group at a time; in ``jobs`` worker processes
    (``pool``, or started here) when ``jobs > 1``. False, with nothing done, when no message
    comes (not an export: a malformed one is just text)."""
    try:
        first = next(messages, None)
    except Exception:  # noqa: BLE001 - a malformed export is just text
        return False
    if first is None:
        return False

    def decoded(payload: str) -> bytes:
        return bytes(decode_run(payload, p.ctx).data)

    everything = chain([first], _read_on(messages, p.problems, name))
    groups = iter_groups(everything, decoded, partial(p.ctx.safe, name))
    if jobs <= 1:
        _here(p, groups)
    elif pool is not None:
        _in_workers(p, groups, pool, jobs)
    else:
        with worker_pool(jobs) as started:
            _in_workers(p, groups, started, jobs)
    return True


def _read_on(messages: Iterator[Message], problems: list[Problem], name: str) -> Iterator[Message]:
    """``messages`` until one cannot be read: the export ends there, with a problem that says
    so (the messages before it are searched)."""
    while True:
        try:
            m = next(messages)
        except StopIteration:
            return
        except Exception as exc:  # noqa: BLE001 - a malformed export must not end the run
            why = f"the export could not be read on: {type(exc).__name__}: {exc}"
            problems.append(Problem(name, why, "failure"))
            return
        yield m


def _task(group: list[Message]) -> TextTask:
    """A group of messages as one text, found where its first message is."""
    m = group[0]
    body = "\n\n".join(g.text for g in group)
    more = f" (+{len(group) - 1} continued)" if len(group) > 1 else ""
    line0 = m.line - 1 if m.line > 0 else 0  # lines stay the export's own
    return TextTask.of(body, m.origin + more, f"{m.label}-", 0, line0)


def _here(p: Pipeline, groups: Groups) -> None:
    """The groups searched in this process. A group that follows one still open is searched
    aside and recorded, and its record replayed once that group has been searched (so that
    no run of messages is held)."""
    waiting: list[list[Event]] = []
    for group, later in groups:
        if later:
            waiting.append(record(_task(group), p.ctx.repair, p.ctx.strict))
            continue
        p.run(_task(group))
        for events in waiting:
            p.replay(events)
        waiting.clear()
        p.ctx.decoded_runs.clear()  # what a group decoded is asked again only in that group


BATCH_CHARS = 256 * 1024  # text sent to a worker at once: many small groups a message


class _Batch:
    """Groups sent to a worker together, and their records once they are back."""

    def __init__(self) -> None:
        self.tasks: list[TextTask] = []
        self.first = ""  # where its first group is
        self.chars = 0
        self.future: Future[list[list[Event]]] | None = None
        self.records: list[list[Event]] | None = None

    def add(self, task: TextTask) -> tuple[_Batch, int]:
        self.first = self.first or task.chain
        self.tasks.append(task)
        self.chars += len(task.text)
        return self, len(self.tasks) - 1

    def send(self, pool: Executor, repair: bool) -> None:
        self.future = pool.submit(record_all, self.tasks, repair)
        self.tasks = []

    def take(self) -> list[list[Event]]:
        """The records (waiting for them); :class:`WorkerError` when the worker died."""
        if self.records is None:
            assert self.future is not None
            self.records = worker_result(self.future, f"the messages from {self.first} on")
            self.future = None
        return self.records


def record_all(tasks: list[TextTask], repair: bool) -> list[list[Event]]:
    """:func:`.pipeline.record` of each task, in a worker process."""
    return [record(task, repair) for task in tasks]


def _in_workers(p: Pipeline, groups: Groups, pool: Executor, jobs: int) -> None:
    """The groups searched in the ``jobs`` workers of ``pool``, sent in batches of about
    :data:`BATCH_CHARS` characters, their records replayed here in the report's order (a
    group that follows one still open after it). At most ``jobs + 1`` batches are in flight."""
    order: deque[tuple[_Batch, int]] = deque()  # the report's order, up to the open group
    later: list[tuple[_Batch, int]] = []  # after the open group
    flight: deque[_Batch] = deque()
    batch = _Batch()

    def replay_ready() -> None:
        while order and order[0][0].records is not None:
            sent, i = order.popleft()
            p.replay(sent.take()[i])

    for group, after_open in groups:
        (later if after_open else order).append(batch.add(_task(group)))
        if not after_open:
            order.extend(later)
            later.clear()
            p.ctx.decoded_runs.clear()  # the grouping's decoding, asked again only here
        if batch.chars >= BATCH_CHARS:
            batch.send(pool, p.ctx.repair)
            flight.append(batch)
            batch = _Batch()
            while len(flight) > jobs:
                flight.popleft().take()
                replay_ready()
    if batch.tasks:
        batch.send(pool, p.ctx.repair)
    for sent, i in order:
        p.replay(sent.take()[i])
