"""The ABC grammar the other modules share: tokens of a body line, header fields, keys, lengths."""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

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
| (?P<misc>[-()~.`\\$*y]|[HLMOPSTuv](?=[\^_=A-Ga-gz.~(!\["{]))
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


_FLAT_START = re.compile(r"(?:^|(?<=\s))X:\s*\d+\s+(?=[A-Za-z]:)|(?:^|(?<=\s))T:(?=.*\sK:)")
_FLAT_FIELD = re.compile(r"(?<=\s)([A-Za-z]):(?=\S|\s+\S)")
_FLAT_KEY = re.compile(
    r"K:\s*(?:[A-G][#b]?(?:m|min|minor|maj|major|dor|dorian|mix|mixolydian|phr|lyd|aeo|loc)?"
    r"|none)\s+(?:(?:m|min|minor|maj|major|dor|dorian|mix|mixolydian)\s+)?",
    re.I,
)


def flattened(line: str) -> tuple[int, list[int]] | None:
    """A whole tune written on one line (``X:1 T:Air M:3/4 L:1/8 K:D |: DFA ...``): where its
    first field starts, and the places (whitespace) where a line break belongs. None when
    the line is not a flattened tune: two fields or more, ending in ``K:`` and then music."""
    if len(line) > 4000:
        return None
    m = _FLAT_START.search(line)
    if m is None:
        return None
    start = m.start()
    cuts: list[int] = []
    for f in _FLAT_FIELD.finditer(line, start + 2):
        cuts.append(f.start() - 1)
        if f.group(1) == "K":
            k = _FLAT_KEY.match(line, f.start())
            if k is None or k.end() >= len(line):
                return None
            cuts.append(k.end() - 1)
            return (start, cuts) if len(cuts) >= 2 else None
    return None
