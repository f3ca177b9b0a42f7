"""Finding note arrays in a text: bracketed literals (JSON, Python, JS) and runs of CSV rows.

Cheap first: a regex marks where a list of records or rows opens (``[{``, ``[(``, ``[[``, a
list of note names) or where CSV rows with a pitch-like first field run; only there is a
bracket matched (with a bounded scan) and the literal parsed, never evaluated.
"""

from __future__ import annotations

import ast
import json
import re
from typing import Any

from .read import TEMPO_KEYS, Track, dict_track, pitch_of, row_track

MAX_LITERAL = 400_000  # characters one literal may span
_OPEN = re.compile(r"""\[\s*(?:[{(\[]|["'][A-Ga-g][#b♯♭]?-?\d?["']\s*,|\d{2,3}\s*,)""")
_ROW = re.compile(
    r"[ \t]*(?:[A-Ga-g][#b]?-?\d|\d{1,3}(?:\.0)?)[ \t]*([,\t])[ \t]*-?[\d.]+"
    r"(?:[ \t]*\1[ \t]*-?[\w.]+){0,4}[ \t]*\r?"
)
# where a row may be: a separator before a number (a literal first, so the scan is fast)
_SEPS = {",": re.compile(r",[ \t]*-?[\d.]"), "\t": re.compile(r"\t[ \t]*-?[\d.]")}
_MUSIC_WORD = re.compile(
    r"(?i)\b(?:notes?|pitch(?:es)?|midi|melod(?:y|ies)|chords?|bars?|measures?|beats?|tempo|"
    r"bpm|songs?|tunes?|music|musical|piano|bass|arpeggios?|scales?|riff|harmony|sequence)\b"
)
_NAME_BEFORE = re.compile(r"""["']?([A-Za-z_][\w]*)["']?\s*[:=]\s*$""")
_TEMPO_BEFORE = re.compile(r"""(?i)["']?(?:bpm|tempo|qpm)["']?\s*[:=]\s*(\d{2,3}(?:\.\d+)?)""")
_TRACK_KEYS = ("tracks", "parts", "voices", "instruments", "staves", "hands")
MUSIC_NAMES = re.compile(
    r"(?i)(notes?|pitch(es)?|melody|bass|treble|chords?|lead|harmony|sequence|midi|right|left|"
    r"arp|hand|voice|part|track|song|tune|riff|phrase|motif|soprano|alto|tenor)"
)


def find_arrays(text: str) -> list[tuple[int, int, Any, str]]:
    """(start, end, parsed value, context before it) of each bracketed literal that parses."""
    out: list[tuple[int, int, Any, str]] = []
    budget = 4 * len(text) + 1_000_000
    done = 0
    for m in _OPEN.finditer(text):
        s = m.start()
        if s < done or budget <= 0:
            continue
        e = match_bracket(text, s, min(len(text), s + MAX_LITERAL))
        budget -= (e or min(len(text), s + MAX_LITERAL)) - s
        if e is None:
            continue
        value = parse_literal(text[s:e])
        if value is not None:
            out.append((s, e, value, text[max(0, s - 400) : s]))
            done = e
    return out


def match_bracket(text: str, s: int, limit: int) -> int | None:
    """The end (exclusive) of the bracketed literal opening at ``s``; None past ``limit``."""
    depth = 0
    quote = ""  # the quote that opened the string we are in: ", ' or, escaped, \"
    i = s
    while i < limit:
        c = text[i]
        if quote:
            if text.startswith(quote, i):
                i += len(quote) - 1
                quote = ""
            elif c == "\\":
                i += 1
        elif c == "\\" and text[i + 1 : i + 2] in ('"', "'"):
            quote = text[i : i + 2]  # a literal inside a JSON string: its quotes are escaped
            i += 1
        elif c in "\"'":
            quote = c
        elif c in "[({":
            depth += 1
        elif c in "])}":
            depth -= 1
            if depth == 0:
                return i + 1
        elif c == "\n" and text.startswith("\n\n\n", i):
            return None  # three line breaks: not one literal
        i += 1
    return None


def parse_literal(s: str) -> Any:
    """The value of a JSON, Python or JS literal; None when it is none of them. Python
    literals go through ``ast.literal_eval`` (literals only: nothing is evaluated)."""
    if '\\"' in s and s.count('\\"') * 2 >= s.count('"'):
        s = s.replace('\\"', '"')  # the literal sat inside a JSON string
    try:
        return json.loads(s)
    except (ValueError, RecursionError):
        pass
    try:
        return ast.literal_eval(s)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        pass
    js = re.sub(r"//[^\n]*", "", s)
    js = re.sub(r"([{,]\s*)([A-Za-z_$][\w$]*)\s*:", r'\1"\2":', js)
    js = re.sub(r",\s*([}\]])", r"\1", js)
    if '"' not in s:
        js = js.replace("'", '"')
    try:
        return json.loads(js)
    except (ValueError, RecursionError):
        return None


def tempo_in(value: Any) -> float | None:
    if isinstance(value, dict):
        for k, v in value.items():
            if str(k).lower() in TEMPO_KEYS and isinstance(v, int | float) and 20 <= v <= 400:
                return float(v)
    return None


def tracks_of(value: Any, name: str, bpm: float | None, depth: int = 0) -> list[Track]:
    """The tracks a parsed literal holds: a list of records, ``{"notes": [...]}``,
    ``{"tracks": [{"notes": [...]}]}``, or several named lists of records."""
    if depth > 4:
        return []
    if isinstance(value, dict):
        bpm = tempo_in(value) or bpm
        out: list[Track] = []
        for k, v in value.items():
            if isinstance(v, list | dict):
                out.extend(tracks_of(v, str(k), bpm, depth + 1))
        return out
    if not isinstance(value, list | tuple) or not value:
        return []
    if all(isinstance(r, dict) for r in value):
        holders = [r for r in value if any(_records(v) for v in r.values())]
        if holders and len(holders) == len(value):
            out = []
            for k, r in enumerate(value):
                sub = tracks_of(r, str(r.get("name", f"{name} {k + 1}")), bpm, depth + 1)
                out.extend(sub)
            if out:
                return out
        t = dict_track(list(value), name, bpm)
        return [t] if t else []
    if all(isinstance(r, list | tuple) and r for r in value):
        t = row_track(list(value), name)
        return [t] if t else []
    if MUSIC_NAMES.search(name) and all(pitch_of(v, 4) is not None for v in value):
        t = Track(name)
        t.rows = [(pitch_of(v, 4) or [], None, None, None, None) for v in value]
        t.guessed.append("a bare list of pitches: each note one beat long, one after another")
        return [t]
    return []


def _records(v: Any) -> bool:
    """A list of records (dicts or rows): what a track holds, unlike a chord's names."""
    return isinstance(v, list) and bool(v) and isinstance(v[0], dict | list | tuple)


def csv_runs(text: str) -> list[tuple[int, int, list[list[str]], list[str]]]:
    """(start, end, rows, header) of each run of at least four CSV/TSV rows whose first field
    is a pitch; the header is the line before the run when it names the columns. Only the
    lines holding a separator before a number are looked at."""
    rows: dict[int, int] = {}  # row start -> row end, for lines that are rows
    for sep, pattern in _SEPS.items():
        if sep not in text:
            continue
        last = -1
        for m in pattern.finditer(text):
            if m.start() < last:
                continue
            start = text.rfind("\n", 0, m.start()) + 1
            end = text.find("\n", m.start())
            last = end = len(text) if end < 0 else end
            start = max(start, text.rfind(">", start, m.start()) + 1)  # a row after an HTML tag
            if start not in rows and _ROW.fullmatch(text, start, end):
                rows[start] = end
    out: list[tuple[int, int, list[list[str]], list[str]]] = []
    run: list[tuple[int, int]] = []
    for start, end in sorted(rows.items()):
        if run and start != run[-1][1] + 1:
            _close(text, run, out)
            run = []
        run.append((start, end))
    _close(text, run, out)
    return out


def _close(text: str, run: list[tuple[int, int]], out: list[Any]) -> None:
    if len(run) < 4:
        return
    rows = [[f.strip() for f in re.split(r"[,\t]", text[s:e].strip())] for s, e in run]
    start = run[0][0]
    line_start = text.rfind("\n", 0, start) + 1
    prev_start = text.rfind("\n", 0, max(0, line_start - 1)) + 1
    head = text[prev_start : max(prev_start, line_start - 1)] if line_start else ""
    fields = [f.strip().strip("\"'").lower() for f in re.split(r"[,\t]", head.strip())]
    header: list[str] = []
    if len(fields) == len(rows[0]) and all(re.fullmatch(r"[a-z_ ]+", f) for f in fields):
        header = fields
        start = prev_start
    out.append((start, run[-1][1], rows, header))


def name_before(context: str) -> str:
    m = _NAME_BEFORE.search(context[-80:])
    return m.group(1) if m else ""


def tempo_before(context: str) -> float | None:
    found = _TEMPO_BEFORE.findall(context)
    return float(found[-1]) if found else None


def music_context(context: str) -> bool:
    return bool(_MUSIC_WORD.search(context[-300:]))
