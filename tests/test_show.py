"""Looking at a piece: the summary, piano roll and note list in the terminal, PNG and SVG."""

from __future__ import annotations

import json
import sys
from io import StringIO
from pathlib import Path

import mido
import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from midiforensics.cli.listen import notes_renderable, register
from midiforensics.listen.show import PianoRoll, describe, pitch_name, repairs_from_report
from midiforensics.report.models import Repair

TPB = 480


def waltz(path: Path) -> Path:
    """Two tracks at 90 bpm in 3/4: a violin melody (with an eighth pair) and a drum."""
    mid = mido.MidiFile(ticks_per_beat=TPB)
    melody = mido.MidiTrack()
    melody.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(90)))
    melody.append(mido.MetaMessage("time_signature", numerator=3, denominator=4))
    melody.append(mido.MetaMessage("key_signature", key="G"))
    melody.append(mido.Message("program_change", channel=0, program=40))
    # bar 1: G4 quarter, A4 eighth, B4 eighth, D5 quarter; bar 2: a G4+B4 chord, dotted half
    for pitch, ticks in ((67, 480), (69, 240), (71, 240), (74, 480)):
        melody.append(mido.Message("note_on", channel=0, note=pitch, velocity=80))
        melody.append(mido.Message("note_off", channel=0, note=pitch, time=ticks))
    melody.append(mido.Message("note_on", channel=0, note=67, velocity=80))
    melody.append(mido.Message("note_on", channel=0, note=71, velocity=80))
    melody.append(mido.Message("note_off", channel=0, note=67, time=1440))
    melody.append(mido.Message("note_on", channel=0, note=71, velocity=0))
    drums = mido.MidiTrack()
    for _ in range(6):
        drums.append(mido.Message("note_on", channel=9, note=36, velocity=100))
        drums.append(mido.Message("note_off", channel=9, note=36, time=480))
    mid.tracks.extend([melody, drums])
    mid.save(str(path))
    return path


def render(renderable: object, width: int = 100) -> str:
    console = Console(file=StringIO(), width=width, color_system=None)
    console.print(renderable)
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert isinstance(out, str)
    return out


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


def test_pitch_names() -> None:
    assert [pitch_name(p) for p in (21, 60, 61, 69, 108)] == ["A0", "C4", "C#4", "A4", "C8"]


def test_describe_reads_notes_tempo_meter_instruments(tmp_path: Path) -> None:
    s = describe(waltz(tmp_path / "waltz.mid"))
    assert s.tempos == ((0.0, 90.0),)
    assert s.meters == ((0.0, 3, 4),)
    assert s.keys == ("G",)
    assert s.instruments == ("Violin (ch 1)", "Drums (ch 10)")
    melody = [(n.onset, n.pitch, n.duration) for n in s.notes if n.channel == 0]
    assert melody == [
        (0.0, 67, 1.0),
        (1.0, 69, 0.5),
        (1.5, 71, 0.5),
        (2.0, 74, 1.0),
        (3.0, 71, 3.0),  # sorted high to low within a chord
        (3.0, 67, 3.0),
    ]
    assert len([n for n in s.notes if n.channel == 9]) == 6
    assert s.bar_starts(s.end) == [0.0, 3.0]
    assert abs(s.seconds - 6 * 60 / 90) < 1e-3  # tempo is stored in whole microseconds


def test_notes_view_lists_tempo_meter_instruments_and_bars(tmp_path: Path) -> None:
    text = render(notes_renderable(waltz(tmp_path / "waltz.mid")))
    for expected in ("90 bpm", "3/4", "key G", "Violin (ch 1)", "Drums (ch 10)", "range C2–D5"):
        assert expected in text
    rows = [line.strip().split(None, 2) for line in text.splitlines()]
    assert ["1", "1", "G4 1  A4 1/2  B4 1/2  D5 1"] in rows  # bar 1, channel 1
    assert ["1", "10", "C2 1  C2 1  C2 1"] in rows  # bar 1, the drum
    assert ["2", "1", "G4+B4 3"] in rows
    assert "one cell per eighth" in text
    roll = {line.split()[0]: line for line in text.splitlines() if "│" in line}
    assert set(roll) >= {"G4", "A4", "B4", "D5", "C2"}
    # G4 starts at cell 0 and lasts a quarter (2 eighth cells); A4 starts at cell 2
    assert roll["G4"].split("│")[1].startswith("●━")
    assert roll["A4"].split("│")[1].index("●") == 2
    assert roll["C2"].split("│")[2] == "●━●━●━"  # the drum, three quarters in bar 2


def test_piano_roll_fits_narrow_consoles(tmp_path: Path) -> None:
    from midiforensics.listen.show import describe

    summary = describe(waltz(tmp_path / "waltz.mid"))
    for width in (30, 50, 80):
        lines = render(PianoRoll(summary, bars=8), width=width).splitlines()
        assert lines and all(len(line) <= width for line in lines), width


def test_repairs_are_shown_from_report_json(tmp_path: Path) -> None:
    midi = waltz(tmp_path / "02-musicxml.mid")
    repair = {
        "stage": "musicxml",
        "kind": "tag",
        "reason": "misspelled element",
        "offset": 120,
        "before": "<fifthhs>",
        "after": "<fifths>",
        "where": "L30:C7",
    }
    report = {
        "artifacts": [
            {"path": "02-musicxml.musicxml", "piece": 2, "repairs": [repair]},
            {"path": "02-musicxml.mid", "piece": 2, "repairs": []},
            {"path": "05-other.mid", "piece": 5, "repairs": [dict(repair, where="L99")]},
        ]
    }
    (tmp_path / "report.json").write_text(json.dumps(report))
    found = repairs_from_report(midi)
    assert [r.where for r in found] == ["L30:C7"]
    text = render(notes_renderable(midi))
    assert "<fifthhs> → <fifths>" in text and "L30:C7" in text


def test_no_report_means_no_repairs(tmp_path: Path) -> None:
    midi = waltz(tmp_path / "w.mid")
    assert repairs_from_report(midi) == ()
    (tmp_path / "report.json").write_text("{not json")
    assert repairs_from_report(midi) == ()


def test_repairs_table_is_capped() -> None:
    from midiforensics.listen.show import repairs_table

    repairs = [
        Repair(stage="s", kind="k", reason=f"r{i}", before=f"b{i}", after="a", where=f"L{i}")
        for i in range(12)
    ]
    text = render(repairs_table(repairs, limit=8))
    assert "L7" in text and "L8 " not in text and "4 more" in text


def test_repeated_repairs_are_counted_once() -> None:
    from midiforensics.listen.show import repairs_table

    same = Repair(
        stage="xml", kind="element-name", reason="not MusicXML", before="<p>", after="<pitch>"
    )
    chain = "L1:C1 base64 -> text@0 -> text L3:C9"
    repairs = [
        same,
        same,
        same,
        Repair(stage="xml", kind="step", reason="x", before="D-alter", after="D", where=chain),
    ]
    text = render(repairs_table(repairs))
    assert "<p> → <pitch>  ×3" in text
    assert "D-alter → D" in text and "text L3:C9" in text and "base64" not in text


def test_show_command_reads_scores_and_folders(tmp_path: Path, app: typer.Typer) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    waltz(folder / "01-waltz.mid")
    score = tmp_path / "line.musicxml"
    score.write_text(MUSICXML)
    result = CliRunner().invoke(app, ["show", str(folder), str(score)])
    assert result.exit_code == 0, result.output
    assert "01-waltz.mid" in result.stdout and "line.musicxml" in result.stdout
    assert "E4 2  G4 2" in result.stdout


def test_png_piano_roll(tmp_path: Path, app: typer.Typer) -> None:
    import pygame

    out = tmp_path / "roll.png"
    midi = waltz(tmp_path / "waltz.mid")
    result = CliRunner().invoke(app, ["show", str(midi), "--png", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    picture = pygame.image.load(str(out))
    width, height = picture.get_size()
    assert width > 400 and height > 100
    # notes are drawn in colour; the background and grid are grey or white
    coloured = sum(
        1
        for x in range(0, width, 3)
        for y in range(0, height, 3)
        if len(set(picture.get_at((x, y))[:3])) > 1
    )
    assert coloured > 50


def test_svg_score(tmp_path: Path, app: typer.Typer) -> None:
    pytest.importorskip("verovio")
    score = tmp_path / "line.musicxml"
    score.write_text(MUSICXML)
    out = tmp_path / "line.svg"
    result = CliRunner().invoke(app, ["show", str(score), "--svg", str(out)])
    assert result.exit_code == 0, result.output
    svg = out.read_text()
    assert svg.startswith("<svg") and svg.count('class="note"') == 2


def test_svg_without_verovio_says_how_to_get_it(
    tmp_path: Path, app: typer.Typer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "verovio", None)  # import fails as if not installed
    score = tmp_path / "line.musicxml"
    score.write_text(MUSICXML)
    result = CliRunner().invoke(app, ["show", str(score), "--svg", str(tmp_path / "x.svg")])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "pip install 'midiforensics[svg]'" in lines[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "{tmp}/missing.mid"], "no such file"),
        (["show", "{tmp}/notes.txt"], "not a MIDI file"),
        (["show", "{tmp}/empty"], "holds no .mid"),
        (["show", "{tmp}/a.mid", "{tmp}/b.mid", "--png", "{tmp}/x.png"], "one piece"),
        (["show", "{tmp}/silent.mid", "--png", "{tmp}/x.png"], "no notes"),
    ],
)
def test_show_bad_input_exits_2_with_one_line(
    tmp_path: Path, app: typer.Typer, args: list[str], message: str
) -> None:
    (tmp_path / "notes.txt").write_text("no music here")
    (tmp_path / "empty").mkdir()
    waltz(tmp_path / "a.mid")
    waltz(tmp_path / "b.mid")
    mido.MidiFile(tracks=[mido.MidiTrack()]).save(str(tmp_path / "silent.mid"))
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert not (tmp_path / "x.png").exists()


def test_notes_renderable_on_bad_file_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mid"
    bad.write_bytes(b"MThd\x00\x00\x00\x06\x00")  # header cut short
    text = render(notes_renderable(bad)).strip()
    assert len(text.splitlines()) == 1 and "bad.mid" in text


MUSICXML = """<?xml version="1.0" encoding="UTF-8"?>
<score-partwise version="3.1">
  <part-list><score-part id="P1"><part-name>Piano</part-name></score-part></part-list>
  <part id="P1">
    <measure number="1">
      <attributes><divisions>1</divisions><time><beats>4</beats><beat-type>4</beat-type></time></attributes>
      <note><pitch><step>E</step><octave>4</octave></pitch><duration>2</duration><type>half</type></note>
      <note><pitch><step>G</step><octave>4</octave></pitch><duration>2</duration><type>half</type></note>
    </measure>
  </part>
</score-partwise>
"""
