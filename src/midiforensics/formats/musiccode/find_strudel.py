"""Strudel/Tidal patterns in a text: ``note("...")``/``n("...")`` calls (also inside JSON
strings, with escaped quotes), their ``.scale(...)``, and the tempo from ``setcps``/``setcpm``
or ``.cpm(...)`` when it is a literal. Drum patterns (``s("bd*4")``) are not pitched: left."""

from __future__ import annotations

import re

from ...report.models import Repair
from ..base import MusicResult
from ..notearray.read import playable
from ..notes import Note
from .strudel import BEATS_PER_CYCLE, parse_scale, read_pattern

_CALL = re.compile(r"""(?:(?<![\w$])|(?<=\\n)|(?<=\\t))(note|n)\s*(\(\s*)?(\\?["'`])""")
_SCALE = re.compile(r"""\.scale\(\s*\\?["'`]([^"'`\\]+)""")
_TEMPO = re.compile(
    r"""(setcps|setcpm|\.cpm|\.cps)\(\s*(\d+(?:\.\d+)?)(?:\s*/\s*(\d+(?:\.\d+)?))?\s*\)"""
)
MAX_GAP = 3000  # characters between two patterns of one piece
MIN_NOTES = 1  # one cycle of a slow pattern may hold one note: still music, said so


def patterns(text: str) -> list[tuple[int, int, str, str]]:
    """(start, end, mini-notation, scale) of each note/n pattern. The scale text is what a
    ``.scale(...)`` after it says; ``n`` patterns with none are skipped in Strudel (their
    numbers pick samples), and read as semitones from C5 in Tidal (``scale`` "tidal")."""
    out = []
    for m in _CALL.finditer(text):
        start, quote = m.start(), m.group(3)
        if not m.group(2):  # Tidal: note "..." only after $ or #; in prose a note "C" is a word
            tidal = re.search(r"(?:[$#]|\bd\d+\s*\$)\s*$", text[max(0, start - 30) : start])
            if not tidal:
                continue
            start = max(0, start - 30) + tidal.start()
        close = text.find(quote, m.end())
        if close < 0 or close - m.end() > 4000:
            continue
        src = text[m.end() : close]
        if "\n" in src and quote[-1] != "`":
            continue
        if text[max(0, start - 5) : start].rstrip().endswith(("add(", "sub(")):
            continue  # note(...) inside .add(...) transposes; it is not a melody
        nxt = _CALL.search(text, close)
        scale = _SCALE.search(text, close, nxt.start() if nxt else min(len(text), close + 600))
        kind = scale.group(1) if scale else "" if m.group(2) else "tidal"
        if m.group(1) == "n" and not kind:
            continue
        end = scale.end() + 2 if scale else close + len(quote)
        out.append((start, end, src, kind))
    return out


def find_strudel(text: str) -> list[tuple[int, int, str]]:
    """Pieces: runs of patterns close together (one ``stack`` or one file)."""
    if not any(k in text for k in ("note(", "n(", 'note "', 'n "', "note (")):
        return []
    pats = [p for p in patterns(text) if _notes([p])[0] and _looks_strudel(text, p)]
    out: list[tuple[int, int, str]] = []
    group: list[tuple[int, int, str, str]] = []
    for p in pats + [(len(text) + MAX_GAP + 1, 0, "", "")]:
        if group and p[0] - group[-1][1] > MAX_GAP:
            s, e = group[0][0], group[-1][1]
            if sum(len(_notes([g])[0]) for g in group) >= MIN_NOTES:
                tail = text[e : e + 400]
                head = text[max(0, s - 400) : s]
                out.append((s, e, text[s:e] + "\n#tempo " + _tempo_src(head + tail + text[s:e])))
            group = []
        group.append(p)
    return out


_SIGNS = re.compile(
    r"""\.s\(|\bsound\(|\bstack\(|setcp[sm]\(|\.scale\(|\$|\.cpm\(|\.slow\(|\.fast\("""
)


def _looks_strudel(text: str, p: tuple[int, int, str, str]) -> bool:
    """A pattern with steps (spaces, brackets, rests, repeats), or a call beside Strudel's
    own (``.s(``, ``stack(``, ``setcps``): ``note("E")`` alone is any program's function."""
    if re.search(r"[\s\[<~*]", p[2].strip()):
        return True
    return bool(_SIGNS.search(text, max(0, p[0] - 200), p[1] + 200))


def _tempo_src(text: str) -> str:
    m = _TEMPO.search(text)
    return m.group(0) if m else ""


def _notes(pats: list[tuple[int, int, str, str]]) -> tuple[list[Note], int]:
    notes = []
    alternations = 0
    for voice, (_, _, src, scale) in enumerate(pats):
        tidal = scale == "tidal"
        sc = parse_scale("c4:chromatic" if tidal else scale) if scale else None
        if scale and sc is None:
            continue
        got, alts = read_pattern(src.replace('\\"', '"'), sc, voice, tidal)
        notes.extend(got)
        alternations += alts if got else 0
    return notes, alternations


def strudel_piece(body: str) -> MusicResult | None:
    from ..notes import piece

    code, _, tempo = body.rpartition("\n#tempo ")
    notes, alternations = _notes(patterns(code))
    if not notes:
        return None
    repairs = []
    m = _TEMPO.search(tempo)
    if m:
        v = float(m.group(2)) / float(m.group(3) or 1)
        bpm = v * 60 * BEATS_PER_CYCLE if m.group(1).endswith("cps") else v * BEATS_PER_CYCLE
    else:
        bpm = 120.0
        repairs.append(
            _repair(
                "tempo",
                "no literal setcps/setcpm: Strudel's default 0.5 cycles a second "
                "(120 bpm at four beats a cycle)",
                "guessed",
            )
        )
    if alternations:
        repairs.append(
            _repair(
                "one-cycle",
                f"{alternations} <...> alternations: one cycle was read, so each plays its first "
                "choice; later cycles play the others",
                "lost",
            )
        )
    if not 10 <= bpm <= 1000:
        why = f"the tempo given ({m.group(0) if m else ''}) is not one a MIDI file holds: 120 bpm"
        repairs.append(_repair("tempo", why, "guessed"))
        bpm = 120.0
    notes, dropped = playable(notes, "strudel")
    return piece(notes, repairs + dropped, round(bpm, 3), source_text=code)


def _repair(kind: str, reason: str, loss: str) -> Repair:
    return Repair(stage="strudel", kind=kind, reason=reason, offset=0, confidence=0.7, loss=loss)
