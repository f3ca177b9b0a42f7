"""One strict pass over a Standard MIDI File that needs no repair: valid, or None.

:func:`read_clean` accepts a file only when every byte of it is as the specification (and
mido, the judge of what we write) wants it: an ``MThd`` of 6 bytes (format 0-2, 1 to
``MAX_TRACKS`` tracks, one for format 0, ticks per beat), then exactly the tracks it
announces, each an ``MTrk`` whose declared length its events fill exactly, the last of them
an End of Track, and nothing after the last track. Every event must read as the tolerant
walker (:mod:`.track`) reads it without a fix: running status only after a channel event
(not after a SysEx), data bytes below 128, meta events of the sizes and values readers
accept, no system messages. Anything else, or any doubt, gives None and the caller takes
the full path (walk, repair, mido). For a file it accepts it returns what the report says of
a piece (notes, tracks with notes, seconds, first tempo) exactly as mido computes them.
"""

from __future__ import annotations

from typing import NamedTuple

from .events import meta_problem
from .find import MAX_TRACKS
from .spec import META_SIZES

_HEAD = b"MThd\x00\x00\x00\x06"
_TRACK = b"MTrk"
_MAX_PAYLOAD = 1_000_000  # bytes of a meta event or SysEx mido reads at most
_MAX_DENOMINATOR = 7  # time signature denominators up to 2**7; larger ones: the full path
DEFAULT_TEMPO = 500_000  # microseconds per beat before any tempo event (120 bpm)
# meta events mido knows; it reads any other kind with its delta time dropped (0), so a file
# with one is timed by mido as it is not written: the full path's
_MIDO_META = frozenset({*range(0x00, 0x08), 0x09, 0x20, 0x21, 0x2F, 0x51, 0x54, 0x58, 0x59, 0x7F})


class Summary(NamedTuple):
    """What the report says of a piece: notes sounded, tracks holding notes, seconds
    (rounded to the millisecond) and the first tempo in beats per minute."""

    notes: int
    tracks: int
    seconds: float
    tempo_bpm: float | None


def _vlq(b: bytes, p: int, stop: int) -> tuple[int, int]:
    """A variable-length quantity of at most 4 bytes before ``stop``; (-1, p) if none."""
    value = 0
    for q in range(p, min(p + 4, stop)):
        c = b[q]
        value = (value << 7) | (c & 0x7F)
        if c < 0x80:
            return value, q + 1
    return -1, p


def _meta_ok(kind: int, payload: bytes) -> bool:
    """Whether a meta event of a fixed size holds values the walker keeps and mido reads."""
    if meta_problem(kind, payload) is not None:
        return False
    if kind == 0x54:  # SMPTE offset: mido checks minutes, seconds and sub-frames
        return payload[1] < 60 and payload[2] < 60 and payload[4] < 100
    if kind == 0x58:
        return payload[1] <= _MAX_DENOMINATOR
    return True


def read_clean(smf: bytes) -> Summary | None:
    """The :class:`Summary` of a Standard MIDI File that needs nothing repaired, read in
    one pass; None when anything in it is not strictly valid (see the module's text)."""
    n = len(smf)
    if n < 22 or smf[:8] != _HEAD:
        return None
    fmt = smf[8] << 8 | smf[9]
    ntracks = smf[10] << 8 | smf[11]
    tpb = smf[12] << 8 | smf[13]
    if fmt > 2 or not 0 < ntracks <= MAX_TRACKS or (fmt == 0 and ntracks > 1):
        return None
    if not 0 < tpb < 0x8000:  # 0: not a division; from 0x8000: SMPTE frames, signed in mido
        return None
    notes = with_notes = 0
    bpm: float | None = None
    tempos: list[tuple[int, int]] = []  # (tick, tempo) in the order of the file
    times: list[int] = []  # ticks at which events other than End of Track start, by track
    end = 0  # the last End of Track's tick
    pos = 14
    for _ in range(ntracks):
        if smf[pos : pos + 4] != _TRACK:
            return None
        stop = pos + 8 + int.from_bytes(smf[pos + 4 : pos + 8], "big")
        if stop > n:
            return None
        p = pos + 8
        now = 0
        running = 0  # the status running status repeats; 0: none (none yet, or after SysEx)
        before = notes
        while True:
            # the delta time (one byte nearly always)
            c = smf[p] if p < stop else 0x80
            if c < 0x80:
                delta = c
                p += 1
            else:
                delta, p = _vlq(smf, p, stop)
                if delta < 0:
                    return None
            if p >= stop:
                return None
            if delta:
                now += delta
            s = smf[p]
            if s < 0xF0:
                if s < 0x80:
                    if not running:
                        return None
                    s = running
                else:
                    running = s
                    p += 1
                hi = s >> 4
                if hi == 0xC or hi == 0xD:
                    if p >= stop or smf[p] > 0x7F:
                        return None
                    p += 1
                else:
                    if p + 2 > stop or smf[p] > 0x7F or smf[p + 1] > 0x7F:
                        return None
                    if hi == 0x9 and smf[p + 1]:
                        notes += 1
                    p += 2
            elif s == 0xFF:
                if p + 2 > stop:
                    return None
                kind = smf[p + 1]
                if kind not in _MIDO_META:
                    return None
                size, q = _vlq(smf, p + 2, stop)
                if size < 0 or size > _MAX_PAYLOAD or q + size > stop:
                    return None
                if kind in META_SIZES:
                    if size not in META_SIZES[kind]:
                        return None
                    if kind == 0x2F:
                        if q != stop:
                            return None  # an End of Track before the chunk ends
                        end = max(end, now)
                        break
                    payload = smf[q : q + size]
                    if not _meta_ok(kind, payload):
                        return None
                    if kind == 0x51:
                        tempo = int.from_bytes(payload, "big")
                        tempos.append((now, tempo))
                        if bpm is None:
                            bpm = round(60e6 / tempo, 2)
                p = q + size
            elif s == 0xF0 or s == 0xF7:
                size, q = _vlq(smf, p + 1, stop)
                if size < 0 or size > _MAX_PAYLOAD or q + size > stop:
                    return None
                inner = smf[q : q + size]
                if inner[:1] == b"\xf0":
                    inner = inner[1:]
                if inner[-1:] == b"\xf7":
                    inner = inner[:-1]
                if not inner.isascii():  # a data byte above 127: mido refuses it
                    return None
                running = 0  # mido forgets running status after SysEx
                p = q + size
            else:
                return None  # system common and real-time messages: the full path's
            if delta:
                times.append(now)
        with_notes += notes > before
        pos = stop
    if pos != n:
        return None
    seconds = 0.0 if fmt == 2 else _seconds(times, tempos, end, tpb, ntracks > 1)
    return Summary(notes, with_notes, round(seconds, 3), bpm)


def _seconds(
    times: list[int], tempos: list[tuple[int, int]], end: int, tpb: int, merge: bool
) -> float:
    """The length in seconds as mido computes it (``MidiFile.length``), term for term.

    mido merges the tracks in order of time (ties in track order), moves the delta time of
    each End of Track onto the next event and ends with one End of Track at the last tick;
    each positive delta counts at the tempo of the events before it. ``times`` are the ticks
    of every event but End of Track at which time moves on, within each track.
    """
    if merge:
        times = sorted(set(times))
        tempos = sorted(tempos, key=lambda t: t[0])  # stable: ties keep the file's order
    if end > (times[-1] if times else 0):
        times.append(end)
    tempo = DEFAULT_TEMPO
    k = 0
    prev = 0
    terms: list[float] = []
    for t in times:
        while k < len(tempos) and tempos[k][0] <= prev:
            tempo = tempos[k][1]
            k += 1
        if t > prev:
            terms.append((t - prev) * (tempo * 1e-6 / tpb))
            prev = t
    return float(sum(terms))
