"""The report as a versioned JSON document (schema in the README)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
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


def _problem(p: Problem) -> dict[str, Any]:
    return {k: getattr(p, k) for k in _PROBLEM}


class _Records:
    """A report's records as its JSON lists them, each made when it is written (a report of
    thousands of finds is then not held twice over, as records and as text)."""

    def __init__(self, items: Sequence[Any], make: Callable[[Any], dict[str, Any]]) -> None:
        self.items = items
        self.make = make

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return map(self.make, self.items)


def _listed(items: Sequence[Any], make: Callable[[Any], dict[str, Any]]) -> list[dict[str, Any]]:
    return [make(x) for x in items]


def _doc(report: Report, records: Callable[..., Any]) -> dict[str, Any]:
    return {
        "schema": "midiforensics.report",
        "version": SCHEMA_VERSION,
        "input": report.input,
        "size": report.size,
        "out_dir": report.out_dir,
        "verdict": report.verdict,
        "pieces": report.pieces,
        "spans": records(report.spans, _span),
        "blobs": records(report.blobs, _blob),
        "segments": records(report.segments, _segment),
        "artifacts": records(report.artifacts, _artifact),
        "problems": records(report.problems, _problem),
    }


def to_dict(report: Report) -> dict[str, Any]:
    return _doc(report, _listed)


_encode = json.JSONEncoder(ensure_ascii=False).encode  # compact: the C encoder


def dumps(doc: Any, depth: int) -> str:
    """``doc`` as JSON, its dicts and lists laid out one item a line down to ``depth``
    levels and each item below written on one line.

    The same document as ``json.dumps(doc, indent=2)`` gives, but at C speed (``indent``
    makes json use its pure-Python encoder) and still readable by line. Keys are strings.
    """
    return "".join(_pieces(doc, depth, ""))


def _pieces(value: Any, depth: int, pad: str) -> Iterator[str]:
    """:func:`dumps` of ``value`` (indented by ``pad``) in pieces, an item at a time."""
    if depth <= 0 or not value or not isinstance(value, dict | list | _Records):
        yield _encode(list(value) if isinstance(value, _Records) else value)
        return
    inner = pad + "  "
    if isinstance(value, dict):
        pairs: Iterator[tuple[str, Any]] = iter(value.items())
        ends = "{}"
    else:
        pairs = (("", v) for v in value)
        ends = "[]"
    sep = ends[0] + "\n"
    for key, v in pairs:
        yield sep + inner + (f"{_encode(key)}: " if ends == "{}" else "")
        yield from _pieces(v, depth - 1, inner)
        sep = ",\n"
    yield f"\n{pad}{ends[1]}"


REPORT_DEPTH = 2  # a report: a line per key, and a line per span, blob, artifact...


def json_pieces(report: Report) -> Iterator[str]:
    """:func:`to_json` of ``report`` in pieces: a record's line at a time, each record made
    as it is written (write them one by one: the report is never held whole as text)."""
    return _pieces(_doc(report, _Records), REPORT_DEPTH, "")


def to_json(report: Report) -> str:
    return "".join(json_pieces(report))
