"""ABC salvage: finding tunes in text, repairing them, and the notes they render to."""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from midiforensics.formats.abc import tune as abc
from midiforensics.formats.abc.render import grouped_voices
from midiforensics.formats.abc.tokens import flattened
from midiforensics.formats.abc.tune import find_abc, repair_abc

from .conftest import CORPUS as _CORPUS
from .conftest import lcs_f1, midi_notes, midi_pitches, needs_corpus

CORPUS = _CORPUS if _CORPUS.is_dir() else None

FIXTURES = Path(__file__).parent / "fixtures" / "abc"


def only_tune(text: str) -> str:
    found = find_abc(text)
    assert len(found) == 1, found
    return found[0][1]


def check_offsets(tune: str, result: abc.MusicResult) -> None:
    """Every repair points at the text it replaced in the tune it was given."""
    for r in result.repairs:
        assert r.stage == "abc"
        assert r.offset is not None and 0 <= r.offset <= len(tune)
        if r.before:
            assert tune[r.offset : r.offset + len(r.before)] == r.before, r


# ------------------------------------------------------------------------- fixture folder


def fixture_names() -> list[str]:
    return sorted(p.name[: -len(".txt")] for p in FIXTURES.glob("*.txt"))


def test_fixture_folder_is_not_empty() -> None:
    assert len(fixture_names()) >= 4


@pytest.mark.parametrize("name", fixture_names())
def test_fixture(name: str) -> None:
    text = (FIXTURES / f"{name}.txt").read_text()
    want = json.loads((FIXTURES / f"{name}.expected.json").read_text())
    found = find_abc(text)
    assert len(found) == want["tunes"]
    if not want["tunes"]:
        return
    (start, end), tune = found[0]
    assert 0 <= start < end <= len(text)
    result = repair_abc(tune)
    assert result is not None
    assert midi_pitches(result.midi) == want["pitches"]
    assert sorted({r.kind for r in result.repairs}) == sorted(set(want["repairs"]))
    assert result.verdict == want["verdict"]
    assert result.tempo_bpm == want["tempo_bpm"]
    assert result.musicxml and "<score-partwise" in result.musicxml
    check_offsets(tune, result)


# ---------------------------------------------------------------------------- the corpus


def corpus_abc_cases() -> list[Path]:
    return sorted((CORPUS / "dev").glob("abc_*.txt")) if CORPUS else []


def decode_fenced_base64(text: str) -> str:
    m = re.search(r"```\w*\n(.*?)```", text, re.S)
    assert m is not None
    return base64.b64decode("".join(m.group(1).split())).decode()


@needs_corpus
@pytest.mark.parametrize("path", corpus_abc_cases(), ids=lambda p: p.name)
def test_dev_abc_is_intact_and_matches_truth(path: Path) -> None:
    text = decode_fenced_base64(path.read_text())
    truth = json.loads(path.with_name(path.name[:-4] + ".truth.json").read_text())
    tune = only_tune(text)
    result = repair_abc(tune)
    assert result is not None
    assert result.verdict == "intact" and result.repairs == ()
    assert result.source_text == tune
    want = [p for _, p, _ in sorted(map(tuple, truth["pieces"][0]))]
    assert lcs_f1(want, midi_pitches(result.midi)) >= 0.99
    assert result.tempo_bpm == 120.0


def realworld(prefix: str) -> tuple[str, dict]:
    assert CORPUS is not None
    path = next((CORPUS / "realworld").glob(prefix + "*.txt"))
    truth = json.loads(path.with_name(path.name[:-4] + ".truth.json").read_text())
    return path.read_text(), truth


@needs_corpus
def test_rw12_overfull_bars_rebarred_keeping_every_note() -> None:
    text, truth = realworld("rw_12")
    tune = only_tune(text)
    result = repair_abc(tune)
    assert result is not None and result.verdict == "repaired"
    assert result.notes >= truth["min_notes"][0]
    assert {r.kind for r in result.repairs} == {"rebar"}
    check_offsets(tune, result)
    # the written notes are the same, in order; only bar lines were added
    notes_of = re.compile(r"[A-Ga-g][,']*\d*")
    body_before = tune.split("K:C", 1)[1]
    body_after = (result.source_text or "").split("K:C", 1)[1]
    assert notes_of.findall(body_before) == notes_of.findall(body_after)
    # every bar of the result now holds 4 quarters (L:1/4)
    for bar in re.split(r":?\|:?", body_after):
        lengths = [int(d or 1) for d in re.findall(r"[A-Ga-g][,']*(\d*)", bar)]
        assert sum(lengths) in (0, 4), bar


@needs_corpus
def test_rw14_tune_rejoined_from_json_keys_and_values() -> None:
    text, truth = realworld("rw_14")
    (start, end), tune = find_abc(text)[0]
    assert text[start] == '"' and text[end - 1] == '"'
    assert tune.splitlines()[:3] == ["M:4/4", "L:1/8", "K:D"]
    assert len([ln for ln in tune.splitlines() if "|" in ln]) == 3
    result = repair_abc(tune)
    assert result is not None
    assert result.notes >= truth["min_notes"][0]
    assert [r.kind for r in result.repairs] == ["header"]  # X: was missing


@needs_corpus
def test_rw16_letter_name_flats() -> None:
    text, truth = realworld("rw_16")
    tune = only_tune(text)
    result = repair_abc(tune)
    assert result is not None
    assert result.notes >= truth["min_notes"][0]
    flats = [(r.before, r.after) for r in result.repairs if r.kind == "accidental"]
    assert flats == [("Db", "_D"), ("Ab", "_A"), ("Eb2", "_E2"), ("Bb2", "_B2")]
    check_offsets(tune, result)
    # bar 3, "B2 Db F2 Ab" in K:Bb: B-flat 4, D-flat 4, F 4, A-flat 4 (70, 61, 65, 68)
    pitches = midi_pitches(result.midi)
    assert any(pitches[i : i + 4] == [70, 61, 65, 68] for i in range(len(pitches)))
    assert result.tempo_bpm == 110.0


@needs_corpus
def test_no_abc_in_other_corpus_families() -> None:
    assert CORPUS is not None
    paths = [p for d in ("dev", "seed", "realworld") for p in sorted((CORPUS / d).glob("*.txt"))]
    for path in paths:
        if path.name.startswith("abc_") or "_abc_" in path.name:
            continue
        assert find_abc(path.read_text()) == [], path.name


# ------------------------------------------------------------------------------- finding

NEGATIVE = [
    "Q: How do I play a C major scale?\nA: Play C D E F G A B c in order.\nQ: 120\n",
    "Use K:C for the key.\nK:C\n\nThat's all.\n",
    "X:1\nT:Tune\nM:4/4\nL:1/8\nK:G\n",
    "def f(a, b):\n    c = a | b\n    return c & d\n",
    '{"chords": "Bb7 | Eb7 | Bb7 | F7 | Eb7 | Bb7", "scales": "Bb Mixolydian"}',
    "A bad cab faced a deaf bee.\nX:1\nAdd a bed.\n",
    "K:C\nC D\n",  # two notes are not a tune
    "",
    "a|" * 5000,
    '"' * 5000,
]


@pytest.mark.parametrize("text", NEGATIVE)
def test_not_abc(text: str) -> None:
    assert find_abc(text) == []


def test_tune_without_headers_in_abc_fence() -> None:
    tune = only_tune("Try this:\n```abc\n|: C D E F | G A B c :|\n```\n")
    result = repair_abc(tune)
    assert result is not None
    kinds = [(r.kind, r.after) for r in result.repairs]
    assert kinds == [
        ("header", "X:1\n"),
        ("header", "L:1/8\n"),
        ("header", "M:4/4\n"),
        ("header", "K:C\n"),
    ]
    assert [r.loss for r in result.repairs] == ["", "guessed", "guessed", "guessed"]
    assert result.verdict == "salvaged"
    assert midi_pitches(result.midi)[:8] == [60, 62, 64, 65, 67, 69, 71, 72]


def test_two_tunes_found_apart() -> None:
    text = "X:1\nT:A\nK:C\nC D E F|G4|]\n\nX:2\nT:B\nK:G\nG A B c|d4|]\n"
    found = find_abc(text)
    assert [t.splitlines()[0] for _, t in found] == ["X:1", "X:2"]
    assert [text[s:e].splitlines()[0] for (s, e), _ in found] == ["X:1", "X:2"]


def test_double_escaped_json() -> None:
    text = '{"x": "{\\"abc\\": \\"X:1\\\\nM:4/4\\\\nL:1/4\\\\nK:C\\\\nC D E F | G4 |]\\\\n\\"}"}'
    tune = only_tune(text)
    assert tune == "X:1\nM:4/4\nL:1/4\nK:C\nC D E F | G4 |]\n"


def test_blank_line_between_header_and_body() -> None:
    tune = only_tune("X:1\nM:6/8\nL:1/8\nK:D\n\nDFA dAF | GBd gdB |\n\nAce aec | d3 D3 |]\n")
    assert tune.endswith("DFA dAF | GBd gdB |\n\nAce aec | d3 D3 |]\n")


# ------------------------------------------------------------------------------ repairing

# (tune, expected MIDI pitches, expected (kind, before, after) repairs)
REPAIRS = [
    (
        "X:1\nM:4/4\nL:1/4\nK:C\nF#4 | C# D F# G |]\n",
        [66, 61, 62, 66, 67],
        [("accidental", "F#4", "^F4"), ("accidental", "C#", "^C"), ("accidental", "F#", "^F")],
    ),
    (  # a later plain B in the bar keeps the key's pitch, as the model meant
        "X:1\nM:4/4\nL:1/4\nK:C\nBb A B c |]\n",
        [70, 69, 71, 72],
        [("accidental", "Bb", "_B"), ("accidental", "", "=")],
    ),
    (  # a tune made mostly of letter-name flats is still read as one
        "X:1\nM:3/4\nL:1/4\nK:C\nBb Eb F | Bb Eb F | Ab G F |]\n",
        [70, 63, 65, 70, 63, 65, 68, 67, 65],
        [("accidental", b, "_" + b[0]) for b in ("Bb", "Eb", "Bb", "Eb", "Ab")],
    ),
    (  # a new bar line must not lose an accidental the old bar carried
        "X:1\nM:2/4\nL:1/4\nK:C\n^F G F A |]\n",
        [66, 67, 66, 69],
        [("rebar", "", " |"), ("accidental", "", "^")],
    ),
    (  # bars that all hold 3/2 in 4/4 and cannot be split into whole bars: fix the meter
        "X:1\nM:4/4\nL:1/4\nK:C\nC D E F G A | B c d e f g | a g f e d c |]\n",
        [60, 62, 64, 65, 67, 69, 71, 72, 74, 76, 77, 79, 81, 79, 77, 76, 74, 72],
        [("meter", "M:4/4", "M:3/2")],
    ),
    (
        "X:1\nM:4/4\nL:1/4\nK:C\nC D E F | G A B c | [CE",
        [60, 62, 64, 65, 67, 69, 71, 72],
        [("truncated", "[CE", "")],
    ),
    (
        "X:1\nM:4/4\nL:1/4\nK:C\nC D E F | G A B c | ^",
        [60, 62, 64, 65, 67, 69, 71, 72],
        [("truncated", "^", "")],
    ),
    (  # a chord symbol left open mid-tune: its text is not notes
        'X:1\nM:4/4\nL:1/4\nK:C\nC D E F | "Dm7 G A B c |\nc B A G |]\n',
        [60, 62, 64, 65, 67, 69, 71, 72, 72, 71, 69, 67],
        [("not-abc", '"Dm7', "")],
    ),
    (  # an open quote that is not a chord name: the rest of its line is text
        'X:1\nM:4/4\nL:1/4\nK:C\nC D E F | "play softly G A |\nc B A G |]\n',
        [60, 62, 64, 65, 72, 71, 69, 67],
        [("not-abc", '"play softly G A |', "")],
    ),
    (
        "X:1\nM:4/4\nK:C\nC D E F | G A B c |]\n",
        [60, 62, 64, 65, 67, 69, 71, 72],
        [("header", "", "L:1/8\n")],
    ),
    (
        "T:No key\nM:4/4\nL:1/8\nC2 D2 E2 F2 | G8 |]\n",
        [60, 62, 64, 65, 67],
        [("header", "", "X:1\n"), ("header", "", "K:C\n")],
    ),
    (  # a valid tune reads as music21 reads it: an accidental applies to its own note
        "X:1\nM:4/4\nL:1/4\nK:C\n^c c d c | c4 |]\n",
        [73, 72, 74, 72, 72],
        [],
    ),
]


@pytest.mark.parametrize(("tune", "pitches", "repairs"), REPAIRS)
def test_repair_table(tune: str, pitches: list[int], repairs: list[tuple[str, str, str]]) -> None:
    result = repair_abc(tune)
    assert result is not None
    assert midi_pitches(result.midi) == pitches
    assert [(r.kind, r.before, r.after) for r in result.repairs] == repairs
    # a cut-off end is lost, a defaulted header (other than X:) or a fitted meter guessed
    lossy = any(
        k in ("truncated", "meter") or k == "header" and a != "X:1\n" for k, _, a in repairs
    )
    assert result.verdict == ("intact" if not repairs else "salvaged" if lossy else "repaired")
    check_offsets(tune, result)


def test_valid_tune_passes_unchanged() -> None:
    tune = "X:1\nT:Reel\nM:4/4\nL:1/8\nK:G\nGABc dBAG | FAdc BAGF | GBdg fgaf | gedc BGG2 :|\n"
    result = repair_abc(tune)
    assert result is not None
    assert result.verdict == "intact" and result.source_text == tune
    assert result.notes == 62  # 31 written notes, played twice
    assert result.confidence == 1.0


def test_beamed_b_after_capital_is_not_a_flat() -> None:
    # "Ab" inside a beamed run is A then b, as ABC says
    result = repair_abc("X:1\nM:4/4\nL:1/8\nK:C\nGAbg fedc | c8 |]\n")
    assert result is not None and result.repairs == ()
    assert midi_pitches(result.midi)[:3] == [67, 69, 83]


def test_no_notes_is_none() -> None:
    assert repair_abc("X:1\nK:C\n") is None
    assert repair_abc("X:1\nK:C\n| z4 | z4 |]\n") is None
    assert repair_abc("") is None


def test_long_tune_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(abc, "_MAX_NOTES", 40)
    tune = "X:1\nM:4/4\nL:1/4\nK:C\n" + "C D E F | " * 30 + "\n"
    result = repair_abc(tune)
    assert result is not None and result.verdict == "salvaged"
    assert result.notes == 40
    assert result.repairs[-1].kind == "truncated"


ABC_CHARS = "ABCDEFGabcdefgz,'^_=|[]:\"!{}()<>/-1234 \n#Xb%"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=ABC_CHARS, max_size=120))
def test_repair_never_raises(body: str) -> None:
    result = repair_abc("X:1\nM:4/4\nL:1/8\nK:C\n" + body)
    if result is not None:
        assert result.notes > 0 and result.midi.startswith(b"MThd")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_find_never_raises(text: str) -> None:
    for (start, end), tune in find_abc(text):
        assert 0 <= start < end <= len(text)
        assert tune.endswith("\n")


# ------------------------------------------------------------- ABC as models and tunes write it


def onsets(midi: bytes) -> list[tuple[float, int]]:
    """(onset in quarter notes, pitch) of every sounding note of a MIDI file."""
    import mido

    tpb = mido.MidiFile(file=io.BytesIO(midi)).ticks_per_beat
    return [(t / tpb, p) for t, p in midi_notes(midi)]


def beats(result: abc.MusicResult) -> list[tuple[float, int]]:
    return onsets(result.midi)


def scale(pitches: list[int]) -> list[tuple[float, int]]:
    return [(float(i), p) for i, p in enumerate(pitches)]


UPPER = [72, 74, 76, 77, 79, 81, 83, 84]  # c d e f g a b c'
LOWER = [48, 50, 52, 53, 55, 57, 59, 60]  # C, D, E, F, G, A, B, C
HEAD = "X:1\nT:Duet\nM:4/4\nL:1/4\nK:C\n"
VOICES = {
    "voice headers": HEAD + 'V:1 name="Right" clef=treble\nc d e f | g a b c\' |]\n'
    'V:2 name="Left" clef=bass\nC, D, E, F, | G, A, B, C |]\n',
    "inline [V:]": HEAD + "[V:1] c d e f | g a b c' |]\n[V:2] C, D, E, F, | G, A, B, C |]\n",
    "interleaved blocks": HEAD + "V:1\nc d e f |\nV:2\nC, D, E, F, |\nV:1\ng a b c' |]\n"
    "V:2\nG, A, B, C |]\n",
    "declared in the header": "X:1\nT:Duet\nM:4/4\nL:1/4\nV:1 clef=treble\nV:2 clef=bass\nK:C\n"
    "[V:1] c d e f |\n[V:2] C, D, E, F, |\n[V:1] g a b c' |]\n[V:2] G, A, B, C |]\n",
}


@pytest.mark.parametrize("name", list(VOICES))
def test_each_voice_is_a_part_with_its_notes_at_their_onsets(name: str) -> None:
    tune = only_tune(VOICES[name])
    result = repair_abc(tune)
    assert result is not None
    # where music21 alone would play voice blocks one after another, gathering them is a
    # repair the report shows; where it reads the voices right, nothing is changed
    gathered = grouped_voices(tune) != tune
    assert result.verdict == ("repaired" if gathered else "intact")
    assert ("voices-gathered" in {r.kind for r in result.repairs}) == gathered
    assert result.tracks == 2
    assert beats(result) == sorted(scale(UPPER) + scale(LOWER))


TUNE_BODY = "G A B | c2 B | A G F | G3 |]\n"
BODY_PITCHES = [67, 69, 71, 72, 71, 69, 67, 66, 67]
HEAD34 = "X:1\nT:Air\nM:3/4\nL:1/4\nK:G\n"
AS_WRITTEN = {  # each reads as the plain body: nothing in it is notes, nothing needs repair
    "lyrics": HEAD34
    + "G A B | c2 B |\nw: Bag-a bed a-cab-bage\nA G F | G3 |]\nW: Ace, bad egg, face a deaf bee\n",
    "%%MIDI and other %% lines": "X:1\nT:Air\n%%MIDI program 41\n%%score (1)\nM:3/4\nL:1/4\n"
    "K:G\n%%MIDI transpose 0\n" + TUNE_BODY,
    "two titles": "X:1\nT:Air\nT:A second title with notes: C D E\nM:3/4\nL:1/4\nK:G\n" + TUNE_BODY,
    "tempo word first": 'X:1\nT:Air\nM:3/4\nL:1/4\nQ:"Allegro" 1/4=120\nK:G\n' + TUNE_BODY,
    "tempo word after": 'X:1\nT:Air\nM:3/4\nL:1/4\nQ:1/4=120 "Allegro"\nK:G\n' + TUNE_BODY,
    "chords in quotes": HEAD34 + '"G" G A B | "C" c2 B | "D7" A G F | "G" G3 |]\n',
    "decorations": HEAD34 + "!p! G .A uB | v(c2 B) | !f!A TG F | G3 |]\n",
}


@pytest.mark.parametrize("name", list(AS_WRITTEN))
def test_what_is_not_notes_is_not_read_as_notes(name: str) -> None:
    tune = only_tune("Here you go:\n\n" + AS_WRITTEN[name] + "\nEnjoy!\n")
    result = repair_abc(tune)
    assert result is not None and result.verdict == "intact", result and result.repairs
    assert midi_pitches(result.midi) == BODY_PITCHES
    if "tempo" in name:
        assert result.tempo_bpm == 120.0


def test_bowing_mark_at_a_line_start() -> None:
    tune = "X:1\nT:Bow\nM:4/4\nL:1/8\nK:D\nv(AB)| d2 f2 a2 f2 |\nu(AB)| d8 |]\n"
    result = repair_abc(tune)
    assert result is not None and result.verdict == "intact", result and result.repairs
    assert midi_pitches(result.midi) == [69, 71, 74, 78, 81, 78, 69, 71, 74]


def test_tune_flattened_onto_one_line_is_split_back(tmp_path: Path) -> None:
    from midiforensics import decode

    text = "Sure! X:1 T:Air M:3/4 L:1/8 K:D |: D2 F2 A2 | d4 c2 | B6 :|\nThat is all.\n"
    report = decode(text, out_dir=str(tmp_path))
    mids = [a for a in report.artifacts if a.kind == "midi"]
    assert len(mids) == 1 and mids[0].verdict == "repaired"
    assert [r.kind for r in report.repairs if r.stage == "abc"] == ["lines"]
    assert midi_pitches(Path(mids[0].path).read_bytes()) == [62, 66, 69, 74, 73, 71] * 2
    abc_text = next(a for a in report.artifacts if a.kind == "abc")
    lines = Path(abc_text.path).read_text().splitlines()
    assert lines[:5] == ["X:1", "T:Air", "M:3/4", "L:1/8", "K:D"]


def test_one_line_with_fields_but_no_music_is_not_split() -> None:
    assert flattened("X:1 T:Air M:3/4 L:1/8 K:D") is None
    assert flattened("T:Sonata K:331 in A") is None


def test_tune_without_x_in_a_json_log(tmp_path: Path) -> None:
    from midiforensics import decode

    log = (
        '12:00:01 call compose {"style": "reel", "bars": 3}\n'
        '12:00:04 done {"tool": "compose", "output": {"abc": "T:Air\\nM:4/4\\nL:1/8\\nK:G\\n'
        'GABc dBAG|FAdc BAGF|G8|]"}}\n'
    )
    report = decode(log, out_dir=str(tmp_path))
    mids = [a for a in report.artifacts if a.kind == "midi"]
    assert len(mids) == 1
    assert [(r.kind, r.after) for r in report.repairs if r.stage == "abc"] == [("header", "X:1\n")]
    assert mids[0].verdict == "repaired"  # a reference number is not music: nothing guessed
    pitches = midi_pitches(Path(mids[0].path).read_bytes())
    assert pitches == [67, 69, 71, 72, 74, 71, 69, 67, 66, 69, 74, 72, 71, 69, 67, 66, 67]


def test_small_letter_flats_when_the_tune_spells_note_names() -> None:
    tune = "X:1\nM:4/4\nL:1/4\nK:C\nC Eb G Bb | c eb g bb | c4 |]\n"
    result = repair_abc(tune)
    assert result is not None
    assert [(r.before, r.after) for r in result.repairs] == [
        ("Eb", "_E"),
        ("Bb", "_B"),
        ("eb", "_e"),
        ("bb", "_b"),
    ]
    assert midi_pitches(result.midi) == [60, 63, 67, 70, 72, 75, 79, 82, 72]
    check_offsets(tune, result)


def test_small_b_pairs_in_plain_abc_stay_two_notes() -> None:
    tune = "X:1\nM:4/4\nL:1/8\nK:G\ng2 bb a2 gb | d2 eb g4 |]\n"
    result = repair_abc(tune)
    assert result is not None and result.verdict == "intact"
    assert result.notes == 10


def test_valid_tune_is_music21s_reading_note_for_note() -> None:
    from music21 import converter

    tune = "X:1\nT:Jig\nM:6/8\nL:1/8\nK:D\n|: dfa afd | B3 A2F | G>AB AFD :|\n"
    score = converter.parse(tune, format="abc")
    want = sorted(
        (float(n.getOffsetInHierarchy(score)), n.pitch.midi) for n in score.flatten().notes
    )
    result = repair_abc(tune)
    assert result is not None and result.verdict == "intact" and not result.repairs
    assert beats(result)[: len(want)] == want  # then the repeat, played out


def test_plain_reading_kept_when_repair_would_lose_notes() -> None:
    # "!" as an old-style line break: the repair takes "!...!" for a decoration and drops text
    tune = "X:1\nM:4/4\nL:1/8\nK:G\nG2 B2 d2 g2 | !f2 e2 d2 B2 | G8 |]\n"
    plain = repair_abc(tune.replace("!", ""))
    result = repair_abc(tune)
    assert plain is not None and result is not None
    assert result.notes == plain.notes == 9 and result.repairs == ()
    assert "plain reading was kept" in result.as_found
    assert result.musicxml and "<score-partwise" in result.musicxml


def test_unpaired_repeats_written_once_rather_than_lost() -> None:
    tune = "X:1\nM:4/4\nL:1/4\nK:C\nC D E F |2 G A B c :|1 d e f g :| c4\n"
    result = repair_abc(tune)
    assert result is not None and result.verdict == "salvaged"
    assert [(r.kind, r.loss) for r in result.repairs] == [("repeats", "lost")]
    assert midi_pitches(result.midi) == [60, 62, 64, 65, 67, 69, 71, 72, 74, 76, 77, 79, 72]
    check_offsets(tune, result)


# ------------------------------------------------- do no harm: music21's own ABC files


def music21_tunes(count: int) -> list[tuple[str, str]]:
    """(name, tune) for the first tune of ``count`` files spread evenly over music21's .abc
    files (deterministic); benchmarks/bench_abc_noharm.py runs them all."""
    from music21 import corpus

    paths = sorted(str(p) for p in corpus.getPaths(fileExtensions=["abc"]))
    out = []
    for path in paths[:: max(1, len(paths) // count)][:count]:
        text = Path(path).read_text(encoding="latin-1")
        m = re.search(r"^X:.*?(?=\n[ \t]*\n|\nX:|\Z)", text, re.S | re.M)
        if m:
            out.append((Path(path).name, m.group() + "\n"))
    return out


def music21_reading(tune: str) -> list[tuple[float, int]]:
    from music21 import converter
    from music21 import midi as m21midi

    score = converter.parse(tune, format="abc")
    return onsets(m21midi.translate.music21ObjectToMidiFile(score).writestr())


@pytest.mark.parametrize(("name", "tune"), music21_tunes(10), ids=lambda x: str(x)[:20])
def test_music21_corpus_tune_comes_out_as_music21_reads_it(
    name: str, tune: str, tmp_path: Path
) -> None:
    from midiforensics import decode

    # a valid tune comes out as music21 reads it, note for note (pitch and onset)
    want = music21_reading(tune)
    chat = f"Here is the tune:\n\n{tune}\nHave fun!\n"
    log = 'out: {"abc": ' + json.dumps(tune) + "}\n"
    for i, text in enumerate((chat, log)):
        report = decode(text, out_dir=str(tmp_path / str(i)))
        got = sorted(
            n
            for a in report.artifacts
            if a.kind == "midi"
            for n in onsets(Path(a.path).read_bytes())
        )
        assert got == want, (name, i)


def test_a_voice_music21_cannot_write_is_left_out_and_the_others_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from midiforensics.formats import scorerender

    real = scorerender.stream_to_outputs

    def refuses_low_notes(score: object, want_xml: bool = True) -> object:
        if any(p.midi < 60 for n in score.recurse().notes for p in n.pitches):  # type: ignore[attr-defined]
            raise ValueError("simulated: music21 cannot write this voice")
        return real(score, want_xml)

    monkeypatch.setattr(scorerender, "stream_to_outputs", refuses_low_notes)
    tune = VOICES["voice headers"]
    result = repair_abc(tune)
    assert result is not None and result.verdict == "salvaged" and result.tracks == 1
    assert [(r.kind, r.loss) for r in result.repairs] == [("voice-dropped", "lost")]
    assert midi_pitches(result.midi) == UPPER
    check_offsets(tune, result)
