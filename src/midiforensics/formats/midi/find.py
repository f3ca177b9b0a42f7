"""Carving: where Standard MIDI Files sit in any bytes, damaged chunk tags included."""

from __future__ import annotations

from bisect import bisect_right

from ..base import Extent
from .events import NO_LOSS, Fix, run_from
from .spec import HEADER_TAG, TRACK_TAG

HEADER = HEADER_TAG
TRACK = TRACK_TAG
RIFF = b"RIFF"
# Bytes of non-MIDI between two tracks beyond which a later MTrk starts a new piece.
JOIN_GAP = 256
MAX_TRACKS = 1024


def _be32(b: bytes) -> int:
    return int.from_bytes(b, "big")


def _is_chunk_id(b: bytes) -> bool:
    return len(b) == 4 and all(0x20 <= c < 0x7F for c in b) and any(c > 0x40 for c in b)


def _all(data: bytes, needle: bytes) -> list[int]:
    out = []
    i = data.find(needle)
    while i >= 0:
        out.append(i)
        i = data.find(needle, i + 1)
    return out


def _near(tag: bytes, want: bytes) -> bool:
    """Is ``tag`` one or two bytes off ``want`` (and not the other MIDI tag)?"""
    if len(tag) != 4 or tag in (HEADER, TRACK):
        return False
    return sum(a != b for a, b in zip(tag, want, strict=True)) <= 2


def _damaged_track(data: bytes, x: int) -> bool:
    """Does a track chunk with a damaged tag start at ``x``? Its tag must be near ``MTrk`` and
    its length field plausible (the chunk ends in End of Track) or its events read."""
    n = len(data)
    if x < 0 or x + 8 > n or not _near(data[x : x + 4], TRACK):
        return False
    declared = _be32(data[x + 4 : x + 8])
    d = x + 8 + declared
    if declared >= 4 and d <= n and data[d - 3 : d] == b"\xff\x2f\x00":
        return True
    events, clean, _, orphans, _ = run_from(data, x + 8, n, None, NO_LOSS, cut_ok=True)
    return (clean or events >= 4) and orphans <= events // 4


def _damaged_header(data: bytes, x: int) -> bool:
    """Does a header with a damaged tag start at ``x``: near ``MThd``, length 6, a track
    (its tag good or damaged) right after it?"""
    return (
        x >= 0
        and _near(data[x : x + 4], HEADER)
        and data[x + 4 : x + 8] == b"\x00\x00\x00\x06"
        and (data[x + 14 : x + 18] == TRACK or _damaged_track(data, x + 14))
    )


def _tag_fix(data: bytes, x: int, want: bytes, what: str) -> Fix:
    tag = data[x : x + 4]
    wrong = sum(a != b for a, b in zip(tag, want, strict=True))
    return Fix(
        "chunk-tag",
        x,
        f"chunk tag '{tag.decode('latin-1')}' is {wrong} byte(s) off '{want.decode()}' where "
        f"{what} must start; read as {want.decode()}",
        tag,
        want,
    )


def _damaged_marks(data: bytes, heads: list[int], tracks: list[int]) -> list[tuple[int, str]]:
    """Chunks whose tag is one or two bytes off, found where a chunk must start: a header
    before a good track, a track right after a header or where the chunk before it ends."""
    found: list[tuple[int, str]] = []
    known = set(tracks)
    todo: list[int] = list(tracks)
    damaged = [t - 14 for t in tracks if t >= 14 and _damaged_header(data, t - 14)]
    if 0 not in damaged and _damaged_header(data, 0):
        damaged.append(0)  # both tags damaged, at the start of the data
    found += [(h, "h") for h in damaged]
    for h in heads + damaged:
        x = h + 14
        if x not in known and _damaged_track(data, x):
            found.append((x, "t"))
            known.add(x)
            todo.append(x)
    bounds = sorted(heads + tracks)
    seen = 0
    while todo and seen < MAX_TRACKS * 4:
        t = todo.pop()
        seen += 1
        if t + 8 > len(data):
            continue
        ends = {t + 8 + _be32(data[t + 4 : t + 8])}
        i = bisect_right(bounds, t)
        nxt = bounds[i] if i < len(bounds) else len(data)
        e = data.find(b"\xff\x2f\x00", t + 8, nxt)
        if e >= 0:
            ends.add(e + 3)
        for x in sorted(ends):
            if x not in known and _damaged_track(data, x):
                found.append((x, "t"))
                known.add(x)
                todo.append(x)
    return found


def _track_end(data: bytes, t: int, limit: int) -> int:
    """Where the track at ``t`` most likely ends, without reading its events."""
    n = len(data)
    if t + 8 > n:
        return n
    declared = _be32(data[t + 4 : t + 8])
    d = t + 8 + declared
    if d <= n and (d in (limit, n) or data[d - 3 : d] == b"\xff/\x00"):
        return d
    slack = 16 + declared // 8
    best = -1
    i = data.find(b"\xff\x2f\x00", t + 8, limit)
    while i >= 0:
        if best >= 0 and i + 3 > d + slack:
            break
        best = i + 3
        i = data.find(b"\xff\x2f\x00", i + 1, limit)
    return best if best >= 0 else limit


def _chunks_span(data: bytes, pos: int, target: int) -> bool:
    """Do well-formed non-MIDI chunks fill [pos, target) exactly?"""
    while pos < target:
        if not _is_chunk_id(data[pos : pos + 4]) or pos + 8 > target:
            return False
        pos += 8 + _be32(data[pos + 4 : pos + 8])
    return pos == target


def _one_whole_file(data: bytes) -> bool:
    """Is ``data`` one Standard MIDI File to its last byte: a header, then the tracks it
    declares, each chunk as long as its length says and ending in End of Track? Then
    :func:`find_midi` finds exactly that file (every other mark would lie inside a track,
    which the carving skips), so the marks need not be looked for."""
    if not data.startswith(HEADER + b"\x00\x00\x00\x06") or len(data) < 14:
        return False
    pos = 14
    for _ in range(_be32(data[10:12])):
        if data[pos : pos + 4] != TRACK:
            return False
        pos += 8 + _be32(data[pos + 4 : pos + 8])
        if pos > len(data) or data[pos - 3 : pos] != b"\xff\x2f\x00":
            return False
    return pos == len(data)


def find_midi(data: bytes) -> list[Extent]:
    """[start, end) of each candidate MIDI file in ``data``, sorted and non-overlapping.

    A piece is an ``MThd`` with the tracks that follow it, a run of bare ``MTrk`` chunks, or a
    RIFF ``RMID`` wrapper. Linear in the size of the data.
    """
    if not data:
        return []
    if _one_whole_file(data):
        return [(0, len(data))]
    heads, tracks = _all(data, HEADER), _all(data, TRACK)
    marks = sorted(
        [(p, "h") for p in heads]
        + [(p, "t") for p in tracks]
        + [(p, "r") for p in _all(data, RIFF) if data[p + 8 : p + 12] == b"RMID"]
        + _damaged_marks(data, heads, tracks)
    )
    out: list[list[int]] = []
    expect = 0  # tracks the current header still announces
    cur: list[int] | None = None
    riff_end = -1
    for i, (p, kind) in enumerate(marks):
        if cur is not None and p < cur[1]:
            continue  # inside the previous track (text that spells a marker)
        limit = marks[i + 1][0] if i + 1 < len(marks) else len(data)
        if kind == "r":
            size = int.from_bytes(data[p + 4 : p + 8], "little")
            riff_end = min(len(data), p + 8 + size)
            cur = [p, p + 12]
            out.append(cur)
            expect = 0
            continue
        if kind == "h":
            if cur is not None and cur[0] <= p < riff_end and cur[1] <= p + 32:
                cur[1] = p + 14  # the header inside a RIFF wrapper
            else:
                cur = [p, min(len(data), p + 14)]
                out.append(cur)
            expect = _be32(data[p + 10 : p + 12]) if p + 12 <= len(data) else 0
            continue
        gap = p - cur[1] if cur is not None else -1
        joins = cur is not None and (
            0 <= gap <= JOIN_GAP or (expect > 0 and _chunks_span(data, cur[1], p))
        )
        if cur is None or not joins:
            cur = [p, p]
            out.append(cur)
            expect = 0
        cur[1] = max(cur[1], _track_end(data, p, limit))
        expect -= 1
    for ext in out:
        if ext[0] < riff_end and ext[1] < riff_end and ext[1] > ext[0] + 12:
            ext[1] = max(ext[1], min(riff_end, len(data)))
    result: list[Extent] = []
    for a, b in out:
        if result and a < result[-1][1]:
            result[-1] = (result[-1][0], max(result[-1][1], b))
        elif b > a:
            result.append((a, b))
    return result


# --------------------------------------------------------------------------- repair
