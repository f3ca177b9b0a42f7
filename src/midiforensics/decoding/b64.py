"""Base64 to bytes, strict first, then repaired: alphabet, padding, strays, and the frame.

Valid base64 goes through ``binascii`` strict mode and comes back byte-identical with no
repairs. Only when that fails is the run repaired:

- URL-safe ``-_`` are mapped to ``+/``; characters outside the alphabet are dropped;
- ``=`` inside the run ends one blob where its padding fits (two blobs glued: both are
  decoded), and is dropped as a stray where it does not; missing or extra padding is fixed;
- the 4-character frame, lost where characters were dropped or inserted, is restored.

Frame repair walks the run in its current frame and lets a payload model
(:mod:`midiforensics.decoding.plausible`) say where the bytes stop being plausible. Around that point
it tries every way to continue: each later character as the start of a new frame (the shift
one to three characters dropped or inserted give) and the old frame past a garbled quad; it
decodes a window on from each and keeps the candidate whose old part plus new part scores
best. The characters between the old frame's last quad and the new frame's first decode to
a few bytes of noise, which stay in the data and are listed in ``lost``. Each step reads a
window of fixed size, and a run is decoded in chunks that double, so the work is linear in
the length of the run plus a constant per damage point.

A window misleads where breaks sit close together, just past the header, or in a short run
the model has learned little from. So a MIDI run of up to ``_GLOBAL_CHARS`` characters is
decoded again with other header edits and other candidates at one or more searches, and
each decoding is judged whole (``_global_fit``: note-on/off pairs over the whole run, End of
Track at the end, track lengths that land on the next tag); the best one that the MIDI
repairer keeps a track of wins, and the search's own choices win ties.
"""

from __future__ import annotations

import binascii
import re
from bisect import bisect_right
from dataclasses import dataclass

from ..report.models import Repair
from .plausible import (
    TRACK,
    MidiModel,
    MidiState,
    Model,
    TextModel,
    midi_fitness,
    plausible_whole,
    sniff,
)

STAGE = "decode"
_URL_SAFE = str.maketrans("-_", "+/")
_TOKENS = re.compile(r"[A-Za-z0-9+/]+|=+|[^A-Za-z0-9+/=]+")
_FIX_PENALTY = 8.0  # bits a repair must earn over leaving the frame as it is
_FIRST_CHUNK = 1024  # characters decoded at once when a frame starts; doubles after
_JUDGE_WHOLE = 1 << 16  # bytes: strict MIDI up to this size is weighed against its repairs
_JUDGE_MARGIN = 2.0  # events' worth repairs of a strict run must gain (see midi_fitness)


@dataclass(frozen=True)
class Decoded:
    """Bytes decoded from one base64 run.

    ``repairs`` have ``stage="decode"`` and ``offset`` = index into the ``chars`` given.
    ``lost`` lists byte ranges [start, end) of ``data`` that are noise left where the frame
    broke; a range may be empty when the break cost no whole byte. ``strict`` is True when
    strict decoding accepted the run untouched.
    """

    data: bytes
    repairs: tuple[Repair, ...] = ()
    lost: tuple[tuple[int, int], ...] = ()
    strict: bool = False


def decode_base64(chars: str) -> Decoded:
    """Decode a base64 run (whitespace already removed), repairing it when strict fails.

    Strict means ``binascii`` strict mode accepts the run, its length is a multiple of 4
    (strict mode stops at the first ``=`` and so misses a shifted frame before padding) and,
    for a payload a model knows, the bytes hold no impossible stretch. A run that strict
    mode accepts is changed only by frame repairs (an insert and a drop can keep the length
    aligned); if none is found it comes back untouched.
    """
    try:
        data = binascii.a2b_base64(chars, strict_mode=True)
    except (binascii.Error, ValueError):
        return _repair(chars, shifts_only=False)
    if len(chars) % 4 == 0 and plausible_whole(data):
        return Decoded(data, strict=True)
    aligned = len(chars) % 4 == 0
    got = _repair(chars, shifts_only=aligned)
    if aligned and not all(_explains_aligned(r) for r in got.repairs):
        # the shifts found leave the end out of step with its padding: they explain nothing
        return Decoded(data, strict=True)
    if aligned and got.repairs and not _beats_strict(data, got):
        # damage inside the payload (a bad MIDI byte), not in the base64: leave it to the
        # payload's repairer, which reads on around it
        return Decoded(data, strict=True)
    return got if got.repairs else Decoded(data, strict=True)


def _beats_strict(strict: bytes, got: Decoded) -> bool:
    """Whether frame repairs of a run strict mode accepted read as better MIDI than without.

    An insert and a drop keep the run aligned and leave shifted noise between them; one bad
    byte inside the MIDI makes the strict bytes fail at one event only. Shifts "repairing"
    the latter swap good events for noise, so they must earn more music than they cost.
    Only MIDI small enough to read whole is judged; anything else keeps its repairs.
    """
    if not isinstance(sniff(strict[:96]), MidiModel) or len(strict) > _JUDGE_WHOLE:
        return True
    return midi_fitness(got.data, got.lost) > midi_fitness(strict) + _JUDGE_MARGIN


def _explains_aligned(r: Repair) -> bool:
    """Whether a repair of a run strict mode accepted is a frame shift (or adds padding)."""
    return r.kind == "frame-shift" or (r.kind == "padding" and r.before == "" and r.after != "")


# --------------------------------------------------------------------------- tokens


@dataclass
class _Part:
    """One blob's data characters, with where each piece sits in the input."""

    text: list[str]
    clean_starts: list[int]
    orig_starts: list[int]
    length: int = 0
    pad: str = ""
    pad_at: int = -1

    def add(self, piece: str, orig: int) -> None:
        self.text.append(piece)
        self.clean_starts.append(self.length)
        self.orig_starts.append(orig)
        self.length += len(piece)

    def orig(self, k: int) -> int:
        """Index in the input of this part's character ``k`` (``k == length``: past the end)."""
        i = max(0, bisect_right(self.clean_starts, k) - 1)
        if not self.orig_starts:
            return self.pad_at if self.pad_at >= 0 else 0
        return self.orig_starts[i] + k - self.clean_starts[i]


def _new_part() -> _Part:
    return _Part([], [], [])


def _is_data(tok: str) -> bool:
    c = tok[0]
    return c.isascii() and (c.isalnum() or c in "+/")


def _pad_fits(length: int, pad: int) -> bool:
    return (length % 4 == 2 and pad >= 2) or (length % 4 == 3 and pad >= 1)


def _repair(chars: str, shifts_only: bool) -> Decoded:
    repairs: list[Repair] = []
    s = chars
    url = [i for i in (s.find("-"), s.find("_")) if i >= 0]
    if url:
        count = s.count("-") + s.count("_")
        s = s.translate(_URL_SAFE)
        repairs.append(
            Repair(
                STAGE,
                "alphabet",
                f"URL-safe base64: {count} '-'/'_' read as '+'/'/'",
                offset=min(url),
                before="-_",
                after="+/",
            )
        )
    parts = [_new_part()]
    tokens = [(m.group(), m.start()) for m in _TOKENS.finditer(s)]
    last_data = max((i for i, (tok, _) in enumerate(tokens) if _is_data(tok)), default=-1)
    for idx, (tok, at) in enumerate(tokens):
        part = parts[-1]
        if _is_data(tok):
            part.add(tok, at)
        elif tok[0] != "=":
            repairs.append(
                Repair(
                    STAGE,
                    "stray",
                    "characters outside the base64 alphabet dropped",
                    offset=at,
                    before=tok,
                )
            )
        elif idx > last_data:
            part.pad += tok
            if part.pad_at < 0:
                part.pad_at = at
        elif part.length and (_pad_fits(part.length, len(tok)) or part.length % 4 == 0):
            part.pad, part.pad_at = tok, at
            repairs.append(
                Repair(
                    STAGE,
                    "glued",
                    "padding inside the run: two blobs end to end, each decoded",
                    offset=at,
                    before=tok,
                )
            )
            parts.append(_new_part())
        else:
            repairs.append(
                Repair(
                    STAGE,
                    "stray",
                    "'=' inside a blob where no padding fits, dropped",
                    offset=at,
                    before=tok,
                    confidence=0.8,
                )
            )
    data = bytearray()
    lost: list[tuple[int, int]] = []
    for k, part in enumerate(parts):
        base = len(data)
        head, got = _decode_part("".join(part.text), shifts_only)
        if head is not None:
            repairs.append(_head_repair(head, part))
            part = parts[k] = _edited(part, head)
        noise = _fill_noise(head) if head is not None else (0, 0)
        if noise[1] > noise[0]:
            lost.append((base + noise[0], base + noise[1]))
        fields = _head_fields(head, "".join(part.text)) if head is not None else (0, 0)
        if fields[1] > fields[0]:  # header fields decoded from characters put back
            lost.append((base + fields[0], base + fields[1]))
        data += got.data
        lost.extend((base + a, base + b) for a, b in got.lost)
        repairs.extend(_fix_repair(f, part, base, got.model_name) for f in got.fixes)
        if part is parts[-1] or got.leftover:  # an '=' after a whole blob only separates
            repairs.extend(_padding_repairs(part, got.leftover))
    return Decoded(bytes(data), tuple(sorted(repairs, key=_offset_key)), tuple(_merge(lost)), False)


_HEAD_TRIES = 4  # header edits a short MIDI run is decoded with, to be judged whole
_CHECKED = 40  # distinct best decodings of a short MIDI run offered to the MIDI repairer


def _decode_part(text: str, shifts_only: bool) -> tuple[_HeadEdit | None, _Result]:
    """The header edit (or None) and the decoding of one blob's characters.

    A header edit is chosen by the header and the events just after it; where damage sits
    just past the header, several edits read as well there and only the whole run tells
    them apart. So a short run is decoded with each of the best few, and with none, each
    with the frame searches' choices varied (``_decodings``); the decodings are ranked by
    how much music they read as (``_global_fit``) and the first the MIDI repairer keeps a
    track of wins: a decoding that reads well but leaves misread bytes unmarked can make
    the repairer give up the whole track, and then a close second is worth more. With
    damage in the header and later, the first several distinct decodings can all share one
    such misreading (only the header edit differs), so up to ``_CHECKED`` distinct ones
    are offered, each once.
    """
    edits = _anchor_header(text)
    options: list[_HeadEdit | None] = [*edits[:_HEAD_TRIES], None] if edits else [None]
    if len(text) > _GLOBAL_CHARS:
        options = options[:1]
    ranked: list[tuple[float, int, _HeadEdit | None, _Result, list[tuple[int, int]]]] = []
    for edit in options:
        if edit is None:
            edited, noise = text, (0, 0)
        else:
            edited = text[: edit.at] + edit.insert + text[edit.at + edit.drop :]
            noise = _fill_noise(edit)
        head = [noise] if noise[1] > noise[0] else []
        for fit, got in _decodings(edited, shifts_only, noise):
            ranked.append((fit, len(ranked), edit, got, head))
    if len(ranked) == 1:
        return ranked[0][2], ranked[0][3]
    ranked.sort(key=lambda r: (-r[0], r[1]))
    seen: set[tuple[bytes, tuple[tuple[int, int], ...]]] = set()
    for _, _, edit, got, head in ranked:
        key = (got.data, tuple(_merge(head + got.lost)))
        if key in seen:  # header edits a few characters apart often decode alike
            continue
        seen.add(key)
        if _keeps_music(got, head):
            return edit, got
        if len(seen) >= _CHECKED:
            break
    return ranked[0][2], ranked[0][3]


def _keeps_music(got: _Result, head: list[tuple[int, int]]) -> bool:
    """Whether the MIDI repairer reads notes from a decoding, given what it marks lost."""
    from ..formats.midi.carve import repair_midi

    res = repair_midi(got.data, _merge(head + got.lost))
    return res is not None and res.notes > 0


def _offset_key(r: Repair) -> int:
    return r.offset if r.offset is not None else -1


# --------------------------------------------------------------------------- MIDI header

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


@dataclass(frozen=True)
class _HeadEdit:
    """Characters [at, at + drop) are dropped and ``insert`` put in their place."""

    at: int
    drop: int
    insert: str


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


def _head_fields(edit: _HeadEdit, edited: str) -> tuple[int, int]:
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


def _fill_noise(edit: _HeadEdit) -> tuple[int, int]:
    """Bytes an insertion's guessed characters (past the known header) decode into."""
    lo = max(edit.at, _SURE_CHARS)
    hi = edit.at + len(edit.insert)
    if not edit.insert or hi <= lo:
        return (0, 0)
    return lo * 6 // 8, (hi * 6 + 7) // 8


def _anchor_header(text: str) -> list[_HeadEdit]:
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
    found: list[tuple[tuple[int, int, int], _HeadEdit]] = []
    for at in range(1, reach):
        for m in (1, 2, 3):
            fill = "".join(_HEAD_B64[j] if j < _SURE_CHARS else "A" for j in range(at, at + m))
            for edit in (_HeadEdit(at, m, ""), _HeadEdit(at, 0, fill)):
                edited = text[: edit.at] + edit.insert + text[edit.at + edit.drop :]
                fit = _head_fit(edited, _fill_noise(edit))
                if fit > now and fit[0] >= len(_SURE):
                    found.append((fit, edit))
    found.sort(key=lambda f: f[0], reverse=True)  # stable: the smallest edit first
    if not found or found[0][0][1] < now[1] + 8:
        return []
    return [edit for _, edit in found]


def _edited(part: _Part, edit: _HeadEdit) -> _Part:
    """``part`` with ``edit`` applied; kept characters still know where they came from."""
    out = _new_part()
    text = "".join(part.text)
    for lo, hi in ((0, edit.at), (edit.at + edit.drop, len(text))):
        k = lo
        while k < hi:  # copy [lo, hi) piece by piece
            i = max(0, bisect_right(part.clean_starts, k) - 1)
            end = min(hi, part.clean_starts[i] + len(part.text[i]))
            out.add(text[k:end], part.orig(k))
            k = end
        if lo == 0 and edit.insert:
            out.add(edit.insert, part.orig(edit.at))
    out.pad, out.pad_at = part.pad, part.pad_at
    return out


def _head_repair(edit: _HeadEdit, part: _Part) -> Repair:
    where = part.orig(edit.at)
    if edit.drop:
        what = f"{edit.drop} character(s) inserted there dropped"
    else:
        what = f"{len(edit.insert)} character(s) lost there put back"
    why = (
        f"MIDI header out of frame near character {where}: {what}, so that the header and "
        "the first MTrk tag sit where every MIDI file has them"
    )
    text = "".join(part.text)
    edited = text[: edit.at] + edit.insert + text[edit.at + edit.drop :]
    gone = [r for r in (_head_fields(edit, edited), _fill_noise(edit)) if r[1] > r[0]]
    if gone:
        spans = ", ".join(f"{a}-{b - 1}" for a, b in gone)
        why += f"; bytes {spans}, which they decode into, are not known: marked lost"
    return Repair(
        STAGE,
        "frame-shift",
        why,
        offset=where,
        after=edit.insert,
        confidence=0.9,
        loss="lost" if gone else "",
    )


# --------------------------------------------------------------------------- frames


@dataclass(frozen=True)
class _Fix:
    """Characters [s, t) of a part broke the frame; ``noise`` bytes at ``byte`` stand for them."""

    kind: str  # frame-shift | garbled
    s: int
    t: int
    byte: int
    noise: int
    confidence: float


@dataclass(frozen=True)
class _Result:
    data: bytes
    lost: list[tuple[int, int]]
    fixes: list[_Fix]
    leftover: int  # characters after the last whole quad of the last frame
    model_name: str


def _a2b(chars: str) -> bytes:
    """Whole quads only; ``chars`` holds alphabet characters."""
    return binascii.a2b_base64(chars) if chars else b""


def _partial(chars: str) -> bytes:
    """Decode whole quads plus what a trailing 2 or 3 characters hold (1 is no byte)."""
    whole = len(chars) - len(chars) % 4
    tail = chars[whole:]
    out = _a2b(chars[:whole])
    if len(tail) >= 2:
        out += binascii.a2b_base64(tail + "=" * (4 - len(tail)))
    return out


def _max_prefix(scores: list[float]) -> float:
    best = total = 0.0
    for v in scores:
        total += v
        if total > best:
            best = total
    return best


class _Frames:
    """Decode one blob's characters, restoring the frame wherever the payload turns to noise.

    The current frame starts at character ``ps``; ``data`` holds its bytes decoded so far (up
    to character ``dend``) and ``pos`` is how far the model has accepted them.
    """

    def __init__(
        self,
        s: str,
        shifts_only: bool = False,
        noise: tuple[int, int] = (0, 0),
        choices: tuple[int, ...] = (),
        memo: dict[tuple[int, ...], list[tuple[int, int, float] | None]] | None = None,
        budget: int | None = None,
    ) -> None:
        self.s = s
        self.choices = choices  # rank of the candidate taken at each search (0: the best)
        self.ranks: list[int] = []  # how many candidates each search had
        self.picks: tuple[int, ...] = ()  # ranks taken so far: they fix the state of a run
        self.memo = memo  # searches' candidates by the picks before them, shared by runs
        self.noise = noise  # bytes known to be noise (a header edit's): stepped over
        self.shifts_only = shifts_only  # only frame shifts, no garbled quads (strict input)
        self.n = len(s)
        head = _a2b(s[: min(128, self.n - self.n % 4)])
        self.model: Model | None = sniff(head)
        text = isinstance(self.model, TextModel)
        self.back = 48 if text else 96  # how far before a detected break the cause may sit
        self.ahead = 16
        self.look = 256 if text else 192  # characters decoded on from each candidate
        # frame searches allowed: bounded time on noise
        self.budget = 24 + self.n // 4096 if budget is None else budget
        self._start(0, 0)

    def _start(self, ps: int, skip: int) -> None:
        self.ps = ps
        self.end = ps + (self.n - ps) // 4 * 4
        self.data = b""
        self.dend = ps
        self.chunk = _FIRST_CHUNK
        self.pos = skip
        self.resync = ps > 0 and isinstance(self.model, MidiModel)

    def _extend(self, upto: int) -> None:
        upto = min(self.end, upto)
        if upto > self.dend:
            self.data += _a2b(self.s[self.dend : upto])
            self.dend = upto

    def _next_break(self, model: Model) -> int | None:
        """Index in ``data`` of the first byte the model rejects; None at the end of the run."""
        while True:
            if self.pos >= len(self.data) - 8 and self.dend < self.end:
                self._extend(self.dend + self.chunk)
                self.chunk *= 2
            if self.resync and isinstance(model, MidiModel):
                self.pos = model.resync(self.data, self.pos)
                self.resync = False
            final = self.dend == self.end
            k, safe = model.scan(self.data, self.pos, final)
            if k is not None:
                return k
            self.pos = safe
            if final:
                return None
            self._extend(self.dend + self.chunk)
            self.chunk *= 2

    def run(self) -> _Result:
        s, n = self.s, self.n
        model = self.model
        if model is None:
            return _Result(_partial(s), [], [], n % 4, "payload")
        out = bytearray()
        lost: list[tuple[int, int]] = []
        fixes: list[_Fix] = []
        while True:
            k = self._next_break(model)
            if k is None or self.budget <= 0:
                self._extend(self.end)
                out += self.data
                break
            known = self.ps == 0 and self.noise[0] - 4 <= k < self.noise[1]
            if not known:
                self.budget -= 1
            found = None if known else self._choose(model, k)
            if found is None:  # the frame holds: step over the odd bytes and go on
                self.pos = k + 1
                if isinstance(model, MidiModel):
                    model.state = MidiState(TRACK, model.state.status)
                    self.resync = True
                continue
            s_cut, t, conf = found
            before = self.data[: (s_cut - self.ps) // 4 * 3]
            noise = _partial(s[s_cut:t])
            tail = head = 0
            if isinstance(model, TextModel):
                nxt = s[t : t + min(8, (n - t) // 4 * 4)]
                tail, head = model.orphans(before, _a2b(nxt))
            out += before
            start = len(out) - tail
            out += noise
            lost.append((start, len(out) + head))
            kind = "garbled" if (t - s_cut) % 4 == 0 else "frame-shift"
            fixes.append(_Fix(kind, s_cut, t, len(out) - len(noise), len(noise), conf))
            if isinstance(model, MidiModel):
                model.commit(self.data, len(before))
            self._start(t, head)
        leftover = (n - self.ps) % 4
        if leftover:
            out += _partial(s[n - leftover :])
        return _Result(bytes(out), _merge(lost), fixes, leftover, model.name)

    def _old_scores(self, model: Model, b_lo: int, b_hi: int) -> list[float]:
        """Scores of the current frame's bytes [b_lo, b_hi), read in their context."""
        if isinstance(model, TextModel):
            return model.scores(self.data[b_lo:b_hi])
        at, st = model.state_before(b_lo)
        got = model.window_scores(self.data[:b_hi], at, st)
        return got[b_lo - at :]

    def _choose(self, model: Model, k: int) -> tuple[int, int, float] | None:
        """The candidate this run was told to take at this search (the best by default)."""
        ranked = self.memo.get(self.picks) if self.memo is not None else None
        if ranked is None:
            ranked = self._search(model, k)
            if self.memo is not None:
                self.memo[self.picks] = ranked
        i = len(self.ranks)
        self.ranks.append(len(ranked))
        pick = min(self.choices[i] if i < len(self.choices) else 0, len(ranked) - 1)
        self.picks += (pick,)
        return ranked[pick]

    def _search(self, model: Model, k: int) -> list[tuple[int, int, float] | None]:
        """Candidates (s, t, confidence), best first: old frame up to character s, new frame
        from t; None stands for leaving the frame as it is."""
        n, ps = self.n, self.ps
        a = ps % 4
        fc = ps + k // 3 * 4  # the quad holding the rejected byte
        w_lo = ps + max(0, fc - self.back - ps) // 4 * 4
        hi = min(n, fc + self.ahead)
        stop = min(n, hi + self.look)
        self._extend(stop)
        b_lo = (w_lo - ps) // 4 * 3
        old = self._old_scores(model, b_lo, min(len(self.data), (stop - ps) // 4 * 3))
        cum = [0.0]
        for v in old:
            cum.append(cum[-1] + v)
        # candidate (score, s, t); the frame left as it is scores its old window alone
        best_by_phase: dict[int, tuple[float, int, int]] = {-1: (_max_prefix(old), -1, -1)}
        for t in range(w_lo + 1, hi + 1):
            g = (t - a) % 4
            if g == 0:
                if t <= fc or self.shifts_only:
                    continue
                cuts = [c for c in (t - 4, t - 8, t - 12) if w_lo <= c <= fc]
            else:
                cuts = [c for c in (t - g, t - g - 4) if c >= w_lo]
            if not cuts:
                continue
            new = self._new_scores(model, t, stop)
            for c in cuts:
                j = (c - w_lo) // 4 * 3
                if j >= len(cum):
                    continue
                score = cum[j] + new - _FIX_PENALTY
                if score > best_by_phase.get(t % 4, (float("-inf"),))[0]:
                    best_by_phase[t % 4] = (score, c, t)
        ranked = sorted(best_by_phase.values(), reverse=True)
        out: list[tuple[int, int, float] | None] = []
        for r, (score, c, t) in enumerate(ranked):
            if c < 0:
                out.append(None)
                continue
            other = ranked[1 - min(r, 1)][0] if len(ranked) > 1 else 0.0
            margin = score - other
            confidence = round(max(0.5, min(0.99, 1.0 - 2.0 ** (-margin / 4.0))), 2)
            out.append((c, t, confidence))
        return out

    def _new_scores(self, model: Model, t: int, stop: int) -> float:
        chars = self.s[t : t + (stop - t) // 4 * 4]
        data = _a2b(chars)
        if isinstance(model, TextModel):
            skip = model.orphans(b"", data)[1]
            return _max_prefix(model.scores(data[skip:]))
        return _max_prefix(model.scores(data))


_GLOBAL_CHARS = 4096  # MIDI runs up to this long have their frame repairs weighed whole
_GLOBAL_RUNS = 48  # decodings tried per run: other candidates at one search or several
_GLOBAL_TOP = 3  # candidates per search tried
_GLOBAL_MARGIN = 6.0  # what another decoding must read better by than the search's own


def _decodings(text: str, shifts_only: bool, noise: tuple[int, int]) -> list[tuple[float, _Result]]:
    """Decodings of a blob's characters: the frame search's, then for a short MIDI run with
    frame repairs, others, each with its ``_global_fit`` (0.0 for a run not judged whole).

    The frame search picks each fix by a window of events after it. Where two breaks sit
    close together, or the file is short and the model has learned little, the window
    misleads it, and a wrong fix puts everything after it out of frame. So a short MIDI
    run is decoded again with the second or third candidate taken at one search, then at
    two, and so on (searches that the runs share are made once), for the caller to weigh.
    """
    memo: dict[tuple[int, ...], list[tuple[int, int, float] | None]] = {}
    first = _Frames(text, shifts_only, noise, memo=memo)
    got = first.run()
    if not isinstance(first.model, MidiModel) or len(text) > _GLOBAL_CHARS:
        return [(0.0, got)]
    head = [noise] if noise[1] > noise[0] else []
    out = [(_global_fit(got, head) + _GLOBAL_MARGIN, got)]
    seen = {tuple((f.s, f.t) for f in got.fixes)}
    if not got.fixes:
        queue: list[tuple[tuple[int, ...], list[int]]] = []
    else:
        queue = [((), first.ranks)]
    tried = 1
    while queue and tried < _GLOBAL_RUNS:
        nxt: list[tuple[tuple[int, ...], list[int]]] = []
        for prefix, ranks in queue:
            for i in range(len(prefix), len(ranks)):
                for j in range(1, min(ranks[i], _GLOBAL_TOP)):
                    if tried >= _GLOBAL_RUNS:
                        break
                    choices = prefix + (0,) * (i - len(prefix)) + (j,)
                    budget = len(first.ranks) + 4  # a wrong turn soon breaks again and again
                    frames = _Frames(text, shifts_only, noise, choices, memo, budget)
                    alt = frames.run()
                    nxt.append((choices, frames.ranks))
                    key = tuple((f.s, f.t) for f in alt.fixes)
                    if key not in seen:  # other turns often lead to the same fixes
                        seen.add(key)
                        out.append((_global_fit(alt, head), alt))
                    tried += 1
        queue = nxt
    for r, (_, alt) in enumerate(list(out)):
        for cand in _respliced(text, alt, end=r == 0):
            key = tuple((f.s, f.t) for f in cand.fixes)
            if key not in seen:
                seen.add(key)
                out.append((_global_fit(cand, head), cand))
    return out


_EOT = b"\xff\x2f\x00"
_SPLIT_BACK = 384  # characters before a run's first fix in which its break may sit
_MOVE_REACH = 8  # characters a fix is moved by at most
_MOVE_MARGIN = 4.0  # bits a moved fix must read better by than where it is


def _respliced(text: str, got: _Result, end: bool) -> list[_Result]:
    """Other decodings of a short MIDI run with the search's frame shifts placed anew.

    A window search places a fix where the bytes after it read well, which can be some
    characters from the damage: the events in between then decode in the wrong frame. Each
    shift is moved to the cut that reads best over the stretch between its neighbours
    alone (``_best_cut``). A run whose end is out of frame (no End of Track) though another
    frame would end it with one, lost characters late in the run that no window showed: a
    shift is added after the last fix, where the stretch reads best. Only the search's own
    decoding is varied so: an added shift just past another decoding's wrong fix reads well
    whole, and many such variants would crowd out the decodings the repairer is offered. Both are offered to
    the whole-run judge, not chosen here.
    """
    cuts = [(f.s, f.t) for f in got.fixes]
    out: list[_Result] = []
    model = _learned(got.data)
    moved = list(cuts)
    for i, (c, t) in enumerate(cuts):
        d = t - c
        if d % 4 == 0:
            continue
        lo = moved[i - 1][1] if i else max(_SURE_CHARS, c - _SPLIT_BACK) // 4 * 4
        hi = cuts[i + 1][0] if i + 1 < len(cuts) else len(text)
        if lo > c:
            continue
        best = _best_cut(model, text, lo, hi, d, c, _MOVE_REACH)
        moved[i] = (best, best + d)
    if moved != cuts:
        out.append(_resplice(text, moved))
    for base in ((cuts, moved) if moved != cuts else (cuts,)) if end else ():
        added = _end_shift(model, text, base)
        if added is not None:
            out.append(_resplice(text, [*base, added]))
    return out


def _end_shift(model: MidiModel, text: str, cuts: list[tuple[int, int]]) -> tuple[int, int] | None:
    """A shift after the last cut that puts the run's End of Track in frame, or None."""
    n = len(text)
    lo = cuts[-1][1] if cuts else _SURE_CHARS
    if _partial(text[lo:]).endswith(_EOT):
        return None
    for d in (1, 2, 3):
        if n - lo - d < 8 or not _partial(text[lo + d :]).endswith(_EOT):
            continue
        c = _best_cut(model, text, lo, n, d, -1)
        return (c, c + d)
    return None


def _best_cut(
    model: MidiModel, text: str, lo: int, hi: int, d: int, now: int, reach: int = 1 << 30
) -> int:
    """Where in characters [lo, hi) a shift of ``d`` characters reads best: the old frame
    (from ``lo``) before it and the new one after it, judged on that stretch only; the
    bytes the shift turns to noise score nothing. ``now`` (the current cut) stays unless beaten by
    ``_MOVE_MARGIN``, and the cut moves at most ``reach`` characters from it."""
    old_chars = text[lo : lo + (hi - lo) // 4 * 4]
    t0 = lo + d
    new_chars = text[t0 : t0 + max(0, hi - t0) // 4 * 4]
    old = model.scores(_a2b(old_chars))
    new = model.scores(_a2b(new_chars))
    m = min(len(old), len(new)) // 3
    suffix = [0.0] * (m + 1)
    acc = sum(new[3 * m :])
    for q in range(m, -1, -1):
        if q < m:
            acc += sum(new[3 * q : 3 * q + 3])
        suffix[q] = acc
    best_q = (now - lo) // 4 if now >= lo else 0
    best = stay = float("-inf")
    pre = 0.0
    for q in range(m + 1):
        if q:
            pre += sum(old[3 * q - 3 : 3 * q])
        if now >= lo and abs(lo + 4 * q - now) > reach:
            continue
        score = pre + suffix[q]
        if score > best:
            best, best_q = score, q
        if now >= lo and q == (now - lo) // 4:
            stay = score
    if now >= lo and best < stay + _MOVE_MARGIN:
        return now
    return lo + 4 * best_q


def _learned(data: bytes) -> MidiModel:
    """A MIDI model that has read ``data`` (a whole decoding), stepping over what fails."""
    model = MidiModel()
    pos = 0
    while pos < len(data):
        k, _ = model.scan(data, pos, True)
        if k is None:
            break
        model.commit(data, k)
        pos = model.resync(data, k + 1)
    model.stats.flush(data, len(data))
    model.state = MidiState(TRACK, model.state.status)
    return model


def _resplice(text: str, cuts: list[tuple[int, int]]) -> _Result:
    """The decoding with the frame broken at ``cuts`` ((old frame's end, new frame's start))."""
    n = len(text)
    out = bytearray()
    lost: list[tuple[int, int]] = []
    fixes: list[_Fix] = []
    ps = 0
    for c, t in cuts:
        out += _a2b(text[ps : ps + (c - ps) // 4 * 4])
        noise = _partial(text[c:t])
        lost.append((len(out), len(out) + len(noise)))
        kind = "garbled" if (t - c) % 4 == 0 else "frame-shift"
        fixes.append(_Fix(kind, c, t, len(out), len(noise), 0.6))
        out += noise
        ps = t
    out += _a2b(text[ps : ps + (n - ps) // 4 * 4])
    leftover = (n - ps) % 4
    if leftover:
        out += _partial(text[n - leftover :])
    return _Result(bytes(out), _merge(lost), fixes, leftover, "midi")


_GLOBAL_ODD = -1.0  # odd events (not notes, not meta) in a whole decoding: noise parsing
_GLOBAL_NEAR = 4  # bytes next to a fix's noise that a whole decoding may misread for free


def _global_fit(got: _Result, head: list[tuple[int, int]]) -> float:
    """How well a whole decoding reads as one MIDI file (see ``midi_fitness``), plus the
    evidence of its frame at the end: a file in frame ends with End of Track, and each
    track's declared length leads to the next track's tag (within the bytes that fixes
    made noise)."""
    data = got.data
    fit = midi_fitness(data, tuple(_merge(head + got.lost)), _GLOBAL_ODD, _GLOBAL_NEAR, True)
    if data.endswith(b"\xff\x2f\x00"):
        fit += 6.0
    if data.startswith(_HEAD[:8]) and data[14:18] == b"MTrk":
        fit += 8.0  # a header in frame (a decoding without a header edit may lack one)
    slack = 3 * len(got.fixes) + 1
    i = data.find(b"MTrk")
    while i >= 0 and i + 8 <= len(data):
        end = i + 8 + int.from_bytes(data[i + 4 : i + 8], "big")
        nxt = data.find(b"MTrk", i + 8)
        land = len(data) if nxt < 0 else nxt
        if abs(end - land) <= slack:
            fit += 4.0
        i = nxt
    return fit


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(ranges):
        if out and a <= out[-1][1] and b > a:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


# --------------------------------------------------------------------------- repairs


def _fix_repair(fix: _Fix, part: _Part, base: int, model: str) -> Repair:
    at, to = part.orig(fix.s), part.orig(fix.t)
    before = "".join(part.text)[fix.s : fix.t]
    where = f"{fix.noise} byte(s) of noise at byte {base + fix.byte} marked lost"
    if fix.kind == "garbled":
        reason = (
            f"characters {at}-{to} decode to bytes no {model} payload holds (a wrong "
            f"character?); frame kept; {where}"
        )
    else:
        shift = (fix.t - fix.s) % 4
        what = {
            1: "1 character inserted (or 3 dropped)",
            2: "2 characters dropped or inserted",
            3: "1 character dropped (or 3 inserted)",
        }[shift]
        reason = f"4-character frame lost near character {at}: {what}; realigned at {to}; {where}"
    return Repair(STAGE, fix.kind, reason, offset=at, before=before, confidence=fix.confidence)


def _padding_repairs(part: _Part, leftover: int) -> list[Repair]:
    at = part.pad_at if part.pad_at >= 0 else part.orig(part.length)
    pad = part.pad
    if leftover == 1:
        return [
            Repair(
                STAGE,
                "padding",
                "one character left over after the last whole quad holds no byte; dropped",
                offset=part.orig(part.length - 1),
                before="".join(part.text)[-1:] + pad,
                confidence=0.8,
            )
        ]
    want = (4 - leftover) % 4 * "="
    if pad == want:
        return []
    reason = "padding missing" if len(pad) < len(want) else "padding in excess"
    return [Repair(STAGE, "padding", reason, offset=at, before=pad, after=want)]
