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


# --- decimal byte arrays ---------------------------------------------------------------------

# ``[77, 84, 104, 100, ...]``, ``new Uint8Array([...])``, ``{77,84,...}``: code that spells bytes
# in decimal. Numbers in brackets are everywhere in code, so only arrays whose bytes begin with
# a known signature are taken.
_DEC_LIST = re.compile(r"[\[{(]\s*(?:\d{1,3}\s*,\s*){7,}\d{1,3}\s*,?\s*[\]})]")
_DEC_MAGIC = (b"MThd", b"MTrk", b"RIFF", b"PK\x03\x04", b"\x1f\x8b")


def find_decimal_bytes(text: str) -> list[Run]:
    """Arrays of decimal byte values that hold a MIDI file (or a zip, gzip, RIFF)."""
    runs: list[Run] = []
    for m in _DEC_LIST.finditer(text):
        values = [int(v) for v in re.findall(r"\d+", m.group())]
        if max(values) > 255:
            continue
        data = bytes(values)
        if data.startswith(_DEC_MAGIC):
            runs.append(Run(m.start(), m.end(), "decimal", "", data=data))
    return runs
