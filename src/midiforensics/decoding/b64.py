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
from .chars import merge as _merge
from .chars import partial as _partial
from .frames import _decodings, _Fix, _Result
from .judge import HeadEdit, Judge, judge_for
from .plausible import plausible_whole

STAGE = "decode"
_URL_SAFE = str.maketrans("-_", "+/")
_TOKENS = re.compile(r"[A-Za-z0-9+/]+|=+|[^A-Za-z0-9+/=]+")


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
    judge = judge_for(strict[:96])
    return judge is None or judge.beats_strict(strict, got.data, list(got.lost))


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
    s = _url_safe(chars, repairs)
    parts = _parts(s, repairs)
    data = bytearray()
    lost: list[tuple[int, int]] = []
    for k, part in enumerate(parts):
        base = len(data)
        text = "".join(part.text)
        judge = judge_for(_partial(text[:128]))
        head, got = _decode_part(text, shifts_only, judge)
        if head is not None and judge is not None:
            repairs.append(_head_repair(head, part, judge))
            part = parts[k] = _edited(part, head)
            # bytes the edit's characters decode into past the header, and header fields
            # the edit leaves unknown: lost
            for a, b in (judge.edit_noise(head), judge.edit_lost(head, "".join(part.text))):
                if b > a:
                    lost.append((base + a, base + b))
        data += got.data
        lost.extend((base + a, base + b) for a, b in got.lost)
        repairs.extend(_fix_repair(f, part, base, got.model_name) for f in got.fixes)
        if part is parts[-1] or got.leftover:  # an '=' after a whole blob only separates
            repairs.extend(_padding_repairs(part, got.leftover))
    return Decoded(bytes(data), tuple(sorted(repairs, key=_offset_key)), tuple(_merge(lost)), False)


def _url_safe(s: str, repairs: list[Repair]) -> str:
    """``s`` with URL-safe ``-_`` read as ``+/``, the change added to ``repairs``."""
    url = [i for i in (s.find("-"), s.find("_")) if i >= 0]
    if not url:
        return s
    count = s.count("-") + s.count("_")
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
    return s.translate(_URL_SAFE)


def _parts(s: str, repairs: list[Repair]) -> list[_Part]:
    """The blobs of ``s`` (split where padding inside the run ends one), strays dropped;
    each change added to ``repairs``."""
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
    return parts


_HEAD_TRIES = 4  # header edits a short MIDI run is decoded with, to be judged whole
_CHECKED = 40  # distinct best decodings of a short MIDI run offered to the MIDI repairer


def _decode_part(
    text: str, shifts_only: bool, judge: Judge | None
) -> tuple[HeadEdit | None, _Result]:
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
    edits = judge.anchor(text) if judge is not None else []
    options: list[HeadEdit | None] = [*edits[:_HEAD_TRIES], None] if edits else [None]
    if judge is None or len(text) > judge.whole_chars:
        options = options[:1]
    ranked: list[tuple[float, int, HeadEdit | None, _Result, list[tuple[int, int]]]] = []
    for edit in options:
        if edit is None:
            edited, noise = text, (0, 0)
        else:
            edited = text[: edit.at] + edit.insert + text[edit.at + edit.drop :]
            noise = judge.edit_noise(edit) if judge is not None else (0, 0)
        head = [noise] if noise[1] > noise[0] else []
        for fit, got in _decodings(edited, shifts_only, noise, judge):
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
        if judge is not None and judge.keeps_music(got.data, head + got.lost):
            return edit, got
        if len(seen) >= _CHECKED:
            break
    return ranked[0][2], ranked[0][3]


def _offset_key(r: Repair) -> int:
    return r.offset if r.offset is not None else -1


def _edited(part: _Part, edit: HeadEdit) -> _Part:
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


def _head_repair(edit: HeadEdit, part: _Part, judge: Judge) -> Repair:
    where = part.orig(edit.at)
    if edit.drop:
        what = f"{edit.drop} character(s) inserted there dropped"
    else:
        what = f"{len(edit.insert)} character(s) lost there put back"
    why = (
        f"{judge.name.upper()} header out of frame near character {where}: {what}, so that the header and "
        "the first MTrk tag sit where every MIDI file has them"
    )
    text = "".join(part.text)
    edited = text[: edit.at] + edit.insert + text[edit.at + edit.drop :]
    gone = [r for r in (judge.edit_lost(edit, edited), judge.edit_noise(edit)) if r[1] > r[0]]
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
