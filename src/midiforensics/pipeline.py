"""locate -> decode -> classify/split -> repair -> write -> report.

A decoded payload that is text goes through the same steps again (bounded depth), so base64
of prose holding MusicXML, or base64 of base64, is found like anything at the top.
"""

from __future__ import annotations

import binascii
import hashlib
import io
import re
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from . import classify
from .formats.base import MusicResult
from .locate import (
    LineIndex,
    Run,
    drop_prefix,
    find_base64,
    find_bytes_literals,
    find_decimal_bytes,
    find_hex,
    glued_prefix,
    join_runs,
)
from .report.models import Artifact, Blob, Problem, Repair, Report, Segment, Span
from .write import Writer

if TYPE_CHECKING:
    from .batch import Window
    from .decoding.b64 import Decoded
    from .inputs.exports import Message

MAX_DEPTH = 4  # text inside a payload inside a payload ... at most this deep
MAX_DECODED = 256 * 1024 * 1024  # bytes decoded from one input, all blobs together
MAX_INFLATE = 64 * 1024 * 1024  # one gzip member
BIN_MIN = 64  # smaller unknown payloads are reported, not written
MAX_MEMBERS = 1000  # files read from one zip
MAX_JOIN_GAP = 4000  # characters of prose between two blocks of one split blob
_STARTS = (b"MThd", b"MTrk", b"PK\x03\x04", b"\x1f\x8b", b"<?xml", b"RIFF", b"\x89PNG")
_ENC_LABEL = {"base64": "b64", "hex": "hex", "bytes-literal": "bytes", "decimal": "dec"}
BINARY_MAGIC = (b"MThd", b"MTrk", b"RIFF", b"PK\x03\x04", b"\x1f\x8b", b"\x89PNG")


@dataclass
class _Text:
    """A text being searched: the input itself, or a decoded payload."""

    text: str
    index: LineIndex
    chain: str  # how we got here; "" for the input
    label: str  # file-name prefix for what is found in it
    depth: int
    line0: int = 0  # lines of the input before this text (a window of a large file)
    base: int = 0  # characters of the input before this text

    def linecol(self, offset: int) -> tuple[int, int]:
        line, col = self.index.linecol(offset)
        return line + self.line0, col

    def where(self, offset: int) -> str:
        line, col = self.linecol(offset)
        return f"{self.chain} -> text L{line}:C{col}" if self.chain else f"L{line}:C{col}"


class _Run:
    def __init__(self, out_dir: str | None, repair: bool = True) -> None:
        self.repair = repair
        self.writer = Writer(out_dir) if out_dir else None
        self.spans: list[Span] = []
        self.blobs: list[Blob] = []
        self.segments: list[Segment] = []
        self.artifacts: list[Artifact] = []
        self.problems: list[Problem] = []
        self.seen: dict[bytes, str] = {}
        self.piece = 0
        self.decoded = 0
        self._decoded_runs: dict[str, Decoded] = {}

    def _decode(self, payload: str) -> Decoded:
        """decode_base64, once per payload (stitching asks about the same runs again)."""
        from .decoding.b64 import decode_base64

        got = self._decoded_runs.get(payload)
        if got is None:
            got = self._decoded_runs[payload] = decode_base64(payload)
        return got

    # --- writing -----------------------------------------------------------------------

    def _write(self, name: str, data: bytes) -> str:
        if self.writer is None:
            return ""
        return str(self.writer.write(name, data))

    def music(
        self, res: MusicResult, kind: str, label: str, chain: str, where: Callable[[int], str]
    ) -> None:
        """Write one repaired piece (.mid, and .musicxml / .abc for scores)."""
        repairs = tuple(replace(r, where=r.where or where(r.offset or 0)) for r in res.repairs)
        if res.notes <= 0:
            what = "a score fragment" if res.musicxml is not None else "a MIDI file"
            self.problems.append(Problem(chain, f"{kind}: {what} with no notes in it"))
        self.piece += 1
        base = f"{self.piece:02d}-{label}-{kind}"
        source = f"{chain} -> {kind}" + (f" ({len(repairs)} repairs)" if repairs else "")
        common: dict[str, Any] = {
            "notes": res.notes,
            "tracks": res.tracks,
            "seconds": round(res.seconds, 3),
            "tempo_bpm": res.tempo_bpm,
            "verdict": res.verdict,
            "confidence": round(res.confidence, 3),
            "piece": self.piece,
            "as_found": res.as_found,
        }
        if res.musicxml is not None:
            path = self._write(base + ".musicxml", res.musicxml.encode("utf-8"))
            self.artifacts.append(
                Artifact(path=path, kind="musicxml", source=source, repairs=repairs, **common)
            )
        if kind == "abc" and res.source_text:
            path = self._write(base + ".abc", res.source_text.encode("utf-8"))
            self.artifacts.append(Artifact(path=path, kind="abc", source=source, **common))
        if res.notes > 0 or res.musicxml is None:  # a note-less MIDI file is kept as it was
            path = self._write(base + ".mid", res.midi)
            self.artifacts.append(
                Artifact(
                    path=path,
                    kind="midi",
                    source=source,
                    repairs=() if res.musicxml is not None else repairs,
                    **common,
                )
            )

    def other(self, name: str, data: bytes, kind: str, source: str) -> None:
        path = self._write(name, data)
        self.artifacts.append(Artifact(path=path, kind=kind, source=source))

    # --- text --------------------------------------------------------------------------

    def text(self, ctx: _Text) -> None:
        from .formats.abc.tune import find_abc, repair_abc
        from .formats.musicxml.score import find_musicxml, repair_musicxml

        taken: list[tuple[int, int]] = []
        scores: list[tuple[int, int, MusicResult]] = []
        for s, e in self._safe(ctx.where(0), find_musicxml, ctx.text) or []:
            if "`" in ctx.text[s:e]:
                continue  # tags quoted inline in Markdown prose (a tutorial), not a score
            self.spans.append(self._span(ctx, s, e, "musicxml"))
            taken.append((s, e))
            if not self.repair:
                continue
            res = self._safe(ctx.where(s), repair_musicxml, ctx.text[s:e])
            if res is not None:
                scores.append((s, ctx.linecol(s)[0], res))
        for s, line, res in _tempo_from_fragments(scores, ctx):
            self.music(res, "musicxml", f"{ctx.label}xml-L{line}", ctx.where(s), _shift(ctx, s))
        for (s, e), tune in self._safe(ctx.where(0), find_abc, ctx.text) or []:
            if _overlaps(s, e, taken):
                continue
            line = ctx.linecol(s)[0]
            self.spans.append(self._span(ctx, s, e, "abc"))
            taken.append((s, e))
            if not self.repair:
                continue
            res = self._safe(ctx.where(s), repair_abc, tune)
            if res is not None:
                self.music(res, "abc", f"{ctx.label}abc-L{line}", ctx.where(s), _shift(ctx, s))
        runs = find_hex(ctx.text) + find_bytes_literals(ctx.text) + find_decimal_bytes(ctx.text)
        runs += self._stitch(ctx.text, find_base64(ctx.text))
        last_end = 0
        for run in sorted(runs, key=lambda r: (r.start, -(r.end - r.start))):
            if run.start < last_end or _overlaps(run.start, run.end, taken):
                continue  # runs come sorted: one overlaps an earlier run iff it starts before its end
            last_end = run.end
            self.encoded(ctx, run)

    def _stitch(self, text: str, runs: list[Run]) -> list[Run]:
        """Join base64 blobs split over several blocks ("continued in the next block")."""
        if len(runs) < 2 or not self.repair:
            return runs
        decode_base64 = self._decode
        out = [runs[0]]
        for b in runs[1:]:
            a = out[-1]
            if (
                b.start - a.end <= MAX_JOIN_GAP
                and not a.payload.endswith("=")
                and _wants_more(decode_base64(a.payload).data, len(a.payload))
                and not decode_base64(b.payload).data.startswith(_STARTS)
            ):
                joined = join_runs(a, b)
                alone = len(decode_base64(a.payload).repairs) + len(
                    decode_base64(b.payload).repairs
                )
                if len(decode_base64(joined.payload).repairs) <= alone:
                    out[-1] = joined
                    continue
            out.append(b)
        return out

    def _span(self, ctx: _Text, s: int, e: int, encoding: str, truncated: bool = False) -> Span:
        line, col = ctx.linecol(s)
        return Span(
            ctx.base + s, ctx.base + e, line, col, encoding, truncated=truncated, origin=ctx.chain
        )

    def encoded(self, ctx: _Text, run: Run) -> None:
        glued = glued_prefix(run)
        glue_repair = None
        if glued:
            glue_repair = Repair(
                stage="locate",
                kind="glued-prefix",
                reason="a word was glued before the blob's known beginning: left out",
                offset=run.start,
                before=run.payload[:glued],
                where=ctx.where(run.start),
                confidence=0.9,
            )
            run = drop_prefix(run, glued)
        span = self._span(ctx, run.start, run.end, run.encoding, run.truncated)
        self.spans.append(span)
        where = ctx.where(run.start)
        repairs: list[Repair] = []
        lost: tuple[tuple[int, int], ...] = ()
        quick = None if self.repair else _strict_base64(run)
        if quick is not None:  # a scan classifies; it need not look for hidden frame shifts
            data = quick
        elif run.encoding == "base64":
            dec = self._safe(where, self._decode, run.payload)
            if dec is None:
                return
            data = dec.data
            lost = tuple(dec.lost)
            repairs = [
                replace(r, where=ctx.where(run.text_offset(r.offset or 0))) for r in dec.repairs
            ]
        else:
            data = run.data or b""
        if glue_repair is not None:
            repairs.insert(0, glue_repair)
        for join in run.joins:
            repairs.append(
                Repair(
                    stage="locate",
                    kind="stitched",
                    reason="the blob stops mid-piece and the next block continues it: joined",
                    offset=join,
                    where=ctx.where(join),
                    confidence=0.8,
                )
            )
        if run.truncated:
            repairs.append(
                Repair(
                    stage="locate",
                    kind="truncated",
                    reason="the run ends with an ellipsis: the rest was cut off; decoded what is there",
                    offset=run.end,
                    where=ctx.where(run.end),
                    confidence=0.9,
                )
            )
        if not data:
            return
        digest = hashlib.sha256(data).digest()
        if digest in self.seen:
            self.problems.append(
                Problem(where, f"same payload as {self.seen[digest]}: not written again")
            )
            return
        if self.decoded + len(data) > MAX_DECODED:
            self.problems.append(Problem(where, "decoded-size budget exhausted: payload skipped"))
            return
        self.decoded += len(data)
        blob_id = f"B{len(self.blobs) + 1}"
        self.seen[digest] = blob_id
        label = f"{ctx.label}{_ENC_LABEL.get(run.encoding, run.encoding)}-L{span.line}"
        if span.col > 1:
            label += f"C{span.col}"
        chain = f"{where} {run.encoding}"
        if repairs:
            chain += f" ({len(repairs)} decode repairs)"
        blob = Blob(
            id=blob_id,
            span=span,
            data=data,
            repairs=tuple(repairs),
            lost=lost,
            depth=ctx.depth,
            provenance=chain,
        )
        self.blob(blob, label, ctx.depth)

    # --- payloads ----------------------------------------------------------------------

    def blob(self, blob: Blob, label: str, depth: int) -> None:
        self.blobs.append(blob)
        data = blob.data
        for piece in classify.split(data, blob.lost):
            seg = Segment(blob.id, piece.start, piece.end, piece.kind, piece.confidence, piece.note)
            self.segments.append(seg)
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
            self._segment(piece.kind, chunk, lost, blob, chain, seg_label, depth, piece.start)

    def _segment(
        self,
        kind: str,
        chunk: bytes,
        lost: list[tuple[int, int]],
        blob: Blob,
        chain: str,
        label: str,
        depth: int,
        start: int,
    ) -> None:
        def at_byte(off: int) -> str:
            return f"{blob.provenance} -> byte {start + off}"

        if not self.repair and kind != "text":
            return  # scan: find and classify only

        if kind == "midi":
            from .formats.midi.carve import repair_midi

            res = self._safe(chain, repair_midi, chunk, lost)
            if res is not None:
                self.music(res, "midi", label, chain, at_byte)
            elif b"MThd" not in chunk:  # a stray "MTrk" in other data, nothing after it
                seg = self.segments[-1]
                self.segments[-1] = replace(seg, kind="unknown", confidence=0.3)
            else:
                self.problems.append(
                    Problem(chain, "MIDI chunks found, but no track with events: nothing to play")
                )
        elif kind == "text":
            kept = classify.drop_lost(chunk, lost)
            text = kept.decode("utf-8", errors="replace")
            if self.repair:
                self.other(f"{label}-text.txt", text.encode("utf-8"), "text", chain)
            if depth < MAX_DEPTH:
                self.text(_Text(text, LineIndex(text), chain, f"{label}-", depth + 1))
            else:
                self.problems.append(
                    Problem(chain, f"nesting deeper than {MAX_DEPTH}: not searched")
                )
        elif kind == "zip":
            from .formats.mxl import read_mxl

            res = self._safe(chain, read_mxl, chunk)
            if res is not None:
                self.music(res, "mxl", label, chain, at_byte)
            else:
                self.other(f"{label}-zip.bin", chunk, "binary", chain)
                if depth < MAX_DEPTH:
                    for k, member in enumerate(self._unzip(chunk, chain), 1):
                        self._child(blob, member, f"{chain} member {k}", f"{label}-z{k}", depth)
        elif kind == "gzip":
            inner = self._inflate(chunk, chain)
            if inner is not None and depth < MAX_DEPTH:
                self._child(blob, inner, f"{chain} gunzip", f"{label}-gz", depth)
        elif kind in ("padding",):
            return
        elif len(chunk) >= BIN_MIN or kind != "unknown":
            self.other(f"{label}-{kind}.bin", chunk, "binary", chain)

    def _child(self, parent: Blob, data: bytes, provenance: str, label: str, depth: int) -> None:
        """A payload found inside another (a gzip member, a file in a zip)."""
        digest = hashlib.sha256(data).digest()
        if digest in self.seen or not data:
            return
        if self.decoded + len(data) > MAX_DECODED:
            self.problems.append(Problem(provenance, "decoded-size budget exhausted: skipped"))
            return
        self.decoded += len(data)
        blob_id = f"B{len(self.blobs) + 1}"
        self.seen[digest] = blob_id
        child = Blob(
            id=blob_id,
            span=parent.span,
            data=data,
            depth=depth + 1,
            parent=parent.id,
            provenance=provenance,
        )
        self.blob(child, label, depth + 1)

    def _unzip(self, chunk: bytes, where: str) -> list[bytes]:
        """Members of a zip that is not a score, read in memory with bounded sizes."""
        import zipfile

        out: list[bytes] = []
        try:
            with zipfile.ZipFile(io.BytesIO(chunk)) as zf:
                for info in zf.infolist()[:MAX_MEMBERS]:
                    if info.is_dir():
                        continue
                    if info.file_size > MAX_INFLATE or info.file_size > 200 * max(
                        info.compress_size, 1
                    ):
                        self.problems.append(
                            Problem(where, "a zip member expands too far: refused (zip bomb?)")
                        )
                        continue
                    with zf.open(info) as fh:
                        data = fh.read(MAX_INFLATE + 1)
                    if len(data) <= MAX_INFLATE:
                        out.append(data)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
            self.problems.append(Problem(where, f"zip could not be read: {exc}"))
        return out

    def _inflate(self, chunk: bytes, where: str) -> bytes | None:
        try:
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            out = d.decompress(chunk, MAX_INFLATE)
            if d.unconsumed_tail:
                self.problems.append(
                    Problem(
                        where,
                        f"gzip expands past {MAX_INFLATE >> 20} MB: refused (decompression bomb?)",
                    )
                )
                return None
            return out
        except zlib.error as exc:
            self.problems.append(Problem(where, f"gzip data is damaged: {exc}"))
            return None

    def _safe(self, where: str, fn: Callable[..., Any], *args: Any) -> Any:
        """Run a handler; an exception becomes a problem in the report, and the scan goes on."""
        try:
            return fn(*args)
        except Exception as exc:  # noqa: BLE001 - a handler's failure must not end the run
            name = getattr(fn, "__name__", "handler")
            self.problems.append(Problem(where, f"{name} failed: {type(exc).__name__}: {exc}"))
            return None


_HTML_PAGE = re.compile(r"<(?:!doctype html|html|body|pre|div|p)\b", re.IGNORECASE)


def _message_groups(messages: list[Message]) -> list[list[Message]]:
    """Messages in order, with a message that continues a blob cut off in an earlier one
    ("part 1 of 2" ... "continue" ... "part 2") put in that message's group, to be searched
    as one text. Messages without base64 in between (the user's "continue") stay apart."""
    from .decoding.b64 import decode_base64

    groups: list[list[Message]] = []
    tail: int | None = None  # the group whose last base64 run wants more
    for m in messages:
        runs = find_base64(m.text)
        if not runs:
            groups.append([m])
            continue
        if tail is not None and not decode_base64(runs[0].payload).data.startswith(_STARTS):
            groups[tail].append(m)
        else:
            groups.append([m])
            tail = len(groups) - 1
        if not _wanting(runs[-1]):
            tail = None
    return groups


def _wanting(run: Run) -> bool:
    from .decoding.b64 import decode_base64

    if run.payload.endswith("="):
        return False
    return _wants_more(decode_base64(run.payload).data, len(run.payload))


def _tempo_from_fragments(
    scores: list[tuple[int, int, MusicResult]], ctx: _Text
) -> list[tuple[int, int, MusicResult]]:
    """A score with no tempo, followed in the same text by a fragment that only sets one
    ("to set the tempo, add this <attributes> block"), gets that tempo: the text asks for it."""
    out = list(scores)
    for i, (s, line, res) in enumerate(out):
        if res.verdict == "fragment" or res.tempo_bpm is not None or res.notes <= 0:
            continue
        later = [f for f in out[i + 1 :] if f[2].verdict == "fragment" and f[2].tempo_bpm]
        if not later:
            continue
        fs, _fl, frag = later[0]
        bpm = float(frag.tempo_bpm or 0)
        midi = _with_tempo(res.midi, bpm)
        if midi is None:
            continue
        from .formats.midi.carve import midi_summary

        seconds = midi_summary(midi)[2]
        fix = Repair(
            stage="musicxml",
            kind="tempo-from-fragment",
            reason=f"the score sets no tempo; the fragment after it sets {bpm:g} bpm: applied",
            offset=fs - s,
            after=f"{bpm:g} bpm",
            where=ctx.where(fs),
            confidence=0.8,
        )
        out[i] = (
            s,
            line,
            replace(
                res,
                midi=midi,
                tempo_bpm=bpm,
                seconds=seconds,
                repairs=(*res.repairs, fix),
                musicxml=_xml_with_tempo(res.musicxml, bpm),
                verdict="repaired" if res.verdict == "intact" else res.verdict,
            ),
        )
    return out


def _with_tempo(smf: bytes, bpm: float) -> bytes | None:
    """``smf`` with its (default) tempo set to ``bpm`` at the start; None if it cannot be read."""
    import mido

    try:
        mf = mido.MidiFile(file=io.BytesIO(smf))
        tempo = mido.bpm2tempo(bpm)
        for track in mf.tracks:
            for i, msg in enumerate(track):
                if msg.type == "set_tempo":
                    track[i] = msg.copy(tempo=tempo)
        if not any(m.type == "set_tempo" for t in mf.tracks for m in t):
            mf.tracks[0].insert(0, mido.MetaMessage("set_tempo", tempo=tempo, time=0))
        buf = io.BytesIO()
        mf.save(file=buf)
        return buf.getvalue()
    except (OSError, EOFError, ValueError, KeyError, IndexError):
        return None


_FIRST_MEASURE = re.compile(r"<measure\b[^>]*>")


def _xml_with_tempo(xml: str | None, bpm: float) -> str | None:
    if xml is None:
        return None
    m = _FIRST_MEASURE.search(xml)
    if m is None:
        return xml
    sound = f'<direction placement="above"><sound tempo="{bpm:g}"/></direction>'
    return xml[: m.end()] + sound + xml[m.end() :]


def _strict_base64(run: Run) -> bytes | None:
    if run.encoding != "base64" or len(run.payload) % 4:
        return None
    try:
        return binascii.a2b_base64(run.payload, strict_mode=True)
    except binascii.Error:
        return None


def _wants_more(data: bytes, n_chars: int) -> bool:
    """True when a decoded blob stops in the middle of something: a MIDI chunk that declares
    more bytes than are there, a score with no end tag, or base64 cut mid-frame."""
    if n_chars % 4:
        return True
    pos = data.find(b"MThd")
    if pos != -1:
        declared = int.from_bytes(data[pos + 10 : pos + 12], "big")
        pos += 14
        tracks = 0
        while pos + 8 <= len(data):
            length = int.from_bytes(data[pos + 4 : pos + 8], "big")
            if pos + 8 + length > len(data):
                return True
            pos += 8 + length
            tracks += 1
        return pos > len(data) or tracks < declared
    head = data[:4096]
    for tag in (b"<score-partwise", b"<score-timewise"):
        if tag in head and b"</" + tag[1:] not in data:
            return True
    return False


def _overlaps(s: int, e: int, taken: list[tuple[int, int]]) -> bool:
    return any(s < te and e > ts for ts, te in taken)


def _shift(ctx: _Text, base: int) -> Callable[[int], str]:
    return lambda off: ctx.where(base + off)


def read_input(data: str | bytes) -> tuple[str | None, bytes | None, list[str]]:
    """(text, None, notes) for text input; (None, bytes, notes) for binary input."""
    notes: list[str] = []
    if isinstance(data, str):
        return data, None, notes
    head = data[:8192]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), None, ["input read as UTF-16"]
        except UnicodeDecodeError:
            pass
    if head.startswith(BINARY_MAGIC) or b"\x00" in head:
        return None, data, notes
    if head.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), None, notes
    except UnicodeDecodeError:
        notes.append("input is not valid UTF-8: undecodable bytes were replaced for the search")
        return data.decode("utf-8", errors="replace"), None, notes


def run(
    data: str | bytes, out_dir: str | None = None, name: str = "<input>", repair: bool = True
) -> Report:
    """The whole pipeline on one input. ``repair=False`` finds and classifies only (``mf scan``).

    A chat export (ChatGPT ``conversations.json``, JSON Lines, Markdown or HTML chats) is
    searched message by message, so every find says which conversation and message it is in.
    """
    from .inputs.exports import split_export

    state = _Run(out_dir, repair)
    text, binary, notes = read_input(data)
    for note in notes:
        state.problems.append(Problem(name, note))
    if binary is not None:
        span = Span(0, len(binary), 1, 1, "binary")
        state.spans.append(span)
        state.decoded = len(binary)
        blob = Blob(id="B1", span=span, data=binary, provenance=f"{name} (binary)")
        state.seen[hashlib.sha256(binary).digest()] = "B1"
        state.blob(blob, "bin", 0)
    elif text is not None:
        messages = state._safe(name, split_export, text)
        if messages:
            for group in _message_groups(messages):
                m = group[0]
                body = "\n\n".join(g.text for g in group)
                origin = (
                    m.origin if len(group) == 1 else f"{m.origin} (+{len(group) - 1} continued)"
                )
                line0 = m.line - 1 if m.line > 0 else 0  # lines stay the export's own
                state.text(_Text(body, LineIndex(body), origin, f"{m.label}-", 0, line0))
        else:
            if _HTML_PAGE.search(text[:4096]) and "&" in text:
                import html

                text = html.unescape(text)  # one character per entity: lines stay where they were
                state.problems.append(
                    Problem(
                        name, "HTML page: entities decoded before the search (columns may shift)"
                    )
                )
            state.text(_Text(text, LineIndex(text), "", "", 0))
    return _finish(state, name, len(data))


def run_windows(
    windows: Iterable[Window],
    out_dir: str | None = None,
    name: str = "<input>",
    repair: bool = True,
    size: int = 0,
) -> Report:
    """The pipeline over a large text read in windows (see :func:`batch.iter_windows`); one
    report, with lines and offsets counted in the whole input."""
    state = _Run(out_dir, repair)
    for w in windows:
        state.text(_Text(w.text, LineIndex(w.text), "", "", 0, w.first_line - 1, w.char_offset))
    return _finish(state, name, size)


def _finish(state: _Run, name: str, size: int) -> Report:
    report = Report(
        input=name,
        size=size,
        spans=tuple(state.spans),
        blobs=tuple(state.blobs),
        segments=tuple(state.segments),
        artifacts=tuple(state.artifacts),
        problems=tuple(state.problems),
        out_dir=str(state.writer.root) if state.writer else None,
    )
    report = replace(report, verdict=verdict(report) if state.repair else scan_verdict(report))
    if state.writer is not None and (report.artifacts or report.spans):
        from .report.json import to_json

        state.writer.write("report.json", to_json(report).encode("utf-8"))
    return report


def scan_verdict(report: Report) -> str:
    """The verdict of a scan: what was found, nothing repaired."""
    kinds: dict[str, int] = {}
    for seg in report.segments:
        if seg.kind in ("midi", "zip"):
            kinds[seg.kind] = kinds.get(seg.kind, 0) + 1
    for span in report.spans:
        if span.encoding in ("musicxml", "abc"):
            kinds[span.encoding] = kinds.get(span.encoding, 0) + 1
    if not kinds:
        return "encoded data found, but no music in it" if report.blobs else "nothing musical found"
    found = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    return f"found {found} (scan only: run mf decode to repair and write)"


def verdict(report: Report) -> str:
    pieces = report.pieces
    if pieces:
        repaired = sum(
            1 for a in report.artifacts if a.kind == "midi" and a.verdict not in ("intact", "")
        )
        msg = f"{pieces} playable piece{'s' if pieces != 1 else ''} recovered"
        if repaired:
            msg += f" ({repaired} repaired)"
        return msg
    if any(a.kind in ("musicxml", "midi") for a in report.artifacts):
        return "music found, but nothing playable (fragments or note-less files only)"
    if report.music_found:
        return "music data found, but nothing in it could be played (see problems)"
    if report.blobs:
        return "encoded data found, but no music in it"
    return "nothing musical found"


__all__ = ["read_input", "run", "verdict"]
