"""Chat exports split into messages: each shape, the order of messages, origins and labels, and
the music in each message found where it was put."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from midiforensics.inputs.exports import Message, iter_export, split_export
from midiforensics.pipeline import run

from .conftest import midi_notes

FIX = Path(__file__).parent / "fixtures" / "exports"
_spec = importlib.util.spec_from_file_location("export_fixtures", FIX / "make.py")
assert _spec is not None and _spec.loader is not None
make = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make)


def read(name: str) -> str:
    return (FIX / name).read_text(encoding="utf-8")


def pitches_found(text: str) -> list[list[int]]:
    """The melodies of the MIDI pieces the pipeline recovers from ``text`` (no files written)."""
    report = run(text, repair=True)
    out = []
    for blob in report.blobs:
        if blob.data.startswith(b"MThd"):
            out.append([p for _, p in midi_notes(blob.data)])
    return out


def by_label(msgs: list[Message]) -> dict[str, Message]:
    return {m.label: m for m in msgs}


def test_fixtures_are_what_make_py_writes() -> None:
    assert read("conversations.json") == json.dumps(make.conversations(), indent=1) + "\n"
    assert read("chat.jsonl") == make.jsonl()
    assert read("chat.md") == make.markdown()
    assert read("chat.html") == make.html()


def test_chatgpt_conversations_json_tree_order_and_origins() -> None:
    msgs = split_export(read("conversations.json"))
    assert msgs is not None
    assert [(m.label, m.role) for m in msgs] == [
        ("c1-m1", "user"),
        ("c1-m2", "assistant"),
        ("c1-m3", "assistant"),  # the regenerated answer, on the second branch
        ("c1-m4", "user"),
        ("c2-m1", "user"),
        ("c2-m2", "assistant"),
        ("c3-m1", "user"),
        ("c3-m2", "assistant"),
    ]
    m = by_label(msgs)
    assert m["c1-m2"].origin == 'conversation "Waltz help" › message 2 (assistant)'
    # the title's line break is folded, the image part is left out of the text
    assert m["c3-m2"].origin == 'conversation "Sea shanty for the choir" › message 2 (assistant)'
    assert m["c3-m1"].text == "Here is a photo of the score; make it a MIDI please"
    assert m["c1-m4"].text == "Thanks!"
    # music in two conversations, each found in its own message
    assert pitches_found(m["c1-m2"].text) == [make.WALTZ]
    assert pitches_found(m["c1-m3"].text) == [make.WALTZ_ALT]
    assert pitches_found(m["c3-m2"].text) == [make.SHANTY]
    for label in ("c1-m1", "c1-m4", "c2-m1", "c2-m2", "c3-m1"):
        assert pitches_found(m[label].text) == []


def test_cut_off_conversations_json_keeps_the_whole_conversations() -> None:
    data = read("conversations.json")
    cut = data[: data.index('"Sea shanty')]  # the export ends inside the third conversation
    msgs = split_export(cut)
    assert msgs is not None
    assert {m.label.split("-")[0] for m in msgs} == {"c1", "c2"}


def test_json_lines_messages_skip_a_broken_line() -> None:
    msgs = split_export(read("chat.jsonl"))
    assert msgs is not None
    assert [(m.label, m.role, m.line) for m in msgs] == [
        ("l1", "system", 1),
        ("l2", "user", 2),
        ("l4", "assistant", 4),
    ]
    assert msgs[1].text == "A descending C major scale?"
    assert msgs[2].origin == "line 4 › message 3 (assistant)"
    assert msgs[2].text.startswith("Here it is:\n```base64\n")
    assert pitches_found(msgs[2].text) == [make.JSONL_TUNE]


def test_json_lines_one_conversation_per_line() -> None:
    lines = [
        {"title": "First", "messages": [{"role": "user", "content": "hi"}]},
        {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]},
    ]
    msgs = split_export("\n".join(json.dumps(x) for x in lines))
    assert msgs is not None
    assert [(m.origin, m.label) for m in msgs] == [
        ('conversation "First" (line 1) › message 1 (user)', "l1-m1"),
        ("line 2 › message 1 (user)", "l2-m1"),
        ("line 2 › message 2 (assistant)", "l2-m2"),
    ]


def test_markdown_turns_lines_and_fences() -> None:
    data = read("chat.md")
    msgs = split_export(data)
    assert msgs is not None
    assert [(m.label, m.role) for m in msgs] == [
        ("c1-m0", "preamble"),
        ("c1-m1", "user"),
        ("c1-m2", "assistant"),
        ("c1-m3", "user"),
        ("c1-m4", "assistant"),  # "User:" inside the last fence is not a turn
    ]
    m = by_label(msgs)
    assert m["c1-m1"].text.strip() == "Write a rising C major scale as MIDI, please."
    assert m["c1-m2"].origin == 'conversation "Minuet in C" › message 2 (assistant)'
    assert "User: not a real turn" in m["c1-m4"].text
    # line N of a message's text is line (m.line + N - 1) of the export
    lines = data.split("\n")
    for msg in msgs:
        for n, text_line in enumerate(msg.text.split("\n")[:3], 1):
            if text_line.strip():
                assert text_line in lines[msg.line + n - 2]
    # the blob: L4 of the message is line 10 of the file
    report = run(m["c1-m2"].text)
    assert report.spans[0].line + m["c1-m2"].line - 1 == 1 + data[: data.index("TVRoZ")].count("\n")
    assert pitches_found(m["c1-m2"].text) == [make.MD_TUNE]


@pytest.mark.parametrize(
    "text, roles",
    [
        ("### User\nhello\n\n### Assistant\nhi there\n", ["user", "assistant"]),
        ("**You said:** play\n\n**ChatGPT said:** ok\n", ["user", "assistant"]),
        ("**Human**: a\n**Claude**: b\n", ["user", "assistant"]),
        ("User: a\nAssistant: b\nUser: c\n", ["user", "assistant", "user"]),
    ],
)
def test_markdown_marker_styles(text: str, roles: list[str]) -> None:
    msgs = split_export(text)
    assert msgs is not None
    assert [m.role for m in msgs] == roles


def test_html_saved_page() -> None:
    msgs = split_export(read("chat.html"))
    assert msgs is not None
    assert [(m.label, m.role) for m in msgs] == [("c1-m1", "user"), ("c1-m2", "assistant")]
    user, bot = msgs
    assert user.origin == 'conversation "Arpeggio & score" › message 1 (user)'
    assert user.text == "Could you send an A minor arpeggio as MIDI & the score as MusicXML?"
    assert "Here's the MIDI:" in bot.text
    assert "var s" not in bot.text and "color:red" not in bot.text
    assert "Enjoy\nthe music." in bot.text
    # the <pre><code> text is kept as it was, entities unescaped: a MusicXML score again
    assert "<score-partwise" in bot.text and "<part-name>Flute &amp; Voice</part-name>" in bot.text
    report = run(bot.text)
    kinds = sorted(s.encoding for s in report.spans)
    assert kinds == ["base64", "musicxml"]
    assert pitches_found(bot.text) == [make.HTML_TUNE]
    mx = [a for a in report.artifacts if a.kind == "midi" and "musicxml" in a.source]
    assert [a.notes for a in mx] == [4]


def test_html_claude_style_markers_and_unclosed_tags() -> None:
    page = (
        "<html><body><div data-testid='user-message'><p>one &lt;two&gt;<p>three</div>"
        "<div class='font-claude-message x'>answer <code>a&amp;b</code></div></body></html>"
    )
    msgs = split_export(page)
    assert msgs is not None
    assert [(m.role, m.text) for m in msgs] == [
        ("user", "one <two>\nthree"),
        ("assistant", "answer a&b"),
    ]


@pytest.mark.parametrize(
    "doc, expect",
    [
        (
            {"title": "T", "messages": [{"role": "user", "content": "x"}]},
            [('conversation "T" › message 1 (user)', "x")],
        ),
        (
            [
                {"messages": [{"role": "user", "content": "x"}]},
                {"messages": [{"role": "assistant", "content": [{"type": "text", "text": "y"}]}]},
            ],
            [
                ("conversation 1 › message 1 (user)", "x"),
                ("conversation 2 › message 1 (assistant)", "y"),
            ],
        ),
        (
            [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}],
            [
                ("conversation 1 › message 1 (user)", "a"),
                ("conversation 1 › message 2 (assistant)", "b"),
            ],
        ),
        (
            [
                {
                    "name": "Claude chat",
                    "chat_messages": [
                        {"sender": "human", "text": "q", "content": []},
                        {"sender": "assistant", "content": [{"type": "text", "text": "r"}]},
                    ],
                }
            ],
            [
                ('conversation "Claude chat" › message 1 (user)', "q"),
                ('conversation "Claude chat" › message 2 (assistant)', "r"),
            ],
        ),
        (
            {"conversations": [{"messages": [{"author": "model", "content": {"parts": ["p"]}}]}]},
            [("conversation 1 › message 1 (assistant)", "p")],
        ),
    ],
)
def test_json_shapes(doc: object, expect: list[tuple[str, str]]) -> None:
    msgs = split_export(json.dumps(doc))
    assert msgs is not None
    assert [(m.origin, m.text) for m in msgs] == expect


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n",
        "Here is the MIDI:\n\nTVRoZAAAAAYAAAABAeBNVHJr\n",
        "User: only one side of a talk\nand more prose\n",
        '{"a": 1}',
        "[1, 2, 3]",
        '[{"title": "x"',
        "<html><body><p>no chat here</p></body></html>",
        "## Message 0\n\nSure! Here is the MIDI file\n\n## Message 1\n\nmore\n",
    ],
)
def test_not_an_export(text: str) -> None:
    assert split_export(text) is None


def test_a_create_time_too_large_for_a_float_is_still_a_conversation() -> None:
    convs = make.conversations()
    convs[0]["mapping"]["a2"]["message"]["create_time"] = 10**400
    msgs = split_export(json.dumps(convs))
    assert msgs is not None
    # the regenerated answer sorts after its sibling still
    assert [m.label for m in msgs][:4] == ["c1-m1", "c1-m2", "c1-m3", "c1-m4"]
    assert msgs[2].text.startswith("Another take")


def test_iter_export_is_lazy_over_a_json_list() -> None:
    conv = {"title": "t", "messages": [{"role": "user", "content": "x"}]}
    # the tail after the second conversation is broken: the first two still come out
    data = "[" + json.dumps(conv) + "," + json.dumps(conv) + ", {broken"
    it = iter_export(data)
    assert it is not None
    assert [m.label for m in it] == ["c1-m1", "c2-m1"]


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(["conversations.json", "chat.jsonl", "chat.md", "chat.html"]), st.data())
def test_damaged_exports_never_raise(name: str, data: st.DataObject) -> None:
    text = read(name)
    i = data.draw(st.integers(0, len(text)))
    j = data.draw(st.integers(i, min(len(text), i + 200)))
    junk = data.draw(st.text(max_size=20))
    damaged = text[:i] + junk + text[j:]
    out = split_export(damaged)
    assert out is None or all(isinstance(m, Message) and m.label for m in out)


def test_html_deep_nesting_and_stray_end_tags() -> None:
    page = (
        "<div data-message-author-role='user'>"
        + "<span>x" * 5000
        + "</b>" * 5000
        + "<p>a<p>b</div><div data-role='assistant'>y</div>"
    )
    msgs = split_export(page)
    assert msgs is not None
    assert [(m.role, m.text) for m in msgs] == [("user", "x" * 5000 + "\na\nb"), ("assistant", "y")]
