"""Tables of input -> expected runs for the locator."""

from __future__ import annotations

import base64

import pytest

from midiforensics.locate import LineIndex, find_base64, find_bytes_literals, find_hex

from .conftest import make_midi

MIDI = make_midi([60, 62, 64, 65, 67])
B64 = base64.b64encode(MIDI).decode()
B64_PADDED = base64.b64encode(MIDI + b"\x00").decode()


def wrap(s: str, width: int, sep: str = "\n") -> str:
    return sep.join(s[i : i + width] for i in range(0, len(s), width))


BASE64_CASES = [
    ("one line in prose", f"Here it is: {B64} enjoy", [B64]),
    ("fenced, wrapped at 60", f"```text\n{wrap(B64, 60)}\n```\n", [B64]),
    ("indented and CRLF", "  " + wrap(B64, 40, "\r\n  ") + "\r\n", [B64]),
    ("JSON string", f'{{"content": "{B64}", "role": "assistant"}}', [B64]),
    ("JSON escaped newlines", '{"c": "' + wrap(B64, 32, "\\n") + '"}', [B64]),
    ("JSON escaped slashes", '{"c": "' + B64.replace("/", "\\/") + '"}', [B64]),
    ("data URI, no MIME type", f"src='data:;base64,{B64}'", [B64]),
    ("data URI with MIME", f"data:audio/midi;base64,{B64}", [B64]),
    ("glued to UI text after padding", f"{B64_PADDED}Edit[Claude]", [B64_PADDED]),
    ("blockquote", "> " + wrap(B64, 48, "\n> ") + "\n", [B64]),
    ("spaces every 76 chars", wrap(B64 * 3, 76, " "), [B64 * 3]),
    (
        "two blobs in one input",
        f"first:\n{B64}\n\nsecond:\n```\n{wrap(B64[::-1], 50)}\n```",
        [B64, B64[::-1]],
    ),
    (
        "URL-safe alphabet kept as written",
        B64.replace("+", "-").replace("/", "_"),
        [B64.replace("+", "-").replace("/", "_")],
    ),
    ("prose only", "The quick brown fox jumps over the lazy dog. Internationalization!", []),
    ("a path is not base64", "see /usr/local/share/soundfonts/default/file.sf2 now", []),
    ("kebab-case identifiers", "use score-partwise-measure-attributes-here", []),
]


@pytest.mark.parametrize(
    ("label", "text", "expected"), BASE64_CASES, ids=[c[0] for c in BASE64_CASES]
)
def test_find_base64_table(label: str, text: str, expected: list[str]) -> None:
    assert [r.payload for r in find_base64(text)] == expected


def test_base64_offsets_point_back_into_the_text() -> None:
    text = '{"c": "' + wrap(B64, 20, "\\n").replace("/", "\\/") + '"}'
    (run,) = find_base64(text)
    for i, ch in enumerate(run.payload):
        assert text[run.text_offset(i)] == ch


def test_truncated_run_is_flagged() -> None:
    (run,) = find_base64(f"Here: {B64[:80]}...\n")
    assert run.truncated
    assert run.payload == B64[:80]


def test_line_index() -> None:
    idx = LineIndex("ab\ncd\n\nef")
    assert idx.linecol(0) == (1, 1)
    assert idx.linecol(4) == (2, 2)
    assert idx.linecol(7) == (4, 1)
    assert idx.linecol(8) == (4, 2)


HEX_CASES = [
    ("spaced pairs", "4D 54 68 64 00 00 00 06\n00 00 00 01 01 E0 4D 54\n"),
    (
        "0x list with comments",
        "{0x4D, 0x54, 0x68, 0x64, // MThd\n 0x00, 0x00, 0x00, 0x06, # size\n 0x00, 0x00, 0x00, 0x01, 0x01, 0xE0, 0x4D, 0x54}",
    ),
    ("xxd", "00000000: 4d54 6864 0000 0006 0000 0001 01e0 4d54  MThd..........MT\n"),
    (
        "hexdump -C",
        "00000000  4d 54 68 64 00 00 00 06  00 00 00 01 01 e0 4d 54  |MThd..........MT|\n",
    ),
    ("compact", "payload: \n4d54686400000006000000010 1e04d54\n".replace("0 1", "01")),
]


@pytest.mark.parametrize(("label", "text"), HEX_CASES, ids=[c[0] for c in HEX_CASES])
def test_find_hex_table(label: str, text: str) -> None:
    runs = find_hex(text)
    assert len(runs) == 1
    assert runs[0].data == bytes.fromhex("4d546864000000060000000101e04d54")


def test_hex_needs_more_than_a_few_bytes() -> None:
    assert find_hex("The colours were ff 00 and 80 in the old code.") == []


def test_bytes_literals_joined() -> None:
    text = "data = (b'MThd\\x00\\x00\\x00\\x06'\n        b'\\x00\\x00\\x00\\x01\\x01\\xe0')\n"
    (run,) = find_bytes_literals(text)
    assert run.data == b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x01\xe0"


def test_xxd_ascii_column_with_spaces_is_not_data() -> None:
    text = (
        "00000000: 4d54 6864 0000 0006 0000 0001 01e0 4d54  MThd..........MT\n"
        "00000010: 726b 0000 0056 00ff 0306 5061 7274 2031  rk...V....Part 1\n"
    )
    (run,) = find_hex(text)
    assert run.data == bytes.fromhex(
        "4d546864000000060000000101e04d54726b0000005600ff030650617274" + "2031"
    )


@pytest.mark.parametrize("mark", ["...", "\u2026", " (truncated)", "... (truncated)", " [...]"])
def test_hex_cut_mark_keeps_the_line_and_flags_truncation(mark: str) -> None:
    (run,) = find_hex(f"```\n4D 54 68 64 00 00 00 06\n00 00 00 01 01 E0{mark}\n```\n")
    assert run.data == bytes.fromhex("4d546864000000060000000101e0")
    assert run.truncated


def test_bytes_literals_joined_across_crlf_continuations() -> None:
    text = "data = b'MThd\\x00\\x00' \\\r\n    b'art 1' \\\r\n    b'\\x01\\xe0'\r\n"
    (run,) = find_bytes_literals(text)
    assert run.data == b"MThd\x00\x00art 1\x01\xe0"


def test_xxd_groups_without_offset_are_not_taken_for_an_offset() -> None:
    (run,) = find_hex("4d54 6864 0000 0006 0000 0001 01e0 4d54\n")
    assert run.data[:4] == b"MThd"


def test_xxd_ascii_column_ending_in_dots_and_a_one_byte_last_line() -> None:
    text = (
        "00000000: 4d54 6864 0000 0006 0000 0001 01e0 4d54  MThd..........MT\n"
        "00000010: 726b 0000 0004 00ff 2f00 3c54 8740 3c00  rk....../.<T.@<.\n"
        "00000020: 00                                       .\n"
    )
    (run,) = find_hex(text)
    assert len(run.data) == 33 and run.data.endswith(b"\x3c\x00\x00")
    assert not run.truncated


@pytest.mark.parametrize("word", ["Retry", "Edit", "Copy", "RetryJR", "ab"])
def test_a_word_glued_before_a_known_payload_is_left_out(word: str) -> None:
    from midiforensics.locate import drop_prefix, glued_prefix

    text = f"Claude said:\n{word}{B64}\n"
    (run,) = find_base64(text)
    k = glued_prefix(run)
    assert k == len(word)
    trimmed = drop_prefix(run, k)
    assert trimmed.payload == B64
    assert all(text[trimmed.text_offset(i)] == c for i, c in enumerate(trimmed.payload))


def test_no_prefix_is_cut_from_ordinary_base64() -> None:
    from midiforensics.locate import glued_prefix

    (run,) = find_base64("x " + base64.b64encode(b"Hello there, this is TVRoZA in text").decode())
    assert glued_prefix(run) == 0


@pytest.mark.parametrize(
    "sep",
    ["\u200b", "\ufeff", "\u00a0\n", "\n\u00a0\u00a0", "\r"],
    ids=["zwsp", "bom", "nbsp-eol", "nbsp-indent", "cr"],
)
def test_invisible_characters_and_odd_breaks_inside_a_blob(sep: str) -> None:
    assert [r.payload for r in find_base64(wrap(B64, 40, sep))] == [B64]


def test_decimal_byte_arrays_holding_midi() -> None:
    from midiforensics.locate import find_decimal_bytes

    js = "const midi = new Uint8Array([\n  " + ", ".join(str(b) for b in MIDI) + "\n]);"
    (run,) = find_decimal_bytes(js)
    assert run.data == MIDI
    # numbers in brackets that are not a file are left alone
    assert find_decimal_bytes("scores = [12, 15, 200, 3, 4, 5, 6, 7, 8, 9]") == []
    assert find_decimal_bytes("[77, 84, 104, 100, 0, 0, 0, 6, 1000]") == []


@pytest.mark.parametrize(
    "code",
    [
        'midi = (\n    "{a}"\n    "{b}"\n)',  # Python's implicit concatenation
        "const midi = '{a}' +\n  '{b}';",  # JavaScript
        'x = "{a}" + "{b}"',
    ],
    ids=["python", "js", "one-line"],
)
def test_blob_split_into_string_literals_in_code(code: str) -> None:
    text = code.replace("{a}", B64[:60]).replace("{b}", B64[60:])
    assert [r.payload for r in find_base64(text)] == [B64]


def test_compact_hex_inside_a_call_or_quotes() -> None:
    for text in (f'data = bytes.fromhex("{MIDI.hex()}")', f">>> x.hex()\n'{MIDI.hex()}'\n"):
        (run,) = find_hex(text)
        assert run.data == MIDI
