"""``parse_track``: walk one track chunk's events tolerantly, recording every fix."""

from __future__ import annotations

from collections import Counter, deque

from .events import (
    BACK,
    LOOKAHEAD,
    NO_LOSS,
    Event,
    Fail,
    Fix,
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
