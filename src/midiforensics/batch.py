"""Many inputs: folders, globs and lists of files, decoded one by one or in several processes.

- :func:`run_batch` runs the pipeline on each file, one output folder per input, with a progress
  bar on stderr and ``jobs`` worker processes; one input's failure is a :class:`BatchItem` with
  an error, never the end of the batch;
- :func:`summary_table` is the table printed at the end;
- reading inputs (:func:`expand_inputs`, windows of a large text) is in :mod:`.inputs.files`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .inputs.files import Export, Window, read_stream_bounded, read_text_bounded

if TYPE_CHECKING:  # rich is imported only when a table or progress bar is made
    from rich.console import Console, RenderableType

SUMMARY_LINES = 40  # inputs listed at the end of a batch (failures first)


@dataclass(frozen=True)
class BatchItem:
    """What happened to one input of a batch."""

    path: str
    ok: bool
    pieces: int
    blobs: int
    repairs: int
    error: str | None
    out_dir: str | None
    found: bool = False  # music found (a playable piece or music data the report explains)
    verdict: str = ""
    midis: tuple[str, ...] = ()  # MIDI files written
    report: dict[str, Any] | None = field(default=None, repr=False)  # JSON report (json_mode)


# --- inputs ------------------------------------------------------------------------------


# --- running -----------------------------------------------------------------------------


def _out_dirs(files: list[Path], out: Path | None) -> list[Path]:
    """One output folder per input: ``out/<safe stem>`` (``out`` itself for a single input),
    or ``<stem>-recovered`` in the current folder; made unique when two inputs share a stem."""
    from .write import safe_name

    if out is not None and len(files) == 1:
        return [out]
    used: set[str] = set()
    dirs: list[Path] = []
    for f in files:
        stem = "stdin" if str(f) == "-" else f.stem
        base = safe_name(stem) if out is not None else safe_name(stem) + "-recovered"
        name, k = base, 1
        while name.lower() in used:
            k += 1
            name = f"{base}-{k}"
        used.add(name.lower())
        dirs.append((out if out is not None else Path.cwd()) / name)
    return dirs


def os_error_text(exc: OSError, name: str, out_dir: str | None) -> str:
    """Which side failed, in words: writing the output (the failing path lies in the output
    folder) or reading the input."""
    why = exc.strerror or str(exc)
    failed = str(exc.filename or "")
    if out_dir and failed:
        root = os.path.abspath(out_dir)
        full = os.path.abspath(failed)
        if full == root or full.startswith(root + os.sep):
            return f"cannot write the output {failed}: {why}"
    return f"cannot read the input {name}: {why}"


def _fail(path: str, out_dir: str | None, msg: str) -> BatchItem:
    return BatchItem(path, False, 0, 0, 0, msg, out_dir)


def process_one(
    path: str, out_dir: str | None, write: bool = True, json_mode: bool = False, jobs: int = 1
) -> BatchItem:
    """Run the pipeline on one file (in a worker process or in this one; a large text's
    windows, or a large chat export's messages, in ``jobs`` processes). Never raises."""
    try:
        from . import pipeline

        if out_dir is not None and Path(out_dir).exists() and not Path(out_dir).is_dir():
            return _fail(path, out_dir, f"output {out_dir} exists and is not a folder")
        size = 0  # a stream's size is counted as its windows are read
        if path == "-":
            data: bytes | Iterator[Window] | Export = read_stream_bounded(sys.stdin.buffer)
            name = "stdin"
        else:
            p = Path(path)
            if p.is_dir():
                return _fail(path, out_dir, "is a folder")
            data = read_text_bounded(p)
            size = p.stat().st_size
            name = path
        if isinstance(data, bytes | Export):  # an export's messages go to ``jobs`` workers
            report = pipeline.run(data, out_dir=out_dir, name=name, repair=write, jobs=jobs)
        else:
            report = pipeline.run_windows(
                data, out_dir=out_dir, name=name, repair=write, size=size, jobs=jobs
            )
        doc = None
        if json_mode:
            from .report.json import to_dict

            doc = to_dict(report)
        return BatchItem(
            path=path,
            ok=True,
            pieces=report.pieces,
            blobs=len(report.blobs),
            repairs=len(report.repairs),
            error=None,
            out_dir=report.out_dir,
            found=report.pieces > 0 or report.music_found,
            verdict=report.verdict,
            midis=tuple(a.path for a in report.artifacts if a.kind == "midi" and a.path),
            report=doc,
        )
    except OSError as exc:
        return _fail(path, out_dir, os_error_text(exc, path, out_dir))
    except MemoryError:
        return _fail(path, out_dir, "out of memory")
    except Exception as exc:  # noqa: BLE001 - one input's failure must not end the batch
        return _fail(path, out_dir, f"{type(exc).__name__}: {exc}")


def run_batch(
    files: list[Path],
    out: Path | None,
    jobs: int = 1,
    console: Console | None = None,
    json_mode: bool = False,
    write: bool = True,
) -> list[BatchItem]:
    """Run every input; the items come back in the order of ``files``.

    ``write=False`` scans only (``mf scan``): nothing is written, no folders are made. With
    ``jobs > 1`` and several inputs, each input is run in a worker process (spawned, so the
    progress bar's thread is never forked). A progress bar goes to ``console`` when one is
    given (the CLI's, even for one input), else to stderr when there are several inputs.
    """
    if not files:
        return []
    dirs: list[str | None] = (
        [str(d) for d in _out_dirs(files, out)] if write else [None] * len(files)
    )
    results: list[BatchItem | None] = [None] * len(files)
    progress = None
    task = None
    if len(files) > 1 or console is not None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        if console is None:
            from .report.rich import make_console

            console = make_console(file=sys.stderr)
        progress = Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,  # no bar in logs and pipes
        )
        progress.start()
        task = progress.add_task("decoding" if write else "scanning", total=len(files))
    try:
        if jobs > 1 and len(files) > 1 and "-" not in {str(f) for f in files}:
            _run_pool(files, dirs, jobs, write, json_mode, results, progress, task)
        else:
            for i, f in enumerate(files):
                if progress is not None and task is not None:
                    progress.update(task, description=_short(str(f)))
                results[i] = process_one(str(f), dirs[i], write, json_mode, jobs)
                if progress is not None and task is not None:
                    progress.advance(task)
    finally:
        if progress is not None:
            progress.stop()
    return [
        r if r is not None else _fail(str(f), d, "not run")
        for r, f, d in zip(results, files, dirs, strict=True)
    ]


def ignore_sigint() -> None:
    """In a worker: Ctrl-C on the terminal reaches every process of the group; the parent
    handles it (and ends the workers), so the workers print nothing."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_pool(
    files: list[Path],
    dirs: list[str | None],
    jobs: int,
    write: bool,
    json_mode: bool,
    results: list[BatchItem | None],
    progress: Any,
    task: Any,
) -> None:
    """Run the inputs in worker processes. On Ctrl-C (or any other way out) the queued inputs
    are dropped and the running workers are ended at once, not waited for."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    ctx = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(
        max_workers=min(jobs, len(files)), mp_context=ctx, initializer=ignore_sigint
    )
    try:
        futures = {
            pool.submit(process_one, str(f), dirs[i], write, json_mode): i
            for i, f in enumerate(files)
        }
        for fut in as_completed(futures):
            i = futures[fut]
            try:
                results[i] = fut.result()
            except Exception as exc:  # noqa: BLE001 - a worker died (killed, out of memory)
                results[i] = _fail(
                    str(files[i]), dirs[i], f"worker failed: {type(exc).__name__}: {exc}"
                )
            if progress is not None:
                progress.update(task, description=_short(str(files[i])))
                progress.advance(task)
    except BaseException:
        _end_workers(pool)
        raise
    pool.shutdown(wait=True)


def _end_workers(pool: Any) -> None:
    """Stop a process pool now: cancel what is queued and terminate the running workers
    (``ProcessPoolExecutor`` offers no public way to end a running task)."""
    processes = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        proc.terminate()
    for proc in processes:
        proc.join(timeout=2)


def _short(s: str, n: int = 40) -> str:
    return s if len(s) <= n else "…" + s[-(n - 1) :]


def summary_table(items: list[BatchItem], write: bool = True) -> RenderableType:
    """The end of a batch: a title line with the totals (pieces *recovered* by ``decode``,
    inputs with music *found* by ``scan``), then one wrapped line per input, its path relative
    to the inputs' common folder, so that no path is cut at any width; failures first, at
    most :data:`SUMMARY_LINES` lines."""
    from rich.console import Group
    from rich.padding import Padding
    from rich.text import Text

    failures = sum(1 for it in items if not it.ok)
    pieces = sum(it.pieces for it in items)
    n = len(items)
    if write:
        done = f"{pieces} piece{'s' if pieces != 1 else ''} recovered"
    else:
        found = sum(1 for it in items if it.found)
        done = f"music found in {found} of them"
    paths = [it.path for it in items]
    try:
        common = os.path.commonpath(paths) if n > 1 and "-" not in paths else ""
    except ValueError:
        common = ""
    if common and os.path.isfile(common):
        common = os.path.dirname(common)
    where = f" in {common}" if common else ""
    title = Text(
        f"{n} input{'s' if n != 1 else ''}{where}: {done}, "
        f"{failures} failure{'s' if failures != 1 else ''}",
        style="bold",
    )
    rows: list[RenderableType] = [title]
    shown = [it for it in items if not it.ok] + [it for it in items if it.ok]
    hidden = max(0, len(shown) - SUMMARY_LINES)
    for it in shown[: len(shown) - hidden]:
        name = os.path.relpath(it.path, common) if common else it.path
        line = Text(f"{name}: ")
        if not it.ok:
            line.append(f"failed: {it.error}", style="red")
        else:
            line.append(f"{it.blobs} payload{'s' if it.blobs != 1 else ''}, ")
            line.append(it.verdict or "done", style="green" if it.pieces else "")
        rows.append(Padding(line, (0, 0, 0, 2), expand=False))
    if hidden:
        rows.append(Text(f"  … {hidden:,} more inputs: each one's report.json has it all"))
    return Group(*rows)


__all__ = ["BatchItem", "process_one", "run_batch", "summary_table"]
