"""Tables of input -> expected runs for the locator."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from midiforensics.locate import LineIndex, Run, find_base64, find_bytes_literals, find_hex
from midiforensics.locate import base64 as b64_locate

from .conftest import make_midi, midi_notes

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
    assert idx.where(8) == "L4:C2"


class _Indexed(LineIndex):
    SHORT = -1  # every text is indexed


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab\n\r", max_size=60), st.integers(0, 70))
def test_a_short_text_is_located_as_its_index_locates_it(text: str, offset: int) -> None:
    """Short texts are located by counting in them; it gives what the index of line starts
    gives, offsets past the end included."""
    assert LineIndex(text).linecol(offset) == _Indexed(text).linecol(offset)


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


# --- byte arrays in code: input -> expected bytes -------------------------------------------

HEAD = bytes.fromhex("4d546864000000060000000101e0")  # MThd, format 0, one track, 480 tpb
TRACK = bytes.fromhex("4d54726b000000ff0090404083608040000000ff2f00")  # length says 255: wrong
FILE = HEAD + TRACK


def _hx(data: bytes, fmt: str = "0x{:02X}", sep: str = ", ") -> str:
    return sep.join(fmt.format(b) for b in data)


def _signed(data: bytes) -> str:
    return ", ".join(str(b - 256 if b > 127 else b) for b in data)


ARRAY_CASES = [
    ("C unsigned char", f"unsigned char midi[] = {{{_hx(FILE)}}};", FILE),
    (
        "Arduino PROGMEM, comments between items, trailing comma",
        "static const uint8_t song[] PROGMEM = {\n  // header\n  "
        + _hx(HEAD)
        + ",\n  /* track */\n  "
        + _hx(TRACK[:8])
        + ", // MTrk\n  "
        + _hx(TRACK[8:])
        + ",\n};\n",
        FILE,
    ),
    ("C++ std::array", f"std::array<uint8_t, 36> m{{{_hx(FILE, '0x{:02x}')}}};", FILE),
    ("Java casts", f"byte[] m = new byte[]{{{_hx(FILE, '(byte)0x{:02X}')}}};", FILE),
    ("Java signed decimal", f"byte[] m = {{{_signed(FILE)}}};", FILE),
    ("C# byte array", f"var m = new byte[] {{ {_hx(FILE)} }};", FILE),
    ("JavaScript Uint8Array hex", f"const m = new Uint8Array([{_hx(FILE, '0x{:02x}')}]);", FILE),
    ("JavaScript decimal", f"const m = new Uint8Array([{_hx(FILE, '{}')}]);", FILE),
    ("Rust vec! with suffixes", f"let m = vec![{_hx(FILE, '0x{:02x}u8')}];", FILE),
    ("Rust array, typed first item", f"let m: [u8; 36] = [{_hx(FILE, '{:#04x}')}];", FILE),
    ("Go []byte", "m := []byte{\n\t" + _hx(FILE, "0x{:02x}", ",\n\t") + ",\n}", FILE),
    ("Python list of ints", f"midi = [{_hx(FILE, '{}')}]  # a MIDI file", FILE),
    (
        "Python list, comments after items",
        "data = [\n    " + _hx(HEAD, "{}") + ",  # MThd\n    " + _hx(TRACK, "{}") + ",  # MTrk\n]",
        FILE,
    ),
    (
        "cut off with an ellipsis",
        f"unsigned char m[] = {{{_hx(FILE[:20])}, ...",
        FILE[:20],
    ),
    ("decimal numbers that are no file", "scores = [12, 15, 200, 3, 4, 5, 6, 7, 8, 9]", None),
    ("a value above a byte", "[77, 84, 104, 100, 0, 0, 0, 6, 1000]", None),
    ("a Java byte below -128", "byte[] m = {77, 84, 104, 100, 0, 0, 0, 6, -129};", None),
    ("two items with no comma", "{0x4D, 0x54, 0x68 0x64, 0x00, 0x00, 0x00, 0x06, 0x00}", None),
    ("too short to be a file", "{0x4D, 0x54, 0x68, 0x64}", None),
    ("version numbers", "requires = (3, 11, 0, 1, 2, 4, 5, 6, 7)", None),
]


@pytest.mark.parametrize(
    ("label", "code", "expected"), ARRAY_CASES, ids=[c[0] for c in ARRAY_CASES]
)
def test_byte_arrays_table(label: str, code: str, expected: bytes | None) -> None:
    from midiforensics.locate import find_byte_arrays

    runs = find_byte_arrays(code)
    if expected is None:
        assert runs == []
        return
    (run,) = runs
    assert run.data == expected
    assert run.truncated == (len(expected) < len(FILE))
    assert code[run.start] in "[{(" and code[run.end - 1] in "]})." or run.truncated


def test_array_in_code_is_decoded_to_a_playable_file_with_its_track_length_fixed(
    tmp_path: Path,
) -> None:
    import midiforensics

    code = dict((c[0], c[1]) for c in ARRAY_CASES)[
        "Arduino PROGMEM, comments between items, trailing comma"
    ]
    report = midiforensics.decode(f"Here you go:\n```c\n{code}```\n", out_dir=str(tmp_path))
    (art,) = [a for a in report.artifacts if a.kind == "midi"]
    assert midi_notes((tmp_path / Path(art.path).name).read_bytes()) == [(0, 64)]
    assert any(r.kind == "track-length" for r in art.repairs)


# --- hex dumps whose offsets sit right against the bytes -------------------------------------

DUMP = FILE + bytes(range(0x40, 0x4C))  # 48 bytes: three lines of 16


def _dump(offset: str, sep: str, group: int, upper: bool = False) -> str:
    lines = []
    for at in range(0, len(DUMP), 16):
        digits = DUMP[at : at + 16].hex()
        body = " ".join(digits[i : i + group] for i in range(0, len(digits), group))
        lines.append(offset.format(at) + sep + (body.upper() if upper else body))
    return "\n".join(lines) + "\n"


OFFSET_CASES = [
    ("xxd glued to its colon", _dump("{:08x}:", "", 32)),
    ("xxd groups glued to the colon", _dump("{:08x}:", "", 4)),
    ("short offset, no colon, groups of four", _dump("{:04x}", " ", 4)),
    ("short offset, no colon, upper case", _dump("{:04X}", " ", 4, upper=True)),
    ("short offset, no colon, pairs", _dump("{:04x}", " ", 2)),
    ("0x offset with a colon", _dump("0x{:04x}:", " ", 2)),
    ("six-digit offset", _dump("{:06x}", "  ", 2)),
    ("one line, zero offset before a signature", _dump("{:04x}", " ", 4).split("\n")[0]),
]


@pytest.mark.parametrize(("label", "text"), OFFSET_CASES, ids=[c[0] for c in OFFSET_CASES])
def test_offsets_before_hex_bytes_are_not_data(label: str, text: str) -> None:
    (run,) = find_hex(text)
    assert run.data == DUMP[: len(run.data)] and len(run.data) >= 16


def test_groups_that_do_not_count_up_stay_data() -> None:
    text = "0000 0000 0000 0000 0000\n0000 0000 0000 0000 0000\n"
    (run,) = find_hex(text)
    assert run.data == bytes(20)


# --- false finds: input -> nothing found ----------------------------------------------------

DTD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
    '<!DOCTYPE score-partwise PUBLIC "-//Recordare//DTD MusicXML 4.0 Partwise//EN"'
    ' "http://www.musicxml.org/dtds/partwise.dtd">\n'
    '<score-partwise version="4.0" xmlns:xlink="http://www.w3.org/1999/xlink">\n'
)
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ0ZXN0LXVzZXItNDIiLCJuYW1lIjoiQSBUZXN0ZXIi"
    "LCJpYXQiOjE3MDAwMDAwMDB9.3q2-7wQx9LmZ0aVbN4cYtR8uEiO1sPdFgHjKlZxCvBn"
)
NOT_PAYLOADS = [
    ("MusicXML DOCTYPE with its public id", DTD),
    (
        "DOCTYPE, timewise",
        '<!DOCTYPE score-timewise PUBLIC "-//Recordare//DTD MusicXML 3.1 Timewise//EN">',
    ),
    (
        "namespace URL",
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">',
    ),
    ("token in a URL path", "see https://example.com/a/VeryLongTokenAbc123XyZ987qwE4 for more"),
    (
        "token in a URL query",
        "https://example.org/watch?v=Qw3rTy7UiOp2AsDfGhJkLzXc&list=PLx9Kd2MfQa7Bn",
    ),
    ("URL without a scheme", "www.example.org/share/Abc/Def123GhiJklMnoPqr456StuVwx"),
    ("URL in markdown", "[the score](https://cdn.example.net/f/AbCdEf0123456789GhIjKl/score.xml)"),
    ("camelCase identifier", "call someVeryLongCamelCaseIdentifierName() first"),
    ("PascalCase class", "from transformers import AutoModelForCausalLM, AutoTokenizer"),
    ("getter name", "document.getElementsByTagName('note')"),
    ("JSON Web Token", f"Authorization: Bearer {JWT}"),
    ("JWT alone on a line", f"token:\n{JWT}\n"),
    ("UUID upper case", "id 123E4567-E89B-12D3-A456-426614174000 ok"),
    ("UUID lower case", "run 9f1c2a7e-5b3d-4e8f-a6c1-0d2e3f4a5b6c finished"),
    ("SHA-1 commit id", "commit 3a7bd3e2360a3d29eea436fcfb7e44c735d117c4\nAuthor: someone"),
    ("SHA-256 digest", "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    (
        "SHA-256 on its own line",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n",
    ),
    ("MD5 in a table", "| file.mid | d41d8cd98f00b204e9800998ecf8427e |"),
    (
        "digests side by side",
        " ".join(["e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"] * 3),
    ),
    ("git log --oneline", "3a7bd3e fix\n9f1c2a7 add\n"),
]


@pytest.mark.parametrize(("label", "text"), NOT_PAYLOADS, ids=[c[0] for c in NOT_PAYLOADS])
def test_no_payload_found(label: str, text: str) -> None:
    assert find_base64(text) == []
    assert find_hex(text) == []


PAYLOADS_NEAR_NOISE = [
    ("base64 MIDI in a URL query", f"https://example.org/play?midi={B64}", B64),
    ("base64 after a URL", f"See https://example.org/help\n\n{wrap(B64, 64)}\n", B64),
    ("base64 after a DOCTYPE line", f"{DTD}\n{B64}\n", B64),
    ("base64 ending a sentence", f"The file is {B64}. Enjoy!", B64),
]


@pytest.mark.parametrize(
    ("label", "text", "expected"), PAYLOADS_NEAR_NOISE, ids=[c[0] for c in PAYLOADS_NEAR_NOISE]
)
def test_payload_beside_noise_is_found(label: str, text: str, expected: str) -> None:
    assert [r.payload for r in find_base64(text)] == [expected]


def _noise(size: int, seed: int) -> str:
    """Prose with URLs, digests, UUIDs, JWTs and long names, about ``size`` characters."""
    import hashlib
    import json
    import random
    import uuid

    rng = random.Random(seed)
    words = [
        "melody",
        "scale",
        "tonic",
        "link",
        "details",
        "commit",
        "build",
        "version",
        "notes",
        "release",
        "see",
        "the",
    ]
    alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    out: list[str] = []
    n = 0
    while n < size:
        tok = "".join(rng.choice(alnum) for _ in range(rng.randint(16, 48)))
        claims = base64.urlsafe_b64encode(json.dumps({"sub": tok}).encode()).decode()
        item = rng.choice(
            [
                f"https://example.com/{rng.choice(words)}/{tok}?ref={tok[::-1]}",
                f"<https://cdn.example.net/v1/{tok}/file.xml>",
                hashlib.sha256(tok.encode()).hexdigest(),
                "commit " + hashlib.sha1(tok.encode()).hexdigest(),
                str(uuid.UUID(int=rng.getrandbits(128))).upper(),
                f"Bearer eyJhbGciOiJIUzI1NiJ9.{claims.rstrip('=')}.{tok}",
                "".join(w.capitalize() for w in rng.sample(words, 5)),
                " ".join(rng.choice(words) for _ in range(12)) + ".",
            ]
        )
        out.append(item)
        n += len(item) + 1
    return "\n".join(out) if seed % 2 else " ".join(out)


@pytest.mark.parametrize("seed", [1, 2])
def test_prose_with_urls_and_hashes_yields_nothing(seed: int) -> None:
    text = _noise(300_000, seed)  # benchmarks/bench_scan.py scans 30 MB of the kind
    assert find_base64(text) == []
    assert find_hex(text) == []


# --- a base64 line pasted twice -------------------------------------------------------------

LONG = base64.b64encode(make_midi(list(range(48, 84)))).decode()
LINES = [LONG[i : i + 76] for i in range(0, len(LONG), 76)]


def _pasted_twice(k: int) -> str:
    return "\n".join(LINES[: k + 1] + [LINES[k]] + LINES[k + 1 :]) + "\n"


@pytest.mark.parametrize("k", [0, 1, 3, len(LINES) - 2])
def test_a_line_pasted_twice_is_left_out_and_recorded(k: int) -> None:
    text = "```\n" + _pasted_twice(k) + "```\n"
    (run,) = find_base64(text)
    assert run.payload == LONG
    assert all(text[run.text_offset(i)] == c for i, c in enumerate(run.payload))
    (rep,) = run.repairs
    assert (rep.stage, rep.kind, rep.before) == ("locate", "duplicate-line", LINES[k])
    assert rep.offset == text.index(LINES[k]) + 77  # the copy, on the next line


def test_lines_that_repeat_in_the_data_are_kept() -> None:
    zeros = base64.b64encode(bytes(57 * 4) + MIDI).decode()  # four lines of "AAAA..."
    assert [(r.payload, r.repairs) for r in find_base64(wrap(zeros, 76))] == [(zeros, ())]
    # a MIDI file whose chunks fill it exactly with the repeated line: the data repeats (a
    # 57-byte phrase played twice, starting on a line of 76 characters)
    text_event = bytes.fromhex("00ff011f") + b"a phrase that is played twice: "
    phrase = bytes.fromhex("00903c4060803c40") + bytes.fromhex("00ff012d") + b"x" * 45
    body = text_event + phrase * 2 + bytes.fromhex("00ff2f00")
    smf = HEAD + b"MTrk" + len(body).to_bytes(4, "big") + body
    assert len(HEAD) + 8 + len(text_event) == 57 and len(phrase) == 57
    b64 = base64.b64encode(smf).decode()
    lines = wrap(b64, 76).split("\n")
    assert lines[1] == lines[2]
    assert [(r.payload, r.repairs) for r in find_base64("\n".join(lines))] == [(b64, ())]


def test_a_pasted_line_makes_no_extra_bar_in_the_decoded_file(tmp_path: Path) -> None:
    import midiforensics

    report = midiforensics.decode(f"```\n{_pasted_twice(2)}```\n", out_dir=str(tmp_path))
    (art,) = [a for a in report.artifacts if a.kind == "midi"]
    got = (tmp_path / Path(art.path).name).read_bytes()
    assert midi_notes(got) == midi_notes(base64.b64decode(LONG))


# --- unescaping with a map back to the text -------------------------------------------------

UNESCAPE_CASES = [
    ("JSON newlines", "a\\nb\\nc", "backslash", "a\nb\nc"),
    ("JSON quotes and slashes", '{\\"x\\": \\"a\\/b\\"}', "backslash", '{"x": "a/b"}'),
    ("unicode escape of <", "\\u003cnote\\u003e", "backslash", "<note>"),
    ("HTML-escaped markup", "&lt;step&gt;C&lt;/step&gt;", "html", "<step>C</step>"),
    ("an ampersand kept as one", "Tom &amp; Jerry", "html", "Tom & Jerry"),
    ("nothing to do", "plain text", "html", "plain text"),
]


@pytest.mark.parametrize(
    ("label", "text", "kind", "expected"), UNESCAPE_CASES, ids=[c[0] for c in UNESCAPE_CASES]
)
def test_unescape_maps_back_to_the_text(label: str, text: str, kind: str, expected: str) -> None:
    from midiforensics.locate.text import (
        BACKSLASH_ESCAPE,
        BACKSLASH_TABLE,
        HTML_ESCAPE,
        HTML_TABLE,
        OffsetMap,
        sub_mapped,
    )

    pattern, table = (
        (HTML_ESCAPE, HTML_TABLE) if kind == "html" else (BACKSLASH_ESCAPE, BACKSLASH_TABLE)
    )
    new, a, b = sub_mapped(text, pattern, table)
    assert new == expected
    omap = OffsetMap()
    omap.add(a, b)
    for i, ch in enumerate(new):  # every character that was not an escape sits where it was
        if ch.isalnum():
            assert text[omap(i)] == ch


def test_two_layers_of_escaping_compose() -> None:
    from midiforensics.locate.text import (
        BACKSLASH_ESCAPE,
        BACKSLASH_TABLE,
        HTML_ESCAPE,
        HTML_TABLE,
        OffsetMap,
        sub_mapped,
    )

    text = "x\\n&lt;pitch&gt;\\n"
    omap = OffsetMap()
    one, a, b = sub_mapped(text, BACKSLASH_ESCAPE, BACKSLASH_TABLE)
    omap.add(a, b)
    two, a, b = sub_mapped(one, HTML_ESCAPE, HTML_TABLE)
    omap.add(a, b)
    assert two == "x\n<pitch>\n"
    assert text[omap(two.index("pitch")) :].startswith("pitch")
    assert omap(two.index("<")) == text.index("&lt;")


def test_a_pasted_line_stays_recorded_when_a_glued_word_is_cut_off() -> None:
    from midiforensics.locate import drop_prefix, glued_prefix

    text = "Retry" + _pasted_twice(1)
    (run,) = find_base64(text)
    trimmed = drop_prefix(run, glued_prefix(run))
    assert trimmed.payload == LONG
    assert [r.kind for r in trimmed.repairs] == ["duplicate-line"]


# --- one cleanly wrapped block, found at once ---------------------------------------------

PROSE = [
    "Here is the file:",
    "Sure! Here it is, encoded in base64.",
    "```",
    "```base64",
    "",
    "QUJD",  # a narrow line
    "QUJD\nRUZH\nSUpL",  # a blob wrapped narrowly
    "TWFueSBoYW5kcyBtYWtlIGxpZ2h0IHdvcmsu",  # another blob
    "See https://example.com/AbCdEfGhIjKlMnOpQrStUv for more",
    "someVeryLongCamelCaseIdentifierName",
    "d41d8cd98f00b204e9800998ecf8427e",
    "> quoted",
    "  indented text",
    '{"content": "x"}',
    "Hope this helps",
    "...",
]
_PROSE = st.sampled_from(PROSE)
_ENDS = ["\n\n", "\n```\n", "\n```", "\nHope this helps", "\n", "", " more"]
_LINE_EDITS = st.sampled_from(
    ["", "trailing space", "indent", "crlf", "dash", "json slash", "repeat", "identifier", "hex"]
)


def _block(payload: bytes, width: int, edit: str, at: int) -> str:
    lines = wrap(base64.b64encode(payload).decode(), width).split("\n")
    k = at % len(lines)
    if edit == "trailing space":
        lines[k] += " "
    elif edit == "indent":
        lines[k] = "  " + lines[k]
    elif edit == "crlf":
        lines[k] += "\r"
    elif edit == "dash":
        lines[k] = lines[k][:3] + "-" + lines[k][4:]
    elif edit == "json slash":
        lines[k] = lines[k][:3] + "\\/" + lines[k][4:]
    elif edit == "repeat" and len(lines) > 2:
        lines.insert(k, lines[k])
    elif edit == "identifier":
        lines.insert(k, "someVeryLongCamelCaseIdentifierName")
    elif edit == "hex":
        lines.insert(k, "d41d8cd98f00b204e9800998ecf8427e")
    return "\n".join(lines)


@settings(max_examples=400, deadline=None)
@given(
    st.tuples(_PROSE, _PROSE).map(list),
    st.one_of(st.just(MIDI), st.binary(min_size=1, max_size=300)),
    st.integers(4, 120),
    _LINE_EDITS,
    st.integers(0, 100),
    st.sampled_from(_ENDS),
    st.tuples(_PROSE, _PROSE).map(list),
)
def test_a_block_found_at_once_is_what_the_token_loop_finds(
    before: list[str],
    payload: bytes,
    width: int,
    edit: str,
    at: int,
    after: str,
    rest: list[str],
) -> None:
    """``find_base64`` takes a text that holds one cleanly wrapped block in one step; whatever
    the prose around it and whatever is wrong with a line, it must find what the line-by-line
    loop finds."""
    text = "\n".join([*before, _block(payload, width, edit, at)]) + after + "\n".join(rest)
    assert find_base64(text) == _found_line_by_line(text)


@pytest.mark.parametrize("after", _ENDS)
def test_a_block_between_any_two_kinds_of_prose_is_found_as_the_token_loop_finds(
    after: str,
) -> None:
    block = _block(MIDI, 60, "", 0)
    for before in PROSE:
        for rest in PROSE:
            text = f"{before}\n{block}{after}{rest}"
            assert find_base64(text) == _found_line_by_line(text), (before, rest)


def test_a_pasted_blob_in_prose_is_found_at_once() -> None:
    text = f"Here it is:\n```\n{wrap(B64, 76)}\n```\n\nEnjoy!"
    assert b64_locate._one_block(text) == _found_line_by_line(text) == find_base64(text)
    assert [r.payload for r in find_base64(text)] == [B64]


def _found_line_by_line(text: str) -> list[Run]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(b64_locate, "_one_block", lambda text: None)
        return find_base64(text)
