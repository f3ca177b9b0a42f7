"""Render a music21 stream to MusicXML text and MIDI bytes (music21 imported lazily)."""

from __future__ import annotations

import os
import tempfile
from typing import Any


def stream_to_outputs(
    score: Any, want_xml: bool = True
) -> tuple[str, bytes, int, int, float, float | None]:
    """Return (musicxml_text, midi_bytes, notes, parts, seconds, tempo_bpm) for a music21 stream.

    ``want_xml=False`` skips music21's MusicXML writer (the text comes back empty): it spells
    accidentals note by note against every earlier note of the measure, which takes minutes on
    a measure of thousands of notes, and a MusicXML input keeps its own repaired text anyway."""
    from music21 import midi as m21midi
    from music21 import tempo as m21tempo

    notes = sum(len(n.pitches) for n in score.recurse().notes)
    parts = len(getattr(score, "parts", [])) or 1
    marks = list(score.recurse().getElementsByClass(m21tempo.MetronomeMark))
    bpm = float(marks[0].getQuarterBPM()) if marks and marks[0].number else None
    secs = float(score.highestTime) * 60.0 / (bpm or 120.0)
    mf = m21midi.translate.music21ObjectToMidiFile(score)
    midi_bytes = mf.writestr()
    if not want_xml:
        return "", midi_bytes, notes, parts, secs, bpm
    fd, tmp = tempfile.mkstemp(suffix=".musicxml")
    os.close(fd)
    try:
        score.write("musicxml", fp=tmp)
        with open(tmp, encoding="utf-8") as fh:
            xml = fh.read()
    finally:
        os.unlink(tmp)
    return xml, midi_bytes, notes, parts, secs, bpm
