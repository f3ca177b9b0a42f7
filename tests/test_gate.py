"""The gate and the windows of large texts: searching only where the cheap pass says something
may be must find what a search of a paste on its own finds, and several worker processes must
give what one gives."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from midiforensics import decode, gate
from midiforensics.cli.app import app
from midiforensics.inputs import files as input_files
from midiforensics.inputs.files import iter_windows
from midiforensics.pipeline import run_windows
from midiforensics.report.json import to_dict

from .conftest import CORPUS, make_midi, midi_notes, needs_corpus

FIXTURES = Path(__file__).parent / "fixtures"

# two kinds of long prose around a paste: short paragraphs, and one very long line
FILLS = {
    "paragraphs": "We talked about the weather, the harvest and the road north.\n\n" * 5000,
    "one-line": "Sure! Here is what you asked for; let me know what else you need. " * 5000
    + "\n\n",
}


def _pastes() -> list[tuple[str, str]]:
    """Real inputs (the corpora's formats and real-world pastes, every handler's fixtures):
    one of each kind of file, so that the test stays a few seconds long."""
    out: list[tuple[str, str]] = []
    for folder in ("formats", "realworld", "seed"):
        for f in sorted((CORPUS / folder).glob("*.txt")):
            out.append((f"{folder}/{f.name}", f.read_text(encoding="utf-8", errors="replace")))
    dev = sorted((CORPUS / "dev").glob("*.txt"))
    kinds: dict[str, Path] = {}
    for f in dev:
        kinds.setdefault(f.name.rsplit("_", 1)[0], f)
    out += [(f"dev/{f.name}", f.read_text(encoding="utf-8")) for f in kinds.values()]
    for cases in sorted(FIXTURES.glob("*/cases.json")):
        for k, case in enumerate(json.loads(cases.read_text())):
            if isinstance(case.get("input"), str):
                out.append((f"{cases.parent.name}#{k}", case["input"]))
    return [(name, text) for name, text in out if len(text) < gate.GATE_MIN // 2]


def _pieces(text: str) -> list[str]:
    """The notes of every playable piece ``decode`` makes of ``text``, as comparable keys."""
    report = decode(text, strict=True)
    return sorted(
        hashlib.sha256(repr(midi_notes(a.data)).encode()).hexdigest()
        for a in report.artifacts
        if a.kind == "midi" and a.notes > 0 and a.data is not None
    )


PASTES = _pastes()


@needs_corpus
def test_the_pastes_cover_every_text_handler_and_finder() -> None:
    """The sample below holds a find of each kind the gate has anchors for."""
    assert len(PASTES) > 40
    assert any(name.startswith("formats/") for name, _ in PASTES)


@needs_corpus
@pytest.mark.parametrize("fill", sorted(FILLS))
def test_a_paste_gives_the_same_music_alone_and_inside_a_long_text(fill: str) -> None:
    """Inside hundreds of KB of prose the gate, not a full search, decides where to look."""
    around = FILLS[fill]
    missed = []
    for name, text in PASTES:
        alone = _pieces(text)
        inside = around + text + "\n\n" + around
        assert len(inside) > gate.GATE_MIN
        if _pieces(inside) != alone:
            missed.append(name)
    assert not missed


def test_the_gate_marks_little_of_a_long_text_and_finds_every_blob() -> None:
    import base64

    rng = random.Random(5)
    parts, blobs = [], []
    for _ in range(40):
        data = make_midi([rng.randint(50, 80) for _ in range(12)])
        blobs.append(data)
        b64 = base64.b64encode(data).decode()
        parts.append("Some prose about it. " * 400 + "\n\n")
        parts.append(f"```\n{b64}\n```\n\n")
    text = "".join(parts)
    marked = gate.regions(text)
    assert marked is not None
    assert sum(hi - lo for lo, hi, _ in marked) < len(text) // 5
    found = {b.data for b in decode(text).blobs}
    assert set(blobs) <= found


def test_the_standard_library_engine_marks_what_re2_marks() -> None:
    """Without the native engine (no wheel for the platform) the same expression runs in re."""
    text = "".join(FILLS["paragraphs"][:3000] + t for _, t in PASTES[:60])
    text = text * (gate.GATE_MIN // len(text) + 1)
    assert gate.regions(text, native=False) == gate.regions(text, native=True)


def _big_input(tmp_path: Path) -> Path:
    """A text of many small windows: fenced base64 MIDI (some pasted twice, in far-apart
    windows), a zip of two MIDI files, ABC and prose."""
    import base64
    import io
    import zipfile

    rng = random.Random(9)
    midis = [make_midi([rng.randint(48, 84) for _ in range(8)]) for _ in range(30)]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a.mid", midis[0])
        z.writestr("b.mid", make_midi([60, 62, 64, 65]))
    parts = []
    for k in range(90):
        parts.append(f"## Answer {k}\n\n" + "Here is the next one, as you asked. " * 60 + "\n\n")
        if k % 7 == 3:
            parts.append(f"```\n{base64.b64encode(buf.getvalue()).decode()}\n```\n\n")
        elif k % 11 == 5:
            parts.append("X:1\nT:Tune\nM:4/4\nL:1/8\nK:G\nGABc dedB|GABc d2d2|\n\n")
        parts.append(f"```\n{base64.b64encode(midis[k % len(midis)]).decode()}\n```\n\n")
    f = tmp_path / "big.md"
    f.write_text("".join(parts))
    return f


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name != "report.json"}


@pytest.mark.parametrize("repair", [False, True])
def test_windows_in_two_processes_give_what_one_gives(tmp_path: Path, repair: bool) -> None:
    src = _big_input(tmp_path)
    size = src.stat().st_size
    reports, written = [], []
    for jobs in (1, 2):
        out = tmp_path / f"out{jobs}"
        windows = iter_windows(src, size=12_000)
        report = run_windows(windows, str(out) if repair else None, "big", repair, size, jobs)
        reports.append(json.dumps(to_dict(report)).replace(str(out), "OUT"))
        written.append(_files(out) if repair else {})
    one, two = reports
    assert one == two
    assert written[0] == written[1]
    doc = json.loads(one)
    assert any(p["kind"] == "duplicate" for p in doc["problems"])  # a blob pasted again
    assert len(doc["blobs"]) > 30


def test_mf_decode_of_a_large_text_is_the_same_with_one_job_or_two(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(input_files, "WINDOW_CHARS", 12_000)  # many windows
    src = _big_input(tmp_path)
    runner = CliRunner()
    outs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"o{jobs}"
        result = runner.invoke(app, ["decode", str(src), "-o", str(out), "--jobs", jobs])
        assert result.exit_code == 0, result.output
        outs.append(_files(out))
    assert outs[0] == outs[1]
    assert sum(name.endswith(".mid") for name in outs[0]) > 30
    result = runner.invoke(app, ["scan", str(src)])  # the default: one job a core
    assert result.exit_code == 0 and "midi" in result.output
    result = runner.invoke(app, ["scan", str(src), "--jobs", "0"])
    assert result.exit_code == 2 and "at least 1" in result.output
