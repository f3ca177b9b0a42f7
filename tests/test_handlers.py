"""Every format handler (``formats.HANDLERS``) and every encoding finder (``locate.FINDERS``)
has a fixture folder, and every case in it comes out as its ``cases.json`` says: the piece's
kind (and the encoding of the run it came from), its notes (read back from the written MIDI
with mido), its verdict and the kinds of repair made. A case with ``notes: 0`` must yield no
piece."""

from __future__ import annotations

import json
from pathlib import Path

import mido
import pytest

import midiforensics
from midiforensics.formats import HANDLERS
from midiforensics.locate import FINDERS

FIXTURES = Path(__file__).parent / "fixtures"
NAMES = [h.name for h in HANDLERS] + [f.name for f in FINDERS]


def _cases() -> list[tuple[str, dict[str, object]]]:
    out = []
    for name in NAMES:
        manifest = FIXTURES / name / "cases.json"
        if manifest.is_file():
            out.extend((name, case) for case in json.loads(manifest.read_text()))
    return out


@pytest.mark.parametrize("name", NAMES)
def test_every_handler_has_fixtures(name: str) -> None:
    manifest = FIXTURES / name / "cases.json"
    assert manifest.is_file(), f"handler {name} has no tests/fixtures/{name}/cases.json"
    cases = json.loads(manifest.read_text())
    assert cases, f"tests/fixtures/{name}/cases.json lists no case"
    for case in cases:
        assert (FIXTURES / name / case["input"]).is_file(), case["input"]


@pytest.mark.parametrize(
    ("name", "case"), _cases(), ids=lambda c: str(c) if isinstance(c, str) else c["input"]
)
def test_handler_fixture(name: str, case: dict[str, object], tmp_path: Path) -> None:
    data = (FIXTURES / name / str(case["input"])).read_bytes()
    report = midiforensics.decode(data, out_dir=str(tmp_path / "out"), strict=True)
    midis = [a for a in report.artifacts if a.kind == "midi" and a.notes > 0]
    if case["notes"] == 0:
        assert not midis, f"no piece expected, got {midis}"
        return
    assert len(midis) == 1, [a.path for a in midis]
    piece = midis[0].piece
    assert report.pieces == 1
    sounding = sum(
        1
        for track in mido.MidiFile(midis[0].path).tracks
        for msg in track
        if msg.type == "note_on" and msg.velocity > 0
    )
    assert sounding == case["notes"] == midis[0].notes
    # the handler that made the piece ends its location chain: "... -> mxl (2 repairs)"
    assert f"-> {case['kind']}" in midis[0].source, midis[0].source
    if "encoding" in case:  # the run it was decoded from: "L5:C32 hex -> midi@0 -> midi"
        assert f" {case['encoding']} -> " in midis[0].source, midis[0].source
    if "verdict" in case:
        assert midis[0].verdict == case["verdict"]
    if "repairs" in case:
        made = {r.kind for a in report.artifacts if a.piece == piece for r in a.repairs}
        made |= {r.kind for b in report.blobs for r in b.repairs}
        assert set(case["repairs"]) <= made, made  # type: ignore[arg-type]
