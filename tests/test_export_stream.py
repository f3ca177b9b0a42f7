"""A large chat export in JSON is read a piece at a time: the report and the files are the
ones reading it whole gives (origins, labels, lines, grouping of continued blobs), damaged
exports included, and a piece's worth of text is what is held, not the export."""

from __future__ import annotations

import importlib.util
import json
import os
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from midiforensics import messages
from midiforensics.cli.app import app
from midiforensics.inputs import files as input_files
from midiforensics.inputs.files import Export, read_text_bounded
from midiforensics.pipeline import WorkerError, run

FIX = Path(__file__).parent / "fixtures" / "exports"
_spec = importlib.util.spec_from_file_location("export_fixtures", FIX / "make.py")
assert _spec is not None and _spec.loader is not None
make = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make)

PIECE = 1000  # bytes read at a time in these tests: an export spans many pieces
runner = CliRunner()

ABC = "X:1\nT:Jig\nM:6/8\nL:1/8\nK:D\nA|dfa agf|efg fed|dfa agf|e3 d2:|\n"
PROSE = "Gr\u00fc\u00dfe aus K\u00f6ln \u2014 \u266b \u4e2d\u6587 \U0001f3b5 and some plain words. "


def _chat(title: str, turns: list[str], t0: float) -> dict[str, Any]:
    """A ChatGPT conversation: a root, then user and assistant turns in a line."""
    mapping = {"root": make.node("root", None, ["n0"], None, [], None)}
    for k, text in enumerate(turns):
        role = "user" if k % 2 == 0 else "assistant"
        kids = [f"n{k + 1}"] if k + 1 < len(turns) else []
        parent = f"n{k - 1}" if k else "root"
        mapping[f"n{k}"] = make.node(f"n{k}", parent, kids, role, [text], t0 + k)
    return {"title": title, "create_time": t0, "mapping": mapping}


def _conversation(k: int) -> dict[str, Any]:
    """Conversation ``k``: one of five kinds, each something the grouping or the pieces
    could get wrong."""
    tune = [60 + (k * 7 + j * 5) % 24 for j in range(10)]
    blob = make.b64(tune)
    ask = f"Tune {k}, please. " + PROSE * (k % 4)
    kind = k % 5
    if kind == 0:  # a blob split over two answers, a "continue" between
        half = len(blob) // 2
        turns = [ask, f"```\n{blob[:half]}\n```", "continue", f"```\n{blob[half:]}\n```"]
    elif kind == 1:  # a blob cut off; music without base64 (searched aside); a new blob
        turns = [ask, "Sure:\n\n" + blob[: len(blob) // 2], "cut! an ABC tune then:\n\n" + ABC]
        turns += [f"Here is all of it:\n```\n{make.b64(tune[::-1])}\n```"]
    elif kind == 2:  # the same blob as before: a duplicate
        turns = [ask, f"Again:\n```\n{make.b64(make.WALTZ)}\n```"]
    elif kind == 3:  # long text of characters of two, three and four bytes
        turns = [ask, PROSE * 40 + f"\n\n```\n{blob}\n```"]
    else:
        turns = [ask, "No music in this answer. " * 20]
    return _chat(f"Chat {k} \u266b" if k % 3 else "", turns, 1_714_000_000.0 + 100 * k)


def _export(n: int = 40) -> list[Any]:
    """The fixture's conversations (regenerated answers on branches), then ``n`` more, and
    two values that are not conversations (skipped)."""
    convs: list[Any] = make.conversations() + [_conversation(k) for k in range(n)]
    convs.insert(4, {"not": "a conversation"})
    convs.insert(7, 12345)
    return convs


def _jsonl_messages() -> str:
    lines = []
    for k in range(60):
        text = f"Message {k}. " + PROSE * 2
        if k % 3 == 0:
            text += f"\n```\n{make.b64([48 + k, 64, 67, 72])}\n```"
        lines.append(json.dumps({"role": "user" if k % 2 else "assistant", "content": text}))
        if k % 9 == 4:
            lines.append('{"role": "user", "content": "cut off mid-')  # skipped
            lines.append("   ")
    return "\n".join(lines) + "\n"


def _jsonl_conversations() -> str:
    return "\n".join(json.dumps(c, ensure_ascii=False) for c in _export(10) if isinstance(c, dict))


def _bare_messages() -> str:
    msgs = [
        {"role": "user" if k % 2 else "assistant", "content": f"{k}: " + PROSE * 3}
        for k in range(60)
    ]
    for k in range(0, 60, 7):
        msgs[k]["content"] += "\n" + make.b64([62 + k % 10, 65, 69])
    return json.dumps(msgs, ensure_ascii=False)


def _claude() -> str:
    chats = [
        {
            "name": f"Claude chat {k}",
            "chat_messages": [
                {"sender": "human", "text": "a tune? " + PROSE, "content": []},
                {"sender": "assistant", "content": [{"type": "text", "text": make.b64([48 + k])}]},
            ],
        }
        for k in range(40)
    ]
    return json.dumps(chats)


EXPORTS = {
    "conversations.json": lambda: json.dumps(_export(), ensure_ascii=False),
    "conversations-indented.json": lambda: json.dumps(_export(), indent=2),
    "chat.jsonl": _jsonl_messages,
    "conversations.jsonl": _jsonl_conversations,
    "messages.json": _bare_messages,
    "claude.json": _claude,
}


def _outputs(src: Path, out: Path) -> tuple[str, dict[str, bytes], str]:
    """What ``mf decode`` writes (report.json, its folder called OUT; the files) and what
    ``mf scan --json`` prints, for one input."""
    res = runner.invoke(app, ["decode", str(src), "-o", str(out), "-j", "1"])
    assert res.exit_code == 0, res.output
    report = (out / "report.json").read_text(encoding="utf-8").replace(str(out.resolve()), "OUT")
    files = {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.name != "report.json"}
    scan = runner.invoke(app, ["scan", str(src), "--json", "-j", "1"])
    assert scan.exit_code == 0, scan.output
    return report, files, scan.stdout


def _whole_and_in_pieces(
    src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[tuple[str, dict[str, bytes], str], tuple[str, dict[str, bytes], str]]:
    """The outputs of ``src`` read whole (it fits in one window), then in pieces of
    :data:`PIECE` bytes (windows made that small)."""
    assert isinstance(read_text_bounded(src), bytes)
    whole = _outputs(src, tmp_path / "whole")
    monkeypatch.setattr(input_files, "WINDOW_CHARS", PIECE)
    read = read_text_bounded(src)
    assert isinstance(read, Export) and read.piece == PIECE
    return whole, _outputs(src, tmp_path / "pieces")


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_an_export_read_in_pieces_gives_what_reading_it_whole_gives(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / name
    src.write_text(EXPORTS[name](), encoding="utf-8")
    assert src.stat().st_size > 10 * PIECE
    whole, pieces = _whole_and_in_pieces(src, tmp_path, monkeypatch)
    assert pieces == whole
    report = json.loads(whole[0])
    assert sum(n.endswith(".mid") for n in whole[1]) >= 8
    assert all(" › message " in s["origin"] for s in report["spans"])  # found in messages


def test_a_large_conversations_json_keeps_its_groups_origins_and_duplicates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "conversations.json"
    src.write_text(EXPORTS["conversations.json"](), encoding="utf-8")
    whole, pieces = _whole_and_in_pieces(src, tmp_path, monkeypatch)
    assert pieces == whole
    report = json.loads(pieces[0])
    origins = [s["origin"] for s in report["spans"]]
    # a blob continued after a "continue" is one text; the tune searched aside is reported
    # after the cut-off blob before it, and before the blob that follows it
    assert 'conversation "Chat 5 ♫" › message 2 (assistant) (+1 continued)' in origins
    first = origins.index('conversation "Chat 1 ♫" › message 2 (assistant)')
    assert origins[first + 1 : first + 3] == [
        'conversation "Chat 1 ♫" › message 3 (user)',
        'conversation "Chat 1 ♫" › message 4 (assistant)',
    ]
    assert [s["encoding"] for s in report["spans"][first : first + 3]] == [
        "base64",
        "abc",
        "base64",
    ]
    assert sum(p["kind"] == "duplicate" for p in report["problems"]) >= 8
    # conversations are counted without the values that are not conversations: the fourth
    # untitled one (Tune 3) is the seventh, not the ninth value
    assert "conversation 7 › message 2 (assistant)" in origins


def test_an_export_searched_in_two_workers_gives_what_one_process_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(input_files, "WINDOW_CHARS", PIECE)
    monkeypatch.setattr(messages, "BATCH_CHARS", 3 * PIECE)  # many batches of groups
    src = tmp_path / "conversations.json"
    src.write_text(EXPORTS["conversations.json"](), encoding="utf-8")
    outs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"o{jobs}"
        res = runner.invoke(app, ["decode", str(src), "-o", str(out), "--jobs", jobs])
        assert res.exit_code == 0, res.output
        report = (out / "report.json").read_text(encoding="utf-8")
        files = {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.name != "report.json"}
        outs.append((report.replace(str(out.resolve()), "OUT"), files))
    assert outs[0] == outs[1]
    assert "(+1 continued)" in outs[0][0] and '"kind": "duplicate"' in outs[0][0]


def _dies(tasks: object, repair: bool) -> None:
    os._exit(3)  # as the kernel's OOM killer would end the worker


def test_a_worker_that_dies_on_an_export_is_an_error_not_a_hang(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(messages, "record_all", _dies)
    src = tmp_path / "conversations.json"
    src.write_text(EXPORTS["conversations.json"](), encoding="utf-8")
    with pytest.raises(WorkerError, match='from conversation "Waltz help" › message 1'):
        run(read_text_bounded(src, PIECE), repair=False, jobs=2)


def _damaged() -> dict[str, bytes]:
    data = json.dumps(_export(20), ensure_ascii=False).encode("utf-8")
    three = "\u4e2d".encode()
    return {
        "cut inside a conversation": data[: len(data) * 2 // 3],
        "cut inside a character": data[: data.index(three) + 2],
        "bytes that are not UTF-8": data.replace("K\u00f6ln".encode(), b"K\xf6ln", 5),
        "not UTF-8 after the array": data + b"\n\xff\xfe and more",
        "a value nested too deep": data[:-1] + b"," + b"[" * 5000 + b"]" * 5000 + b"]",
        "numbers after the conversations": data[:-1] + b", 1.5e3, -0, 12345678901234567890]",
        "a byte order mark": b"\xef\xbb\xbf\n " + data,
        "not an export": json.dumps(list(range(3000)) + [make.b64(make.WALTZ)]).encode(),
        "conversations without messages": json.dumps([{"messages": []}] * 400).encode()
        + b"\nTVRoZAAAAAYAAAABAeBNVHJrAAAAFACQPEBggDxAAJA+QGCAPkAA/y8A\n",
        "one JSON document": json.dumps({"conversations": _export(5)}, indent=1).encode(),
        "JSON Lines that are not messages": b'{"a": 1}\n' * 200
        + b"**User:** a tune?\n\n**Assistant:** "
        + make.b64(make.SHANTY).encode(),
    }


@pytest.mark.parametrize("name", sorted(_damaged()))
def test_a_damaged_export_read_in_pieces_gives_what_reading_it_whole_gives(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "export.json"
    src.write_bytes(_damaged()[name])
    whole, pieces = _whole_and_in_pieces(src, tmp_path, monkeypatch)
    assert pieces == whole
    if "UTF-8" in name:
        problems = json.loads(whole[0])["problems"]
        assert problems[0]["message"].startswith("input is not valid UTF-8")


def test_a_conversation_that_cannot_be_read_ends_the_export_with_a_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Messages already searched stay in the report; what could not be read is said."""
    from midiforensics.inputs import chat_json

    real = chat_json._mapping_messages

    def fails_on_the_third(mapping: dict[str, Any]) -> Any:
        answer = mapping.get("a", {}).get("message") or {}
        if answer.get("content", {}).get("parts", [""])[0].startswith("Sure"):  # the shanty
            raise RuntimeError("unreadable")
        return real(mapping)

    monkeypatch.setattr(chat_json, "_mapping_messages", fails_on_the_third)
    report = run((FIX / "conversations.json").read_text(encoding="utf-8"), repair=False)
    assert {s.origin.split(" › ")[0] for s in report.spans} == {'conversation "Waltz help"'}
    (problem,) = report.problems
    assert problem.kind == "failure"
    assert problem.message == "the export could not be read on: RuntimeError: unreadable"


def test_reading_in_pieces_holds_a_piece_not_the_export(tmp_path: Path) -> None:
    src = tmp_path / "conversations.json"
    convs = [_chat(f"c{k}", ["a tune?", PROSE * 80], float(k)) for k in range(300)]
    src.write_text(json.dumps(convs, ensure_ascii=False), encoding="utf-8")
    size = src.stat().st_size
    read = read_text_bounded(src, 16 * 1024)
    assert isinstance(read, Export)
    run(json.dumps(convs[:2]), repair=False)  # the stages imported before the count starts
    tracemalloc.start()
    try:
        report = run(read, repair=False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert report.size == size and report.verdict == "nothing musical found"
    assert size > 1_500_000 and peak < size / 2  # whole, it is six times the size
