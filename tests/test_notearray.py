"""Note arrays (JSON, Python/JS literals, CSV rows) read through the public API: tables of
input -> the notes (onset in beats, pitch) in the written MIDI, what was guessed, and
negatives that must give no piece."""

from __future__ import annotations

import pytest

from .conftest import CORPUS, one_piece_onsets, playable_pieces

FORMATS = CORPUS / "formats"


pieces = playable_pieces
notes = one_piece_onsets


CASES = [
    (
        "beats, names",
        'Melody:\n[{"note": "C4", "start": 0, "duration": 1}, {"note": "E4", "start": 1, '
        '"duration": 1}, {"note": "G4", "start": 2, "duration": 1}, '
        '{"note": "C5", "start": 3, "duration": 1}]',
        [(0, 60), (1, 64), (2, 67), (3, 72)],
    ),
    (
        "notes object, midi numbers, dur",
        '{"notes": [{"pitch": 62, "time": 0, "dur": 0.5}, {"pitch": 65, "time": 0.5, "dur": 0.5},'
        ' {"pitch": 69, "time": 1, "dur": 1}, {"pitch": 74, "time": 2, "dur": 2}]}',
        [(0, 62), (0.5, 65), (1, 69), (2, 74)],
    ),
    (
        "python tuples, running onsets",
        "Here's the melody as (pitch, beats):\nmelody = [(64, 1), (62, 0.5), (60, 0.5), (62, 2),"
        " (64, 1)]",
        [(0, 64), (1, 62), (1.5, 60), (2, 62), (4, 64)],
    ),
    (
        "JS literal, unquoted keys, Tone.js durations",
        "const notes = [{note: 'E4', time: 0, duration: '8n'}, {note: 'G4', time: 0.5, "
        "duration: '8n'}, {note: 'B4', time: 1, duration: '4n'}, {note: 'E5', time: 2, "
        "duration: '2n'},];",
        [(0, 64), (0.5, 67), (1, 71), (2, 76)],
    ),
    (
        "startTime in seconds with a bpm",
        '{"bpm": 60, "notes": [{"pitch": 60, "startTime": 0, "endTime": 1}, {"pitch": 62, '
        '"startTime": 1, "endTime": 2}, {"pitch": 64, "startTime": 2, "endTime": 2.5}, '
        '{"pitch": 65, "startTime": 2.5, "endTime": 4}]}',
        [(0, 60), (1, 62), (2, 64), (2.5, 65)],
    ),
    (
        "seconds without a tempo: 120 bpm assumed",
        '[{"midi": 57, "start_sec": 0.5, "duration_sec": 0.5}, {"midi": 59, "start_sec": 1, '
        '"duration_sec": 0.5}, {"midi": 60, "start_sec": 1.5, "duration_sec": 0.5}, '
        '{"midi": 64, "start_sec": 2, "duration_sec": 1}]',
        [(1, 57), (2, 59), (3, 60), (4, 64)],
    ),
    (
        "CSV with a header",
        "Bass line:\n\nnote,start,duration\nA2,0,1\nA2,1,0.5\nE2,1.5,0.5\nG2,2,2\n",
        [(0, 45), (1, 45), (1.5, 40), (2, 43)],
    ),
    (
        "TSV rows without a header, in a music context",
        "The melody, one note a row (pitch, duration, onset):\n"
        "72\t1\t0\n71\t0.5\t1\n69\t0.5\t1.5\n67\t2\t2\n",
        [(0, 72), (1, 71), (1.5, 69), (2, 67)],
    ),
    (
        "chords as lists of names",
        '{"notes": [{"pitch": ["C4", "E4", "G4"], "start": 0, "duration": 2}, '
        '{"pitch": ["F4", "A4", "C5"], "start": 2, "duration": 2}]}',
        [(0, 60), (0, 64), (0, 67), (2, 65), (2, 69), (2, 72)],
    ),
    (
        "tracks, each a voice",
        '{"tracks": [{"name": "right", "notes": [{"note": "E5", "beat": 0, "duration": 1}, '
        '{"note": "D5", "beat": 1, "duration": 1}]}, {"name": "left", "notes": [{"note": "C3",'
        ' "beat": 0, "duration": 2}, {"note": "G2", "beat": 2, "duration": 2}]}]}',
        [(0, 48), (0, 76), (1, 74), (2, 43)],
    ),
    (
        "duration words and Tone.js bars:beats:sixteenths",
        '{"melody": [{"note": "G4", "time": "0:0:0", "duration": "quarter"}, {"note": "A4", '
        '"time": "0:1:0", "duration": "eighth"}, {"note": "B4", "time": "0:1:2", "duration": '
        '"eighth"}, {"note": "D5", "time": "0:2:0", "duration": "dotted quarter"}, '
        '{"note": "G5", "time": "1:0:0", "duration": "whole"}]}',
        [(0, 67), (1, 69), (1.5, 71), (2, 74), (4, 79)],
    ),
    (
        "rows of names without octaves",
        "The riff, as [note, beats] pairs: [['E', 1], ['G', 0.5], ['A', 0.5], ['E', 2]]",
        [(0, 64), (1, 67), (1.5, 69), (2, 64)],
    ),
    (
        "inside a JSON string, escaped",
        '{"answer": "[{\\"note\\": \\"A4\\", \\"start\\": 0, \\"duration\\": 1}, {\\"note\\": '
        '\\"B4\\", \\"start\\": 1, \\"duration\\": 1}, {\\"note\\": \\"C5\\", \\"start\\": 2, '
        '\\"duration\\": 1}, {\\"note\\": \\"E5\\", \\"start\\": 3, \\"duration\\": 1}]"}',
        [(0, 69), (1, 71), (2, 72), (3, 76)],
    ),
]


@pytest.mark.parametrize(("why", "text", "want"), CASES, ids=[c[0] for c in CASES])
def test_reads_notes(why: str, text: str, want: list[tuple[float, int]]) -> None:
    assert notes(text) == sorted(want)


def test_every_inference_is_a_guessed_repair() -> None:
    text = 'Melody: [{"note": "C", "duration": 1}, {"note": "E", "duration": 1}, ' + (
        '{"note": "G", "duration": 1}, {"note": "C5", "duration": 2}]'
    )
    (piece,) = pieces(text)
    assert piece.verdict == "salvaged"
    reasons = {r.kind: r.reason for r in piece.repairs if r.loss == "guessed"}
    assert "octave 4 assumed" in reasons["units"]
    assert "each note starts when the one before ends" in reasons["onset"]
    assert "tempo" in reasons
    assert notes(text) == [(0, 60), (1, 64), (2, 67), (3, 72)]


def test_named_beats_guess_no_units() -> None:
    text = '{"bpm": 90, "notes": [' + ", ".join(
        f'{{"note": "{n}", "beat": {i}, "duration_beats": 1}}'
        for i, n in enumerate(["C4", "D4", "E4", "F4"])
    )
    (piece,) = pieces(text + "]}")
    assert piece.tempo_bpm == 90
    assert not any(r.loss for r in piece.repairs)
    assert piece.verdict == "intact"


NEGATIVES = [
    ("prose about notes", "Play the notes C, E and G together, then hold the note for 4 beats."),
    ("a short symbolic list", "notes: [64, 65]\nvelocity: 105\nintent: reflection"),
    ("a number list", "The first primes are [2, 3, 5, 7, 11, 13, 17, 19, 23, 29]."),
    (
        "a JSON config",
        '{"servers": [{"name": "alpha", "port": 8080}, {"name": "beta", "port": 8081}, '
        '{"name": "gamma", "port": 8082}, {"name": "delta", "port": 8083}]}',
    ),
    ("coordinates", "points = [(10, 20), (30, 40), (50, 60), (70, 80), (90, 100)]"),
    ("CSV of measurements", "id,value,count\n101,3.5,7\n102,4.25,9\n103,5.0,11\n104,5.75,2\n"),
    (
        "people with note-like names",
        '[{"name": "Ann", "age": 31}, {"name": "Bea", "age": 42}, {"name": "Cid", "age": 23},'
        ' {"name": "Dee", "age": 35}]',
    ),
]


@pytest.mark.parametrize(("why", "text"), NEGATIVES, ids=[n[0] for n in NEGATIVES])
def test_no_piece(why: str, text: str) -> None:
    assert pieces(text) == []


def _example(name: str) -> str:
    if not FORMATS.is_dir():
        pytest.skip("../shared/corpus/formats is not here")
    return next(FORMATS.glob(name + "*")).read_text()


def test_real_csv_answer() -> None:
    """ChatGPT's CSV of (pitch, duration, onset): every row is a note at its onset."""
    text = _example("notearray_03")
    rows = [line.split(",") for line in text.split('hljs">')[1].split("</code>")[0].split()]
    want = sorted((float(t), int(p)) for p, _, t in rows)
    assert len(want) == 26
    assert notes(text) == want


def test_real_symbolic_yaml_is_not_music() -> None:
    assert pieces(_example("other_02")) == []
