"""Base64 runs: wrapped, indented, fenced, quoted, JSON-escaped, glued to the words around
them; a word glued before a known payload."""

from __future__ import annotations

import binascii
import operator
import re
from itertools import accumulate, islice

from ..report.models import Repair
from .run import Run
from .text import ELLIPSIS as _ELLIPSIS

# A base64 token: alphabet characters (standard and URL-safe), then optional padding. A single
# character class keeps the scan at hundreds of MB/s; escapes are dealt with between tokens.
_B64_TOKEN = re.compile(r"[A-Za-z0-9+/_-]+=*")
# What may follow the last line of a wrapped blob.
_RUN_END = set(" \t\r\n\"'`,;)]}<|\u00a0\u2028\u200b\u200c\u200d\u2060\ufeff")

MIN_FIRST_TOKEN = 16  # a run starts with a token at least this long
MIN_RUN_CHARS = 16  # shorter runs are ordinary words, names or numbers


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
    block = _one_block(text)
    if block is not None:
        return block
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
        # a digest, a UUID or a name is no line of a blob: a run ends before one, or at one
        alone = _not_payload(text[first[0] : first[1]])
        while not alone and text[parts[-1][1] - 1] != "=":
            ps, pe, _ = parts[-1]
            g = _GAP.match(text, pe)
            nxt = _token_at(text, g.end()) if g else None
            if g is None or nxt is None:
                break
            ns, ne, _ = nxt
            if _not_payload(text[ns:ne]):
                break
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
        run = _make_run(text, s, parts)
        if run is not None:
            runs.append(run)
    return runs


# A block wrapped cleanly: lines of the standard alphabet, the last one padded or not, and after
# it a blank line or a code fence.
_CLEAN_BLOCK = re.compile(r"(?:[A-Za-z0-9+/]+\n)*[A-Za-z0-9+/]+={0,2}(?=\n[\n`])")


def _one_block(text: str) -> list[Run] | None:
    """What :func:`find_base64` finds in ``text`` when all it could start a run at is one
    cleanly wrapped block (a pasted blob and the prose around it, the usual case): the lines
    are joined at once, as the token-by-token loop would join them (each line a whole token
    that ends its line, the gap a single line break, no line that is no payload, nothing to
    join after a blank line or a fence). None when the text holds anything else a run could
    start at, or the block is not so clean: the loop then decides."""
    first = _LONG_AFTER.search(text)
    if first is None or text[first.start()] != "\n" or _LONG_TOKEN.match(text):
        return None
    start = first.start() + 1
    block = _CLEAN_BLOCK.match(text, start)
    if block is None:
        return None
    end = block.end()
    if (
        _NARROW_LINE.search(text, 0, start)
        or _LONG_AFTER.search(text, end)
        or _NARROW_LINE.search(text, end + 1)
    ):
        return None  # another place a run could start at
    lines = block.group().split("\n")
    for line in lines:
        # a line holding a '+' or a '/' is neither a digest nor a name: it is not asked
        if "+" not in line and "/" not in line and _not_payload(line):
            return None
    starts = list(accumulate((len(line) + 1 for line in lines[:-1]), initial=start))
    if len(lines) >= 3 and any(map(operator.eq, lines, islice(lines, 1, None))):
        # a line as the one before it: maybe pasted twice, which the token loop's run mends
        parts: list[Token] = [
            (at, at + len(line), ((at, at + len(line)),))
            for at, line in zip(starts, lines, strict=True)
        ]
        run = _make_run(text, start, parts, lines)
    else:  # each line one piece of the payload, none left out
        pieces = tuple(zip(accumulate(map(len, lines[:-1]), initial=0), starts, strict=True))
        run = _checked_run(text, start, end, "".join(lines), pieces, ())
    return [run] if run is not None else []


def _make_run(
    text: str, start: int, parts: list[Token], lines: list[str] | None = None
) -> Run | None:
    """The run made of ``parts`` (one token per line or piece), or None when it is no payload.
    ``lines``: the text of each part, when the caller has it already."""
    dropped: set[int] = set()
    repairs: list[Repair] = []
    if len(parts) >= 3:
        if lines is None:
            lines = ["".join(text[ps:pe] for ps, pe in sub) for _s, _e, sub in parts]
        dropped, repairs = _repeated_lines(parts, lines)
    pieces: list[tuple[int, int]] = []  # (payload index, text offset) where each piece starts
    chunks: list[str] = []
    n_chars = 0
    for k, (_s, _e, sub) in enumerate(parts):
        if k in dropped:
            continue
        for ps, pe in sub:
            pieces.append((n_chars, ps))
            chunks.append(text[ps:pe])
            n_chars += pe - ps
    return _checked_run(text, start, parts[-1][1], "".join(chunks), tuple(pieces), tuple(repairs))


def _checked_run(
    text: str,
    start: int,
    end: int,
    payload: str,
    pieces: tuple[tuple[int, int], ...],
    repairs: tuple[Repair, ...],
) -> Run | None:
    """The run of ``payload`` found at ``[start, end)``, or None when it is no payload (too
    short, in a URL or a web token, or no base64 by the look of it)."""
    if len(payload) < MIN_RUN_CHARS:
        return None
    if not payload.startswith(_B64_MAGIC) and (_in_url(text, start) or _in_jwt(text, start, end)):
        return None
    if not _looks_base64(payload):
        return None
    return Run(
        start=start,
        end=end,
        encoding="base64",
        payload=payload,
        pieces=pieces,
        truncated=text.startswith(_ELLIPSIS, end),
        repairs=repairs,
    )


# --- a line pasted twice ------------------------------------------------------------------


def _repeated_lines(parts: list[Token], lines: list[str]) -> tuple[set[int], list[Repair]]:
    """Full-width lines that repeat the line before them verbatim: a line pasted twice. Data
    can repeat too (a run of zero bytes), so a line that is periodic in itself is kept, and so
    is a copy without which a MIDI file's chunk lengths no longer add up."""
    if len(lines[1]) < MIN_FIRST_TOKEN:
        return set(), []
    width = len(lines[1])  # the first line may hold a word glued before the blob
    dropped = {
        k
        for k in range(1, len(lines))
        if len(lines[k]) == width and lines[k] == lines[k - 1] and not _periodic(lines[k])
    }
    if not dropped or _chunks_fit(lines, set()):
        return set(), []
    repairs = [
        Repair(
            stage="locate",
            kind="duplicate-line",
            reason="a full line of the run repeats the line before it verbatim (pasted twice): "
            "the copy was left out",
            offset=parts[k][0],
            before=lines[k],
            confidence=0.9,
        )
        for k in sorted(dropped)
    ]
    return dropped, repairs


def _periodic(line: str) -> bool:
    """True when ``line`` repeats a short pattern (``AAAA...``, ``gICAgICA...``)."""
    return any(line.startswith(line[p:]) for p in range(1, 9))


def _chunks_fit(lines: list[str], dropped: set[int]) -> bool:
    """True when the lines (without ``dropped``) decode to a MIDI file whose chunks fill it
    exactly."""
    payload = "".join(line for k, line in enumerate(lines) if k not in dropped)
    try:
        data = binascii.a2b_base64(payload[: len(payload) // 4 * 4])
    except binascii.Error:
        return False
    if not data.startswith(b"MThd"):
        return False
    pos = 0
    while pos + 8 <= len(data):
        if not data[pos : pos + 4].isalpha():
            return False
        pos += 8 + int.from_bytes(data[pos + 4 : pos + 8], "big")
    return pos == len(data)


# --- false finds --------------------------------------------------------------------------

_URL_BREAK = re.compile(r"[\s\"'`<>()\[\]{}|]")  # what ends a URL in text
_URL_LOOKBACK = 2048


def _in_url(text: str, start: int) -> bool:
    """True when the run sits in a URL (``https://host/path/LongToken``, ``www.host/Token``):
    the nearest ``://`` or ``www.`` before it is joined to it with no break between."""
    lo = max(0, start - _URL_LOOKBACK)
    k = max(text.rfind("://", lo, start), text.rfind("www.", lo, start))
    return k != -1 and _URL_BREAK.search(text, k, start) is None


_JWT_HEAD = "eyJ"  # base64url of '{"': each of a JWT's first two parts is a JSON object
_JWT_CHAIN = re.compile(r"[A-Za-z0-9_.-]*")


def _in_jwt(text: str, start: int, end: int) -> bool:
    """True when the run is a part of a JSON Web Token (``eyJ...``.``eyJ...``.``sig``): it
    touches a dot, and a chain of tokens and dots leads to it from an ``eyJ``."""
    if text[end : end + 1] != "." and text[start - 1 : start] != ".":
        return False
    k = text.rfind(_JWT_HEAD, max(0, start - _URL_LOOKBACK), start + len(_JWT_HEAD))
    return k != -1 and _JWT_CHAIN.fullmatch(text, k, start) is not None


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
    if body.startswith(("-//", "+//")):
        return False  # an SGML public id: <!DOCTYPE score-partwise PUBLIC "-//Recordare//DTD ...
    if not _NOT_HEX.search(body.replace("-", "")):
        return False  # a UUID, a digest written in groups
    if _is_identifier(body):
        return False
    upper = _UPPER.search(body) is not None
    lower = _LOWER.search(body) is not None
    digit = _DIGIT.search(body) is not None
    if len(body) >= 64:
        return upper and (lower or digit)
    if body.count("/") * 4 > len(body) or body.count("-") * 4 > len(body):
        return False  # a path or a kebab-case name
    return upper + lower + digit >= 2 and len(_UPPER.findall(body)) >= 2


_LOWERCASE = bytes(range(ord("a"), ord("z") + 1))
_UPPERCASE = bytes(range(ord("A"), ord("Z") + 1))
_WORD = re.compile(r"[A-Z]?[a-z]{2,}|[A-Z][a-z]")  # two letters at least
_VOWEL = re.compile(r"[aeiouyAEIOUY]")


_DIGEST = re.compile(r"(?=[^0-9]*[0-9])[0-9A-Fa-f-]{32,}")  # a digest, a UUID


def _not_payload(token: str) -> bool:
    """A token that is no line of a blob: a digest or a UUID (hex digits, some of them
    decimal, dashes), or a name."""
    if len(token) < MIN_FIRST_TOKEN:
        return False  # the short last line of a blob
    return _DIGEST.fullmatch(token) is not None or _is_identifier(token)


def _is_identifier(body: str) -> bool:
    """A name in camelCase or PascalCase (``someVeryLongCamelCaseIdentifierName``): letters and
    digits only, four fifths of it in words (a capital or none, then lower-case letters, two
    letters at least, a vowel among them). Random base64 of 16 bytes reads so about once in
    1500 tries, of 24 bytes once in 50 000; a known payload never."""
    if not body.isascii():
        return False
    raw = body.encode("ascii")  # bytes: their isalnum and translate know ASCII only, and fast
    if not raw.isalnum():
        return False
    # A word holds at least as many small letters as capitals (one capital at most), so the
    # letters in words number at most the small letters plus as many capitals: when even that
    # is short of four fifths, the words need not be found. Twice the small letters bound it
    # too, and cost one count.
    lower = len(raw) - len(raw.translate(None, _LOWERCASE))
    if 10 * lower < 4 * len(raw) or body.startswith(_B64_MAGIC):
        return False
    upper = len(raw) - len(raw.translate(None, _UPPERCASE))
    if 5 * (lower + min(upper, lower)) < 4 * len(body):
        return False
    in_words = len("".join(filter(_VOWEL.search, _WORD.findall(body))))
    return 5 * in_words >= 4 * len(body)


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
        repairs=run.repairs,
    )
