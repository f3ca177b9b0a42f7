"""Pieces made from note lists: what the formats that spell notes out (LilyPond, note arrays,
music code, note names in prose) hand over, turned into a MIDI file and a result.

A :class:`Note` is an onset and a length in quarter notes (beats), a MIDI pitch, a velocity
and a voice (each voice becomes a track). :func:`piece` writes them with mido at a fixed
resolution, so the same notes always make the same bytes.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..report.models import Repair
from .base import MusicResult, verdict_for

TICKS = 480  # ticks per quarter note in the files written here
DEFAULT_BPM = 120.0


@dataclass(frozen=True)
class Note:
    onset: float  # quarter notes from the start
    pitch: int  # MIDI key number, 0-127
    length: float  # quarter notes
    velocity: int = 80
    voice: int = 0


def note_name(name: str, default_octave: int | None = 4) -> int | None:
    """The MIDI pitch of a note name (``C4``, ``F#3``, ``Bb5``, ``Eb``, ``c'`` not included);
    None when it is not one. Without an octave, ``default_octave`` (None: refuse)."""
    s = name.strip()
    if not s or s[0].upper() not in _STEPS:
        return None
    pc = _STEPS[s[0].upper()]
    i = 1
    while i < len(s) and s[i] in "#b♯♭":
        pc += 1 if s[i] in "#♯" else -1
        i += 1
    rest = s[i:]
    if rest == "":
        if default_octave is None:
            return None
        octave = default_octave
    else:
        try:
            octave = int(rest)
        except ValueError:
            return None
    pitch = 12 * (octave + 1) + pc
    return pitch if 0 <= pitch <= 127 else None


_STEPS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


def piece(
    notes: Sequence[Note],
    repairs: Sequence[Repair] = (),
    bpm: float | None = None,
    fragment: bool = False,
    confidence: float | None = None,
    source_text: str | None = None,
) -> MusicResult | None:
    """A playable piece of ``notes`` (None when there are none): one track per voice, at
    ``bpm`` (no tempo event when None: players use 120). The verdict follows the repairs
    (:func:`verdict_for`); a guessed or lost value lowers the confidence."""
    import mido

    given = len(notes)
    notes = [
        n
        for n in notes
        if 0 <= n.pitch <= 127
        and math.isfinite(n.onset + n.length)
        and n.length > 0
        and n.onset >= 0
    ]
    if not notes:
        return None
    if len(notes) < given:  # a note no MIDI file can hold is left out, and said so
        left = given - len(notes)
        repairs = (
            *repairs,
            Repair(
                stage="notes",
                kind="unplayable-note",
                reason=f"{left} note{'s' if left != 1 else ''} outside MIDI's range (a pitch "
                "past 0-127, no length, a negative or endless time): left out",
                offset=0,
                confidence=0.8,
                loss="lost",
            ),
        )
    mf = mido.MidiFile(type=1, ticks_per_beat=TICKS)
    voices = sorted({n.voice for n in notes})
    for k, voice in enumerate(voices):
        track = mido.MidiTrack()
        mf.tracks.append(track)
        if k == 0 and bpm:
            track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm), time=0))
        channel = min(k, 15) if k < 9 else min(k + 1, 15)  # channel 10 is drums
        events: list[tuple[int, int, int, int]] = []  # tick, order (offs first), pitch, velocity
        for n in notes:
            if n.voice != voice:
                continue
            on = round(n.onset * TICKS)
            off = max(on + 1, round((n.onset + n.length) * TICKS))
            events.append((on, 1, n.pitch, max(1, min(127, n.velocity))))
            events.append((off, 0, n.pitch, 0))
        now = 0
        for tick, _, pitch, vel in sorted(events):
            kind = "note_on" if vel else "note_off"
            track.append(
                mido.Message(kind, note=pitch, velocity=vel, channel=channel, time=tick - now)
            )
            now = tick
        track.append(mido.MetaMessage("end_of_track", time=0))
    buf = io.BytesIO()
    mf.save(file=buf)
    end = max(n.onset + n.length for n in notes)
    verdict = verdict_for(tuple(repairs), fragment)
    if confidence is None:
        guessed = sum(1 for r in repairs if r.loss)
        confidence = 0.95 if not guessed else max(0.4, 0.75 - 0.05 * (guessed - 1))
    return MusicResult(
        midi=buf.getvalue(),
        repairs=tuple(repairs),
        verdict=verdict,
        confidence=confidence,
        notes=len(notes),
        tracks=len(voices),
        seconds=round(end * 60.0 / (bpm or DEFAULT_BPM), 3),
        tempo_bpm=bpm,
        source_text=source_text,
    )
