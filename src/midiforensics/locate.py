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
# What may stand between two lines of one wrapped blob: spaces, one line break (real or a
# JSON/Python escape), indentation, a blockquote marker.
_WRAP_GAP = re.compile(r"[ \t]*(?:\r?\n|\\r\\n|\\n|\\r)[ \t>]*")
_SPACE_GAP = re.compile(r"[ \t]{1,2}")
# What may follow the last line of a wrapped blob.
_RUN_END = set(" \t\r\n\"'`,;)]}<|")
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


def _tokens(text: str) -> list[Token]:
    """Alphabet runs, with JSON's escaped slash (``\\/``) joined into the run it splits."""
    out: list[Token] = []
    for m in _B64_TOKEN.finditer(text):
        s, e = m.span()
        if s and text[s - 1] == "\\":
            if text[s] == "/" and out and out[-1][1] == s - 1:
                ps, _pe, pieces = out[-1]
                out[-1] = (ps, e, (*pieces, (s, e)))
                continue
            if text[s] in "nrt":
                s += 1  # the letter of a literal escape (JSON, Python) is not data
                if s == e:
                    continue
        out.append((s, e, ((s, e),)))
    return out


def _narrow_wrap(text: str, tokens: list[Token], i: int) -> bool:
    """A short first token still starts a run when it ends a line of a block wrapped narrowly:
    a multiple of 4 long, and the next line is a token of the same length."""
    s, e, _ = tokens[i]
    if (e - s) % 4 or e - s < 4 or i + 1 >= len(tokens):
        return False
    ns, ne, _ = tokens[i + 1]
    return ne - ns == e - s and _WRAP_GAP.fullmatch(text[e:ns]) is not None


def find_base64(text: str) -> list[Run]:
    """Every base64-looking run in ``text``, with wrapped lines joined."""
    runs: list[Run] = []
    tokens = _tokens(text)
    i, n = 0, len(tokens)
    while i < n:
        s, e, _ = tokens[i]
        if not _starts_clean(text, s) or (
            e - s < MIN_FIRST_TOKEN and not _narrow_wrap(text, tokens, i)
        ):
            i += 1
            continue
        parts = [tokens[i]]
        j = i + 1
        while j < n and text[parts[-1][1] - 1] != "=":
            ps, pe, _ = parts[-1]
            ns, ne, _ = tokens[j]
            gap = text[pe:ns]
            if _WRAP_GAP.fullmatch(gap):
                if not _ends_run(text, ne) and text[ne - 1] != "=":
                    break  # the next line is prose that starts with a word
            elif _SPACE_GAP.fullmatch(gap):
                # a blob broken by spaces on one line: wrapped at a multiple of 4
                if (pe - ps) % 4 or pe - ps < 32:
                    break
                if ne - ns < 12 and (
                    (ne - ns) % 4 and text[ne - 1] != "=" or not _ends_run(text, ne)
                ):
                    break  # a short word after the blob, not its last piece
            else:
                break
            parts.append(tokens[j])
            j += 1
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
        i = j
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

_HEX_HINT = re.compile(
    r"(?:0[xX][0-9A-Fa-f]{1,2}[\s,]+){3}|(?:\b[0-9A-Fa-f]{2}[ \t]+){5}|(?:\b[0-9A-Fa-f]{4}[ \t]){4}"
    r"|\b(?:[0-9A-Fa-f]{2}){8,}+\b"
)
_HEX_OFFSET = re.compile(r"\s*(?:0x)?[0-9A-Fa-f]{4,8}(?::\s*|\s{1,3}(?=[0-9A-Fa-f]{2}))")
_HEX_ASCII = re.compile(r"(?:\|.*\|\s*$)|(?:\s{2,}\S{1,16}\s*$)")
_HEX_ITEM = re.compile(r"0[xX]([0-9A-Fa-f]{1,2})|([0-9A-Fa-f]{2,8})|([,;{}\[\]\s]+)")


def _hex_line_bytes(line: str) -> str | None:
    """Hex digits of one dump line (offset, comments, ASCII column removed), or None."""
    for mark in ("//", "#", ";", "--"):
        k = line.find(mark)
        if k != -1:
            line = line[:k]
    m = _HEX_OFFSET.match(line)
    body = line[m.end() :] if m else line
    digits = _scan_hex_items(body)
    if digits is None:
        stripped = _HEX_ASCII.sub("", body)
        digits = _scan_hex_items(stripped)
    if digits is None or len(digits) < 4:
        return None
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


def find_hex(text: str) -> list[Run]:
    """Hex dumps: ``4D 54 68 64``, ``0x4D, 0x54``, ``xxd`` and ``hexdump -C`` lines, with comments."""
    lines_seen: set[int] = set()
    starts: list[int] = []
    for m in _HEX_HINT.finditer(text):
        ls = text.rfind("\n", 0, m.start()) + 1
        if ls not in lines_seen:
            lines_seen.add(ls)
            starts.append(ls)
    runs: list[Run] = []
    done_until = -1
    for ls in starts:
        if ls < done_until:
            continue
        # extend backwards? the hint matches the first hex line too, so start here
        pos = ls
        digits: list[str] = []
        first = -1
        last_end = ls
        while pos < len(text):
            le = text.find("\n", pos)
            le = len(text) if le == -1 else le
            line = text[pos:le]
            got = _hex_line_bytes(line) if line.strip() else None
            if got is None:
                if not line.strip() and first == -1:
                    pos = le + 1
                    continue
                break
            if first == -1:
                first = pos
            digits.append(got)
            last_end = le
            pos = le + 1
        done_until = max(pos, ls + 1)
        hexstr = "".join(digits)
        if first == -1 or len(hexstr) < 16:
            continue
        truncated = text[last_end : last_end + 8].lstrip().startswith(_ELLIPSIS)
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
_LIT_GAP = re.compile(r"\s*(?:\+\s*)?(?:\\\n\s*)?")


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

    for m in _BYTES_LIT.finditer(text):
        lit = m.group(0)
        if "\\x" not in lit:
            continue
        try:
            value = ast.literal_eval(lit)
        except (ValueError, SyntaxError):
            continue
        if not isinstance(value, bytes):
            continue
        if cur and _LIT_GAP.fullmatch(text[cur[-1][1] : m.start()]):
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
