"""Containers: a zip that is not a score, and gzip. Their members are searched again.

Nothing is extracted to disk; members are read in memory with bounded sizes and ratios
(zip and gzip bombs are refused with a problem), and member names are never used as paths.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from io import BytesIO
from typing import ClassVar

from ..report.models import Repair
from .base import Contents, Handler, Lost

MAX_INFLATE = 64 * 1024 * 1024  # one member, inflated
MAX_RATIO = 200  # inflated / compressed, for one zip member
MAX_MEMBERS = 1000  # files read from one zip
ZIP_MAGIC = b"PK\x03\x04"  # a local file header


class ZipHandler(Handler):
    name: ClassVar[str] = "zip"
    reads: ClassVar[str] = "bytes"
    magic: ClassVar[tuple[bytes, ...]] = (ZIP_MAGIC,)
    container: ClassVar[bool] = True

    def repair(self, data: str | bytes, lost: Lost) -> Contents | None:
        if not isinstance(data, bytes):
            return None
        members, notes = zip_members(data)
        named = tuple((f"member {k}", f"z{k}", m) for k, m in enumerate(members.values(), 1))
        problems = tuple(r.reason for r in notes)
        if not members:
            problems += ("zip could not be read: no member within bounds",)
        cut = tuple(r for r in notes if r.loss)
        return Contents(members=named, problems=problems, keep=True, lost=cut)


class GzipHandler(Handler):
    name: ClassVar[str] = "gzip"
    reads: ClassVar[str] = "bytes"
    magic: ClassVar[tuple[bytes, ...]] = (b"\x1f\x8b",)
    container: ClassVar[bool] = True

    def repair(self, data: str | bytes, lost: Lost) -> Contents | None:
        if not isinstance(data, bytes):
            return None
        inner, problem = gunzip(data)
        if inner is None:
            return Contents(problems=(problem,))
        if not problem:
            return Contents(members=(("gunzip", "gz", inner),))
        cut = Repair(stage="gzip", kind="truncated", reason=problem, offset=len(data), loss="lost")
        return Contents(members=(("gunzip", "gz", inner),), problems=(problem,), lost=(cut,))


def zip_members(data: bytes) -> tuple[dict[str, bytes], list[Repair]]:
    """The one zip reader: members (name -> bytes) read in memory, each within
    ``MAX_INFLATE`` bytes and ``MAX_RATIO`` times its compressed size (bigger ones are bombs and
    are left out), names never used as paths; a zip whose central directory is cut off is read
    from its local headers, and the repairs say so."""
    notes: list[Repair] = []
    members = _by_directory(data) or _by_local_headers(data, notes)
    return members, notes


def _by_directory(data: bytes) -> dict[str, bytes]:
    try:
        zf = zipfile.ZipFile(BytesIO(data))
        infos = zf.infolist()[:MAX_MEMBERS]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, struct.error):
        return {}
    out: dict[str, bytes] = {}
    for info in infos:
        if info.is_dir():
            continue
        if info.file_size > MAX_INFLATE or info.file_size > MAX_RATIO * max(info.compress_size, 1):
            continue
        try:
            with zf.open(info) as fh:
                body = fh.read(MAX_INFLATE + 1)
        except (
            zipfile.BadZipFile,
            OSError,
            ValueError,
            EOFError,
            NotImplementedError,
            RuntimeError,
            zlib.error,
        ):
            continue
        if len(body) <= MAX_INFLATE:
            out[info.filename] = body
    return out


def _by_local_headers(data: bytes, notes: list[Repair]) -> dict[str, bytes]:
    """Read members from local headers alone (the central directory is missing)."""
    out: dict[str, bytes] = {}
    pos = data.find(ZIP_MAGIC)
    while pos >= 0 and len(out) < MAX_MEMBERS and pos + 30 <= len(data):
        (_, _, flags, method, _, _, _, csize, _, nlen, xlen) = struct.unpack_from(
            "<IHHHHHIIIHH", data, pos
        )
        name = data[pos + 30 : pos + 30 + nlen].decode("utf-8", "replace")
        start = pos + 30 + nlen + xlen
        nxt = data.find(ZIP_MAGIC, start)
        end = start + csize if csize and not flags & 8 else (nxt if nxt >= 0 else len(data))
        raw = data[start:end]
        if method == 0:
            body = raw[:MAX_INFLATE]
        elif method == 8:
            d = zlib.decompressobj(-15)
            try:
                body = d.decompress(raw, MAX_INFLATE + 1)
            except zlib.error:
                body = b""
            if len(body) > MAX_RATIO * max(len(raw), 1):
                body = b""
        else:
            body = b""
        if body and len(body) <= MAX_INFLATE:
            out[name] = body
            if end > len(data) or (method == 8 and not d.eof):
                notes.append(
                    Repair(
                        stage="zip",
                        kind="truncated",
                        reason=f"zip cut short: {name} read as far as it goes",
                        offset=pos,
                        confidence=0.7,
                        loss="lost",
                    )
                )
        pos = nxt
    if out:
        notes.insert(
            0,
            Repair(
                stage="zip",
                kind="zip-directory",
                reason="zip has no readable central directory: members read from local headers",
                offset=0,
                confidence=0.8,
            ),
        )
    return out


def gunzip(data: bytes) -> tuple[bytes | None, str]:
    """The inflated gzip member, or None, and what went wrong: damaged, a decompression bomb
    (None), or cut off (the data read as far as it goes, and a message)."""
    try:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out = d.decompress(data, MAX_INFLATE)
    except zlib.error as exc:
        return None, f"gzip data is damaged: {exc}"
    if d.unconsumed_tail:
        return None, f"gzip expands past {MAX_INFLATE >> 20} MB: refused (decompression bomb?)"
    if not d.eof:
        return out, "gzip data ends early (cut off?): read as far as it goes"
    return out, ""
