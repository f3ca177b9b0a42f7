"""The worker's side: run one task with the same pipeline as one process, write its files into
a temporary folder, then rename that folder into place.

A task's folder is named from its input and location (:attr:`Task.folder`), so a task that is
run again because its worker died writes to the same place: a run that finds the final folder
already complete (it holds the manifest ``.mf-task.json``, written last) keeps it, returns the
rows recorded there and discards its own copy. Temporary folders left by a dead attempt are
removed once the final folder is in place. A folder of that name that mf did not write is
never touched: the task fails and says so.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .tasks import Task

if TYPE_CHECKING:
    from ..report.models import Report

MANIFEST = ".mf-task.json"
MAX_UNREAD = 5
TMP_PREFIX = ".tmp-"
_HEX = re.compile(r"[0-9a-f]{32}")
FIELDS = (
    "input",
    "shard",
    "row",
    "id",
    "location",
    "kind",
    "notes",
    "tracks",
    "seconds",
    "verdict",
    "confidence",
    "file",
)


def run_task(task: Task, out_root: str | None, write: bool = True) -> dict[str, Any]:
    """Run ``task``; return ``{"rows": [...], "summary": {...}}``: one row per piece (the
    :data:`FIELDS`, ``file`` relative to ``out_root``) and the task's counts. ``write=False``
    scans only and writes nothing. Never raises for bad input."""
    if not write or out_root is None:
        return _safe_run(task, None, None)
    root = Path(out_root)
    final = root / task.folder
    done = _manifest(final)
    if done is not None:
        _remove_temporaries(final, None)
        return done
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.parent / f"{TMP_PREFIX}{final.name}-{uuid.uuid4().hex}"
    tmp.mkdir()
    try:
        result = _safe_run(task, tmp, task.folder)
        try:
            result = _place(tmp, final, result)
        except OSError as exc:
            result["summary"]["errors"].append(f"cannot write the output {final}: {exc.strerror}")
            result["rows"] = []
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    _remove_temporaries(final, tmp)
    return result


def _safe_run(task: Task, tmp: Path | None, folder: str | None) -> dict[str, Any]:
    from ..batch import os_error_text

    rows: list[dict[str, Any]] = []
    summary = _summary(task)
    try:
        _run(task, tmp, folder, rows, summary)
    except OSError as exc:
        summary["errors"].append(os_error_text(exc, task.path, str(tmp) if tmp else None))
    except MemoryError:
        summary["errors"].append("out of memory")
    except Exception as exc:  # noqa: BLE001 - one task's failure must not end the run
        summary["errors"].append(f"{type(exc).__name__}: {exc}")
    return {"rows": rows, "summary": summary}


def _summary(task: Task) -> dict[str, Any]:
    return {
        "input": task.path,
        "folder": task.folder,
        "unit": "rows" if task.kind == "rows" else "windows",
        "pieces": 0,
        "blobs": 0,
        "repairs": 0,
        "found": False,
        "verdicts": [],
        "errors": [],
        "unread_rows": 0,  # rows that could not be read (and the first few reasons)
        "unread": [],
    }


def _run(
    task: Task, tmp: Path | None, folder: str | None, rows: list[dict[str, Any]], s: dict[str, Any]
) -> None:
    from .. import pipeline
    from ..inputs.files import Export, iter_windows, read_text_bounded

    write = tmp is not None
    path = Path(task.path)
    if task.kind == "rows":
        _run_rows(task, tmp, folder, rows, s)
        return
    if task.kind == "window":
        window = next(
            w for i, w in enumerate(iter_windows(path, task.window_chars)) if i == task.index
        )
        size = path.stat().st_size
        report = pipeline.run_windows([window], _dir(tmp), task.path, repair=write, size=size)
    else:
        if path.is_dir():
            raise IsADirectoryError(21, "is a folder", task.path)
        data = read_text_bounded(path, task.window_chars)
        if isinstance(data, bytes | Export):
            report = pipeline.run(data, out_dir=_dir(tmp), name=task.path, repair=write)
        else:
            size = path.stat().st_size
            report = pipeline.run_windows(data, _dir(tmp), task.path, repair=write, size=size)
    _add(report, task, -1, "", tmp, folder, rows, s)


def _run_rows(
    task: Task, tmp: Path | None, folder: str | None, rows: list[dict[str, Any]], s: dict[str, Any]
) -> None:
    from .. import pipeline
    from ..write import safe_name
    from .datasets import iter_rows

    for r in iter_rows(task):
        if r.error:
            s["unread_rows"] += 1
            if len(s["unread"]) < MAX_UNREAD:
                s["unread"].append(f"row {r.row}: {r.error}")
            continue
        if not r.text.strip():
            continue
        unit = f"r{r.row:07d}" + (f"-{safe_name(r.id)[:40]}" if r.id else "")
        out = tmp / unit if tmp is not None else None
        name = f"{task.shard} row {r.row}" + (f" id {r.id}" if r.id else "")
        report = pipeline.run(r.text, out_dir=_dir(out), name=name, repair=tmp is not None)
        _add(report, task, r.row, r.id, out, f"{folder}/{unit}" if folder else None, rows, s)


def _dir(p: Path | None) -> str | None:
    return None if p is None else str(p)


def _add(
    report: Report,
    task: Task,
    row: int,
    ident: str,
    unit_dir: Path | None,
    folder: str | None,
    rows: list[dict[str, Any]],
    s: dict[str, Any],
) -> None:
    """Count ``report`` into the summary and add one row per piece it wrote."""
    s["pieces"] += report.pieces
    s["blobs"] += len(report.blobs)
    s["repairs"] += len(report.repairs)
    found = report.pieces > 0 or report.music_found
    s["found"] = s["found"] or found
    if found or task.kind != "rows":
        s["verdicts"].append(report.verdict)
    pieces: dict[int, list[Any]] = {}
    for a in report.artifacts:
        if a.piece is not None:
            pieces.setdefault(a.piece, []).append(a)
    for arts in pieces.values():
        midi = next((a for a in arts if a.kind == "midi"), arts[0])
        kinds = [a.kind for a in arts]  # the score's own format before its MusicXML and MIDI
        kind = next((k for k in kinds if k not in ("midi", "musicxml")), None)
        kind = kind or ("musicxml" if "musicxml" in kinds else "midi")
        rows.append(
            {
                "input": task.path,
                "shard": task.shard,
                "row": row,
                "id": ident,
                "location": midi.source,
                "kind": kind,
                "notes": midi.notes,
                "tracks": midi.tracks,
                "seconds": float(midi.seconds),
                "verdict": midi.verdict,
                "confidence": float(midi.confidence),
                "file": _relocated(midi.path, unit_dir, folder),
            }
        )


def _relocated(path: str, unit_dir: Path | None, folder: str | None) -> str:
    """Where a file written under the temporary folder will be, relative to the output root."""
    if not path or unit_dir is None or folder is None:
        return ""
    return f"{folder}/{os.path.relpath(path, unit_dir.resolve())}"


def _manifest(folder: Path) -> dict[str, Any] | None:
    """The result recorded in a complete task folder, or None when there is none."""
    try:
        doc = json.loads((folder / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or "rows" not in doc or "summary" not in doc:
        return None
    return doc


def _place(tmp: Path, final: Path, result: dict[str, Any]) -> dict[str, Any]:
    """Rename ``tmp`` to ``final`` (after writing the manifest into it), or keep the complete
    ``final`` another attempt placed first. A task that wrote nothing places nothing."""
    if not any(tmp.iterdir()):
        return result
    (tmp / MANIFEST).write_text(json.dumps(result, ensure_ascii=False), "utf-8")
    try:
        os.rename(tmp, final)
        return result
    except OSError:
        done = _manifest(final)
        if done is not None:
            return done
        raise FileExistsError(17, "exists and was not written by this task", str(final)) from None


def _remove_temporaries(final: Path, ours: Path | None) -> None:
    """Remove the temporary folders of earlier attempts at this task (their worker died)."""
    prefix = f"{TMP_PREFIX}{final.name}-"
    try:
        stale = list(final.parent.glob(f"{prefix}*"))
    except OSError:
        return
    for p in stale:
        attempt = p.name[len(prefix) :]
        if p != ours and len(attempt) == 32 and _HEX.fullmatch(attempt) and p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
