"""Find encoded runs in text: base64 (wrapped, indented, fenced, quoted, JSON-escaped, glued to
the words around it), hex dumps and Python bytes literals.

Everything here is linear in the input: the regular expressions are single character classes
or alternations of disjoint first characters, so none of them backtracks on a long line. The
result of each finder is a list of :class:`Run`: the span in the text, the cleaned payload
characters, and for each payload character the text offset it came from (so that a repair
found in the payload can be pointed at in the input).
"""

from __future__ import annotations

import ast
import bisect
import re
from dataclasses import dataclass, field

# A base64 token: alphabet characters (standard and URL-safe), then optional padding. A single
# character class keeps the scan at hundreds of MB/s; escapes are dealt with between tokens.
_B64_TOKEN = re.compile(r"[A-Za-z0-9+/_-]+=*")
# What may follow the last line of a wrapped blob.
_RUN_END = set(" \t\r\n\"'`,;)]}<|\u00a0\u2028\u200b\u200c\u200d\u2060\ufeff")
_ELLIPSIS = ("...", "\u2026")

MIN_FIRST_TOKEN = 16  # a run starts with a token at least this long
MIN_RUN_CHARS = 16  # shorter runs are ordinary words, names or numbers


@dataclass(frozen=True)
class Run:
    """An encoded run found in a text."""

    start: int
    end: int
    encoding: str  # base64 | hex | bytes-literal
    payload: str = field(repr=False)  # base64: cleaned characters; hex: hex digits
    # (payload index, text offset) at the start of each unbroken piece of the payload
    pieces: tuple[tuple[int, int], ...] = field(repr=False, default=())
    truncated: bool = False
    data: bytes | None = field(repr=False, default=None)  # decoded here (hex, bytes literal)
    joins: tuple[int, ...] = ()  # text offsets where a continuation block was joined on

    def text_offset(self, index: int) -> int:
        """The text offset of payload character ``index`` (base64 runs)."""
        if not self.pieces:
            return self.start
        k = bisect.bisect_right(self.pieces, (index, 1 << 62)) - 1
        p_idx, t_off = self.pieces[max(k, 0)]
        return t_off + (index - p_idx)


class LineIndex:
    """Maps a character offset to 1-based line and column."""

    def __init__(self, text: str) -> None:
        starts = [0]
        pos = text.find("\n")
        while pos != -1:
            starts.append(pos + 1)
            pos = text.find("\n", pos + 1)
        self._starts = starts

    def linecol(self, offset: int) -> tuple[int, int]:
        i = bisect.bisect_right(self._starts, offset) - 1
        return i + 1, offset - self._starts[i] + 1

    def where(self, offset: int) -> str:
        line, col = self.linecol(offset)
        return f"L{line}:C{col}"


def _ends_run(text: str, end: int) -> bool:
    """True when a token ending at ``end`` ends its line (or its quoted string)."""
    if end >= len(text):
        return True
    ch = text[end]
    if ch in _RUN_END:
        return True
    return text.startswith(_ELLIPSIS, end) or text.startswith("\\n", end)


def _starts_clean(text: str, start: int) -> bool:
    """A run must not begin in the middle of a word glued to letters (``AAA==Edit`` is fine:
    the padding ends the first run and ``Edit`` starts a token of its own)."""
    if start == 0:
        return True
    prev = text[start - 1]
    return not prev.isalnum() or prev == "=" or text[start - 2 : start] in _ESCAPES


_ESCAPES = ("\\n", "\\r", "\\t")


Token = tuple[int, int, tuple[tuple[int, int], ...]]  # start, end, unbroken pieces

# Where a run may start: a long token, or a short one that ends a line of a narrowly wrapped
# block. Both are found by the regex engine, so prose words cost nothing in Python.
_LONG_TOKEN = re.compile(rf"[A-Za-z0-9+/_-]{{{MIN_FIRST_TOKEN},}}")
# the same, found after the character before it: the engine then tries a token only at word
# starts, not at every letter of every word (half again as fast on prose)
_LONG_AFTER = re.compile(rf"[^A-Za-z0-9+/_-][A-Za-z0-9+/_-]{{{MIN_FIRST_TOKEN},}}")
_NARROW_LINE = re.compile(r"^[ \t>]*(?:<[a-z]{1,8}>)?([A-Za-z0-9+/_-]{4,15})[ \t]*\r?\n", re.M)
# Invisible characters that chat UIs and editors leave inside text: zero-width space, joiners,
# a byte-order mark. Inside a run they are skipped like nothing at all.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
_GAP = re.compile(
    rf"[ \t\u00a0{_INVISIBLE}]*(?:\r?\n|\r|\u2028|\\r\\n|\\n|\\r)[ \t>\u00a0{_INVISIBLE}]*"
    rf"|[{_INVISIBLE}]+|[ \t\u00a0]{{1,2}}"
    # a string literal continued in code: "..." + "...", or Python's implicit "..." "..."
    r"""|(?P<q>["'])[ \t]*\+?[ \t]*(?:\r?\n[ \t]*)?\+?[ \t]*(?P=q)"""
)
_INDENT = re.compile(r"[ \t>]*")
_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-")


def _token_at(text: str, pos: int) -> Token | None:
    """The token starting at ``pos``, with JSON's escaped slashes (``\\/``) joined into it."""
    m = _B64_TOKEN.match(text, pos)
    if m is None:
        return None
    s, e = m.span()
    pieces = [(s, e)]
    while text.startswith("\\/", e) and text[e - 1] != "=":
        m = _B64_TOKEN.match(text, e + 1)
        if m is None:
            break
        pieces.append(m.span())
        e = m.end()
    return s, e, tuple(pieces)


def _run_start(text: str, s: int) -> int:
    """Move a candidate start off an escape letter, and back over JSON-escaped slashes."""
    if s and text[s - 1] == "\\" and text[s] in "nrt":
        return s + 1
    while s >= 2 and text[s - 1] == "\\" and text[s] == "/" and text[s - 2] in _ALPHABET:
        k = s - 2
        floor = max(0, s - 256)
        while k > floor and text[k - 1] in _ALPHABET:
            k -= 1
        s = k
    return s


def _candidates(text: str) -> list[int]:
    starts = {m.start() + 1 for m in _LONG_AFTER.finditer(text)}
    if _LONG_TOKEN.match(text):
        starts.add(0)
    for m in _NARROW_LINE.finditer(text):
        s, e = m.span(1)
        if (e - s) % 4 == 0:
            indent = _INDENT.match(text, m.end())
            nxt = _B64_TOKEN.match(text, indent.end() if indent else m.end())
            if nxt is not None and nxt.end() - nxt.start() == e - s:
                starts.add(s)
    return sorted(starts)


def find_base64(text: str) -> list[Run]:
    """Every base64-looking run in ``text``, with wrapped lines joined."""
    runs: list[Run] = []
    done = 0
    for cand in _candidates(text):
        if cand < done:
            continue
        s = _run_start(text, cand)
        first = _token_at(text, s)
        if first is None or not _starts_clean(text, s):
            done = cand + 1
            continue
        parts = [first]
        while text[parts[-1][1] - 1] != "=":
            ps, pe, _ = parts[-1]
            g = _GAP.match(text, pe)
            nxt = _token_at(text, g.end()) if g else None
            if g is None or nxt is None:
                break
            ns, ne, _ = nxt
            gap = g.group()
            if not gap.strip(_INVISIBLE):
                pass  # an invisible character inside the run
            elif g.group("q"):
                pass  # one string literal continued in the next: the same blob
            elif "\n" in gap or "\\" in gap or "\r" in gap or "\u2028" in gap:  # wrapped lines
                if not _ends_run(text, ne) and text[ne - 1] != "=":
                    break  # the next line is prose that starts with a word
            else:
                # a blob broken by spaces on one line: wrapped at a multiple of 4
                if (pe - ps) % 4 or pe - ps < 32:
                    break
                if ne - ns < 12 and (
                    (ne - ns) % 4 and text[ne - 1] != "=" or not _ends_run(text, ne)
                ):
                    break  # a short word after the blob, not its last piece
            parts.append(nxt)
        done = parts[-1][1]
        pieces: list[tuple[int, int]] = []  # (payload index, text offset) where each piece starts
        chunks: list[str] = []
        n_chars = 0
        for _s, _e, sub in parts:
            for ps, pe in sub:
                pieces.append((n_chars, ps))
                chunks.append(text[ps:pe])
                n_chars += pe - ps
        payload = "".join(chunks)
        end = parts[-1][1]
        if len(payload) >= MIN_RUN_CHARS and _looks_base64(payload):
            runs.append(
                Run(
                    start=s,
                    end=end,
                    encoding="base64",
                    payload=payload,
                    pieces=tuple(pieces),
                    truncated=text.startswith(_ELLIPSIS, end),
                )
            )
    return runs


_UPPER = re.compile(r"[A-Z]")
_LOWER = re.compile(r"[a-z]")
_DIGIT = re.compile(r"[0-9]")
_NOT_HEX = re.compile(r"[^0-9A-Fa-f]")


def _looks_base64(payload: str) -> bool:
    """Cheap filter against long identifiers, paths and words: base64 mixes cases and digits."""
    body = payload.rstrip("=")
    if not body:
        return False
    if len(body) % 2 == 0 and not _NOT_HEX.search(body):
        return False  # compact hex: find_hex takes it
    upper = _UPPER.search(body) is not None
    lower = _LOWER.search(body) is not None
    digit = _DIGIT.search(body) is not None
    if len(body) >= 64:
        return upper and (lower or digit)
    if body.count("/") * 4 > len(body) or body.count("-") * 4 > len(body):
        return False  # a path or a kebab-case name
    return upper + lower + digit >= 2 and len(_UPPER.findall(body)) >= 2


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
    return Run(start=s, end=e, encoding="hex", payload=m.group(), data=bytes.fromhex(m.group()))


def _line_at(text: str, pos: int) -> tuple[int, int]:
    end = text.find("\n", pos)
    return pos, len(text) if end == -1 else end


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
            cut = got[1]
            last_end = le
            pos = le + 1
        done = max(pos, ls + 1)
        hexstr = "".join(digits)
        if first == -1 or len(hexstr) < 16:
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


def join_runs(a: Run, b: Run) -> Run:
    """``b`` appended to ``a`` as one run (a blob split over two blocks)."""
    shift = len(a.payload)
    return Run(
        start=a.start,
        end=b.end,
        encoding=a.encoding,
        payload=a.payload + b.payload,
        pieces=a.pieces + tuple((i + shift, off) for i, off in b.pieces),
        truncated=b.truncated,
        joins=(*a.joins, b.start),
    )


# How known payloads begin in base64: MThd, MTrk, zip, gzip, <?xml, RIFF, PNG, <score-
_B64_MAGIC = ("TVRoZA", "TVRyaw", "UEsDB", "H4sI", "PD94bW", "UklGR", "iVBOR", "PHNjb3Jl")
_GLUE_MAX = 24


def glued_prefix(run: Run) -> int:
    """Length of a word glued before a payload's known beginning (``RetryTVRoZA...``): the
    letters before a base64 signature that does not start the run; 0 when there is none."""
    if run.encoding != "base64" or run.payload.startswith(_B64_MAGIC):
        return 0
    head = run.payload[: _GLUE_MAX + 8]
    best = 0
    for magic in _B64_MAGIC:
        k = head.find(magic)
        if 0 < k <= _GLUE_MAX and head[:k].isalpha() and (best == 0 or k < best):
            best = k
    return best


def drop_prefix(run: Run, k: int) -> Run:
    """``run`` without its first ``k`` payload characters."""
    pieces = []
    for idx, off in run.pieces:
        if idx >= k:
            pieces.append((idx - k, off))
    first_off = run.text_offset(k)
    if not pieces or pieces[0][0] != 0:
        pieces.insert(0, (0, first_off))
    return Run(
        start=first_off,
        end=run.end,
        encoding=run.encoding,
        payload=run.payload[k:],
        pieces=tuple(pieces),
        truncated=run.truncated,
        joins=run.joins,
    )


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
