"""Decode inputs and chat datasets on a Dask cluster (``pip install 'midiforensics[dask]'``).

Work is split by file, by window of a large text and by range of rows of a dataset shard
(:mod:`.tasks`); each task runs the same pipeline as one process on a worker
(:mod:`.worker`) and returns one row per piece found::

    from dask.distributed import Client
    import midiforensics.distributed as mfd

    client = Client("tcp://scheduler:8786")
    finds = mfd.decode(["shards/"], "out", client, column="content", id_column="conversation_id")
    finds.compute()  # a pandas DataFrame: input, shard, row, id, location, kind, notes, ...

Dask and pyarrow are imported only here and in the functions that need them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .tasks import Task, expand, plan
from .worker import FIELDS, run_task

if TYPE_CHECKING:
    import dask.dataframe as dd
    import pandas as pd
    import pyarrow as pa

__all__ = ["FIELDS", "Task", "decode", "expand", "finds_table", "plan", "run_task", "submit"]

_INTS = {"row", "notes", "tracks"}
_FLOATS = {"seconds", "confidence"}


def submit(client: Any, tasks: list[Task], out_root: str | None, write: bool = True) -> list[Any]:
    """One future per task (``run_task`` on the cluster); the output root is made absolute so
    that every worker writes to the same place."""
    root = None if out_root is None else os.path.abspath(out_root)
    return list(client.map(run_task, tasks, out_root=root, write=write))


def decode(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    client: Any,
    column: str | None = None,
    id_column: str | None = None,
) -> dd.DataFrame:
    """Decode ``paths`` (files, folders, globs; JSON Lines and Parquet shards with a text
    ``column`` and an ``id_column``) on ``client``'s cluster, writing into ``out_dir`` (a
    folder every worker can write). Returns a Dask DataFrame of finds, one row per piece
    (:data:`FIELDS`; ``file`` is relative to ``out_dir``). The tasks start at once; computing
    the frame waits for them. Paths that name nothing raise ``FileNotFoundError``."""
    import dask.dataframe as dd

    names = (
        [os.fspath(paths)]
        if isinstance(paths, str | os.PathLike)
        else [os.fspath(p) for p in paths]
    )
    out = Path(out_dir)
    files, errors = expand(names, exclude=[out])
    if errors:
        raise FileNotFoundError("; ".join(errors))
    futures = submit(client, plan(files, column, id_column), os.fspath(out))
    frames = client.map(_frame, futures)
    return dd.from_delayed(frames, meta=_frame({"rows": []}), verify_meta=False)


def _frame(result: dict[str, Any]) -> pd.DataFrame:
    """A task's rows as a pandas DataFrame with the columns and types of :data:`FIELDS`."""
    import pandas as pd

    data = {f: [r[f] for r in result["rows"]] for f in FIELDS}
    return pd.DataFrame({f: pd.Series(v, dtype=_dtype(f)) for f, v in data.items()})


def _dtype(field: str) -> str:
    return "int64" if field in _INTS else "float64" if field in _FLOATS else "object"


def finds_table(rows: list[dict[str, Any]]) -> pa.Table:
    """The rows of finds as a pyarrow table (the schema of ``finds.parquet``)."""
    import pyarrow as pa

    types = {
        f: pa.int64() if f in _INTS else pa.float64() if f in _FLOATS else pa.string()
        for f in FIELDS
    }
    schema = pa.schema([(f, types[f]) for f in FIELDS])
    return pa.Table.from_pylist([{f: r[f] for f in FIELDS} for r in rows], schema=schema)
