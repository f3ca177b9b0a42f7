"""The gate and the windows of large texts: searching only where the cheap pass says something
may be must find what a search of a paste on its own finds, and several worker processes must
give what one gives."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from midiforensics import decode, gate
from midiforensics.cli.app import app
from midiforensics.inputs import files as input_files
from midiforensics.inputs.files import iter_windows
from midiforensics.pipeline import run_windows
from midiforensics.report.json import to_dict

from .conftest import CORPUS, make_midi, midi_notes, needs_corpus

FIXTURES = Path(__file__).parent / "fixtures"

# two kinds of long prose around a paste: short paragraphs, and one very long line
FILLS = {
    "paragraphs": "We talked about the weather, the harvest and the road north.\n\n" * 5000,
    "one-line": "Sure! Here is what you asked for; let me know what else you need. " * 5000
    + "\n\n",
}


def _pastes() -> list[tuple[str, str]]:
    """Real inputs (the corpora's formats and real-world pastes, every handler's fixtures):
    one of each kind of file, so that the test stays a few seconds long."""
    out: list[tuple[str, str]] = []
    for folder in ("formats", "realworld", "seed"):
        for f in sorted((CORPUS / folder).glob("*.txt")):
            out.append((f"{folder}/{f.name}", f.read_text(encoding="utf-8", errors="replace")))
    dev = sorted((CORPUS / "dev").glob("*.txt"))
    kinds: dict[str, Path] = {}
    for f in dev:
        kinds.setdefault(f.name.rsplit("_", 1)[0], f)
    out += [(f"dev/{f.name}", f.read_text(encoding="utf-8")) for f in kinds.values()]
    for cases in sorted(FIXTURES.glob("*/cases.json")):
        for k, case in enumerate(json.loads(cases.read_text())):
            if isinstance(case.get("input"), str):
                out.append((f"{cases.parent.name}#{k}", case["input"]))
    return [(name, text) for name, text in out if len(text) < gate.GATE_MIN // 2]


def _shapes() -> list[tuple[str, str]]:
    """Pastes written for the gate's edges: finds that go on past blank lines, anchors of
    long reach after short ones, arrays and dumps in less usual spellings, a tempo given far
    from its score, note names with signs outside Latin-1."""
    m = make_midi([60, 62, 64, 65, 67, 69, 71, 72])
    body = "\n".join("GABc dedB|dedB dedB|c2ec B2dB|c2A2 A2BA|" for _ in range(8))
    abc = "X:1\nT:Long tune\nM:4/4\nL:1/8\nK:G\n" + "\n\n".join([body] * 4) + "\n"
    bar = "  c4 d e f | g a b c | c b a g | f e d c |\n"
    ly = '```lilypond\n\\version "2.24.0"\n\\relative c\' {\n' + (bar * 10 + "\n") * 30 + "}\n```\n"
    note = (
        "<note><pitch><step>C</step><octave>4</octave></pitch><duration>1</duration>"
        "<type>quarter</type></note>\n"
    )

    def score(rights: str = "") -> str:
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n<score-partwise version="3.1">\n'
            f"<identification><rights>{rights}</rights></identification>\n"
            '<part-list><score-part id="P1"><part-name>P</part-name></score-part></part-list>\n'
            '<part id="P1"><measure number="1"><attributes><divisions>1</divisions></attributes>\n'
            + note * 4
            + "</measure></part>\n</score-partwise>\n"
        )

    tempo = (
        '<direction placement="above"><direction-type><metronome><beat-unit>quarter'
        "</beat-unit><per-minute>72</per-minute></metronome></direction-type>"
        '<sound tempo="72"/></direction>\n'
    )
    script = (
        "```python\nfrom midiutil import MIDIFile\n\nbase = 62\nlength = 2\n"
        "# Build a simple scale for the class. We keep every value in one place so that\n"
        "# the students can change the key, the length and the speed without hunting.\n"
        "# Internationalization of the comments is left for later.\n"
        "midi = MIDIFile(1)\nmidi.addTempo(0, 0, 100)\nfor i in range(8):\n"
        "    midi.addNote(0, 0, base + i, i * length, length, 100)\n"
        'with open("scale.mid", "wb") as f:\n    midi.writeFile(f)\n```\n'
    )
    later = "We can talk about the arrangement later, there is no hurry at all.\n\n" * 250
    return [
        ("abc with blank lines", "Here is the tune:\n\n" + abc + "\nEnjoy.\n"),
        ("lilypond with blank lines", "Here is the piece.\n\n" + ly + "\nEnjoy.\n"),
        ("score with blank lines", score("Free to use.\n\n" * 150)),
        ("tempo far from its score", score() + "\n" + later + "Add this:\n\n" + tempo),
        ("script after a long word", "Here is a script.\n\n" + script + "\nRun it.\n"),
        ("rust", "let midi = vec![" + ", ".join(f"0x{b:02X}u8" for b in m) + "];\n"),
        ("java", "byte[] m = new byte[]{" + ", ".join(f"(byte){b}" for b in m) + "};\n"),
        ("python", "midi = [\n" + "".join(f"    {b},  # byte\n" for b in m) + "]\n"),
        ("hex", "\n".join(" ".join(f"{b:02x}" for b in m[i : i + 2]) for i in range(0, 40, 2))),
        (
            "abc on one line",
            "Sure! X:1 T:Air M:3/4 L:1/8 K:D |: D2 F2 A2 | d4 c2 | B6 :|\nThat is all.\n",
        ),
        (
            "notes with durations",
            "Play it like this: E (quarter), D (eighth), C (eighth), D (half), E (whole).\n",
        ),
        ("notes with beats", "Melody: C4 - 1 beat, D4 - 1 beat, E4 - 2 beats, G4 - 1 beat\n"),
        ("escaped note names", '{"melody": "Melody:\\nC4\\nD4\\nE4\\nF4\\nG4\\nA4"}\n'),
        ("abc fence, no header", "Here you go:\n```abc\n|: C D E F | G A B c :|\n```\n"),
        (
            "abc indented",
            "\u00a0\u00a0X:1\n\u00a0\u00a0T:Air\n\u00a0\u00a0M:4/4\n\u00a0\u00a0L:1/8\n"
            "\u00a0\u00a0|CDEF GABc|cBAG FEDC|\n",
        ),
        (
            "abc in JSON, tab-indented",
            '{"abc": "\\tX:1\\n\\tT:Air\\n\\tM:4/4\\n\\tL:1/8\\n\\tK:D\\n\\t|:DFA dfa|gfe dcB:|"}\n',
        ),
        (
            "array with comments before commas",
            "midi = [77, 84 /* T */, 104 /* h */, 100 /* d */, 0 /* */, 0 /* */, 0 /* */, "
            "6 /* */, 0 /* */, 1 /* */]\n",
        ),
        ("base64 in two short lines", "Here:\n<pre>TVRoZAAAAAYA\nAAEAAQBgTVRy</pre>\n"),
        (
            "pitch table",
            "| Pitch | Duration |\n|---|---|\n| C | 1 |\n| D | 1 |\n| E | 2 |\n| F | 1 |\n",
        ),
        (
            "sharps",
            "Here's the riff: F\u266f4, G\u266f4, A\u266f4, C\u266f5, D\u266f5, F\u266f5.\n",
        ),
    ]


def _pieces(text: str) -> list[str]:
    """The notes of every playable piece ``decode`` makes of ``text``, as comparable keys."""
    report = decode(text, strict=True)
    return sorted(
        hashlib.sha256(repr(midi_notes(a.data)).encode()).hexdigest()
        for a in report.artifacts
        if a.kind == "midi" and a.notes > 0 and a.data is not None
    )


PASTES = _pastes() + _shapes()


@needs_corpus
def test_the_pastes_cover_every_text_handler_and_finder() -> None:
    """The sample below holds a find of each kind the gate has anchors for."""
    assert len(PASTES) > 40
    assert any(name.startswith("formats/") for name, _ in PASTES)


@needs_corpus
@pytest.mark.parametrize("fill", sorted(FILLS))
def test_a_paste_gives_the_same_music_alone_and_inside_a_long_text(
    fill: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inside hundreds of KB of prose the gate, not a full search, decides where to look."""
    from midiforensics import search

    around = FILLS[fill]
    missed = []
    for name, text in PASTES:
        with monkeypatch.context() as m:
            m.setattr(search, "present", lambda text: None)  # alone: searched by every one
            alone = _pieces(text)
        inside = around + text + "\n\n" + around
        assert len(inside) > gate.GATE_MIN
        if _pieces(inside) != alone:
            missed.append(name)
    assert not missed


@needs_corpus
def test_a_short_text_searched_by_those_whose_anchors_it_holds_gives_the_same_report(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A text too short for regions is searched only by the handlers and finders whose
    anchors it holds (``gate.present``); the report is what every one of them would give."""
    from midiforensics import search

    differ, taken = [], 0
    for name, text in PASTES:
        taken += gate.present(text) is not None
        asked = json.dumps(to_dict(decode(text, strict=True)))
        with monkeypatch.context() as m:
            m.setattr(search, "present", lambda text: None)  # every one searches
            every = json.dumps(to_dict(decode(text, strict=True)))
        if asked != every:
            differ.append(name)
    assert not differ
    assert taken > len(PASTES) // 2  # the shortcut was taken for most


def test_short_texts_the_gate_would_read_apart_are_searched_by_their_handlers() -> None:
    """``present`` reads a text as Python does; the gate of a long text reads it as Latin-1
    and misses these (digits outside Latin-1 are "?" to it)."""
    assert "base64" in (gate.present("TVRoZAAAAAYA\nAAEAAQBgTVRy") or ())  # at the very start
    beats = "Melody: E (\uff11 beat), D (\uff11 beat), C (\uff12 beats), D (\uff11 beat)\n"
    assert "notelist" in (gate.present(beats) or ())
    assert [a.kind for a in decode(beats).artifacts if a.kind == "midi"] == ["midi"]


def test_present_names_the_anchors_a_text_holds() -> None:
    assert gate.present("We talked about the weather.") == frozenset()
    assert gate.present("Play C4 D4 E4, then the notes again.") == {"notelist"}
    assert "base64" in (gate.present("TVRoZAAAAAYAAQABAeBNVHJrAAAAFA") or ())
    assert "abc" in (gate.present("Sure! X:1 T:Air M:3/4 L:1/8 K:D |: D2 F2 A2 |") or ())
    assert gate.present("caf\u00e9 C4") == {"notelist"}
    assert gate.present("riff: F\u266f4, G\u266f4") == {"notelist"}  # the gate reads "F?4"
    assert "musiccode" in (gate.present("Note\u00a0(60)") or ())  # Python's \s, not re2's
    assert gate.present("\ud800") is None  # no valid Unicode: every one searches


# pieces of texts: bits of anchors, and the characters Python's re, re2 and the gate's
# Latin-1 reading see differently (white space, digits and signs outside ASCII)
_PIECES = [
    *("note", "Note", "(", "C", "F", "E", "4", "X:1", "K:G", '"K"', ":", "quarter", "beat"),
    *("1", "[", "12", ",", "0x4D", "\\n", "\\x4D", "new", "Staff", "\\version", "&lt;"),
    *("<", "a", "-", "for", "{", "TVRoZAAAAAYAAQAB", " ", "\t", "\n", "\r"),
    *("\x0b", "\x1c", "\x85", "\u00a0", "\u2003", "\u3000", "\u2028"),
    *("\u0663", "\uff11", "\U0001d7d8", "\u266f", "\u266d", "\u2013", "\u00e9"),
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=10))
@example(["Note", "\x0b", "(", "60", ")"])  # Python's \s, not re2's
@example(['"K"', "\u3000", ":"])
@example(["[", "\u0663", "\u0663", ","])  # Python's \d: any decimal digit
@example([" ", "F", "\u266f", "4", " "])  # a sign the gate reads as "?"
@example(["E", " ", "\u2013", " ", "quarter"])
def test_present_names_every_anchor_python_or_the_gate_finds_in_a_text(parts: list[str]) -> None:
    """What ``present`` leaves out, neither Python's re (which the handlers use) nor the
    gate's Latin-1 reading of the text finds: white space, digits and signs of all Unicode
    included."""
    import re as stdlib_re

    from midiforensics.formats import TEXT_HANDLERS
    from midiforensics.locate import FINDERS

    text = "".join(parts)
    names = gate.present(text)
    assert names is not None
    as_gate = text.encode("latin-1", "replace").decode("latin-1")
    for h in (*TEXT_HANDLERS, *FINDERS):
        for seen in (text, as_gate):
            if stdlib_re.search(h.anchors, seen):
                assert h.name in names, (h.name, seen)


def test_the_gate_marks_little_of_a_long_text_and_finds_every_blob() -> None:
    import base64

    rng = random.Random(5)
    parts, blobs = [], []
    for _ in range(40):
        data = make_midi([rng.randint(50, 80) for _ in range(12)])
        blobs.append(data)
        b64 = base64.b64encode(data).decode()
        parts.append("Some prose about it. " * 400 + "\n\n")
        parts.append(f"```\n{b64}\n```\n\n")
    text = "".join(parts)
    marked = gate.regions(text)
    assert marked is not None
    assert sum(hi - lo for lo, hi, *_ in marked) < len(text) // 5
    found = {b.data for b in decode(text).blobs}
    assert set(blobs) <= found


def test_the_standard_library_engine_marks_what_re2_marks() -> None:
    """Without the native engine (no wheel for the platform) the same expression runs in re."""
    text = "".join(FILLS["paragraphs"][:3000] + t for _, t in PASTES[:60])
    text = text * (gate.GATE_MIN // len(text) + 1)
    assert gate.regions(text, native=False) == gate.regions(text, native=True)


def test_whose_anchor_a_match_is_does_not_depend_on_the_engine_or_what_comes_before() -> None:
    """re2 names a match's owner with a set of all anchors run on the match and the character
    before it; the standard library with one group per anchor. They must agree after any
    character (accented, a no-break space, one outside Latin-1, none at the very start) and
    for anchors that look at the character after them (a note name ends at a word break)."""
    anchors = [
        "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY",  # base64
        "<score-partwise>",
        "X:1\nK:G\nGABc|",
        "C#4 and Db5 then E4x",  # note names, one glued to a letter
        "0x4D, 0x54, 0x68, 0x64,",
        "4d 54 68 64 00 00",
        "\\x4d\\x54",
        "notes = [60, 62, 64]",
    ]
    befores = ["", "é", "\u00a0", "\u4e2d", "😀", " ", "a"]
    text = "".join(b + a for a in anchors for b in befores)
    text = ("Plain words, nothing else. " * 40 + "\n\n" + text + "\n\n") * 200
    assert len(text) > gate.GATE_MIN
    assert gate.regions(text, native=False) == gate.regions(text, native=True)


def test_an_anchor_that_looks_past_the_match_is_asked_again_in_the_text() -> None:
    """The set sees the match and one character either side: an anchor that ends at a word
    break may match at the end of that slice and not in the text. Such an anchor is checked
    again in the text, so the owner is the one the alternation itself chose."""
    parts = [("word", r"ab\b", 10), ("letter", r"a", 10)]
    native, plain = gate._Engine(parts, native=True), gate._Engine(parts, native=False)
    raw = b"xabc xab xa"
    owners = []
    for m in plain.scan.finditer(raw):
        assert native.owner(raw, *m.span()) == plain.owner(raw, *m.span())
        owners.append(native.groups[native.owner(raw, *m.span())][0])
    assert owners == ["letter", "word", "letter"]


def _big_input(tmp_path: Path) -> Path:
    """A text of many small windows: fenced base64 MIDI (some pasted twice, in far-apart
    windows), a zip of two MIDI files, ABC and prose."""
    import base64
    import io
    import zipfile

    rng = random.Random(9)
    midis = [make_midi([rng.randint(48, 84) for _ in range(8)]) for _ in range(30)]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a.mid", midis[0])
        z.writestr("b.mid", make_midi([60, 62, 64, 65]))
    parts = []
    for k in range(90):
        parts.append(f"## Answer {k}\n\n" + "Here is the next one, as you asked. " * 60 + "\n\n")
        if k % 7 == 3:
            parts.append(f"```\n{base64.b64encode(buf.getvalue()).decode()}\n```\n\n")
        elif k % 11 == 5:
            parts.append("X:1\nT:Tune\nM:4/4\nL:1/8\nK:G\nGABc dedB|GABc d2d2|\n\n")
        parts.append(f"```\n{base64.b64encode(midis[k % len(midis)]).decode()}\n```\n\n")
    f = tmp_path / "big.md"
    f.write_text("".join(parts))
    return f


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name != "report.json"}


@pytest.mark.parametrize("repair", [False, True])
def test_windows_in_two_processes_give_what_one_gives(tmp_path: Path, repair: bool) -> None:
    src = _big_input(tmp_path)
    size = src.stat().st_size
    reports, written = [], []
    for jobs in (1, 2):
        out = tmp_path / f"out{jobs}"
        windows = iter_windows(src, size=12_000)
        report = run_windows(windows, str(out) if repair else None, "big", repair, size, jobs)
        reports.append(json.dumps(to_dict(report)).replace(str(out), "OUT"))
        written.append(_files(out) if repair else {})
    one, two = reports
    assert one == two
    assert written[0] == written[1]
    doc = json.loads(one)
    assert any(p["kind"] == "duplicate" for p in doc["problems"])  # a blob pasted again
    assert len(doc["blobs"]) > 30


def test_the_cycle_collector_is_as_it_was_after_windows_in_workers(tmp_path: Path) -> None:
    """The collector is paused while the workers' records are replayed, and only then."""
    import gc

    src = _big_input(tmp_path)
    was = gc.isenabled()
    try:
        for enabled in (True, False):
            gc.enable() if enabled else gc.disable()
            report = run_windows(iter_windows(src, size=12_000), None, "big", False, 0, 2)
            assert len(report.blobs) > 30
            assert gc.isenabled() == enabled
    finally:
        gc.enable() if was else gc.disable()


def test_mf_decode_of_a_large_text_is_the_same_with_one_job_or_two(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(input_files, "WINDOW_CHARS", 12_000)  # many windows
    src = _big_input(tmp_path)
    runner = CliRunner()
    outs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"o{jobs}"
        result = runner.invoke(app, ["decode", str(src), "-o", str(out), "--jobs", jobs])
        assert result.exit_code == 0, result.output
        outs.append(_files(out))
    assert outs[0] == outs[1]
    assert sum(name.endswith(".mid") for name in outs[0]) > 30
    result = runner.invoke(app, ["scan", str(src)])  # the default: one job a core
    assert result.exit_code == 0 and "midi" in result.output
    result = runner.invoke(app, ["scan", str(src), "--jobs", "0"])
    assert result.exit_code == 2 and "at least 1" in result.output


def test_a_handler_failure_in_a_window_is_reported_once_as_in_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a worker records (its stages' output, problems included) replays to the report
    one process gives; here in this process, so that a handler can be made to fail."""
    from midiforensics.formats.abc.handler import ABCHandler
    from midiforensics.pipeline import Pipeline, search_window

    def fails(self: ABCHandler, data: object, lost: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(ABCHandler, "repair", fails)
    tune = "X:1\nT:Tune\nM:4/4\nL:1/8\nK:G\nGABc dedB|GABc d2d2|\n\n"
    src = tmp_path / "tunes.md"
    src.write_text(("Some prose here, nothing else. " * 100 + "\n\n" + tune) * 6)
    one = run_windows(iter_windows(src, size=4000), None, "x", True, 0, 1)
    replayed = Pipeline(None, True)
    for window in iter_windows(src, size=4000):
        replayed.replay(search_window(window, True))
    assert [(p.kind, p.message) for p in replayed.problems] == [
        (p.kind, p.message) for p in one.problems
    ]
    assert sum(p.kind == "failure" for p in one.problems) == 6
    assert not any(p.kind == "unread" for p in one.problems)


def test_standard_input_is_read_in_windows_and_gives_what_the_file_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from midiforensics.inputs.files import read_stream_bounded

    monkeypatch.setattr(input_files, "WINDOW_CHARS", 12_000)
    src = _big_input(tmp_path)
    with src.open("rb") as fh:
        assert not isinstance(read_stream_bounded(fh), bytes)  # windows, not a whole read
    runner = CliRunner()
    from_file = runner.invoke(app, ["decode", str(src), "-o", str(tmp_path / "f"), "-j", "1"])
    from_stdin = runner.invoke(
        app, ["decode", "-", "-o", str(tmp_path / "s"), "-j", "1"], input=src.read_bytes()
    )
    assert from_file.exit_code == 0 and from_stdin.exit_code == 0, from_stdin.output
    assert _files(tmp_path / "f") == _files(tmp_path / "s")
    report = json.loads((tmp_path / "s" / "report.json").read_text())
    assert report["size"] == src.stat().st_size


class _KillsItsWorker:
    """A window that ends the worker process that unpickles it (as the kernel's OOM killer
    would end it)."""

    path = ""
    length = 0
    first_line = 7

    def __reduce__(self) -> tuple[object, tuple[int]]:
        import os

        return os._exit, (3,)


def test_a_worker_that_dies_is_an_error_that_says_where_not_a_hang(tmp_path: Path) -> None:
    from midiforensics.pipeline import WorkerError

    with pytest.raises(WorkerError, match="window from line 7"):
        run_windows([_KillsItsWorker()], None, "x", False, 0, 2)  # type: ignore[list-item]
