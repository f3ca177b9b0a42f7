"""report.json: the same document as an indented dump, laid out one item a line."""

from __future__ import annotations

import binascii
import json
from dataclasses import asdict
from pathlib import Path

import midiforensics
from midiforensics.report.json import REPORT_DEPTH, dumps, to_dict, to_json

from .conftest import make_midi


def test_report_json_is_the_indented_document_one_item_a_line(tmp_path: Path) -> None:
    pieces = [make_midi([60 + k, 64, 67]) for k in range(3)]
    text = "\n\n".join(
        f"Piece {k}:\n```\n{binascii.b2a_base64(p).decode()}```" for k, p in enumerate(pieces)
    )
    report = midiforensics.decode(text, out_dir=str(tmp_path / "out"))
    doc = to_dict(report)
    written = (tmp_path / "out" / "report.json").read_text(encoding="utf-8")
    assert json.loads(written) == doc == json.loads(to_json(report))
    # written a record at a time, the same text as the document laid out at once
    assert written == dumps(doc, REPORT_DEPTH)
    # the records are what dataclasses.asdict makes of them (less the file's bytes)
    for a, d in zip(report.artifacts, doc["artifacts"], strict=True):
        want = asdict(a)
        del want["data"]
        assert json.loads(json.dumps(want)) == d
    for b, d in zip(report.blobs, doc["blobs"], strict=True):
        assert [asdict(r) for r in b.repairs] == d["repairs"]
    # all levels laid out: exactly what json.dumps(indent=2) writes
    assert dumps(doc, 99) == json.dumps(doc, indent=2, ensure_ascii=False)
    lines = written.splitlines()
    midi = [line for line in lines if line.startswith('    {"path"') and '"kind": "midi"' in line]
    assert len(midi) == len(report.artifacts) == 3
    assert all(json.loads(line.rstrip(","))["kind"] == "midi" for line in midi)
