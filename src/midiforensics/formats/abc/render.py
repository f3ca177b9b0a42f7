"""Rendering a tune with music21: MIDI and MusicXML, and what the MIDI holds."""

from __future__ import annotations

import copy
import io

from .fix import _apply, _Edit
from .tokens import _NOTE_PARTS, _pitch_key, _split_tune, _tokenize


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
