"""The LilyPond handler: scores a model wrote in LilyPond (fenced, bare, or in a string),
read statically (LilyPond is never run)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, ClassVar

from ..base import Handler, Lost, MusicResult

if TYPE_CHECKING:
    from .reader import Reading

MIN_NOTES = 3
SMALL = 256 * 1024  # a longer text is searched only when it holds a backslash
MAX_REGION = 400_000  # characters of one LilyPond find
# a text holds LilyPond only if it holds one of these (cheap substring tests first)
_MARKERS = ("\\relative", "\\version", "\\score", "\\new ", "\\fixed", "```lilypond", "```ly")
_ANCHOR = re.compile(
    r"\\(?:version|relative|score|fixed|new\s+(?:Staff|PianoStaff|GrandStaff|StaffGroup|Voice))\b"
    r"|```(?:lilypond|ly)[ \t]*\n"
)
_LEAD = re.compile(r"[ \t]*(?:[A-Za-z]+[ \t]*=[ \t]*)?[{<]*[ \t]*")
_GOES_ON = re.compile(r"[ \t]*(?:[\\%{}<>]|[A-Za-z]+[ \t]*=[ \t]*[\\{<\"#])")


class LilyPondHandler(Handler):
    name: ClassVar[str] = "lilypond"
    suffix: ClassVar[str] = ".ly"
    reads: ClassVar[str] = "text"
    label: ClassVar[str] = "ly"
    spans_paragraphs: ClassVar[bool] = True
    anchors: ClassVar[str] = (
        r"\\(?:version|relative|score|fixed|new\s+(?:Staff|PianoStaff|GrandStaff|StaffGroup|Voice))"
        r"|```(?:lilypond|ly)"
    )
    reach: ClassVar[int] = 8000  # a block's notes hold few commands

    def detect(self, text: str) -> list[tuple[int, int, str]]:
        if len(text) > SMALL:  # one cheap test first: no backslash, no LilyPond commands
            if "\\" not in text:
                return []
        elif not any(m in text for m in _MARKERS):
            return []
        found: list[tuple[int, int, str]] = []
        end = 0
        for m in _ANCHOR.finditer(text):
            if m.start() < end:
                continue
            escaped = m.start() > 0 and text[m.start() - 1] == "\\"
            quoted = _json_string(text, m.start()) if escaped else None
            if quoted is not None:  # LilyPond in a JSON string: read it unescaped
                s, e, body = quoted
                end = max(end, e)
                if len(read(body).notes) >= MIN_NOTES:
                    found.append((s, e, body))
                continue
            if m.group(0).startswith("```"):
                s = m.end()
                close = text.find("```", s)
                e = len(text) if close < 0 else close
            else:
                s, e = _region(text, m.start())
            end = max(end, e)
            if len(read(text[s:e]).notes) >= MIN_NOTES:
                found.append((s, e, text[s:e]))
        return found

    def repair(self, data: str | bytes, lost: Lost) -> MusicResult | None:
        if not isinstance(data, str):
            return None
        from ..notes import piece

        got = read(data)
        if len(got.notes) < MIN_NOTES:
            return None
        return piece(got.notes, got.repairs, got.bpm, source_text=data)


_READ: dict[str, Reading] = {}  # the last few readings: repair reads what detect just read


def read(text: str) -> Reading:
    from .reader import read as read_text

    got = _READ.get(text)
    if got is None:
        if len(_READ) >= 4:
            _READ.pop(next(iter(_READ)))
        got = _READ[text] = read_text(text)
    return got


def _region(text: str, at: int) -> tuple[int, int]:
    """The extent of the LilyPond that has an anchor (``\\relative``...) at ``at``: from its
    line's start (when what precedes it there is LilyPond too) while braces are open, and on
    over the lines that go on like LilyPond."""
    line0 = text.rfind("\n", 0, at) + 1
    lead = _LEAD.match(text, line0)
    s = line0 if lead and lead.end() >= at else at
    while s == line0 and line0 > 0:  # \language, \include, \header lines just before it
        prev = text.rfind("\n", 0, line0 - 1) + 1
        if not text[prev:line0].lstrip().startswith(("\\", "%")):
            break
        s = line0 = prev
    depth, closed, pos = 0, False, s
    limit = min(len(text), s + MAX_REGION)
    while pos < limit:
        nl = text.find("\n", pos)
        nl = limit if nl < 0 or nl > limit else nl
        line = text[pos:nl]
        if line.lstrip().startswith("```"):
            return s, pos
        code = _code(line)
        depth += code.count("{") + code.count("<<") - code.count("}") - code.count(">>")
        closed = closed or "}" in code or ">>" in code
        pos = nl + 1
        if depth <= 0 and pos < limit:
            nxt = pos
            while nxt < limit and text[nxt] in " \t\r\n":
                nxt += 1
            ends_open = line.rstrip().endswith(("{", "<<"))
            if (closed or not ends_open) and not _GOES_ON.match(text, nxt):
                return s, nl
    return s, min(pos, limit, len(text))


_JSON_STR = re.compile(r'"(?:[^"\\\n]|\\.)*"')


def _json_string(text: str, at: int) -> tuple[int, int, str] | None:
    """The JSON string around ``at`` (an escaped ``\\relative``): its extent and its text."""
    import json

    q = at
    while True:
        q = text.rfind('"', max(0, at - MAX_REGION), q)
        if q < 0:
            return None
        k = q
        while k > 0 and text[k - 1] == "\\":
            k -= 1
        if (q - k) % 2 == 0:  # not escaped: the string starts here
            break
    m = _JSON_STR.match(text, q)
    if m is None or m.end() <= at:
        return None
    try:
        return q, m.end(), json.loads(m.group(0))
    except ValueError:
        return None


def _code(line: str) -> str:
    """A line without its comment and strings (braces in them do not count)."""
    line = re.sub(r'"(?:[^"\\]|\\.)*"', "", line)
    cut = line.find("%")
    return line if cut < 0 else line[:cut]
