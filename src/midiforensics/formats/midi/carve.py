"""Standard MIDI Files: carve them out of any bytes, and repair what is broken.

The chunk walker here is our own and tolerant; mido stays the judge of what we write. A file
that mido reads and in which our walker finds nothing wrong passes through byte-identical
(verdict ``intact``). Anything else is rebuilt from the events we could read, and every change
is a :class:`~midiforensics.report.models.Repair` whose ``offset`` is a byte offset into the data given.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from ...report.models import Repair
from ..base import MusicResult, verdict_for
from .clean import Summary, read_clean
from .events import (
    Fix,
    Lost,
    TrackParse,
    read_vlq,
)
from .find import (
    HEADER,
    MAX_TRACKS,
    RIFF,
    TRACK,
    _be32,
    _chunks_span,
    _damaged_header,
    _damaged_track,
    _is_chunk_id,
    _tag_fix,
    find_midi,
)
from .header import Header, added, settle
from .spec import (
    DIVISION_AT,
    FORMAT_AT,
    NTRACKS_AT,
    data_length,
    header,
    vlq,
)
from .track import parse_track

STAGE = "midi"
NOISE_SHARE = 4  # a track with breaks in over 1/NOISE_SHARE of its bytes or events is noise


@dataclass
class _Track:
    start: int  # offset of "MTrk" (or of the events, for none)
    parse: TrackParse
    raw: bytes | None  # the chunk as found, when it needs no change


@dataclass
class _Work:
    data: bytes
    fixes: list[Fix] = field(default_factory=list)
    tracks: list[_Track] = field(default_factory=list)
    hd: Header = field(default_factory=Header)
    cut: bool = False  # the data ends inside the last track


def _hex(b: bytes, limit: int = 24) -> str:
    if len(b) <= limit:
        return b.hex(" ")
    return f"{b[:limit].hex(' ')} ... ({len(b)} bytes)"


def _skip_gap(work: _Work, pos: int, target: int) -> None:
    """Account for the bytes between two tracks: non-MIDI chunks, or junk."""
    data = work.data
    if target <= pos:
        return
    if _chunks_span(data, pos, target):
        p = pos
        while p < target:
            name = data[p : p + 4].decode("latin-1")
            size = _be32(data[p + 4 : p + 8])
            work.fixes.append(
                Fix(
                    "chunk-dropped",
                    p,
                    f"non-MIDI chunk '{name}' ({size} bytes) among the tracks dropped",
                    data[p : p + 8 + size],
                )
            )
            p += 8 + size
        return
    work.fixes.append(
        Fix(
            "junk-dropped",
            pos,
            f"{target - pos} byte(s) that are not part of any chunk dropped",
            data[pos:target],
        )
    )


def _read_track(work: _Work, t: int, lost: Lost, budget: list[int]) -> int:
    """Read the track chunk at ``t``; returns where the next chunk may start."""
    data = work.data
    n = len(data)
    body = t + 8
    declared = _be32(data[t + 4 : t + 8]) if body <= n else None
    d = body + declared if declared is not None and not lost.hits(t + 4, t + 8) else None
    if d is not None and d <= n:
        strict = parse_track(data, body, d, d, lost, [0])
        if strict.eot and strict.end == d and not strict.fixes:
            work.tracks.append(_Track(t, strict, TRACK + data[t + 4 : d]))
            return d
    nxt = data.find(TRACK, body)
    limit = nxt if nxt >= 0 else n
    if (
        d is not None
        and d <= n
        and (d == n or _is_chunk_id(data[d : d + 4]) or _damaged_track(data, d))
    ):
        limit = d
    tp = parse_track(data, min(body, n), limit, d, lost, budget)
    short = d is not None and d > n and not tp.eot and tp.end >= n
    work.cut = not tp.eot and tp.end >= n  # the data ends inside this track
    if declared is not None and tp.end - body != declared:
        real = tp.end - body
        why = f"track declares {declared} bytes but its events take {real}" + (
            " (found by its End of Track)" if tp.eot else " (up to where the data ends)"
        )
        if short:
            why += f": the data ends {body + declared - n} byte(s) short of it, that are lost"
        after = real.to_bytes(4, "big")
        work.fixes.append(Fix("track-length", t + 4, why, data[t + 4 : t + 8], after, short))
    work.tracks.append(_Track(t, tp, None))
    return tp.end


def _find_track(data: bytes, pos: int, starts: Sequence[int]) -> int:
    """The next track from ``pos``: a good ``MTrk``, or one with a damaged tag at one of
    ``starts`` (where a chunk must start), whichever comes first; -1 if none."""
    t = data.find(TRACK, pos)
    for x in sorted(set(starts)):
        if pos <= x and (t < 0 or x < t) and _damaged_track(data, x):
            return x
    return t


def _read_header(work: _Work, pos: int, h: int, t: int, lost: Lost) -> int:
    """Read the MThd chunk at ``h`` (the first track at ``t``); returns where tracks start.

    A field whose bytes are lost (noise where base64 characters were dropped) is not read:
    it is listed in ``work.hd.unknown`` and inferred later, never taken as found."""
    data = work.data
    hd = work.hd
    hd.at, hd.found, hd.raw = h, True, data[h : h + 14]
    if h > pos:
        work.fixes.append(
            Fix("junk-dropped", pos, f"{h - pos} byte(s) before the header dropped", data[pos:h])
        )
    hlen = _be32(data[h + 4 : h + 8])
    hd.fmt = _be32(data[h + FORMAT_AT : h + FORMAT_AT + 2])
    hd.ntracks = _be32(data[h + NTRACKS_AT : h + NTRACKS_AT + 2])
    hd.division = _be32(data[h + DIVISION_AT : h + DIVISION_AT + 2])
    for name, at in (("format", FORMAT_AT), ("ntracks", NTRACKS_AT), ("division", DIVISION_AT)):
        for k in (0, 1):
            if lost.hits(h + at + k, h + at + k + 1):
                hd.unknown.add(f"{name}{k}")
    after = h + 8 + hlen
    if hlen != 6 and (hlen < 6 or after > t):
        work.fixes.append(
            Fix(
                "header-length",
                h + 4,
                f"header declares {hlen} bytes; it has 6",
                data[h + 4 : h + 8],
                (6).to_bytes(4, "big"),
            )
        )
        after = h + 14
    return after


def _walk(data: bytes, lost: Lost) -> _Work | None:
    work = _Work(data)
    pos = 0
    if data[:4] == RIFF and data[8:12] == b"RMID":
        h = data.find(HEADER, 12, 64)
        t = data.find(TRACK, 12, 64)
        start = h if h >= 0 else t
        if start < 0:
            return None
        work.fixes.append(
            Fix("riff-unwrapped", 0, "RIFF RMID wrapper removed around the MIDI file", data[:start])
        )
        pos = start
    h = data.find(HEADER, pos)
    if h != pos and _damaged_header(data, pos):
        h = pos
        work.fixes.append(_tag_fix(data, pos, HEADER, "the header"))
    t = _find_track(data, pos, (h + 14,) if h >= 0 else ())
    if t < 0:
        return None
    if 0 <= h < t and h + 14 <= len(data):
        pos = _read_header(work, pos, h, t, lost)
    else:
        start = h if 0 <= h < t else pos
        if t > start:
            work.fixes.append(
                Fix(
                    "junk-dropped",
                    start,
                    f"{t - start} byte(s) before the first track dropped",
                    data[start:t],
                )
            )
        pos = t
    budget = [max(64, len(data) // 4)]
    chunk_end = pos  # where the chunk before ends by its length field
    while pos < len(data) and len(work.tracks) < MAX_TRACKS:
        t = _find_track(data, pos, (pos, chunk_end))
        if t < 0:
            tail = data[pos:]
            if tail:
                work.fixes.append(
                    Fix(
                        "junk-dropped",
                        pos,
                        f"{len(tail)} byte(s) after the last track dropped",
                        tail,
                    )
                )
            break
        if data[t : t + 4] != TRACK:
            work.fixes.append(_tag_fix(data, t, TRACK, "a track"))
        _skip_gap(work, pos, t)
        chunk_end = t + 8 + _be32(data[t + 4 : t + 8])
        pos = max(_read_track(work, t, lost, budget), t + 4)
    if not work.tracks:
        return None
    if not work.hd.found:
        work.fixes.insert(0, added(work.hd, len(work.tracks), work.tracks[0].start, _deltas(work)))
    return work


def _deltas(work: _Work) -> Counter[int]:
    """The delta times of the tracks' events, by how often each occurs (0 left out)."""
    return Counter(ev.delta for tr in work.tracks for ev in tr.parse.events if ev.delta)


def _finish_track(tr: _Track, fixes: list[Fix]) -> bytes:
    """The track chunk to write: as found when it needed nothing, else rebuilt."""
    if tr.raw is not None:
        return tr.raw
    tp = tr.parse
    out = bytearray()
    sounding: Counter[tuple[int, int]] = Counter()
    for ev in tp.events:
        if not ev.body or ev.is_eot:
            continue
        out += vlq(ev.delta) + ev.body
        status = ev.body[0]
        if status & 0xF0 in (0x80, 0x90) and status < 0xF0:
            key = (status & 0x0F, ev.body[1])
            if status & 0xF0 == 0x90 and ev.body[2] > 0:
                sounding[key] += 1
            elif sounding[key] > 0:
                sounding[key] -= 1
    eot = next((ev for ev in tp.events if ev.is_eot), None)
    if eot is None:
        held = [k for k, c in sounding.items() for _ in range(c)]
        if held:
            for ch, note in held:
                out += b"\x00" + bytes([0x80 | ch, note, 0x40])
            fixes.append(
                Fix(
                    "note-off-added",
                    tp.end,
                    f"{len(held)} note(s) still sounding where the track breaks off; ended "
                    "with note-offs at the last tick (their lengths are a guess)",
                    b"",
                    bytes(out[-3 * len(held) :]),
                    guessed=True,
                )
            )
        fixes.append(
            Fix(
                "end-of-track-added",
                tp.end,
                "End of Track missing; added",
                b"",
                b"\x00\xff\x2f\x00",
            )
        )
        out += b"\x00\xff\x2f\x00"
    else:
        out += vlq(eot.delta) + b"\xff\x2f\x00"
    return TRACK + len(out).to_bytes(4, "big") + bytes(out)


def _loads(smf: bytes) -> bool:
    import mido

    try:
        mido.MidiFile(file=io.BytesIO(smf))
    except Exception:
        return False
    return True


def _safe_track(chunk: bytes) -> bytes:
    """Keep only channel events, tempo, time signature and End of Track of a chunk we wrote."""
    out = bytearray()
    pos, stop, carry = 8, len(chunk), 0
    while pos < stop:
        r = read_vlq(chunk, pos, stop)
        if not isinstance(r, tuple):
            break
        delta, p = r
        status = chunk[p]
        if status == 0xFF:
            size, q = read_vlq(chunk, p + 2, stop)  # type: ignore[misc]
            end = q + size
            keep = chunk[p + 1] in (0x51, 0x58, 0x2F)
        elif status in (0xF0, 0xF7):
            size, q = read_vlq(chunk, p + 1, stop)  # type: ignore[misc]
            end, keep = q + size, False
        else:
            end, keep = p + 1 + (data_length(status) or 0), status < 0xF0
        if keep:
            out += vlq(delta + carry) + chunk[p:end]
            carry = 0
        else:
            carry += delta
        pos = end
    return TRACK + len(out).to_bytes(4, "big") + bytes(out)


def _drop_noise(work: _Work) -> None:
    """Leave out tracks that are mostly unreadable: what reads there is noise, not notes."""
    kept = []
    for tr in work.tracks:
        span = tr.parse.end - tr.start - 8
        breaks = sum(1 for f in tr.parse.fixes if f.lossy)
        events = len(tr.parse.events)
        if tr.parse.skipped > max(8, span // NOISE_SHARE) or breaks > max(3, events // NOISE_SHARE):
            work.fixes.append(
                Fix(
                    "track-dropped",
                    tr.start,
                    f"{breaks} unreadable stretch(es) in {span} bytes: what reads there is "
                    "noise, not music",
                    work.data[tr.start : tr.start + 8],
                    lossy=True,
                )
            )
        else:
            kept.append(tr)
    work.tracks = kept


def _break_fixes(breaks: list[int], fixes: list[Fix]) -> list[Fix]:
    """A guessed fix for each place where the frame of the encoding broke at no cost of a
    whole byte (an empty lost range) that no fix of ours touches: where the break sits was
    chosen by how well the bytes read, and the bytes beside it may be misplaced."""
    touched = [(f.offset, f.offset + max(1, len(f.before))) for f in fixes if f.loss]
    why = (
        "the encoding's frame broke here and was restored at a place chosen by how well "
        "the bytes read: the bytes beside it are a best guess"
    )
    return [
        Fix("frame-break", at, why, guessed=True)
        for at in breaks
        if not any(a - 4 <= at <= b + 4 for a, b in touched)
    ]


def _intact(data: bytes, summary: Summary, breaks: list[int]) -> MusicResult:
    """The piece as found: nothing to change, unless the encoding's frame broke in it."""
    noted = _break_fixes(breaks, [])
    if not noted:
        return MusicResult(data, (), "intact", 1.0, *summary)
    repairs = _repairs(noted)  # the bytes stay as they are; the verdict says what is known
    conf = _confidence(noted, len(data))
    return MusicResult(data, repairs, verdict_for(repairs), conf, *summary)


def _repair(data: bytes, lost: Lost, breaks: list[int]) -> MusicResult | None:
    if not lost.ranges:
        # a file valid to the last byte passes as it is, read once (no walk, no mido)
        clean = read_clean(data)
        if clean is not None:
            return _intact(data, clean, breaks)
    work = _walk(data, lost)
    if work is None:
        return None
    _drop_noise(work)
    if not work.tracks:
        return None
    if work.hd.found:
        work.fixes.extend(settle(work.hd, len(work.tracks), work.cut, _deltas(work)))
    fixes = list(work.fixes)
    track_fixes: list[Fix] = []
    chunks = []
    for tr in work.tracks:
        track_fixes.extend(tr.parse.fixes)
        chunks.append(_finish_track(tr, track_fixes))
    fixes.extend(track_fixes)
    if not fixes and _loads(data):
        return _intact(data, midi_summary(data), breaks)
    fixes.extend(_break_fixes(breaks, fixes))
    smf = header(work.hd.fmt, len(chunks), work.hd.division) + b"".join(chunks)
    if not _loads(smf):
        smf = header(work.hd.fmt, len(chunks), work.hd.division) + b"".join(
            map(_safe_track, chunks)
        )
        fixes.append(
            Fix(
                "events-dropped",
                0,
                "events no reader accepts (SysEx, system messages, other meta events) dropped",
                lossy=True,
            )
        )
        if not _loads(smf):
            return None
    repairs = _repairs(fixes)
    notes, ntr, secs, bpm = midi_summary(smf)
    confidence = _confidence(fixes, len(data))
    return MusicResult(smf, repairs, verdict_for(repairs), confidence, notes, ntr, secs, bpm)


def _repairs(fixes: list[Fix]) -> tuple[Repair, ...]:
    return tuple(
        Repair(
            stage=STAGE,
            kind=f.kind,
            reason=f.reason,
            offset=f.offset,
            before=_hex(f.before),
            after=_hex(f.after),
            confidence=0.7 if f.loss else 0.95,
            loss=f.loss,
        )
        for f in sorted(fixes, key=lambda f: f.offset)
    )


_HEADER_GUESS = 0.7  # at most, for a piece with a header field inferred
_DIVISION_GUESS = 0.6  # at most, for a piece whose ticks per beat are inferred (its tempo)


def _confidence(fixes: list[Fix], size: int) -> float:
    """How sure a repaired piece is: 0.95 with nothing lost or guessed, less for each byte
    lost and each value guessed; a guessed header field caps it."""
    lost = sum(len(f.before) or 1 for f in fixes if f.lossy)
    guessed = [f for f in fixes if f.guessed and not f.lossy]
    if not lost and not guessed:
        return 0.95
    breaks = sum(1 for f in guessed if f.kind == "frame-break")
    conf = 0.85 - 3.0 * lost / max(1, size) - 0.05 * len(guessed) - 0.05 * breaks
    kinds = {f.kind for f in guessed}
    if kinds & {"header-added", "division"}:
        conf = min(conf, _DIVISION_GUESS)
    elif kinds & {"header-track-count", "header-format"}:
        conf = min(conf, _HEADER_GUESS)
    return round(max(0.2, conf), 3)


def repair_midi(data: bytes, lost: Sequence[tuple[int, int]] = ()) -> MusicResult | None:
    """Make the MIDI in ``data`` (one extent from :func:`find_midi`) playable.

    ``lost`` lists byte ranges known to be noise; events touching them are dropped and the
    reading re-synchronised after them. Returns None when there is no track to recover.
    """
    if len(data) < 12:
        return None
    if HEADER not in data and TRACK not in data and not _damaged_header(bytes(data), 0):
        return None
    try:
        breaks = sorted({a for a, b in lost if a == b and 0 < a < len(data)})
        return _repair(bytes(data), Lost(lost), breaks)
    except (ValueError, IndexError, KeyError, OverflowError):
        return None


def midi_summary(smf: bytes) -> Summary:
    """Notes, tracks that hold notes, seconds and the first tempo (beats per minute) of a
    MIDI file mido reads: the one reader of these numbers for the report, ``mf show`` and
    ``mf play``. (0, 0, 0.0, None) when mido cannot read it.

    A file valid to the last byte is read in one strict pass (:func:`.clean.read_clean`,
    which computes what mido would); any other is read by mido.
    """
    clean = read_clean(smf)
    if clean is not None:
        return clean
    import mido

    try:
        mf = mido.MidiFile(file=io.BytesIO(smf))
    except Exception:
        return Summary(0, 0, 0.0, None)
    notes = tracks = 0
    bpm: float | None = None
    for track in mf.tracks:
        held = notes
        for msg in track:
            if msg.type == "note_on" and msg.velocity > 0:
                notes += 1
            elif msg.type == "set_tempo" and bpm is None and msg.tempo > 0:
                bpm = round(60e6 / msg.tempo, 2)
        tracks += notes > held
    try:
        seconds = float(mf.length) if mf.ticks_per_beat > 0 else 0.0
    except (ValueError, ZeroDivisionError):
        seconds = 0.0
    return Summary(notes, tracks, round(seconds, 3), bpm)


__all__ = ["find_midi", "midi_summary", "repair_midi"]
