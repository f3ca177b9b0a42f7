"""Rendering a tune with music21: MIDI and MusicXML, and what the MIDI holds."""

from __future__ import annotations

import copy
import io
import re
from dataclasses import dataclass, field
from typing import Any

from ...report.models import Repair
from .tokens import _split_tune, _tokenize


@dataclass
class Rendered:
    """What music21 made of a tune: outputs, and the repairs rendering needed."""

    xml: str
    midi: bytes
    parts: int
    bpm: float | None
    written: int  # notes of the score as written, tied ones once (the MIDI plays repeats out)
    repairs: list[Repair] = field(default_factory=list)


_VOICE_LINE = re.compile(r"^\s*V:\s*(\S+)(.*)$")
_VOICE_INLINE = re.compile(r"^\s*\[V:\s*([^\]\s]+)([^\]]*)\](.*)$")


def grouped_voices(text: str) -> str:
    """The tune with each voice's lines gathered under one ``V:`` line, in order of first use.

    music21 makes a new part of every ``V:`` block and ignores ``[V:1]`` at a line start, so
    interleaved voices (``V:1 … V:2 … V:1 …``) would play one after another or start together
    at bar 1. Gathered, each voice is one part and its notes fall at their ABC onsets."""
    lines = text.splitlines()
    k = next((i for i, x in enumerate(lines) if re.match(r"\s*K:", x)), None)
    if k is None:
        return text
    defs: dict[str, str] = {}
    head: list[str] = []
    for x in lines[:k]:
        m = _VOICE_LINE.match(x)
        if m:
            defs[m.group(1)] = m.group(2)
        else:
            head.append(x)
    order: dict[str, list[str]] = {}
    blocks = inline = 0
    cur: str | None = None
    pre: list[str] = []
    for x in lines[k + 1 :]:
        m = _VOICE_LINE.match(x) or _VOICE_INLINE.match(x)
        if m:
            inline += m.re is _VOICE_INLINE
            vid, rest = m.group(1), m.group(2).strip()
            if rest and vid not in order:
                defs[vid] = " " + rest
            blocks += cur != vid
            cur = vid
            order.setdefault(vid, [])
            if m.re is _VOICE_INLINE and m.group(3).strip():
                order[vid].append(m.group(3))
        elif cur is None:
            pre.append(x)
        else:
            order[cur].append(x)
    if not inline and blocks <= len(order) and len(head) == k:
        return text  # music21 reads it right as it is
    out = head + [lines[k]] + pre
    for vid, body in order.items():
        out.append(f"V:{vid}{defs.get(vid, '')}")
        out += body
    return "\n".join(out) + "\n"


def _without_repeats(score: Any) -> None:
    """Make repeat bar lines plain ones, so that the MIDI writer plays the music as written."""
    from music21 import bar, repeat, spanner

    for b in list(score.recurse().getElementsByClass(bar.Repeat)):
        site = b.activeSite
        if site is not None:
            plain = bar.Barline("regular")
            if site.leftBarline is b:
                site.leftBarline = plain
            elif site.rightBarline is b:
                site.rightBarline = plain
    for cls in (repeat.RepeatExpression, spanner.RepeatBracket):
        for e in list(score.recurse().getElementsByClass(cls)):
            if e.activeSite is not None:
                e.activeSite.remove(e)


def _outputs(score: Any, want_xml: bool, where: int, log: list[Repair]) -> Any:
    """stream_to_outputs, and when music21 cannot expand the repeats, the music as written."""
    from music21.repeat import ExpanderException

    from ..scorerender import stream_to_outputs

    try:
        return stream_to_outputs(score, want_xml)
    except ExpanderException:
        _without_repeats(score)
        log.append(
            Repair(
                stage="abc",
                kind="repeats",
                reason="repeat signs do not pair up (a cut?), so music21 cannot play them out; "
                "written without repeating: repeated passages play once",
                offset=where,
                loss="lost",
            )
        )
        return stream_to_outputs(score, want_xml)


def _parse(text: str, as_written: bool) -> Any:
    from music21 import converter, harmony, meter, stream

    if not as_written:
        text = grouped_voices(text)
    score = converter.parse(text, format="abc")
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
    return score


def render(text: str, as_written: bool = False, want_xml: bool = True) -> Rendered | None:
    """Render a tune with music21; None when it holds no notes or music21 cannot read it.

    ``as_written`` is the plain reading: music21 on the text as it is, with no help. Else ABC
    rules music21 misses are applied first (accidentals carried through a bar, voices
    interleaved in blocks); a voice music21 cannot write is left out with a repair."""
    try:
        score = _parse(text, as_written)
        if not any(True for _ in score.recurse().notes):
            return None
    except Exception:  # music21 raises many types on text it cannot read
        return None
    log: list[Repair] = []
    rep = text.find(":|")
    try:
        out = _outputs(score, want_xml, max(rep, 0), log)
    except Exception:  # one voice music21 cannot write: keep the others
        out = _by_voice(score, text, want_xml, log)
        if out is None:
            return None
    xml, midi, _, parts, _, bpm = out
    written = sum(
        len(n.pitches) for n in score.recurse().notes if n.tie is None or n.tie.type == "start"
    )
    return Rendered(xml, midi, parts, bpm, written, log)


def _by_voice(score: Any, text: str, want_xml: bool, log: list[Repair]) -> Any:
    from music21 import stream

    parts = list(getattr(score, "parts", []))
    if len(parts) < 2:
        return None
    kept = stream.Score()
    for i, p in enumerate(parts):
        try:
            _outputs(copy.deepcopy(p), False, 0, [])
            kept.insert(0, p)
        except Exception:  # music21 raises many types
            m = re.search(r"^\s*\[?V:", text, re.M)
            log.append(
                Repair(
                    stage="abc",
                    kind="voice-dropped",
                    reason=f"music21 cannot write voice {i + 1} to MIDI; the other voices kept",
                    offset=m.start() if m else 0,
                    loss="lost",
                )
            )
    if not kept.parts:
        return None
    try:
        return _outputs(kept, want_xml, 0, log)
    except Exception:  # music21 raises many types
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
