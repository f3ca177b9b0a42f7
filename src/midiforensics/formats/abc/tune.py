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

from collections.abc import Callable
from dataclasses import replace

from ...report.models import Repair
from ..base import MusicResult, prefer_plain, verdict_for
from .bars import _fix_bars
from .find import find_abc
from .fix import _apply, _fix_body, _fix_headers, _is_note, _Log, _split_flattened
from .render import _expected_notes, _midi_stats, grouped_voices, render
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


def _moved(rep: Repair, offset: int) -> Repair:
    return replace(rep, offset=offset)


def _repaired(tune: str) -> tuple[str, list[Repair], Callable[[int], int]] | None:
    """The repaired tune text, its repairs (offsets in ``tune``), and final -> tune offsets."""
    log = _Log()
    text, flat = _split_flattened(tune)
    limit, why = _read_limit(text)
    if limit < len(text):
        log.add(limit, len(text), "", "", "truncated", why, 0.5, "lost")
    header, body = _split_tune(text[:limit])
    if not body:
        return None
    k = _field(header, "K")
    keysig = _key_accidentals(k[2]) if k is not None else {}
    _fix_body(body, keysig, log)
    _fix_headers(text, header, body[0][0], log)
    stage1, to_old1 = _apply(text, log.edits)
    log2 = _Log()
    _fix_bars(stage1, log2)
    final, to_old2 = _apply(stage1, log2.edits)
    repairs = flat + [e.repair for e in log.edits if e.repair is not None]
    repairs += [_moved(e.repair, to_old1(e.start)) for e in log2.edits if e.repair is not None]
    repairs.sort(key=lambda r: r.offset or 0)
    final = final.replace("\r\n", "\n")
    if not final.endswith("\n"):
        final += "\n"
    return final, repairs, lambda p: to_old1(to_old2(min(p, len(final) - 1)))


def _result(
    text: str,
    repairs: list[Repair],
    to_old: Callable[[int], int],
    as_written: bool,
    want_xml: bool = True,
) -> tuple[MusicResult, int] | None:
    """The rendered piece, and how many notes its score holds as written."""
    rendered = render(text, as_written=as_written, want_xml=want_xml)
    if rendered is None:
        return None
    notes, secs = _midi_stats(rendered.midi)
    if notes == 0:
        return None
    repairs = sorted(
        repairs + [_moved(r, to_old(r.offset or 0)) for r in rendered.repairs],
        key=lambda r: r.offset or 0,
    )
    confidence = min([r.confidence for r in repairs], default=1.0)
    if notes < _expected_notes(text):
        confidence *= 0.7
    res = MusicResult(
        midi=rendered.midi,
        repairs=tuple(repairs),
        verdict=verdict_for(repairs),
        confidence=round(confidence, 3),
        notes=notes,
        tracks=rendered.parts,
        seconds=secs,
        tempo_bpm=round(rendered.bpm, 3) if rendered.bpm else None,
        musicxml=rendered.xml,
        source_text=text,
    )
    return res, rendered.written


def repair_abc(tune: str) -> MusicResult | None:
    """Repair one ABC tune and render it; None when it holds no notes.

    Never worse than a plain reader: when the repair changed the text, music21's reading of
    the tune as found is a candidate too, and ``prefer_plain`` keeps whichever holds more."""
    if not isinstance(tune, str) or not tune.strip():
        return None
    done = _repaired(tune)
    if done is None:
        return None
    final, repairs, to_old = done
    if grouped_voices(final) != final:
        repairs = [*repairs, _GATHERED]
    repaired = _result(final, repairs, to_old, as_written=False)
    if not repairs or any(r.kind == "truncated" and not r.before for r in repairs):
        return repaired[0] if repaired else None  # unchanged, or too long to read whole
    plain = _result(tune, [], lambda p: p, as_written=True, want_xml=False)
    if repaired is not None and (
        plain is None or repaired[1] + _dropped_on_purpose(repairs) >= plain[1]
    ):
        return repaired[0]  # every written note the plain reading has is kept or said dropped
    best = prefer_plain(plain[0] if plain else None, repaired[0] if repaired else None)
    if best is not None and not best.musicxml:  # the plain reading won: write its score too
        full = _result(tune, [], lambda p: p, as_written=True)
        best = replace(best, musicxml=full[0].musicxml if full else None)
    return best


_GATHERED = Repair(
    stage="abc",
    kind="voices-gathered",
    reason="voices written in alternating blocks are gathered into one part each, so they "
    "play together (music21 alone plays the blocks one after another)",
    offset=0,
    confidence=0.9,
)


def _dropped_on_purpose(repairs: list[Repair]) -> int:
    """Notes a plain reader finds that the repairs removed and said why: the ``b`` of a
    letter-name flat (``Eb`` is one note, not E then b), text that is not ABC, a cut-off end."""
    count = 0
    for r in repairs:
        if r.kind == "accidental" and r.after.startswith("_") and r.before[1:2] == "b":
            count += 1
        elif r.kind in ("not-abc", "truncated"):
            # a token cut off ("^", "[CE") is at most one note (a chord) that music21 may read
            notes = sum(1 for t in _tokenize(r.before) if _is_note(t))
            count += 1 if r.kind == "truncated" else notes
    return count


__all__ = ["NAME", "find_abc", "repair_abc"]
