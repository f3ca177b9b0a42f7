"""Containers: a zip that is not a score, and gzip. Their members are searched again.

Nothing is extracted to disk; members are read in memory with bounded sizes and ratios
(zip and gzip bombs are refused with a problem), and member names are never used as paths.
"""

from __future__ import annotations

import io
import zlib
from typing import ClassVar

from .base import Contents, Handler, Lost

MAX_INFLATE = 64 * 1024 * 1024  # one member, inflated
MAX_RATIO = 200  # inflated / compressed, for one zip member
MAX_MEMBERS = 1000  # files read from one zip


class ZipHandler(Handler):
    name: ClassVar[str] = "zip"
    reads: ClassVar[str] = "bytes"
    magic: ClassVar[tuple[bytes, ...]] = (b"PK\x03\x04",)
    container: ClassVar[bool] = True

    def repair(self, data: str | bytes, lost: Lost) -> Contents | None:
        if not isinstance(data, bytes):
            return None
        members, problems = unzip(data)
        named = tuple((f"member {k}", f"z{k}", m) for k, m in enumerate(members, 1))
        return Contents(members=named, problems=tuple(problems), keep=True)


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
        return Contents(members=(("gunzip", "gz", inner),))


def unzip(data: bytes) -> tuple[list[bytes], list[str]]:
    """The members of a zip, read in memory with bounded sizes, and what could not be read."""
    import zipfile

    out: list[bytes] = []
    problems: list[str] = []
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for info in zf.infolist()[:MAX_MEMBERS]:
                if info.is_dir():
                    continue
                if info.file_size > MAX_INFLATE or info.file_size > MAX_RATIO * max(
                    info.compress_size, 1
                ):
                    problems.append("a zip member expands too far: refused (zip bomb?)")
                    continue
                with zf.open(info) as fh:
                    body = fh.read(MAX_INFLATE + 1)
                if len(body) <= MAX_INFLATE:
                    out.append(body)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        problems.append(f"zip could not be read: {exc}")
    return out, problems


def gunzip(data: bytes) -> tuple[bytes | None, str]:
    """The inflated gzip member, or None and why not (damaged, or a decompression bomb)."""
    try:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out = d.decompress(data, MAX_INFLATE)
    except zlib.error as exc:
        return None, f"gzip data is damaged: {exc}"
    if d.unconsumed_tail:
        return None, f"gzip expands past {MAX_INFLATE >> 20} MB: refused (decompression bomb?)"
    return out, ""
