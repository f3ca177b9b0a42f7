"""The gate: one cheap pass over a long text that marks where any finder or text handler could
find something, so that the exact (and slower) searches run on those regions only.

Every text handler and every finder declares ``anchors``: a regular expression that matches
somewhere in anything it can find (a base64 run holds 16 alphabet characters in a row, a
MusicXML score holds tags, an ABC tune holds field lines), and ``reach``: how far around an
anchor its finds and the context it reads may extend. The gate joins all anchors into one
expression and runs it once over the text, as Latin-1 bytes (one byte a character, so offsets
stay character offsets), with google-re2 when it is installed (one DFA pass, several hundred
MB/s) and with the standard library's ``re`` otherwise (the same expression, slower).

A text too short to be worth cutting into regions is searched whole, but only by the handlers
and finders whose anchors it holds (:func:`present`, one pass of a set of all anchors): the
rest could find nothing in it.

Regions are the anchors widened by their reach, merged when they overlap or lie closer than
:data:`JOIN_GAP` (a blob split over two blocks must stay in one region to be stitched), and
snapped to line starts and to the blank line that ends a paragraph (an ABC tune's body holds
no anchor of its own) when one is near.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from .locate.text import newlines

GATE_MIN = 256 * 1024  # shorter texts are searched whole, by those whose anchors they hold
JOIN_GAP = 4000  # regions closer than this are one (the stitcher joins blocks this far apart)
PARAGRAPH_REACH = 64 * 1024  # how far a region's end may move on to the end of its paragraph
SNAP = 1024  # how far a region's start may move back to the start of its line
GROW = 64 * 1024  # how far a region grows at a time when a find reaches its end


class _Engine:
    """The compiled gate. ``scan`` is one expression of all anchors, without groups (a DFA
    scans fastest when it need not track groups); ``owner`` says whose anchor a match of it
    is: the first anchor, in registry order, that matches where it starts (leftmost-first,
    as in the alternation)."""

    def __init__(self, parts: list[tuple[str, str, int]], native: bool) -> None:
        self.groups = tuple((name, reach) for name, _, reach in parts)
        scan = "|".join(f"(?:{a})" for _, a, _ in parts).encode("latin-1")
        # the slow and simple way to say whose: the alternation again, a group per anchor
        whose = "|".join(f"({a})" for _, a, _ in parts).encode("latin-1")
        self._set: Any = None
        self.anywhere: Any = None
        re2 = _re2() if native else None
        if re2 is None:
            self.scan: Any = re.compile(scan)
            self._groups: Any = re.compile(whose)
            return
        options = re2.Options()
        options.max_mem = 64 << 20  # the DFA of all anchors together
        options.encoding = re2.Options.Encoding.LATIN1  # a byte a character, as in ``re``
        self.scan = re2.compile(scan, options)
        self._groups = re2.compile(whose, options)
        # The fast way: a set of all anchors, each after any one character, matched at the
        # start of the match's bytes with the character before it: every anchor that matches
        # there (a DFA, no groups, so a long match costs little). The set sees no text after
        # the match's next byte: an anchor that looks ahead without consuming (\b, $) may
        # match there and not in the text, so such an anchor is checked again in the text.
        self._set = re2.Set.MatchSet(options)
        for _, a, _ in parts:
            self._set.Add(f"(?s:.)(?:{a})".encode("latin-1"))
        self._set.Compile()
        self._alone = [re2.compile(a.encode("latin-1"), options) for _, a, _ in parts]
        self._looks_ahead = ["\\b" in a or "\\B" in a or "$" in a for _, a, _ in parts]
        # every anchor, anywhere in a text, as Python reads it in a str (:func:`present`):
        # UTF-8, its classes of white space and digits spelled out for all of Unicode
        unicode = re2.Options()
        unicode.max_mem = options.max_mem
        self.anywhere = re2.Set.SearchSet(unicode)
        for _, a, _ in parts:
            self.anywhere.Add(_as_python_reads(a))
        self.anywhere.Compile()

    def owner(self, raw: bytes, start: int, end: int) -> int:
        """The index of the anchor whose match of ``scan`` is ``raw[start:end]``."""
        if self._set is not None and start > 0:
            for k in sorted(self._set.Match(raw[start - 1 : end + 1])):
                if not self._looks_ahead[k] or self._alone[k].match(raw, start) is not None:
                    return k
        return self._groups.match(raw, start).lastindex - 1


def _re2() -> Any:
    try:
        import re2  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    return re2


@cache
def _engine(native: bool = True) -> _Engine | None:
    """The gate of every text handler's and finder's anchors; None when one of them declares
    none (then texts are searched whole). ``native=False`` compiles it with the standard
    library even when re2 is there."""
    from .formats import TEXT_HANDLERS
    from .locate import FINDERS

    parts: list[tuple[str, str, int]] = [(h.name, h.anchors, h.reach) for h in TEXT_HANDLERS]
    parts += [(f.name, f.anchors, f.reach) for f in FINDERS]
    if any(not a for _, a, _ in parts):
        return None
    return _Engine(parts, native)


# from, to, the names of the handlers and finders anchored there, the lines before it
Region = tuple[int, int, frozenset[str], int]


def prepare() -> None:
    """Compile the gate now (it is otherwise compiled on first use): worker processes forked
    after this share it instead of each compiling it again."""
    _engine()


def regions(text: str, native: bool = True) -> list[Region] | None:
    """The regions of ``text`` worth searching, in order and disjoint, each with the names of
    the handlers and finders whose anchors are in it (only those are asked there); None when
    the text is short or the gate is off (search it whole, with everything)."""
    if len(text) <= GATE_MIN:
        return None
    engine = _engine(native)
    if engine is None:
        return None
    raw = text.encode("latin-1", "replace")  # a character a byte: offsets stay the same
    n = len(text)
    spans: list[tuple[int, int, int, set[str]]] = []  # from, to, last anchor's end, who
    for m in engine.scan.finditer(raw):
        start, last = m.span()
        name, reach = engine.groups[engine.owner(raw, start, last)]
        lo, hi = max(0, start - reach), min(n, last + reach)
        names = {name}
        # an anchor of long reach may reach back over several spans: they become one
        while spans and lo <= spans[-1][1] + JOIN_GAP:
            a, b, before, more = spans.pop()
            lo, hi, last = min(a, lo), max(b, hi), max(before, last)
            names |= more
        spans.append((lo, hi, last, names))
    out: list[tuple[int, int, frozenset[str]]] = []
    for lo, hi, last, names in spans:
        lo, hi = _snap(text, lo, hi, last)
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(hi, out[-1][1]), out[-1][2] | names)
        else:
            out.append((lo, hi, frozenset(names)))
    lines = at = 0
    counted: list[Region] = []
    for lo, hi, who in out:
        lines += newlines(raw, at, lo)  # in the bytes: several times faster than in the text
        at = lo
        counted.append((lo, hi, who, lines))
    return counted


def present(text: str) -> frozenset[str] | None:
    """The names of the handlers and finders whose anchors match somewhere in ``text`` (a
    text too short to be cut into regions): only those can find anything in it, so only
    those need search it. One pass of re2 over the text, where each handler's own search
    may take a hundred times as long (the note-list finder's, on every message of a chat
    export). None without re2 (the standard library would take a pass an anchor, and every
    handler searches) or for a text that is no valid Unicode."""
    engine = _engine()
    if engine is None or engine.anywhere is None:
        return None
    try:
        raw = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return None
    return _names(engine, tuple(sorted(engine.anywhere.Match(raw) or ())))


@cache
def _names(engine: _Engine, found: tuple[int, ...]) -> frozenset[str]:
    return frozenset(engine.groups[k][0] for k in found)


# What Python's re takes for ``\s`` and ``\d`` in a str, for re2 (whose own know ASCII
# only): white space is category Zs or bidirectional class WS, B or S; a digit, category Nd.
# And what the gate, which reads a text as Latin-1, sees as "?": any character past it.
_WIDER = {
    "s": r"\t\n\x0b\x0c\r\x1c-\x1f \x{85}\p{Zs}\x{2028}\x{2029}",
    "d": r"\p{Nd}",
    "?": r"?\x{100}-\x{10FFFF}",
}


def _as_python_reads(anchor: str) -> str:
    r"""``anchor`` for re2 in UTF-8, matching wherever Python's re matches it in a str, and
    wherever the gate's Latin-1 reading matches it: ``\s`` and ``\d`` spelled out for
    Unicode, and a "?" (how the gate sees a sign such as U+266F) standing for any character
    outside Latin-1 too, in a class or alone. re2's ``\b`` knows fewer word characters than
    Python's, so it finds more word breaks; the anchors use it only beside an ASCII letter
    or digit, where a break Python sees re2 sees too."""
    out: list[str] = []
    in_class = False
    k = 0
    while k < len(anchor):
        ch = anchor[k]
        if ch == "\\" and k + 1 < len(anchor):
            esc = anchor[k + 1]
            if esc in "wB":  # re2's know ASCII only: narrower than Python's, never wider
                raise ValueError(f"an anchor may not use \\{esc} (re2 reads it narrower): {anchor}")
            if esc in _WIDER:
                out.append(_WIDER[esc] if in_class else f"[{_WIDER[esc]}]")
            else:
                out.append(anchor[k : k + 2])
            k += 2
            continue
        if ch == "?" and in_class:
            out.append(_WIDER["?"])
            k += 1
            continue
        if ch == "[" and not in_class:
            in_class = True
            out.append(ch)
            k += 1
            # a ']' first in a class (after any '^') is one of its characters
            if anchor.startswith("^", k):
                out.append("^")
                k += 1
            if anchor.startswith("]", k):
                out.append("]")
                k += 1
            continue
        if ch == "]" and in_class:
            in_class = False
        out.append(ch)
        k += 1
    return "".join(out)


def _snap(text: str, lo: int, hi: int, last: int) -> tuple[int, int]:
    """Move ``lo`` back to its line start (when that is near) and ``hi`` on to its line end or
    to the end of the paragraph the last anchor is in (when that is further and near), so no
    token is cut in two and a tune's body stays with its header."""
    if lo > 0:
        k = text.rfind("\n", max(0, lo - SNAP), lo)
        if k < 0:
            k = text.rfind(" ", max(0, lo - SNAP), lo)
        lo = k + 1 if k >= 0 else max(0, lo - SNAP)
    if hi < len(text):
        k = text.find("\n", hi, hi + SNAP)
        if k < 0:
            k = text.find(" ", hi, hi + SNAP)
        hi = k + 1 if k >= 0 else min(len(text), hi + SNAP)
        m = BLANK_LINE.search(text, last, last + PARAGRAPH_REACH)
        if m and m.end() > hi:
            hi = m.end()
    return lo, hi


BLANK_LINE = re.compile(r"\n[ \t\r]*\n")


__all__ = ["BLANK_LINE", "GATE_MIN", "GROW", "Region", "prepare", "present", "regions"]
