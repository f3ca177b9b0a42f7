"""Repairs on a parsed MusicXML tree, each one logged with where and why.

The passes run in order on the tree from ``xmlsafe.parse``: element names, root and layout
(timewise, fragments), what a cut at the end left half-written, pitch spellings, part-list and
part ids, divisions, durations, tempo marks and time signatures.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ...report.log import RepairLog
from ..xmlsafe import Node, edit_distance, is_xml_name, serialize
from .find import root_like
from .vocab import CHILDREN, LEAVES, REQUIRED, VOCAB


class Log(RepairLog):
    """The MusicXML stage's :class:`RepairLog`; ``where`` maps a parsed-text offset to the
    caller's offset."""

    def __init__(self, where: Callable[[int], int]) -> None:
        super().__init__("musicxml", where)

    def add(
        self,
        pos: int,
        kind: str,
        before: str,
        after: str,
        reason: str,
        confidence: float = 0.95,
        lossy: bool = False,
        loss: str = "",
    ) -> None:
        """Log a repair; ``lossy`` (or ``loss="lost"``) for data that is gone,
        ``loss="guessed"`` for a value not in the data (the reason says from what)."""
        loss = loss or ("lost" if lossy else "")
        offset = pos if pos >= 0 else None
        self.record(kind, reason, offset, before, after, confidence, loss)


def brief(node: Node) -> str:
    return serialize(node)[:120]


def parent_map(root: Node) -> dict[int, Node]:
    parents: dict[int, Node] = {}
    for n in root.iter():
        for c in n.elements():
            parents[id(c)] = n
    return parents


def remove(parent: Node, child: Node) -> None:
    parent.children = [c for c in parent.children if c is not child]


def el(name: str, text: str | None = None, *kids: Node, **attrs: str) -> Node:
    n = Node(name, dict(attrs))
    if text is not None:
        n.children.append(text)
    n.children.extend(kids)
    return n


# ---------------------------------------------------------------- names


def _child_fit(node: Node, cand: str) -> float:
    kids = {c.name for c in node.elements()}
    allowed = CHILDREN.get(cand)
    if not kids or not allowed:
        return 0.0
    return len(kids & allowed) / len(kids)


def fix_names(doc: Node, log: Log) -> None:
    """Map misspelt names (and names in the wrong place) to MusicXML's, by spelling and context."""
    parents = parent_map(doc)
    for node in doc.iter()[1:]:
        parent = parents.get(id(node))
        pname = parent.name if parent is not None else "#document"
        name = node.name
        if pname == "#document":
            r = root_like(name)
            if r and r != name:
                node.name = r
                log.add(node.pos, "element-name", f"<{name}>", f"<{r}>", "misspelt root element")
            continue
        allowed = CHILDREN.get(pname)
        if name in VOCAB and (allowed is None or name in allowed):
            continue
        if name.lower() in VOCAB and (allowed is None or name.lower() in allowed):
            best: str | None = name.lower()
        else:
            best = _best_name(node, name, allowed)
        if best and best != name:
            node.name = best
            log.add(
                node.pos,
                "element-name",
                f"<{name}>",
                f"<{best}>",
                f"<{name}> is not a MusicXML element in <{pname}>; "
                + (
                    "holding " + ", ".join(sorted({c.name for c in node.elements()})[:4]) + ","
                    if _child_fit(node, best)
                    else "by its spelling"
                )
                + f" it is <{best}>",
                0.9,
            )
        elif not is_xml_name(name) and parent is not None:
            _unwrap(parent, node)
            log.add(
                node.pos, "element-name", f"<{name}>", "", "garbled element name: tag dropped", 0.7
            )


def _best_name(node: Node, name: str, allowed: frozenset[str] | None) -> str | None:
    low = name.lower()
    pool = allowed if allowed is not None else VOCAB
    scored: list[tuple[float, int, str]] = []
    for cand in pool:
        fit = _child_fit(node, cand)
        d = edit_distance(low, cand, 3)
        spelled = d <= max(1, len(cand) // 4) and (low not in VOCAB or d <= 1)
        if fit >= 0.5 or (spelled and (not node.elements() or CHILDREN.get(cand) is None or fit)):
            scored.append((-fit, d, cand))
    if not scored and allowed is not None and low not in VOCAB:
        for cand in VOCAB:
            d = edit_distance(low, cand, 2)
            if d <= max(1, len(cand) // 5):
                scored.append((0.0, d, cand))
    if not scored:
        return None
    scored.sort()
    if len(scored) > 1 and scored[0][:2] == scored[1][:2]:
        return None  # two names fit equally well: leave it
    return scored[0][2]


def _unwrap(parent: Node, node: Node) -> None:
    i = next(k for k, c in enumerate(parent.children) if c is node)
    parent.children[i : i + 1] = node.children


# ---------------------------------------------------------------- layout


def to_partwise(score: Node, log: Log) -> Node:
    """A score-timewise score (measures holding parts) turned into score-partwise."""
    parts: dict[str, Node] = {}
    head: list[Node | str] = []
    for c in score.children:
        if isinstance(c, Node) and c.name == "measure":
            for p in c.findall("part"):
                pid = p.attrs.get("id", "P1")
                part = parts.setdefault(pid, el("part", None, id=pid))
                part.children.append(Node("measure", dict(c.attrs), list(p.children), c.pos))
        elif isinstance(c, Node) and c.name != "part":
            head.append(c)
    new = Node("score-partwise", dict(score.attrs), [*head, *parts.values()], score.pos)
    log.add(
        score.pos,
        "layout",
        "<score-timewise>",
        "<score-partwise>",
        "timewise score rearranged as partwise (same measures, same notes)",
        0.98,
    )
    return new


def as_score(doc: Node, log: Log) -> tuple[Node, bool] | None:
    """The score element, wrapping a fragment in a minimal score; (score, was_fragment)."""
    tops = doc.elements()
    for t in tops:
        if t.name == "score-timewise":
            return to_partwise(t, log), False
        if t.name == "score-partwise":
            return t, False
    kids = [t for t in tops if t.name in VOCAB]
    if not kids:
        return None
    if all(k.name == "part" for k in kids):
        body: list[Node] = kids
    elif all(k.name in ("part", "measure") for k in kids):
        body = [el("part", None, *[k for k in kids if k.name == "measure"], id="P1")]
    else:
        inner = [k for k in kids if k.name in CHILDREN["measure"]]
        if not inner:
            return None
        body = [el("part", None, el("measure", None, *inner, number="1"), id="P1")]
    score = el("score-partwise", None, *body, version="4.0")
    log.add(
        kids[0].pos,
        "fragment",
        f"<{kids[0].name}>",
        "<score-partwise>",
        "a fragment, not a whole score: wrapped in a minimal score to be read",
        0.9,
    )
    return score, True


# ---------------------------------------------------------------- truncation


def _satisfied(node: Node) -> bool:
    names = {c.name for c in node.elements()}
    return all(any(a in names for a in alts) for alts in REQUIRED.get(node.name, ()))


def drop_cut(score: Node, log: Log) -> None:
    """Drop what a cut at the end of the text left half-written (no phantom notes)."""
    parents = parent_map(score)
    for node in reversed(score.iter()):  # children before parents
        parent = parents.get(id(node))
        if parent is None:
            continue
        if not node.closed and node.name in LEAVES:
            remove(parent, node)
            log.add(
                node.pos,
                "truncated",
                brief(node),
                "",
                f"<{node.name}> cut at the end of the text: its value may be cut too",
                0.9,
                lossy=True,
            )
        elif node.name in REQUIRED and not node.closed and not _satisfied(node):
            remove(parent, node)
            log.add(
                node.pos,
                "truncated",
                brief(node),
                "",
                f"<{node.name}> lacks "
                + " / ".join(a[0] for a in REQUIRED[node.name] if not _satisfied(node))
                + ": dropped rather than guessed",
                0.9,
                lossy=True,
            )
        elif not node.closed:
            node.closed = True
            log.add(
                node.pos,
                "truncated",
                f"<{node.name}>",
                f"</{node.name}>",
                "closed at the end of the text",
                0.95,
            )


# ---------------------------------------------------------------- pitches

_STEP_RE = re.compile(r"\s*([A-Ga-g])(.*?)\s*$", re.S)
_SIGNED_RE = re.compile(r"[+-]\d(?:\.\d+)?")


def parse_step(text: str) -> tuple[str, float | None, int | None] | None:
    """('F', 1, None) for 'F#'; alter None when the text names none; None when unreadable."""
    m = _STEP_RE.match(text)
    if not m:
        return None
    step, rest = m.group(1).upper(), m.group(2).lower()
    rest = re.sub(r"-?alter|natural|[&♮\s()_]", "", rest)
    octave = None
    om = re.search(r"(?<![+\-\d])(\d)$", rest)
    if om:
        octave, rest = int(om.group(1)), rest[: om.start()]
    if not rest:
        return step, None, octave
    if _SIGNED_RE.fullmatch(rest):
        return step, float(rest), octave
    table = {"#": 1, "♯": 1, "x": 2, "b": -1, "♭": -1, "-": -1, "s": 1, "is": 1, "es": -1}
    for word, v in (("sharp", 1), ("flat", -1)):
        if rest == word:
            return step, float(v), octave
    if rest in ("is", "es", "s"):
        return step, float(table[rest]), octave
    if all(ch in "#♯xb♭-" for ch in rest):
        return step, float(sum(table[ch] for ch in rest)), octave
    return None


def num(text: str) -> float | None:
    t = text.strip().replace("+", "")
    try:
        v = float(t)
    except ValueError:
        return None
    return v if v == v and abs(v) < 1e9 else None


def fix_pitches(score: Node, log: Log) -> None:
    parents = parent_map(score)
    last_octave = 4
    for pitch in score.iter():
        if pitch.name != "pitch":
            continue
        note = parents.get(id(pitch))
        step_el, alter_el, oct_el = pitch.find("step"), pitch.find("alter"), pitch.find("octave")
        got = parse_step(step_el.text()) if step_el is not None else None
        if step_el is None or got is None:
            if note is not None and (owner := parents.get(id(note))) is not None:
                remove(owner, note)
                log.add(
                    pitch.pos,
                    "incomplete",
                    brief(pitch),
                    "",
                    "pitch without a readable step: note dropped, not guessed",
                    0.8,
                    lossy=True,
                )
            continue
        step, alter, octave = got
        written = step_el.text()
        if written != step:
            step_el.set_text(step)
            after = step + (f" + <alter>{alter:g}</alter>" if alter else "")
            log.add(
                step_el.pos, "step", written.strip(), after, "step spelt with its accidental", 0.9
            )
        _fix_alter(pitch, step_el, alter_el, alter, log)
        last_octave = _fix_octave(pitch, oct_el, octave, last_octave, log)


def _fix_alter(
    pitch: Node, step_el: Node, alter_el: Node | None, alter: float | None, log: Log
) -> None:
    """An <alter> as a number: read from an accidental sign, added from the step's spelling,
    or dropped when unreadable."""
    if alter_el is not None:
        a = parse_step("C" + alter_el.text().strip())
        v = num(alter_el.text())
        if v is None and a is not None and a[1] is not None:
            v = a[1]
        if v is None:
            remove(pitch, alter_el)
            log.add(alter_el.pos, "alter", alter_el.text(), "", "unreadable <alter> dropped", 0.7)
        elif f"{v:g}" != alter_el.text().strip():
            log.add(
                alter_el.pos,
                "alter",
                alter_el.text(),
                f"{v:g}",
                "alter written as a number",
                0.9,
            )
            alter_el.set_text(f"{v:g}")
    elif alter:
        new = el("alter", f"{alter:g}")
        pitch.children.insert(pitch.children.index(step_el) + 1, new)


def _fix_octave(
    pitch: Node, oct_el: Node | None, octave: int | None, last_octave: int, log: Log
) -> int:
    """A readable whole-number <octave>, from the step text or (guessed) the previous note's;
    return the octave the next note may borrow."""
    if oct_el is None or num(oct_el.text()) is None:
        guess = octave if octave is not None else last_octave
        if oct_el is not None:
            remove(pitch, oct_el)
        pitch.children.append(el("octave", str(guess)))
        log.add(
            pitch.pos,
            "octave",
            "" if oct_el is None else oct_el.text(),
            str(guess),
            "octave missing: taken from the step text"
            if octave is not None
            else "octave missing: the previous note's octave",
            0.9 if octave is not None else 0.6,
            loss="" if octave is not None else "guessed",
        )
        last_octave = guess
    else:
        value = num(oct_el.text())
        if value is not None:
            if f"{int(value)}" != oct_el.text().strip():
                log.add(
                    oct_el.pos,
                    "octave",
                    oct_el.text(),
                    f"{int(value)}",
                    "octave as a whole number",
                )
                oct_el.set_text(f"{int(value)}")
            last_octave = int(value)
    return last_octave


# ---------------------------------------------------------------- parts


def fix_parts(score: Node, log: Log) -> None:
    parts = score.findall("part")
    plist = score.find("part-list")
    sparts = plist.findall("score-part") if plist is not None else []
    sids = [sp.attrs.get("id", "") for sp in sparts]
    seen: set[str] = set()
    for i, part in enumerate(parts):
        pid = part.attrs.get("id", "")
        want = pid
        if len(sids) == len(parts) and pid not in sids and sids[i] and sids[i] not in seen:
            want = sids[i]
        elif not pid or pid in seen:
            want = next(f"P{k}" for k in range(i + 1, i + 1000) if f"P{k}" not in seen)
        if want != pid:
            part.attrs["id"] = want
            log.add(
                part.pos,
                "part-id",
                f'id="{pid}"',
                f'id="{want}"',
                "part id missing or not in the part-list",
                0.95,
            )
        seen.add(want)
    if plist is None:
        plist = el("part-list")
        at = next(
            (k for k, c in enumerate(score.children) if isinstance(c, Node) and c.name == "part"), 0
        )
        score.children.insert(at, plist)
        log.add(
            parts[0].pos if parts else -1,
            "part-list",
            "",
            "<part-list>",
            "score had no part-list: made from its parts",
            0.95,
        )
    have = {sp.attrs.get("id", "") for sp in plist.findall("score-part")}
    for part in parts:
        pid = part.attrs["id"]
        if pid not in have:
            plist.children.append(el("score-part", None, el("part-name", pid), id=pid))
            log.add(
                part.pos,
                "part-list",
                "",
                f'<score-part id="{pid}">',
                "part had no entry in the part-list",
                0.95,
            )
    have_parts = {p.attrs["id"] for p in parts}
    for sp in plist.findall("score-part"):
        sid = sp.attrs.get("id", "")
        if parts and sid not in have_parts:
            remove(plist, sp)
            log.add(
                sp.pos,
                "part-list",
                brief(sp),
                "",
                f'no <part id="{sid}"> in the score (cut off?): its part-list entry dropped, '
                "its music is gone",
                0.9,
                lossy=True,
            )
            continue
        if sp.find("part-name") is None:
            sp.children.insert(0, el("part-name", sp.attrs.get("id", "")))


def fix_placement(score: Node, log: Log) -> None:
    """An element where the schema has no place for it, but its grandparent has (a model's
    ``<sound>`` inside ``<direction-type>``), is moved up beside its parent: notation
    programs refuse a file that breaks the schema."""
    parents = parent_map(score)
    for node in list(score.iter()):
        parent = parents.get(id(node))
        if parent is None or node.name not in VOCAB or node.name in ("part", parent.name):
            continue  # a part in a measure is fix_parts' work; nesting of one name is damage
        if not _satisfied(node):
            continue  # an incomplete element moved would read as invented data
        allowed = CHILDREN.get(parent.name)
        if allowed is None or node.name in allowed:
            continue
        grand = parents.get(id(parent))
        if grand is None or node.name not in CHILDREN.get(grand.name, frozenset()):
            continue
        remove(parent, node)
        grand.children.insert(grand.children.index(parent) + 1, node)
        parents[id(node)] = grand
        reason = f"<{node.name}> has no place in <{parent.name}>: moved beside it in <{grand.name}>"
        log.add(node.pos, "misplaced", brief(node), "", reason, 0.9)
