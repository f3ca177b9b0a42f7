"""Readings of a track after a failure: which bytes to clamp, drop or restore.

``_resync`` weighs the readings of the bytes at a failure (clamp a data byte, fix a meta
length, drop bytes, read a status without its delta time); ``_reframe`` looks back over the
last events for one that lost a delta time, key, velocity or status byte; ``_status_as_data``
tells a status byte that is really a data byte above 127. Each returns its reading with the
:class:`~.events.Fix` that records it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from .events import (
    LOOKAHEAD,
    NO_LOSS,
    REFRAME_GAIN,
    SEARCH,
    Event,
    Fail,
    Fix,
    Held,
    Lost,
    _Choice,
    _clamped,
    _read_clamped,
    _track_note,
    held_after,
    next_running,
    note_change,
    quality,
    read_event,
    read_vlq,
    run_from,
    strict_run,
)
from .spec import EOT, META_SIZES, vlq


@dataclass
class _Readings:
    """The readings of the bytes at ``pos`` after a failure, gathered in order."""

    buf: bytes
    pos: int
    stop: int
    running: int | None
    lost: Lost
    held: Held
    choices: list[_Choice] = field(default_factory=list)

    def consider(self, ev: Event, nxt: int, fix: Fix, penalty: float) -> None:
        after, odd = held_after(self.held, ev)
        penalty += odd
        run = strict_run(self.buf, nxt, self.stop, next_running(ev, self.running), self.lost, after)
        score = 1 + run - penalty
        self.choices.append(_Choice(score, ev, nxt, fix))


def _resync(
    buf: bytes, pos: int, stop: int, running: int | None, lost: Lost, fail: Fail, held: Held
) -> _Choice | None:
    """The best reading of the bytes at ``pos`` after a failure, or None."""
    rd = _Readings(buf, pos, stop, running, lost, held)
    # 1. A data byte above 127: clamp it (in an event with its own status byte or one
    # written with running status alike).
    if fail.reason == "data-byte":
        _clamp_reading(rd, fail)
    # 2. A fixed-size meta event with the wrong size: read it with the size it must have.
    if fail.reason == "meta" and pos < fail.at < stop and buf[fail.at - 1] == 0xFF:
        _meta_readings(rd, fail)
    # 3. Drop bytes: from the event's start (with its delta), or after its delta time.
    _drop_readings(rd, fail)
    if not rd.choices:
        return None
    return max(rd.choices, key=lambda c: c.score)


def _clamp_reading(rd: _Readings, fail: Fail) -> None:
    buf = rd.buf
    rc = _read_clamped(buf, rd.pos, rd.stop, rd.running, rd.lost, fail)
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
        rd.consider(ev, nxt, fix, 0.2)


def _meta_readings(rd: _Readings, fail: Fail) -> None:
    buf, pos, stop = rd.buf, rd.pos, rd.stop
    kind = buf[fail.at]
    sizes = META_SIZES.get(kind)
    rv = read_vlq(buf, fail.at + 1, stop)
    if not sizes or isinstance(rv, Fail):
        return
    declared, q = rv
    want = max(sizes)
    if kind != EOT and q + want <= stop and not rd.lost.hits(pos, q + want):
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
        rd.consider(Event(pos, delta, body), q + want, fix, 0.25)
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
        rd.choices.append(
            _Choice(
                1 + strict_run(buf, nxt, stop, rd.running, rd.lost, rd.held) - 0.5,
                Event(pos, delta, b""),
                nxt,
                fix,
            )
        )


def _drop_readings(rd: _Readings, fail: Fail) -> None:
    buf, pos, stop, lost = rd.buf, rd.pos, rd.stop, rd.lost
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
            r = read_event(buf, start, stop, rd.running, lost, with_delta)
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
            rd.consider(
                ev, nxt, _drop_fix(pos, drop_at, dropped), _drop_penalty(dropped, with_delta)
            )


def _drop_penalty(dropped: bytes, with_delta: bool) -> float:
    return 0.25 * len(dropped) + (0.0 if with_delta else 0.1)


def _drop_fix(pos: int, drop_at: int, dropped: bytes) -> Fix:
    if dropped:
        why = (
            f"{len(dropped)} unreadable byte(s) dropped; reading on from here leaves "
            "the longest valid run of events"
        )
        return Fix("bytes-dropped", drop_at, why, dropped, b"", lossy=True)
    why = (
        "a status byte stood where a delta time belongs: the delta time is lost; "
        "read with delta 0 (a guess)"
    )
    return Fix("delta-inserted", pos, why, b"", b"\x00", guessed=True)


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


_Option = tuple[Event, int, Fix, float]  # a reading, where it ends, its fix and penalty


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
        options = _delta_missing(buf, mark, stop, lost)
        options += _status_missing(buf, mark, stop, lost, note_status)
        options += _byte_missing(buf, mark, stop, lost, velocity)
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


def _delta_missing(buf: bytes, mark: _Mark, stop: int, lost: Lost) -> list[_Option]:
    """The event at ``mark`` read as missing its delta time."""
    alt = read_event(buf, mark.pos, stop, mark.running, lost, with_delta=False)
    if isinstance(alt, Fail) or buf[mark.pos] >= 0x80:
        return []
    why = "a delta time is missing (a byte lost); read with delta 0"
    fix = Fix("delta-missing", mark.pos, why, b"", b"\x00", lossy=True)
    return [(Event(mark.pos, 0, alt[0].body, alt[0].running), alt[1], fix, 0.5)]


def _status_missing(
    buf: bytes, mark: _Mark, stop: int, lost: Lost, note_status: int
) -> list[_Option]:
    """The data bytes at ``mark`` read as notes whose status byte is lost."""
    dr = read_vlq(buf, mark.pos, stop)
    if not (
        not isinstance(dr, Fail)
        and dr[1] < stop
        and buf[dr[1]] < 0x80
        and (mark.running is None or mark.running & 0xE0 != 0x80)
    ):
        return []
    # the status byte of the first note after other events is lost
    alt = read_event(buf, mark.pos, stop, note_status, lost)
    if isinstance(alt, Fail) or not _is_ended(buf, alt[1], stop, note_status, lost, alt[0]):
        return []
    why = f"a status byte is lost; the data bytes here read as notes (status 0x{note_status:02x})"
    fix = Fix("status-missing", dr[1], why, b"", bytes([note_status]), lossy=True)
    return [(Event(mark.pos, alt[0].delta, alt[0].body), alt[1], fix, 1.0)]


def _byte_missing(buf: bytes, mark: _Mark, stop: int, lost: Lost, velocity: int) -> list[_Option]:
    """The note event at ``mark`` read as missing its key, or its velocity (guessed)."""
    dr = read_vlq(buf, mark.pos, stop)
    if isinstance(dr, Fail) or dr[1] >= stop:
        return []
    delta, q = dr
    status, ds = (buf[q], q + 1) if buf[q] >= 0x80 else (mark.running, q)
    if not (
        status is not None
        and status & 0xE0 == 0x80
        and ds < stop
        and buf[ds] < 0x80
        and not lost.hits(mark.pos, ds + 1)
    ):
        return []
    options: list[_Option] = []
    for key_missing in (True, False):
        guess, source = _missing_value(
            buf, ds + 1, stop, status, lost, status, buf[ds], key_missing, mark.sounding, velocity
        )
        data = (guess, buf[ds]) if key_missing else (buf[ds], guess)
        what = "key" if key_missing else "velocity"
        why = (
            f"a byte of this note event is lost (the reading after it goes wrong "
            f"otherwise); its {what} guessed as {guess}, from {source}"
        )
        at = ds if key_missing else ds + 1
        fix = Fix("byte-missing", at, why, b"", bytes([guess]), lossy=True, guessed=True)
        body = bytes([status, *data])
        options.append((Event(mark.pos, delta, body, q == ds), ds + 1, fix, 0.5))
    return options


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
