"""Repairs of rhythm and meter on a parsed MusicXML tree: divisions, durations, staves
written one after another without a backup, tempo marks and time signatures."""

from __future__ import annotations

from collections import Counter
from fractions import Fraction

from ..xmlsafe import Node
from .repair import Log, brief, el, num, parent_map, remove
from .vocab import NOTE_TYPES

_VALID_BEAT_TYPES = (1, 2, 4, 8, 16, 32, 64, 128)

# ---------------------------------------------------------------- rhythm


def _type_quarters(note: Node) -> Fraction | None:
    t = note.find("type")
    if t is None or t.text().strip() not in NOTE_TYPES:
        return None
    q = Fraction(NOTE_TYPES[t.text().strip()])
    add = q
    for _ in note.findall("dot"):
        add /= 2
        q += add
    tm = note.find("time-modification")
    if tm is not None:
        a, n = tm.find("actual-notes"), tm.find("normal-notes")
        av, nv = (num(a.text()) if a else None), (num(n.text()) if n else None)
        if av and nv and av > 0 and nv > 0:
            q = q * Fraction(int(nv)) / Fraction(int(av))
    return q


def _duration(node: Node) -> Fraction | None:
    d = node.find("duration")
    v = num(d.text()) if d is not None else None
    return Fraction(v).limit_denominator(1000) if v is not None and v >= 0 else None


def fix_rhythm(score: Node, log: Log) -> None:
    """Infer missing or contradicted <divisions>; give notes without a duration one."""
    for part in score.findall("part"):
        measures = part.findall("measure")
        notes = [n for m in measures for n in m.findall("note") if n.find("grace") is None]
        divs_el = next(
            (d for m in measures for a in m.findall("attributes") for d in a.findall("divisions")),
            None,
        )
        ratios: Counter[Fraction] = Counter()
        for n in notes:
            q, d = _type_quarters(n), _duration(n)
            if q and d:
                ratios[d / q] += 1
        common, count = ratios.most_common(1)[0] if ratios else (None, 0)
        declared = num(divs_el.text()) if divs_el is not None else None
        if not notes:
            continue
        if common is not None and common.denominator != 1:
            common = None
        if divs_el is None or declared is None or declared <= 0:
            value = int(common) if common else 1
            why = (
                f"no <divisions>: {value} from {count} notes' <type> and <duration>"
                if common
                else "no <divisions> and no <type> to infer it: durations read as quarters"
            )
            if divs_el is not None:
                divs_el.set_text(str(value))
            elif measures:
                _set_divisions(measures[0], value)
            log.add(
                divs_el.pos if divs_el is not None else part.pos,
                "divisions",
                "",
                str(value),
                why,
                0.95 if common else 0.6,
                loss="guessed",
            )
            declared = value
        elif common and common != declared and count >= 3 and count >= 0.8 * sum(ratios.values()):
            log.add(
                divs_el.pos,
                "divisions",
                divs_el.text(),
                str(common),
                f"<divisions> contradicted by {count} notes' <type> and <duration>",
                0.8,
            )
            divs_el.set_text(str(common))
            declared = float(common)
        _fill_durations(notes, int(declared), log)


def _set_divisions(measure: Node, value: int) -> None:
    attrs = measure.find("attributes")
    if attrs is None:
        attrs = el("attributes")
        measure.children.insert(0, attrs)
    attrs.children.insert(0, el("divisions", str(value)))


def _fill_durations(notes: list[Node], divisions: int, log: Log) -> None:
    prev: Fraction | None = None
    for n in notes:
        d = _duration(n)
        if d is not None and d > 0:
            prev = d
            continue
        q = _type_quarters(n)
        if n.find("chord") is not None and prev is not None and q is None:
            value = prev
        elif q is not None:
            value = q * divisions
        else:
            value = prev if prev is not None else Fraction(divisions)
        text = f"{float(value):g}" if value.denominator != 1 else str(value.numerator)
        old = n.find("duration")
        if old is not None:
            remove(n, old)
        at = next(
            (
                k
                for k, c in enumerate(n.children)
                if isinstance(c, Node) and c.name in ("tie", "voice", "type")
            ),
            len(n.children),
        )
        n.children.insert(at, el("duration", text))
        log.add(
            n.pos,
            "duration",
            "" if old is None else brief(old),
            f"<duration>{text}</duration>",
            "note without a duration: from its <type>"
            if q is not None
            else "note without a duration or type: the previous note's",
            0.9 if q is not None else 0.6,
            loss="guessed",
        )
        prev = value


# ---------------------------------------------------------------- tempo


def fix_tempo(score: Node, log: Log) -> None:
    """<tempo> (not a MusicXML element) becomes a direction with a metronome and sound tempo."""
    parents = parent_map(score)
    for node in score.iter():
        if node.name != "tempo":
            continue
        parent = parents.get(id(node))
        if parent is None:
            continue
        pm = node.find("per-minute")
        bpm = num(pm.text() if pm is not None else node.text())
        bu = node.find("beat-unit")
        unit = bu.text().strip() if bu is not None else "quarter"
        note = ""
        if unit not in NOTE_TYPES:
            note = f" (beat-unit '{unit}' is no note value: quarter)"
            unit = "quarter"
        remove(parent, node)
        measure, anchor = parent, None
        if parent.name != "measure":
            anchor, measure = parent, parents.get(id(parent), parent)
        has = any(
            d.name == "direction"
            and any(s.name == "sound" and "tempo" in s.attrs for s in d.elements())
            for d in measure.elements()
        )
        if bpm is None or bpm <= 0 or bpm > 1000:
            log.add(node.pos, "tempo", brief(node), "", "unreadable <tempo> dropped", 0.7)
            continue
        if has:
            log.add(
                node.pos,
                "tempo",
                brief(node),
                "",
                "<tempo> in <attributes> dropped: the measure already has a tempo direction",
                0.8,
            )
            continue
        qbpm = bpm * NOTE_TYPES[unit]
        direction = el(
            "direction",
            None,
            el(
                "direction-type",
                None,
                el("metronome", None, el("beat-unit", unit), el("per-minute", f"{bpm:g}")),
            ),
            el("sound", None, tempo=f"{qbpm:g}"),
            placement="above",
        )
        at = (
            measure.children.index(anchor) + 1
            if anchor is not None and anchor in measure.children
            else 0
        )
        measure.children.insert(at, direction)
        log.add(
            node.pos,
            "tempo",
            brief(node),
            brief(direction),
            "<tempo> is no MusicXML element: made a tempo direction" + note,
            0.9,
            loss="guessed" if note else "",
        )


# ---------------------------------------------------------------- meter


def _measure_length(measure: Node, divisions: int) -> Fraction:
    pos = top = Fraction(0)
    for c in measure.elements():
        d = _duration(c) or Fraction(0)
        if c.name == "note":
            if c.find("grace") is not None:
                continue
            if c.find("chord") is not None:
                continue
            pos += d
        elif c.name == "forward":
            pos += d
        elif c.name == "backup":
            pos -= d
        top = max(top, pos)
    return top / divisions if divisions else top


def fix_meter(score: Node, log: Log) -> None:
    """Invalid time signatures (3/3, 4/0) become the valid meter that best fills the measures."""
    for part in score.findall("part"):
        measures = part.findall("measure")
        divisions = 1
        lengths: list[Fraction] = []
        for m in measures:
            for a in m.findall("attributes"):
                d = a.find("divisions")
                if d is not None and (v := num(d.text())) and v > 0:
                    divisions = int(v)
            lengths.append(_measure_length(m, divisions))
        for m in measures:
            for a in m.findall("attributes"):
                for t in a.findall("time"):
                    _fix_time(t, lengths, log)


def _fix_time(t: Node, lengths: list[Fraction], log: Log) -> None:
    b, bt = t.find("beats"), t.find("beat-type")
    if b is None or bt is None:
        return
    parts = [num(x) for x in b.text().split("+")]
    beats = (
        int(sum(p for p in parts if p)) if all(p and p > 0 and p == int(p) for p in parts) else 0
    )
    btype = num(bt.text())
    if beats > 0 and btype in _VALID_BEAT_TYPES:
        return
    inner = lengths[1:-1] or lengths
    dominant = Counter(inner).most_common(1)[0][0] if inner else Fraction(0)
    cands: set[tuple[int, int]] = set()
    if beats > 0:
        cands.update((beats, d) for d in (2, 4, 8))
    for den in (4, 8, 16):
        top = dominant * den / 4
        if dominant > 0 and top.denominator == 1:
            cands.add((int(top), den))
            break
    if not cands:
        cands.add((4, 4))

    def cost(c: tuple[int, int]) -> tuple[int, int, int]:
        size = Fraction(4 * c[0], c[1])
        bad = sum(1 for L in inner if size != L)
        return (bad, c[0] != beats, abs(c[1] - 4))

    nb, nt = min(sorted(cands), key=cost)
    before = f"{b.text().strip()}/{bt.text().strip()}"
    b.set_text(str(nb))
    bt.set_text(str(nt))
    log.add(
        t.pos,
        "time-signature",
        before,
        f"{nb}/{nt}",
        "invalid time signature: the valid meter that best fills the measures",
        0.8,
    )


# ---------------------------------------------------------------- staves


def fix_staves(score: Node, log: Log) -> None:
    """A part of several staves whose staff 2 follows a full measure of staff 1 with no
    ``<backup>`` between them: the backup is put in, so that both staves start with the bar."""
    for part in score.findall("part"):
        divisions, bar = 1, None
        for m in part.findall("measure"):
            for a in m.findall("attributes"):
                d = a.find("divisions")
                if d is not None and (v := num(d.text())) and v > 0:
                    divisions = int(v)
                for t in a.findall("time"):
                    b, bt = t.find("beats"), t.find("beat-type")
                    bv = num(b.text()) if b is not None else None
                    tv = num(bt.text()) if bt is not None else None
                    if bv and tv and bv > 0 and tv > 0:
                        bar = Fraction(4 * Fraction(bv).limit_denominator(100), int(tv))
            if bar is not None:
                _backup_staves(m, bar * divisions, log)


def _backup_staves(measure: Node, full: Fraction, log: Log) -> None:
    pos = Fraction(0)
    prev_staff: str | None = None
    moved = False  # a backup or forward since the last note
    inserts: list[tuple[Node, Fraction]] = []
    for c in measure.elements():
        if c.name in ("backup", "forward"):
            d = _duration(c) or Fraction(0)
            pos += d if c.name == "forward" else -d
            moved = True
        elif c.name == "note" and c.find("grace") is None and c.find("chord") is None:
            st = c.find("staff")
            staff = st.text().strip() if st is not None else "1"
            if prev_staff is not None and staff != prev_staff and not moved and pos >= full > 0:
                inserts.append((c, pos))
                pos = Fraction(0)
            prev_staff, moved = staff, False
            pos += _duration(c) or Fraction(0)
    for note, back in inserts:
        text = str(back.numerator) if back.denominator == 1 else f"{float(back):g}"
        node = el("backup", None, el("duration", text))
        measure.children.insert(measure.children.index(note), node)
        st = note.find("staff")
        log.add(
            note.pos,
            "backup",
            "",
            f"<backup><duration>{text}</duration></backup>",
            f"staff {st.text().strip() if st is not None else '?'} followed a full measure of "
            "the staff before with no <backup>: moved back to the start of the measure",
            0.85,
        )
