"""Render a music21 stream to MusicXML text and MIDI bytes (music21 imported lazily)."""

from __future__ import annotations

import copy
import os
import re
import tempfile
from typing import Any


def stream_to_outputs(
    score: Any, want_xml: bool = True, given_up: list[str] | None = None
) -> tuple[str, bytes, int, int, float, float | None]:
    """Return (musicxml_text, midi_bytes, notes, parts, seconds, tempo_bpm) for a music21 stream.

    ``want_xml=False`` skips music21's MusicXML writer (the text comes back empty): it spells
    accidentals note by note against every earlier note of the measure, which takes minutes on
    a measure of thousands of notes, and a MusicXML input keeps its own repaired text anyway.

    With ``given_up`` (a list), a score music21's MIDI writer refuses is written anyway, giving
    up what it must (see ``midi_with_fallbacks``); what was given up is appended to the list.
    Without it, the writer's exception propagates."""
    from music21 import tempo as m21tempo

    notes = sum(len(n.pitches) for n in score.recurse().notes)
    parts = len(getattr(score, "parts", [])) or 1
    marks = list(score.recurse().getElementsByClass(m21tempo.MetronomeMark))
    bpm = float(marks[0].getQuarterBPM()) if marks and marks[0].number else None
    secs = float(score.highestTime) * 60.0 / (bpm or 120.0)
    if given_up is None:
        midi_bytes = _midi(score)
    else:
        midi_bytes, notes, parts = midi_with_fallbacks(score, given_up)
    if not want_xml:
        return "", midi_bytes, notes, parts, secs, bpm
    fd, tmp = tempfile.mkstemp(suffix=".musicxml")
    os.close(fd)
    try:
        score.write("musicxml", fp=tmp)
        with open(tmp, encoding="utf-8") as fh:
            xml = _stable_ids(fh.read())
    finally:
        os.unlink(tmp)
    return xml, midi_bytes, notes, parts, secs, bpm


_RANDOM_ID = re.compile(r"\b([PI])([0-9a-f]{32})\b")
_ID_VALUE = re.compile(r'\bid="([^"]*)"')


def _stable_ids(xml: str) -> str:
    """music21 makes up part and instrument ids from random numbers when a score has none;
    they are numbered in order instead (P1, P1-I1, ...), so the same input writes the same
    file in any process."""
    names: dict[str, str] = {}
    taken = set(_ID_VALUE.findall(xml))  # ids the score has of its own stay its own

    def name(m: re.Match[str]) -> str:
        key = m.group(0)
        if key not in names:
            k = 1
            while f"{m.group(1)}{k}" in taken:
                k += 1
            names[key] = f"{m.group(1)}{k}"
            taken.add(names[key])
        return names[key]

    return _RANDOM_ID.sub(name, xml)


def _midi(score: Any) -> bytes:
    from music21 import midi as m21midi

    return bytes(m21midi.translate.music21ObjectToMidiFile(score).writestr())


def _why(exc: Exception) -> str:
    return f"{type(exc).__name__}: {str(exc)[:80]}" if str(exc) else type(exc).__name__


def without_repeats(score: Any) -> Any:
    """A copy of ``score`` with repeat barlines, repeat expressions (D.C., segno, coda…) and
    volta brackets taken out, so that music21 writes the measures once, as they stand."""
    from music21 import bar, repeat, spanner, stream

    s = copy.deepcopy(score)
    for m in list(s.recurse().getElementsByClass(stream.Measure)):
        for side in ("leftBarline", "rightBarline"):
            if isinstance(getattr(m, side), bar.Repeat):
                setattr(m, side, None)
    gone = list(s.recurse().getElementsByClass((repeat.RepeatExpression, spanner.RepeatBracket)))
    for el in gone:
        site = el.activeSite
        if site is not None:
            site.remove(el)
    return s


def midi_with_fallbacks(score: Any, given_up: list[str]) -> tuple[bytes, int, int]:
    """(midi_bytes, notes, parts) for ``score``, with repeats expanded when music21 can; else
    with repeats written as they stand; else with the parts music21 refuses left out. Each
    step back is described in ``given_up``. Raises when no part can be written."""
    from music21 import stream

    try:
        data = _midi(score)
        return data, _count(score), len(getattr(score, "parts", [])) or 1
    except Exception as exc:  # music21's writer raises many types on odd scores
        first = _why(exc)
    flat = without_repeats(score)
    try:
        data = _midi(flat)
        given_up.append(
            f"repeats could not be expanded ({first}): MIDI written with each measure once, "
            "repeats not played"
        )
        return data, _count(flat), len(getattr(flat, "parts", [])) or 1
    except Exception:  # a part itself is refused: try the parts one by one
        pass
    parts = list(getattr(flat, "parts", []))
    kept = stream.Score()
    for i, part in enumerate(parts):
        try:
            _midi(part)
        except Exception as exc:
            name = part.partName or part.id or f"part {i + 1}"
            given_up.append(f"music21 cannot write part {name!r} to MIDI ({_why(exc)}): left out")
            continue
        kept.insert(0, part)
    if not kept.parts:
        raise ValueError(f"music21 cannot write any part of this score to MIDI ({first})")
    return _midi(kept), _count(kept), len(kept.parts)


def _count(score: Any) -> int:
    return sum(len(n.pitches) for n in score.recurse().notes)
