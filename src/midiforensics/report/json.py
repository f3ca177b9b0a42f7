"""The report as a versioned JSON document (schema in the README)."""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

from .models import SCHEMA_VERSION, Artifact, Blob, Problem, Repair, Report, Segment, Span

# the fields of the flat records, in their order (what ``dataclasses.asdict`` gives, without
# its deep copy of every value: thousands of pieces make that the report's main cost)
_REPAIR = tuple(f.name for f in fields(Repair))
_SEGMENT = tuple(f.name for f in fields(Segment))
_PROBLEM = tuple(f.name for f in fields(Problem))
_ARTIFACT = tuple(f.name for f in fields(Artifact) if f.name != "data")  # the file: not here


def _repair(r: Repair) -> dict[str, Any]:
    return {k: getattr(r, k) for k in _REPAIR}


def _span(s: Span) -> dict[str, Any]:
    return {
        "start": s.start,
        "end": s.end,
        "line": s.line,
        "col": s.col,
        "encoding": s.encoding,
        "truncated": s.truncated,
        "origin": s.origin,
        "where": s.where,
    }


def _blob(b: Blob) -> dict[str, Any]:
    return {
        "id": b.id,
        "span": _span(b.span),
        "size": len(b.data),
        "depth": b.depth,
        "parent": b.parent,
        "provenance": b.provenance,
        "lost": [list(x) for x in b.lost],
        "repairs": [_repair(r) for r in b.repairs],
    }


def _segment(s: Segment) -> dict[str, Any]:
    return {k: getattr(s, k) for k in _SEGMENT}


def _artifact(a: Artifact) -> dict[str, Any]:
    d = {k: getattr(a, k) for k in _ARTIFACT}
    d["repairs"] = [_repair(r) for r in a.repairs]
    return d


def to_dict(report: Report) -> dict[str, Any]:
    return {
        "schema": "midiforensics.report",
        "version": SCHEMA_VERSION,
        "input": report.input,
        "size": report.size,
        "out_dir": report.out_dir,
        "verdict": report.verdict,
        "pieces": report.pieces,
        "spans": [_span(s) for s in report.spans],
        "blobs": [_blob(b) for b in report.blobs],
        "segments": [_segment(s) for s in report.segments],
        "artifacts": [_artifact(a) for a in report.artifacts],
        "problems": [{k: getattr(p, k) for k in _PROBLEM} for p in report.problems],
    }


_encode = json.JSONEncoder(ensure_ascii=False).encode  # compact: the C encoder


def dumps(doc: Any, depth: int) -> str:
    """``doc`` as JSON, its dicts and lists laid out one item a line down to ``depth``
    levels and each item below written on one line.

    The same document as ``json.dumps(doc, indent=2)`` gives, but at C speed (``indent``
    makes json use its pure-Python encoder) and still readable by line. Keys are strings.
    """
    return _dumps(doc, depth, "")


def _dumps(value: Any, depth: int, pad: str) -> str:
    if depth <= 0 or not value or not isinstance(value, dict | list):
        return _encode(value)
    inner = pad + "  "
    if isinstance(value, dict):
        items = [f"{inner}{_encode(k)}: {_dumps(v, depth - 1, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    items = [inner + _dumps(v, depth - 1, inner) for v in value]
    return "[\n" + ",\n".join(items) + f"\n{pad}]"


REPORT_DEPTH = 2  # a report: a line per key, and a line per span, blob, artifact...


def to_json(report: Report) -> str:
    return dumps(to_dict(report), REPORT_DEPTH)
