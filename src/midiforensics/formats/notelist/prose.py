"""Runs of notes in prose: ``Eighth note E | Eighth rest | Quarter note G``,
``E (quarter), D (eighth)``, ``C4 (1 beat)``, ``C4 D4 E4 F4 G4``; and note-per-line lists
(``0.25 0.75 B2 D3 F3``: onset, length, the notes sounding)."""

from __future__ import annotations

import re

from ..notes import Note
from .names import (
    DUR_WORD,
    MIN_NOTES,
    Found,
    beats_of,
    guessed,
    name_re,
    octave_repair,
    pitch_of,
)

_NUM = r"\d+(?:\.\d+)?|\d/\d"
_ITEM = re.compile(
    rf"(?P<dw1>{DUR_WORD})[ -]notes?[ :]+{name_re('1')}"  # Eighth note E
    rf"|(?P<dwr>{DUR_WORD})[ -]rests?\b"  # Eighth rest
    rf"|{name_re('2')}[ \t]*[(\[:–-]?[ \t]*(?P<dw2>{DUR_WORD})(?:[ -]notes?)?\b[)\]]?"  # E (quarter)
    rf"|{name_re('3')}[ \t]*(?:[(\[][ \t]*(?P<n3>{_NUM})[ \t]*(?:beats?)?[ \t]*[)\]]"  # C4 (1 beat)
    rf"|(?:[:–-]|for)?[ \t]*(?P<n5>{_NUM})[ \t]*beats?\b)"  # C4 - 0.5 beats, C4 for 2 beats
    rf"|{name_re('4', '')}"  # C4
)
_SEP = re.compile(
    r"(?:[\s,;|/→>*•·.–—-]|</?[a-zA-Z][^<>\n]{0,80}>|&nbsp;|\\[nrt]|\bthen\b|\band\b"
    r"|(?<=\n)[ \t]*\d{1,3}[.)](?=\s)"  # a numbered list: 1. C4 - quarter
    r"|\b(?:bar|measure)[ \t]*\d{1,3}\b:?)*",  # Measure 2: G4 A4
    re.I,
)
_MAX_GAP = 300
_MUSIC_WORDS = re.compile(
    r"(?i)\b(?:notes?|melod\w*|tune|song|music|play\w*|piano|scale|riff|motif|theme|phrase"
    r"|arpeggio\w*|bass\s*line|octaves?|sequence|pitches|measures?|chorus|verse)\b"
)


def find_runs(text: str, lo: int = 0, hi: int | None = None, vetted: bool = False) -> list[Found]:
    """The runs of notes in ``text[lo:hi]``; ``vetted`` skips the test that a run of bare
    note names (no durations) has music words near it (the find was vetted before)."""
    hi = len(text) if hi is None else hi
    runs: list[list[re.Match[str]]] = []
    prev: re.Match[str] | None = None
    for m in _ITEM.finditer(text, lo, hi):
        gap = m.start() - prev.end() if prev else 0
        if prev and gap <= _MAX_GAP and _SEP.fullmatch(text, prev.end(), m.start()):
            runs[-1].append(m)
        else:
            runs.append([m])
        prev = m
    out = []
    for run in runs:
        found = _read_run(text, run, vetted)
        if found is not None:
            out.append(found)
    return out


def _read_run(text: str, run: list[re.Match[str]], vetted: bool) -> Found | None:
    notes: list[Note] = []
    t, missing, timed, bare_octaves = 0.0, 0, 0, []
    for m in run:
        if m.group("dwr"):
            t += beats_of(m.group("dwr")) or 1.0
            timed += 1
            continue
        k = next(k for k in "1234" if m.group(f"L{k}"))
        got = pitch_of(m, k)
        if got is None:
            return None
        pitch, had_octave = got
        missing += not had_octave
        if k == "4":
            length = 1.0
            bare_octaves.append(int(m.group("o4")))
        elif k == "3":
            num, _, den = (m.group("n3") or m.group("n5")).partition("/")
            length = float(num) / float(den or 1)
        else:
            length = beats_of(m.group(f"dw{k}")) or 1.0
        timed += k != "4"
        notes.append(Note(t, pitch, length))
        t += length
    if len(notes) < MIN_NOTES or len({n.pitch for n in notes}) < 2:
        return None
    start, end = run[0].start(), run[-1].end()
    if len(bare_octaves) == len(run) and not (vetted or _musical(text, start, end, bare_octaves)):
        return None
    found = Found(start, end, notes)
    octave_repair(found, missing)
    if bare_octaves:
        found.repairs.append(
            guessed("duration-assumed",
                    f"{len(bare_octaves)} notes with no duration written: a quarter note each",
                    start, "1 beat")
        )  # fmt: skip
    if any(m.group("n3") or m.group("n5") for m in run):
        found.repairs.append(
            guessed("units-assumed", "numeric durations read as beats (quarter notes)", start)
        )
    return found


def _musical(text: str, start: int, end: int, octaves: list[int]) -> bool:
    """A run of bare note names is a melody only with music words near it, octaves a melody
    uses, and not a grid of cells (``A1 B2 C3 D4``: the octave moving at every step)."""
    if any(o < 1 or o > 7 for o in octaves):
        return False
    if all(a != b for a, b in zip(octaves, octaves[1:], strict=False)):
        return False
    if _ABC_HEAD.search(text, max(0, start - 3000), start):
        return False  # an ABC tune's body: G2 is a G held two units, not G2 the pitch
    return bool(_MUSIC_WORDS.search(text, max(0, start - 300), min(len(text), end + 200)))


_ABC_HEAD = re.compile(r"^[ \t]*(?:X:[ \t]*\d|K:)", re.M)
_NAMES = rf"{name_re('n', '')}(?:[ \t]*[,+/ ][ \t]*{name_re('m', '')})*"
_LINE = re.compile(
    rf"^[ \t]*(?P<at>\d+(?:\.\d+)?)[ \t,;]+(?P<dur>\d+(?:\.\d+)?)[ \t,;]+(?P<names>{_NAMES})[ \t]*$",
    re.M,
)
_ONE = re.compile(name_re("n", ""))


def find_lines(text: str, lo: int = 0, hi: int | None = None) -> list[Found]:
    """Blocks of at least four lines ``onset length NAME [NAME...]`` whose onsets never go
    back: the notes of each line sound together."""
    hi = len(text) if hi is None else hi
    blocks: list[list[re.Match[str]]] = []
    for m in _LINE.finditer(text, lo, hi):
        if blocks and text.count("\n", blocks[-1][-1].end(), m.start()) <= 1:
            blocks[-1].append(m)
        else:
            blocks.append([m])
    out = []
    for block in blocks:
        onsets = [float(m.group("at")) for m in block]
        if len(block) < MIN_NOTES or any(b < a for a, b in zip(onsets, onsets[1:], strict=False)):
            continue
        found = Found(block[0].start(), block[-1].end())
        for m, onset in zip(block, onsets, strict=False):
            for n in _ONE.finditer(m.group("names")):
                got = pitch_of(n, "n")
                if got:
                    found.notes.append(Note(onset, got[0], float(m.group("dur"))))
        found.repairs.append(
            guessed("units-assumed", "each line read as onset, length (in beats), notes",
                    found.start)
        )  # fmt: skip
        out.append(found)
    return out
