"""Running one input for the CLI: reading it (standard input with a hint on a terminal, a
large file in windows), a progress display on stderr when it takes over about a second, and
one line that says whether reading the input or writing the output failed."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

    from ..inputs.files import Window
    from ..report.models import Report

PROGRESS_AFTER = 1.0  # seconds before a progress display appears
STDIN_HINT = "mf: reading standard input; paste the text, then press Ctrl-D on a new line\n"


class RunError(Exception):
    """Reading the input or writing the output failed; the message says which."""


class LateProgress:
    """A rich progress display on ``console`` that appears only when the work takes longer
    than ``after`` seconds, and never when ``console`` is not a terminal (rich's progress
    module is imported only then: most runs end sooner)."""

    def __init__(self, console: Console, label: str, total: float | None, after: float) -> None:
        self._console, self._label, self._total = console, label, total
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._advanced = 0.0  # before the display appears
        self._lock = threading.Lock()
        self._done = False
        self._began = time.monotonic()  # rich's clock, for the time shown
        self._timer: threading.Timer | None = None
        if console.is_terminal:
            self._timer = threading.Timer(after, self._show)
            self._timer.daemon = True

    def _show(self) -> None:
        from rich.progress import (
            BarColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TimeElapsedColumn(),
            console=self._console,
            transient=True,
        )
        with self._lock:
            if not self._done:
                self._task = progress.add_task(self._label, total=self._total)
                progress.advance(self._task, self._advanced)
                for task in progress.tasks:  # the clock counts from the start of the work
                    task.start_time = self._began
                progress.start()
                self._progress = progress

    def __enter__(self) -> LateProgress:
        if self._timer is not None:
            self._timer.start()
        return self

    def advance(self, amount: float) -> None:
        with self._lock:
            if self._progress is None or self._task is None:
                self._advanced += amount
            else:
                self._progress.advance(self._task, amount)

    def __exit__(self, *exc: object) -> None:
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            self._done = True
            if self._progress is not None:
                self._progress.stop()


def _counted(windows: Iterator[Window], bar: LateProgress) -> Iterator[Window]:
    for w in windows:
        yield w
        bar.advance(w.length)


def run_one(
    path: Path, out_dir: str | None, write: bool, progress_console: Console, jobs: int = 1
) -> Report:
    """The report for one input (``-`` is standard input); a large text's windows go to
    ``jobs`` worker processes. Raises :class:`RunError`."""
    from ..inputs.files import Export, read_stream_bounded, read_text_bounded
    from ..pipeline import WorkerError, run, run_windows, worker_pool

    name = "stdin" if str(path) == "-" else str(path)
    try:
        if name == "stdin":
            if sys.stdin.isatty():
                sys.stderr.write(STDIN_HINT)
            loaded: bytes | Iterator[Window] | Export = read_stream_bounded(sys.stdin.buffer)
            size = 0  # counted as the windows are read
        else:
            loaded = read_text_bounded(path)
            size = path.stat().st_size
    except OSError as exc:
        raise RunError(f"cannot read the input {name}: {exc.strerror or exc}") from None
    label = f"{'decoding' if write else 'scanning'} {path.name or name}"
    # a bar over the windows of a large text; a running display for an input read whole (or
    # split by its structure: a chat export in JSON, whose messages go to the workers)
    whole = isinstance(loaded, bytes | Export)
    total = None if name == "stdin" or whole else size
    many = not isinstance(loaded, bytes) and jobs > 1
    try:
        # the workers start before the display's thread does: they may then be forked
        with (
            worker_pool(jobs) if many else nullcontext() as pool,
            LateProgress(progress_console, label, total, PROGRESS_AFTER) as bar,
        ):
            if isinstance(loaded, bytes):
                return run(loaded, out_dir=out_dir, name=name, repair=write)
            if isinstance(loaded, Export):
                return run(loaded, out_dir, name, write, jobs=jobs, pool=pool)
            windows = _counted(loaded, bar)
            return run_windows(
                windows, out_dir, name, repair=write, size=size, jobs=jobs, pool=pool
            )
    except OSError as exc:
        from ..batch import os_error_text  # the batch module is not needed otherwise

        raise RunError(os_error_text(exc, name, out_dir)) from None
    except WorkerError as exc:
        raise RunError(f"{name}: {exc}") from None
