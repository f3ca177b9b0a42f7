"""The terminal report and CLI manners, checked on captured output at 80 and 120 columns."""

from __future__ import annotations

import base64
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import mido
import pytest
from typer.testing import CliRunner

from midiforensics.cli.app import app

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
SEED = SAMPLES / "chatgpt-musicxml-blob.txt"
PROSE = SAMPLES / "prose-only-blob.txt"


def _mf(args: list[str], width: int = 80) -> tuple[int, str]:
    result = CliRunner().invoke(app, args, env={"COLUMNS": str(width)})
    return result.exit_code, result.output


@pytest.mark.parametrize("width", [80, 120])
def test_seed_default_report_is_short_and_fits(tmp_path: Path, width: int) -> None:
    code, out = _mf(["decode", str(SEED), "-o", str(tmp_path / "o")], width)
    lines = out.splitlines()
    assert code == 0
    assert len(lines) <= 30, out
    assert max(len(ln) for ln in lines) <= width
    assert lines[0].startswith("Verdict: 1 playable piece recovered")
    # a byte of the payload was lost inside the score: salvaged, and the line says so
    assert "6 notes" in out and "salvaged 0." in out
    assert re.search(r"lost:\s+payload\s+bytes", out), out
    assert "01-b64-L1-xml-L1-musicxml.mid" in out  # the file name whole, not folded
    assert "L1:C1 base64 -> text" not in out  # locations relative to the payload


def test_notes_show_the_six_notes_once(tmp_path: Path) -> None:
    code, out = _mf(["decode", str(SEED), "-o", str(tmp_path / "o"), "--notes"])
    assert code == 0
    assert "C4 1  D4 1  E4 1  F4 1  F#4 1  G4 1" in out
    assert max(len(ln) for ln in out.splitlines()) <= 80
    assert "what the repairs changed" not in out  # repairs are not printed twice


def test_details_show_every_repair(tmp_path: Path) -> None:
    code, out = _mf(["decode", str(SEED), "-o", str(tmp_path / "o"), "-v"])
    assert code == 0
    assert max(len(ln) for ln in out.splitlines()) <= 80
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    repairs = [r for b in report["blobs"] for r in b.get("repairs", [])]
    repairs += [r for a in report["artifacts"] for r in a.get("repairs", [])]
    assert f"Repairs ({len({json.dumps(r, sort_keys=True) for r in repairs})})" in out
    for r in repairs:
        assert r["kind"] in out
    assert "Pl → (removed)" in out  # a frame shift says what happened to the characters
    assert "B1 = L1:C1 base64" in out  # the key to relative locations


def test_prose_only_blob_previews_the_words(tmp_path: Path) -> None:
    code, out = _mf(["decode", str(PROSE), "-o", str(tmp_path / "o")])
    assert code == 1
    assert "The decoded text says:" in out
    assert "described the melody" in " ".join(out.split())


def _midi_b64(pitches: list[int]) -> str:
    mid = mido.MidiFile(ticks_per_beat=96)
    track = mido.MidiTrack()
    for p in pitches:
        track += [mido.Message("note_on", note=p, velocity=64, time=0)]
        track += [mido.Message("note_off", note=p, velocity=0, time=96)]
    mid.tracks.append(track)
    buf = io.BytesIO()
    mid.save(file=buf)
    return base64.b64encode(buf.getvalue()).decode()


def test_duplicate_payloads_are_counted_not_listed(tmp_path: Path) -> None:
    blob = _midi_b64([60, 62, 64, 65])
    text = "\n\n".join(f"Try number {i}:\n\n{blob}" for i in range(25))
    src = tmp_path / "many.txt"
    src.write_text(text)
    code, out = _mf(["decode", str(src), "-o", str(tmp_path / "o")])
    assert code == 0
    assert "24 duplicate payloads not written again" in out
    assert len(out.splitlines()) <= 12, out


def test_files_follow_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        code, _ = _mf(["decode", str(SEED), "-o", str(tmp_path / "o")])
    finally:
        os.umask(old)
    assert code == 0
    modes = {p.name: p.stat().st_mode & 0o777 for p in (tmp_path / "o").iterdir()}
    assert modes and set(modes.values()) == {0o644}, modes


def test_dash_o_writes_the_one_midi_to_stdout(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["decode", str(SEED), "-o", "-"])
    assert result.exit_code == 0
    assert result.stdout_bytes.startswith(b"MThd")
    assert not Path("-").exists()
    none = CliRunner().invoke(app, ["decode", str(PROSE), "-o", "-"])
    assert none.exit_code == 1 and none.stdout_bytes == b""
    assert "no piece was recovered" in none.stderr


def test_render_refuses_other_names_and_existing_files(tmp_path: Path) -> None:
    midi = tmp_path / "a.mid"
    midi.write_bytes(base64.b64decode(_midi_b64([60, 64])))
    code, out = _mf(["render", str(midi), "-o", str(tmp_path / "x.mp3")])
    assert code == 2 and "WAV only" in out and not (tmp_path / "x.mp3").exists()
    (tmp_path / "y.wav").write_bytes(b"keep")
    code, out = _mf(["render", str(midi), "-o", str(tmp_path / "y.wav")])
    assert code == 2 and "exists" in out
    assert (tmp_path / "y.wav").read_bytes() == b"keep"


def test_help_manners() -> None:
    for args in (["-h"], ["decode", "-h"], ["show", "-h"], ["render", "-h"]):
        code, out = _mf(args)
        assert code == 0 and "Usage:" in out
        assert "<list[" not in out and "<path>" not in out
    code, out = _mf([str(SEED)])
    assert code == 2 and f"mf decode {SEED}" in " ".join(out.split())


def test_scan_says_found_not_recovered() -> None:
    code, out = _mf(["scan", str(SAMPLES)])
    assert "music found in" in out and "recovered" not in out
    assert max(len(ln) for ln in out.splitlines()) <= 80


def test_ctrl_c_stops_a_batch_at_once(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(64):  # far more work than the wait below, however fast a decode is
        (folder / f"in{i}.txt").write_text(SEED.read_text())
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1] / "src"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "midiforensics", "decode", str(folder), "--jobs", "2"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    while not any(tmp_path.glob("*-recovered")) and time.monotonic() < deadline:
        time.sleep(0.05)  # until the batch is under way: its first output folder is made
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == 130
    assert "Traceback" not in err.decode()
    assert err.decode().count("\n") == 1


def test_report_and_show_agree_on_length_and_tracks(tmp_path: Path) -> None:
    for sample in (SEED, SAMPLES / "chat-clean-midi.txt"):
        out = tmp_path / sample.stem
        code, _ = _mf(["decode", str(sample), "-o", str(out)])
        assert code == 0
        report = json.loads((out / "report.json").read_text())
        piece = next(a for a in report["artifacts"] if a["kind"] == "midi" and a["notes"])
        code, shown = _mf(["show", piece["path"]])
        assert code == 0
        assert f"{piece['seconds']:.1f} s" in shown
        tracks = piece["tracks"]
        assert f"{tracks} track{'s' if tracks != 1 else ''}," in shown


def test_show_png_never_overwrites(tmp_path: Path) -> None:
    midi = tmp_path / "a.mid"
    midi.write_bytes(base64.b64decode(_midi_b64([60, 64, 67])))
    png = tmp_path / "roll.png"
    png.write_bytes(b"keep")
    code, out = _mf(["show", str(midi), "--png", str(png)])
    assert code == 2 and "exists" in out
    assert png.read_bytes() == b"keep"


def test_a_failed_write_is_not_called_a_failed_read(tmp_path: Path) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("a file where a folder is wanted")
    result = CliRunner().invoke(app, ["decode", str(SEED), "-o", str(blocker / "sub")])
    assert result.exit_code == 2
    assert "cannot write the output" in result.stderr and "cannot read" not in result.stderr
    missing = CliRunner().invoke(app, ["decode", str(tmp_path / "nope.txt")])
    assert missing.exit_code == 2 and "no such file" in missing.stderr


def test_piece_line_says_what_was_lost_or_guessed(tmp_path: Path) -> None:
    from dataclasses import replace

    from midiforensics import decode
    from midiforensics.report.models import Repair
    from midiforensics.report.rich import RichRenderer, make_console

    report = decode(SEED.read_bytes(), out_dir=str(tmp_path / "o"))
    lossy = (
        Repair("midi", "delta-time", "unknown delta: 0 taken", offset=9, loss="guessed"),
        Repair("midi", "delta-time", "unknown delta: 0 taken", offset=19, loss="guessed"),
        Repair("midi", "track", "bass track cut off", offset=40, loss="lost"),
    )
    arts = tuple(
        replace(a, repairs=a.repairs + lossy, verdict="salvaged") if a.kind == "midi" else a
        for a in report.artifacts
    )
    buf = io.StringIO()
    RichRenderer().render(replace(report, artifacts=arts), make_console(file=buf, width=80))
    out = " ".join(buf.getvalue().split())
    assert "salvaged 0." in out
    # the seed lost payload bytes inside its score too: both are named
    assert re.search(r"lost: (payload bytes, )?track; guessed: delta time ×2", out), out
