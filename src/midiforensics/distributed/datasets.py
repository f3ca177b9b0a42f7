"""The rows of a dataset task: (row number, id, text) for each message of a range of rows.

Parquet is read with pyarrow, in record batches of the two columns needed, never whole. JSON
Lines is read line by line from the task's byte range with the standard library's parser: a
find must name its row, and pyarrow's JSON reader skips blank lines (so rows lose their line
numbers) and fails a whole block on one malformed line or on a value whose type changes from
one line to the next, where here only that line is reported.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .tasks import DEFAULT_COLUMNS, Task

BATCH_ROWS = 1024


@dataclass(frozen=True)
class Row:
    """One message: its row in the shard, its id ("" when there is none) and its text; or,
    when the row cannot be read, ``error`` says why."""

    row: int
    id: str
    text: str
    error: str = ""


def iter_rows(task: Task) -> Iterator[Row]:
    """The rows of ``task``. Raises ``OSError`` when the shard cannot be read at all and
    ``ValueError`` when it has no such column (the worker reports both)."""
    if task.path.lower().endswith(".parquet"):
        return _parquet_rows(task)
    return _jsonl_rows(task)


def text_of(value: Any) -> str:
    """A message's text: a string as it is, a list of parts (strings or ``{"text": ...}``)
    joined by blank lines, anything else empty."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        parts = [text_of(v) for v in value]
        return "\n\n".join(p for p in parts if p)
    if isinstance(value, dict):
        return text_of(value.get("text", value.get("content")))
    return ""


def _id_of(value: Any) -> str:
    return "" if value is None else str(value)


def _parquet_rows(task: Task) -> Iterator[Row]:
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(task.path)
    names = set(pf.schema_arrow.names)
    column = task.column or next((c for c in DEFAULT_COLUMNS if c in names), None)
    if column is None or column not in names:
        raise ValueError(f"no column {column or ' or '.join(DEFAULT_COLUMNS)!r} in this shard")
    if task.id_column is not None and task.id_column not in names:
        raise ValueError(f"no id column {task.id_column!r} in this shard")
    wanted = [column] + ([task.id_column] if task.id_column else [])
    groups, first = _row_groups(pf, task.start, task.stop)
    row = first
    for batch in pf.iter_batches(batch_size=BATCH_ROWS, row_groups=groups, columns=wanted):
        texts = batch.column(0).to_pylist()
        ids = batch.column(1).to_pylist() if task.id_column else [None] * len(texts)
        for text, ident in zip(texts, ids, strict=True):
            yield Row(row, _id_of(ident), text_of(text))
            row += 1


def _row_groups(pf: Any, start: int, stop: int) -> tuple[list[int], int]:
    """The row groups holding rows ``start`` to ``stop`` (-1: to the end) and the first one's
    first row (the planner cuts at row-group boundaries)."""
    groups: list[int] = []
    row = 0
    first = -1
    for g in range(pf.metadata.num_row_groups):
        n = pf.metadata.row_group(g).num_rows
        if row >= start and (stop < 0 or row < stop):
            groups.append(g)
            first = row if first < 0 else first
        row += n
    return groups, max(first, start)


def _jsonl_rows(task: Task) -> Iterator[Row]:
    column = task.column or "content"
    with open(task.path, "rb") as fh:
        fh.seek(task.first_byte)
        pos = task.first_byte
        row = task.start
        while pos < task.last_byte or task.last_byte <= 0:
            line = fh.readline()
            if not line:
                return
            pos += len(line)
            yield _jsonl_row(row, line, column, task.id_column)
            row += 1


def _jsonl_row(row: int, line: bytes, column: str, id_column: str | None) -> Row:
    raw = line.strip()
    if not raw:
        return Row(row, "", "")
    try:
        obj = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        return Row(row, "", "", f"not a JSON line: {exc}")
    if not isinstance(obj, dict):
        return Row(row, "", "", "not a JSON object")
    ident = _id_of(obj.get(id_column)) if id_column else ""
    if column not in obj:
        return Row(row, ident, "", f"no {column!r} field")
    return Row(row, ident, text_of(obj[column]))
