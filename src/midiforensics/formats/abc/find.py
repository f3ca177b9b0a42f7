"""Finding ABC tunes in text: prose, markdown fences, JSON strings, scattered JSON keys."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..base import Extent
from .tokens import _FIELD_RE, _STRONG, _WEAK, _tokenize, flattened

_MAX_LINE = 4000  # a longer line is not ABC (keeps hostile input cheap)
_MIN_NOTES = 3  # fewer notes than this is not a tune

_FENCE_RE = re.compile(r"^\s*(?:```|~~~)\s*([\w+-]*)")
_JSON_STR = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_JSON_BEFORE = set("{[,:=(+")
_JSON_AFTER = set(":,}])+;")
_ESCAPES = {"n": "\n", "t": "\t", "r": "", '"': '"', "'": "'", "\\": "\\", "/": "/"}
_ESC_RE = re.compile(r"\\(.)")
_OPEN_CHORD = re.compile(r'"[A-G][#b]?[a-z0-9#+()]*(?:/[A-G][#b]?)?(?=\s|$)')


# ---------------------------------------------------------------------------------- finding


def _classify(line: str) -> tuple[str, int, int]:
    """(kind, notes, bar lines): kind is X | strong | title | weak | body | comment | blank | other."""
    s = line.strip()
    if not s:
        return "blank", 0, 0
    if len(s) > _MAX_LINE:
        return "other", 0, 0
    if s.startswith("%"):
        return "comment", 0, 0
    m = _FIELD_RE.match(s)
    if m:
        letter, value = m.group(1), m.group(2)
        if letter in _STRONG and _STRONG[letter].match(value):
            return ("X" if letter == "X" else "strong"), 0, 0
        if letter in _WEAK and len(value) < 200:
            return ("title" if letter == "T" else "weak"), 0, 0
        return "other", 0, 0
    if s.count('"') % 2:  # a chord symbol cut off at the end of the line
        s = s[: s.rfind('"')]
    notes = bad = bars = 0
    for t in _tokenize(s):
        if t.kind in ("note", "lettacc"):
            notes += 1
        elif t.kind == "bar":
            bars += 1
        elif t.kind == "bad":
            bad += len(t.text)
    nonspace = len(s) - s.count(" ") - s.count("\t")
    if notes and bad * 10 <= nonspace:
        return "body", notes, bars
    return "other", 0, 0


def _unescape(s: str) -> str:
    return _ESC_RE.sub(lambda m: _ESCAPES.get(m.group(1), m.group(1)), s)


def _decode_literal(lit: str) -> str:
    try:
        out = json.loads(lit)
    except ValueError:
        out = _unescape(lit[1:-1])
    if not isinstance(out, str):
        return ""
    for _ in range(2):  # double escaping: "X:1\\nT:..." inside a JSON string
        if "\n" in out or "\\n" not in out or out.lstrip()[:1] in ("{", "["):
            break
        out = _unescape(out)
    return out


def _neighbour(text: str, pos: int, step: int) -> str:
    """The nearest non-space character from pos in direction step ('' at either end)."""
    for _ in range(64):
        if pos < 0 or pos >= len(text):
            return ""
        if not text[pos].isspace():
            return text[pos]
        pos += step
    return "?"


def _json_literals(text: str) -> list[tuple[int, int, str]]:
    """String literals that stand where JSON (or code) puts strings, decoded."""
    out = []
    for m in _JSON_STR.finditer(text):
        before = _neighbour(text, m.start() - 1, -1)
        after = _neighbour(text, m.end(), 1)
        if (before == "" or before in _JSON_BEFORE) and (after == "" or after in _JSON_AFTER):
            out.append((m.start(), m.end(), _decode_literal(m.group())))
    return out


@dataclass
class _Unit:
    start: int
    end: int
    line: str
    abc_fence: bool = False
    fence: bool = False


def _split_lines(s: str) -> list[str]:
    parts = s.split("\n")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()
    return parts


def _units(text: str, within: Extent | None = None, depth: int = 0) -> Iterator[_Unit]:
    """Logical lines in document order, each with the extent of text it came from.

    ``within`` is the extent in the outer text when ``text`` is the content of a JSON string
    that itself holds JSON (a document serialised into a string).
    """
    if within is not None:
        for u in _units(text, None, depth):
            yield _Unit(within[0], within[1], u.line, u.abc_fence, u.fence)
        return
    lits = _json_literals(text)
    li = 0
    in_fence = abc_fence = False
    pos = 0
    n = len(text)
    while pos <= n:
        nl = text.find("\n", pos)
        end = n if nl < 0 else nl
        here = []
        while li < len(lits) and lits[li][0] < end:
            if lits[li][0] >= pos:
                here.append(lits[li])
            li += 1
        if here:
            for s, e, content in here:
                if depth < 3 and content.lstrip()[:1] in ("{", "["):
                    yield from _units(content, (s, e), depth + 1)
                    continue
                for sub in _split_lines(content):
                    yield _Unit(s, e, sub.rstrip("\r"), abc_fence)
        else:
            line = text[pos:end].rstrip("\r")
            fm = _FENCE_RE.match(line)
            if fm:
                if in_fence:
                    in_fence = abc_fence = False
                else:
                    in_fence, abc_fence = True, fm.group(1).lower() == "abc"
                yield _Unit(pos, end, line, fence=True)
            elif line.count("\\n") >= 2 and len(line) <= 20 * _MAX_LINE:
                for sub in _split_lines(_unescape(line)):
                    yield _Unit(pos, end, sub, abc_fence)
            else:
                yield _Unit(pos, end, line, abc_fence)
        if nl < 0:
            break
        pos = nl + 1


@dataclass
class _Group:
    units: list[_Unit] = field(default_factory=list)
    strong: bool = False
    title: bool = False
    header: bool = False
    bars: int = 0
    body: bool = False
    notes: int = 0
    fenced: bool = False
    last_music: int = 0  # units[:last_music] is the tune without trailing blank lines

    def tune(self) -> tuple[Extent, str] | None:
        # outside an abc fence a tune needs bar lines: prose can be spelt with note letters
        known = self.fenced or self.bars >= 1 and (self.strong or self.title and self.bars >= 2)
        if not self.body or self.notes < _MIN_NOTES or not known:
            return None
        units = self.units[: self.last_music]
        return (units[0].start, units[-1].end), "\n".join(u.line for u in units) + "\n"


_HINT_FIELD = re.compile(r":(?<=[XMLKQT]:)")  # [XMLKQT]: searched from its colon: 10x faster
_HINT_FENCE = re.compile(r"```\s*(?i:abc)")


def find_abc(text: str) -> list[tuple[Extent, str]]:
    """Find ABC tunes in ``text``: ([start, end) in ``text``, the tune text, unescaped)."""
    if not isinstance(text, str) or not (_HINT_FIELD.search(text) or _HINT_FENCE.search(text)):
        return []  # a tune needs a header field or an abc fence: skip the line walk
    found: list[tuple[Extent, str]] = []
    cur: _Group | None = None
    gap = False  # a blank line after body lines: only more body lines continue the tune

    def close() -> None:
        nonlocal cur, gap
        if cur is not None:
            t = cur.tune()
            if t is not None:
                found.append(t)
        cur, gap = None, False

    for u in _units(text):
        if u.fence:
            items = [("other", 0, 0)]
        else:
            flat = flattened(u.line)
            if flat is not None:
                cut = flat[0]
                u = _Unit(
                    u.start + cut if u.end - u.start == len(u.line) else u.start,
                    u.end,
                    u.line[cut:],
                    u.abc_fence,
                )
                edges = [0, *(c - cut + 1 for c in flat[1]), len(u.line)]
                items = [_classify(u.line[a:b]) for a, b in zip(edges, edges[1:], strict=False)]
            else:
                items = [_classify(u.line)]
        for i, (kind, notes, bars) in enumerate(items):
            if kind == "other":
                close()
                break
            if kind == "blank":
                if cur is not None:
                    cur.units.append(u)
                    gap = gap or cur.body
                continue
            if kind == "comment":
                if cur is not None:
                    cur.units.append(u)
                continue
            header = kind != "body"
            if cur is not None and (
                gap and header or kind == "X" and cur.body or header and cur.body and not cur.header
            ):
                close()  # a header after body lines (or a blank line) starts the next tune
            if cur is None:
                cur = _Group(fenced=u.abc_fence)
            gap = False
            if i == 0:
                cur.units.append(u)
            cur.last_music = len(cur.units)
            if kind == "body":
                cur.body = True
                cur.notes += notes
                cur.bars += bars
            else:
                cur.header = True
            if kind == "title":
                cur.title = True
            elif kind in ("strong", "X"):
                cur.strong = True
    close()
    return found
