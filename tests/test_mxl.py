"""MXL: the dev zips, cut zips, zip bombs and path tricks."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import mido
import pytest

from midiforensics.formats.mxl import read_mxl

FIX = Path(__file__).parent / "fixtures" / "musicxml"
EXPECTED = json.loads((FIX / "expected.json").read_text())
MXL_CASES = sorted(k for k in EXPECTED if k.endswith(".mxl"))
CONTAINER = (
    '<?xml version="1.0"?><container><rootfiles><rootfile full-path="{}"/></rootfiles></container>'
)


HEAD = (
    '<score-partwise version="4.0"><part-list><score-part id="P1"><part-name>A</part-name>'
    '</score-part></part-list><part id="P1"><measure number="1"><attributes><divisions>1'
    "</divisions></attributes>"
)
TAIL = "</measure></part></score-partwise>"


def note(step: str) -> str:
    return (
        f"<note><pitch><step>{step}</step><octave>4</octave></pitch><duration>1</duration></note>"
    )


def midi_pitches(midi: bytes) -> list[int]:
    mf = mido.MidiFile(file=io.BytesIO(midi))
    on = [
        (t, m.note) for tr in mf.tracks for t, m in _timed(tr) if m.type == "note_on" and m.velocity
    ]
    return [p for _, p in sorted(on)]


def _timed(track: mido.MidiTrack) -> list[tuple[int, mido.Message]]:
    t, out = 0, []
    for m in track:
        t += m.time
        out.append((t, m))
    return out


def make_zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, body in members.items():
            zf.writestr(name, body)
    return buf.getvalue()


@pytest.mark.parametrize("name", MXL_CASES)
def test_dev_mxl(name: str) -> None:
    r = read_mxl((FIX / name).read_bytes())
    assert r is not None and r.verdict == "intact"
    assert midi_pitches(r.midi) == EXPECTED[name][0]


@pytest.mark.parametrize("name", MXL_CASES)
def test_cut_zip_still_gives_leading_notes(name: str) -> None:
    data = (FIX / name).read_bytes()
    r = read_mxl(data[: len(data) - 250])  # central directory and the score's tail lost
    assert r is not None and r.verdict == "salvaged"
    got, want = midi_pitches(r.midi), EXPECTED[name][0]
    assert got and got == want[: len(got)]
    assert {"zip-directory", "truncated"} <= {x.kind for x in r.repairs}


def test_root_file_from_container_and_parent_paths_ignored() -> None:
    good = (HEAD + note("E") + TAIL).encode()
    evil = (HEAD + note("C") + TAIL).encode()
    data = make_zip(
        {
            "META-INF/container.xml": CONTAINER.format("music/real.xml").encode(),
            "../evil.xml": evil,
            "music/real.xml": good,
        }
    )
    r = read_mxl(data)
    assert r is not None and midi_pitches(r.midi) == [64]
    only_evil = make_zip(
        {"META-INF/container.xml": CONTAINER.format("../evil.xml").encode(), "../evil.xml": evil}
    )
    assert read_mxl(only_evil) is None


def test_without_container_first_score_is_read() -> None:
    r = read_mxl(make_zip({"a.musicxml": (HEAD + note("G") + TAIL).encode()}))
    assert r is not None and midi_pitches(r.midi) == [67]


def test_zip_bomb_member_refused() -> None:
    bomb = (HEAD + note("G") + TAIL).encode() + b" " * 20_000_000
    data = make_zip({"META-INF/container.xml": CONTAINER.format("s.xml").encode(), "s.xml": bomb})
    assert len(data) < 100_000
    assert read_mxl(data) is None


def test_utf16_member() -> None:
    body = ('<?xml version="1.0" encoding="UTF-16"?>' + HEAD + note("A") + TAIL).encode("utf-16")
    r = read_mxl(make_zip({"s.musicxml": body}))
    assert r is not None and midi_pitches(r.midi) == [69]


@pytest.mark.parametrize(
    "data", [b"", b"not a zip", b"PK\x03\x04" + b"\x00" * 40, make_zip({"a.txt": b"hello"})]
)
def test_not_mxl(data: bytes) -> None:
    assert read_mxl(data) is None
