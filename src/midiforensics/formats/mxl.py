"""MXL (zipped MusicXML): find the root score in the zip, read it within bounds, repair it.

Nothing is extracted to disk. A member is read only while its size stays under
``MAX_MEMBER`` and its compression ratio under ``MAX_RATIO`` (zip bombs); names are only
compared, never used as paths. A zip whose central directory was cut off (a truncated paste) is
read by walking its local file headers.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from dataclasses import replace
from io import BytesIO
from typing import ClassVar

from ..report.models import Repair
from .base import VERDICTS, Handler, Lost, MusicResult, verdict_for

MAX_MEMBER = 50_000_000  # bytes of uncompressed member
MAX_RATIO = 200  # uncompressed / compressed
MAX_MEMBERS = 1000
_LOCAL = b"PK\x03\x04"
_ENC_RE = re.compile(rb"""^<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9_.:-]+)["']""")


def read_mxl(data: bytes) -> MusicResult | None:
    """The repaired root score of an MXL zip; None when it holds no MusicXML."""
    if not isinstance(data, bytes | bytearray) or not data.startswith(_LOCAL):
        return None
    notes: list[Repair] = []
    members = _members_zipfile(bytes(data)) or _members_walk(bytes(data), notes)
    if not members:
        return None
    name = _root_name(members) or _first_score(members)
    if name is None:
        return None
    text = _decode(members[name])
    if text is None:
        return None
    from .musicxml.score import repair_musicxml  # only when a zip holds a score

    result = repair_musicxml(text)
    if result is None:
        return None
    tagged = tuple(replace(r, reason=f"{r.reason} [in {name}]") for r in result.repairs)
    repairs = tuple(notes) + tagged
    verdict = result.verdict
    if verdict != "fragment" and notes:
        verdict = max(verdict, verdict_for(repairs), key=VERDICTS.index)
    return replace(result, repairs=repairs, verdict=verdict)


def _members_zipfile(data: bytes) -> dict[str, bytes]:
    try:
        zf = zipfile.ZipFile(BytesIO(data))
        infos = zf.infolist()[:MAX_MEMBERS]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, struct.error):
        return {}
    out: dict[str, bytes] = {}
    for info in infos:
        if info.is_dir() or not _wanted(info.filename):
            continue
        if info.file_size > MAX_MEMBER or info.file_size > MAX_RATIO * max(info.compress_size, 1):
            continue
        try:
            with zf.open(info) as fh:
                body = fh.read(MAX_MEMBER + 1)
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
        if len(body) <= MAX_MEMBER:
            out[info.filename] = body
    return out


def _members_walk(data: bytes, notes: list[Repair]) -> dict[str, bytes]:
    """Read members from local headers alone (the central directory is missing)."""
    out: dict[str, bytes] = {}
    pos = data.find(_LOCAL)
    while pos >= 0 and len(out) < MAX_MEMBERS and pos + 30 <= len(data):
        (_, _, flags, method, _, _, _, csize, _, nlen, xlen) = struct.unpack_from(
            "<IHHHHHIIIHH", data, pos
        )
        name = data[pos + 30 : pos + 30 + nlen].decode("utf-8", "replace")
        start = pos + 30 + nlen + xlen
        nxt = data.find(_LOCAL, start)
        end = start + csize if csize and not flags & 8 else (nxt if nxt >= 0 else len(data))
        raw = data[start:end]
        if method == 0:
            body = raw[:MAX_MEMBER]
        elif method == 8:
            d = zlib.decompressobj(-15)
            try:
                body = d.decompress(raw, MAX_MEMBER + 1)
            except zlib.error:
                body = b""
            if len(body) > MAX_RATIO * max(len(raw), 1):
                body = b""
        else:
            body = b""
        if body and _wanted(name) and len(body) <= MAX_MEMBER:
            out[name] = body
            if end > len(data) or (method == 8 and not d.eof):
                notes.append(
                    Repair(
                        stage="mxl",
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
                stage="mxl",
                kind="zip-directory",
                reason="zip has no readable central directory: members read from local headers",
                offset=0,
                confidence=0.8,
            ),
        )
    return out


def _wanted(name: str) -> bool:
    n = name.replace("\\", "/")
    return not n.startswith("/") and ".." not in n.split("/") and len(n) < 1024


def _root_name(members: dict[str, bytes]) -> str | None:
    container = members.get("META-INF/container.xml")
    if container is None:
        return None
    text = _decode(container)
    if text is None:
        return None
    from .xmlsafe import parse

    for node in parse(text).root.iter():
        if node.name == "rootfile":
            path = node.attrs.get("full-path", "")
            if path in members and not path.lower().endswith((".png", ".pdf", ".jpg", ".mid")):
                return path
    return None


def _first_score(members: dict[str, bytes]) -> str | None:
    for name, body in members.items():
        if name.startswith("META-INF/") or not name.lower().endswith((".xml", ".musicxml")):
            continue
        head = _decode(body[:8192]) or ""
        if "score-partwise" in head or "score-timewise" in head:
            return name
    return None


def _decode(body: bytes) -> str | None:
    if body.startswith((b"\xff\xfe", b"\xfe\xff")):
        return body.decode("utf-16", "replace")
    if body.startswith(b"\xef\xbb\xbf"):
        return body[3:].decode("utf-8", "replace")
    m = _ENC_RE.match(body[:200])
    enc = m.group(1).decode("ascii").lower() if m else "utf-8"
    try:
        return body.decode(enc if enc not in ("utf-16", "utf16") else "utf-8", "replace")
    except LookupError:
        return body.decode("utf-8", "replace")


class MXLHandler(Handler):
    """A zip that holds a MusicXML score (``META-INF/container.xml`` or a score member)."""

    name: ClassVar[str] = "mxl"
    suffix: ClassVar[str] = ".musicxml"
    reads: ClassVar[str] = "bytes"
    magic: ClassVar[tuple[bytes, ...]] = (_LOCAL,)

    def repair(self, data: str | bytes, lost: Lost) -> MusicResult | None:
        return read_mxl(data) if isinstance(data, bytes) else None
