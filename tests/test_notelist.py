"""Note names in prose, lines and tables: melodies written here, the negatives a note reader
must leave alone, and the real examples in ../shared/corpus/formats/."""

from __future__ import annotations

import pytest

import midiforensics
from midiforensics.report.models import Artifact

from .conftest import CORPUS, note_spans

FORMATS = CORPUS / "formats"


def pieces(text: str) -> list[Artifact]:
    report = midiforensics.decode(text)
    return [a for a in report.artifacts if a.kind == "midi"]


def notes(a: Artifact) -> list[tuple[float, int, float]]:
    """(onset, pitch, length) in quarter notes, read back from the MIDI with plain mido."""
    assert a.data is not None
    return note_spans(a.data)


def one(text: str) -> tuple[Artifact, list[tuple[float, int, float]]]:
    got = pieces(text)
    assert len(got) == 1, [a.source for a in got]
    assert "-> notelist" in got[0].source
    return got[0], notes(got[0])


CASES = [
    (
        "The melody: C4 D4 E4 F4 G4 G4 A4 G4",
        [(0, 60, 1), (1, 62, 1), (2, 64, 1), (3, 65, 1), (4, 67, 1), (5, 67, 1), (6, 69, 1),
         (7, 67, 1)],
    ),
    (
        "Eighth note E | Eighth rest | Quarter note G | Half note C5 | Dotted quarter note A",
        [(0, 64, 0.5), (1, 67, 1), (2, 72, 2), (4, 69, 1.5)],
    ),
    (
        "Play it like this: E (quarter), D (eighth), C (eighth), D (half), E (whole).",
        [(0, 64, 1), (1, 62, 0.5), (1.5, 60, 0.5), (2, 62, 2), (4, 64, 4)],
    ),
    (
        "Notes: Bb3 - quarter, C#4 - eighth, Eb4 - half, F#4 - quarter",
        [(0, 58, 1), (1, 61, 0.5), (1.5, 63, 2), (3.5, 66, 1)],
    ),
    (
        "Hum C4 (1 beat), D4 (0.5 beats), E4 (2), F4 (1)",
        [(0, 60, 1), (1, 62, 0.5), (1.5, 64, 2), (3.5, 65, 1)],
    ),
    (
        "0 1 C4 E4\n1 1 D4\n2 0.5 E4\n2.5 1.5 G4 B4\n",
        [(0, 60, 1), (0, 64, 1), (1, 62, 1), (2, 64, 0.5), (2.5, 67, 1.5), (2.5, 71, 1.5)],
    ),
    (
        "Melody:\n1. C4 - quarter note\n2. D4 - eighth note\n3. E4 - eighth note\n4. F4 - half note",
        [(0, 60, 1), (1, 62, 0.5), (1.5, 64, 0.5), (2, 65, 2)],
    ),
    (
        "Measure 1: C4 D4 E4 F4 | Measure 2: G4 A4 G4 F4",
        [(k, p, 1) for k, p in enumerate([60, 62, 64, 65, 67, 69, 67, 65])],
    ),
    (
        "C4 - 1 beat, D4 - 0.5 beats, E4 for 2 beats, F4 (1)",
        [(0, 60, 1), (1, 62, 0.5), (1.5, 64, 2), (3.5, 65, 1)],
    ),
    (
        "| Note | Length |\n|---|---|\n| E4 | quarter |\n| D4 | eighth |\n| C4 | eighth |\n"
        "| rest | quarter |\n| G4 | half |\n",
        [(0, 64, 1), (1, 62, 0.5), (1.5, 60, 0.5), (3, 67, 2)],
    ),
]  # fmt: skip


@pytest.mark.parametrize(("text", "want"), CASES, ids=[c[0][:30] for c in CASES])
def test_note_lists(text: str, want: list[tuple[float, int, float]]) -> None:
    _, got = one(text)
    assert got == [(float(o), p, float(n)) for o, p, n in want]


def test_inferences_are_guessed_repairs() -> None:
    a, _ = one("Quarter note E | Quarter note D | Quarter note C | Half note D")
    kinds = {r.kind: r for r in a.repairs}
    assert kinds["octave-assumed"].loss == "guessed" and kinds["octave-assumed"].after == "4"
    assert kinds["tempo-default"].loss == "guessed"
    assert a.verdict == "salvaged"


def test_table_in_seconds_plays_as_written() -> None:
    a, got = one(
        "| Note | Start (s) | Duration (s) |\n|---|---|---|\n| C4 | 0 | 0.5 |\n"
        "| E4 | 0.5 | 0.5 |\n| G4 | 1.0 | 0.5 |\n| C5 | 1.5 | 1.5 |\n"
    )
    assert a.tempo_bpm == 60.0 and a.seconds == 3.0
    assert [p for _, p, _ in got] == [60, 64, 67, 72]
    assert a.verdict == "intact"  # nothing guessed: octaves and units are written


def test_tempo_stated_near_the_notes_is_used() -> None:
    a, _ = one("At 90 BPM, play: Quarter note E4 | Quarter note D4 | Half note C4 | Whole note D4")
    assert a.tempo_bpm == 90.0
    assert not [r for r in a.repairs if r.kind == "tempo-default"]


@pytest.mark.parametrize(
    "text",
    [
        "The chord C E G is the tonic triad, in the key of C.",
        "A, B and C are options; so are D and E.",
        "The progression is Am F C G Am F C G Dm G C.",
        "The musical alphabet is A B C D E F G A B C.",
        "Fill cells A1 B2 C3 D4 E5 with the totals.",
        "Press F1 F2 F3 F4 to switch between the presets.",
        "Sizes A4 B5 C6 D4 in the stock list.",
        "Grades: A, B, C, D, E and F. Notes: none.",
        "Whole notes last four beats; a quarter note lasts one. Half note, eighth note.",
        "| Name | Role |\n|---|---|\n| Ann | lead |\n| Bob | bass |\n| Cy | keys |\n| Di | drums |",
    ],
)
def test_prose_that_mentions_notes_gives_no_piece(text: str) -> None:
    assert pieces(text) == []


def corpus_text(name: str) -> str:
    if not FORMATS.is_dir():
        pytest.skip("../shared/corpus/formats is not here")
    return next(FORMATS.glob(name + "*")).read_text()


def test_corpus_duration_words_in_html() -> None:
    a, got = one(corpus_text("prose_01"))
    # Eighth note E | Eighth rest | Eighth note D | ... (no octaves: 4 assumed)
    assert [p for _, p, _ in got[:8]] == [64, 62, 64, 62, 64, 71, 62, 60]
    assert len(got) == 24 and got[1][0] == 1.0  # the rests take time
    assert any(r.kind == "octave-assumed" for r in a.repairs)


def test_corpus_c_major_scales_in_prose() -> None:
    got = pieces(corpus_text("prose_02"))
    scales = [[p for _, p, _ in notes(a)] for a in got]
    assert scales[0] == [60, 62, 64, 65, 67, 69, 71, 60]
    assert [n for _, _, n in notes(got[0])] == [4.0] * 8  # whole notes


def test_corpus_onset_length_lines() -> None:
    a, got = one(corpus_text("prose_03"))
    assert got[:4] == [(0.0, 45, 0.5), (0.25, 47, 0.75), (0.25, 50, 0.75), (0.25, 53, 0.75)]
    assert any(r.kind == "units-assumed" for r in a.repairs)
