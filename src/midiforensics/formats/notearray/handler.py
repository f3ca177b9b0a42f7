"""The note-array handler: JSON, Python/JS literals and CSV rows of notes in a text."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from ..base import Handler, Lost, MusicResult
from .read import MIN_NOTES, PITCH_KEYS, Track

_HEAD = "#notearray "


class NoteArrayHandler(Handler):
    name: ClassVar[str] = "notearray"
    suffix: ClassVar[str] = ".txt"
    reads: ClassVar[str] = "text"
    label: ClassVar[str] = "notes"
    # a list opening on a dict, a tuple, a list, a note name or a MIDI number; a dict of a
    # note; a CSV/TSV row starting with a pitch
    anchors: ClassVar[str] = (
        r"""\[\s*(?:[{(\[]|["'][A-Ga-g]|\d{2,3}\s*,)|\{\s*["']?[A-Za-z_]+["']?\s*:"""
        r"""|(?:^|\n|>)[ \t]*(?:[A-Ga-g][#b]?-?\d|\d{1,3}(?:\.0)?)[ \t]*[,\t][ \t]*-?[\d.]"""
    )
    reach: ClassVar[int] = 1024  # the name and tempo read before a list

    def detect(self, text: str) -> list[tuple[int, int, str]]:
        from . import find

        out: list[tuple[int, int, str]] = []
        for s, e, value, context in find.find_arrays(text):
            name = find.name_before(context)
            bpm = find.tempo_in(value) or find.tempo_before(context)
            tracks = find.tracks_of(value, name or "notes", bpm)
            if music(tracks, keyed=_keyed(value), context=context, name=name):
                out.append((s, e, _head(bpm, name) + text[s:e]))
        for s, e, rows, header in find.csv_runs(text):
            context = text[max(0, s - 400) : s]
            t = find.row_track(rows, "csv", header)
            keyed = bool(header) and any(h in PITCH_KEYS for h in header)
            if t and music([t], keyed=keyed, context=context, name=""):
                out.append((s, e, _head(find.tempo_before(context), "csv") + text[s:e]))
        return sorted(out)

    def repair(self, data: str | bytes, lost: Lost) -> MusicResult | None:
        from ..notes import piece
        from . import find
        from .read import notes_of, playable

        if not isinstance(data, str) or not data.startswith(_HEAD):
            return None
        head, _, body = data.partition("\n")
        ctx = json.loads(head[len(_HEAD) :])
        bpm, name = ctx.get("bpm"), ctx.get("name") or "notes"
        if name == "csv":
            tracks = [
                t
                for _, _, rows, hdr in find.csv_runs(body)
                for t in [find.row_track(rows, "csv", hdr)]
                if t
            ]
        else:
            value = find.parse_literal(body)
            bpm = find.tempo_in(value) or bpm
            tracks = find.tracks_of(value, name, bpm)
        notes, repairs, bpm = notes_of(tracks, bpm)
        notes, dropped = playable(notes, "notearray")
        return piece(notes, repairs + dropped, bpm, source_text=body)


def _head(bpm: float | None, name: str) -> str:
    return _HEAD + json.dumps({"bpm": bpm, "name": name}) + "\n"


def _keyed(value: Any) -> bool:
    """Records with named fields: dicts somewhere in the value."""
    if isinstance(value, dict):
        return True
    return isinstance(value, list) and any(isinstance(r, dict) for r in value[:8])


def music(tracks: list[Track], keyed: bool, context: str, name: str) -> bool:
    """Enough notes, and a sign that they are notes: named fields, note names, a music word
    just before, or a music name for the list."""
    from .find import MUSIC_NAMES, music_context

    pitches = [p for t in tracks for r in t.rows for p in r[0]]
    if len(pitches) < MIN_NOTES or len(set(pitches)) < 2:
        return False
    if keyed:
        return True
    if not all(21 <= p <= 108 for p in pitches):
        return False
    return music_context(context) or bool(name and MUSIC_NAMES.search(name))
