"""The note-list handler: melodies written out as note names in prose, lines or tables."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from ..base import Handler, Lost, MusicResult

if TYPE_CHECKING:
    from .names import Found

# how the anchors below spell a note's sign and a duration word (as .names reads them)
_SIGN = r"(?:##|#|bb|b|x|\?{1,2}|[ -]?sharp|[ -]?flat)?"
_DURATION = (
    r"(?:[Dd]otted[ -])?(?:[Ww]hole|[Hh]alf|[Qq]uarter|[Ee]ighth|8th|[Ss]ixteenth|16th"
    r"|[Tt]hirty-second|32nd)"
)
SMALL = 256 * 1024  # a text this short is read whole; a longer one only near "note"
_NEAR = 3000  # characters read on each side of a "note" in a long text


class NoteListHandler(Handler):
    name: ClassVar[str] = "notelist"
    suffix: ClassVar[str] = ".txt"
    reads: ClassVar[str] = "text"
    label: ClassVar[str] = "notes"
    # Something every find holds (signs outside Latin-1, such as U+266F and an en dash,
    # reach the gate as "?"): "note(s)" in any case, or "pitch" (a table's column); a note
    # name with its octave ("C4", "F#3", "B flat 2"), after a break between words or an
    # escaped line break or tab; a note name before its duration ("E (quarter)",
    # "D - eighth", "C4 (1 beat)", "G for 2 beats"). A run of notes holds four at least, all
    # but the first after a separator, so one of them is anchored so.
    anchors: ClassVar[str] = (
        r"ote|[Nn][Oo][Tt][Ee]|[Pp][Ii][Tt][Cc][Hh]"
        rf"|(?:\b|\\[nrt])[A-G]{_SIGN}-?[0-9]\b"
        rf"|[A-G]{_SIGN}[0-8]?[ \t]*[(\[:?-]?[ \t]*{_DURATION}"
        rf"|[A-G]{_SIGN}[0-8]?[ \t]*(?:[(\[][ \t]*\d|(?:[:?-]|for)?[ \t]*\d[\d./]*[ \t]*beat)"
    )
    reach: ClassVar[int] = _NEAR + 400  # and the tempo stated near the notes

    def detect(self, text: str) -> list[tuple[int, int, str]]:
        from .names import TEMPO

        out: list[tuple[int, int, str]] = []
        for f in _finds(text, _windows(text), vetted=False):
            s, e = f.start, f.end
            m = TEMPO.search(text, max(0, s - 400), min(len(text), e + 200))
            if m:  # the tempo stated near the notes goes with them
                s, e = min(s, m.start()), max(e, m.end())
            if not out or s >= out[-1][1]:
                out.append((s, e, text[s:e]))
        return out

    def repair(self, data: str | bytes, lost: Lost) -> MusicResult | None:
        if not isinstance(data, str):
            return None
        from ..notes import piece
        from .names import tempo_near

        finds = _finds(data, [(0, len(data))], vetted=True)
        if not finds:
            return None
        best = max(finds, key=lambda f: len(f.notes))
        if best.bpm is None:  # a table in seconds has its tempo already
            tempo_near(data, best.start, best.end, best)
        return piece(best.notes, best.repairs, best.bpm, source_text=data)


def _windows(text: str) -> list[tuple[int, int]]:
    """Where to look: all of a short text; near each "note"/"Note" in a long one."""
    if len(text) <= SMALL:
        return [(0, len(text))]
    out: list[tuple[int, int]] = []
    at = text.find("ote")
    while at >= 0:
        lo, hi = max(0, at - _NEAR), min(len(text), at + _NEAR)
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
        at = text.find("ote", hi)
    return out


def _finds(text: str, windows: list[tuple[int, int]], vetted: bool) -> list[Found]:
    """Line lists first, then tables, then runs in prose; a later find inside an earlier one
    is the same notes, and dropped."""
    from .prose import find_lines, find_runs
    from .table import find_tables

    got: list[Found] = []
    for lo, hi in windows:
        for f in (
            find_lines(text, lo, hi) + find_tables(text, lo, hi) + find_runs(text, lo, hi, vetted)
        ):
            if not any(f.start < g.end and g.start < f.end for g in got):
                got.append(f)
    return sorted(got, key=lambda f: f.start)
