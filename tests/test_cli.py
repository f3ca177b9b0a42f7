"""The mf command, through typer's CliRunner, on real inputs."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import mido
import pytest
from typer.testing import CliRunner

from midiforensics import __version__
from midiforensics.cli.app import app

from .conftest import SAMPLES, make_midi, midi_notes

runner = CliRunner()


def _mids(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.mid"))


def test_version() -> None:
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0
    assert __version__ in res.output


def test_decode_clean_sample_is_byte_identical(tmp_path: Path) -> None:
    text = (SAMPLES / "chat-clean-midi.txt").read_text()
    block = text.split("```base64\n", 1)[1].split("```", 1)[0]
    original = base64.b64decode(block)
    res = runner.invoke(app, ["decode", str(SAMPLES / "chat-clean-midi.txt"), "-o", str(tmp_path)])
    assert res.exit_code == 0, res.output
    (mid,) = _mids(tmp_path)
    assert mid.read_bytes() == original
    assert "1 playable piece" in res.output
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["schema"] == "midiforensics.report"
    assert report["artifacts"][0]["verdict"] == "intact"


def test_decode_json_on_stdout(tmp_path: Path) -> None:
    res = runner.invoke(
        app, ["decode", str(SAMPLES / "chat-clean-midi.txt"), "-o", str(tmp_path), "--json"]
    )
    assert res.exit_code == 0
    doc = json.loads(res.stdout)
    assert doc["version"] == 1
    assert doc["pieces"] == 1
    (span,) = doc["spans"]
    assert (span["line"], span["encoding"]) == (7, "base64")
    midi = [a for a in doc["artifacts"] if a["kind"] == "midi"]
    assert midi[0]["notes"] == 16 and midi[0]["tracks"] == 2


def test_prose_only_blob_finds_no_music(tmp_path: Path) -> None:
    res = runner.invoke(app, ["decode", str(SAMPLES / "prose-only-blob.txt"), "-o", str(tmp_path)])
    assert res.exit_code == 1
    assert _mids(tmp_path) == []
    txt = list(tmp_path.glob("*.txt"))
    assert len(txt) == 1 and "middle C" in txt[0].read_text()


def test_musicxml_in_fence(tmp_path: Path) -> None:
    res = runner.invoke(app, ["decode", str(SAMPLES / "musicxml-in-fence.md"), "-o", str(tmp_path)])
    assert res.exit_code == 0, res.output
    (mid,) = _mids(tmp_path)
    pitches = [p for _, p in midi_notes(mid.read_bytes())]
    assert pitches == [74, 67, 69, 71, 72, 74, 67, 67, 76, 72, 74, 76, 78, 79]
    assert list(tmp_path.glob("*.musicxml"))


def test_second_run_keeps_first_runs_files(tmp_path: Path) -> None:
    sample = str(SAMPLES / "chat-clean-midi.txt")
    assert runner.invoke(app, ["decode", sample, "-o", str(tmp_path)]).exit_code == 0
    first = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    (tmp_path / "report.json").write_text("user's own notes")
    assert runner.invoke(app, ["decode", sample, "-o", str(tmp_path)]).exit_code == 0
    assert (tmp_path / "report.json").read_text() == "user's own notes"
    for name, data in first.items():
        if name != "report.json":
            assert (tmp_path / name).read_bytes() == data
    assert len(_mids(tmp_path)) == 2


def test_default_output_folder_named_after_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    src = tmp_path / "blob.txt"
    src.write_bytes((SAMPLES / "chat-clean-midi.txt").read_bytes())
    assert runner.invoke(app, ["decode", str(src)]).exit_code == 0
    assert _mids(tmp_path / "blob-recovered")


def test_stdin(tmp_path: Path) -> None:
    data = (SAMPLES / "chat-clean-midi.txt").read_bytes()
    res = runner.invoke(app, ["decode", "-", "-o", str(tmp_path)], input=data)
    assert res.exit_code == 0
    assert _mids(tmp_path)


def test_raw_midi_file_is_a_blob(tmp_path: Path) -> None:
    raw = make_midi([60, 64, 67, 72])
    src = tmp_path / "in.mid"
    src.write_bytes(raw)
    out = tmp_path / "out"
    assert runner.invoke(app, ["decode", str(src), "-o", str(out)]).exit_code == 0
    (mid,) = _mids(out)
    assert mid.read_bytes() == raw


def test_several_inputs_get_a_folder_each(tmp_path: Path) -> None:
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    for p, notes in ((a, [60, 62]), (b, [70, 72, 74])):
        p.write_text("Here:\n" + base64.b64encode(make_midi(notes)).decode() + "\n")
    res = runner.invoke(app, ["decode", str(a), str(b), "-o", str(tmp_path / "out")])
    assert res.exit_code == 0
    assert [p for _, p in midi_notes(_mids(tmp_path / "out" / "a")[0].read_bytes())] == [60, 62]
    assert [p for _, p in midi_notes(_mids(tmp_path / "out" / "b")[0].read_bytes())] == [70, 72, 74]


def test_scan_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(app, ["scan", str(SAMPLES / "chat-clean-midi.txt"), "--json"])
    assert res.exit_code == 0
    doc = json.loads(res.stdout)
    assert [s["kind"] for s in doc["segments"]] == ["midi"]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda p: p.write_bytes(b""), 1),
        (lambda p: p.write_bytes(b"\x00" * 1000), 1),
        (lambda p: p.write_bytes(bytes(range(256)) * 50), 1),
        (lambda p: p.write_bytes(b"\xff\xfe\xfa invalid \xc3\x28 utf-8 " * 100), 1),
        (lambda p: p.write_bytes(b"A" * 5_000_000), 1),
        (lambda p: p.write_text("Just words, no music at all.\n" * 100), 1),
        (lambda p: p.mkdir(), 2),
        (lambda p: None, 2),
    ],
    ids=[
        "empty",
        "nul-bytes",
        "binary",
        "invalid-utf8",
        "5MB-of-A",
        "prose",
        "directory",
        "missing",
    ],
)
def test_hostile_inputs_end_cleanly(tmp_path: Path, make, code: int) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "input.txt"
    make(src)
    before = src.read_bytes() if src.is_file() else None
    res = runner.invoke(app, ["decode", str(src), "-o", str(tmp_path / "out")])
    assert res.exit_code == code, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)
    if code == 2:
        assert res.stderr.count("\n") == 1 and res.stderr.startswith("mf: error:")
    if before is not None:
        assert src.read_bytes() == before
    out = tmp_path / "out"
    assert not out.exists() or not _mids(out)


def test_nothing_written_outside_output_folder(tmp_path: Path) -> None:
    # a score whose title and part name try to escape the folder
    xml = (SAMPLES / "musicxml-in-fence.md").read_text()
    xml = xml.replace("Little Minuet", "../../../etc/evil").replace("Piano", "../../x")
    src = tmp_path / "in.md"
    src.write_text(xml)
    out = tmp_path / "out"
    before = set(tmp_path.rglob("*"))
    assert runner.invoke(app, ["decode", str(src), "-o", str(out)]).exit_code == 0
    new = set(tmp_path.rglob("*")) - before
    assert new and all(out in p.parents or p == out for p in new)


def test_written_midi_loads_with_plain_mido(tmp_path: Path) -> None:
    runner.invoke(app, ["decode", str(SAMPLES / "musicxml-in-fence.md"), "-o", str(tmp_path)])
    for mid in _mids(tmp_path):
        mido.MidiFile(mid)  # raises if not a valid SMF
    assert os.listdir(tmp_path)


def test_api_decode_can_be_called_again_after_base64() -> None:
    # the API function must not be shadowed by a submodule imported on the first call
    import midiforensics

    text = (SAMPLES / "chat-clean-midi.txt").read_text()
    first = midiforensics.decode(text)
    second = midiforensics.decode(text)
    assert first.pieces == second.pieces == 1


def _b64_text(payload: bytes) -> str:
    return "Here is the file:\n```\n" + base64.b64encode(payload).decode() + "\n```\n"


def test_gzip_bomb_is_refused_and_reported(tmp_path: Path) -> None:
    import gzip

    bomb = gzip.compress(b"\x00" * (80 * 1024 * 1024), compresslevel=9)
    src = tmp_path / "bomb.txt"
    src.write_text(_b64_text(bomb))
    res = runner.invoke(app, ["decode", str(src), "-o", str(tmp_path / "out"), "--json"])
    assert res.exit_code == 1
    doc = json.loads(res.stdout)
    assert any("bomb" in p["message"] for p in doc["problems"])
    assert sum(f.stat().st_size for f in (tmp_path / "out").iterdir()) < 10 * 1024 * 1024


def test_zip_with_traversal_names_writes_only_inside_the_output(tmp_path: Path) -> None:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("../../escape.mid", make_midi([60, 64, 67]))
        zf.writestr("/abs/evil.mid", make_midi([62, 65, 69]))
    src = tmp_path / "in.txt"
    src.write_text(_b64_text(buf.getvalue()))
    out = tmp_path / "deep" / "out"
    res = runner.invoke(app, ["decode", str(src), "-o", str(out)])
    assert res.exit_code == 0
    pitches = sorted(p for m in _mids(out) for _, p in midi_notes(m.read_bytes()))
    assert pitches == [60, 62, 64, 65, 67, 69]
    outside = [p for p in tmp_path.rglob("*") if p.is_file() and out not in p.parents and p != src]
    assert outside == []


def test_hostile_xml_entities_never_reach_the_output(tmp_path: Path) -> None:
    xml = (SAMPLES / "musicxml-in-fence.md").read_text()
    xml = xml.replace(
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<?xml version="1.0"?>\n<!DOCTYPE score-partwise [\n'
        '  <!ENTITY xxe SYSTEM "file:///etc/passwd">\n'
        '  <!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">\n'
        '  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">\n]>',
    ).replace("Little Minuet", "&xxe;&d;")
    src = tmp_path / "in.md"
    src.write_text(xml)
    out = tmp_path / "out"
    res = runner.invoke(app, ["decode", str(src), "-o", str(out), "--json"])
    assert res.exit_code == 0
    assert b"root:" not in res.stdout.encode()
    for f in out.iterdir():
        assert b"root:" not in f.read_bytes()
    (mid,) = _mids(out)
    assert len(midi_notes(mid.read_bytes())) == 14


def test_report_shows_what_a_plain_reader_makes_of_a_damaged_score(tmp_path: Path) -> None:
    # <p> for <pitch>: music21 alone reads every note as C4, with no error
    text = (SAMPLES / "musicxml-in-fence.md").read_text()
    src = tmp_path / "in.md"
    src.write_text(text.replace("<pitch>", "<p>").replace("</pitch>", "</p>"))
    res = runner.invoke(app, ["decode", str(src), "-o", str(tmp_path / "out"), "--json"])
    assert res.exit_code == 0
    midi = [a for a in json.loads(res.stdout)["artifacts"] if a["kind"] == "midi"]
    assert "14 notes: C4 C4 C4" in midi[0]["as_found"]
    assert "repaired: D5 G4 A4 B4 C5" in midi[0]["as_found"]
    assert "a plain reader (music21) gets 14 notes" in res.stderr


def test_seed_blob_gives_its_six_notes_at_the_tempo_its_text_asks_for(tmp_path: Path) -> None:
    res = runner.invoke(
        app, ["decode", str(SAMPLES / "chatgpt-musicxml-blob.txt"), "-o", str(tmp_path), "--json"]
    )
    assert res.exit_code == 0
    doc = json.loads(res.stdout)
    (mid,) = [a for a in doc["artifacts"] if a["kind"] == "midi"]
    assert [p for _, p in midi_notes(Path(mid["path"]).read_bytes())] == [60, 62, 64, 65, 66, 67]
    assert mid["tempo_bpm"] == 120
    tempos = [
        m.tempo for t in mido.MidiFile(mid["path"]).tracks for m in t if m.type == "set_tempo"
    ]
    assert tempos and all(t == mido.bpm2tempo(120) for t in tempos)
    (text,) = [a for a in doc["artifacts"] if a["kind"] == "text"]
    prose = Path(text["path"]).read_text(encoding="utf-8")
    assert prose.rstrip().endswith("You can modify this to achieve the tempo you want.")
    assert "\ufffd" not in prose
    from music21 import converter

    score = converter.parse(str(Path(mid["path"]).with_suffix(".musicxml")))
    assert [n.pitch.midi for n in score.recurse().notes] == [60, 62, 64, 65, 66, 67]


def test_blob_split_over_two_chat_messages_is_joined(tmp_path: Path) -> None:
    midi = make_midi(list(range(50, 90)), tracks=2)
    b64 = base64.b64encode(midi).decode()
    cut = len(b64) // 2 + 1  # mid-frame
    text = (
        "ChatGPT said:\nThe file is long, here is part 1 of 2:\n\n```\n" + b64[:cut] + "\n```\n\n"
        "You said:\ncontinue\n\n"
        "ChatGPT said:\nHere is part 2 of 2:\n\n```\n" + b64[cut:] + "\n```\n"
    )
    src = tmp_path / "chat.md"
    src.write_text(text)
    out = tmp_path / "out"
    res = runner.invoke(app, ["decode", str(src), "-o", str(out), "--json"])
    assert res.exit_code == 0
    (mid,) = _mids(out)
    assert mid.read_bytes() == midi
    assert any(
        r["kind"] == "stitched" for b in json.loads(res.stdout)["blobs"] for r in b["repairs"]
    )


def test_musicxml_tags_quoted_in_a_tutorial_are_not_a_score(tmp_path: Path) -> None:
    src = tmp_path / "tutorial.md"
    src.write_text(
        "# MusicXML basics\n\nA note is written with the `<note>` element. Inside it, `<pitch>` "
        "holds `<step>C</step>` and `<octave>4</octave>`. The `<duration>` is in divisions.\n"
    )
    res = runner.invoke(app, ["decode", str(src), "-o", str(tmp_path / "out")])
    assert res.exit_code == 1
    assert not (tmp_path / "out").exists() or not _mids(tmp_path / "out")


def test_html_page_with_entities_inside_the_blob(tmp_path: Path) -> None:
    midi = make_midi([60, 62, 64, 65, 67, 69, 71, 72] * 3)
    b64 = base64.b64encode(midi).decode()
    assert "+" in b64 or "/" in b64
    escaped = b64.replace("+", "&#43;").replace("/", "&#x2F;")
    src = tmp_path / "page.html"
    src.write_text(f"<html><body><p>Your file:</p><pre>{escaped}</pre></body></html>")
    out = tmp_path / "out"
    assert runner.invoke(app, ["decode", str(src), "-o", str(out)]).exit_code == 0
    (mid,) = _mids(out)
    assert mid.read_bytes() == midi
