"""The music-code handler: Python that builds MIDI, and Strudel/Tidal patterns, in a text.

Found by keywords first (``addNote``, ``Message(``, ``Note(``, ``note("``, ``n("``), read from
the syntax tree or the mini-notation; nothing is ever run. A find is offered only when notes
were read from it, so code with no notes is left to the other handlers (a hand-written byte
list goes to the byte-array path).
"""

from __future__ import annotations

import re
from typing import ClassVar

from ...report.models import Repair
from ..base import Handler, Lost, MusicResult

_PY_KEY = re.compile(r"addNote\s*\(|Message\s*\(\s*['\"]note_on|\bNote\s*\(|\bChord\s*\(")
_CODE_LINE = re.compile(
    r"^(?:\s*$|\s+\S|(?:import|from|for|while|if|elif|else|def|class|with|try|except|finally|"
    r"return|print|pass|#)\b|[A-Za-z_][\w.\[\]'\"]*\s*(?:[-+*/]?=|\()|[\])}])"
)
MIN_CODE_NOTES = 2
MAX_LINES = 3000
MAX_TRIES = 300  # keyword places looked at in one text (each reads at most a window)
WINDOW = 200_000  # characters looked at around one keyword for its fence


class MusicCodeHandler(Handler):
    name: ClassVar[str] = "musiccode"
    suffix: ClassVar[str] = ".txt"
    reads: ClassVar[str] = "text"
    label: ClassVar[str] = "code"
    spans_paragraphs: ClassVar[bool] = True
    # the calls the readers look for (midiutil, mido, music21, pretty_midi, Strudel's note/n)
    anchors: ClassVar[str] = (
        r"addNote|note_on|Note\s*\(|Chord\s*\("
        r"|(?:^|[^A-Za-z0-9_$]|\\[nt])n(?:ote)?\s*\(?\s*\\?[\"'`]"
    )
    reach: ClassVar[int] = 4000  # the lists and tempo a script sets up before its calls

    def detect(self, text: str) -> list[tuple[int, int, str]]:
        from .find_strudel import find_strudel

        out: list[tuple[int, int, str]] = []
        if "(" not in text and "$" not in text:
            return out  # no call, no Tidal pattern: a quick way out for big encoded texts
        done = tries = 0
        keys = any(k in text for k in ("addNote", "note_on", "Note", "Chord"))
        for m in _PY_KEY.finditer(text) if keys else ():
            if m.start() < done:
                continue
            tries += 1
            if tries > MAX_TRIES:
                break
            region = _region(text, m.start())
            if region is None:
                continue
            s, e, code = region
            done = e
            found = _read(code)
            if found is not None and len(found.notes) >= MIN_CODE_NOTES:
                out.append((s, e, "#python\n" + code))
        taken = list(out)
        for s, e, payload in find_strudel(text):
            if not any(s < te and e > ts for ts, te, _ in taken):
                out.append((s, e, "#strudel\n" + payload))
        return sorted(out)

    def repair(self, data: str | bytes, lost: Lost) -> MusicResult | None:
        if not isinstance(data, str):
            return None
        kind, _, body = data.partition("\n")
        if kind == "#strudel":
            from .find_strudel import strudel_piece

            return strudel_piece(body)
        if kind == "#python":
            return _python_piece(body)
        return None


def _read(code: str):  # type: ignore[no-untyped-def]
    from .python import read_python

    return read_python(code)


def _python_piece(code: str) -> MusicResult | None:
    from ..notearray.read import playable
    from ..notes import Note, piece

    found = _read(code)
    if found is None or not found.notes:
        return None
    repairs: list[Repair] = []
    bpm = found.bpm
    notes = found.notes
    if bpm is not None and not 10 <= bpm <= 1000:
        why = f"the code's tempo ({bpm:g} bpm) is not one a MIDI file holds: written without it"
        repairs.append(
            Repair(stage="musiccode", kind="tempo", reason=why, offset=0, loss="guessed")
        )
        bpm = None
    if found.seconds:  # pretty_midi: seconds, at the file's tempo (its default is 120)
        k = (bpm or 120.0) / 60.0
        bpm = bpm or 120.0
        notes = [Note(n.onset * k, n.pitch, n.length * k, n.velocity, n.voice) for n in notes]
    if found.skipped:
        repairs.append(
            Repair(
                stage="musiccode",
                kind="unread-values",
                reason=f"{found.skipped} note-making calls use values the code computes in a "
                "way not read statically (nothing is run): left out",
                offset=0,
                confidence=0.6,
                loss="lost",
            )
        )
    notes, dropped = playable(notes, "musiccode")
    return piece(notes, repairs + dropped, bpm, source_text=code)


def _region(text: str, at: int) -> tuple[int, int, str] | None:
    """The code around ``at``: its Markdown fence, or the run of code-like lines."""
    open_ = text.rfind("```", max(0, at - WINDOW), at)
    if open_ >= 0:
        body = text.find("\n", open_) + 1
        close = text.find("```", at, at + WINDOW)
        if 0 < body <= at and close > at and text.count("```", open_ + 3, at) == 0:
            fenced = _parsed(text, body, close)
            if fenced is not None:
                return fenced
    line_start = text.rfind("\n", 0, at) + 1
    first = last = line_start
    lines = 0
    while first > 0 and lines < MAX_LINES:  # up over code-like lines
        prev = text.rfind("\n", 0, first - 1) + 1
        if not _CODE_LINE.match(text[prev : first - 1]):
            break
        first, lines = prev, lines + 1
    while last < len(text) and lines < 2 * MAX_LINES:  # down likewise
        nxt = text.find("\n", last)
        nxt = len(text) if nxt < 0 else nxt + 1
        if not _CODE_LINE.match(text[last:nxt].rstrip("\r\n")) and last > line_start:
            break
        last, lines = nxt, lines + 1
    return _parsed(text, first, last)


def _parsed(text: str, s: int, e: int) -> tuple[int, int, str] | None:
    import ast
    import textwrap

    code = textwrap.dedent(text[s:e])
    try:
        ast.parse(code)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    return s, e, code
