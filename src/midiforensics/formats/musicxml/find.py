"""Find MusicXML in any text, and peel the escaping layers off what was found.

Tags are found by one linear regex over the text (raw ``<``, ``&lt;``, ``&amp;lt;`` or a JSON
``\\u003c``), grouped into runs broken by fences, ``<code>``/``<pre>`` tags, prose, a score's
end tag or a new ``<?xml``; a run is MusicXML when it holds enough of the vocabulary.
"""

from __future__ import annotations

import bisect
import re

from ...locate.text import (
    BACKSLASH_ESCAPE,
    BACKSLASH_TABLE,
    HTML_ESCAPE,
    HTML_TABLE,
    OffsetMap,
    sub_mapped,
)
from ...report.models import Repair
from .vocab import ROOTS, VOCAB

_TAG_RE = re.compile(r"(<|&lt;|&amp;lt;|\\u003[cC])([/?!]?)([A-Za-z][A-Za-z0-9_.:-]{0,60})")
_TAG_STARTS = ("<", "&", "\\u003")  # what every match of _TAG_RE starts with
_BREAK_TAGS = frozenset({"code", "pre", "html", "body", "div", "br", "script", "style"})
_WEAK = frozenset(
    [
        "p",
        "f",
        "n",
        "mp",
        "mf",
        "pp",
        "ff",
        "text",
        "link",
        "image",
        "time",
        "type",
        "key",
        "sign",
        "line",
        "words",
        "footnote",
        "group",
        "offset",
        "staff",
        "voice",
        "bar",
        "display-text",
        "level",
        "symbol",
        "frame",
        "function",
        "kind",
        "root",
        "bass",
        "prefix",
        "suffix",
        "source",
        "relation",
        "rights",
        "encoding",
        "software",
        "feature",
        "print",
        "sound",
        "listen",
        "play",
        "wait",
        "open",
        "solo",
        "ensemble",
        "string",
        "step",
        "first",
        "second",
        "degree",
    ]
)
_PROSE_WORD_RE = re.compile(r"[A-Za-z]{2,}[,.;:!?]?\s")
_TAG_WINDOW = 4096  # how far a tag's '>' may be from its '<'


def root_like(name: str) -> str | None:
    """The score root a (possibly misspelt) name stands for."""
    from ..xmlsafe import edit_distance  # imported once a text has tags, not at start

    low = name.lower()
    for r in ROOTS:
        if low == r or edit_distance(low, r, 3) <= 3:
            return r
    return None


def _tag_end(text: str, start: int, opener: str) -> int:
    """End of the tag token whose name ends at ``start`` (its '>' included), or ``start``."""
    if opener == "<":
        k = text.find(">", start, start + _TAG_WINDOW)
        if k < 0 or text.find("<", start, k) >= 0:
            return start
        return k + 1
    gt = {"&lt;": "&gt;", "&amp;lt;": "&amp;gt;"}.get(opener, "\\u003e")
    k = text.find(gt, start, start + _TAG_WINDOW)
    if k < 0 and gt == "\\u003e":
        gt = ">"
        k = text.find(gt, start, start + _TAG_WINDOW)
    return k + len(gt) if k >= 0 else start


def _gap_breaks(text: str, start: int, end: int, in_root: bool = False) -> bool:
    """Whether the text between two tags is a fence or prose (not score content). Inside a
    score's root element only a fence breaks: the text there is the score's own."""
    gap = text[start:end]
    if "```" in gap:
        return True
    if in_root:
        return False
    if end - start > 2000:
        return True
    g = gap.replace("\\n", " ").replace("\\t", " ").strip()
    if len(g) > 160:
        return True
    return len(g) > 40 and len(_PROSE_WORD_RE.findall(g + " ")) >= 6


def find_musicxml(text: str) -> list[tuple[int, int]]:
    """[start, end) extents of MusicXML (score or fragment, raw or escaped) in ``text``.

    A score is one element tree: once its root element is open, what follows is the score's
    (prose in ``<rights>`` or a comment, processing instructions) until its end tag. Only a
    fence, an HTML break tag, a new ``<?xml`` declaration or a new root ends it early."""
    if not isinstance(text, str) or not any(c in text for c in _TAG_STARTS):
        return []  # no tag can start anywhere (a quick look: _TAG_RE scans slowly)
    runs: list[list[tuple[int, int, str, str]]] = []  # (start, end, kind, name)
    cur: list[tuple[int, int, str, str]] = []
    elements = 0  # element tags (not <?xml or <!DOCTYPE) in the current run
    in_root = False  # inside an open score root element
    last_end = -1
    for m in _TAG_RE.finditer(text):
        start, opener, kind, name = m.start(), m.group(1), m.group(2), m.group(3)
        if start < last_end:
            continue  # a '<' inside the previous tag (an attribute value)
        low = name.lower()
        end = _tag_end(text, m.end(), opener.lower())
        brk = bool(cur) and _gap_breaks(text, last_end, start, in_root)
        if low in _BREAK_TAGS:
            if cur:
                runs.append(cur)
            cur, elements, in_root, last_end = [], 0, False, end
            continue
        if kind == "?":
            brk = brk or (elements > 0 and (low == "xml" or not in_root))
        elif kind == "!" and low == "doctype":
            brk = brk or elements > 0
        elif kind == "" and elements and root_like(low):
            brk = True
        if brk:
            runs.append(cur)
            cur, elements, in_root = [], 0, False
        cur.append((start, end, kind, low))
        elements += kind in ("", "/")
        last_end = end
        if kind == "" and root_like(low) and not text[start:end].rstrip(">").endswith("/"):
            in_root = True
        if kind == "/" and root_like(low):
            runs.append(cur)
            cur, elements, in_root = [], 0, False
    if cur:
        runs.append(cur)
    return [(r[0][0], r[-1][1]) for r in runs if _is_musicxml(r)]


def _is_musicxml(run: list[tuple[int, int, str, str]]) -> bool:
    names = {n for _, _, k, n in run if k in ("", "/")}
    vocab = {n for n in names if n in VOCAB}
    strong = vocab - _WEAK
    closes = sum(1 for _, _, k, _ in run if k == "/")
    if any(root_like(n) for n in names) and len(vocab) >= 2 and closes >= 1:
        return True
    return len(vocab) >= 3 and len(strong) >= 2 and closes >= 2


# ---------------------------------------------------------------- unescaping


_RAW_TAG_RE = re.compile(r"</?[A-Za-z]")
_ESC_TAG_RE = re.compile(r"&lt;/?[A-Za-z]")
_ESC2_TAG_RE = re.compile(r"&amp;lt;/?[A-Za-z]")
_BS_TRIGGER_RE = re.compile(r"\\n|\\t|=\\\"|\\u003[cC]")


def unescape(text: str) -> tuple[str, OffsetMap, list[Repair]]:
    """Undo HTML escaping (also doubled), and literal \\n \\t \\" escapes, as many layers as
    there are (at most four). Returns the text, a map to the input's offsets, and repairs."""
    omap = OffsetMap()
    repairs: list[Repair] = []
    for _ in range(4):
        raw = len(_RAW_TAG_RE.findall(text, 0, 200_000))
        esc = len(_ESC_TAG_RE.findall(text, 0, 200_000))
        esc += len(_ESC2_TAG_RE.findall(text, 0, 200_000))
        hits = len(_BS_TRIGGER_RE.findall(text, 0, 200_000))
        if esc > raw:
            first = text.find("&")
            pattern, table, conf = HTML_ESCAPE, HTML_TABLE, 0.98
            reason = "markup was HTML-escaped (&lt; for <): unescaped"
        elif hits >= 2 or (hits and "\n" not in text):
            m = _BS_TRIGGER_RE.search(text)
            first = m.start() if m else 0
            pattern, table, conf = BACKSLASH_ESCAPE, BACKSLASH_TABLE, 0.97
            reason = 'text held literal escapes (\\n, \\t, \\"): unescaped'
        else:
            break
        new, a, b = sub_mapped(text, pattern, table)
        repairs.append(
            Repair(
                stage="musicxml",
                kind="unescape",
                reason=reason,
                offset=omap(first),
                before=text[first : first + 30],
                after=_at(new, first, a, b),
                confidence=conf,
            )
        )
        omap.add(a, b)
        text = new
    return text, omap, repairs


def _at(new: str, old_first: int, a: list[int], b: list[int]) -> str:
    """The unescaped text at the place that was ``old_first`` before the layer."""
    i = bisect.bisect_right(b, old_first) - 1
    start = a[i] + (old_first - b[i]) if i >= 0 else 0
    return new[start : start + 30]
