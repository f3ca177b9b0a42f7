"""Note lists in Markdown tables: a column of note names and a column of durations (beats,
or duration words), maybe a column of onsets."""

from __future__ import annotations

import re

from ..notes import Note
from .names import MIN_NOTES, Found, beats_of, guessed, name_re, octave_repair, pitch_of

_ROW = re.compile(r"^[ \t]*\|.*\|[ \t]*$", re.M)
_RULE = re.compile(r"^[\s|:\-]+$")
_NOTE_HEAD = re.compile(r"(?i)\b(?:notes?|pitch(?:es)?|note names?)\b")
_DUR_HEAD = re.compile(r"(?i)\b(?:dur\w*|length|beats?|value|rhythm)\b")
_ON_HEAD = re.compile(r"(?i)\b(?:start\w*|onset|time|position|beat|offset)\b")
_SECONDS = re.compile(r"(?i)\bsec(?:ond)?s?\b|\(s\)")
_NAME = re.compile(name_re("n"))
_NUM = re.compile(r"^\s*(\d+(?:\.\d+)?)(?:\s*/\s*(\d+))?\s*(?:beats?|b)?\s*$", re.I)
_REST = re.compile(r"(?i)^\s*(?:rest|r|-|—|–|\(rest\))\s*$")


def find_tables(text: str, lo: int = 0, hi: int | None = None) -> list[Found]:
    hi = len(text) if hi is None else hi
    blocks: list[list[re.Match[str]]] = []
    for m in _ROW.finditer(text, lo, hi):
        if blocks and m.start() == blocks[-1][-1].end() + 1:
            blocks[-1].append(m)
        else:
            blocks.append([m])
    out = []
    for rows in blocks:
        if len(rows) >= MIN_NOTES + 1:
            found = _table(rows)
            if found is not None:
                out.append(found)
    return out


def _cells(row: str) -> list[str]:
    return [c.strip() for c in row.strip().strip("|").split("|")]


def _table(rows: list[re.Match[str]]) -> Found | None:
    head = _cells(rows[0].group(0))
    dur_col = next((k for k, h in enumerate(head) if _DUR_HEAD.search(h)), None)
    note_col = next((k for k, h in enumerate(head) if _NOTE_HEAD.search(h) and k != dur_col), None)
    on_col = next(
        (k for k, h in enumerate(head) if _ON_HEAD.search(h) and k not in (dur_col, note_col)),
        None,
    )
    if note_col is None or dur_col is None:
        return None
    found = Found(rows[0].start(), rows[-1].end())
    t, missing, numeric, fractions = 0.0, 0, False, False
    for row in rows[1:]:
        cells = _cells(row.group(0))
        if _RULE.match(row.group(0)) or len(cells) <= max(note_col, dur_col):
            continue
        length, kind = _length(cells[dur_col])
        if length is None:
            return None
        numeric |= kind == "beats"
        fractions |= kind == "fraction"
        if on_col is not None and on_col < len(cells) and _NUM.match(cells[on_col]):
            t = float(_NUM.match(cells[on_col]).group(1))  # type: ignore[union-attr]
        names = list(_NAME.finditer(cells[note_col]))
        if not names and not _REST.match(cells[note_col]):
            return None  # a cell that is neither notes nor a rest: not a note table
        for n in names:
            got = pitch_of(n, "n")
            if got is not None:
                found.notes.append(Note(t, got[0], length))
                missing += not got[1]
        t += length
    if len(found.notes) < MIN_NOTES:
        return None
    octave_repair(found, missing)
    if any(_SECONDS.search(head[k]) for k in (dur_col, on_col) if k is not None):
        found.bpm = 60.0  # one beat a second: the times play as written
    elif numeric:
        found.repairs.append(
            guessed("units-assumed", "durations in the table read as beats (quarter notes)",
                    found.start)
        )  # fmt: skip
    if fractions:
        found.repairs.append(
            guessed("units-assumed", "fractions in the table read as parts of a whole note",
                    found.start)
        )  # fmt: skip
    return found


def _length(cell: str) -> tuple[float | None, str]:
    """Quarter notes in a duration cell, and how it was read: ``word``, ``beats`` or
    ``fraction`` (``1/4`` is a quarter note)."""
    words = beats_of(re.sub(r"(?i)\s*\(.*\)|\s+notes?$", "", cell))
    if words is not None:
        return words, "word"
    m = _NUM.match(cell)
    if m is None:
        return None, ""
    if m.group(2):
        den = float(m.group(2))
        return (4.0 * float(m.group(1)) / den if den else None), "fraction"
    value = float(m.group(1))
    return (value if value > 0 else None), "beats"
