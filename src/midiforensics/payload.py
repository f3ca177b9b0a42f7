"""The payload stage: a decoded blob cut into segments, each offered to the handlers.

A segment goes to the bytes handlers that found it or whose signature it starts with, in
registry order, until one makes it a piece (MIDI, MXL) or opens it (zip, gzip: its members
are payloads again). Text is searched again, one level deeper. What no handler takes is
written as it is, so every byte is accounted for.
"""

from __future__ import annotations

from dataclasses import replace

from . import classify
from .formats import BYTES_HANDLERS
from .formats.base import Contents, Handler, MusicResult
from .report.locator import Locator
from .report.models import Blob, Problem, Repair, Segment
from .work import (
    MAX_DEPTH,
    Context,
    FileOut,
    PayloadTask,
    PieceOut,
    Stage,
    TextTask,
    with_inherited_loss,
)

BIN_MIN = 64  # smaller unknown payloads are reported, not written


def split_payload(
    blob: Blob, label: str, ctx: Context, inherited: tuple[Repair, ...] = ()
) -> Stage:
    data = blob.data
    inherited = (*inherited, *(r for r in blob.repairs if r.loss))
    pieces = ctx.safe(blob.provenance, classify.split, data, blob.lost)
    for piece in pieces or ():
        seg = Segment(blob.id, piece.start, piece.end, piece.kind, piece.confidence)
        if not ctx.repair and piece.kind != "text":
            yield seg  # scan: find and classify only
            continue
        chunk = data[piece.start : piece.end]
        lost = [
            (max(s, piece.start) - piece.start, min(e, piece.end) - piece.start)
            for s, e in blob.lost
            if s < piece.end and e > piece.start
        ]
        chain = f"{blob.provenance} -> {piece.kind}@{piece.start}"
        if piece.kind == "text":  # locations inside it read "L1:C1 base64 -> text L5:C3"
            chain = f"{blob.where} -> text@{piece.start}" if piece.start else blob.where
        seg_label = f"{label}@{piece.start}" if piece.start else label
        if piece.kind == "text":
            yield seg
            yield from _text(chunk, lost, chain, seg_label, blob.depth, ctx, inherited)
            continue
        yield from _segment(seg, chunk, lost, blob, chain, seg_label, ctx, inherited)


def _text(
    chunk: bytes,
    lost: list[tuple[int, int]],
    chain: str,
    label: str,
    depth: int,
    ctx: Context,
    inherited: tuple[Repair, ...],
) -> Stage:
    kept = classify.drop_lost(chunk, lost)
    text = classify.decode_text(kept)
    if ctx.repair:
        yield FileOut(f"{label}-text.txt", text.encode("utf-8"), "text", chain)
    if depth < MAX_DEPTH:
        task = TextTask.of(text, chain, f"{label}-", depth + 1)
        task.lost = _lost_points(kept, lost)
        task.inherited = inherited
        yield task
    else:
        yield Problem(chain, f"nesting deeper than {MAX_DEPTH}: not searched", "budget")


def _offered(kind: str, chunk: bytes) -> list[Handler]:
    return [h for h in BYTES_HANDLERS if h.name == kind or (h.magic and chunk.startswith(h.magic))]


def _segment(
    seg: Segment,
    chunk: bytes,
    lost: list[tuple[int, int]],
    blob: Blob,
    chain: str,
    label: str,
    ctx: Context,
    inherited: tuple[Repair, ...],
) -> Stage:
    if seg.kind == "padding":
        yield seg
        return
    for h in _offered(seg.kind, chunk):
        res = ctx.safe(chain, h.repair, chunk, lost)
        if isinstance(res, MusicResult):
            yield seg
            at = Locator(blob.provenance).bytes_from(seg.start)
            res = with_inherited_loss(res, inherited)
            yield PieceOut(res, h.name, label, chain, at, h.suffix)
            return
        if isinstance(res, Contents):
            yield seg
            yield from _contents(res, seg, chunk, blob, chain, label, inherited)
            return
        if h.name == seg.kind:  # the handler found this extent but cannot read it
            why = h.refused(chunk)
            if why:
                yield seg
                yield Problem(chain, why, "unread")
            else:
                yield replace(seg, kind="unknown", confidence=0.3)
            return
    yield seg
    if (len(chunk) >= BIN_MIN or seg.kind != "unknown") and not _is_input(blob):
        yield FileOut(f"{label}-{seg.kind}.bin", chunk, "binary", chain)


def _is_input(blob: Blob) -> bool:
    """The blob is the user's own binary file: its parts are not copied into the output."""
    return blob.parent is None and blob.span.encoding == "binary"


def _contents(
    res: Contents,
    seg: Segment,
    chunk: bytes,
    blob: Blob,
    chain: str,
    label: str,
    inherited: tuple[Repair, ...],
) -> Stage:
    for message in res.problems:
        yield Problem(chain, message)
    deep = blob.depth >= MAX_DEPTH
    if (res.keep or (deep and res.members)) and not _is_input(blob):
        yield FileOut(f"{label}-{seg.kind}.bin", chunk, "binary", chain)
    if deep:
        if res.members:
            why = f"nesting deeper than {MAX_DEPTH}: {seg.kind} members not searched"
            yield Problem(chain, why, "budget")
        return
    for step, short, data in res.members:
        yield PayloadTask(
            data,
            blob.span,
            f"{chain} {step}",
            f"{label}-{short}",
            blob.depth + 1,
            f"{chain} {step}",
            parent=blob.id,
            inherited=(*inherited, *res.lost),
        )


def _lost_points(kept: bytes, lost: list[tuple[int, int]]) -> dict[int, int]:
    """Where in the text (character offsets) bytes were lost, and how many: the next stage's
    handlers read around them, and a piece read across one has lost something."""
    points: dict[int, int] = {}
    removed = 0
    for s, e in sorted(lost):
        at = max(0, s - removed)  # the lost bytes' place in the kept bytes
        char = len(kept[:at].decode("utf-8", errors="replace"))
        points[char] = points.get(char, 0) + (e - s)
        removed += e - s
    return points
