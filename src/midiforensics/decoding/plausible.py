"""How plausible decoded bytes are as a payload: the judge of base64 frame repairs.

A model scores bytes in bits per byte against "random noise": positive where the bytes look
like the payload, negative where they look like what a shifted base64 frame produces. Each
model has two operations, both linear in the bytes they read:

- ``scan``: walk forward from a position and return the first byte that the payload cannot
  hold (a control character in text; an impossible event in MIDI), or ``None``;
- ``scores``: per-byte scores over a short window, never stopping (after an impossible event
  it resynchronises one byte on), so that candidate repairs can be compared.

``sniff`` picks the model from the first bytes: MIDI when they begin with ``MThd``/``MTrk``,
text when they are mostly printable UTF-8; anything else gets no model (no frame search).
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field

from ..formats.midi.spec import META_KNOWN, META_TEXT, meta_size_ok, vlq_at

# --------------------------------------------------------------------------- text

_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TEXTISH = bytes(b for b in range(256) if not _CONTROL.match(bytes([b])))


def _text_table() -> tuple[float, ...]:
    """Bits of evidence per byte that it belongs to text rather than to noise."""
    table = [0.0] * 256
    for b in range(256):
        c = chr(b)
        if b == 0x20:
            v = 4.0
        elif c.islower() and b < 0x80:
            v = 2.5
        elif c.isupper() and b < 0x80 or c.isdigit():
            v = 0.5
        elif c in ".,<>/\"'=:;-!?()\n":
            v = 1.0
        elif 0x21 <= b < 0x7F:
            v = -0.5
        elif c in "\t\r":
            v = 0.0
        elif b < 0x20 or b == 0x7F or b in (0xC0, 0xC1) or b >= 0xF5:
            v = -12.0
        else:  # UTF-8 lead and continuation bytes
            v = -1.5
        table[b] = v
    return tuple(table)


TEXT_TABLE = _text_table()


def _is_continuation(b: int) -> bool:
    return 0x80 <= b < 0xC0


@dataclass
class TextModel:
    """Printable UTF-8 prose, XML, ABC, nested base64."""

    name: str = "text"
    ctx: None = None

    def scan(self, data: bytes, start: int, final: bool) -> tuple[int | None, int]:
        """First bad byte at or after ``start`` (or None) and how far it is safe to resume."""
        seg = memoryview(data)[start:]
        bad: int | None = None
        safe = len(data)
        if seg.tobytes().translate(None, _TEXTISH):
            m = _CONTROL.search(data, start)
            bad = m.start() if m else None
        try:
            str(seg, "utf-8")
        except UnicodeDecodeError as e:
            pos = start + e.start
            if e.reason == "unexpected end of data" and not final:
                safe = pos
            elif bad is None or pos < bad:
                bad = pos
        if bad is not None and bad >= safe:
            bad = None
        return bad, safe

    def scores(self, data: bytes) -> list[float]:
        return [TEXT_TABLE[b] for b in data]

    @staticmethod
    def orphans(before: bytes, after: bytes) -> tuple[int, int]:
        """Bytes at a cut that can no longer form whole UTF-8 characters: (tail, head)."""
        head = 0
        while head < min(3, len(after)) and _is_continuation(after[head]):
            head += 1
        tail = 0
        i = len(before) - 1
        while i >= 0 and len(before) - i <= 4 and _is_continuation(before[i]):
            i -= 1
        if i >= 0 and before[i] >= 0xC0:
            need = 2 if before[i] < 0xE0 else 3 if before[i] < 0xF0 else 4
            if len(before) - i < need:
                tail = len(before) - i
        return tail, head


# --------------------------------------------------------------------------- MIDI

CHUNK, TRACK = 0, 1
_FAIL = -6.0
# an event byte whose trigram the file has shown before is likelier real than noise
_GRAM_SEEN, _GRAM_NEW = 2.0, 0.0
_MIN_GRAMS, _MAX_GRAMS = 24, 8192
_LAG = 128  # bytes the model's learning stays behind its scan
# status bytes with the channel taken out: tracks on other channels share patterns
_NO_CHANNEL = bytes(b & 0xF0 if 0x80 <= b < 0xF0 else b for b in range(256))
_vlq = vlq_at  # (value, next index); value -1 past 4 bytes, -2 cut off by the end


@dataclass
class MidiStats:
    """What the file has shown so far: real events repeat its channels, range and timing."""

    channels: set[int] = field(default_factory=set)
    velocities: set[int] = field(default_factory=set)
    deltas: set[int] = field(default_factory=set)
    grams: set[bytes] = field(default_factory=set)  # byte trigrams of accepted events
    low: int = 128
    high: int = -1

    pending: deque[tuple[int, int, int, int, int, int]] = field(default_factory=deque)

    def learn(self, status: int, note: int, velocity: int, delta: int) -> None:
        self.channels.add(status & 0x0F)
        if len(self.deltas) < 64:
            self.deltas.add(delta)
        if status & 0xF0 == 0x90 and velocity:
            self.low, self.high = min(self.low, note), max(self.high, note)
            if len(self.velocities) < 32:
                self.velocities.add(velocity)

    def new_track(self) -> None:
        """A track has its own channels, range and dynamics."""
        self.pending.clear()
        self.channels.clear()
        self.velocities.clear()
        self.low, self.high = 128, -1

    def flush(self, data: bytes, upto: int) -> None:
        """Learn from the events that end before ``upto``.

        Learning lags behind the scan: the bytes just before a break may already be noise
        that happened to parse, and must not teach the model what noise looks like.
        """
        pending = self.pending
        while pending and pending[0][1] <= upto:
            start, end, status, note, velocity, delta = pending.popleft()
            if status:
                self.learn(status, note, velocity, delta)
            if len(self.grams) < _MAX_GRAMS:
                plain = data[max(0, start - 2) : end].translate(_NO_CHANNEL)
                self.grams.update(plain[k : k + 3] for k in range(len(plain) - 2))


@dataclass
class MidiState:
    mode: int = CHUNK
    status: int = 0  # running status, 0 when none


def _event(
    data: bytes, i: int, n: int, st: MidiState, stats: MidiStats | None = None, learn: bool = False
) -> tuple[int, float]:
    """Parse one chunk header or track event at ``i``.

    Returns (end, bonus): end is the index after the event, -1 when impossible, -2 when the
    data ends inside it; bonus is extra evidence (bits) for or against it being real.
    ``st`` is updated only for a complete event. With ``stats``, an event that matches what
    the file has shown so far earns more; with ``learn``, the stats learn from it.
    """
    if st.mode == CHUNK:
        return _chunk(data, i, n, st, stats, learn)
    if data.startswith(b"MTrk", i):  # a track that ran on without End of Track
        st.mode = CHUNK
        return _event(data, i, n, st, stats, learn)
    bonus = 0.0
    delta, j = _vlq(data, i, n)
    if delta < 0:
        return delta, 0.0
    if j - i >= 3:
        bonus -= 2.0 * (j - i - 2)
    if j >= n:
        return -2, 0.0
    b = data[j]
    if b < 0x80:
        if not st.status:
            return -1, 0.0
        status = st.status
        bonus += 1.0
    else:
        status = b
        j += 1
    if status < 0xF0:
        return _channel_event(data, i, j, n, st, status, delta, bonus, stats, learn)
    if status == 0xFF:
        return _meta_event(data, j, n, st)
    if status in (0xF0, 0xF7):
        return _sysex_event(data, j, n, status)
    return -1, 0.0


def _chunk(
    data: bytes, i: int, n: int, st: MidiState, stats: MidiStats | None, learn: bool
) -> tuple[int, float]:
    """A chunk header at ``i`` (see :func:`_event`)."""
    if n - i < 8:
        return (-2 if data[i:n].isalpha() or i == n else -1), 0.0
    tag = data[i : i + 4]
    if not tag.isalpha():
        return -1, 0.0
    length = int.from_bytes(data[i + 4 : i + 8], "big")
    if tag == b"MTrk":
        st.mode, st.status = TRACK, 0
        if stats is not None and learn:
            stats.new_track()
        return i + 8, 4.0
    if tag == b"MThd":
        if length > 32:
            return -1, 0.0
        end = i + 8 + length
        return (end if end <= n else -2), 4.0
    end = i + 8 + length
    return (end if end <= n else -1), 0.0


def _channel_event(
    data: bytes,
    i: int,
    j: int,
    n: int,
    st: MidiState,
    status: int,
    delta: int,
    bonus: float,
    stats: MidiStats | None,
    learn: bool,
) -> tuple[int, float]:
    """A channel event starting at ``i`` whose data bytes start at ``j`` (see :func:`_event`);
    ``bonus`` is the evidence its delta time and status have earned."""
    need = 1 if 0xC0 <= status < 0xE0 else 2
    if j + need > n:
        return -2, 0.0
    for k in range(need):
        if data[j + k] >= 0x80:
            return -1, 0.0
    hi = status & 0xF0
    if hi in (0x80, 0x90):
        note = data[j]
        bonus += 1.0 if 21 <= note <= 108 else -3.0
        if status == st.status:
            bonus += 1.0
    elif hi in (0xA0, 0xD0):
        bonus -= 1.0
    if stats is not None:
        if learn:
            velocity = data[j + 1] if need == 2 else 0
            stats.pending.append((i, j + need, status, data[j], velocity, delta))
        elif stats.high >= 0:
            bonus += 1.0 if (status & 0x0F) in stats.channels else -0.5
            bonus += 0.5 if delta in stats.deltas else -0.5
            if hi == 0x90 and data[j + 1]:
                note = data[j]
                bonus += 1.0 if stats.low - 12 <= note <= stats.high + 12 else -0.5
                bonus += 1.0 if data[j + 1] in stats.velocities else -0.5
    st.status = status
    return j + need, bonus


def _meta_event(data: bytes, j: int, n: int, st: MidiState) -> tuple[int, float]:
    """A meta event whose type byte is at ``j`` (see :func:`_event`)."""
    if j >= n:
        return -2, 0.0
    kind = data[j]
    length, k = _vlq(data, j + 1, n)
    if length == -2:
        return -2, 0.0
    if length < 0:
        return -1, 0.0
    if kind not in META_KNOWN or not meta_size_ok(kind, length):
        return -1, 0.0
    end = k + length
    if end > n:
        return -2, 0.0
    bonus = 3.0
    if kind in META_TEXT:  # text: names, lyrics, markers
        if _CONTROL.search(data, k, end):
            return -1, 0.0
        words = sum(TEXT_TABLE[x] for x in data[k:end])
        if words < 0:
            return -1, 0.0
        bonus += words
    if kind == 0x2F:
        st.mode, st.status = CHUNK, 0
    return end, bonus


def _sysex_event(data: bytes, j: int, n: int, status: int) -> tuple[int, float]:
    """A SysEx event whose length starts at ``j`` (see :func:`_event`)."""
    length, k = _vlq(data, j, n)
    if length == -2:
        return -2, 0.0
    if length < 0:
        return -1, 0.0
    end = k + length
    if end > n:
        return -2, 0.0
    body = data[k : end - 1] if status == 0xF0 and length else data[k:end]
    if any(x >= 0x80 for x in body):
        return -1, 0.0
    return end, -2.0


@dataclass
class MidiModel:
    """A Standard MIDI File walked chunk by chunk and event by event."""

    name: str = "midi"
    state: MidiState = field(default_factory=MidiState)
    checkpoints: deque[tuple[int, int, int]] = field(default_factory=lambda: deque(maxlen=512))
    stats: MidiStats = field(default_factory=MidiStats)

    def scan(self, data: bytes, start: int, final: bool) -> tuple[int | None, int]:
        """First impossible event at or after ``start`` and where an unfinished event begins.

        Keeps the parser state and the starts of recent events (for ``window_scores``).
        """
        n = len(data)
        i = start
        st = self.state
        while i < n:
            self.checkpoints.append((i, st.mode, st.status))
            end, _ = _event(data, i, n, st, self.stats, True)
            if end > 0:
                if not self.stats.pending or self.stats.pending[-1][0] != i:
                    self.stats.pending.append((i, end, 0, 0, 0, 0))
                self.stats.flush(data, i - _LAG)
            if end == -2:
                if final:
                    return None, n  # a file cut short: nothing after it to misread
                return None, i
            if end < 0:
                return i, i
            i = end
        return None, n

    def commit(self, data: bytes, upto: int) -> None:
        """The frame breaks at byte ``upto`` of ``data``: learn what came well before it."""
        self.stats.flush(data, upto - 16)
        self.stats.pending.clear()
        self.checkpoints.clear()
        self.state = MidiState(TRACK, self.state.status)

    def resync(self, data: bytes, start: int, tries: int = 6) -> int:
        """Where after a cut the events parse again: the first of a few starts that runs on."""
        n = len(data)
        for k in range(start, min(n, start + tries)):
            st = MidiState(TRACK, self.state.status)
            i, ok = k, 0
            while i < n and ok < 3:
                end, _ = _event(data, i, n, st, self.stats)
                if end < 0:
                    break
                i, ok = end, ok + 1
            if ok >= 3 or i >= n:
                return k
        return start

    def scores(self, data: bytes) -> list[float]:
        start = self.resync(data, 0)
        return [0.0] * start + self.window_scores(data, start, MidiState(TRACK, self.state.status))

    def window_scores(self, data: bytes, start: int, st: MidiState, free: int = 0) -> list[float]:
        """Per-byte scores of ``data[start:]``; an impossible event costs and skips one byte.

        The first ``free`` bytes may fail at no cost: a window that starts where bytes were
        lost starts inside an event.
        """
        n = len(data)
        out: list[float] = []
        i = start
        st = MidiState(st.mode, st.status)
        grams = self.stats.grams
        while i < n:
            trial = MidiState(st.mode, st.status)
            end, bonus = _event(data, i, n, trial, self.stats)
            if end == -2:
                out.extend([0.5] * (n - i))
                break
            if end < 0:
                out.append(_FAIL if i - start >= free else 0.0)
                i += 1
                st = MidiState(TRACK, st.status)
                continue
            st = trial
            if len(grams) >= _MIN_GRAMS:
                plain = data[max(0, i - 2) : end].translate(_NO_CHANNEL)
                lead = min(i, 2)
                out.extend(
                    _GRAM_SEEN if plain[k - 2 : k + 1] in grams else _GRAM_NEW
                    for k in range(lead, lead + end - i)
                )
            else:
                out.extend([1.0] * (end - i))
            out[i - start] += bonus
            i = end
        return out

    def state_before(self, pos: int) -> tuple[int, MidiState]:
        """The latest recorded event start at or before ``pos`` with its parser state."""
        best = None
        for cp in self.checkpoints:
            if cp[0] <= pos:
                best = cp
            else:
                break
        if best is None:
            return pos, MidiState(TRACK, self.state.status)
        return best[0], MidiState(best[1], best[2])


Model = TextModel | MidiModel


def sniff(head: bytes) -> Model | None:
    """The model for a payload that begins with ``head`` (a few dozen bytes), if any."""
    if head.startswith((b"MThd", b"MTrk", b"MTh")):
        return MidiModel()
    sample = head[:32]  # short, so that damage soon after the start does not hide the kind
    if len(sample) < 4:
        return None
    good = sum(1 for b in sample if TEXT_TABLE[b] >= 0 or 0x80 <= b < 0xF5)
    if good >= 0.85 * len(sample):
        return TextModel()
    return None


_SCAN_WHOLE_MIDI = 1 << 16  # bytes: beyond this, strict MIDI is checked by its chunks only


def _chunks_chain(data: bytes) -> bool:
    """Whether chunk headers and lengths lead from the start exactly to the end."""
    i, n = 0, len(data)
    while i + 8 <= n:
        if not data[i : i + 4].isalpha():
            return False
        i += 8 + int.from_bytes(data[i + 4 : i + 8], "big")
    return i == n


def plausible_whole(data: bytes) -> bool:
    """Whether strictly decoded bytes show no stretch their payload cannot hold.

    Text is checked whole (at C speed); MIDI event by event when small, by its chunk
    chain when large; a payload no model knows is taken as it is.
    """
    model = sniff(data[:96])
    if model is None:
        return True
    if isinstance(model, MidiModel):
        return _chunks_chain(data) if len(data) > _SCAN_WHOLE_MIDI else _events_read(data)
    return model.scan(data, 0, True)[0] is None


def _events_read(data: bytes) -> bool:
    """Whether every chunk and event of MIDI ``data`` is possible: what ``MidiModel.scan``
    finds from the start, without the statistics it learns for scoring (they weigh events,
    never decide where one ends), so at a fraction of its cost."""
    n = len(data)
    i = 0
    st = MidiState()
    while i < n:
        end, _ = _event(data, i, n, st)
        if end == -2:  # the data ends inside an event: a file cut short
            return True
        if end < 0:
            return False
        i = end
    return True
