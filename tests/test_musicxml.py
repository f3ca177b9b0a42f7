"""MusicXML salvage: real damaged inputs -> the notes their truth files list, and the repairs."""

from __future__ import annotations

import io
import json
from pathlib import Path

import mido
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from midiforensics.formats.musicxml.repair import parse_step
from midiforensics.formats.musicxml.score import ScoreUnreadable, find_musicxml, repair_musicxml
from midiforensics.formats.xmlsafe import edit_distance, parse

from .conftest import midi_notes, midi_pitches

FIX = Path(__file__).parent / "fixtures" / "musicxml"
EXPECTED = json.loads((FIX / "expected.json").read_text())
TEXT_CASES = sorted(k for k in EXPECTED if k.endswith(".txt"))


def results(text: str):
    return [repair_musicxml(text[s:e]) for s, e in find_musicxml(text)]


@pytest.mark.parametrize("name", TEXT_CASES)
def test_corpus_cases_recover_their_notes(name: str) -> None:
    text = (FIX / name).read_text()
    got = [midi_pitches(r.midi) for r in results(text) if r is not None and r.notes]
    for piece in EXPECTED[name]:
        assert piece in got, f"{name}: {piece} not among {got}"


def test_seed_six_notes_in_order_and_fragment() -> None:
    text = (FIX / "seed_decoded.txt").read_text()
    extents = find_musicxml(text)
    assert len(extents) == 2
    score, frag = (repair_musicxml(text[s:e]) for s, e in extents)
    assert score is not None and frag is not None
    assert midi_pitches(score.midi) == [60, 62, 64, 65, 66, 67]
    assert score.verdict == "repaired"
    kinds = {(r.kind, r.before, r.after.split(" ")[0]) for r in score.repairs}
    assert ("element-name", "<scope-partwise>", "<score-partwise>") in kinds
    assert ("element-name", "<fifthhs>", "<fifths>") in kinds
    assert ("element-name", "<p>", "<pitch>") in kinds
    assert ("step", "F&+1", "F") in kinds
    assert any(r.kind == "time-signature" and r.before == "3/3" for r in score.repairs)
    assert frag.verdict == "fragment" and frag.notes == 0
    assert frag.tempo_bpm == 120.0
    # offsets point at the damage in the extent as given (before unescaping)
    s, e = extents[0]
    extent = text[s:e]
    for r in score.repairs:
        if r.kind == "element-name" and r.before == "<fifthhs>":
            assert extent[r.offset :].startswith("<fifthhs>")


HEAD = (
    '<score-partwise version="4.0"><part-list><score-part id="P1"><part-name>A</part-name>'
    '</score-part></part-list><part id="P1"><measure number="1"><attributes><divisions>1'
    "</divisions><time><beats>4</beats><beat-type>4</beat-type></time></attributes>"
)
TAIL = "</measure></part></score-partwise>"


def note(
    step: str, octave: str = "4", tag: str = "pitch", dur: str = "<duration>1</duration>"
) -> str:
    return f"<note><{tag}><step>{step}</step><octave>{octave}</octave></{tag}>{dur}<type>quarter</type></note>"


# (damaged document, expected pitches, a repair kind that must be logged)
TABLE = [
    (HEAD + note("C") + note("E", tag="p") + TAIL, [60, 64], "element-name"),
    (HEAD + note("C") + note("E", tag="pich") + TAIL, [60, 64], "element-name"),
    (HEAD + note("F#") + note("Bb", "3") + note("d") + TAIL, [66, 58, 62], "step"),
    (HEAD + note("D-alter") + note("F&amp;") + note("F&amp;+1") + TAIL, [62, 65, 66], "step"),
    (HEAD + note("C") + note("G") + "<note><pitch><st", [60, 67], "truncated"),
    (
        HEAD + note("C") + note("G") + "<note><pitch><step>A</step><octave>4</octave></pitch>",
        [60, 67, 69],
        "truncated",
    ),
    (HEAD + note("C") + "<note><pitch><step>B</step><octave>4", [60], "truncated"),
    (
        HEAD.replace("<divisions>1</divisions>", "")
        + note("C", dur="<duration>2</duration>")
        + TAIL,
        [60],
        "divisions",
    ),
    (
        HEAD.replace("score-partwise", "scope-partwise")
        + note("A")
        + TAIL.replace("score", "scope"),
        [69],
        "element-name",
    ),
    (
        HEAD.replace(
            '<part-list><score-part id="P1"><part-name>A</part-name></score-part></part-list>', ""
        )
        + note("B")
        + TAIL,
        [71],
        "part-list",
    ),
    (HEAD.replace('<part id="P1">', '<part id="P9">') + note("B") + TAIL, [71], "part-id"),
    (
        HEAD.replace("<beat-type>4", "<beat-type>3")
        + note("C")
        + note("D")
        + note("E")
        + note("F")
        + TAIL,
        [60, 62, 64, 65],
        "time-signature",
    ),
    (
        HEAD.replace("<fifths>", "")
        + "<attributes><tempo><beat-unit>quarter</beat-unit><per-minute>90</per-minute></tempo></attributes>"
        + note("G")
        + TAIL,
        [67],
        "tempo",
    ),
    (HEAD + note("C", dur="") + note("D", dur="") + TAIL, [60, 62], "duration"),
]


@pytest.mark.parametrize("doc,pitches,kind", TABLE)
def test_damage_table(doc: str, pitches: list[int], kind: str) -> None:
    r = repair_musicxml(doc)
    assert r is not None
    assert midi_pitches(r.midi) == pitches
    assert kind in {x.kind for x in r.repairs}
    assert r.verdict in ("repaired", "salvaged")
    assert all(x.stage == "musicxml" for x in r.repairs)


def test_tempo_in_attributes_is_played() -> None:
    doc = (
        HEAD
        + "<attributes><tempo><beat-unit>quarter</beat-unit><per-minute>90</per-minute></tempo></attributes>"
        + note("G")
        + TAIL
    )
    r = repair_musicxml(doc)
    assert r is not None and r.tempo_bpm == 90.0
    tempos = [
        m.tempo
        for tr in mido.MidiFile(file=io.BytesIO(r.midi)).tracks
        for m in tr
        if m.type == "set_tempo"
    ]
    assert mido.tempo2bpm(tempos[0]) == pytest.approx(90.0)


def test_valid_musicxml_passes_unchanged() -> None:
    doc = '<?xml version="1.0" encoding="UTF-8"?>\n' + HEAD + note("C") + note("D") + TAIL
    r = repair_musicxml(doc)
    assert r is not None
    assert r.verdict == "intact" and r.repairs == () and r.musicxml == doc
    assert midi_pitches(r.midi) == [60, 62]


def test_timewise_accepted() -> None:
    doc = (
        '<score-timewise><part-list><score-part id="P1"><part-name>A</part-name></score-part>'
        '</part-list><measure number="1"><part id="P1"><attributes><divisions>1</divisions>'
        "</attributes>"
        + note("C")
        + '</part></measure><measure number="2"><part id="P1">'
        + note("E")
        + "</part></measure></score-timewise>"
    )
    r = repair_musicxml(doc)
    assert r is not None and midi_pitches(r.midi) == [60, 64]


@pytest.mark.parametrize(
    "wrap",
    [
        lambda x: x.replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;"),
        lambda x: x.replace("<", "&amp;lt;").replace(">", "&amp;gt;"),
        lambda x: json.dumps({"xml": x.replace("><", ">\n<")})[8:-1],
    ],
)
def test_escaped_forms_found_and_unescaped(wrap) -> None:
    doc = HEAD + note("C") + note("A") + TAIL
    text = (
        "Here you go:\n<code>"
        + wrap(doc)
        + "</code>\nEnjoy the tune, and let me know what you think of it."
    )
    ex = find_musicxml(text)
    assert len(ex) == 1
    r = repair_musicxml(text[ex[0][0] : ex[0][1]])
    assert r is not None and midi_pitches(r.midi) == [60, 69]
    assert "unescape" in {x.kind for x in r.repairs}


def test_attributes_block_alone_is_a_fragment() -> None:
    text = "Add this:\n<attributes><divisions>1</divisions><key><fifths>0</fifths></key></attributes>\n"
    ex = find_musicxml(text)
    assert len(ex) == 1
    r = repair_musicxml(text[ex[0][0] : ex[0][1]])
    assert r is not None and r.verdict == "fragment" and r.notes == 0


@pytest.mark.parametrize(
    "text",
    [
        "MusicXML uses a <note> element with a <pitch> inside; see the spec for <step> too.",
        "Use <b>bold</b> and <i>italics</i> in <p>paragraphs</p> of your HTML page.",
        "No markup here at all, only prose about MusicXML and MIDI files.",
    ],
)
def test_prose_gives_no_notes(text: str) -> None:
    for s, e in find_musicxml(text):
        r = repair_musicxml(text[s:e])
        assert r is None or r.notes == 0


def test_hostile_entities_never_expanded() -> None:
    text = (FIX / "hostile_xml_00.txt").read_text()
    (r,) = results(text)
    assert r is not None and r.notes == 8
    assert "root:" not in (r.musicxml or "") and b"root:" not in r.midi
    assert "aaaaaaaaaa" not in (r.musicxml or "")
    assert "ENTITY" not in (r.musicxml or "")
    assert {"doctype", "entity"} <= {x.kind for x in r.repairs}


def test_parameter_entities_and_public_dtd_are_not_fetched() -> None:
    doc = (
        '<?xml version="1.0"?><!DOCTYPE score-partwise PUBLIC "-//Recordare//DTD MusicXML 3.1 '
        'Partwise//EN" "http://www.musicxml.org/dtds/partwise.dtd">' + HEAD + note("C") + TAIL
    )
    r = repair_musicxml(doc)
    assert r is not None and r.verdict == "intact" and midi_pitches(r.midi) == [60]
    doc2 = '<!DOCTYPE x [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>' + HEAD + note("C") + TAIL
    r2 = repair_musicxml(doc2)
    assert r2 is not None and "passwd" not in (r2.musicxml or "")


def test_find_is_linear_on_hostile_lines() -> None:
    assert find_musicxml("<" * 200_000) == []
    assert find_musicxml("&lt;note" * 50_000) == []
    assert find_musicxml("x" * 1_000_000) == []


def test_deep_nesting_is_bounded() -> None:
    doc = HEAD + "<note>" * 5000 + note("C") + TAIL
    r = repair_musicxml(doc)
    assert r is None or r.notes <= 1


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="<>/&;!?-=\"' abcdeginoprstuFCGx#0123456789\n", max_size=300))
def test_never_raises_on_garbage(text: str) -> None:
    for s, e in find_musicxml(text):
        assert 0 <= s < e <= len(text)
    try:
        repair_musicxml(text)
    except ScoreUnreadable as exc:  # said, not silent: the pipeline reports it as a problem
        assert "music21" in str(exc)


@pytest.mark.parametrize(
    "written,expected",
    [
        ("F#", ("F", 1.0, None)),
        ("Bb", ("B", -1.0, None)),
        ("c", ("C", None, None)),
        ("D-alter", ("D", None, None)),
        ("F&", ("F", None, None)),
        ("F&+1", ("F", 1.0, None)),
        ("Eb4", ("E", -1.0, 4)),
        ("G##", ("G", 2.0, None)),
        ("Q", None),
    ],
)
def test_parse_step(written: str, expected) -> None:
    assert parse_step(written) == expected


def test_reader_closes_and_marks_cut_elements() -> None:
    doc = parse("<a><b>1</b><c>2")
    a = doc.root.elements()[0]
    assert doc.truncated and not a.closed
    assert [n.name for n in a.elements()] == ["b", "c"]
    assert a.elements()[0].closed and not a.elements()[1].closed


def test_edit_distance() -> None:
    assert edit_distance("fifthhs", "fifths") == 1
    assert edit_distance("beattype", "beat-type") == 1
    assert edit_distance("pich", "pitch") == 1
    assert edit_distance("scope-partwise", "score-partwise") == 1
    assert edit_distance("abc", "xyz") == 3


# ---------------------------------------------------------------- issue 11: never worse than plain

PROSE_IN_SCORE = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<score-partwise version="3.1">\n'
    "  <movement-title>An evening song for the garden, written for my daughter's birthday"
    "</movement-title>\n"
    "  <identification><rights>Copyright 2024 by the composer, all rights reserved, please do "
    "not copy this without asking first.</rights>\n"
    '  <miscellaneous><miscellaneous-field name="note">This arrangement was made for a small '
    "choir and a piano, and it is meant to be sung slowly.</miscellaneous-field>"
    "</miscellaneous></identification>\n"
    '  <credit page="1"><credit-words>Slowly, with a lot of feeling, and never too loud in '
    "the second verse of the song.</credit-words></credit>\n"
    '  <part-list><score-part id="P1"><part-name>Voice</part-name></score-part></part-list>\n'
    '  <part id="P1">\n    <measure number="1"><attributes><divisions>1</divisions>'
    "<time><beats>2</beats><beat-type>4</beat-type></time></attributes>\n"
    "<?Finale Measure 1 has a long comment that was written by the export plugin?>\n"
    + note("C")
    + note("D")
    + "</measure>\n    <!-- The second measure is where the melody rises, and the choir joins "
    "in with the altos first and then the tenors. -->\n"
    '    <measure number="2"><?DoletSibelius Unexported frame in this measure?>'
    + note("E")
    + note("G")
    + "</measure>\n  </part>\n</score-partwise>\n"
)


def _decoded_pitches(text: str, tmp_path: Path) -> tuple[list[list[int]], object]:
    import midiforensics

    report = midiforensics.decode(text, out_dir=str(tmp_path))
    mids = [a for a in report.artifacts if a.kind == "midi"]
    return [midi_pitches(Path(a.path).read_bytes()) for a in mids], report


@pytest.mark.parametrize("wrap", ["raw", "prose"])
def test_prose_inside_a_score_is_the_scores(wrap: str, tmp_path: Path) -> None:
    text = PROSE_IN_SCORE
    if wrap == "prose":
        text = "Here is the song you asked for.\n\n" + text + "\nI hope the choir likes it!\n"
    assert len(find_musicxml(text)) == 1
    pieces, report = _decoded_pitches(text, tmp_path)
    assert pieces == [[60, 62, 64, 67]]
    (xml,) = [a for a in report.artifacts if a.kind == "musicxml"]  # type: ignore[attr-defined]
    assert xml.verdict == "intact"
    assert Path(xml.path).read_text() == PROSE_IN_SCORE.strip()


def _score(parts: dict[str, str], extra_ids: tuple[str, ...] = (), beats: int = 4) -> str:
    ids = [*parts, *extra_ids]
    plist = "".join(f'<score-part id="{i}"><part-name>{i}</part-name></score-part>' for i in ids)
    body = "".join(f'<part id="{i}">{m}</part>' for i, m in parts.items())
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<score-partwise version="3.1">'
        f"<part-list>{plist}</part-list>{body}</score-partwise>"
    )


ATTR = (
    "<attributes><divisions>1</divisions><time><beats>2</beats><beat-type>4</beat-type></time>"
    "{staves}</attributes>"
)


def test_unbalanced_repeat_still_plays_and_says_so(tmp_path: Path) -> None:
    m1 = '<measure number="1">' + ATTR.format(staves="") + note("C") + note("D") + "</measure>"
    m2 = (
        '<measure number="2">'
        + note("E")
        + note("F")
        + '<barline location="right"><repeat direction="backward"/></barline></measure>'
    )
    m3 = (
        '<measure number="3"><barline location="left"><repeat direction="forward"/></barline>'
        + note("G")
        + note("A")
        + "</measure>"
    )
    text = "The tune:\n\n" + _score({"P1": m1 + m2 + m3}) + "\n\nThat is all.\n"
    pieces, report = _decoded_pitches(text, tmp_path)
    assert pieces == [[60, 62, 64, 65, 67, 69]]
    (xml,) = [a for a in report.artifacts if a.kind == "musicxml"]  # type: ignore[attr-defined]
    assert Path(xml.path).read_text().count("<repeat ") == 2  # the score keeps its repeats
    assert any(r.kind == "render" and "repeats" in r.reason for r in xml.repairs)


def test_cut_off_parts_leave_the_part_list_and_the_rest_plays(tmp_path: Path) -> None:
    m1 = '<measure number="1">' + ATTR.format(staves="") + note("C") + note("E") + "</measure>"
    text = _score({"P1": m1}, extra_ids=("P2", "P3"))
    pieces, report = _decoded_pitches(text, tmp_path)
    assert pieces == [[60, 64]]
    (xml,) = [a for a in report.artifacts if a.kind == "musicxml"]  # type: ignore[attr-defined]
    dropped = [r for r in xml.repairs if r.kind == "part-list" and r.loss == "lost"]
    assert len(dropped) == 2 and xml.verdict == "salvaged"


def test_second_staff_without_backup_starts_with_the_bar(tmp_path: Path) -> None:
    def st(step: str, octave: str, staff: int) -> str:
        return note(step, octave).replace("</note>", f"<staff>{staff}</staff></note>")

    attrs = ATTR.format(staves="<staves>2</staves>")
    m1 = (
        '<measure number="1">'
        + attrs
        + st("E", "5", 1)
        + st("G", "5", 1)
        + st("C", "3", 2)
        + st("G", "3", 2)
        + "</measure>"
    )
    m2 = (
        '<measure number="2">'
        + st("F", "5", 1)
        + st("D", "5", 1)
        + "<backup><duration>2</duration></backup>"
        + st("B", "2", 2)
        + st("G", "2", 2)
        + "</measure>"
    )
    pieces, report = _decoded_pitches(_score({"P1": m1 + m2}), tmp_path)
    (mid,) = [a for a in report.artifacts if a.kind == "midi"]  # type: ignore[attr-defined]
    onsets = midi_notes(Path(mid.path).read_bytes())
    starts = sorted({t for t, _ in onsets})
    assert len(starts) == 4  # two beats a bar, both staves together: not eight onsets
    assert sorted(p for t, p in onsets if t == starts[0]) == [48, 76]
    (xml,) = [a for a in report.artifacts if a.kind == "musicxml"]  # type: ignore[attr-defined]
    assert [r.kind for r in xml.repairs] == ["backup"]


def test_a_part_music21_cannot_write_is_left_out_and_the_others_play(tmp_path: Path) -> None:
    # a non-traditional key signature (F sharp and B flat): music21's MIDI writer refuses it
    key = (
        "<key><key-step>F</key-step><key-alter>1</key-alter>"
        "<key-step>B</key-step><key-alter>-1</key-alter></key>"
    )
    odd = '<measure number="1">' + ATTR.format(staves="").replace("<time>", key + "<time>")
    plain = '<measure number="1">' + ATTR.format(staves="")
    text = _score({"P1": odd + note("C") + "</measure>", "P2": plain + note("E") + "</measure>"})
    pieces, report = _decoded_pitches(text, tmp_path)
    assert pieces == [[64]]
    (xml,) = [a for a in report.artifacts if a.kind == "musicxml"]  # type: ignore[attr-defined]
    (left,) = [r for r in xml.repairs if r.kind == "render"]
    assert "left out" in left.reason and left.loss == "lost" and xml.verdict == "salvaged"
    assert Path(xml.path).read_text() == text  # the score itself is kept as it was


def test_plain_reading_is_kept_when_the_repair_holds_fewer_notes(tmp_path: Path) -> None:
    # a pitch with no step: the repair drops the note, music21 alone reads it (as a C)
    blank = note("C").replace("<step>C</step>", "")
    m1 = '<measure number="1">' + ATTR.format(staves="") + note("E") + blank + "</measure>"
    pieces, report = _decoded_pitches(_score({"P1": m1}), tmp_path)
    assert pieces == [[64, 60]]
    (xml,) = [a for a in report.artifacts if a.kind == "musicxml"]  # type: ignore[attr-defined]
    assert "the plain reading was kept" in xml.as_found
    assert xml.verdict == "salvaged"
    assert any(r.kind == "plain-reading" and r.loss == "guessed" for r in xml.repairs)
