"""The MThd header: its fields settled against the tracks found, and inferred where lost.

A field is taken as found when its bytes are there; corrected (a repair) when the tracks
contradict it; and inferred (a repair with ``guessed``) when its bytes are lost or the
header is missing: the track count from the MTrk chunks present, the format from that
count, the ticks per beat from the delta times. Nothing is taken from a template.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction

from .events import Fix
from .spec import COMMON_DIVISIONS, DIVISION_AT, FORMAT_AT, NTRACKS_AT, header

DEFAULT_DIVISION = 480
# what a beat's commonest delta time is likeliest to be, as a share of the beat
_PLAIN = {
    Fraction(1): 3.0,
    Fraction(1, 2): 2.5,
    Fraction(2): 2.0,
    Fraction(1, 4): 1.5,
    Fraction(3, 2): 1.0,
    Fraction(1, 3): 1.0,
    Fraction(4): 1.0,
    Fraction(3): 0.5,
    Fraction(3, 4): 0.5,
}
_NAMES = {
    Fraction(1): "a beat",
    Fraction(1, 2): "half a beat",
    Fraction(2): "two beats",
    Fraction(1, 4): "a quarter beat",
    Fraction(3, 2): "a beat and a half",
    Fraction(1, 3): "a third of a beat",
    Fraction(4): "four beats",
    Fraction(3): "three beats",
    Fraction(3, 4): "three quarters of a beat",
}


@dataclass
class Header:
    """The header's fields as read (or to be inferred), and where the header sits."""

    fmt: int = 1
    ntracks: int = 0
    division: int = 0
    at: int = 0
    found: bool = False  # an MThd chunk was read
    unknown: set[str] = field(default_factory=set)  # lost bytes: "format0", "division1"...
    raw: bytes = b""  # the 14 header bytes as found

    def lost(self, name: str) -> bool:
        return f"{name}0" in self.unknown or f"{name}1" in self.unknown


def infer_division(
    deltas: Counter[int], raw: bytes = b"", unknown: frozenset[str] = frozenset()
) -> tuple[int, str]:
    """Ticks per beat that put the delta times on a plain grid, and why.

    Candidates are the divisions sequencers write, kept to those that agree with a division
    byte that is not lost (``raw``: the header bytes; ``unknown``: which are lost). Each is
    scored by the share of delta times on a 1/24-beat grid and by how plain a note value the
    commonest delta time makes. Returns (division, reason).
    """
    known = {
        k: raw[DIVISION_AT + k]
        for k in (0, 1)
        if len(raw) >= DIVISION_AT + 2 and f"division{k}" not in unknown
    }
    cands = [
        d for d in COMMON_DIVISIONS if all(d.to_bytes(2, "big")[k] == v for k, v in known.items())
    ]
    if not cands and len(known) == 1:  # any division with the byte that is known
        if 0 in known:
            cands = [known[0] << 8 | lo for lo in range(256)]
        else:
            cands = [hi << 8 | known[1] for hi in range(128)]
        cands = [d for d in cands if 0 < d < 0x8000]
    if not deltas or not cands:
        return DEFAULT_DIVISION, f"no delta times to infer it from: {DEFAULT_DIVISION} assumed"
    total = sum(deltas.values())
    common = deltas.most_common(1)[0][0]

    def score(d: int) -> float:
        on_grid = sum(c for g, c in deltas.items() if g * 24 % d == 0) / total
        return 10.0 * on_grid + _PLAIN.get(Fraction(common, d), 0.0)

    best = max(cands, key=score)  # ties: the first, the likeliest
    share = sum(c for g, c in deltas.items() if g * 24 % best == 0) / total
    name = _NAMES.get(Fraction(common, best), f"{Fraction(common, best)} of a beat")
    why = (
        f"inferred from the delta times: the commonest, {common} ticks, is then {name}, and "
        f"{share:.0%} of them fall on a 1/24-beat grid"
    )
    return best, why


def settle(hd: Header, found: int, cut: bool, deltas: Counter[int]) -> list[Fix]:
    """Fixes that make the header agree with the ``found`` tracks; infers lost fields.

    ``cut``: the data ends inside the last track, so tracks the header announces and that
    are not there are lost, not miscounted."""
    fixes: list[Fix] = []
    h = hd.at
    if hd.lost("ntracks"):
        why = f"the header's track count is lost; {found} taken from the MTrk chunks present"
        fixes.append(_guess("header-track-count", h, NTRACKS_AT, why, hd.raw, found))
        hd.ntracks = found
    elif hd.ntracks != found:
        why = f"header announces {hd.ntracks} track(s); {found} found"
        lost = cut and hd.ntracks > found
        if lost:
            why += f": the data ends inside track {found}, the rest is lost"
        before = hd.ntracks.to_bytes(2, "big")
        fixes.append(
            Fix("header-track-count", h + NTRACKS_AT, why, before, found.to_bytes(2, "big"), lost)
        )
        hd.ntracks = found
    fmt = hd.fmt
    if hd.lost("format"):
        hd.fmt = 1 if found > 1 else 0
        why = f"the header's format is lost; {hd.fmt} taken from the {found} track(s) present"
        fixes.append(_guess("header-format", h, FORMAT_AT, why, hd.raw, hd.fmt))
    elif fmt > 2 or (fmt == 0 and found > 1):
        hd.fmt = 1 if found > 1 else 0
        why = (
            f"format {fmt} does not exist"
            if fmt > 2
            else f"format 0 holds one track; {found} found, so format 1"
        )
        after = hd.fmt.to_bytes(2, "big")
        fixes.append(Fix("header-format", h + FORMAT_AT, why, fmt.to_bytes(2, "big"), after))
    if hd.lost("division") or hd.division == 0:
        what = "lost" if hd.lost("division") else "0"
        hd.division, how = infer_division(deltas, hd.raw, frozenset(hd.unknown))
        why = f"the header's ticks per beat are {what}; {hd.division} {how}"
        fixes.append(_guess("division", h, DIVISION_AT, why, hd.raw, hd.division))
    return fixes


def _guess(kind: str, h: int, rel: int, why: str, raw: bytes, value: int) -> Fix:
    """A field inferred: ``rel`` is its place in the header, ``h`` where the header sits."""
    before = raw[rel : rel + 2]
    return Fix(kind, h + rel, why, before, value.to_bytes(2, "big"), guessed=True)


def added(hd: Header, found: int, start: int, deltas: Counter[int]) -> Fix:
    """The fix for a file with no MThd: a header inferred from the tracks."""
    hd.fmt = 1 if found > 1 else 0
    hd.ntracks = found
    hd.division, how = infer_division(deltas)
    why = (
        f"no MThd header: one added: format {hd.fmt} and {found} track(s) from the tracks "
        f"present; {hd.division} ticks per beat {how}"
    )
    return Fix("header-added", start, why, b"", header(hd.fmt, found, hd.division), guessed=True)
