"""The report as a versioned JSON document (schema in the README)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from .models import SCHEMA_VERSION, Artifact, Blob, Repair, Report, Segment, Span


def _repair(r: Repair) -> dict[str, Any]:
    return asdict(r)


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
    return asdict(s)


def _artifact(a: Artifact) -> dict[str, Any]:
    d = asdict(a)
    del d["data"]  # the file itself is in the folder (or in the Python object), not the report
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
        "problems": [asdict(p) for p in report.problems],
    }


def to_json(report: Report) -> str:
    return json.dumps(to_dict(report), indent=2, ensure_ascii=False)
