"""Split inputs into tasks for a cluster: a small file is one task, a large text is one task
per window (see :func:`batch.iter_windows`), a dataset shard (JSON Lines or Parquet with a text
column) is one task per range of rows.

A task names its own output folder from the input's path and its location in it (never from a
counter), so that a task that is run again (its worker died) writes to the same place.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from ..inputs.files import WINDOW_CHARS, expand_inputs

DATASET_SUFFIXES = frozenset({".parquet", ".jsonl", ".ndjson"})
TASK_BYTES = 32 * 1024 * 1024  # a JSON Lines shard up to this size is one task
PLAN_BLOCK = 1024 * 1024  # read at a time when counting the lines of a large shard
TASK_ROWS_BYTES = 32 * 1024 * 1024  # Parquet row groups are gathered up to this size
DEFAULT_COLUMNS = ("content", "text")  # tried in a Parquet shard when no --column is given


@dataclass(frozen=True)
class Task:
    """One unit of work.

    ``kind`` is ``file`` (the whole input), ``window`` (window ``index`` of a large text) or
    ``rows`` (rows ``start`` to ``stop`` of a dataset shard, ``stop`` -1 for "to the end"; for
    JSON Lines ``first_byte`` and ``last_byte`` bound them in the file).
    """

    path: str  # absolute path of the input, as every worker sees it
    kind: str
    index: int = 0
    start: int = 0
    stop: int = 0
    first_byte: int = 0
    last_byte: int = 0
    column: str | None = None
    id_column: str | None = None
    window_chars: int = WINDOW_CHARS

    @property
    def folder(self) -> str:
        """The task's output folder, relative to the output root: ``<stem>-<hash>`` for a whole
        input, ``<stem>-<hash>/w00003`` for a window, ``<stem>-<hash>/rows-0001000`` for
        the rows from row 1000. Made only of safe characters."""
        from ..write import safe_name

        digest = hashlib.sha1(self.path.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        base = f"{safe_name(Path(self.path).stem)[:60]}-{digest}"
        if self.kind == "window":
            return f"{base}/w{self.index:05d}"
        if self.kind == "rows":
            return f"{base}/rows-{self.start:07d}"
        return base

    @property
    def shard(self) -> str:
        """The dataset shard's name ("" for a plain input)."""
        return Path(self.path).name if self.kind == "rows" else ""


def expand(inputs: list[str], exclude: list[Path] | None = None) -> tuple[list[Path], list[str]]:
    """:func:`batch.expand_inputs`, plus the Parquet shards in the folders given (a folder walk
    takes text files only)."""
    files, errors = expand_inputs(inputs, exclude)
    seen = {str(f.absolute()) for f in files}
    for arg in inputs:
        if Path(arg).is_dir():
            for p in sorted(Path(arg).rglob("*.parquet")):
                if str(p.absolute()) not in seen and not any(s.startswith(".") for s in p.parts):
                    seen.add(str(p.absolute()))
                    files.append(p)
    errors = [e for e in errors if not e.endswith("no input files in this folder") or not files]
    return files, errors


def is_dataset(path: Path, column: str | None) -> bool:
    """A Parquet file always is; a JSON Lines file when a text column is named (otherwise it is
    read as a chat export, as in one process)."""
    suffix = path.suffix.lower()
    return suffix == ".parquet" or (column is not None and suffix in DATASET_SUFFIXES)


def plan(
    files: list[Path],
    column: str | None = None,
    id_column: str | None = None,
    window_chars: int = WINDOW_CHARS,
) -> list[Task]:
    """The tasks for ``files``, in input order. Reads what it must to cut them: the row groups
    of a Parquet file, the line breaks of a large JSON Lines shard, the windows of a large
    text. An unreadable file or shard is one task (its worker reports why)."""
    tasks: list[Task] = []
    for f in files:
        path = os.path.abspath(f)
        try:
            if is_dataset(f, column):
                if f.suffix.lower() == ".parquet":
                    tasks.extend(_parquet_tasks(path, column, id_column))
                else:
                    tasks.extend(_jsonl_tasks(path, column, id_column))
            elif f.stat().st_size > 2 * window_chars:
                tasks.extend(_window_tasks(path, window_chars))
            else:
                tasks.append(Task(path, "file"))
        except (OSError, ValueError):  # the worker reads it again and reports why it cannot
            kind = "rows" if is_dataset(f, column) else "file"
            tasks.append(Task(path, kind, stop=-1, column=column, id_column=id_column))
    return tasks


def _parquet_tasks(path: str, column: str | None, id_column: str | None) -> list[Task]:
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path).metadata
    tasks: list[Task] = []
    start = rows = size = 0
    for g in range(meta.num_row_groups):
        group = meta.row_group(g)
        rows += group.num_rows
        size += group.total_byte_size
        if size >= TASK_ROWS_BYTES or g == meta.num_row_groups - 1:
            tasks.append(
                Task(path, "rows", start=start, stop=rows, column=column, id_column=id_column)
            )
            start, size = rows, 0
    return tasks or [Task(path, "rows", column=column, id_column=id_column)]


def _jsonl_tasks(path: str, column: str | None, id_column: str | None) -> list[Task]:
    """Ranges of whole lines of about :data:`TASK_BYTES`, with the number of their first line."""
    total = os.path.getsize(path)
    if total <= TASK_BYTES:
        return [
            Task(
                path, "rows", start=0, stop=-1, last_byte=total, column=column, id_column=id_column
            )
        ]
    tasks: list[Task] = []
    first_byte = first_row = 0
    row = pos = 0
    with open(path, "rb") as fh:
        while block := fh.read(PLAN_BLOCK):
            row += block.count(b"\n")
            pos += len(block)
            if pos - first_byte >= TASK_BYTES:
                # end the range at the last line break of this block
                cut = pos - (len(block) - block.rfind(b"\n") - 1)
                if block.rfind(b"\n") == -1:
                    continue
                tasks.append(_rows(path, first_row, row, first_byte, cut, column, id_column))
                first_byte, first_row = cut, row
    if first_byte < total:
        tasks.append(_rows(path, first_row, -1, first_byte, total, column, id_column))
    return tasks


def _rows(
    path: str, start: int, stop: int, lo: int, hi: int, column: str | None, id_column: str | None
) -> Task:
    return Task(
        path,
        "rows",
        start=start,
        stop=stop,
        first_byte=lo,
        last_byte=hi,
        column=column,
        id_column=id_column,
    )


def _window_tasks(path: str, window_chars: int) -> list[Task]:
    from ..inputs.files import Export, iter_windows, read_text_bounded

    data = read_text_bounded(Path(path), window_chars)
    # binary, or a structured export (read whole, or split by its structure): one task
    if isinstance(data, bytes | Export):
        return [Task(path, "file", window_chars=window_chars)]
    n = sum(1 for _ in iter_windows(Path(path), window_chars))
    return [Task(path, "window", index=i, window_chars=window_chars) for i in range(n)]
