"""Music code read statically, through the public API: Python that builds MIDI (midiutil,
mido, music21, pretty_midi) and Strudel/Tidal patterns -> the notes in the written MIDI.
Nothing is ever run: code with side effects leaves no trace."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from .conftest import CORPUS, midi_notes, one_piece_onsets, playable_pieces

FORMATS = CORPUS / "formats"


pieces = playable_pieces
notes = one_piece_onsets


def fenced(code: str) -> str:
    return f"Here you go:\n\n```python\n{code.strip()}\n```\n\nEnjoy!"


CASES = [
    (
        "midiutil literal calls",
        fenced(
            """
from midiutil import MIDIFile
m = MIDIFile(1)
m.addTempo(0, 0, 100)
m.addNote(0, 0, 60, 0, 1, 100)
m.addNote(0, 0, 64, 1, 1, 100)
m.addNote(track=0, channel=0, pitch=67, time=2, duration=2, volume=90)
"""
        ),
        [(0, 60), (1, 64), (2, 67)],
    ),
    (
        "midiutil range loop",
        fenced(
            """
from midiutil import MIDIFile
midi = MIDIFile(1)
for i in range(4):
    midi.addNote(0, 0, 60 + i * 2, i * 0.5, 0.5, 100)
"""
        ),
        [(0, 60), (0.5, 62), (1, 64), (1.5, 66)],
    ),
    (
        "mido messages with delta times",
        fenced(
            """
import mido
from mido import Message, MidiFile, MidiTrack
mid = MidiFile(ticks_per_beat=240)
track = MidiTrack()
mid.tracks.append(track)
track.append(mido.MetaMessage('set_tempo', tempo=mido.bpm2tempo(90)))
for p in [69, 72, 76]:
    track.append(Message('note_on', note=p, velocity=70, time=0))
    track.append(Message('note_off', note=p, velocity=0, time=240))
mid.save('song.mid')
"""
        ),
        [(0, 69), (1, 72), (2, 76)],
    ),
    (
        "music21 stream",
        """You can build it with music21:

    from music21 import stream, note, chord
    s = stream.Stream()
    for name in ['D4', 'F4']:
        s.append(note.Note(name, quarterLength=1.5))
    s.append(chord.Chord(['A3', 'D4'], quarterLength=1))
    s.append(note.Rest(quarterLength=1))
    s.append(note.Note('E4', type='half'))
    s.write('midi', fp='out.mid')
""",
        [(0, 62), (1.5, 65), (3, 57), (3, 62), (5, 64)],
    ),
    (
        "pretty_midi in seconds",
        fenced(
            """
import pretty_midi
pm = pretty_midi.PrettyMIDI(initial_tempo=60)
piano = pretty_midi.Instrument(program=0)
for i, name in enumerate(['C5', 'B4', 'G4']):
    n = pretty_midi.Note(velocity=90, pitch=pretty_midi.note_name_to_number(name),
                         start=i * 0.5, end=i * 0.5 + 0.5)
    piano.notes.append(n)
pm.instruments.append(piano)
pm.write('out.mid')
"""
        ),
        [(0, 72), (0.5, 71), (1, 67)],
    ),
    (
        "strudel steps share the cycle",
        'note("c4 e4 g4 c5")',
        [(0, 48 + 12), (1, 64), (2, 67), (3, 72)],
    ),
    (
        "strudel groups, rests, alternation, repeats",
        'note("[c4 d4] ~ <e4 f4> g4*2")',
        [(0, 60), (0.5, 62), (2, 64), (3, 67), (3.5, 67)],
    ),
    ("strudel chord layers", 'note("[c4,e4,g4] ~")', [(0, 60), (0, 64), (0, 67)]),
    (
        "strudel degrees in a scale",
        'n("0 2 4 7").scale("D:major")',
        [(0, 50), (1, 54), (2, 57), (3, 62)],
    ),
    (
        "tidal numbers from C5",
        'd1 $ n "0 4 7 12" # s "superpiano"',
        [(0, 60), (1, 64), (2, 67), (3, 72)],
    ),
]


@pytest.mark.parametrize(("why", "text", "want"), CASES, ids=[c[0] for c in CASES])
def test_reads_notes(why: str, text: str, want: list[tuple[float, int]]) -> None:
    assert notes(text) == sorted(want)


def test_tempo_from_code() -> None:
    (a,) = pieces('setcps(0.75)\nnote("a3 c4 e4 a4")')
    assert a.tempo_bpm == 180  # 0.75 cycles a second, four beats a cycle
    (b,) = pieces(CASES[0][1])
    assert b.tempo_bpm == 100 and b.verdict == "intact"


def test_strudel_default_tempo_and_one_cycle_are_said() -> None:
    (a,) = pieces('note("<c4 e4> g4 a4 b4")')
    kinds = {r.kind: r.loss for r in a.repairs}
    assert kinds == {"tempo": "guessed", "one-cycle": "lost"}
    assert a.verdict == "salvaged"


def test_values_not_known_statically_are_lost_not_invented() -> None:
    code = fenced(
        """
import random
from midiutil import MIDIFile
m = MIDIFile(1)
for i, p in enumerate([60, 62, 64]):
    m.addNote(0, 0, p, i, 1, 100)
m.addNote(0, 0, random.randint(60, 72), 3, 1, 100)
"""
    )
    (a,) = pieces(code)
    assert a.notes == 3
    assert [r.kind for r in a.repairs if r.loss == "lost"] == ["unread-values"]


def test_code_is_never_run(tmp_path: Path) -> None:
    """Code with side effects, with notes and without: no file appears, no connection is
    made, and the notes are still read from the syntax tree."""
    marker = tmp_path / "ran.txt"
    touched = tmp_path / "touched.txt"
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    code = f"""
import os, socket
open({str(marker)!r}, "w").write("ran")
os.system("touch {touched}")
socket.create_connection(("127.0.0.1", {port}))
from midiutil import MIDIFile
m = MIDIFile(1)
for t, p in enumerate([60, 64, 67, 72]):
    m.addNote(0, 0, p, t, 1, 100)
exec("open({str(marker)!r}, 'w')")
"""
    try:
        assert notes(fenced(code)) == [(0, 60), (1, 64), (2, 67), (3, 72)]
        assert pieces(fenced(code.split("from midiutil")[0])) == []
        assert not marker.exists() and not touched.exists()
        with pytest.raises(BlockingIOError):
            listener.accept()
    finally:
        listener.close()


NEGATIVES = [
    ("code with no notes", fenced("import os\nfor f in os.listdir('.'):\n    print(f)\n")),
    (
        "code that reads notes from a file",
        fenced(
            "import csv\nfrom midiutil import MIDIFile\nm = MIDIFile(1)\n"
            "for row in csv.reader(open('notes.csv')):\n"
            "    m.addNote(0, 0, int(row[0]), float(row[2]), float(row[1]), 100)\n"
        ),
    ),
    ("prose with a quoted note", 'Hold the note "C" a little longer, then note "E" too.'),
    ("a drum pattern", 's("bd*4, hh*8")'),
]


@pytest.mark.parametrize(("why", "text"), NEGATIVES, ids=[n[0] for n in NEGATIVES])
def test_no_piece(why: str, text: str) -> None:
    assert pieces(text) == []


def test_byte_list_is_left_to_the_byte_path() -> None:
    from midiforensics.formats.musiccode.handler import MusicCodeHandler

    code = fenced("data = bytes([0x4D, 0x54, 0x68, 0x64, 0x00, 0x00, 0x00, 0x06])\n")
    assert MusicCodeHandler().detect(code) == []


def _example(name: str) -> str:
    if not FORMATS.is_dir():
        pytest.skip("../shared/corpus/formats is not here")
    return next(FORMATS.glob(name + "*")).read_text()


def test_real_midiutil_two_hands() -> None:
    """Two hands, onsets by a running sum of durations, paired through zip and enumerate."""
    got = notes(_example("pycode_02"))
    onsets = [0, 1, 1.5, 1.75, 2.75, 3.5, 4]
    right = list(zip(onsets, [60, 62, 64, 65, 67, 69, 71], strict=True))
    left = list(zip(onsets, [48, 50, 52, 53, 55, 57, 59], strict=True))
    assert got == sorted(right + left)


def test_real_code_without_notes() -> None:
    assert pieces(_example("pycode_03")) == []


def test_real_strudel_stack() -> None:
    (a,) = pieces(_example("strudel_01"))
    lead = [60, 63, 67, 65, 62, 58, 67, 65, 63, 62, 60, 58]  # [c4 ~ eb4 g4][f4 ~ d4 bb3]...
    pluck = [48, 55, 60, 55] * 2  # n("[0 4 7 4]*2").scale("c3:minor"): C3 G3 C4 G3
    bass = [24] * 6  # note("[c1 c1 ~ c1]*2")
    assert a.data is not None
    assert sorted(p for _, p in midi_notes(a.data)) == sorted(lead + pluck + bass)
    assert a.tempo_bpm == 132 * 4  # .cpm(132): cycles a minute


@pytest.mark.parametrize(("name", "want"), [("strudel_02", [48, 60]), ("strudel_03", [60])])
def test_real_strudel_first_cycle(name: str, want: list[int]) -> None:
    (a,) = pieces(_example(name))
    assert a.data is not None
    assert [p for _, p in midi_notes(a.data)] == want
