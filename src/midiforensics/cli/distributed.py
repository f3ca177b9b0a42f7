"""``mf decode/scan --scheduler ADDRESS``: the inputs decoded on a Dask cluster.

The options are declared here and registered in :mod:`.app` with one parameter each; the work
is :mod:`midiforensics.distributed`'s. Progress goes to stderr; Ctrl-C cancels the cluster's
futures and exits 130; ``decode`` writes ``OUT/finds.parquet`` and ``OUT/finds.jsonl`` (the
same rows) and prints the usual summary.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from ..batch import BatchItem

SchedulerOpt = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="Run on a Dask cluster: its scheduler's address (tcp://host:8786), or 'local' "
        "for a cluster on this machine. Needs pip install 'midiforensics[dask]'.",
        metavar="ADDRESS",
    ),
]
ColumnOpt = Annotated[
    str | None,
    typer.Option(
        "--column",
        help="Datasets (JSON Lines, Parquet): the column holding each message's text.",
        metavar="NAME",
    ),
]
IdOpt = Annotated[
    str | None,
    typer.Option(
        "--id", help="Datasets: the column that names each row (conversation_id).", metavar="NAME"
    ),
]

EXIT_FOUND, EXIT_NOTHING, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def _err(msg: str) -> None:
    sys.stderr.write(f"mf: error: {msg}\n")


def run_on_cluster(
    inputs: list[str],
    out: Path | None,
    scheduler: str | None,
    column: str | None,
    id_column: str | None,
    write: bool,
    unsupported: dict[str, bool] | None = None,
) -> int:
    """Run ``inputs`` on the cluster at ``scheduler``; the exit code. ``unsupported``: the
    options given that a cluster run does not offer (a usage error, never ignored)."""
    if not scheduler:
        _err("--column and --id read datasets on a cluster: add --scheduler ADDRESS (or local)")
        return EXIT_USAGE
    given = [name for name, on in (unsupported or {}).items() if on]
    if out is not None and str(out) == "-":
        given.append("-o -")
    if given:
        _err(
            f"{', '.join(given)}: not available with --scheduler (the cluster writes finds.parquet)"
        )
        return EXIT_USAGE
    try:
        import distributed  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError as exc:
        _err(
            f"--scheduler needs dask and pyarrow ({exc.name} is missing): pip install 'midiforensics[dask]'"
        )
        return EXIT_USAGE
    from ..distributed import expand, plan

    if "-" in inputs:
        _err("standard input cannot be sent to a cluster; give files")
        return EXIT_USAGE
    if write and out is None:
        from ..write import safe_name

        out = Path.cwd() / f"{safe_name(Path(inputs[0]).stem)}-recovered"
    if out is not None and out.exists() and not out.is_dir():
        _err(f"output {out} exists and is not a folder")
        return EXIT_USAGE
    files, errors = expand(inputs, exclude=[out] if out else None)
    for e in errors:
        _err(e)
    if errors or not files:
        return EXIT_USAGE
    tasks = plan(files, column, id_column)
    with _CtrlC() as ctrl_c:
        try:
            client, cluster = _connect(scheduler)
        except (OSError, ValueError, TimeoutError) as exc:
            _err(f"cannot reach the Dask scheduler {scheduler}: {exc}")
            return EXIT_USAGE
        try:
            results = _gather(client, tasks, out if write else None, write, ctrl_c)
        except KeyboardInterrupt:
            _err(
                "interrupted; the cluster's tasks are cancelled, the files written so far are kept"
            )
            return EXIT_INTERRUPTED
        finally:
            _close(client, cluster)
    return _finish(results, files, out, write)


class _CtrlC:
    """While a cluster run lasts, Ctrl-C sets a flag that the waiting loop reads, instead of
    raising ``KeyboardInterrupt`` wherever the main thread happens to be (inside Dask's
    callbacks such an exception is swallowed and the run goes on)."""

    def __init__(self) -> None:
        self.pressed = False
        self._before: Any = None

    def _handler(self, signum: int, frame: object) -> None:
        self.pressed = True

    def check(self) -> None:
        if self.pressed:
            raise KeyboardInterrupt

    def __enter__(self) -> _CtrlC:
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            self._before = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc: object) -> None:
        import signal

        if self._before is not None:
            signal.signal(signal.SIGINT, self._before)


def _connect(scheduler: str) -> tuple[Any, Any]:
    """A client of the cluster at ``scheduler``; ``local`` starts a LocalCluster (one
    single-threaded worker process per core) that lives as long as this command."""
    import logging

    from distributed import Client, LocalCluster

    if scheduler == "local":
        import os

        cluster = LocalCluster(
            n_workers=os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=":0",
            silence_logs=logging.CRITICAL,
        )
        return Client(cluster), cluster
    return Client(scheduler, timeout="20s"), None


def _close(client: Any, cluster: Any) -> None:
    try:
        client.close()
        if cluster is not None:
            cluster.close()
    except Exception:  # noqa: BLE001 - closing a broken connection must not hide the result
        pass


def _gather(
    client: Any, tasks: list[Any], out: Path | None, write: bool, ctrl_c: _CtrlC
) -> list[dict[str, Any]]:
    """Every task's result, in task order, with a progress bar on stderr. On Ctrl-C the
    futures are cancelled before ``KeyboardInterrupt`` goes on."""
    from distributed import wait
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ..distributed import submit
    from ..report.rich import make_console

    ctrl_c.check()  # pressed while the cluster started
    futures = submit(client, tasks, None if out is None else str(out), write)
    index = {f.key: i for i, f in enumerate(futures)}
    results: list[dict[str, Any] | None] = [None] * len(futures)
    console = make_console(file=sys.stderr)
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    label = "decoding on the cluster" if write else "scanning on the cluster"
    bar = progress.add_task(label, total=len(futures))
    pending = set(futures)
    try:
        with progress:
            while pending:
                ctrl_c.check()
                try:
                    done, pending = wait(pending, timeout=0.5, return_when="FIRST_COMPLETED")
                except TimeoutError:
                    continue
                for fut in done:
                    i = index[fut.key]
                    results[i] = _result(fut, tasks[i])
                    progress.advance(bar)
    except BaseException:
        client.cancel(futures, force=True)
        raise
    return [r for r in results if r is not None]


def _result(fut: Any, task: Any) -> dict[str, Any]:
    from ..distributed.worker import _summary

    try:
        return dict(fut.result())
    except Exception as exc:  # noqa: BLE001 - the task failed on every worker it was given
        summary = _summary(task)
        summary["errors"].append(f"worker failed: {type(exc).__name__}: {exc}")
        return {"rows": [], "summary": summary}


def _finish(results: list[dict[str, Any]], files: list[Path], out: Path | None, write: bool) -> int:
    from ..batch import summary_table
    from ..report.rich import make_console

    rows = [r for res in results for r in res["rows"]]
    items = _items(results, files, out)
    console = make_console()
    console.print(summary_table(items, write))
    for res in results:
        s = res["summary"]
        for e in s["errors"]:
            _err(f"{s['input']} ({s['folder']}): {e}")
        if s["unread_rows"]:
            more = (
                f" ({'; '.join(s['unread'])}{'; …' if s['unread_rows'] > len(s['unread']) else ''})"
            )
            sys.stderr.write(f"mf: {s['input']}: {s['unread_rows']} rows could not be read{more}\n")
    if write and out is not None:
        try:
            _write_finds(rows, out, console)
        except OSError as exc:
            _err(f"cannot write the output {out}: {exc.strerror or exc}")
            return EXIT_USAGE
    return EXIT_FOUND if any(it.found for it in items) else EXIT_NOTHING


def _items(results: list[dict[str, Any]], files: list[Path], out: Path | None) -> list[BatchItem]:
    """One summary line per input (its tasks' counts together)."""
    import os

    from ..batch import BatchItem

    by_input: dict[str, list[dict[str, Any]]] = {}
    for res in results:
        by_input.setdefault(res["summary"]["input"], []).append(res["summary"])
    items = []
    for f in files:
        ss = by_input.get(os.path.abspath(f), [])
        pieces = sum(s["pieces"] for s in ss)
        errors = [e for s in ss for e in s["errors"]]
        verdicts = [v for s in ss for v in s["verdicts"]]
        unit = ss[0]["unit"] if ss else "rows"
        verdict = (
            verdicts[0]
            if len(verdicts) == 1 and unit != "rows"
            else f"{pieces} playable pieces in {len(verdicts)} {unit}"
        )
        items.append(
            BatchItem(
                path=str(f),
                ok=not errors,
                pieces=pieces,
                blobs=sum(s["blobs"] for s in ss),
                repairs=sum(s["repairs"] for s in ss),
                error="; ".join(errors[:3]) or None,
                out_dir=str(out) if out else None,
                found=any(s["found"] for s in ss),
                verdict=verdict if verdicts else "nothing musical found",
            )
        )
    return items


def _write_finds(rows: list[dict[str, Any]], out: Path, console: Console) -> None:
    """``finds.parquet`` and ``finds.jsonl`` in ``out`` (a free name when a run before left
    them: nothing is overwritten)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from ..distributed import finds_table
    from ..write import Writer

    table = finds_table(rows)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    writer = Writer(out)
    pq_path = writer.write("finds.parquet", sink.getvalue().to_pybytes())
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in table.to_pylist())
    jl_path = writer.write("finds.jsonl", lines.encode("utf-8"))
    console.print(f"{len(rows)} find{'s' if len(rows) != 1 else ''}: {pq_path} and {jl_path.name}")
