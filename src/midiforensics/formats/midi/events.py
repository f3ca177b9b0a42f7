"""Tolerant reading of the events inside one MIDI track chunk.

``read_event`` reads one event strictly and says exactly why it cannot; ``parse_track`` walks a
track with it and, at each failure, chooses among several readings (clamp a data byte, drop
bytes, read a status without its delta time, fix a meta length) the one that leaves the
longest valid run of events after it. Under running status a lost or damaged byte can leave a
reading that stays valid but is wrong; note-offs of notes that are not sounding, a status byte
never seen before, or a failure a few events later make it look back over the last events for
one missing its delta time, key, velocity or status byte. Every change is returned as a
:class:`Fix` with the byte offset it applies to; the caller turns fixes into repairs.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from .spec import CHANNEL_DATA, META_SIZES, SYSTEM_DATA, UNDEFINED_STATUS, vlq, vlq_at

LOOKAHEAD = 24  # events read ahead to judge a reading
CUT_EVENT = 8  # bytes at most of a last event that the end of the data cuts short
SEARCH = 12  # bytes tried beyond a failure (and beyond a lost range) when re-synchronising
MIN_BPM, MAX_BPM = 10.0, 1000.0
BACK = 4  # events looked back over when a lost byte may have shifted the reading
REFRAME_GAIN = 2.0  # how much better a reading with a lost byte restored must run
PAIR_WEIGHT, PAIRS = 1.0, 4  # worth of a note ended by its note-off, counted up to PAIRS


@dataclass(frozen=True)
class Event:
    """One event: where it started, its delta time and its bytes with an explicit status."""

    offset: int
    delta: int
    body: bytes
    running: bool = False  # written with running status in the source

    @property
    def is_eot(self) -> bool:
        return self.body[:2] == b"\xff\x2f"


@dataclass(frozen=True)
class Fail:
    reason: (
        str  # truncated | delta | no-status | undefined-status | data-byte | meta | sysex | lost
    )
    at: int


@dataclass(frozen=True)
class Fix:
    kind: str
    offset: int
    reason: str
    before: bytes = b""
    after: bytes = b""
    lossy: bool = False  # bytes of the data are gone (dropped, or a byte lost in the source)
    guessed: bool = False  # a value written that the data does not hold (a lost delta time)

    @property
    def loss(self) -> str:
        """``Repair.loss`` for this fix: "lost", "guessed" or ""."""
        return "lost" if self.lossy else "guessed" if self.guessed else ""


@dataclass
class TrackParse:
    events: list[Event] = field(default_factory=list)
    fixes: list[Fix] = field(default_factory=list)
    end: int = 0  # where the track's bytes end in the data
    eot: bool = False  # ended by a well-formed End of Track
    skipped: int = 0  # bytes dropped as unreadable


class Lost:
    """Byte ranges known to be noise; answers 'does [a, b) touch one?' in log time."""

    def __init__(self, ranges: Sequence[tuple[int, int]]) -> None:
        merged: list[tuple[int, int]] = []
        for a, b in sorted((int(a), int(b)) for a, b in ranges if b > a):
            if merged and a <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], b))
            else:
                merged.append((a, b))
        self.ranges = merged
        self.starts = [a for a, _ in merged]

    def hits(self, a: int, b: int) -> tuple[int, int] | None:
        i = bisect_right(self.starts, b - 1) - 1
        if i >= 0 and self.ranges[i][1] > a:
            return self.ranges[i]
        return None


NO_LOSS = Lost(())


def read_vlq(buf: bytes, pos: int, stop: int) -> tuple[int, int] | Fail:
    value, nxt = vlq_at(buf, pos, stop)
    if value == -2:
        return Fail("truncated", stop)
    if value < 0:
        return Fail("delta", pos)
    return value, nxt


def meta_problem(kind: int, payload: bytes) -> str | None:
    """Why a well-framed meta event is still unusable, or None."""
    if kind == 0x59:
        sf = payload[0] - 256 if payload[0] > 127 else payload[0]
        if not -7 <= sf <= 7 or payload[1] > 1:
            return f"key signature {sf} {'sharps' if sf > 0 else 'flats'}, mode {payload[1]} is out of range"
    if kind == 0x51:
        tempo = int.from_bytes(payload[:3], "big")
        if tempo == 0 or not MIN_BPM <= 60e6 / tempo <= MAX_BPM:
            bpm = "infinite" if tempo == 0 else f"{60e6 / tempo:.1f}"
            return f"tempo of {bpm} beats per minute is absurd"
    if kind == 0x54 and payload[0] >> 5 > 3:
        return "SMPTE offset with an undefined frame rate"
    return None


def read_event(
    buf: bytes, pos: int, stop: int, running: int | None, lost: Lost, with_delta: bool = True
) -> tuple[Event, int] | Fail:
    """Read one event strictly; the status byte is written out explicitly in ``body``."""
    delta = 0
    p = pos
    if with_delta:
        r = read_vlq(buf, pos, stop)
        if isinstance(r, Fail):
            return r
        delta, p = r
    if p >= stop:
        return Fail("truncated", p)
    status = buf[p]
    used_running = False
    if status < 0x80:
        if running is None:
            return Fail("no-status", p)
        status, used_running = running, True
    else:
        p += 1
    if status == 0xFF:
        if p >= stop:
            return Fail("truncated", p)
        kind = buf[p]
        if kind > 0x7F:
            return Fail("meta", p)
        r = read_vlq(buf, p + 1, stop)
        if isinstance(r, Fail):
            return r
        size, q = r
        if q + size > stop:
            return Fail("truncated", stop)
        sizes = META_SIZES.get(kind)
        if sizes is not None and size not in sizes:
            return Fail("meta", p)
        body = b"\xff" + bytes([kind]) + vlq(size) + buf[q : q + size]
        end = q + size
    elif status in (0xF0, 0xF7):
        r = read_vlq(buf, p, stop)
        if isinstance(r, Fail):
            return r
        size, q = r
        if q + size > stop:
            return Fail("truncated", stop)
        payload = buf[q : q + size]
        # A SysEx may come in packets (F0 ... then F7 ...), so no F7 is needed at the end;
        # the bytes inside must be data bytes, as readers (mido) require.
        inner = payload[1:] if payload[:1] == b"\xf0" else payload
        inner = inner[:-1] if inner.endswith(b"\xf7") else inner
        if any(b > 0x7F for b in inner):
            return Fail("sysex", p)
        body = bytes([status]) + vlq(size) + payload
        end = q + size
    elif status in UNDEFINED_STATUS:
        return Fail("undefined-status", p - 1)
    else:
        n = CHANNEL_DATA[status >> 4] if status < 0xF0 else SYSTEM_DATA[status]
        start = p
        if start + n > stop:
            return Fail("truncated", stop)
        data = buf[start : start + n]
        for i, b in enumerate(data):
            if b > 0x7F:
                return Fail("data-byte", start + i)
        body = bytes([status]) + data
        end = start + n
    if lost.hits(pos, end):
        return Fail("lost", pos)
    return Event(pos, delta, body, used_running), end


def next_running(ev: Event, running: int | None) -> int | None:
    status = ev.body[0]
    return status if status < 0xF0 else running


Held = frozenset[tuple[int, int]]


def note_change(body: bytes) -> tuple[int, tuple[int, int]] | None:
    """(+1 or -1, (channel, key)) for a note-on or note-off, else None."""
    if not body or body[0] >= 0xF0 or body[0] & 0xE0 != 0x80:
        return None
    key = (body[0] & 0x0F, body[1])
    return (1 if body[0] & 0xF0 == 0x90 and body[2] > 0 else -1), key


class Run(NamedTuple):
    """How a strict reading from some position went."""

    events: int
    clean: bool
    stop: int
    orphans: int
    pairs: int = 0


def run_from(
    buf: bytes,
    pos: int,
    stop: int,
    running: int | None,
    lost: Lost,
    held: Held = frozenset(),
    clamps: int = 0,
    cut_ok: bool = False,
) -> Run:
    """Read strictly from ``pos``: (events read, ended cleanly, where reading stopped,
    note-offs for notes not sounding, plus one for each data byte clamped and for each note
    still sounding at the End of Track, notes ended by their note-off).

    A note left sounding at the End of Track while a note-off of a note not sounding was read
    is one damaged key byte, not two faults: the pair counts once.

    A clean end is an End of Track (also one written without its delta time) or ``stop``
    itself; undefined status bytes are stepped over, as the repair will drop them. With
    ``cut_ok``, a last event that ``stop`` cuts short (the data ends inside it) is a clean end
    too; up to ``clamps`` data bytes above 127 are read clamped, as the repair would.
    """
    n = orphans = offs = pairs = 0
    sounding = set(held)
    while n < LOOKAHEAD:
        if pos == stop:
            return Run(n, n > 0, pos, orphans, pairs)
        r = read_event(buf, pos, stop, running, lost)
        if isinstance(r, Fail) and r.reason == "data-byte" and clamps > 0:
            r = _read_clamped(buf, pos, stop, running, lost, r)
            clamps -= 1
            orphans += 1
        if isinstance(r, Fail):
            if r.reason == "undefined-status":
                pos = r.at + 1
                continue
            if buf[pos : pos + 3] == b"\xff\x2f\x00":
                # an End of Track without its delta time: clean, but a repair of its own
                return Run(n + 1, True, pos + 3, orphans + 1, pairs)
            if cut_ok and r.reason == "truncated" and n > 0 and stop - pos <= CUT_EVENT:
                return Run(n, True, stop, orphans, pairs)
            return Run(n, False, pos, orphans, pairs)
        ev, pos = r
        n += 1
        if ev.is_eot:
            # notes still sounding at the End of Track count against the reading too
            return Run(n, True, pos, orphans + max(0, len(sounding) - offs), pairs)
        ended = _track_note(sounding, ev)
        pairs += ended > 0
        orphans += ended < 0
        offs += ended < 0
        running = next_running(ev, running)
    return Run(n, False, pos, orphans, pairs)


def quality(run: Run) -> float:
    # Every reading that ends cleanly is as good as any other (more, smaller events are no
    # better); among them the one that changes least wins, and then the one whose notes end
    # by their own note-offs (a misframed reading rarely pairs them).
    return (
        (2 * LOOKAHEAD if run.clean else run.events)
        - run.orphans
        + PAIR_WEIGHT * min(run.pairs, PAIRS)
    )


def strict_run(
    buf: bytes, pos: int, stop: int, running: int | None, lost: Lost, held: Held = frozenset()
) -> float:
    """How good the reading from ``pos`` is: events read before a failure, plus a bonus
    when the run ends cleanly, less the note-offs of notes that are not sounding, plus a
    little for notes ended by their own note-offs."""
    return quality(run_from(buf, pos, stop, running, lost, held))


def _clamped(buf: bytes, pos: int, fail: Fail) -> bytes:
    """The bytes from ``pos`` with the one bad data byte turned into a valid one."""
    b = buf[fail.at]
    value = b & 0x7F
    if value == 0:
        value = 0x7F
    return buf[pos : fail.at] + bytes([value]) + buf[fail.at + 1 : fail.at + 8]


def _read_clamped(
    buf: bytes, pos: int, stop: int, running: int | None, lost: Lost, fail: Fail
) -> tuple[Event, int] | Fail:
    """The event at ``pos`` read with its bad data byte clamped (positions as in ``buf``)."""
    if fail.at >= stop or lost.hits(fail.at, fail.at + 1):
        return fail
    local = _clamped(buf, pos, fail)[: stop - pos]
    r = read_event(local, 0, len(local), running, NO_LOSS)
    if isinstance(r, Fail):
        return fail
    ev, used = r
    if lost.hits(pos, pos + used):
        return fail
    return Event(pos, ev.delta, ev.body, ev.running), pos + used


@dataclass
class _Choice:
    score: float
    event: Event
    next_pos: int
    fix: Fix


def _track_note(sounding: set[tuple[int, int]], ev: Event) -> int:
    """Update ``sounding`` for ``ev``: 1 when it ends a sounding note, -1 when it ends a note
    that is not sounding, 0 otherwise."""
    change = note_change(ev.body)
    if change is None:
        return 0
    if change[0] > 0:
        sounding.add(change[1])
        return 0
    if change[1] in sounding:
        sounding.discard(change[1])
        return 1
    return -1


def held_after(held: Held, ev: Event) -> tuple[Held, int]:
    """The notes sounding after ``ev``, and 1 when ``ev`` ends a note that is not sounding."""
    after = set(held)
    change = note_change(ev.body)
    if change is None:
        return frozenset(after), 0
    if change[0] > 0:
        after.add(change[1])
    elif change[1] in after:
        after.discard(change[1])
    else:
        return frozenset(after), 1
    return frozenset(after), 0
