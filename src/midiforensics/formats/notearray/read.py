"""From parsed note records to notes: key names, pitch spellings, units and missing onsets.

A record is a dict (``{"note": "C4", "start": 0, "duration": 1}``) or a row (a tuple, a list
or a CSV line). Every value that is inferred (units, a column's meaning, an onset from the
running sum of durations, a tempo) is a repair with ``loss="guessed"``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ...report.models import Repair
from ..notes import Note, note_name

PITCH_KEYS = ("note", "pitch", "midi", "key", "name", "notename", "midinote", "midi_note")
ONSET_KEYS = ("start", "time", "starttime", "start_time", "onset", "offset", "beat", "position")
DUR_KEYS = ("duration", "dur", "length", "quarterlength", "ql", "len")
END_KEYS = ("end", "endtime", "end_time", "stop")
VEL_KEYS = ("velocity", "vel", "volume")
TEMPO_KEYS = ("bpm", "tempo", "qpm")
_SECONDS_STYLE = {"starttime", "start_time", "endtime", "end_time", "time"}
_BEAT_KEYS = {"beat", "quarterlength", "ql"}
_WORDS = {"whole": 4.0, "half": 2.0, "quarter": 1.0, "eighth": 0.5, "sixteenth": 0.25, "16th": 0.25}
_BARS = re.compile(r"^(\d+):(\d+(?:\.\d+)?)(?::(\d+(?:\.\d+)?))?$")  # Tone.js bars:beats:16ths
_TONE = re.compile(r"^(1|2|4|8|16|32|64)(n\.?|t)$")  # Tone.js durations: "4n", "8t", "2n."
MIN_NOTES = 4


@dataclass
class Track:
    """The notes of one voice as read, before units are settled."""

    name: str
    rows: list[tuple[list[int], float | None, float | None, float | None, int | None]] = field(
        default_factory=list
    )  # pitches (empty: a rest), onset, length, end, velocity
    seconds: bool = False  # times are in seconds
    why: str = ""  # how the units were told
    guessed: list[str] = field(default_factory=list)
    octaves: int = 0  # names written without an octave (4 assumed)


def pitch_of(v: Any, octave: int | None = None) -> list[int] | None:
    """The pitches of one value: a MIDI number, a note name, a list of them (a chord);
    [] for a rest; None when it is not a pitch. A name without an octave takes ``octave``
    (None: it is not a pitch)."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int | float):
        return [int(v)] if float(v).is_integer() and 0 <= v <= 127 else None
    if isinstance(v, str):
        s = v.strip()
        if s.lower() in ("r", "rest", "-", "~", "x"):
            return []
        if s.isdigit():
            return pitch_of(int(s))
        p = note_name(s.replace("♯", "#").replace("♭", "b"), default_octave=octave)
        return [p] if p is not None else None
    if isinstance(v, list | tuple) and v and len(v) <= 12:
        got = [pitch_of(x, octave) for x in v]
        if all(g is not None and len(g) == 1 for g in got):
            return [g[0] for g in got if g]
    return None


def number(v: Any) -> tuple[float | None, bool]:
    """A time value: (quarter notes or seconds, True when the value itself says seconds)."""
    if isinstance(v, bool):
        return None, False
    if isinstance(v, int | float):
        return float(v), False
    if isinstance(v, str):
        s = v.strip().lower()
        m = _TONE.match(s)
        if m:
            q = 4.0 / int(m.group(1))
            q = q * 2 / 3 if m.group(2) == "t" else q * 1.5 if m.group(2) == "n." else q
            return q, False
        word = s.replace("dotted", "").replace("note", "").strip()
        if word in _WORDS:
            return _WORDS[word] * (1.5 if "dotted" in s else 1.0), False
        bars = _BARS.match(s)
        if bars:
            return 4 * int(bars.group(1)) + float(bars.group(2)) + float(
                bars.group(3) or 0
            ) / 4, False
        secs = s.endswith("s") and not s.endswith("ms")
        s = s.removesuffix("ms").removesuffix("s").strip()
        try:
            return float(s) / (1000 if v.strip().lower().endswith("ms") else 1), secs
        except ValueError:
            return None, False
    return None, False


def _norm(key: str) -> str:
    return re.sub(r"[^a-z_]", "", key.lower())


def _find(d: dict[str, Any], names: Sequence[str]) -> tuple[str, Any] | None:
    for k, v in d.items():
        nk = _norm(str(k))
        if nk in names:
            return nk, v
    for k, v in d.items():  # start_sec, duration_beats, ...
        nk = _norm(str(k))
        for n in names:
            if len(n) > 3 and nk.startswith(n + "_"):
                return nk, v
    return None


def dict_track(records: list[dict[str, Any]], name: str, bpm: float | None) -> Track | None:
    """A track from dict records; None when too few hold a pitch."""
    t = Track(name)
    units: set[str] = set()
    said_seconds = False
    for r in records:
        p = _find(r, PITCH_KEYS)
        pitches = pitch_of(p[1]) if p else None
        if pitches is None and p and pitch_of(p[1], 4) is not None:
            pitches, t.octaves = pitch_of(p[1], 4), t.octaves + 1
        if pitches is None:
            if p is None and any(_norm(str(k)) in ("rest", "isrest") for k in r):
                pitches = []
            else:
                continue
        row: list[float | None] = []
        for keys in (ONSET_KEYS, DUR_KEYS, END_KEYS):
            f = _find(r, keys)
            val, secs = number(f[1]) if f else (None, False)
            said_seconds |= secs
            if f and val is not None:
                units.add(f[0])
            row.append(val)
        v = _find(r, VEL_KEYS)
        vel, _ = number(v[1]) if v else (None, False)
        velocity = None if vel is None else int(vel * 127 if 0 < vel <= 1 else vel)
        t.rows.append((pitches, row[0], row[1], row[2], velocity))
    if sum(1 for r in t.rows if r[0]) < max(1, (len(records) * 4 + 4) // 5):
        return None  # most records hold no pitch: not a note list
    _units(t, units, said_seconds, bpm)
    if t.octaves:
        t.guessed.append(f"{t.octaves} note names have no octave: octave 4 assumed")
    return t


def _units(t: Track, keys: set[str], said_seconds: bool, bpm: float | None) -> None:
    if said_seconds or any(k.endswith(("_sec", "_secs", "_seconds", "_s")) for k in keys):
        t.seconds, t.why = True, "the values are marked as seconds"
    elif keys & _BEAT_KEYS or any(k.endswith(("_beats", "_beat", "_ql")) for k in keys):
        t.why = ""  # the keys say beats: nothing guessed
    elif keys & _SECONDS_STYLE and bpm:
        t.seconds = True
        t.why = f"the times are named {'/'.join(sorted(keys & _SECONDS_STYLE))} beside a tempo"
        t.guessed.append(f"times read as seconds: {t.why}")
    elif keys & {"starttime", "start_time", "endtime", "end_time"}:
        t.seconds = True
        t.why = "startTime/endTime is the seconds-based naming (NoteSequence, Tone.js)"
        t.guessed.append(f"times read as seconds: {t.why}")
    elif keys:
        t.guessed.append(
            f"times ({', '.join(sorted(keys))}) read as beats (quarter notes): "
            "no key or value says seconds"
        )


def row_track(
    rows: Sequence[Sequence[Any]], name: str, columns: Sequence[str] = ()
) -> Track | None:
    """A track from rows of values (tuples, lists, CSV lines). ``columns`` names them when a
    header does; otherwise the first column is the pitch and the others are told apart by
    their values (the one that only grows is the onset)."""
    if columns:
        return dict_track([dict(zip(columns, r, strict=False)) for r in rows], name, None)
    width = min(len(r) for r in rows)
    if width < 1 or any(pitch_of(r[0], 4) is None for r in rows):
        return None
    octaves = sum(1 for r in rows if pitch_of(r[0]) is None)
    cols = [[number(r[i])[0] for r in rows] for i in range(1, min(width, 4))]
    if any(v is None for c in cols for v in c):
        return None
    roles = _roles(cols)  # type: ignore[arg-type]
    t = Track(name)
    for r in rows:
        got = {role: number(r[i + 1])[0] for i, role in enumerate(roles)}
        vel = got.get("velocity")
        t.rows.append(
            (
                pitch_of(r[0], 4) or [],
                got.get("onset"),
                got.get("duration"),
                None,
                int(vel or 0) or None,
            )
        )
    if octaves:
        t.guessed.append(f"{octaves} note names have no octave: octave 4 assumed")
    if width > 1:
        t.guessed.append(
            f"columns read as pitch, {', '.join(roles)} (no header names them; "
            + ("the onset is the column that only grows; " if "onset" in roles else "")
            + "times in beats)"
        )
    return t


def _roles(cols: list[list[float]]) -> list[str]:
    """Names for the columns after the pitch: onset (non-decreasing, starts low, changes),
    velocity (whole numbers 20-127 after the times), duration (the rest)."""
    roles = ["duration"] * len(cols)
    growing = [
        i
        for i, c in enumerate(cols)
        if all(b >= a for a, b in zip(c, c[1:], strict=False)) and len(set(c)) > 2 and c[0] < 8
    ]
    if growing and len(cols) > 1:
        roles[max(growing, key=lambda i: len(set(cols[i])))] = "onset"
    for i, c in enumerate(cols):
        if i > 0 and roles[i] == "duration" and all(v.is_integer() and 20 <= v <= 127 for v in c):
            roles[i] = "velocity"
    return roles


def notes_of(
    tracks: list[Track], bpm: float | None
) -> tuple[list[Note], list[Repair], float | None]:
    """Notes in quarter notes, the repairs saying what was inferred, and the tempo to write."""
    repairs: list[Repair] = []
    notes: list[Note] = []
    seconds = any(t.seconds for t in tracks)
    if seconds and not bpm:
        bpm = 120.0
        repairs.append(
            _guess("tempo", "times are in seconds and no tempo is given: 120 bpm assumed")
        )
    elif not bpm:
        repairs.append(
            _guess("tempo", "no tempo is given: written without one (players use 120 bpm)")
        )
    for voice, t in enumerate(tracks):
        scale = (bpm or 120.0) / 60.0 if t.seconds else 1.0
        for g in dict.fromkeys(t.guessed):
            repairs.append(_guess("units", f"{t.name}: {g}" if len(tracks) > 1 else g))
        notes.extend(_place(t, scale, voice, repairs))
    return notes, repairs, bpm


def _place(t: Track, scale: float, voice: int, repairs: list[Repair]) -> list[Note]:
    out: list[Note] = []
    now = 0.0
    running = defaulted = 0
    for i, (pitches, onset, length, end, vel) in enumerate(t.rows):
        if onset is None:
            onset, running = now / scale, running + 1
        if length is None and end is not None:
            length = end - onset
        if length is None:
            nxt = next((r[1] for r in t.rows[i + 1 :] if r[1] is not None), None)
            length = (nxt - onset) if nxt is not None and nxt > onset else 1.0 / scale
            defaulted += 1
        on, ln = onset * scale, length * scale
        for p in pitches:
            out.append(Note(on, p, ln, vel or 80, voice))
        now = max(now, on + ln) if pitches or ln > 0 else now
    if running:
        repairs.append(
            _guess(
                "onset", f"{running} onsets not given: each note starts when the one before ends"
            )
        )
    if defaulted:
        repairs.append(
            _guess("duration", f"{defaulted} lengths not given: to the next onset, or one beat")
        )
    return out


MAX_BEATS = 100_000.0  # an onset or a length past this is not a note's (1e308, NaN, inf)


def playable(notes: list[Note], stage: str) -> tuple[list[Note], list[Repair]]:
    """The notes whose times can be written (finite, within ``MAX_BEATS``), and a repair
    marking the others lost."""
    import math

    ok = [
        n
        for n in notes
        if math.isfinite(n.onset + n.length)
        and 0 <= n.onset <= MAX_BEATS
        and 0 < n.length <= MAX_BEATS
    ]
    if len(ok) == len(notes):
        return ok, []
    why = f"{len(notes) - len(ok)} notes with impossible times (negative, endless or not a number): left out"
    return ok, [
        Repair(stage=stage, kind="bad-time", reason=why, offset=0, confidence=0.6, loss="lost")
    ]


def _guess(kind: str, reason: str) -> Repair:
    return Repair(
        stage="notearray", kind=kind, reason=reason, offset=0, confidence=0.7, loss="guessed"
    )
