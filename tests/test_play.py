"""Playing and rendering: backends, soundfont lookup, WAV render, the play/render commands."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import wave
from pathlib import Path

import mido
import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from midiforensics.cli.listen import play_paths, register
from midiforensics.listen.play import PlayError, bundled_soundfont, find_soundfont, get_backend
from midiforensics.listen.play.null import NullBackend
from midiforensics.listen.wav import render_wav

SCALE = [60, 62, 64, 65, 67, 69, 71, 72]


def make_midi(path: Path, pitches: list[int], lead_rest: int = 0, bpm: float = 120.0) -> Path:
    """A one-track piano MIDI: an optional rest (ticks), then one quarter note per pitch."""
    mid = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    mid.tracks.append(track)
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm)))
    track.append(mido.Message("program_change", program=0))
    for i, pitch in enumerate(pitches):
        track.append(
            mido.Message("note_on", note=pitch, velocity=100, time=lead_rest if i == 0 else 0)
        )
        track.append(mido.Message("note_off", note=pitch, velocity=0, time=480))
    mid.save(str(path))
    return path


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as w:
        assert w.getnchannels() == 2
        assert w.getsampwidth() == 2
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, 2)
        return data.astype(np.int32), w.getframerate()


def loudness(samples: np.ndarray, rate: int, start: float, end: float) -> int:
    return int(np.abs(samples[int(start * rate) : int(end * rate)]).max(initial=0))


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


@pytest.fixture
def disk_audio(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Headless audio: SDL writes what it plays to a file, faster than real time."""
    raw = tmp_path / "played.raw"
    monkeypatch.setenv("SDL_AUDIODRIVER", "disk")
    monkeypatch.setenv("SDL_DISKAUDIOFILE", str(raw))
    monkeypatch.setenv("SDL_DISKAUDIODELAY", "0")
    return raw


# --- backends and soundfonts ----------------------------------------------------------------


def test_backend_by_name_env_and_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MF_PLAYER", raising=False)
    assert get_backend(None).name == "pygame"
    assert get_backend("null").name == "null"
    monkeypatch.setenv("MF_PLAYER", "null")
    assert get_backend(None).name == "null"
    assert get_backend("pygame").name == "pygame"  # the explicit name wins


def test_unknown_backend_names_the_choices() -> None:
    with pytest.raises(PlayError, match="null, pygame"):
        get_backend("winamp")


def test_choosing_a_backend_does_not_import_pygame() -> None:
    code = (
        "import sys; from midiforensics.listen.play import get_backend; get_backend('null');"
        "import midiforensics.cli.listen; print('pygame' in sys.modules, 'music21' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_bundled_soundfont_found_without_importing_pretty_midi() -> None:
    code = (
        "import sys; from midiforensics.listen.play import bundled_soundfont;"
        "p = bundled_soundfont(); print(p.name, p.stat().st_size > 1_000_000, 'pretty_midi' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["TimGM6mb.sf2", "True", "False"]


def test_soundfont_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mine = tmp_path / "mine.sf2"
    mine.write_bytes(b"RIFF")
    sdl = tmp_path / "sdl.sf2"
    sdl.write_bytes(b"RIFF")
    monkeypatch.delenv("MF_SOUNDFONT", raising=False)
    monkeypatch.delenv("SDL_SOUNDFONTS", raising=False)
    assert find_soundfont() == bundled_soundfont()
    monkeypatch.setenv("SDL_SOUNDFONTS", f"{tmp_path / 'gone.sf2'};{sdl}")
    assert find_soundfont() == sdl
    monkeypatch.setenv("MF_SOUNDFONT", str(mine))
    assert find_soundfont() == mine
    assert find_soundfont(sdl) == sdl
    with pytest.raises(PlayError, match="soundfont not found"):
        find_soundfont(tmp_path / "missing.sf2")


# --- render ---------------------------------------------------------------------------------


def test_render_is_loud_where_the_notes_are_and_as_long_as_the_midi(tmp_path: Path) -> None:
    # one second of rest, then eight quarter notes at 120 bpm: 5 s in all
    midi = make_midi(tmp_path / "scale.mid", SCALE, lead_rest=960)
    expected = mido.MidiFile(str(midi)).length
    result = render_wav(midi, tmp_path / "scale.wav", rate=22050)
    samples, rate = read_wav(tmp_path / "scale.wav")
    assert rate == 22050
    assert abs(len(samples) / rate - expected) < 0.05
    assert result.peak == int(np.abs(samples).max()) > 1000
    assert loudness(samples, rate, 0.0, 0.95) < 16  # the rest is silent (but for dither)
    assert loudness(samples, rate, 1.0, 1.2) > 500  # the first note sounds on time
    for second in (2, 3, 4):  # and the scale goes on to the end
        assert loudness(samples, rate, second, second + 0.5) > 500


def test_render_command_writes_wav(tmp_path: Path, app: typer.Typer) -> None:
    midi = make_midi(tmp_path / "five.mid", SCALE[:5])
    out = tmp_path / "sub" / "five.wav"
    result = CliRunner().invoke(app, ["render", str(midi), "-o", str(out)])
    assert result.exit_code == 0, result.output
    samples, rate = read_wav(out)
    assert rate == 44100
    assert abs(len(samples) / rate - 2.5) < 0.05
    assert np.abs(samples).max() > 1000


def test_render_musicxml(tmp_path: Path, app: typer.Typer) -> None:
    score = tmp_path / "two.musicxml"
    score.write_text(MUSICXML, encoding="utf-8")
    out = tmp_path / "two.wav"
    result = CliRunner().invoke(app, ["render", str(score), "-o", str(out), "--rate", "22050"])
    assert result.exit_code == 0, result.output
    samples, rate = read_wav(out)
    # two half notes at 120 bpm; music21's MIDI ends a quarter after the last note
    assert 2.0 <= len(samples) / rate <= 2.55
    assert loudness(samples, rate, 0.0, 0.2) > 500
    assert loudness(samples, rate, 1.7, 1.9) > 500


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["render", "{tmp}/missing.mid", "-o", "{tmp}/o.wav"], "no such file"),
        (["render", "{tmp}", "-o", "{tmp}/o.wav"], "is a folder"),
        (["render", "{tmp}/text.mid", "-o", "{tmp}/o.wav"], "not a MIDI file"),
        (["render", "{tmp}/empty.mid", "-o", "{tmp}/o.wav"], "no notes"),
        (["render", "{tmp}/ok.mid", "-o", "{tmp}/o.wav", "--rate", "12345"], "sample rate"),
        (
            ["render", "{tmp}/ok.mid", "-o", "{tmp}/o.wav", "--soundfont", "{tmp}/x.sf2"],
            "soundfont",
        ),
        (["play", "{tmp}/missing.mid"], "no such file"),
        (["play", "{tmp}/text.mid"], "not a MIDI file"),
        (["play", "--backend", "winamp", "{tmp}/ok.mid"], "unknown player backend"),
        (["play", "{tmp}/bad.musicxml"], "cannot read the score"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    tmp_path: Path, app: typer.Typer, args: list[str], message: str
) -> None:
    (tmp_path / "text.mid").write_text("hello, not music\n")
    (tmp_path / "bad.musicxml").write_text("<score-partwise><part id='P1'><measure>")
    make_midi(tmp_path / "empty.mid", [])
    make_midi(tmp_path / "ok.mid", [60])
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "o.wav").exists()


# --- play -----------------------------------------------------------------------------------


def test_play_with_null_backend_plays_every_piece_of_a_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    make_midi(out / "02-b.mid", [64])
    make_midi(out / "01-a.mid", [60])
    (out / "01-a.musicxml").write_text(MUSICXML)  # a folder plays its .mid files only
    (out / "report.json").write_text("{}")
    player = NullBackend()
    code = play_paths([out], backend=None, soundfont=None, console=None, player=player)
    assert code == 0
    assert [p.name for p in player.played] == ["01-a.mid", "02-b.mid"]
    assert player.soundfont == bundled_soundfont()
    assert player.closed


def test_play_command_headless_disk_driver(
    tmp_path: Path, app: typer.Typer, disk_audio: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MF_PLAYER", raising=False)
    midi = make_midi(tmp_path / "tune.mid", SCALE[:4])
    score = tmp_path / "two.musicxml"
    score.write_text(MUSICXML, encoding="utf-8")
    result = CliRunner().invoke(app, ["play", str(midi), str(score)])
    assert result.exit_code == 0, result.output
    assert "tune.mid" in result.stdout and "two.musicxml" in result.stdout
    assert re.search(r"(\d+\.\d s) / \1", result.stdout)  # played to the end
    # what SDL played is in the file: real, non-silent samples
    played = np.frombuffer(disk_audio.read_bytes(), dtype="<i2")
    assert np.abs(played.astype(np.int32)).max() > 1000


def test_play_without_audio_device_says_so_in_one_line(
    tmp_path: Path, app: typer.Typer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SDL_AUDIODRIVER", "no-such-driver")
    midi = make_midi(tmp_path / "tune.mid", [60])
    result = CliRunner().invoke(app, ["play", str(midi)])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "no audio device" in lines[0] and "mf render" in lines[0]


def test_play_real_mf_process_exits_0(tmp_path: Path) -> None:
    """The way a user runs it, in its own process, headless."""
    midi = make_midi(tmp_path / "tune.mid", SCALE[:3])
    env = dict(
        os.environ,
        SDL_AUDIODRIVER="disk",
        SDL_DISKAUDIOFILE=str(tmp_path / "x.raw"),
        SDL_DISKAUDIODELAY="0",
    )
    env.pop("MF_PLAYER", None)
    code = (
        "import sys, typer; from midiforensics.cli.listen import register;"
        "app = typer.Typer(); register(app); app.command('noop')(lambda: None); app()"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, "play", str(midi)], env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # SDL's and ALSA's chatter is held back
    assert (tmp_path / "x.raw").stat().st_size > 0


MUSICXML = """<?xml version="1.0" encoding="UTF-8"?>
<score-partwise version="3.1">
  <part-list><score-part id="P1"><part-name>Piano</part-name></score-part></part-list>
  <part id="P1">
    <measure number="1">
      <attributes><divisions>1</divisions><time><beats>4</beats><beat-type>4</beat-type></time></attributes>
      <sound tempo="120"/>
      <note><pitch><step>E</step><octave>4</octave></pitch><duration>2</duration><type>half</type></note>
      <note><pitch><step>G</step><octave>4</octave></pitch><duration>2</duration><type>half</type></note>
    </measure>
  </part>
</score-partwise>
"""
