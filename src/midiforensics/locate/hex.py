"""Hex dumps: spaced pairs, ``0x`` lists, ``xxd`` and ``hexdump -C`` lines, compact hex."""

from __future__ import annotations

import re

from .run import Run
from .text import ELLIPSIS as _ELLIPSIS

# --- hex dumps ---------------------------------------------------------------------------

# A hex dump line holds a digit soon: anchoring the hint on one lets the regex engine skip
# prose at full speed. It stays linear on long runs of hex digits: the possessive run cannot
# backtrack, and a run of 16 or more matches the second branch and is consumed whole.
_HEX_HINT = re.compile(r"[0-9](?:[0-9A-Fa-f]*+[ \t,:]+(?:0[xX])?[0-9A-Fa-f]{2}|[0-9A-Fa-f]{15,})")
# An offset column: 6-8 hex digits (hexdump, od), or any 4-8 with a colon (xxd).
_HEX_OFFSET = re.compile(r"\s*(?:0x)?(?:[0-9A-Fa-f]{6,8}(?::\s*|\s{1,3})|[0-9A-Fa-f]{4,5}:\s*)")
_HEX_PIPES = re.compile(r"\|.*\|\s*$")
_SPACES = re.compile(r"[ \t]{2,}")
_HEX_ITEM = re.compile(r"0[xX]([0-9A-Fa-f]{1,2})|([0-9A-Fa-f]{2,8})|([,;{}\[\]\s]+)")
_CUT_MARK = re.compile(
    r"\s*(?:(?:\.{3,}|\u2026)\s*(?:[(\[](?:truncated|cut off|cut)[)\]])?"
    r"|[(\[](?:truncated|cut off|cut|\.{3}|\u2026)[)\]])\s*$",
    re.IGNORECASE,
)


def _hex_line_bytes(line: str, continuing: bool = False) -> tuple[str, bool] | None:
    """Hex digits of one dump line (offset, comments, ASCII column removed) and whether the
    line ends with a cut mark (``...``, ``(truncated)``), or None when it is no dump line.
    A line that continues a dump may hold a single byte (the last line of ``xxd``)."""
    for mark in ("//", "#", ";", "--"):
        k = line.find(mark)
        if k != -1 and (mark != "--" or not _HEX_OFFSET.match(line)):
            line = line[:k]
    digits = _dump_line(line)
    cut = None
    if digits is None:
        cut = _CUT_MARK.search(line)  # only when the line does not read as it is: an ASCII
        if cut:  # column of xxd often ends in dots
            digits = _dump_line(line[: cut.start()])
    if digits is None or len(digits) < (2 if continuing else 4):
        return None
    return digits, cut is not None


def _dump_line(line: str) -> str | None:
    m = _HEX_OFFSET.match(line)
    body = line[m.end() :] if m else line
    digits = _scan_hex_items(body)
    if digits is None and m:
        # an ASCII column: between pipes (hexdump -C), or after two spaces (xxd); it may hold
        # spaces itself, so try the cuts from the last to the first
        body = _HEX_PIPES.sub("", body)
        digits = _scan_hex_items(body)
        if digits is None:
            for gap in reversed(list(_SPACES.finditer(body))):
                digits = _scan_hex_items(body[: gap.start()])
                if digits is not None:
                    break
    return digits


def _scan_hex_items(body: str) -> str | None:
    out: list[str] = []
    pos = 0
    for m in _HEX_ITEM.finditer(body):
        if m.start() != pos:
            return None
        pos = m.end()
        if m.group(1) is not None:
            out.append(m.group(1).rjust(2, "0"))
        elif m.group(2) is not None:
            g = m.group(2)
            if len(g) % 2:
                return None
            out.append(g)
    if pos != len(body.rstrip()) and body[pos:].strip():
        return None
    return "".join(out) if out else None


_COMPACT = re.compile(r"[0-9A-Fa-f]{16,}")


# What a payload in hex begins with: then even a short unbroken run is taken.
_MAGIC = (b"MThd", b"MTrk", b"RIFF", b"PK\x03\x04", b"\x1f\x8b", b"\x89PNG", b"<?xml", b"<score")
MAX_DIGEST = 128  # hex digits of a SHA-512, the longest digest in common use
_DIGEST_SIZES = frozenset((32, 40, 56, 64, 96, 128))  # MD5, SHA-1, SHA-224/256/384/512
_HEX_WORD = re.compile(r"[0-9A-Fa-f]+")


def _is_digest(text: str, start: int, end: int, hexstr: str) -> bool:
    """Hex that is a digest, not a payload: one unbroken run no longer than a SHA-512 (a hash,
    a commit id, a key), or digests side by side or one a line, beginning with no known
    signature."""
    if bytes.fromhex(hexstr[:16]).startswith(_MAGIC):
        return False
    words = text[start:end].split()
    if len(words) == 1:
        return len(hexstr) <= MAX_DIGEST and len(words[0]) == len(hexstr)
    return all(len(w) in _DIGEST_SIZES and _HEX_WORD.fullmatch(w) for w in words)


def _compact_hex(text: str, pos: int) -> Run | None:
    """A long even run of hex digits inside other text (``bytes.fromhex("4d54...")``, a quoted
    ``.hex()`` result), standing alone between non-word characters."""
    m = _COMPACT.match(text, pos)
    if m is None or len(m.group()) % 2:
        return None
    s, e = m.span()
    if (s and (text[s - 1].isalnum() or text[s - 1] == "_")) or (
        e < len(text) and (text[e].isalnum() or text[e] == "_")
    ):
        return None
    if _is_digest(text, s, e, m.group()):
        return None
    return Run(start=s, end=e, encoding="hex", payload=m.group(), data=bytes.fromhex(m.group()))


def _line_at(text: str, pos: int) -> tuple[int, int]:
    end = text.find("\n", pos)
    return pos, len(text) if end == -1 else end


# A short offset column with no colon (``0010 4D54 6864``) reads like data: it is told apart by
# counting, when the first group of every line is the number of bytes before that line.
_LEAD = re.compile(r"[ \t]*([0-9A-Fa-f]{4,8})[ \t]")


def _drop_offsets(digits: list[str], leads: list[str]) -> list[str]:
    """The lines' digits without an offset column that was read as data."""
    if not all(leads) or any(
        not d.lower().startswith(g.lower()) for d, g in zip(digits, leads, strict=True)
    ):
        return digits
    at = int(leads[0], 16)
    if len(digits) == 1:
        body = digits[0][len(leads[0]) :]
        counts = at == 0 and len(body) >= 8 and bytes.fromhex(body[:8]).startswith(_MAGIC)
    else:
        counts = True
        for d, g in zip(digits, leads, strict=True):
            counts = counts and int(g, 16) == at
            at += (len(d) - len(g)) // 2
    return [d[len(g) :] for d, g in zip(digits, leads, strict=True)] if counts else digits


def find_hex(text: str) -> list[Run]:
    """Hex dumps: ``4D 54 68 64``, ``0x4D, 0x54``, ``xxd`` and ``hexdump -C`` lines, with comments."""
    runs: list[Run] = []
    done = 0
    for m in _HEX_HINT.finditer(text):
        if m.start() < done:
            continue
        ls = text.rfind("\n", 0, m.start()) + 1
        if _hex_line_bytes(text[slice(*_line_at(text, ls))]) is None:
            compact = _compact_hex(text, m.start())
            if compact is not None:
                runs.append(compact)
                done = compact.end
            else:
                done = _line_at(text, ls)[1] + 1
            continue
        # walk back over dump lines above that hold no digit (``ff fe fa ...``)
        while ls > done and ls > 0:
            prev = text.rfind("\n", 0, ls - 1) + 1
            if _hex_line_bytes(text[prev : ls - 1]) is None:
                break
            ls = prev
        digits: list[str] = []
        leads: list[str] = []
        pos, first, last_end, cut = ls, -1, ls, False
        while pos < len(text) and not cut:
            _, le = _line_at(text, pos)
            line = text[pos:le]
            got = _hex_line_bytes(line, first != -1) if line.strip() else None
            if got is None:
                break
            if first == -1:
                first = pos
            digits.append(got[0])
            lead = _LEAD.match(line)
            leads.append(lead.group(1) if lead else "")
            cut = got[1]
            last_end = le
            pos = le + 1
        done = max(pos, ls + 1)
        hexstr = "".join(_drop_offsets(digits, leads))
        if first == -1 or len(hexstr) < 16 or _is_digest(text, first, last_end, hexstr):
            continue
        truncated = cut or text[last_end : last_end + 8].lstrip().startswith(_ELLIPSIS)
        runs.append(
            Run(
                start=first,
                end=last_end,
                encoding="hex",
                payload=hexstr,
                data=bytes.fromhex(hexstr),
                truncated=truncated,
            )
        )
    return runs
