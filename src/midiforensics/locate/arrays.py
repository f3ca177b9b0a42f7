"""Bytes spelled out in code: Python bytes literals, decimal byte arrays."""

from __future__ import annotations

import ast
import re

from .run import Run

# --- Python bytes literals -----------------------------------------------------------------

_BYTES_LIT = re.compile(r"""\bb(?:'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")""")
_LIT_GAP = re.compile(r"\s*(?:\+\s*)?(?:\\\r?\n\s*)?")


def find_bytes_literals(text: str) -> list[Run]:
    """Python bytes literals (``b'MThd\\x00...'``); adjacent literals are joined as Python does."""
    runs: list[Run] = []
    cur: list[tuple[int, int, bytes]] = []

    def flush() -> None:
        if cur:
            data = b"".join(d for _, _, d in cur)
            if len(data) >= 8:
                runs.append(
                    Run(
                        start=cur[0][0],
                        end=cur[-1][1],
                        encoding="bytes-literal",
                        payload="",
                        data=data,
                    )
                )
            cur.clear()

    if "\\x" not in text:
        return runs  # a bytes literal that holds binary data escapes some of it
    for m in _BYTES_LIT.finditer(text):
        lit = m.group(0)
        joins = bool(cur) and _LIT_GAP.fullmatch(text[cur[-1][1] : m.start()]) is not None
        if "\\x" not in lit and not joins:
            continue  # plain words in quotes, unless they continue a chain of binary literals
        try:
            value = ast.literal_eval(lit)
        except (ValueError, SyntaxError):
            continue
        if not isinstance(value, bytes):
            continue
        if joins:
            cur.append((m.start(), m.end(), value))
        else:
            flush()
            cur.append((m.start(), m.end(), value))
    flush()
    return runs


# --- byte arrays in code ----------------------------------------------------------------------

# Arrays that spell bytes as numbers, in most languages: C/C++ ``unsigned char m[] = {0x4D, ...}``
# (with ``PROGMEM``), Java ``new byte[]{(byte)0x90, -112}``, C# ``new byte[] {...}``, JavaScript
# ``new Uint8Array([...])``, Rust ``vec![0x4Du8, ...]``, Go ``[]byte{...}``, Python lists. Items
# may be split over many lines with comments between them and a trailing comma.
_CAST = r"(?:\(\s*(?:unsigned\s+char|signed\s+char|char|byte|sbyte|u?int8_t|uint8|[ui]8)\s*\)\s*)?"
_ITEM = (
    rf"{_CAST}(?:0[xX](?P<hex>[0-9A-Fa-f]{{1,2}})|(?P<dec>-?[0-9]{{1,3}}))"
    r"(?:_?[ui]8|[uU])?(?![0-9A-Za-z_.])"
)
_COMMENT = r"//[^\n]*+|/\*(?:[^*]|\*(?!/)){0,400}+\*/|#[^\n]*+"
# where an array may start: an opening bracket, then (comments and) an item and a comma; the
# regex engine skips everything else at full speed, and the possessive loops never backtrack
_ARRAY_HINT = re.compile(rf"[\[{{(](?:\s|{_COMMENT})*+(?={_ITEM}\s*,)")
_ARRAY_TOKEN = re.compile(
    rf"(?P<gap>\s+|{_COMMENT})|(?P<comma>,)|(?P<item>{_ITEM})|(?P<close>[\]}})])|(?P<cut>\.{{3}}|\u2026)"
)
_ARRAY_MAGIC = (b"MThd", b"MTrk", b"RIFF", b"PK\x03\x04", b"\x1f\x8b")
MIN_ARRAY_BYTES = 8
_TEXT_END = re.compile(r"\s*\Z")  # an array cut off by the end of the text


def read_byte_array(text: str, pos: int) -> tuple[bytes, int, bool, bool] | None:
    """The bytes of an array whose items start at ``pos`` (just after its opening bracket):
    ``(data, end, closed, all_hex)``; None when it is no byte array (a value above 255, two
    items without a comma between them, other text before the closing bracket)."""
    out = bytearray()
    all_hex = True
    want_item = True
    while True:
        t = _ARRAY_TOKEN.match(text, pos)
        if t is None:
            return (bytes(out), pos, False, all_hex) if _TEXT_END.match(text, pos) else None
        kind = t.lastgroup
        if kind == "item":
            if not want_item:
                return None
            if t.group("hex") is not None:
                out.append(int(t.group("hex"), 16))
            else:
                value = int(t.group("dec"))
                if not -128 <= value <= 255:
                    return None
                out.append(value & 0xFF)  # Java's bytes are signed: -112 is 0x90
                all_hex = False
            want_item = False
        elif kind == "comma":
            if want_item:
                return None
            want_item = True
        elif kind in ("close", "cut"):
            return bytes(out), t.end(), kind == "close", all_hex
        pos = t.end()


def find_byte_arrays(text: str) -> list[Run]:
    """Byte arrays in code. Arrays of decimal numbers are everywhere in code, so those are
    taken only when their bytes begin with a known signature (MIDI, RIFF, zip, gzip); arrays
    written in hex are taken as other hex dumps are."""
    runs: list[Run] = []
    done = 0
    for m in _ARRAY_HINT.finditer(text):
        if m.start() < done:
            continue
        got = read_byte_array(text, m.end())
        if got is None:
            continue
        data, end, closed, all_hex = got
        if len(data) < MIN_ARRAY_BYTES or not (all_hex or data.startswith(_ARRAY_MAGIC)):
            continue
        encoding = "hex" if all_hex else "decimal"
        runs.append(Run(m.start(), end, encoding, "", data=data, truncated=not closed))
        done = end
    return runs
