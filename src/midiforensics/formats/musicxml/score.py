"""MusicXML salvage: find scores in text, repair what models damage, render to MIDI.

``find_musicxml`` finds extents; ``repair_musicxml`` unescapes one, reads it with the safe
reader in ``xmlsafe`` (no DTD, no entity expansion, no network), repairs it pass by pass
(``repair``, ``rhythm``), checks the notes music21 reads against the notes written, and
renders it with ``scorerender``. Valid MusicXML comes back unchanged with verdict ``intact``.
When the repair changed the text, music21's own reading of the text as found is a candidate
too (``read_plain``): the result never holds fewer notes than a plain reader gets.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

from ...report.models import Repair
from ..base import MusicResult, prefer_plain, verdict_for
from ..xmlsafe import Node, Parsed, parse, serialize
from .find import find_musicxml, unescape
from .repair import (
    Log,
    as_score,
    drop_cut,
    fix_names,
    fix_parts,
    fix_pitches,
    fix_placement,
    parse_step,
)
from .rhythm import fix_meter, fix_rhythm, fix_staves, fix_tempo

__all__ = ["find_musicxml", "repair_musicxml", "written_pitches"]

MAX_TEXT = 32_000_000  # characters; a real score is far smaller
_STEP_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_ENC_RE = re.compile(r"""encoding\s*=\s*["']([^"']*)["']""")


class ScoreUnreadable(ValueError):
    """The text holds notes, but music21 reads neither the repaired nor the plain score: raised
    so that the pipeline reports it (music found is never dropped in silence)."""


def repair_musicxml(text: str) -> MusicResult | None:
    """Repair one MusicXML extent (as found by ``find_musicxml``); None if it holds no score.

    Never worse than a plain reader: when the repair changed anything, music21's reading of
    the text as found is a candidate too, and the one holding more notes is kept."""
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
        return None
    unreadable: ScoreUnreadable | None = None
    try:
        got = _repair(text)
    except (RecursionError, MemoryError):
        got = None
    except ScoreUnreadable as exc:
        got, unreadable = None, exc
    res, heard = got if got is not None else (None, [])
    if res is not None and res.musicxml == text and all(r.kind == "render" for r in res.repairs):
        return res  # the text was not changed: the repaired reading is the plain reading
    plain, plain_heard, refusal = read_plain(text)
    if plain is None and res is None and unreadable is not None:
        raise ScoreUnreadable(f"{unreadable}; a plain reading: {refusal or 'no notes'}")
    if res is not None and res.repairs and res.verdict != "fragment":
        if res.source_text == text:
            found = _compare(plain_heard, refusal, heard)
        else:
            found = _as_found(res.source_text or text, heard)
        res = replace(res, as_found=found)
    return _kept(prefer_plain(plain, res), res)


def _kept(chosen: MusicResult | None, repaired: MusicResult | None) -> MusicResult | None:
    """The plain reading, kept over a repair that found damage, is no longer ``intact``: what
    the plain reader made of the damage (a default pitch, say) is a guess, and is said so."""
    if chosen is None or repaired is None or chosen is repaired:
        return chosen
    damage = [r for r in repaired.repairs if r.kind != "render"][:3]
    if not damage:
        return chosen
    found = "; ".join(f"{r.kind}: {r.reason}" for r in damage)
    note = Repair(
        stage="musicxml",
        kind="plain-reading",
        reason=f"kept music21's own reading of the damaged text (its defaults stand); "
        f"the repair found: {found}",
        offset=damage[0].offset,
        confidence=0.6,
        loss="guessed",
    )
    reps = (note, *chosen.repairs)
    return replace(chosen, repairs=reps, verdict=verdict_for(reps), confidence=0.6)


def read_plain(
    text: str, repairs: tuple[Repair, ...] = ()
) -> tuple[MusicResult | None, list[int], str]:
    """What music21 alone makes of ``text`` as found: (result, pitches, "" or why it refuses).
    Texts with entity declarations are not given to it, nor very large ones."""
    import warnings

    from music21 import converter

    if "<!ENTITY" in text or len(text) > _PLAIN_MAX:
        return None, [], "not given to it"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            score = converter.parseData(text, format="musicxml", forceSource=True)
            heard = [int(round(p.ps)) for n in score.recurse().notes for p in n.pitches]
    except Exception as exc:  # music21 raises many types on damaged input: that is the point
        return None, [], type(exc).__name__
    out = _outputs(score, -1, Log(lambda pos: pos))
    if out is None or not heard:
        return None, heard, "" if heard else "no notes"
    midi, notes, parts, seconds, bpm, log = out
    reps = repairs + tuple(log.repairs)
    return (
        MusicResult(
            midi=midi,
            repairs=reps,
            verdict=verdict_for(reps),
            confidence=min((r.confidence for r in reps), default=1.0),
            notes=notes,
            tracks=parts,
            seconds=seconds,
            tempo_bpm=bpm,
            musicxml=text,
            source_text=text,
        ),
        heard,
        "",
    )


def _repair(text: str) -> tuple[MusicResult, list[int]] | None:
    plain, omap, repairs = unescape(text)
    doc = parse(plain)
    log = Log(omap)
    log.repairs.extend(repairs)
    _log_reader(doc, log)
    fix_names(doc.root, log)
    got = as_score(doc.root, log)
    if got is None:
        return None
    score, fragment = got
    if fragment or score.pos < 0:
        doc.decl, doc.doctype = "", ""
    drop_cut(score, log)
    fix_pitches(score, log)
    if not any(n.name in ("note", "attributes", "direction") for n in score.iter()):
        return None
    fix_parts(score, log)
    fix_rhythm(score, log)
    fix_staves(score, log)
    fix_tempo(score, log)
    fix_meter(score, log)
    fix_placement(score, log)
    decl = _declaration(doc, log)
    if not log.repairs and not doc.truncated:
        xml = plain  # valid input passes through unchanged
    else:
        xml = decl + ("\n" + doc.doctype if doc.doctype else "") + "\n" + serialize(score) + "\n"
    written = written_pitches(score)
    out = _render(xml, log)
    if isinstance(out, str):
        if written:
            raise ScoreUnreadable(f"music21 cannot read or write the repaired score ({out})")
        return None
    midi, notes, parts, seconds, bpm, heard = out
    confidence = min((r.confidence for r in log.repairs), default=1.0)
    if Counter(written) != Counter(heard):
        confidence = min(confidence, 0.5)
    verdict = verdict_for(log.repairs, fragment)
    if verdict in ("intact", "repaired") and (log.lossy or doc.truncated):
        verdict = "salvaged"  # a loss beyond the first hundred repairs of its kind
    result = MusicResult(
        midi=midi,
        repairs=tuple(log.repairs),
        verdict=verdict,
        confidence=confidence,
        notes=notes,
        tracks=parts,
        seconds=seconds,
        tempo_bpm=bpm,
        musicxml=xml,
        source_text=plain,
    )
    return result, heard


_PLAIN_MAX = 2_000_000
_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


def _spell(pitches: list[int], limit: int = 12) -> str:
    names = [f"{_NAMES[p % 12]}{p // 12 - 1}" for p in pitches[:limit]]
    return " ".join(names) + (" …" if len(pitches) > limit else "")


def _as_found(plain: str, repaired: list[int]) -> str:
    """What music21 alone makes of the unescaped text, to show what the repair changed."""
    if "<!DOCTYPE" in plain:
        return ""
    _, heard, refusal = read_plain(plain)
    return _compare(heard, refusal, repaired)


def _compare(heard: list[int], refusal: str, repaired: list[int]) -> str:
    if refusal == "not given to it":
        return ""
    if refusal and refusal != "no notes":
        return f"a plain reader (music21) refuses it ({refusal}); repaired: {_spell(repaired)}"
    if heard == repaired:
        return ""
    return (
        f"a plain reader (music21) gets {len(heard)} notes: {_spell(heard)}; "
        f"repaired: {_spell(repaired)}"
    )


def _log_reader(doc: Parsed, log: Log) -> None:
    for pos, kind, before, after, reason in doc.notes:
        lossy = kind in ("truncated", "limit") and not after
        log.add(pos, kind, before, after, reason, 0.9 if kind != "limit" else 0.5, lossy=lossy)
    for kind, count in doc.overflow().items():
        log.add(-1, kind, "", "", f"{count} repairs of this kind in all (first 100 listed)")


def _declaration(doc: Parsed, log: Log) -> str:
    decl = doc.decl or '<?xml version="1.0" encoding="UTF-8"?>'
    m = _ENC_RE.search(decl)
    if m and m.group(1).lower().replace("_", "-") not in ("utf-8", "utf8"):
        log.add(
            0,
            "declaration",
            decl,
            '<?xml version="1.0" encoding="UTF-8"?>',
            "text is Unicode: declaration says UTF-8",
        )
        decl = '<?xml version="1.0" encoding="UTF-8"?>'
    return decl


def written_pitches(score: Node) -> list[int]:
    """MIDI numbers of the pitched notes as written in the (repaired) tree."""
    out: list[int] = []
    for n in score.iter():
        if n.name != "note" or n.find("pitch") is None:
            continue
        p = n.find("pitch")
        assert p is not None
        st, al, oc = p.find("step"), p.find("alter"), p.find("octave")
        got = parse_step(st.text()) if st is not None else None
        if got is None or oc is None:
            continue
        try:
            octave = int(float(oc.text()))
            alter = float(al.text()) if al is not None else 0.0
        except ValueError:
            continue
        out.append(12 * (octave + 1) + _STEP_PC[got[0]] + round(alter))
    return out


def _render(xml: str, log: Log) -> tuple[bytes, int, int, float, float | None, list[int]] | str:
    """Read the repaired text with music21 and render it; why not, when music21 cannot."""
    import warnings

    from music21 import converter

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            score = converter.parseData(xml, format="musicxml", forceSource=True)
            heard = [int(round(p.ps)) for n in score.recurse().notes for p in n.pitches]
    except Exception as exc:  # music21 raises many types on odd input; the caller says so
        return type(exc).__name__
    out = _outputs(score, 0, log)
    if out is None:
        return "its MIDI writer refuses every part"
    return (*out[:5], heard)


def _outputs(
    score: object, pos: int, log: Log
) -> tuple[bytes, int, int, float, float | None, Log] | None:
    """MIDI and counts for a music21 score; what music21's MIDI writer made us give up (repeats
    not expanded, parts left out) is logged. None when no part can be written."""
    import warnings

    from ..scorerender import stream_to_outputs

    given_up: list[str] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _, midi, notes, parts, seconds, bpm = stream_to_outputs(score, False, given_up)
    except Exception:  # music21 raises many types on odd input; the caller gets None
        return None
    for why in given_up:
        lost = "left out" in why
        log.add(pos, "render", "", "", why, 0.8 if lost else 0.9, loss="lost" if lost else "")
    return midi, notes, parts, seconds, bpm, log
