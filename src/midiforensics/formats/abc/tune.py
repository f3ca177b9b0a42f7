"""ABC notation: find tunes in text and make them playable.

``find_abc`` finds tunes in prose, markdown fences, JSON string values (``\\n`` escapes), and
tunes a model scattered over JSON keys and values, rejoined in document order. A tune needs
notes and either a recognisable header field (``X:``, ``M:``, ``L:``, ``K:``, ``Q:``) or an
``abc`` fence, so ordinary prose and code are not taken for music.

``repair_abc`` fixes what models get wrong (missing headers, letter-name accidentals such as
``Eb2`` and ``F#4``, bars that systematically overflow the meter, text cut off mid-token) and
renders the result with music21. Every change is a ``Repair`` whose offset is a character
index in the tune text given; valid ABC comes back unchanged with verdict ``intact``.
"""

from __future__ import annotations

from ...report.models import Repair
from ..base import MusicResult
from .bars import _fix_bars
from .find import find_abc
from .fix import STAGE, _apply, _fix_body, _fix_headers, _is_note, _Log
from .render import _expected_notes, _midi_stats, _render
from .tokens import _field, _key_accidentals, _split_tune, _tokenize

NAME = "abc"
_MAX_TUNE = 100_000  # characters of one tune that are read
_MAX_NOTES = 2000  # notes of one tune that are rendered (music21 is superlinear)


def _read_limit(text: str) -> tuple[int, str]:
    """Where to stop reading a tune (music21 slows down sharply on very long ones), and why."""
    limit, why = len(text), ""
    if len(text) > _MAX_TUNE:
        limit = text.rfind("\n", 0, _MAX_TUNE) + 1 or _MAX_TUNE
        why = f"tune longer than {_MAX_TUNE} characters; the rest was not read"
    _, body = _split_tune(text[:limit])
    count = 0
    for off, line in body:
        for t in _tokenize(line):
            if _is_note(t):
                count += 1
                if count >= 2 * _MAX_NOTES:
                    return (
                        off + t.end,
                        f"more than {2 * _MAX_NOTES} notes without a bar line; rest not read",
                    )
            elif t.kind == "bar" and count >= _MAX_NOTES:
                return off + t.end, f"tune has more than {_MAX_NOTES} notes; the rest was not read"
    return limit, why


def repair_abc(tune: str) -> MusicResult | None:
    """Repair one ABC tune and render it; None when it holds no notes."""
    if not isinstance(tune, str) or not tune.strip():
        return None
    log = _Log()
    text = tune
    limit, why = _read_limit(text)
    if limit < len(text):
        log.add(limit, len(text), "", "", "truncated", why, 0.5)
    header, body = _split_tune(text[:limit])
    if not body:
        return None
    k = _field(header, "K")
    keysig = _key_accidentals(k[2]) if k is not None else {}
    truncated = _fix_body(body, keysig, log)
    _fix_headers(text, header, body[0][0], log)
    stage1, to_old = _apply(text, log.edits)
    log2 = _Log()
    _fix_bars(stage1, log2)
    final, _ = _apply(stage1, log2.edits)
    repairs = [e.repair for e in log.edits if e.repair is not None]
    for e in log2.edits:
        if e.repair is not None:
            old = to_old(e.start)
            repairs.append(
                Repair(
                    stage=STAGE,
                    kind=e.repair.kind,
                    reason=e.repair.reason,
                    offset=old,
                    before=e.repair.before,
                    after=e.repair.after,
                    confidence=e.repair.confidence,
                )
            )
    repairs.sort(key=lambda r: r.offset or 0)
    final = final.replace("\r\n", "\n")
    if not final.endswith("\n"):
        final += "\n"
    rendered = _render(final)
    if rendered is None:
        return None
    xml, midi, _, parts, _, bpm = rendered
    notes, secs = _midi_stats(midi)
    if notes == 0:
        return None
    confidence = min([r.confidence for r in repairs], default=1.0)
    if notes < _expected_notes(final):
        confidence *= 0.7
    if not repairs:
        verdict = "intact"
    elif truncated or any(r.kind == "truncated" for r in repairs):
        verdict = "salvaged"
    else:
        verdict = "repaired"
    return MusicResult(
        midi=midi,
        repairs=tuple(repairs),
        verdict=verdict,
        confidence=round(confidence, 3),
        notes=notes,
        tracks=parts,
        seconds=secs,
        tempo_bpm=round(bpm, 3) if bpm else None,
        musicxml=xml,
        source_text=final,
    )


__all__ = ["NAME", "find_abc", "repair_abc"]
