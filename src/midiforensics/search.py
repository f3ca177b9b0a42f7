"""The text stage: what the text handlers find in a text, and its encoded runs.

Text handlers (MusicXML, ABC) are asked in registry order; a find of an earlier handler is
not searched again. Encoded runs (hex, bytes literals, decimal arrays, base64 — a base64 blob
split over several blocks is stitched first) are decoded into payloads for the next stage.
"""

from __future__ import annotations

import binascii
from collections.abc import Callable
from dataclasses import replace
from functools import cache, partial

from .classify import STARTS, wants_more
from .formats import TEXT_HANDLERS
from .formats.base import Handler, MusicResult
from .gate import BLANK_LINE, GROW, Region, present, regions
from .locate import FINDERS, Finder, Run, drop_prefix, glued_prefix, join_runs
from .report.models import Problem, Repair, Span
from .work import Context, PayloadTask, PieceOut, Stage, TextTask, with_inherited_loss

MAX_JOIN_GAP = 4000  # characters of prose between two blocks of one split blob
_ENC_LABEL = {"base64": "b64", "hex": "hex", "bytes-literal": "bytes", "decimal": "dec"}


def search_text(task: TextTask, ctx: Context) -> Stage:
    """Search a text; a long one only in the regions the gate marks (:mod:`.gate`)."""
    parts = regions(task.text)
    if parts is None:  # a short text, searched whole by those whose anchors it holds
        yield from _search(task, ctx, present(task.text), None)
        return
    found: dict[str, list[_Found]] = {}  # each text handler's finds, over all regions
    k = 0
    while k < len(parts):
        lo, hi, names, line = parts[k]
        hi, names, k, seen = _grown(task.text, parts, k + 1, lo, hi, names)
        yield from _search(task.region(lo, hi, line), ctx, names, found, seen)
    for h in TEXT_HANDLERS:
        finds = found.get(h.name)
        if finds:
            yield from _pieces(h, finds, ctx, partial(task.where, 0))


# A find of a text handler, kept until every region has been searched: where it starts in the
# input, the piece, and the region's text task with the find's offset in it.
_Found = tuple[int, MusicResult, TextTask, int]
# What handlers' ``detect`` found in a text, by handler name (those that did not fail).
_Detected = dict[str, list[tuple[int, int, str]]]


def _grown(
    text: str, parts: list[Region], k: int, lo: int, hi: int, names: frozenset[str]
) -> tuple[int, frozenset[str], int, _Detected]:
    """The end of region ``[lo, hi)`` moved on while a find of a text handler whose finds may
    go on past a blank line (an ABC tune, a score, a LilyPond block) reaches its end and
    grows when it is moved; regions from ``parts[k]`` on that it then covers join it.
    Returns the end, the names, the index of the next region, and what was detected in the
    region as it ends (so its search does not detect it again)."""
    handlers = _asked(names)[2]
    if not handlers:
        return hi, names, k, {}
    end, seen = _last_end(handlers, text[lo:hi])
    seen_hi = hi
    step = GROW
    while end is not None and hi < len(text) and not text[lo + end : hi].strip():
        # twice as far each time: a find that runs to the end of any text it is given (an
        # unclosed block) costs a few looks, not one a paragraph
        m = BLANK_LINE.search(text, min(len(text), hi + step))
        wider = m.end() if m else len(text)
        step *= 2
        more, wider_seen = _last_end(handlers, text[lo:wider])
        if more is None or lo + more <= hi:
            break  # the find does not go on
        hi, end, seen, seen_hi = wider, more, wider_seen, wider
        while k < len(parts) and parts[k][0] <= hi:
            hi, names, k = max(hi, parts[k][1]), names | parts[k][2], k + 1
            handlers = _asked(names)[2]
    return hi, names, k, seen if seen_hi == hi else {}


def _last_end(handlers: tuple[Handler, ...], text: str) -> tuple[int | None, _Detected]:
    """Where the last find of ``handlers`` in ``text`` ends (None when there is none), and
    their finds. A handler that fails here is left out: its search reports the failure."""
    seen: _Detected = {}
    for h in handlers:
        try:
            seen[h.name] = h.detect(text)
        except Exception:  # noqa: BLE001, S112 - reported by the search of the region
            continue
    ends = [e for finds in seen.values() for _, e, _ in finds]
    return (max(ends) if ends else None), seen


def _pieces(h: Handler, finds: list[_Found], ctx: Context, at0: Callable[[], str]) -> Stage:
    """The pieces of handler ``h``'s finds, after its ``combine`` (a tempo given apart from
    its score, further on in the text) has seen all of them."""
    where = {s: (task, local) for s, _, task, local in finds}
    pairs = [(s, res) for s, res, _, _ in finds]
    for s, res in ctx.safe(at0, h.combine, pairs) or pairs:
        task, local = where[s]
        label = f"{task.label}{h.label or h.name}-L{task.linecol(local)[0]}"
        yield PieceOut(res, h.name, label, task.where(local), task.shifted(local), h.suffix)


def _search(
    task: TextTask,
    ctx: Context,
    only: frozenset[str] | None,
    found: dict[str, list[_Found]] | None,
    seen: _Detected | None = None,
) -> Stage:
    """Text handlers, then finders, on ``task``; only those named in ``only`` (the gate's
    region) when it is given. A text handler's finds become pieces here, or with ``found``
    are added to it (a region: the caller makes the pieces once all regions are searched).
    ``seen``: finds some handlers' ``detect`` already gave for this very text."""
    taken: list[tuple[int, int]] = []
    at0 = partial(task.where, 0)  # where a whole-text failure is reported (said only then)
    handlers, finders, _ = _asked(only)
    for h in handlers:
        finds: list[_Found] = []
        detected = seen.get(h.name) if seen else None
        if detected is None:
            detected = ctx.safe(at0, h.detect, task.text) or []
        for s, e, payload in detected:
            if _overlaps(s, e, taken):
                continue
            yield span_of(task, s, e, h.name)
            taken.append((s, e))
            if ctx.repair:
                failures = len(ctx.problems)
                lost = [(at - s, at - s + n) for at, n in task.lost.items() if s <= at <= e]
                res = ctx.safe(task.where(s), h.repair, payload, lost)
                if isinstance(res, MusicResult):
                    res = with_inherited_loss(_with_loss(res, lost), task.inherited)
                    finds.append((task.base + s, res, task, s))
                elif len(ctx.problems) == failures:  # not a failure already reported
                    why = f"{h.name} found here, but no notes in it could be read"
                    yield Problem(task.where(s), why, "unread")
        if found is None:
            yield from _pieces(h, finds, ctx, at0)
        elif finds:
            found.setdefault(h.name, []).extend(finds)
    runs: list[Run] = []
    for finder in finders:
        got = ctx.safe(at0, finder.find, task.text) or []
        if finder.stitch:
            got = ctx.safe(at0, _stitch, task.text, got, ctx) or got
        runs += got
    last_end = 0
    for run in sorted(runs, key=lambda r: (r.start, -(r.end - r.start))):
        if run.start < last_end or _overlaps(run.start, run.end, taken):
            continue  # runs come sorted: one overlaps an earlier run iff it starts before its end
        last_end = run.end
        yield from _encoded(task, run, ctx)


@cache
def _asked(
    only: frozenset[str] | None,
) -> tuple[tuple[Handler, ...], tuple[Finder, ...], tuple[Handler, ...]]:
    """The text handlers and the finders named in ``only`` (all of them when it is None), in
    registry order, and those of the handlers whose finds may go on past a blank line."""
    handlers = tuple(h for h in TEXT_HANDLERS if only is None or h.name in only)
    finders = tuple(f for f in FINDERS if only is None or f.name in only)
    return handlers, finders, tuple(h for h in handlers if h.spans_paragraphs)


def _with_loss(res: MusicResult, lost: list[tuple[int, int]]) -> MusicResult:
    """A piece read from text in which decoded bytes were lost has lost something, whatever
    its handler could mend: each place is a repair marked lost, and the piece is salvaged."""
    if not lost:
        return res
    marks = tuple(
        Repair(
            stage="decode",
            kind="payload-bytes",
            reason=f"{e - s} byte{'s' if e - s != 1 else ''} of the payload were lost here "
            "(base64 damage); the score was read without them, and what they held is unknown",
            offset=s,
            confidence=0.6,
            loss="lost",
        )
        for s, e in lost
    )
    verdict = "salvaged" if res.verdict in ("intact", "repaired") else res.verdict
    return replace(
        res, repairs=res.repairs + marks, verdict=verdict, confidence=min(res.confidence, 0.75)
    )


def span_of(task: TextTask, s: int, e: int, encoding: str, truncated: bool = False) -> Span:
    line, col = task.linecol(s)
    return Span(
        task.base + s, task.base + e, line, col, encoding, truncated=truncated, origin=task.chain
    )


def decode_run(payload: str, ctx: Context):  # type: ignore[no-untyped-def]
    """decode_base64, once per payload per input (stitching asks about the same runs again)."""
    from .decoding.b64 import decode_base64

    got = ctx.decoded_runs.get(payload)
    if got is None:
        got = ctx.decoded_runs[payload] = decode_base64(payload)
    return got


def _stitch(text: str, runs: list[Run], ctx: Context) -> list[Run]:
    """Join base64 blobs split over several blocks ("continued in the next block")."""
    if len(runs) < 2 or not ctx.repair:
        return runs
    out = [runs[0]]
    for b in runs[1:]:
        a = out[-1]
        if (
            b.start - a.end <= MAX_JOIN_GAP
            and not a.payload.endswith("=")
            and wants_more(decode_run(a.payload, ctx).data, len(a.payload))
            and not decode_run(b.payload, ctx).data.startswith(STARTS)
        ):
            joined = join_runs(a, b)
            alone = len(decode_run(a.payload, ctx).repairs) + len(
                decode_run(b.payload, ctx).repairs
            )
            if len(decode_run(joined.payload, ctx).repairs) <= alone:
                out[-1] = joined
                continue
        out.append(b)
    return out


def _locate_repairs(task: TextTask, run: Run) -> tuple[Run, list[Repair], list[Repair]]:
    """The run without a glued word, and the repairs the locate stage made (before / after the
    decoding's own)."""
    before = [
        replace(r, where=task.where(r.offset if r.offset is not None else run.start))
        for r in run.repairs
    ]
    glued = glued_prefix(run)
    if glued:
        before.insert(
            0,
            Repair(
                stage="locate",
                kind="glued-prefix",
                reason="a word was glued before the blob's known beginning: left out",
                offset=run.start,
                before=run.payload[:glued],
                where=task.where(run.start),
                confidence=0.9,
            ),
        )
        run = drop_prefix(run, glued)
    after = [
        Repair(
            stage="locate",
            kind="stitched",
            reason="the blob stops mid-piece and the next block continues it: joined",
            offset=join,
            where=task.where(join),
            confidence=0.8,
        )
        for join in run.joins
    ]
    if run.truncated:
        after.append(
            Repair(
                stage="locate",
                kind="truncated",
                reason="the run ends with an ellipsis: the rest was cut off; decoded what is there",
                offset=run.end,
                where=task.where(run.end),
                confidence=0.9,
                loss="lost",
            )
        )
    return run, before, after


def _encoded(task: TextTask, run: Run, ctx: Context) -> Stage:
    run, before, after = _locate_repairs(task, run)
    span = span_of(task, run.start, run.end, run.encoding, run.truncated)
    yield span
    where = task.where(run.start)
    repairs: list[Repair] = []
    lost: tuple[tuple[int, int], ...] = ()
    quick = None if ctx.repair else _strict_base64(run)
    if quick is not None:  # a scan classifies; it need not look for hidden frame shifts
        data = quick
    elif run.encoding == "base64":
        dec = ctx.safe(where, decode_run, run.payload, ctx)
        if dec is None:
            return
        data, lost = dec.data, tuple(dec.lost)
        repairs = [
            replace(r, where=task.where(run.text_offset(r.offset or 0))) for r in dec.repairs
        ]
    else:
        data = run.data or b""
    if not data:
        return
    label = f"{task.label}{_ENC_LABEL.get(run.encoding, run.encoding)}-L{span.line}"
    if span.col > 1:
        label += f"C{span.col}"
    repairs = before + repairs + after
    chain = f"{where} {run.encoding}"
    if repairs:
        chain += f" ({len(repairs)} decode repairs)"
    yield PayloadTask(
        data, span, chain, label, task.depth, where, tuple(repairs), lost, inherited=task.inherited
    )


def _strict_base64(run: Run) -> bytes | None:
    if run.encoding != "base64" or len(run.payload) % 4:
        return None
    try:
        return binascii.a2b_base64(run.payload, strict_mode=True)
    except binascii.Error:
        return None


def _overlaps(s: int, e: int, taken: list[tuple[int, int]]) -> bool:
    return any(s < te and e > ts for ts, te in taken)
