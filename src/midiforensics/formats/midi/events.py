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
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from .spec import CHANNEL_DATA, EOT, META_SIZES, SYSTEM_DATA, UNDEFINED_STATUS, vlq, vlq_at

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


def _resync(
    buf: bytes, pos: int, stop: int, running: int | None, lost: Lost, fail: Fail, held: Held
) -> _Choice | None:
    """The best reading of the bytes at ``pos`` after a failure, or None."""
    choices: list[_Choice] = []

    def consider(ev: Event, nxt: int, fix: Fix, penalty: float) -> None:
        after, odd = held_after(held, ev)
        penalty += odd
        run = strict_run(buf, nxt, stop, next_running(ev, running), lost, after)
        score = 1 + run - penalty
        choices.append(_Choice(score, ev, nxt, fix))

    # 1. A data byte above 127: clamp it (in an event with its own status byte or one
    # written with running status alike).
    if fail.reason == "data-byte":
        rc = _read_clamped(buf, pos, stop, running, lost, fail)
        if not isinstance(rc, Fail):
            ev, nxt = rc
            before = bytes([buf[fail.at]])
            fix = Fix(
                "data-byte-clamped",
                fail.at,
                f"data byte 0x{before[0]:02x} is above 127; the reading that clamps it "
                "leaves the longest valid run after it",
                before,
                _clamped(buf, fail.at, fail)[:1],
                lossy=True,
            )
            consider(ev, nxt, fix, 0.2)
    # 2. A fixed-size meta event with the wrong size: read it with the size it must have.
    if fail.reason == "meta" and pos < fail.at < stop and buf[fail.at - 1] == 0xFF:
        kind = buf[fail.at]
        sizes = META_SIZES.get(kind)
        rv = read_vlq(buf, fail.at + 1, stop)
        if sizes and not isinstance(rv, Fail):
            declared, q = rv
            want = max(sizes)
            if kind != EOT and q + want <= stop and not lost.hits(pos, q + want):
                dr = read_vlq(buf, pos, stop)
                delta = dr[0] if not isinstance(dr, Fail) else 0
                body = b"\xff" + bytes([kind]) + vlq(want) + buf[q : q + want]
                fix = Fix(
                    "meta-length",
                    fail.at + 1,
                    f"meta event 0x{kind:02x} declares {declared} bytes; it has {want}",
                    bytes([buf[fail.at + 1]]),
                    vlq(want),
                )
                consider(Event(pos, delta, body), q + want, fix, 0.25)
            if q + declared <= stop:
                nxt = q + declared
                dr = read_vlq(buf, pos, stop)
                delta = dr[0] if not isinstance(dr, Fail) else 0
                fix = Fix(
                    "meta-dropped",
                    pos,
                    f"meta event 0x{kind:02x} with {declared} bytes (it must have {want}) dropped",
                    buf[pos:nxt],
                    b"",
                )
                # A placeholder that keeps the delta time: an empty text event is not
                # written; the caller carries the delta onward.
                choices.append(
                    _Choice(
                        1 + strict_run(buf, nxt, stop, running, lost, held) - 0.5,
                        Event(pos, delta, b""),
                        nxt,
                        fix,
                    )
                )
    # 3. Drop bytes: from the event's start (with its delta), or after its delta time.
    dr = read_vlq(buf, pos, stop)
    after_delta = dr[1] if not isinstance(dr, Fail) else None
    reach = SEARCH
    hit = lost.hits(pos, max(fail.at, pos) + 1)
    if hit is not None:
        reach = hit[1] - pos + SEARCH
    if fail.reason == "lost":
        hit = lost.hits(pos, stop)
        if hit is not None:
            reach = hit[1] - pos + SEARCH
    for k in range(0, reach + 1):
        for with_delta in (True, False):
            if k == 0 and with_delta:
                continue
            start = pos + k
            if start >= stop:
                break
            r = read_event(buf, start, stop, running, lost, with_delta)
            if isinstance(r, Fail):
                continue
            ev, nxt = r
            delta = ev.delta
            if not with_delta and after_delta is not None and start >= after_delta:
                # the delta time read at pos is kept; the bytes between are dropped
                delta = dr[0] if not isinstance(dr, Fail) else 0
                dropped = buf[after_delta:start]
                drop_at = after_delta
            else:
                dropped = buf[pos:start]
                drop_at = pos
            if not dropped and with_delta:
                continue
            ev = Event(start, delta, ev.body, ev.running)
            if dropped:
                why = (
                    f"{len(dropped)} unreadable byte(s) dropped; reading on from here leaves "
                    "the longest valid run of events"
                )
                fix = Fix("bytes-dropped", drop_at, why, dropped, b"", lossy=True)
            else:
                why = (
                    "a status byte stood where a delta time belongs: the delta time is lost; "
                    "read with delta 0 (a guess)"
                )
                fix = Fix("delta-inserted", pos, why, b"", b"\x00", guessed=True)
            consider(ev, nxt, fix, 0.25 * len(dropped) + (0.0 if with_delta else 0.1))
    if not choices:
        return None
    return max(choices, key=lambda c: c.score)


@dataclass(frozen=True)
class _Mark:
    """The parse state at the start of an event, to go back to."""

    pos: int
    running: int | None
    sounding: Counter[tuple[int, int]]
    events: int
    fixes: int
    carry: int
    skipped: int


def _missing_value(
    buf: bytes,
    nxt: int,
    stop: int,
    running: int | None,
    lost: Lost,
    status: int,
    known: int,
    key_missing: bool,
    sounding: Counter[tuple[int, int]],
    velocity: int,
) -> tuple[int, str]:
    """The likeliest value of a lost key or velocity byte of a note event, and what it is
    inferred from."""
    ch = status & 0x0F
    if key_missing:
        held = [k for (c, k), n in sounding.items() if c == ch and n > 0]
        if (status & 0xF0 == 0x80 or known == 0) and held:
            return held[-1], f"the note sounding on channel {ch + 1}"
        # a note-on: the key its note-off ends, the first note-off ahead of nothing sounding
        pos, after, seen = nxt, running, set(held)
        for _ in range(LOOKAHEAD):
            r = read_event(buf, pos, stop, after, lost)
            if isinstance(r, Fail):
                break
            ev, pos = r
            change = note_change(ev.body)
            if change is not None and change[1][0] == ch:
                if change[0] > 0:
                    seen.add(change[1][1])
                elif change[1][1] not in seen:
                    return change[1][1], "the note-off ahead that ends no sounding note"
            after = next_running(ev, after)
        if held:
            return held[-1], f"the note sounding on channel {ch + 1}"
        return 60, "nothing to infer it from: middle C assumed"
    if status & 0xF0 == 0x80:
        return 0x40, "the usual note-off velocity"
    if sounding[(ch, known)] > 0:
        return 0, "the note is sounding: read as its end"
    return velocity, "the velocity of the last note-on"


def _is_ended(buf: bytes, pos: int, stop: int, running: int, lost: Lost, ev: Event) -> bool:
    """Is the note ``ev`` starts ended by a note-off in the strict reading from ``pos``?"""
    change = note_change(ev.body)
    if change is None or change[0] < 0:
        return False
    for _ in range(LOOKAHEAD):
        r = read_event(buf, pos, stop, running, lost)
        if isinstance(r, Fail):
            return False
        nxt, pos = r
        after = note_change(nxt.body)
        if after is not None and after[1] == change[1]:
            return after[0] < 0
        if nxt.is_eot:
            return False
        running = next_running(nxt, running) or running
    return False


def _reframe(
    buf: bytes,
    marks: Sequence[_Mark],
    stop: int,
    lost: Lost,
    velocity: int,
    failed: bool,
    note_status: int,
) -> tuple[_Mark, _Choice] | None:
    """A byte lost under running status reads on valid but wrong (note-offs of notes that
    are not sounding), or fails only later. Going back over the last few events, is there one
    that, read as missing its delta time, its key or its velocity, leaves a far better run
    after it than the reading as it is? After a failure (``failed``), the best such reading,
    for the caller to weigh against the others."""
    best: tuple[_Mark, _Choice] | None = None
    best_key = (0.0, 0.0)
    for mark in marks:
        held = frozenset(k for k, c in mark.sounding.items() if c > 0)
        if failed:
            base = -float(LOOKAHEAD)
        else:
            now = run_from(buf, mark.pos, stop, mark.running, lost, held)
            if (now[1] or now[0] >= LOOKAHEAD) and now[3] < 2:
                continue  # the reading as it is runs well enough
            base = quality(now)
        options: list[tuple[Event, int, Fix, float]] = []
        alt = read_event(buf, mark.pos, stop, mark.running, lost, with_delta=False)
        if not isinstance(alt, Fail) and buf[mark.pos] < 0x80:
            why = "a delta time is missing (a byte lost); read with delta 0"
            fix = Fix("delta-missing", mark.pos, why, b"", b"\x00", lossy=True)
            options.append((Event(mark.pos, 0, alt[0].body, alt[0].running), alt[1], fix, 0.5))
        dr = read_vlq(buf, mark.pos, stop)
        if (
            not isinstance(dr, Fail)
            and dr[1] < stop
            and buf[dr[1]] < 0x80
            and (mark.running is None or mark.running & 0xE0 != 0x80)
        ):
            # the status byte of the first note after other events is lost
            alt = read_event(buf, mark.pos, stop, note_status, lost)
            if not isinstance(alt, Fail) and _is_ended(
                buf, alt[1], stop, note_status, lost, alt[0]
            ):
                why = (
                    f"a status byte is lost; the data bytes here read as notes "
                    f"(status 0x{note_status:02x})"
                )
                fix = Fix("status-missing", dr[1], why, b"", bytes([note_status]), lossy=True)
                options.append((Event(mark.pos, alt[0].delta, alt[0].body), alt[1], fix, 1.0))
        if not isinstance(dr, Fail) and dr[1] < stop:
            delta, q = dr
            status, ds = (buf[q], q + 1) if buf[q] >= 0x80 else (mark.running, q)
            if (
                status is not None
                and status & 0xE0 == 0x80
                and ds < stop
                and buf[ds] < 0x80
                and not lost.hits(mark.pos, ds + 1)
            ):
                for key_missing in (True, False):
                    guess, source = _missing_value(
                        buf,
                        ds + 1,
                        stop,
                        status,
                        lost,
                        status,
                        buf[ds],
                        key_missing,
                        mark.sounding,
                        velocity,
                    )
                    data = (guess, buf[ds]) if key_missing else (buf[ds], guess)
                    what = "key" if key_missing else "velocity"
                    why = (
                        f"a byte of this note event is lost (the reading after it goes wrong "
                        f"otherwise); its {what} guessed as {guess}, from {source}"
                    )
                    at = ds if key_missing else ds + 1
                    fix = Fix(
                        "byte-missing", at, why, b"", bytes([guess]), lossy=True, guessed=True
                    )
                    body = bytes([status, *data])
                    options.append((Event(mark.pos, delta, body, q == ds), ds + 1, fix, 0.5))
        for ev, nxt, fix, penalty in options:
            after, odd = held_after(held, ev)
            penalty += odd
            run = run_from(buf, nxt, stop, next_running(ev, mark.running), lost, after)
            score = 1 + quality(run) - penalty
            # the best reading wins; of equals, the one that mends the most of what was read
            key = (score, score - base)
            if score - base >= REFRAME_GAIN and (best is None or key > best_key):
                best, best_key = (mark, _Choice(score, ev, nxt, fix)), key
    return best


def _closed(buf: bytes, pos: int, stop: int, running: int | None, lost: Lost, held: Held) -> int:
    """How many sounding notes the strict reading from ``pos`` ends (within LOOKAHEAD)."""
    sounding = set(held)
    closed = 0
    clamps = 1
    for _ in range(LOOKAHEAD):
        r = read_event(buf, pos, stop, running, lost)
        if isinstance(r, Fail) and r.reason == "data-byte" and clamps > 0:
            r = _read_clamped(buf, pos, stop, running, lost, r)
            clamps -= 1
        if isinstance(r, Fail):
            break
        ev, pos = r
        closed += _track_note(sounding, ev) > 0
        running = next_running(ev, running)
    return closed


def _status_as_data(
    buf: bytes,
    pos: int,
    stop: int,
    running: int,
    lost: Lost,
    held: Held,
    ev: Event,
    nxt: int,
) -> _Choice | None:
    """The event at ``pos`` read under running status with its new status byte taken as a
    data byte above 127, when that reading plays on (ends notes) and the other does not."""
    dr = read_vlq(buf, pos, stop)
    if isinstance(dr, Fail):
        return None
    q = dr[1]
    if q >= stop or buf[q] != ev.body[0] or lost.hits(q, q + 1):
        return None
    local = buf[pos:q] + bytes([buf[q] & 0x7F]) + buf[q + 1 : min(stop, q + 8)]
    r = read_event(local, 0, len(local), running, NO_LOSS)
    if isinstance(r, Fail):
        return None
    alt, used = r

    def judge(e: Event, at: int, after_status: int | None) -> tuple[float, int]:
        after = set(held)
        change = note_change(e.body)
        if change is not None:
            (after.add if change[0] > 0 else after.discard)(change[1])
        frozen = frozenset(after)
        run = run_from(buf, at, stop, after_status, lost, frozen, clamps=1, cut_ok=True)
        return quality(run), _closed(buf, at, stop, after_status, lost, frozen)

    q_now, closed_now = judge(ev, nxt, next_running(ev, running))
    q_alt, closed_alt = judge(alt, pos + used, running)
    if q_alt >= q_now and closed_alt >= closed_now + 2:
        before = buf[q : q + 1]
        fix = Fix(
            "data-byte-clamped",
            q,
            f"byte 0x{before[0]:02x} reads as a new status byte, after which the notes stop "
            "making sense; read as a data byte above 127 under running status and clamped",
            before,
            bytes([before[0] & 0x7F]),
            lossy=True,
        )
        return _Choice(float(q_alt), Event(pos, alt.delta, alt.body, True), pos + used, fix)
    return None


def parse_track(
    buf: bytes,
    start: int,
    limit: int,
    declared_end: int | None,
    lost: Lost = NO_LOSS,
    budget: list[int] | None = None,
) -> TrackParse:
    """Read the events of a track from ``start``, up to ``limit`` at most.

    Stops at an End of Track, unless the chunk (``declared_end``) says more events follow and
    they read cleanly. ``budget`` is a shared counter of re-synchronisations left, so hostile
    input costs bounded time.
    """
    if budget is None:
        budget = [400]
    tp = TrackParse(end=start)
    pos = start
    running: int | None = None
    carry = 0  # delta time of dropped events, added to the next kept event
    after_sysex = False  # mido forgets running status after SysEx; players do not
    rs_noted = False
    tolerant = budget[0] > 0
    sounding: Counter[tuple[int, int]] = Counter()
    ok_until = start  # the reading is known to run without failure up to here
    marks: deque[_Mark] = deque(maxlen=BACK)
    statuses: set[int] = set()  # channel status bytes seen in the track
    note_status = 0x90  # note-on on the channel of the last note event, for a lost status
    velocity = 64  # of the last note-on, for a lost one
    while pos < limit:
        if tolerant:
            marks.append(
                _Mark(
                    pos, running, sounding.copy(), len(tp.events), len(tp.fixes), carry, tp.skipped
                )
            )
        r = read_event(buf, pos, limit, running, lost)
        if not isinstance(r, Fail) and tolerant and pos >= ok_until and 0x80 <= buf[pos] < 0xF0:
            # A status byte read as the first byte of a delta time: is the delta missing?
            held = frozenset(k for k, c in sounding.items() if c > 0)
            run_a = run_from(buf, pos, limit, running, lost, held, clamps=1, cut_ok=True)
            if (run_a[1] or run_a[0] >= LOOKAHEAD) and not run_a[3]:
                ok_until = run_a[2]
            else:
                alt = read_event(buf, pos, limit, running, lost, with_delta=False)
                if not isinstance(alt, Fail):
                    ev_b = alt[0]
                    held_b = set(held)
                    change = note_change(ev_b.body)
                    if change is not None:
                        (held_b.add if change[0] > 0 else held_b.discard)(change[1])
                    run_b = run_from(
                        buf,
                        alt[1],
                        limit,
                        next_running(ev_b, running),
                        lost,
                        frozenset(held_b),
                        clamps=1,
                        cut_ok=True,
                    )
                    if quality(run_b) + 1 >= quality(run_a) + 2:
                        why = (
                            "a status byte stood where a delta time belongs: the delta time "
                            "is lost; read with delta 0 (a guess)"
                        )
                        tp.fixes.append(Fix("delta-inserted", pos, why, b"", b"\x00", guessed=True))
                        r = alt
        if not isinstance(r, Fail):
            ev, nxt = r
            status = ev.body[0]
            if (
                tolerant
                and budget[0] > 0
                and running is not None
                and running & 0xE0 == 0x80
                and not ev.running
                and 0x80 <= status < 0xF0
                and status != running
                and status not in statuses
            ):
                # a status byte never seen in this track, under running status: a data byte
                # above 127 read as a status, after which the rest reads valid but wrong?
                held = frozenset(k for k, c in sounding.items() if c > 0)
                as_data = _status_as_data(buf, pos, limit, running, lost, held, ev, nxt)
                if as_data is not None:
                    budget[0] -= 1
                    tp.fixes.append(as_data.fix)
                    tp.skipped += 1
                    ev, nxt = as_data.event, as_data.next_pos
            if ev.body[0] < 0xF0:
                statuses.add(ev.body[0])
                if ev.body[0] & 0xE0 == 0x80:
                    note_status = 0x90 | (ev.body[0] & 0x0F)
            if ev.running and after_sysex and not rs_noted:
                rs_noted = True
                why = (
                    "running status continues across a SysEx event (players keep it, mido does "
                    "not); status bytes written out"
                )
                tp.fixes.append(Fix("running-status", pos, why, b"", ev.body[:1]))
            if ev.body[:1] == b"\xff":
                problem = (
                    meta_problem(ev.body[1], ev.body[3:]) if ev.body[1] in META_SIZES else None
                )
                if problem is not None:
                    tp.fixes.append(
                        Fix("meta-dropped", pos, problem + "; event dropped", buf[pos:nxt])
                    )
                    carry += ev.delta
                    pos = nxt
                    continue
            if ev.is_eot:
                rest_end = declared_end if declared_end is not None else limit
                if nxt < min(rest_end, limit) and _events_follow(buf, nxt, limit, running, lost):
                    tp.fixes.append(
                        Fix(
                            "events-after-end-of-track",
                            pos,
                            "events follow the End of Track in the same chunk; kept, and the "
                            "End of Track moved to the end",
                            buf[pos:nxt],
                            b"",
                        )
                    )
                    carry += ev.delta
                    pos = nxt
                    continue
                tp.events.append(Event(ev.offset, ev.delta + carry, ev.body))
                tp.eot, tp.end = True, nxt
                return tp
            if ev.body[0] in (0xF0, 0xF7) or 0xF0 < ev.body[0] < 0xFF:
                after_sysex = True
            elif ev.body[0] < 0xF0 and not ev.running:
                after_sysex = False
            change = note_change(ev.body)
            if (
                change is not None
                and change[0] < 0
                and sounding[change[1]] <= 0
                and tolerant
                and budget[0] > 0
            ):
                # a note-off of a note not sounding: has a lost byte shifted the reading?
                found = _reframe(buf, list(marks)[::-1], limit, lost, velocity, False, note_status)
                if found is not None:
                    budget[0] -= 1
                    mark, picked = found
                    del tp.events[mark.events :], tp.fixes[mark.fixes :]
                    sounding, carry, tp.skipped = mark.sounding.copy(), mark.carry, mark.skipped
                    tp.fixes.append(picked.fix)
                    ev, nxt, running = picked.event, picked.next_pos, mark.running
                    marks.clear()
            tp.events.append(Event(ev.offset, ev.delta + carry, ev.body, ev.running))
            _hold(sounding, ev.body)
            if ev.body[0] & 0xF0 == 0x90 and ev.body[2] > 0:
                velocity = ev.body[2]
            carry = 0
            running = next_running(ev, running)
            pos = tp.end = nxt
            continue
        fail = r
        if buf[pos : pos + 3] == b"\xff\x2f\x00" and not _events_follow(
            buf, pos + 3, min(limit, declared_end or limit), running, lost
        ):
            why = "End of Track written without its delta time; read with delta 0 (a guess)"
            tp.fixes.append(Fix("delta-inserted", pos, why, b"", b"\x00", guessed=True))
            tp.events.append(Event(pos, carry, b"\xff\x2f\x00"))
            tp.eot, tp.end = True, pos + 3
            return tp
        if fail.reason == "truncated" and _eot_prefix(buf, pos, limit):
            dr = read_vlq(buf, pos, limit)
            delta = dr[0] if not isinstance(dr, Fail) else 0
            why = "the End of Track is cut short at the end of the data; completed"
            tp.fixes.append(Fix("end-of-track-completed", pos, why, buf[pos:limit], b""))
            tp.events.append(Event(pos, delta + carry, b"\xff\x2f\x00"))
            tp.eot, tp.end = True, limit
            return tp
        if fail.reason == "truncated" and (limit - pos < 8 or budget[0] <= 0):
            break
        if (
            fail.reason == "meta"
            and pos + 1 < limit
            and fail.at < limit
            and buf[fail.at] == EOT
            and not _events_follow(buf, _meta_end(buf, fail.at, limit), limit, running, lost)
        ):
            # A malformed End of Track with nothing after it: the track ends here.
            end = _meta_end(buf, fail.at, limit)
            tp.fixes.append(
                Fix(
                    "meta-length",
                    fail.at + 1,
                    "End of Track with a non-zero length",
                    buf[fail.at + 1 : end],
                    b"\x00",
                )
            )
            dr = read_vlq(buf, pos, limit)
            delta = dr[0] if not isinstance(dr, Fail) else 0
            tp.events.append(Event(pos, delta + carry, b"\xff\x2f\x00"))
            tp.eot, tp.end = True, end
            return tp
        skip = _damaged_meta(buf, pos, limit, running, lost, fail)
        if skip is not None:
            # A malformed End of Track with events after it that read on: not the end, but a
            # damaged meta event, skipped by the length it declares (its delta time carried).
            dr = read_vlq(buf, pos, limit)
            carry += dr[0] if not isinstance(dr, Fail) else 0
            tp.fixes.append(
                Fix(
                    "meta-dropped",
                    pos,
                    f"End of Track declaring {buf[fail.at + 1]} byte(s) in mid-track, with events "
                    "reading on after them: a damaged meta event, dropped by its declared length",
                    buf[pos:skip],
                    b"",
                    lossy=True,
                )
            )
            tp.skipped += skip - pos
            pos = tp.end = skip
            continue
        if fail.reason == "undefined-status":
            # an undefined status byte carries no data: drop it, keep its delta time
            dr = read_vlq(buf, pos, limit)
            if not isinstance(dr, Fail):
                carry += dr[0]
            byte = buf[fail.at : fail.at + 1]
            why = f"undefined status byte 0x{byte[0]:02x} dropped"
            tp.fixes.append(Fix("status-dropped", fail.at, why, byte))
            pos = fail.at + 1
            continue
        held = frozenset(k for k, c in sounding.items() if c > 0)
        choice = _resync(buf, pos, limit, running, lost, fail, held) if budget[0] > 0 else None
        if budget[0] > 0 and fail.reason != "truncated" and (running or fail.reason == "no-status"):
            # or a byte lost a little before, that only now makes the reading fail
            found = _reframe(buf, list(marks)[::-1], limit, lost, velocity, True, note_status)
            if found is not None and (choice is None or found[1].score > choice.score):
                mark, choice = found
                del tp.events[mark.events :], tp.fixes[mark.fixes :]
                sounding, carry, tp.skipped = mark.sounding.copy(), mark.carry, mark.skipped
                running = mark.running
                marks.clear()
        budget[0] -= 1
        if choice is None or (choice.score <= 1 and fail.reason == "truncated"):
            if fail.reason == "truncated":
                break
            # nothing reads well from here: drop one byte
            _drop_byte(tp, buf, pos)
            pos += 1
            continue
        fix = choice.fix
        tp.fixes.append(fix)
        if fix.lossy:
            tp.skipped += len(fix.before)
        ev = choice.event
        if ev.body:
            if ev.is_eot:
                tp.events.append(Event(ev.offset, ev.delta + carry, ev.body))
                tp.eot, tp.end = True, choice.next_pos
                return tp
            tp.events.append(Event(ev.offset, ev.delta + carry, ev.body, ev.running))
            _hold(sounding, ev.body)
            carry = 0
            running = next_running(ev, running)
            if ev.body[0] >= 0xF0:
                after_sysex = ev.body[0] != 0xFF or after_sysex
        else:
            carry += ev.delta
        pos = tp.end = choice.next_pos
    if pos < limit:
        tp.fixes.append(
            Fix(
                "truncated",
                pos,
                f"the track breaks off inside an event; {limit - pos} byte(s) of it dropped",
                buf[pos:limit],
                lossy=True,
            )
        )
        tp.end = limit
    else:
        tp.end = max(tp.end, pos)
    return tp


def _hold(sounding: Counter[tuple[int, int]], body: bytes) -> None:
    change = note_change(body)
    if change is not None and (change[0] > 0 or sounding[change[1]] > 0):
        sounding[change[1]] += change[0]


def _drop_byte(tp: TrackParse, buf: bytes, pos: int) -> None:
    """Drop one unreadable byte, merged with the drop just before it."""
    tp.skipped += 1
    last = tp.fixes[-1] if tp.fixes else None
    if last is not None and last.kind == "bytes-dropped" and last.offset + len(last.before) == pos:
        before = last.before + buf[pos : pos + 1]
        why = f"{len(before)} unreadable byte(s) dropped"
        tp.fixes[-1] = Fix("bytes-dropped", last.offset, why, before, lossy=True)
    else:
        tp.fixes.append(
            Fix(
                "bytes-dropped", pos, "1 unreadable byte(s) dropped", buf[pos : pos + 1], lossy=True
            )
        )


def _eot_prefix(buf: bytes, pos: int, stop: int) -> bool:
    """Are the bytes left a delta time and the start of an End of Track?"""
    r = read_vlq(buf, pos, stop)
    if isinstance(r, Fail):
        return False
    rest = buf[r[1] : stop]
    return len(rest) > 0 and b"\xff\x2f\x00".startswith(rest)


def _meta_end(buf: bytes, kind_at: int, stop: int) -> int:
    r = read_vlq(buf, kind_at + 1, stop)
    if isinstance(r, Fail):
        return min(kind_at + 2, stop)
    size, q = r
    return min(q + size, stop)


def _damaged_meta(
    buf: bytes, pos: int, stop: int, running: int | None, lost: Lost, fail: Fail
) -> int | None:
    """Where a malformed End of Track at ``pos`` ends by its declared length, when real
    events read on from there; else None."""
    if fail.reason != "meta" or not pos < fail.at < stop - 1 or buf[fail.at] != EOT:
        return None
    if buf[fail.at - 1] != 0xFF:
        return None
    r = read_vlq(buf, fail.at + 1, stop)
    if isinstance(r, Fail) or r[0] == 0 or r[1] + r[0] > stop:
        return None
    end = r[1] + r[0]
    if lost.hits(pos, end) or not _events_follow(buf, end, stop, running, lost):
        return None
    return end


def _events_follow(buf: bytes, pos: int, stop: int, running: int | None, lost: Lost) -> bool:
    """Do real events (not noise) follow ``pos``? Two or more, or a clean end."""
    if pos >= stop:
        return False
    return strict_run(buf, pos, stop, running, lost) >= 2
