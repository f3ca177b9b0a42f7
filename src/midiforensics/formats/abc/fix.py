"""Repairing tune text: edits with offsets, headers, letter-name accidentals, cut-off ends."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from ...report.log import RepairLog
from ...report.models import Repair
from .find import _OPEN_CHORD
from .tokens import _NOTE_PARTS, _field, _fraction, _pitch_key, _Tok, _tokenize, flattened

STAGE = "abc"


@dataclass
class _Edit:
    start: int
    end: int
    text: str
    repair: Repair | None = None


def _apply(text: str, edits: list[_Edit]) -> tuple[str, Callable[[int], int]]:
    """Apply edits (an overlapping one is skipped); return the new text and new -> old offsets."""
    out: list[str] = []
    marks: list[tuple[int, int, int, int]] = []  # (new_start, new_end, old_start, old_end)
    pos = new_len = 0
    for e in sorted(edits, key=lambda e: (e.start, e.end)):
        if e.start < pos:
            continue
        out.append(text[pos : e.start])
        new_len += e.start - pos
        marks.append((new_len, new_len + len(e.text), e.start, e.end))
        out.append(e.text)
        new_len += len(e.text)
        pos = e.end
    out.append(text[pos:])

    def to_old(p: int) -> int:
        shift = 0
        for ns, ne, os_, oe in marks:
            if p < ns:
                break
            if p < ne:
                return os_
            shift = ne - oe
        return p - shift

    return "".join(out), to_old


class _Log:
    """The ABC stage's edits to the tune's text, each with the repair a :class:`RepairLog`
    recorded for it."""

    def __init__(self) -> None:
        self.edits: list[_Edit] = []
        self.log = RepairLog(STAGE)

    def add(
        self,
        start: int,
        end: int,
        new: str,
        before: str,
        kind: str,
        reason: str,
        confidence: float = 1.0,
        loss: str = "",
    ) -> None:
        rep = self.log.record(kind, reason, start, before, new, confidence, loss)
        self.edits.append(_Edit(start, end, new, rep))


def _fix_headers(text: str, header: list[tuple[int, str]], body_start: int, log: _Log) -> None:
    if _field(header, "X") is None:
        log.add(0, 0, "X:1\n", "", "header", "no X: reference number; assumed X:1")
    k = _field(header, "K")
    where = k[0] if k is not None else body_start
    if _field(header, "L") is None:
        m = _field(header, "M")
        meter = _fraction(m[2]) if m is not None else None
        unit = "1/16" if meter is not None and meter < Fraction(3, 4) else "1/8"
        said = f"M:{m[2]}" if m is not None else "a tune without M:"
        log.add(
            where,
            where,
            f"L:{unit}\n",
            "",
            "header",
            f"no L: unit note length; assumed the ABC default for {said}, L:{unit}",
            0.9,
            "guessed",
        )
    if _field(header, "M") is None:
        log.add(
            where,
            where,
            "M:4/4\n",
            "",
            "header",
            "no M: meter; assumed M:4/4 (music21's default: bar lines fall every 4/4, the "
            "notes and their lengths do not change)",
            0.9,
            "guessed",
        )
    if k is None:
        log.add(
            body_start,
            body_start,
            "K:C\n",
            "",
            "header",
            "no K: key field; assumed K:C (notes play as written, no key signature)",
            0.7,
            "guessed",
        )


def _is_note(t: _Tok) -> bool:
    return t.kind in ("note", "lettacc")


def _flat_candidate(toks: list[_Tok], i: int, lower: bool = False) -> bool:
    """Token i and i+1 read as a letter-name flat: a lone capital (or, with ``lower``, a lone
    small letter: ``eb``), then b, then no note."""
    t = toks[i]
    if not (t.kind == "note" and len(t.text) == 1 and i + 1 < len(toks)):
        return False
    if not (t.text.isupper() or lower):
        return False
    nxt = toks[i + 1]
    if nxt.kind != "note" or nxt.text[0] != "b":
        return False
    if i and _is_note(toks[i - 1]) and toks[i - 1].end == t.start:
        return False
    after = toks[i + 2] if i + 2 < len(toks) else None
    return (
        after is None
        or after.kind in ("bar", "cclose", "space", "comment")
        or after.text in (")", "-")
    )


def _flat_mode(lines: list[tuple[int, str, list[_Tok]]]) -> tuple[bool, bool]:
    """(spaced, lower): whether letter-name flats are read in this tune, and small ones too.

    Letter-name flats ("Eb2") are ambiguous with E followed by b: convert only in tunes that
    write one note per token, and only a standalone token. A small letter then b ("eb", "bb")
    is taken for a flat only in a tune that also spells a capital letter-name accidental
    ("Bb", "F#"): its writer used note names."""
    lower = any(
        t.kind == "lettacc" or _flat_candidate(toks, k)
        for _, _, toks in lines
        for k, t in enumerate(toks)
    )
    separated = adjacent = 0
    for _, _, toks in lines:
        for k, (a, b) in enumerate(zip(toks, toks[1:], strict=False)):
            if _flat_candidate(toks, k, lower):
                separated += 1
            elif _is_note(a) and not (k and _flat_candidate(toks, k - 1, lower)):
                if _is_note(b) and b.start == a.end:
                    adjacent += 1
                else:
                    separated += 1
    return separated >= 3 * adjacent, lower


def _letter_sharp(off: int, t: _Tok, log: _Log) -> tuple[str, int]:
    m = _NOTE_PARTS.match(t.text.replace("#", ""))
    assert m is not None
    new = "^" * t.text.count("#") + t.text.replace("#", "")
    log.add(
        off + t.start,
        off + t.end,
        new,
        t.text,
        "accidental",
        f"letter-name sharp {t.text!r} is not ABC; written as {new!r}",
        0.95,
    )
    return _pitch_key(m.group(2), m.group(3))


def _letter_flat(off: int, t: _Tok, nxt: _Tok, log: _Log) -> tuple[str, int]:
    before = t.text + nxt.text
    new = "_" + t.text + nxt.text[1:]
    log.add(
        off + t.start,
        off + nxt.end,
        new,
        before,
        "accidental",
        f"letter-name flat {before!r} is not ABC (it reads as {t.text} then b); written as {new!r}",
        0.8,
    )
    m = _NOTE_PARTS.match(new)
    assert m is not None
    return _pitch_key(m.group(2), m.group(3))


def _after_letter_name(
    off: int, t: _Tok, changed: set[tuple[str, int]], key: dict[str, str], log: _Log
) -> None:
    """A plain note after a letter-name accidental on its pitch keeps the key's pitch."""
    m = _NOTE_PARTS.match(t.text)
    assert m is not None
    pk = _pitch_key(m.group(2), m.group(3))
    if not m.group(1) and pk in changed:
        acc = key.get(pk[0], "=")
        log.add(
            off + t.start,
            off + t.start,
            acc,
            "",
            "accidental",
            f"{t.text!r} follows a letter-name accidental in the same bar, where "
            f"ABC would carry it; written {acc + t.text!r} to keep the key's pitch",
            0.8,
        )


def _bad(
    off: int, line: str, toks: list[_Tok], i: int, last: bool, in_chord: bool, log: _Log
) -> int:
    """Remove text that is not ABC (or a cut-off end); where reading the line goes on."""
    t = toks[i]
    unclosed = t.text[0] in '"!'  # a chord symbol or decoration never closed
    if last and (unclosed or in_chord or all(x.kind == "space" for x in toks[i + 1 :])):
        start = off + (_chord_start(toks, i) if in_chord and not unclosed else t.start)
        log.add(
            start,
            off + len(line),
            "",
            line[start - off :],
            "truncated",
            "tune cut off in the middle of a token; incomplete end dropped",
            0.9,
            "lost",
        )
        return len(line)
    end = t.end
    if unclosed:  # a chord name left open ("Dm7 G A) ends at the space
        sym = _OPEN_CHORD.match(line, t.start)
        end = sym.end() if sym else len(line)
    log.add(
        off + t.start,
        off + end,
        "",
        line[t.start : end],
        "not-abc",
        f"{line[t.start : end]!r} is not ABC notation"
        + (" (never closed)" if unclosed else "")
        + "; removed",
        0.8,
    )
    return end


def _fix_body(body: list[tuple[int, str]], key: dict[str, str], log: _Log) -> None:
    """Letter-name accidentals, characters that are not ABC, and a cut-off end."""
    lines = [(off, line, _tokenize(line)) for off, line in body]
    spaced, lower = _flat_mode(lines)
    last = len(lines) - 1
    for li, (off, line, toks) in enumerate(lines):
        changed: set[tuple[str, int]] = set()  # pitches given a letter-name accidental
        skip = set()
        in_chord = False
        dropped = 0  # the line up to here was removed as text
        for i, t in enumerate(toks):
            if i in skip or t.start < dropped:
                continue
            if t.kind == "bar":
                changed = set()
            elif t.kind == "copen":
                in_chord = True
            elif t.kind == "cclose":
                in_chord = False
            if t.kind == "lettacc":
                changed.add(_letter_sharp(off, t, log))
            elif spaced and _flat_candidate(toks, i, lower):
                changed.add(_letter_flat(off, t, toks[i + 1], log))
                skip.add(i + 1)
            elif t.kind == "note" and changed:
                _after_letter_name(off, t, changed, key, log)
            elif t.kind == "bad":
                dropped = _bad(off, line, toks, i, li == last, in_chord, log)
                if dropped == len(line):
                    break
        else:
            if in_chord and li == last:
                start = off + _chord_start(toks, len(toks))
                log.add(
                    start,
                    off + len(line),
                    "",
                    line[start - off :],
                    "truncated",
                    "tune cut off inside a chord; incomplete chord dropped",
                    0.9,
                    "lost",
                )


def _chord_start(toks: list[_Tok], i: int) -> int:
    for j in range(i - 1, -1, -1):
        if toks[j].kind == "copen":
            return toks[j].start
    return toks[i].start if i < len(toks) else toks[-1].end


def _split_flattened(tune: str) -> tuple[str, list[Repair]]:
    """Put a tune written on one line back on its lines: header fields, then the music.

    One whitespace character becomes a line break at each cut, so every offset stays put."""
    out = list(tune)
    repairs = []
    pos = 0
    for line in tune.split("\n"):
        found = flattened(line)
        if found is not None:
            first, cuts = found
            for c in cuts:
                out[pos + c] = "\n"
            if first:
                out[pos + first - 1] = "\n"  # prose before X: becomes its own line
            repairs.append(
                Repair(
                    stage=STAGE,
                    kind="lines",
                    reason=f"tune written on one line; header fields and music put back on "
                    f"{len(cuts) + 1} lines",
                    offset=pos + first,
                    before=line[first:],
                    after="".join(out[pos + first : pos + len(line)]),
                )
            )
        pos += len(line) + 1
    return "".join(out), repairs
