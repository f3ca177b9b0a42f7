"""Bars that overflow the meter: re-barred when they hold whole bars, else the meter fitted."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from fractions import Fraction

from .fix import _Log
from .tokens import (
    _FIELD_RE,
    _NOTE_PARTS,
    _field,
    _fraction,
    _key_accidentals,
    _length,
    _lines,
    _pitch_key,
    _split_tune,
    _suffix_length,
    _tokenize,
)


@dataclass
class _Bar:
    start: int  # offset of the first token
    dur: Fraction = Fraction(0)
    certain: bool = True
    splits: list[tuple[int, Fraction]] = field(default_factory=list)  # (offset after, time)
    notes: list[tuple[int, str, str, tuple[str, int]]] = field(default_factory=list)


def _bars(body: list[tuple[int, str]], compound: bool) -> list[_Bar]:
    """Bars of the body in order with their lengths in units of L."""
    bars: list[_Bar] = []
    cur = _Bar(0)
    in_chord = in_grace = False
    chord_len: Fraction | None = None
    tup_left = 0
    tup_factor = Fraction(1)
    broken_next: Fraction | None = None
    last_len = Fraction(0)

    def add(length: Fraction, end: int) -> None:
        nonlocal tup_left, broken_next, last_len
        if tup_left:
            length *= tup_factor
            tup_left -= 1
        if broken_next is not None:
            length *= broken_next
            broken_next = None
        cur.dur += length
        last_len = length
        cur.splits.append((end, cur.dur) if not tup_left else (end, Fraction(-1)))

    for off, line in body:
        for t in _tokenize(line):
            if cur.dur == 0 and not cur.splits:
                cur.start = off + t.start
            k = t.kind
            if k == "bar":
                bars.append(cur)
                cur = _Bar(off + t.end)
            elif k == "field" and t.text[1] in "MLV":
                cur.certain = False
            elif k == "gopen":
                in_grace = True
            elif k == "gclose":
                in_grace = False
            elif in_grace:
                continue
            elif k in ("note", "lettacc"):
                m = _NOTE_PARTS.match(t.text.replace("#", ""))
                assert m is not None
                cur.notes.append(
                    (
                        off + t.start,
                        m.group(1) or "",
                        m.group(0),
                        _pitch_key(m.group(2), m.group(3)),
                    )
                )
                ln = _length(m.group(4), m.group(5), m.group(6))
                if in_chord:
                    chord_len = ln if chord_len is None else chord_len
                else:
                    add(ln, off + t.end)
            elif k == "copen":
                in_chord, chord_len = True, None
            elif k == "cclose":
                in_chord = False
                add((chord_len or Fraction(1)) * _suffix_length(t.text[1:] or "1"), off + t.end)
            elif k == "rest":
                if t.text[0] == "Z":
                    cur.certain = False
                else:
                    add(_suffix_length(t.text[1:] or "1"), off + t.end)
            elif k == "tuplet":
                tup_left, tup_factor = _tuplet(t.text, compound)
            elif k == "broken":
                f = Fraction(1, 2 ** len(t.text))
                a, b = (2 - f, f) if t.text[0] == ">" else (f, 2 - f)
                cur.dur += last_len * (a - 1)
                if cur.splits:
                    cur.splits.pop()
                broken_next = b
    bars.append(cur)
    return [b for b in bars if b.dur > 0 or not b.certain]


def _tuplet(text: str, compound: bool) -> tuple[int, Fraction]:
    """A tuplet mark ``(p:q:r``: how many notes it spans and the factor on their lengths."""
    parts = text[1:].split(":")
    p = int(parts[0])
    q = int(parts[1]) if len(parts) > 1 and parts[1] else None
    r = int(parts[2]) if len(parts) > 2 and parts[2] else p
    if q is None:
        q = {2: 3, 3: 2, 4: 3, 6: 2, 8: 3}.get(p, 3 if compound else 2)
    return r, Fraction(q, max(p, 1))


def _fix_bars(text: str, log: _Log) -> None:
    """Bars that overflow the meter: re-bar when each is whole bars, else fit the meter."""
    header, body = _split_tune(text)
    m, ln = _field(header, "M"), _field(header, "L")
    meter = _fraction(m[2]) if m is not None else None
    unit = _fraction(ln[2]) if ln is not None else None
    if m is None or meter is None or unit is None or meter <= 0 or unit <= 0:
        return
    if any(_FIELD_RE.match(line) for _, line in body):
        return
    if any(_FIELD_RE.match(x) and x.strip()[0] in "MLV" for _, x in _lines(text)[len(header) :]):
        return
    k = _field(header, "K")
    keysig = _key_accidentals(k[2]) if k is not None else {}
    compound = meter.numerator % 3 == 0 and meter.numerator > 3
    bars = _bars(body, compound)
    if not bars or not all(b.certain for b in bars):
        return
    full = meter / unit
    over = [b for b in bars if b.dur > full]
    if not over:
        return
    plans: list[tuple[_Bar, list[int]]] = []
    for b in over:
        mult = b.dur / full
        # whole bars run together; the last bar may also end in a part bar (cut-off tune)
        if mult.denominator != 1 and not (b is bars[-1] and len(over) > 1):
            plans = []
            break
        times = {t: pos for pos, t in b.splits}
        wanted = [full * j for j in range(1, math.ceil(mult))]
        cuts = [times[t] for t in wanted if t in times]
        if len(cuts) != len(wanted):
            plans = []
            break
        plans.append((b, cuts))
    if plans:
        for b, cuts in plans:
            for c in cuts:
                log.add(
                    c,
                    c,
                    " |",
                    "",
                    "rebar",
                    f"bar holds {_as_meter(b.dur * unit, m[2])} in M:{m[2]}; bar line added, every note kept",
                )
            _carry_across(b, cuts, keysig, log)
        return
    core = bars[1:-1] if len(bars) > 2 and bars[0].dur < full else bars[:-1]
    lengths = {b.dur for b in core}
    if len(core) >= 2 and len(lengths) == 1:
        total = next(iter(lengths)) * unit
        den = meter.denominator
        while (total * den).denominator != 1 and den < 64:
            den *= 2
        if (total * den).denominator == 1:
            new = f"M:{int(total * den)}/{den}"
            start = m[0] + m[1].index("M")
            log.add(
                start,
                m[0] + len(m[1]),
                new,
                m[1].strip(),
                "meter",
                f"every bar holds {_as_meter(total, m[2])}, not {m[2]}; meter set to fit the bars, "
                "notes kept (the meter is guessed from the bars)",
                0.8,
                "guessed",
            )


def _as_meter(length: Fraction, meter: str) -> str:
    """A length in whole notes, spelt like the meter text (8/4 rather than 2)."""
    m = re.search(r"/(\d+)", meter)
    den = max(int(m.group(1)) if m else 4, length.denominator)
    return f"{length * den}/{den}"


def _carry_across(bar: _Bar, cuts: list[int], keysig: dict[str, str], log: _Log) -> None:
    """After a new bar line, write out accidentals that the old bar carried."""
    carried: dict[tuple[str, int], str] = {}
    reset: dict[tuple[str, int], str] = {}
    cut_iter = iter(sorted(cuts))
    nxt = next(cut_iter, None)
    for pos, acc, text, pk in bar.notes:
        while nxt is not None and pos >= nxt:
            reset = {}
            nxt = next(cut_iter, None)
        if acc:
            carried[pk] = reset[pk] = acc
        elif pk in carried and pk not in reset and carried[pk] != keysig.get(pk[0], "="):
            log.add(
                pos,
                pos,
                carried[pk],
                "",
                "accidental",
                f"{text!r} took {carried[pk]!r} from earlier in its bar; written out now "
                "that a bar line stands between them",
            )
            reset[pk] = carried[pk]
