"""The frame search: decode a run, restoring the 4-character frame wherever it breaks.

Walks the run in its current frame and lets a payload model (:mod:`.plausible`) say where
the bytes stop being plausible; around that point it tries every way to continue and keeps
the candidate whose old part plus new part scores best (see :mod:`.b64`). For a payload
whose format offers a :class:`~.judge.Judge`, short runs are decoded several ways, each
weighed whole by the judge (``_decodings``).
"""

from __future__ import annotations

from dataclasses import dataclass

from .chars import a2b as _a2b
from .chars import max_prefix as _max_prefix
from .chars import merge as _merge
from .chars import partial as _partial
from .judge import Judge
from .plausible import TRACK, MidiModel, MidiState, Model, TextModel, sniff

_FIX_PENALTY = 8.0  # bits a repair must earn over leaving the frame as it is
_FIRST_CHUNK = 1024  # characters decoded at once when a frame starts; doubles after


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


_GLOBAL_RUNS = 48  # decodings tried per run: other candidates at one search or several
_GLOBAL_TOP = 3  # candidates per search tried
_GLOBAL_MARGIN = 6.0  # what another decoding must read better by than the search's own


def _decodings(
    text: str, shifts_only: bool, noise: tuple[int, int], judge: Judge | None
) -> list[tuple[float, _Result]]:
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
    if judge is None or not isinstance(first.model, MidiModel) or len(text) > judge.whole_chars:
        return [(0.0, got)]

    def fit(r: _Result) -> float:
        return judge.whole_fit(r.data, _merge(head + r.lost), len(r.fixes))

    head = [noise] if noise[1] > noise[0] else []
    out = [(fit(got) + _GLOBAL_MARGIN, got)]
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
                        out.append((fit(alt), alt))
                    tried += 1
        queue = nxt
    for r, (_, alt) in enumerate(list(out)):
        for cand in _respliced(text, alt, r == 0, judge):
            key = tuple((f.s, f.t) for f in cand.fixes)
            if key not in seen:
                seen.add(key)
                out.append((fit(cand), cand))
    return out


_SPLIT_BACK = 384  # characters before a run's first fix in which its break may sit
_MOVE_REACH = 8  # characters a fix is moved by at most
_MOVE_MARGIN = 4.0  # bits a moved fix must read better by than where it is


def _respliced(text: str, got: _Result, end: bool, judge: Judge) -> list[_Result]:
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
        lo = moved[i - 1][1] if i else max(judge.head_chars, c - _SPLIT_BACK) // 4 * 4
        hi = cuts[i + 1][0] if i + 1 < len(cuts) else len(text)
        if lo > c:
            continue
        best = _best_cut(model, text, lo, hi, d, c, _MOVE_REACH)
        moved[i] = (best, best + d)
    if moved != cuts:
        out.append(_resplice(text, moved))
    for base in ((cuts, moved) if moved != cuts else (cuts,)) if end else ():
        added = _end_shift(model, text, base, judge)
        if added is not None:
            out.append(_resplice(text, [*base, added]))
    return out


def _end_shift(
    model: MidiModel, text: str, cuts: list[tuple[int, int]], judge: Judge
) -> tuple[int, int] | None:
    """A shift after the last cut that puts the run's End of Track in frame, or None."""
    n = len(text)
    lo = cuts[-1][1] if cuts else judge.head_chars
    if not judge.end or _partial(text[lo:]).endswith(judge.end):
        return None
    for d in (1, 2, 3):
        if n - lo - d < 8 or not _partial(text[lo + d :]).endswith(judge.end):
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
