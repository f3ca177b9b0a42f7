"""ABC notation: find tunes in text and make them playable.

``find_abc`` finds tunes in prose, markdown fences, JSON string values (``\\n`` escapes), and
tunes a model scattered over JSON keys and values, rejoined in document order. A tune needs
notes and either a recognisable header field (``X:``, ``M:``, ``L:``, ``K:``, ``Q:``) or an
``abc`` fence, so ordinary prose and code are not taken for music.

``repair_abc`` fixes what models get wrong (missing headers, letter-name accidentals such as
``Eb2`` and ``F#4``, bars that systematically overflow the meter, text cut off mid-token) and
renders the result with music21. Every change is a ``Repair`` whose offset is a character
index in the tune text given; valid ABC comes back unchanged with verdict ``intact``.
"""

from __future__ import annotations

import copy
import io
import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction

from ...report.models import Repair
from ..base import Extent, MusicResult

NAME = "abc"
STAGE = "abc"

_MAX_LINE = 4000  # a longer line is not ABC (keeps hostile input cheap)
_MAX_TUNE = 100_000  # characters of one tune that are read
_MAX_NOTES = 2000  # notes of one tune that are rendered (music21 is superlinear)
_MIN_NOTES = 3  # fewer notes than this is not a tune

_TOKEN_RE = re.compile(
    r"""
  (?P<field>\[[A-Za-z]:[^\]\n]{0,200}\])
| (?P<annot>"[^"\n]{0,200}")
| (?P<deco>![^!\n\s]{1,30}!|\+[^+\n\s]{1,30}\+)
| (?P<bar>:*\|[\]|:]*(?:\d+(?:[,-]\d+)*)?|:*\[\|[\]|:]*|::|\[\d+(?:[,-]\d+)*)
| (?P<lettacc>[A-Ga-g]\#{1,2}[,']*\d*/*\d*)
| (?P<note>(?:\^\^|\^|__|_|=)?[A-Ga-g][,']*\d*/*\d*)
| (?P<rest>[zx]\d*/*\d*|Z\d*)
| (?P<copen>\[)
| (?P<cclose>\]\d*/*\d*)
| (?P<tuplet>\(\d(?::\d*){0,2})
| (?P<broken>[<>]{1,3})
| (?P<gopen>\{/?)
| (?P<gclose>\})
| (?P<space>[ \t]+)
| (?P<misc>[-()~.`\\$*y]|[HLMOPSTuv](?=[\^_=A-Ga-g.~]))
| (?P<comment>%.*)
""",
    re.X,
)
_NOTE_PARTS = re.compile(r"(\^\^|\^|__|_|=)?([A-Ga-g])([,']*)(\d*)(/*)(\d*)")
_FIELD_RE = re.compile(r"^\s*([A-Za-z]):(.*)$")
_KEY_RE = re.compile(
    r"\s*(?:(?P<tonic>[A-G][#b]?)\s*(?P<mode>(?:m|min|minor|maj|major|ion|ionian|dor|dorian|"
    r"phr|phrygian|lyd|lydian|mix|mixolydian|aeo|aeolian|loc|locrian)?)"
    r"(?:\s+(?:[\^_=][A-Ga-g]|\w+=\S+))*|none|HP|Hp)\s*$",
    re.I,
)
_STRONG = {
    "X": re.compile(r"\s*\d+\s*$"),
    "M": re.compile(r"\s*(?:\d+(?:\+\d+)*/\d+|C\|?|none)\s*$"),
    "L": re.compile(r"\s*\d+/\d+\s*$"),
    "K": _KEY_RE,
    "Q": re.compile(r'\s*(?:"[^"]*"\s*)?(?:(?:\d+/\d+\s*)+=\s*\d+|\d+)\s*(?:"[^"]*")?\s*$'),
}
_WEAK = set("TCOARNZSPVWwIHBDFGmrsU")
_FENCE_RE = re.compile(r"^\s*(?:```|~~~)\s*([\w+-]*)")
_JSON_STR = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_JSON_BEFORE = set("{[,:=(+")
_JSON_AFTER = set(":,}])+;")
_ESCAPES = {"n": "\n", "t": "\t", "r": "", '"': '"', "'": "'", "\\": "\\", "/": "/"}
_ESC_RE = re.compile(r"\\(.)")
_OPEN_CHORD = re.compile(r'"[A-G][#b]?[a-z0-9#+()]*(?:/[A-G][#b]?)?(?=\s|$)')


@dataclass
class _Tok:
    kind: str
    start: int
    end: int
    text: str


def _tokenize(line: str) -> list[_Tok]:
    """Split one body line into tokens; characters that are not ABC become ``bad`` tokens."""
    toks: list[_Tok] = []
    i, n = 0, len(line)
    while i < n:
        m = _TOKEN_RE.match(line, i)
        if m and m.end() > i:
            kind = m.lastgroup or "misc"
            toks.append(_Tok(kind, i, m.end(), m.group()))
            i = m.end()
        elif toks and toks[-1].kind == "bad" and toks[-1].end == i:
            toks[-1].end += 1
            toks[-1].text += line[i]
            i += 1
        else:
            toks.append(_Tok("bad", i, i + 1, line[i]))
            i += 1
    return toks


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


_HINT_FIELD = re.compile(r"[XMLKQT]:")
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
        kind, notes, bars = ("other", 0, 0) if u.fence else _classify(u.line)
        if kind == "other":
            close()
            continue
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


# --------------------------------------------------------------------------------- repairing


@dataclass
class _Edit:
    start: int
    end: int
    text: str
    repair: Repair | None = None


def _apply(text: str, edits: list[_Edit]) -> tuple[str, Callable[[int], int]]:
    """Apply edits (an overlapping one is skipped); return the new text and new -> old offsets."""
    out: list[str] = []
    marks: list[tuple[int, int, int, int]] = []  # (new_start, new_end, old_start, old_end)
    pos = new_len = 0
    for e in sorted(edits, key=lambda e: (e.start, e.end)):
        if e.start < pos:
            continue
        out.append(text[pos : e.start])
        new_len += e.start - pos
        marks.append((new_len, new_len + len(e.text), e.start, e.end))
        out.append(e.text)
        new_len += len(e.text)
        pos = e.end
    out.append(text[pos:])

    def to_old(p: int) -> int:
        shift = 0
        for ns, ne, os_, oe in marks:
            if p < ns:
                break
            if p < ne:
                return os_
            shift = ne - oe
        return p - shift

    return "".join(out), to_old


def _lines(text: str) -> list[tuple[int, str]]:
    out = []
    pos = 0
    for raw in text.splitlines(keepends=True):
        out.append((pos, raw.rstrip("\r\n")))
        pos += len(raw)
    return out


def _split_tune(text: str) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """(header lines, body music lines): each (offset, line)."""
    header: list[tuple[int, str]] = []
    body: list[tuple[int, str]] = []
    in_header = True
    for off, line in _lines(text):
        s = line.strip()
        if not s or s.startswith("%"):
            continue
        is_field = bool(_FIELD_RE.match(line)) and (len(s) < 3 or s[1] == ":")
        if in_header and is_field:
            header.append((off, line))
            continue
        in_header = False
        if not is_field:
            body.append((off, line))
    return header, body


def _field(header: list[tuple[int, str]], letter: str) -> tuple[int, str, str] | None:
    for off, line in header:
        m = _FIELD_RE.match(line)
        if m and m.group(1) == letter:
            return off, line, m.group(2).strip()
    return None


def _fraction(value: str) -> Fraction | None:
    v = value.strip()
    if v == "C":
        return Fraction(1)
    if v == "C|":
        return Fraction(1)
    m = re.fullmatch(r"(\d+(?:\+\d+)*)/(\d+)", v)
    if not m or int(m.group(2)) == 0:
        return None
    return Fraction(sum(int(x) for x in m.group(1).split("+")), int(m.group(2)))


def _length(num: str, slashes: str, den: str) -> Fraction:
    n = int(num) if num else 1
    if not slashes:
        return Fraction(n)
    d = int(den) if den else 2 ** len(slashes)
    return Fraction(n, d or 1)


def _suffix_length(text: str) -> Fraction:
    m = re.search(r"(\d*)(/*)(\d*)$", text)
    return _length(m.group(1), m.group(2), m.group(3)) if m else Fraction(1)


def _pitch_key(letter: str, octave_marks: str) -> tuple[str, int]:
    octave = 5 if letter.islower() else 4
    octave += octave_marks.count("'") - octave_marks.count(",")
    return letter.upper(), octave


_SHARP_ORDER = "FCGDAEB"
_MAJOR_FIFTHS = {"C": 0, "G": 1, "D": 2, "A": 3, "E": 4, "B": 5, "F#": 6, "C#": 7, "F": -1}
_MAJOR_FIFTHS.update({"Bb": -2, "Eb": -3, "Ab": -4, "Db": -5, "Gb": -6, "Cb": -7})
_MODE_SHIFT = {"": 0, "maj": 0, "ion": 0, "dor": -2, "phr": -4, "lyd": 1, "mix": -1}
_MODE_SHIFT.update({"m": -3, "min": -3, "aeo": -3, "loc": -5})


def _key_accidentals(value: str) -> dict[str, str]:
    """Letter -> ABC accidental of the key signature (only letters the key alters)."""
    m = _KEY_RE.match(value)
    if not m or not m.group("tonic"):
        return {}
    tonic = m.group("tonic")[0].upper() + m.group("tonic")[1:]
    mode = m.group("mode").lower()[:3]
    mode = "m" if mode in ("m", "min") else mode
    fifths = _MAJOR_FIFTHS.get(tonic)
    if fifths is None:
        return {}
    fifths += _MODE_SHIFT.get(mode, 0)
    if fifths >= 0:
        return dict.fromkeys(_SHARP_ORDER[: min(fifths, 7)], "^")
    return dict.fromkeys(_SHARP_ORDER[::-1][: min(-fifths, 7)], "_")


class _Log:
    def __init__(self) -> None:
        self.edits: list[_Edit] = []

    def add(
        self,
        start: int,
        end: int,
        new: str,
        before: str,
        kind: str,
        reason: str,
        confidence: float = 1.0,
    ) -> None:
        rep = Repair(
            stage=STAGE,
            kind=kind,
            reason=reason,
            offset=start,
            before=before,
            after=new,
            confidence=confidence,
        )
        self.edits.append(_Edit(start, end, new, rep))


def _fix_headers(text: str, header: list[tuple[int, str]], body_start: int, log: _Log) -> None:
    if _field(header, "X") is None:
        log.add(0, 0, "X:1\n", "", "header", "no X: reference number; assumed X:1")
    k = _field(header, "K")
    where = k[0] if k is not None else body_start
    if _field(header, "L") is None:
        m = _field(header, "M")
        meter = _fraction(m[2]) if m is not None else None
        unit = "1/16" if meter is not None and meter < Fraction(3, 4) else "1/8"
        said = f"M:{m[2]}" if m is not None else "a tune without M:"
        log.add(
            where,
            where,
            f"L:{unit}\n",
            "",
            "header",
            f"no L: unit note length; assumed the ABC default for {said}, L:{unit}",
            0.9,
        )
    if k is None:
        log.add(
            body_start,
            body_start,
            "K:C\n",
            "",
            "header",
            "no K: key field; assumed K:C (notes play as written, no key signature)",
            0.7,
        )


def _is_note(t: _Tok) -> bool:
    return t.kind in ("note", "lettacc")


def _flat_candidate(toks: list[_Tok], i: int) -> bool:
    """Token i and i+1 read as a letter-name flat: a lone capital, then b, then no note."""
    t = toks[i]
    if not (t.kind == "note" and len(t.text) == 1 and t.text.isupper() and i + 1 < len(toks)):
        return False
    nxt = toks[i + 1]
    if nxt.kind != "note" or nxt.text[0] != "b":
        return False
    if i and _is_note(toks[i - 1]) and toks[i - 1].end == t.start:
        return False
    after = toks[i + 2] if i + 2 < len(toks) else None
    return (
        after is None
        or after.kind in ("bar", "cclose", "space", "comment")
        or after.text in (")", "-")
    )


def _fix_body(body: list[tuple[int, str]], key: dict[str, str], log: _Log) -> bool:
    """Letter-name accidentals and characters that are not ABC. True when text was cut off."""
    lines = [(off, line, _tokenize(line)) for off, line in body]
    # letter-name flats ("Eb2") are ambiguous with E followed by b: convert only in tunes that
    # write one note per token, and only a standalone token
    separated = adjacent = 0
    for _, _, toks in lines:
        for k, (a, b) in enumerate(zip(toks, toks[1:], strict=False)):
            if _flat_candidate(toks, k):
                separated += 1
            elif _is_note(a) and not (k and _flat_candidate(toks, k - 1)):
                if _is_note(b) and b.start == a.end:
                    adjacent += 1
                else:
                    separated += 1
    spaced = separated >= 3 * adjacent
    truncated = False
    last = len(lines) - 1
    for li, (off, line, toks) in enumerate(lines):
        changed: set[tuple[str, int]] = set()  # pitches given a letter-name accidental
        skip = set()
        in_chord = False
        dropped = 0  # the line up to here was removed as text
        for i, t in enumerate(toks):
            if i in skip or t.start < dropped:
                continue
            if t.kind == "bar":
                changed = set()
            elif t.kind == "copen":
                in_chord = True
            elif t.kind == "cclose":
                in_chord = False
            if t.kind == "lettacc":
                m = _NOTE_PARTS.match(t.text.replace("#", ""))
                assert m is not None
                acc = "^" * t.text.count("#")
                new = acc + t.text.replace("#", "")
                log.add(
                    off + t.start,
                    off + t.end,
                    new,
                    t.text,
                    "accidental",
                    f"letter-name sharp {t.text!r} is not ABC; written as {new!r}",
                    0.95,
                )
                changed.add(_pitch_key(m.group(2), m.group(3)))
                continue
            if spaced and _flat_candidate(toks, i):
                nxt = toks[i + 1]
                before = t.text + nxt.text
                new = "_" + t.text + nxt.text[1:]
                log.add(
                    off + t.start,
                    off + nxt.end,
                    new,
                    before,
                    "accidental",
                    f"letter-name flat {before!r} is not ABC (it reads as {t.text} "
                    f"then b); written as {new!r}",
                    0.8,
                )
                m = _NOTE_PARTS.match(new)
                assert m is not None
                changed.add(_pitch_key(m.group(2), m.group(3)))
                skip.add(i + 1)
                continue
            if t.kind == "note" and changed:
                m = _NOTE_PARTS.match(t.text)
                assert m is not None
                pk = _pitch_key(m.group(2), m.group(3))
                if not m.group(1) and pk in changed:
                    acc = key.get(pk[0], "=")
                    log.add(
                        off + t.start,
                        off + t.start,
                        acc,
                        "",
                        "accidental",
                        f"{t.text!r} follows a letter-name accidental in the same bar, where "
                        f"ABC would carry it; written {acc + t.text!r} to keep the key's pitch",
                        0.8,
                    )
            if t.kind == "bad":
                unclosed = t.text[0] in '"!'  # a chord symbol or decoration never closed
                if li == last and (
                    unclosed or in_chord or all(x.kind == "space" for x in toks[i + 1 :])
                ):
                    start = off + (_chord_start(toks, i) if in_chord and not unclosed else t.start)
                    log.add(
                        start,
                        off + len(line),
                        "",
                        line[start - off :],
                        "truncated",
                        "tune cut off in the middle of a token; incomplete end dropped",
                        0.9,
                    )
                    truncated = True
                    break
                end = t.end
                if unclosed:  # a chord name left open ("Dm7 G A) ends at the space
                    sym = _OPEN_CHORD.match(line, t.start)
                    end = sym.end() if sym else len(line)
                log.add(
                    off + t.start,
                    off + end,
                    "",
                    line[t.start : end],
                    "not-abc",
                    f"{line[t.start : end]!r} is not ABC notation"
                    + (" (never closed)" if unclosed else "")
                    + "; removed",
                    0.8,
                )
                if end == len(line):
                    break
                dropped = end
        else:
            if in_chord and li == last:
                start = off + _chord_start(toks, len(toks))
                log.add(
                    start,
                    off + len(line),
                    "",
                    line[start - off :],
                    "truncated",
                    "tune cut off inside a chord; incomplete chord dropped",
                    0.9,
                )
                truncated = True
    return truncated


def _chord_start(toks: list[_Tok], i: int) -> int:
    for j in range(i - 1, -1, -1):
        if toks[j].kind == "copen":
            return toks[j].start
    return toks[i].start if i < len(toks) else toks[-1].end


@dataclass
class _Bar:
    start: int  # offset of the first token
    dur: Fraction = Fraction(0)
    certain: bool = True
    splits: list[tuple[int, Fraction]] = field(default_factory=list)  # (offset after, time)
    notes: list[tuple[int, str, str, tuple[str, int]]] = field(default_factory=list)


def _bars(body: list[tuple[int, str]], compound: bool) -> list[_Bar]:
    """Bars of the body in order with their lengths in units of L."""
    bars: list[_Bar] = []
    cur = _Bar(0)
    in_chord = in_grace = False
    chord_len: Fraction | None = None
    tup_left = 0
    tup_factor = Fraction(1)
    broken_next: Fraction | None = None
    last_len = Fraction(0)

    def add(length: Fraction, end: int) -> None:
        nonlocal tup_left, broken_next, last_len
        if tup_left:
            length *= tup_factor
            tup_left -= 1
        if broken_next is not None:
            length *= broken_next
            broken_next = None
        cur.dur += length
        last_len = length
        cur.splits.append((end, cur.dur) if not tup_left else (end, Fraction(-1)))

    for off, line in body:
        for t in _tokenize(line):
            if cur.dur == 0 and not cur.splits:
                cur.start = off + t.start
            k = t.kind
            if k == "bar":
                bars.append(cur)
                cur = _Bar(off + t.end)
            elif k == "field" and t.text[1] in "MLV":
                cur.certain = False
            elif k == "gopen":
                in_grace = True
            elif k == "gclose":
                in_grace = False
            elif in_grace:
                continue
            elif k in ("note", "lettacc"):
                m = _NOTE_PARTS.match(t.text.replace("#", ""))
                assert m is not None
                cur.notes.append(
                    (
                        off + t.start,
                        m.group(1) or "",
                        m.group(0),
                        _pitch_key(m.group(2), m.group(3)),
                    )
                )
                ln = _length(m.group(4), m.group(5), m.group(6))
                if in_chord:
                    chord_len = ln if chord_len is None else chord_len
                else:
                    add(ln, off + t.end)
            elif k == "copen":
                in_chord, chord_len = True, None
            elif k == "cclose":
                in_chord = False
                add((chord_len or Fraction(1)) * _suffix_length(t.text[1:] or "1"), off + t.end)
            elif k == "rest":
                if t.text[0] == "Z":
                    cur.certain = False
                else:
                    add(_suffix_length(t.text[1:] or "1"), off + t.end)
            elif k == "tuplet":
                parts = t.text[1:].split(":")
                p = int(parts[0])
                q = int(parts[1]) if len(parts) > 1 and parts[1] else None
                r = int(parts[2]) if len(parts) > 2 and parts[2] else p
                if q is None:
                    q = {2: 3, 3: 2, 4: 3, 6: 2, 8: 3}.get(p, 3 if compound else 2)
                tup_left, tup_factor = r, Fraction(q, max(p, 1))
            elif k == "broken":
                f = Fraction(1, 2 ** len(t.text))
                a, b = (2 - f, f) if t.text[0] == ">" else (f, 2 - f)
                cur.dur += last_len * (a - 1)
                if cur.splits:
                    cur.splits.pop()
                broken_next = b
    bars.append(cur)
    return [b for b in bars if b.dur > 0 or not b.certain]


def _fix_bars(text: str, log: _Log) -> None:
    """Bars that overflow the meter: re-bar when each is whole bars, else fit the meter."""
    header, body = _split_tune(text)
    m, ln = _field(header, "M"), _field(header, "L")
    meter = _fraction(m[2]) if m is not None else None
    unit = _fraction(ln[2]) if ln is not None else None
    if m is None or meter is None or unit is None or meter <= 0 or unit <= 0:
        return
    if any(_FIELD_RE.match(line) for _, line in body):
        return
    if any(_FIELD_RE.match(x) and x.strip()[0] in "MLV" for _, x in _lines(text)[len(header) :]):
        return
    k = _field(header, "K")
    keysig = _key_accidentals(k[2]) if k is not None else {}
    compound = meter.numerator % 3 == 0 and meter.numerator > 3
    bars = _bars(body, compound)
    if not bars or not all(b.certain for b in bars):
        return
    full = meter / unit
    over = [b for b in bars if b.dur > full]
    if not over:
        return
    plans: list[tuple[_Bar, list[int]]] = []
    for b in over:
        mult = b.dur / full
        # whole bars run together; the last bar may also end in a part bar (cut-off tune)
        if mult.denominator != 1 and not (b is bars[-1] and len(over) > 1):
            plans = []
            break
        times = {t: pos for pos, t in b.splits}
        wanted = [full * j for j in range(1, math.ceil(mult))]
        cuts = [times[t] for t in wanted if t in times]
        if len(cuts) != len(wanted):
            plans = []
            break
        plans.append((b, cuts))
    if plans:
        for b, cuts in plans:
            for c in cuts:
                log.add(
                    c,
                    c,
                    " |",
                    "",
                    "rebar",
                    f"bar holds {_as_meter(b.dur * unit, m[2])} in M:{m[2]}; bar line added, every note kept",
                )
            _carry_across(b, cuts, keysig, log)
        return
    core = bars[1:-1] if len(bars) > 2 and bars[0].dur < full else bars[:-1]
    lengths = {b.dur for b in core}
    if len(core) >= 2 and len(lengths) == 1:
        total = next(iter(lengths)) * unit
        den = meter.denominator
        while (total * den).denominator != 1 and den < 64:
            den *= 2
        if (total * den).denominator == 1:
            new = f"M:{int(total * den)}/{den}"
            start = m[0] + m[1].index("M")
            log.add(
                start,
                m[0] + len(m[1]),
                new,
                m[1].strip(),
                "meter",
                f"every bar holds {_as_meter(total, m[2])}, not {m[2]}; meter set to fit the bars, "
                "notes kept",
                0.8,
            )


def _as_meter(length: Fraction, meter: str) -> str:
    """A length in whole notes, spelt like the meter text (8/4 rather than 2)."""
    m = re.search(r"/(\d+)", meter)
    den = max(int(m.group(1)) if m else 4, length.denominator)
    return f"{length * den}/{den}"


def _carry_across(bar: _Bar, cuts: list[int], keysig: dict[str, str], log: _Log) -> None:
    """After a new bar line, write out accidentals that the old bar carried."""
    carried: dict[tuple[str, int], str] = {}
    reset: dict[tuple[str, int], str] = {}
    cut_iter = iter(sorted(cuts))
    nxt = next(cut_iter, None)
    for pos, acc, text, pk in bar.notes:
        while nxt is not None and pos >= nxt:
            reset = {}
            nxt = next(cut_iter, None)
        if acc:
            carried[pk] = reset[pk] = acc
        elif pk in carried and pk not in reset and carried[pk] != keysig.get(pk[0], "="):
            log.add(
                pos,
                pos,
                carried[pk],
                "",
                "accidental",
                f"{text!r} took {carried[pk]!r} from earlier in its bar; written out now "
                "that a bar line stands between them",
            )
            reset[pk] = carried[pk]


def _explicit_accidentals(text: str) -> str:
    """Write every accidental that ABC carries through a bar on each note (music21 does not)."""
    header, body = _split_tune(text)
    edits: list[_Edit] = []
    carried: dict[tuple[str, int], str] = {}
    for off, line in body:
        for t in _tokenize(line):
            if t.kind == "bar":
                carried = {}
            elif t.kind == "note":
                m = _NOTE_PARTS.match(t.text)
                assert m is not None
                pk = _pitch_key(m.group(2), m.group(3))
                if m.group(1):
                    carried[pk] = m.group(1)
                elif pk in carried:
                    edits.append(_Edit(off + t.start, off + t.start, carried[pk]))
    return _apply(text, edits)[0] if edits else text


def _render(text: str) -> tuple[str, bytes, int, int, float, float | None] | None:
    from music21 import converter, harmony, meter, stream

    from ..scorerender import stream_to_outputs

    try:
        score = converter.parse(_explicit_accidentals(text), format="abc")
        for cs in list(score.recurse().getElementsByClass(harmony.ChordSymbol)):
            site = cs.activeSite
            if site is not None:
                site.remove(cs)
        # music21 splits an overfull bar and puts the same TimeSignature object in two
        # measures, which its own MIDI writer then refuses: give each measure its own copy
        seen: set[int] = set()
        for measure in score.recurse().getElementsByClass(stream.Measure):
            for ts in list(measure.getElementsByClass(meter.TimeSignature)):
                if id(ts) in seen:
                    measure.replace(ts, copy.deepcopy(ts))
                seen.add(id(ts))
        if not any(True for _ in score.recurse().notes):
            return None
        return stream_to_outputs(score)
    except Exception:  # music21 raises many types on text it cannot read
        return None


def _midi_stats(midi: bytes) -> tuple[int, float]:
    """(notes, seconds) as the MIDI file plays: repeats expanded, tied notes joined."""
    import mido

    try:
        mf = mido.MidiFile(file=io.BytesIO(midi))
        notes = sum(1 for tr in mf.tracks for m in tr if m.type == "note_on" and m.velocity > 0)
        return notes, float(mf.length)
    except (OSError, EOFError, ValueError, KeyError):
        return 0, 0.0


def _expected_notes(text: str) -> int:
    """Notes the MIDI should hold at least: written notes, less grace notes and tied ones."""
    _, body = _split_tune(text)
    count = 0
    grace = False
    for _, line in body:
        for t in _tokenize(line):
            if t.kind == "gopen":
                grace = True
            elif t.kind == "gclose":
                grace = False
            elif t.kind == "note" and not grace:
                count += 1
            elif t.text == "-":
                count -= 1
    return count


def _read_limit(text: str) -> tuple[int, str]:
    """Where to stop reading a tune (music21 slows down sharply on very long ones), and why."""
    limit, why = len(text), ""
    if len(text) > _MAX_TUNE:
        limit = text.rfind("\n", 0, _MAX_TUNE) + 1 or _MAX_TUNE
        why = f"tune longer than {_MAX_TUNE} characters; the rest was not read"
    _, body = _split_tune(text[:limit])
    count = 0
    for off, line in body:
        for t in _tokenize(line):
            if _is_note(t):
                count += 1
                if count >= 2 * _MAX_NOTES:
                    return (
                        off + t.end,
                        f"more than {2 * _MAX_NOTES} notes without a bar line; rest not read",
                    )
            elif t.kind == "bar" and count >= _MAX_NOTES:
                return off + t.end, f"tune has more than {_MAX_NOTES} notes; the rest was not read"
    return limit, why


def repair_abc(tune: str) -> MusicResult | None:
    """Repair one ABC tune and render it; None when it holds no notes."""
    if not isinstance(tune, str) or not tune.strip():
        return None
    log = _Log()
    text = tune
    limit, why = _read_limit(text)
    if limit < len(text):
        log.add(limit, len(text), "", "", "truncated", why, 0.5)
    header, body = _split_tune(text[:limit])
    if not body:
        return None
    k = _field(header, "K")
    keysig = _key_accidentals(k[2]) if k is not None else {}
    truncated = _fix_body(body, keysig, log)
    _fix_headers(text, header, body[0][0], log)
    stage1, to_old = _apply(text, log.edits)
    log2 = _Log()
    _fix_bars(stage1, log2)
    final, _ = _apply(stage1, log2.edits)
    repairs = [e.repair for e in log.edits if e.repair is not None]
    for e in log2.edits:
        if e.repair is not None:
            old = to_old(e.start)
            repairs.append(
                Repair(
                    stage=STAGE,
                    kind=e.repair.kind,
                    reason=e.repair.reason,
                    offset=old,
                    before=e.repair.before,
                    after=e.repair.after,
                    confidence=e.repair.confidence,
                )
            )
    repairs.sort(key=lambda r: r.offset or 0)
    final = final.replace("\r\n", "\n")
    if not final.endswith("\n"):
        final += "\n"
    rendered = _render(final)
    if rendered is None:
        return None
    xml, midi, _, parts, _, bpm = rendered
    notes, secs = _midi_stats(midi)
    if notes == 0:
        return None
    confidence = min([r.confidence for r in repairs], default=1.0)
    if notes < _expected_notes(final):
        confidence *= 0.7
    if not repairs:
        verdict = "intact"
    elif truncated or any(r.kind == "truncated" for r in repairs):
        verdict = "salvaged"
    else:
        verdict = "repaired"
    return MusicResult(
        midi=midi,
        repairs=tuple(repairs),
        verdict=verdict,
        confidence=round(confidence, 3),
        notes=notes,
        tracks=parts,
        seconds=secs,
        tempo_bpm=round(bpm, 3) if bpm else None,
        musicxml=xml,
        source_text=final,
    )


__all__ = ["NAME", "find_abc", "repair_abc"]
