"""LilyPond read statically: pitches and onsets of small scores written here, and the real
examples in ../shared/corpus/formats/ checked against the notes visible in them."""

from __future__ import annotations

import json
import random

import pytest

import midiforensics
from midiforensics.report.models import Artifact

from .conftest import CORPUS, note_spans

FORMATS = CORPUS / "formats"


def fenced(src: str) -> str:
    return f"Here it is:\n\n```lilypond\n{src}\n```\n"


def piece(text: str) -> Artifact:
    report = midiforensics.decode(text)
    midis = [a for a in report.artifacts if a.kind == "midi"]
    assert len(midis) == 1, [a.source for a in report.artifacts]
    assert "-> lilypond" in midis[0].source
    return midis[0]


def notes(a: Artifact) -> list[tuple[float, int, float]]:
    """(onset, pitch, length) in quarter notes, read back from the MIDI with plain mido."""
    assert a.data is not None
    return note_spans(a.data)


def pitches(text: str) -> list[int]:
    return [p for _, p, _ in notes(piece(text))]


CASES = [
    # relative mode: nearest within a fourth; ' and , move an octave more
    (r"\relative c' { c d e f g a b c }", [60, 62, 64, 65, 67, 69, 71, 72]),
    (r"\relative c'' { c g c f, c' }", [72, 67, 72, 65, 72]),
    (r"\relative c' { c b' c, e' }", [60, 71, 60, 76]),
    # \relative with no pitch: the first note is absolute (as if relative to f)
    (r"\relative { c'' d e }", [72, 74, 76]),
    # absolute octaves: c is C3, c' middle C
    (r"{ c' e' g' c'' g, }", [60, 64, 67, 72, 43]),
    # Dutch accidentals and shorthands
    (r"{ cis' des' eses' fisis' as' es' bes' }", [61, 61, 62, 67, 68, 63, 70]),
    # \transpose and \fixed
    (r"\transpose c d { c' e' g' }", [62, 66, 69]),
    (r"\fixed c' { c e g c' }", [60, 64, 67, 72]),
    # chords: each note relative to the one before; the first leads on
    (r"\relative c' { <c e g>2 <f a c>2 e }", [60, 64, 67, 65, 69, 72, 64]),
]


@pytest.mark.parametrize(("src", "want"), CASES, ids=[c[0] for c in CASES])
def test_pitches(src: str, want: list[int]) -> None:
    assert pitches(fenced(src)) == want  # in onset order, a chord from its lowest note


def test_durations_dots_carried_tied_and_rests() -> None:
    got = notes(piece(r"\relative c' { c4. d8 e f r4 g2~ g8 a16 s16 b2 }"))
    assert got == [
        (0.0, 60, 1.5),
        (1.5, 62, 0.5),
        (2.0, 64, 0.5),  # no duration: the last one (8) goes on
        (2.5, 65, 0.5),
        (4.0, 67, 2.5),  # g2~ g8: one note
        (6.5, 69, 0.25),
        (7.0, 71, 2.0),  # s16 is silent but takes time
    ]


def test_tuplets_and_times() -> None:
    got = notes(piece(fenced(r"{ \tuplet 3/2 { c'8 d' e' } \times 2/3 { f'8 g' a' } b'4 }")))
    onsets = [round(o, 3) for o, _, _ in got]
    assert onsets == [0.0, 0.333, 0.667, 1.0, 1.333, 1.667, 2.0]


def test_repeat_volta_played_twice_with_endings_and_said() -> None:
    a = piece(r"\relative c' { \repeat volta 2 { c4 d } \alternative { { e2 } { g2 } } c1 }")
    assert [p for _, p, _ in notes(a)] == [60, 62, 64, 60, 62, 67, 72]
    assert any(r.kind == "repeat-unfolded" for r in a.repairs)


def test_voices_and_staves_are_tracks() -> None:
    src = r"""
    \score { <<
      \new Staff \relative c'' { c2 d }
      \new Staff \relative c { << { e2 f } \\ { c2 d } >> }
    >> }"""
    a = piece(src)
    assert a.tracks == 3
    assert [(o, p) for o, p, _ in notes(a)] == [
        (0.0, 48), (0.0, 52), (0.0, 72), (2.0, 50), (2.0, 53), (2.0, 74)
    ]  # fmt: skip


def test_tempo_time_key_and_skipped_blocks() -> None:
    src = r"""\version "2.24.0"
    \header { title = "c d e f g" }
    \paper { indent = 0 }
    melody = \relative c'' {
      \key g \major \time 3/4 \tempo "Allegro" 4. = 80
      \override Staff.TimeSignature.color = #(rgb-color 1 0 0)
      g4 fis_\markup { \italic "a e" } d #(ly:message "b") b2.
    }
    words = \lyricmode { la la la la }
    \score { \new Staff \melody \addlyrics { \words } \layout { } }
    """
    a = piece(src)
    assert [p for _, p, _ in notes(a)] == [67, 66, 62, 59]  # g below c'', a fourth
    assert a.tempo_bpm == 120.0  # a dotted quarter at 80 is 120 quarter notes a minute
    assert a.verdict == "intact"


def test_misspellings_are_repairs_with_the_word() -> None:
    a = piece(r"\relative c'' { c# dsharp bb ef }")
    assert [p for _, p, _ in notes(a)] == [73, 75, 70, 75]
    fixes = [(r.before, r.after) for r in a.repairs if r.kind == "pitch-spelling"]
    assert fixes == [("c#", "cis"), ("dsharp", "dis"), ("bb", "bes"), ("ef", "es")]


def test_english_names_under_language_english_are_not_repairs() -> None:
    a = piece('\\language "english"\n\\relative c\' { cs4 ef bf \\tempo 4 = 100 c }')
    assert [p for _, p, _ in notes(a)] == [61, 63, 58, 60]
    assert a.verdict == "intact"


def test_midi_block_tempo_and_unread_chord_names() -> None:
    a = piece(
        r"""\score { <<
          \new ChordNames \chordmode { c1:m f1 }
          \new Staff \relative c' { c4 d e f }
        >> \midi { \tempo 4 = 90 } }"""
    )
    assert [p for _, p, _ in notes(a)] == [60, 62, 64, 65]
    assert a.tempo_bpm == 90.0
    assert [r.loss for r in a.repairs if r.kind == "mode-not-read"] == ["lost"]


def test_no_tempo_is_guessed_from_lilypond_default() -> None:
    a = piece(r"\relative c' { c d e f }")
    assert a.verdict == "salvaged"
    assert [r.after for r in a.repairs if r.kind == "tempo-default"] == ["60"]


@pytest.mark.parametrize(
    "text",
    [
        "Use \\relative c' so that c d e f stays in one octave, then \\score.",
        "LaTeX: \\newcommand{\\score}{c d e f g} and \\version of it",
        "```lilypond\n% nothing here yet\n```",
    ],
)
def test_prose_about_lilypond_gives_no_piece(text: str) -> None:
    report = midiforensics.decode(text)
    assert not [a for a in report.artifacts if a.kind == "midi"]


def corpus_text(name: str) -> str:
    if not FORMATS.is_dir():
        pytest.skip("../shared/corpus/formats is not here")
    return next(FORMATS.glob(name + "*")).read_text()


def test_corpus_ruin_king() -> None:
    a = piece(corpus_text("lilypond_01"))
    got = [p for _, p, _ in notes(a)]
    # e2. g4 | fis2 e4 d | e1~ | e2. b,4 | a'2 g4 fis | g1~ | g2 fis4 e | d1 (then again)
    first = [52, 55, 54, 52, 50, 52, 35, 45, 43, 42, 43, 42, 40, 38]
    assert got[:14] == first and len(got) == 28
    assert a.tempo_bpm == 40.0 and a.verdict == "intact"


def test_corpus_invalid_dsharp_is_repaired() -> None:
    a = piece(corpus_text("lilypond_02"))
    got = [p for _, p, _ in notes(a)]
    assert got[:7] == [72, 75, 76, 77, 80, 81, 83]  # c8 dis e f gis a b from c''
    assert ("dsharp", "dis") in [(r.before, r.after) for r in a.repairs]


def test_corpus_lilypond_in_a_python_string() -> None:
    a = piece(corpus_text("lilypond_03"))
    got = [p for _, p, _ in notes(a)]
    assert got == [72, 74, 76, 77, 79, 81, 83, 84, 96, 95, 93, 91, 89, 88, 86, 84]


def test_lilypond_in_a_json_string_is_read_unescaped() -> None:
    doc = json.dumps({"answer": "\\version \"2.24.0\"\n\\relative c'' {\n  c4 d e f | g1\n}\n"})
    assert pitches(doc) == [72, 74, 76, 77, 79]


def test_blocks_nested_too_deep_are_cut_short_and_said() -> None:
    deep = r"\relative c' { c d e f " + "{ " * 400 + "g a" + " }" * 401
    a = piece(deep)
    assert [p for _, p, _ in notes(a)] == [60, 62, 64, 65]
    assert a.verdict == "salvaged"
    assert any(r.kind == "cut-short" and r.loss == "lost" for r in a.repairs)


SCORE = r"""\version "2.24.0"
\score { << \new Staff \relative c'' { \time 3/4 c4 d8 e <c e g>4~ | q2 r4 |
  \tuplet 3/2 { f8 g a } \repeat volta 2 { b4 c } } \new Staff { \clef bass c2. } >> }"""


@pytest.mark.parametrize("seed", range(12))
def test_damaged_lilypond_never_raises(seed: int) -> None:
    rng = random.Random(seed)
    s = list(SCORE)
    for _ in range(rng.randint(1, 25)):
        j = rng.randrange(len(s))
        if rng.random() < 0.5:
            del s[j]
        else:
            s.insert(j, rng.choice("{}<>~\\#(\"',.%|=0123456789abcdefgrs "))
    report = midiforensics.decode("".join(s))
    assert not [p for p in report.problems if p.kind == "failure"]
