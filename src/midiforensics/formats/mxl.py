"""MXL (zipped MusicXML): find the root score in the zip, read it within bounds, repair it.

The members are read by the one zip reader (:func:`.containers.zip_members`: in memory, within
bounds, a cut-off zip read from its local headers); names are only compared, never used as
paths.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import ClassVar

from .base import VERDICTS, Handler, Lost, MusicResult, verdict_for
from .containers import ZIP_MAGIC, zip_members

_ENC_RE = re.compile(rb"""^<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9_.:-]+)["']""")


def read_mxl(data: bytes) -> MusicResult | None:
    """The repaired root score of an MXL zip; None when it holds no MusicXML."""
    if not isinstance(data, bytes | bytearray) or not data.startswith(ZIP_MAGIC):
        return None
    found, notes = zip_members(bytes(data))
    members = {n: body for n, body in found.items() if _plain_path(n)}
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
    magic: ClassVar[tuple[bytes, ...]] = (ZIP_MAGIC,)

    def repair(self, data: str | bytes, lost: Lost) -> MusicResult | None:
        return read_mxl(data) if isinstance(data, bytes) else None


def _plain_path(name: str) -> bool:
    """An MXL member name that names a file inside the zip: no parent step, not absolute."""
    n = name.replace("\\", "/")
    return not n.startswith("/") and ".." not in n.split("/") and len(n) < 1024
