"""The MIDI judge of base64 frame repairs: its header, and whole decodings weighed.

A Standard MIDI File starts with bytes that are all but fixed, so a run whose first
characters are damaged is anchored by the edit that puts them back (``anchor``); the
header fields (format, track count, ticks per beat) are not fixed, and bytes an edit
leaves there are lost (``edit_lost``), for the MIDI repairer to infer and say so. Short
runs are decoded several ways and each decoding is weighed whole (``whole_fit``, from
``midi_fitness``: notes that end, End of Track at the end, track lengths that land).
"""

from __future__ import annotations

import binascii

from ...decoding.chars import merge as _merge
from ...decoding.chars import partial as _partial
from ...decoding.plausible import CHUNK, TRACK, MidiModel, MidiState, _event, _vlq
from ..base import HeadEdit
from .spec import EOT_EVENT

_JUDGE_WHOLE = 1 << 16  # bytes: strict MIDI up to this size is weighed against its repairs
_JUDGE_MARGIN = 2.0  # events' worth repairs of a strict run must gain (see midi_fitness)


class MidiJudge:
    """The :class:`~midiforensics.formats.base.Judge` for Standard MIDI Files."""

    name = "midi"
    head_chars = 24  # characters 0-23 encode bytes 0-17
    end = EOT_EVENT
    whole_chars = 4096

    def anchor(self, text: str) -> list[HeadEdit]:
        return _anchor_header(text)

    def edit_noise(self, edit: HeadEdit) -> tuple[int, int]:
        return _fill_noise(edit)

    def edit_lost(self, edit: HeadEdit, edited: str) -> tuple[int, int]:
        return _head_fields(edit, edited)

    def whole_fit(self, data: bytes, lost: list[tuple[int, int]], fixes: int) -> float:
        return _global_fit(data, lost, fixes)

    def keeps_music(self, data: bytes, lost: list[tuple[int, int]]) -> bool:
        from .carve import repair_midi

        res = repair_midi(data, _merge(lost))
        return res is not None and res.notes > 0

    def beats_strict(self, strict: bytes, data: bytes, lost: list[tuple[int, int]]) -> bool:
        if len(strict) > _JUDGE_WHOLE:
            return True
        return midi_fitness(data, tuple(lost)) > midi_fitness(strict) + _JUDGE_MARGIN


# A Standard MIDI File starts with bytes that are all but fixed: "MThd", length 6, format,
# tracks, division, then "MTrk" at byte 14. Damage among its first characters leaves the
# frame search nothing to judge by (a header is not a run of events), so the header is
# restored first, by the one edit that puts these bytes back where they must be.
_HEAD = b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x01\xe0MTrk\x00\x00\x00\x00"
_HEAD_B64 = binascii.b2a_base64(_HEAD, newline=False).decode()
_SURE = [*range(0, 9), *range(14, 18)]  # bytes every file has: tag, length 6, "MTrk"
_SURE_CHARS = 24  # characters 0-23 encode bytes 0-17; a lost one there is known
_HEAD_REACH = 44  # characters in which a damaged header is looked for
_HEAD_EVENTS = 30  # bytes: a header whose events break before this is not trusted
_HEAD_READ = 344  # characters decoded to judge an edit (256 bytes of events)


def _head_fit(chars: str, noise: tuple[int, int] = (0, 0)) -> tuple[int, int, int]:
    """(header bytes as a file has them, bytes of events read, minus guessed bytes).

    The header counts the bytes every file has and the fields that hold usual values
    (format 0-2, fewer than 256 tracks, at least one, ticks per beat rather than SMPTE).
    Events read to the end of what is decoded count as ``_HEAD_READ``. An impossible event
    among the ``noise`` bytes (an insertion's guessed characters) is stepped over once.
    """
    data = _partial(chars[:_HEAD_READ])
    sure = sum(1 for i in _SURE if i < len(data) and data[i] == _HEAD[i])
    if len(data) >= 14:
        sure += (data[9] <= 2) + (data[10] == 0) + (data[11] > 0) + (data[12] < 0x80)
    final = len(chars) <= _HEAD_READ
    model = MidiModel()
    k, _ = model.scan(data, 0, final)
    if k is not None and noise[0] - 4 <= k < noise[1]:
        model.state = MidiState(TRACK, model.state.status)
        k, _ = model.scan(data, model.resync(data, noise[1]), final)
    return sure, _HEAD_READ if k is None else k, noise[0] - noise[1]


_FIELDS = (9, 14)  # header bytes no template knows: format (low byte), tracks, division
_FIELD_CHARS = (12, 20)  # characters that decode into them (and the next that could hide it)


def _head_fields(edit: HeadEdit, edited: str) -> tuple[int, int]:
    """Header field bytes an edit leaves unknown: all of them, when it sits among the
    characters that encode them. An edit there is the first of several that put the known
    bytes back equally well: the characters between it and the real damage decode in the
    wrong frame, and the field values they give (or the characters put back) are noise.
    An edit in a run of equal characters (``AAAA``) is one anywhere in the run: ``edited``
    (the characters after the edit) tells how far it reaches."""
    end = edit.at + max(1, len(edit.insert))
    while 0 < end < min(len(edited), _FIELD_CHARS[1]) and edited[end] == edited[end - 1]:
        end += 1
    if edit.at < _FIELD_CHARS[1] and end > _FIELD_CHARS[0]:
        return _FIELDS
    return (0, 0)


def _fill_noise(edit: HeadEdit) -> tuple[int, int]:
    """Bytes an insertion's guessed characters (past the known header) decode into."""
    lo = max(edit.at, _SURE_CHARS)
    hi = edit.at + len(edit.insert)
    if not edit.insert or hi <= lo:
        return (0, 0)
    return lo * 6 // 8, (hi * 6 + 7) // 8


def _anchor_header(text: str) -> list[HeadEdit]:
    """Edits near the start of a MIDI run that restore its header, best first; [] for none.

    Tried when the header or the events just after it do not read: each drop of one to
    three characters and each insertion of one to three (the characters the header must
    hold where they are known, else "A") at each place in the first characters. An edit
    ranks by how many known header bytes it puts in place, then how far it reads; the
    smallest such edit first. There are edits only if the best reads further than the run
    as it is; the others that put the header in place follow it, for the whole-run judge.
    """
    if not text.startswith("TVRo") or len(text) < 32:
        return []
    now = _head_fit(text)
    whole = len(_SURE) + 4
    if now[0] == whole and now[1] >= _HEAD_EVENTS:
        return []  # the header reads: damage further on is the frame search's
    reach = min(_HEAD_REACH, len(text))
    if now[0] == whole:  # the damage is where the events stop reading, or before
        reach = min(reach, now[1] * 4 // 3 + 8)
    found: list[tuple[tuple[int, int, int], HeadEdit]] = []
    for at in range(1, reach):
        for m in (1, 2, 3):
            fill = "".join(_HEAD_B64[j] if j < _SURE_CHARS else "A" for j in range(at, at + m))
            for edit in (HeadEdit(at, m, ""), HeadEdit(at, 0, fill)):
                edited = text[: edit.at] + edit.insert + text[edit.at + edit.drop :]
                fit = _head_fit(edited, _fill_noise(edit))
                if fit > now and fit[0] >= len(_SURE):
                    found.append((fit, edit))
    found.sort(key=lambda f: f[0], reverse=True)  # stable: the smallest edit first
    if not found or found[0][0][1] < now[1] + 8:
        return []
    return [edit for _, edit in found]


_GLOBAL_ODD = -1.0  # odd events (not notes, not meta) in a whole decoding: noise parsing
_GLOBAL_NEAR = 4  # bytes next to a fix's noise that a whole decoding may misread for free


def _global_fit(data: bytes, lost: list[tuple[int, int]], fixes: int) -> float:
    """How well a whole decoding reads as one MIDI file (see ``midi_fitness``), plus the
    evidence of its frame at the end: a file in frame ends with End of Track, and each
    track's declared length leads to the next track's tag (within the bytes that fixes
    made noise)."""
    fit = midi_fitness(data, tuple(lost), _GLOBAL_ODD, _GLOBAL_NEAR, True)
    if data.endswith(b"\xff\x2f\x00"):
        fit += 6.0
    if data.startswith(_HEAD[:8]) and data[14:18] == b"MTrk":
        fit += 8.0  # a header in frame (a decoding without a header edit may lack one)
    slack = 3 * fixes + 1
    i = data.find(b"MTrk")
    while i >= 0 and i + 8 <= len(data):
        end = i + 8 + int.from_bytes(data[i + 4 : i + 8], "big")
        nxt = data.find(b"MTrk", i + 8)
        land = len(data) if nxt < 0 else nxt
        if abs(end - land) <= slack:
            fit += 4.0
        i = nxt
    return fit


def midi_fitness(
    data: bytes,
    lost: tuple[tuple[int, int], ...] = (),
    odd: float = 0.25,
    near: int = 4,
    restart: bool = False,
) -> float:
    """Evidence that ``data`` is one MIDI file, read whole from its first chunk.

    Walks every event, stepping one byte on past each impossible one, and counts what music
    is made of: a note-on in the piano's range counts 1 and the note-off that ends it 2, a
    chunk header or meta event 1, any other event 0.25 (a shifted frame of a repetitive
    melody parses as long runs of odd events, even notes under a running status, but its
    note-offs seldom end notes that sound); each impossible event costs 3. A byte in
    ``lost`` costs 0.5 (about what a byte of music is worth), and events near lost bytes
    count nothing and cost nothing: a repair is judged by what it kept and what it gave up.
    Linear in the bytes, read in Python: for choosing between decodings of small runs.
    ``odd`` is what any other event counts; below zero, runs of them read as noise.
    ``near``: how many bytes either side of a lost range count nothing and cost nothing.
    With ``restart``, the walk starts again after each lost range where the next events
    read best, as it does after an impossible event: noise can parse as an event that ends
    out of step with the real ones, which then read as odd events rather than as music.
    """
    n = len(data)
    free = bytearray(n + 1)
    total = 0.0
    for a, b in lost:
        total -= 0.5 * (min(n, b) - max(0, a))
        lo, hi = max(0, a - near), min(n, b + near)
        free[lo:hi] = b"\x01" * (hi - lo)
    sounding: set[tuple[int, int]] = set()
    st = MidiState()
    i = 0
    resyncs = _FIT_RESYNCS
    gaps = sorted(r for r in lost if r[1] > r[0]) if restart else []
    g = 0
    while i < n:
        if g < len(gaps) and i >= gaps[g][0]:
            at = max(i, gaps[g][1])
            g += 1
            if st.mode == TRACK and at < n:
                worth = [(_run_worth(data, k, st, sounding), -k) for k in range(at, min(n, at + 8))]
                i = -max(worth)[1]
                continue
        trial = MidiState(st.mode, st.status)
        end, _ = _event(data, i, n, trial)
        if end == -2:
            break
        if end < 0:
            if not free[i]:
                total -= 3.0
            st = MidiState(TRACK, st.status)
            i += 1
            if resyncs > 0 and i < n:  # restart where the next events read best
                resyncs -= 1
                worth = [(_run_worth(data, k, st, sounding), -k) for k in range(i, min(n, i + 8))]
                i = -max(worth)[1]
            continue
        if not any(free[i:end]):
            value = _event_worth(data, i, end, st, sounding)
            total += odd if value == _ODD else value
        st = trial
        i = end
    return total


_ODD = 0.25  # what _event_worth gives an event that is neither a note nor a meta event
_FIT_RESYNCS = 256  # impossible events after which midi_fitness looks for the best restart


def _run_worth(data: bytes, i: int, st: MidiState, sounding: set[tuple[int, int]]) -> float:
    """Worth of up to 6 events read from ``i`` (a restart that soon fails is worth less)."""
    n = len(data)
    st = MidiState(st.mode, st.status)
    sounding = set(sounding)
    total = 0.0
    for _ in range(6):
        trial = MidiState(st.mode, st.status)
        end, _ = _event(data, i, n, trial)
        if end < 0:
            return total - (3.0 if end == -1 else 0.0)
        total += _event_worth(data, i, end, st, sounding)
        st, i = trial, end
    return total


def _event_worth(
    data: bytes, i: int, end: int, st: MidiState, sounding: set[tuple[int, int]]
) -> float:
    """What the event data[i:end] says for the bytes being MIDI (see ``midi_fitness``)."""
    if st.mode == CHUNK:
        sounding.clear()
        return 1.0
    _, j = _vlq(data, i, end)
    status = data[j] if data[j] >= 0x80 else st.status
    if status >= 0xF0:
        return 1.0 if status == 0xFF else 0.25
    if status & 0xE0 != 0x80 or end - j < 2:
        return 0.25
    key = (status & 0x0F, data[end - 2])
    if status & 0xF0 == 0x90 and data[end - 1]:
        if not 21 <= key[1] <= 108:
            return 0.25
        sounding.add(key)
        return 1.0
    if key in sounding:
        sounding.discard(key)
        return 2.0
    return 0.25
