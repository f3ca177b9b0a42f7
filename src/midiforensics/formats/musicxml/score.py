"""MusicXML salvage: find scores in text, repair what models damage, render to MIDI.

``find_musicxml`` finds extents; ``repair_musicxml`` unescapes one, reads it with the safe
reader in ``xmlsafe`` (no DTD, no entity expansion, no network), repairs it pass by pass
(``musicxml_repair``), checks the notes music21 reads against the notes written, and renders
it with ``scorerender``. Valid MusicXML comes back unchanged with verdict ``intact``.
"""

from __future__ import annotations

import re
from collections import Counter

from ..base import MusicResult
from ..xmlsafe import Node, Parsed, parse, serialize
from .find import find_musicxml, unescape
from .repair import (
    Log,
    as_score,
    drop_cut,
    fix_names,
    fix_parts,
    fix_pitches,
    parse_step,
)
from .rhythm import fix_meter, fix_rhythm, fix_tempo

__all__ = ["find_musicxml", "repair_musicxml", "written_pitches"]

MAX_TEXT = 32_000_000  # characters; a real score is far smaller
_STEP_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_ENC_RE = re.compile(r"""encoding\s*=\s*["']([^"']*)["']""")


def repair_musicxml(text: str) -> MusicResult | None:
    """Repair one MusicXML extent (as found by ``find_musicxml``); None if it holds no score."""
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
        return None
    try:
        return _repair(text)
    except (RecursionError, MemoryError):
        return None


def _repair(text: str) -> MusicResult | None:
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
    fix_tempo(score, log)
    fix_meter(score, log)
    decl = _declaration(doc, log)
    if not log.repairs and not doc.truncated:
        xml = plain  # valid input passes through unchanged
    else:
        xml = decl + ("\n" + doc.doctype if doc.doctype else "") + "\n" + serialize(score) + "\n"
    written = written_pitches(score)
    out = _render(xml)
    if out is None:
        return None
    xml_m21, midi, notes, parts, seconds, bpm, heard = out
    del xml_m21  # the repaired text is kept as written, not music21's rewrite
    confidence = min((r.confidence for r in log.repairs), default=1.0)
    if Counter(written) != Counter(heard):
        confidence = min(confidence, 0.5)
    if fragment:
        verdict = "fragment"
    elif log.lossy or doc.truncated:
        verdict = "salvaged"
    else:
        verdict = "repaired" if log.repairs else "intact"
    return MusicResult(
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
        as_found=_as_found(plain, heard) if log.repairs and not fragment else "",
    )


_PLAIN_MAX = 2_000_000
_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


def _spell(pitches: list[int], limit: int = 12) -> str:
    names = [f"{_NAMES[p % 12]}{p // 12 - 1}" for p in pitches[:limit]]
    return " ".join(names) + (" …" if len(pitches) > limit else "")


def _as_found(plain: str, repaired: list[int]) -> str:
    """What music21 alone makes of the unrepaired text, to show what the repair changed in
    the notes. Texts with a DOCTYPE are not given to it (entities), nor very large ones."""
    import warnings

    from music21 import converter

    if "<!DOCTYPE" in plain or "<!ENTITY" in plain or len(plain) > _PLAIN_MAX:
        return ""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            score = converter.parseData(plain, format="musicxml", forceSource=True)
            heard = [int(round(p.ps)) for n in score.recurse().notes for p in n.pitches]
    except Exception as exc:  # music21 raises many types on damaged input: that is the point
        return f"a plain reader (music21) refuses it ({type(exc).__name__}); repaired: {_spell(repaired)}"
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


def _render(xml: str) -> tuple[str, bytes, int, int, float, float | None, list[int]] | None:
    """Read the repaired text with music21 and render it; None when music21 cannot."""
    import warnings

    from music21 import converter

    from ..scorerender import stream_to_outputs

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            score = converter.parseData(xml, format="musicxml", forceSource=True)
            heard = [int(round(p.ps)) for n in score.recurse().notes for p in n.pitches]
            out = stream_to_outputs(score, want_xml=False)
    except Exception:  # music21 raises many types on odd input; the caller gets None
        return None
    return (*out, heard)
