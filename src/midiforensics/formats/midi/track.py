"""``parse_track``: walk one track chunk's events tolerantly, recording every fix."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field

from .events import (
    BACK,
    LOOKAHEAD,
    NO_LOSS,
    Event,
    Fail,
    Fix,
    Held,
    Lost,
    TrackParse,
    meta_problem,
    next_running,
    note_change,
    quality,
    read_event,
    read_vlq,
    run_from,
    strict_run,
)
from .resync import _Mark, _reframe, _resync, _status_as_data
from .spec import EOT, META_SIZES


@dataclass
class _Walk:
    """What the walk over one track carries from event to event."""

    buf: bytes
    limit: int
    declared_end: int | None
    lost: Lost
    budget: list[int]
    tp: TrackParse
    pos: int
    tolerant: bool
    ok_until: int  # the reading is known to run without failure up to here
    running: int | None = None
    carry: int = 0  # delta time of dropped events, added to the next kept event
    after_sysex: bool = False  # mido forgets running status after SysEx; players do not
    rs_noted: bool = False
    sounding: Counter[tuple[int, int]] = field(default_factory=Counter)
    marks: deque[_Mark] = field(default_factory=lambda: deque(maxlen=BACK))
    statuses: set[int] = field(default_factory=set)  # channel status bytes seen in the track
    note_status: int = 0x90  # note-on on the channel of the last note event, for a lost status
    velocity: int = 64  # of the last note-on, for a lost one

    def held(self) -> Held:
        return frozenset(k for k, c in self.sounding.items() if c > 0)

    def mark(self) -> None:
        tp = self.tp
        self.marks.append(
            _Mark(
                self.pos,
                self.running,
                self.sounding.copy(),
                len(tp.events),
                len(tp.fixes),
                self.carry,
                tp.skipped,
            )
        )

    def back_to(self, mark: _Mark) -> None:
        """Undo the events read since ``mark``."""
        tp = self.tp
        del tp.events[mark.events :], tp.fixes[mark.fixes :]
        self.sounding, self.carry, tp.skipped = mark.sounding.copy(), mark.carry, mark.skipped
        self.running = mark.running
        self.marks.clear()


# what the walk does after one step: read on, stop at the end found, or stop cut short
_NEXT, _END, _BREAK = "next", "end", "break"


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
    w = _Walk(
        buf, limit, declared_end, lost, budget, TrackParse(end=start), start, budget[0] > 0, start
    )
    while w.pos < limit:
        if w.tolerant:
            w.mark()
        r = _missing_delta(w, read_event(buf, w.pos, limit, w.running, lost))
        step = _on_fail(w, r) if isinstance(r, Fail) else _on_event(w, *r)
        if step == _END:
            return w.tp
        if step == _BREAK:
            break
    return _finish(w)


def _missing_delta(w: _Walk, r: tuple[Event, int] | Fail) -> tuple[Event, int] | Fail:
    """``r``, or the event read at ``w.pos`` without a delta time when a status byte stood
    where the delta belongs and the reading without it runs clearly better."""
    buf, pos, limit, running, lost = w.buf, w.pos, w.limit, w.running, w.lost
    if isinstance(r, Fail) or not w.tolerant or pos < w.ok_until or not 0x80 <= buf[pos] < 0xF0:
        return r
    # A status byte read as the first byte of a delta time: is the delta missing?
    held = w.held()
    run_a = run_from(buf, pos, limit, running, lost, held, clamps=1, cut_ok=True)
    if (run_a[1] or run_a[0] >= LOOKAHEAD) and not run_a[3]:
        w.ok_until = run_a[2]
        return r
    alt = read_event(buf, pos, limit, running, lost, with_delta=False)
    if isinstance(alt, Fail):
        return r
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
        w.tp.fixes.append(Fix("delta-inserted", pos, why, b"", b"\x00", guessed=True))
        return alt
    return r


def _on_event(w: _Walk, ev: Event, nxt: int) -> str:
    """Take the event read at ``w.pos``: keep it, drop it, or end the track with it."""
    tp, pos = w.tp, w.pos
    ev, nxt = _status_as_data_checked(w, ev, nxt)
    if ev.body[0] < 0xF0:
        w.statuses.add(ev.body[0])
        if ev.body[0] & 0xE0 == 0x80:
            w.note_status = 0x90 | (ev.body[0] & 0x0F)
    if ev.running and w.after_sysex and not w.rs_noted:
        w.rs_noted = True
        why = (
            "running status continues across a SysEx event (players keep it, mido does "
            "not); status bytes written out"
        )
        tp.fixes.append(Fix("running-status", pos, why, b"", ev.body[:1]))
    if ev.body[:1] == b"\xff":
        problem = meta_problem(ev.body[1], ev.body[3:]) if ev.body[1] in META_SIZES else None
        if problem is not None:
            tp.fixes.append(Fix("meta-dropped", pos, problem + "; event dropped", w.buf[pos:nxt]))
            w.carry += ev.delta
            w.pos = nxt
            return _NEXT
    if ev.is_eot:
        return _on_eot(w, ev, nxt)
    if ev.body[0] in (0xF0, 0xF7) or 0xF0 < ev.body[0] < 0xFF:
        w.after_sysex = True
    elif ev.body[0] < 0xF0 and not ev.running:
        w.after_sysex = False
    ev, nxt = _note_off_checked(w, ev, nxt)
    tp.events.append(Event(ev.offset, ev.delta + w.carry, ev.body, ev.running))
    _hold(w.sounding, ev.body)
    if ev.body[0] & 0xF0 == 0x90 and ev.body[2] > 0:
        w.velocity = ev.body[2]
    w.carry = 0
    w.running = next_running(ev, w.running)
    w.pos = tp.end = nxt
    return _NEXT


def _status_as_data_checked(w: _Walk, ev: Event, nxt: int) -> tuple[Event, int]:
    """``ev``, or the reading of its status byte as a data byte above 127 under running
    status, when the status was never seen in this track and that reading wins."""
    status, running = ev.body[0], w.running
    if (
        w.tolerant
        and w.budget[0] > 0
        and running is not None
        and running & 0xE0 == 0x80
        and not ev.running
        and 0x80 <= status < 0xF0
        and status != running
        and status not in w.statuses
    ):
        # a status byte never seen in this track, under running status: a data byte
        # above 127 read as a status, after which the rest reads valid but wrong?
        as_data = _status_as_data(w.buf, w.pos, w.limit, running, w.lost, w.held(), ev, nxt)
        if as_data is not None:
            w.budget[0] -= 1
            w.tp.fixes.append(as_data.fix)
            w.tp.skipped += 1
            return as_data.event, as_data.next_pos
    return ev, nxt


def _on_eot(w: _Walk, ev: Event, nxt: int) -> str:
    """An End of Track read at ``w.pos``: the end, or dropped when events follow it."""
    tp, pos = w.tp, w.pos
    rest_end = w.declared_end if w.declared_end is not None else w.limit
    if nxt < min(rest_end, w.limit) and _events_follow(w.buf, nxt, w.limit, w.running, w.lost):
        tp.fixes.append(
            Fix(
                "events-after-end-of-track",
                pos,
                "events follow the End of Track in the same chunk; kept, and the "
                "End of Track moved to the end",
                w.buf[pos:nxt],
                b"",
            )
        )
        w.carry += ev.delta
        w.pos = nxt
        return _NEXT
    tp.events.append(Event(ev.offset, ev.delta + w.carry, ev.body))
    tp.eot, tp.end = True, nxt
    return _END


def _note_off_checked(w: _Walk, ev: Event, nxt: int) -> tuple[Event, int]:
    """``ev``, or the reading a look back finds when ``ev`` ends a note not sounding (a lost
    byte a little before may have shifted the reading); the walk is put back to match."""
    change = note_change(ev.body)
    if (
        change is not None
        and change[0] < 0
        and w.sounding[change[1]] <= 0
        and w.tolerant
        and w.budget[0] > 0
    ):
        # a note-off of a note not sounding: has a lost byte shifted the reading?
        marks = list(w.marks)[::-1]
        found = _reframe(w.buf, marks, w.limit, w.lost, w.velocity, False, w.note_status)
        if found is not None:
            w.budget[0] -= 1
            mark, picked = found
            w.back_to(mark)
            w.tp.fixes.append(picked.fix)
            return picked.event, picked.next_pos
    return ev, nxt


def _on_fail(w: _Walk, fail: Fail) -> str:
    """Read on past a failure at ``w.pos``: end the track, skip damage, or resynchronise."""
    if _end_found(w, fail):
        return _END
    if fail.reason == "truncated" and (w.limit - w.pos < 8 or w.budget[0] <= 0):
        return _BREAK
    if _bad_eot_ends(w, fail):
        return _END
    if _damage_skipped(w, fail):
        return _NEXT
    return _resynced(w, fail)


def _end_found(w: _Walk, fail: Fail) -> bool:
    """Whether an End of Track without its delta, or cut short at the end, ends the track."""
    buf, pos, limit, tp = w.buf, w.pos, w.limit, w.tp
    if buf[pos : pos + 3] == b"\xff\x2f\x00" and not _events_follow(
        buf, pos + 3, min(limit, w.declared_end or limit), w.running, w.lost
    ):
        why = "End of Track written without its delta time; read with delta 0 (a guess)"
        tp.fixes.append(Fix("delta-inserted", pos, why, b"", b"\x00", guessed=True))
        tp.events.append(Event(pos, w.carry, b"\xff\x2f\x00"))
        tp.eot, tp.end = True, pos + 3
        return True
    if fail.reason == "truncated" and _eot_prefix(buf, pos, limit):
        dr = read_vlq(buf, pos, limit)
        delta = dr[0] if not isinstance(dr, Fail) else 0
        why = "the End of Track is cut short at the end of the data; completed"
        tp.fixes.append(Fix("end-of-track-completed", pos, why, buf[pos:limit], b""))
        tp.events.append(Event(pos, delta + w.carry, b"\xff\x2f\x00"))
        tp.eot, tp.end = True, limit
        return True
    return False


def _bad_eot_ends(w: _Walk, fail: Fail) -> bool:
    """Whether a malformed End of Track with nothing after it ends the track here."""
    buf, pos, limit = w.buf, w.pos, w.limit
    if not (
        fail.reason == "meta"
        and pos + 1 < limit
        and fail.at < limit
        and buf[fail.at] == EOT
        and not _events_follow(buf, _meta_end(buf, fail.at, limit), limit, w.running, w.lost)
    ):
        return False
    end = _meta_end(buf, fail.at, limit)
    w.tp.fixes.append(
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
    w.tp.events.append(Event(pos, delta + w.carry, b"\xff\x2f\x00"))
    w.tp.eot, w.tp.end = True, end
    return True


def _damage_skipped(w: _Walk, fail: Fail) -> bool:
    """Whether a damaged meta event or an undefined status byte at ``w.pos`` was dropped."""
    buf, pos, limit, tp = w.buf, w.pos, w.limit, w.tp
    skip = _damaged_meta(buf, pos, limit, w.running, w.lost, fail)
    if skip is not None:
        # A malformed End of Track with events after it that read on: not the end, but a
        # damaged meta event, skipped by the length it declares (its delta time carried).
        dr = read_vlq(buf, pos, limit)
        w.carry += dr[0] if not isinstance(dr, Fail) else 0
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
        w.pos = tp.end = skip
        return True
    if fail.reason == "undefined-status":
        # an undefined status byte carries no data: drop it, keep its delta time
        dr = read_vlq(buf, pos, limit)
        if not isinstance(dr, Fail):
            w.carry += dr[0]
        byte = buf[fail.at : fail.at + 1]
        why = f"undefined status byte 0x{byte[0]:02x} dropped"
        tp.fixes.append(Fix("status-dropped", fail.at, why, byte))
        w.pos = fail.at + 1
        return True
    return False


def _resynced(w: _Walk, fail: Fail) -> str:
    """Read on after a failure by the best reading of the bytes at ``w.pos``, or of an
    event a little before; drop one byte when nothing reads well."""
    buf, pos, limit, tp, budget = w.buf, w.pos, w.limit, w.tp, w.budget
    held = w.held()
    choice = _resync(buf, pos, limit, w.running, w.lost, fail, held) if budget[0] > 0 else None
    if budget[0] > 0 and fail.reason != "truncated" and (w.running or fail.reason == "no-status"):
        # or a byte lost a little before, that only now makes the reading fail
        marks = list(w.marks)[::-1]
        found = _reframe(buf, marks, limit, w.lost, w.velocity, True, w.note_status)
        if found is not None and (choice is None or found[1].score > choice.score):
            mark, choice = found
            w.back_to(mark)
    budget[0] -= 1
    if choice is None or (choice.score <= 1 and fail.reason == "truncated"):
        if fail.reason == "truncated":
            return _BREAK
        # nothing reads well from here: drop one byte
        _drop_byte(tp, buf, pos)
        w.pos += 1
        return _NEXT
    fix = choice.fix
    tp.fixes.append(fix)
    if fix.lossy:
        tp.skipped += len(fix.before)
    ev = choice.event
    if ev.body:
        if ev.is_eot:
            tp.events.append(Event(ev.offset, ev.delta + w.carry, ev.body))
            tp.eot, tp.end = True, choice.next_pos
            return _END
        tp.events.append(Event(ev.offset, ev.delta + w.carry, ev.body, ev.running))
        _hold(w.sounding, ev.body)
        w.carry = 0
        w.running = next_running(ev, w.running)
        if ev.body[0] >= 0xF0:
            w.after_sysex = ev.body[0] != 0xFF or w.after_sysex
    else:
        w.carry += ev.delta
    w.pos = tp.end = choice.next_pos
    return _NEXT


def _finish(w: _Walk) -> TrackParse:
    """The parse, with the bytes left after a break recorded as cut off."""
    tp, pos, limit = w.tp, w.pos, w.limit
    if pos < limit:
        tp.fixes.append(
            Fix(
                "truncated",
                pos,
                f"the track breaks off inside an event; {limit - pos} byte(s) of it dropped",
                w.buf[pos:limit],
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
