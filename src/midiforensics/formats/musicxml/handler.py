"""The MusicXML handler: scores written inline in a text."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from typing import ClassVar

from ...report.models import Repair
from ..base import Handler, Lost, MusicResult

_INLINE_CODE = re.compile(r"`</?[A-Za-z][^`\n]{0,80}>`")


class MusicXMLHandler(Handler):
    name: ClassVar[str] = "musicxml"
    suffix: ClassVar[str] = ".musicxml"
    reads: ClassVar[str] = "text"
    label: ClassVar[str] = "xml"
    spans_paragraphs: ClassVar[bool] = True
    anchors: ClassVar[str] = r"<[A-Za-z!?/]|&lt;|&amp;lt;|\\u003[cC]"  # tags, raw or escaped

    def detect(self, text: str) -> list[tuple[int, int, str]]:
        from .find import find_musicxml  # not .score: that pulls in the whole repair

        # tags quoted inline in Markdown prose (a tutorial: "use `<step>` and `<octave>`") are
        # not a score; a backtick inside a score's text (a title) is just a character
        return [
            (s, e, text[s:e]) for s, e in find_musicxml(text) if not _INLINE_CODE.search(text, s, e)
        ]

    def incomplete(self, data: bytes) -> bool:
        head = data[:4096]
        return any(
            tag in head and b"</" + tag[1:] not in data
            for tag in (b"<score-partwise", b"<score-timewise")
        )

    def repair(self, data: str | bytes, lost: Lost) -> MusicResult | None:
        from .score import repair_musicxml

        return repair_musicxml(data) if isinstance(data, str) else None

    def combine(self, found: list[tuple[int, MusicResult]]) -> list[tuple[int, MusicResult]]:
        return tempo_from_fragments(found)


def tempo_from_fragments(found: list[tuple[int, MusicResult]]) -> list[tuple[int, MusicResult]]:
    """A score with no tempo, followed in the same text by a fragment that only sets one
    ("to set the tempo, add this <attributes> block"), gets that tempo: the text asks for it."""
    out = list(found)
    for i, (s, res) in enumerate(out):
        if res.verdict == "fragment" or res.tempo_bpm is not None or res.notes <= 0:
            continue
        later = [f for f in out[i + 1 :] if f[1].verdict == "fragment" and f[1].tempo_bpm]
        if not later:
            continue
        fs, frag = later[0]
        bpm = float(frag.tempo_bpm or 0)
        midi = _with_tempo(res.midi, bpm)
        if midi is None:
            continue
        fix = Repair(
            stage="musicxml",
            kind="tempo-from-fragment",
            reason=f"the score sets no tempo; the fragment after it sets {bpm:g} bpm: applied",
            offset=fs - s,
            after=f"{bpm:g} bpm",
            confidence=0.8,
        )
        out[i] = (
            s,
            replace(
                res,
                midi=midi,
                tempo_bpm=bpm,
                repairs=(*res.repairs, fix),
                musicxml=_xml_with_tempo(res.musicxml, bpm),
                verdict="repaired" if res.verdict == "intact" else res.verdict,
            ),
        )
    return out


def _with_tempo(smf: bytes, bpm: float) -> bytes | None:
    """``smf`` with its (default) tempo set to ``bpm`` at the start; None if it cannot be read."""
    import mido

    try:
        mf = mido.MidiFile(file=io.BytesIO(smf))
        tempo = mido.bpm2tempo(bpm)
        for track in mf.tracks:
            for i, msg in enumerate(track):
                if msg.type == "set_tempo":
                    track[i] = msg.copy(tempo=tempo)
        if not any(m.type == "set_tempo" for t in mf.tracks for m in t):
            mf.tracks[0].insert(0, mido.MetaMessage("set_tempo", tempo=tempo, time=0))
        buf = io.BytesIO()
        mf.save(file=buf)
        return buf.getvalue()
    except (OSError, EOFError, ValueError, KeyError, IndexError):
        return None


_FIRST_MEASURE = re.compile(r"<measure\b[^>]*>")


def _xml_with_tempo(xml: str | None, bpm: float) -> str | None:
    if xml is None:
        return None
    m = _FIRST_MEASURE.search(xml)
    if m is None:
        return xml
    sound = (
        '<direction placement="above"><direction-type><words/></direction-type>'
        f'<sound tempo="{bpm:g}"/></direction>'
    )
    return xml[: m.end()] + sound + xml[m.end() :]
