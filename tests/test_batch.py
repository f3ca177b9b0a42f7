"""Many inputs: expanding folders and globs, one output folder per input, failures kept to their
input, the same results with worker processes, and large texts read in windows."""

from __future__ import annotations

import base64
import io
import json
import random
from pathlib import Path

import pytest
from rich.console import Console

from midiforensics.batch import BatchItem, process_one, run_batch, summary_table
from midiforensics.inputs.files import Export, expand_inputs, iter_windows, read_text_bounded

from .conftest import make_midi, midi_notes

FIX = Path(__file__).parent / "fixtures" / "exports"


def transcript(pitches: list[int]) -> str:
    b64 = base64.b64encode(make_midi(pitches)).decode()
    wrapped = "\n".join(b64[i : i + 76] for i in range(0, len(b64), 76))
    return f"Here is your tune:\n\n```\n{wrapped}\n```\n\nEnjoy!\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    d = tmp_path / "in"
    (d / "more").mkdir(parents=True)
    (d / "a.txt").write_text(transcript([60, 62, 64]))
    (d / "more" / "a.md").write_text(transcript([67, 65, 64, 62]))  # same stem as a.txt
    (d / "bad.txt").symlink_to(tmp_path / "gone.txt")  # listed, but cannot be read
    return d


def written(out_dir: str | None) -> dict[str, bytes]:
    assert out_dir is not None
    return {p.name: p.read_bytes() for p in sorted(Path(out_dir).iterdir())}


def test_expand_inputs_folders_globs_and_missing(tmp_path: Path) -> None:
    d = tmp_path / "d"
    (d / "sub").mkdir(parents=True)
    (d / ".git").mkdir()
    (d / "x.md").write_text("a")
    (d / "sub" / "y.jsonl").write_text("{}")
    (d / "notes").write_text("plain text without a suffix")
    (d / "pic.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (d / ".hidden.txt").write_text("skip")
    (d / ".git" / "z.txt").write_text("skip")
    (d / "out").mkdir()
    (d / "out" / "old.txt").write_text("an earlier run's output")
    files, errors = expand_inputs([str(d), str(d / "x.md"), "nope.txt"], exclude=[d / "out"])
    assert [f.relative_to(d).as_posix() for f in files] == ["notes", "x.md", "sub/y.jsonl"]
    assert errors == ["no such file: nope.txt"]
    files, errors = expand_inputs([str(d / "**" / "*.jsonl"), str(d / "*.abc")])
    assert [f.name for f in files] == ["y.jsonl"]
    assert errors == [f"no files match {d / '*.abc'}"]


def test_batch_over_a_folder_with_a_bad_input(folder: Path, tmp_path: Path) -> None:
    files, errors = expand_inputs([str(folder)])
    assert errors == []
    assert [f.relative_to(folder).as_posix() for f in files] == ["a.txt", "bad.txt", "more/a.md"]
    out = tmp_path / "out"
    items = run_batch(files, out, jobs=1, console=Console(file=io.StringIO()))
    assert [(Path(it.path).name, it.ok, it.pieces, it.blobs) for it in items] == [
        ("a.txt", True, 1, 1),
        ("bad.txt", False, 0, 0),
        ("a.md", True, 1, 1),
    ]
    bad = items[1]
    assert bad.error is not None and "cannot read" in bad.error
    # one folder per input; the two inputs named "a" get two folders
    assert [Path(it.out_dir or "").name for it in items] == ["a", "bad", "a-2"]
    assert sorted(p.name for p in out.iterdir()) == ["a", "a-2"]
    mids = [Path(m) for it in items for m in it.midis]
    assert [[p for _, p in midi_notes(m.read_bytes())] for m in mids] == [
        [60, 62, 64],
        [67, 65, 64, 62],
    ]
    assert all(it.found for it in items if it.ok)


def test_jobs_2_gives_the_same_results_as_jobs_1(folder: Path, tmp_path: Path) -> None:
    files, _ = expand_inputs([str(folder), str(FIX)])
    one = run_batch(files, tmp_path / "one", jobs=1, console=Console(file=io.StringIO()))
    two = run_batch(files, tmp_path / "two", jobs=2, console=Console(file=io.StringIO()))

    def key(it: BatchItem) -> tuple[object, ...]:
        return (it.path, it.ok, it.pieces, it.blobs, it.repairs, it.error, it.verdict, it.found)

    assert [key(i) for i in one] == [key(i) for i in two]
    assert sum(it.pieces for it in one) >= 2 + 5  # the folder's two, the fixtures' five or more
    for a, b in zip(one, two, strict=True):
        if a.ok:
            assert Path(a.out_dir or "").name == Path(b.out_dir or "").name
            wa, wb = written(a.out_dir), written(b.out_dir)
            assert wa.keys() == wb.keys()
            assert {k: v for k, v in wa.items() if k != "report.json"} == {
                k: v for k, v in wb.items() if k != "report.json"
            }


def test_a_pipeline_crash_is_one_failed_item(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from midiforensics import pipeline

    real = pipeline.run

    def flaky(data: str | bytes, *args: object, **kw: object) -> object:
        if str(kw.get("name", "")).endswith("a.md"):
            raise RuntimeError("handler bug")
        return real(data, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "run", flaky)
    files = [folder / "a.txt", folder / "more" / "a.md"]
    items = run_batch(files, tmp_path / "o", console=Console(file=io.StringIO()))
    assert [it.ok for it in items] == [True, False]
    assert items[1].error == "RuntimeError: handler bug"


def test_single_input_writes_into_out_itself(tmp_path: Path) -> None:
    f = tmp_path / "tune.txt"
    f.write_text(transcript([72, 74]))
    items = run_batch([f], tmp_path / "o")
    assert items[0].out_dir == str((tmp_path / "o").resolve())
    assert len(items[0].midis) == 1


def test_scan_writes_nothing(folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    before = sorted(tmp_path.rglob("*"))
    items = run_batch([folder / "a.txt", folder / "more" / "a.md"], None, write=False)
    assert [(it.blobs, it.found, it.out_dir, it.midis) for it in items] == [(1, True, None, ())] * 2
    assert sorted(tmp_path.rglob("*")) == before


def test_output_path_that_is_a_file_is_an_error(tmp_path: Path) -> None:
    f = tmp_path / "t.txt"
    f.write_text(transcript([60]))
    (tmp_path / "o").write_text("a file, not a folder")
    item = process_one(str(f), str(tmp_path / "o"))
    assert not item.ok and item.error is not None and "not a folder" in item.error


def test_summary_table_counts() -> None:
    items = [
        BatchItem("a.txt", True, 2, 3, 1, None, "o/a", True, "2 playable pieces recovered"),
        BatchItem("b.txt", False, 0, 0, 0, "cannot read: denied", "o/b"),
    ]
    buf = io.StringIO()
    Console(file=buf, width=100).print(summary_table(items))
    out = buf.getvalue()
    assert "2 inputs: 2 pieces recovered, 1 failure" in out
    assert "failed: cannot read: denied" in out
    lines = [ln for ln in out.splitlines() if "a.txt" in ln]
    assert lines and "2 playable pieces recovered" in lines[0]


def test_scan_summary_says_found_not_recovered() -> None:
    items = [
        BatchItem("d/a.txt", True, 0, 1, 0, None, None, True, "found 1 midi"),
        BatchItem("d/b.txt", True, 0, 0, 0, None, None, False, "nothing musical found"),
    ]
    buf = io.StringIO()
    Console(file=buf, width=80).print(summary_table(items, write=False))
    out = buf.getvalue()
    assert "2 inputs in d: music found in 1 of them, 0 failures" in out
    assert "recovered" not in out
    assert "  a.txt: 1 payload, found 1 midi" in out


def test_json_mode_carries_the_report(tmp_path: Path) -> None:
    f = tmp_path / "t.txt"
    f.write_text(transcript([60, 64]))
    item = run_batch([f], tmp_path / "o", json_mode=True)[0]
    assert item.report is not None and item.report["input"] == str(f)


# --- windows ---------------------------------------------------------------------------


def big_text(blocks: int) -> tuple[str, list[str]]:
    """Prose, fenced blobs (with a blank line inside one fence) and a MusicXML-like block."""
    parts: list[str] = []
    blobs: list[str] = []
    for k in range(blocks):
        b64 = base64.b64encode(make_midi([60 + k % 12, 64, 67])).decode()
        wrapped = "\n".join(b64[i : i + 60] for i in range(0, len(b64), 60))
        blobs.append(wrapped)
        parts.append(f"## Message {k} ünïcødé\n\nSome prose about the tune. " * 3 + "\n\n")
        if k % 3 == 0:
            parts.append(f"```\nfirst part\n\nsecond part\n{wrapped}\n```\n\n")
        elif k % 3 == 1:
            parts.append(f"<score-partwise>\n\n<part>{k}</part>\n\n</score-partwise>\n\n")
            parts.append(f"{wrapped}\n\n")
        else:
            parts.append(f"{wrapped}\n\n")
    return "".join(parts), blobs


def test_windows_cover_the_text_and_never_cut_a_blob(tmp_path: Path) -> None:
    text, blobs = big_text(150)
    f = tmp_path / "big.txt"
    f.write_text(text, encoding="utf-8")
    wins = list(iter_windows(f, size=2000))
    assert len(wins) > 10
    assert "".join(w.text for w in wins) == text
    for w in wins:
        assert text[w.char_offset : w.char_offset + len(w.text)] == w.text
        assert w.first_line == 1 + text.count("\n", 0, w.char_offset)
        assert w.text.endswith("\n\n") or w is wins[-1]
        assert w.text.count("```") % 2 == 0  # no fence left open
        assert w.text.count("<score-partwise>") == w.text.count("</score-partwise>")
    for b in blobs:
        assert sum(b in w.text for w in wins) >= 1  # each blob whole in some window


@pytest.mark.parametrize("size", [64, 100, 256])
def test_a_file_is_cut_where_the_same_bytes_from_a_stream_are_cut(
    tmp_path: Path, size: int
) -> None:
    """A file's windows are read from their place in it, a stream's from what its buffer
    kept: the cuts must be the same, so that ``mf scan f`` and ``cat f | mf scan -`` search
    the same windows."""
    rng = random.Random(size)
    pieces = ["word ", "é ", "\n", "\n\n", "```\n", "<score-partwise>", "</score-partwise>", "\r\n"]
    for case in range(40):
        data = "".join(rng.choice(pieces) for _ in range(rng.randint(50, 400))).encode()
        if case % 5 == 0:
            data = b"\xef\xbb\xbf" + data + b"\xff\xfe"
        f = tmp_path / f"t{case}.txt"
        f.write_bytes(data)
        from_file = [(w.char_offset, w.first_line, w.data) for w in iter_windows(f, size)]
        from_stream = [
            (w.char_offset, w.first_line, w.data) for w in iter_windows(io.BytesIO(data), size)
        ]
        assert from_file == from_stream, case


def test_a_long_single_line_is_cut_at_a_space(tmp_path: Path) -> None:
    words = " ".join(f"word{k}" for k in range(3000))
    f = tmp_path / "line.txt"
    f.write_text(words)
    wins = list(iter_windows(f, size=1000, hard=4000))
    assert "".join(w.text for w in wins) == words
    assert all(len(w.data) <= 4000 for w in wins)  # never more than ``hard`` bytes
    assert all(w.text.endswith(" ") for w in wins[:-1])
    assert all(w.first_line == 1 for w in wins)


def test_read_text_bounded_small_binary_and_large(tmp_path: Path) -> None:
    small = tmp_path / "s.txt"
    small.write_text("hello")
    assert read_text_bounded(small) == b"hello"
    mid = tmp_path / "m.mid"
    mid.write_bytes(make_midi([60]) * 50)
    assert read_text_bounded(mid, size=100) == mid.read_bytes()
    export = tmp_path / "conversations.json"
    export.write_text("  " + json.dumps([{"title": "t", "messages": [big_text(20)[0]]}]))
    # a JSON export is split by its structure as it is read; an HTML page is read whole
    assert read_text_bounded(export, size=100) == Export(export, 100)
    page = tmp_path / "chat.html"
    page.write_text("<html><body>" + "<p>prose</p>\n" * 50 + "</body></html>")
    assert read_text_bounded(page, size=100) == page.read_bytes()
    text, _ = big_text(20)
    large = tmp_path / "l.txt"
    large.write_text(text)
    got = read_text_bounded(large, size=1000)
    assert not isinstance(got, bytes)
    assert "".join(w.text for w in got) == text


def test_summary_of_a_big_batch_lists_failures_first_and_stops() -> None:
    items = [BatchItem(f"d/ok{i}.txt", True, 1, 1, 0, None, None, True, "done") for i in range(60)]
    items.append(BatchItem("d/bad.txt", False, 0, 0, 0, "cannot read the input", None))
    buf = io.StringIO()
    Console(file=buf, width=80).print(summary_table(items))
    lines = buf.getvalue().splitlines()
    assert "bad.txt: failed: cannot read the input" in lines[1]
    assert len(lines) == 42 and "21 more inputs" in lines[-1]
