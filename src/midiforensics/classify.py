"""Cut a decoded payload into segments that cover every byte once.

Extents come from the handlers that find their format inside other bytes (MIDI's carver);
the gaps between them are containers and other known binary formats (by signature), UTF-8
text, or unknown bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .formats import BYTES_HANDLERS, HANDLERS
from .formats.base import Handler

_PNG = b"\x89PNG\r\n\x1a\n"
# Signatures of binary formats we recognise but do not open.
KNOWN_BINARY: tuple[tuple[bytes, str], ...] = (
    (_PNG, "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"%PDF-", "pdf"),
    (b"OggS", "ogg"),
    (b"fLaC", "flac"),
    (b"ID3", "mp3"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
)
# The one signature table: containers the handlers open, then the formats we only name.
SIGNATURES: tuple[tuple[bytes, str], ...] = (
    *((m, h.name) for h in BYTES_HANDLERS if h.container for m in h.magic),
    *KNOWN_BINARY,
)
_CONTAINERS = frozenset(h.name for h in BYTES_HANDLERS if h.container)
_CONTAINER_SIGNATURES = tuple((m, kind) for m, kind in SIGNATURES if kind in _CONTAINERS)
# the bytes handlers that find extents of their format (the others find none)
_CARVERS = tuple(h for h in BYTES_HANDLERS if type(h).extents is not Handler.extents)
# A payload (or an input file) starting with one of these is binary, not text.
BINARY_MAGIC: tuple[bytes, ...] = (*(m for h in BYTES_HANDLERS for m in h.magic), _PNG)

# A payload that starts like this begins a new blob (it does not continue a cut-off one).
STARTS: tuple[bytes, ...] = (*BINARY_MAGIC, b"<?xml")

TEXT_MIN_PRINTABLE = 0.9


@dataclass(frozen=True)
class Piece:
    start: int
    end: int
    kind: str
    confidence: float


def text_ratio_utf16(data: bytes) -> float:
    """:func:`text_ratio` for UTF-16 with a byte-order mark."""
    text = data[: len(data) & ~1].decode("utf-16", errors="replace")
    if not text:
        return 0.0
    bad = sum(1 for ch in text if ch == "\ufffd" or (not ch.isprintable() and ch not in "\n\r\t\f"))
    return 1.0 - bad / len(text)


def text_ratio(data: bytes) -> float:
    """Share of characters in ``data`` (decoded as UTF-8) that are printable or whitespace."""
    if not data:
        return 0.0
    text = data.decode("utf-8", errors="replace")
    bad = sum(1 for ch in text if ch == "\ufffd" or (not ch.isprintable() and ch not in "\n\r\t\f"))
    return 1.0 - bad / len(text)


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def decode_text(data: bytes) -> str:
    """A text segment's characters: UTF-16 when it starts with a byte-order mark (editors
    export MusicXML so), else UTF-8; undecodable bytes become U+FFFD."""
    if data.startswith(_UTF16_BOMS):
        return data.decode("utf-16", errors="replace")
    return data.decode("utf-8", errors="replace")


def _sniff(data: bytes, lost: Sequence[tuple[int, int]]) -> tuple[str, float]:
    if data.startswith(_UTF16_BOMS) and text_ratio_utf16(data[:65536]) >= TEXT_MIN_PRINTABLE:
        return "text", 0.95
    for magic, kind in SIGNATURES:
        if data.startswith(magic):
            return kind, 0.95
    if data.startswith(b"RIFF") and data[8:12] == b"WAVE":
        return "wav", 0.95
    kept = _without(data, lost)
    ratio = text_ratio(kept[:65536])
    if ratio >= TEXT_MIN_PRINTABLE:
        return "text", round(ratio, 3)
    return "unknown", 0.3


def _without(data: bytes, lost: Sequence[tuple[int, int]]) -> bytes:
    if not lost:
        return data
    out = bytearray()
    pos = 0
    for s, e in sorted(lost):
        s, e = max(s, pos), min(e, len(data))
        if s > pos:
            out += data[pos:s]
        pos = max(pos, e)
    out += data[pos:]
    return bytes(out)


def drop_lost(data: bytes, lost: Sequence[tuple[int, int]]) -> bytes:
    """``data`` with the bytes of the ``lost`` ranges removed (they are noise, not content)."""
    return _without(data, lost)


def split(data: bytes, lost: Sequence[tuple[int, int]] = ()) -> list[Piece]:
    """Segments of ``data``: the handlers' extents, and the gaps classified by signature or
    content."""
    for magic, kind in _CONTAINER_SIGNATURES:
        if data.startswith(magic):
            # a container's compressed bytes may hold anything ("MThd" included): its members
            # are read by its handler, not carved out of it
            return [Piece(0, len(data), kind, 0.95)]
    pieces: list[Piece] = []
    pos = 0
    for s, e, kind in _extents(data):
        if s > pos:
            pieces.extend(_gap(data, pos, s, lost))
        pieces.append(Piece(s, e, kind, 0.9))
        pos = e
    if pos < len(data):
        pieces.extend(_gap(data, pos, len(data), lost))
    return pieces


def _extents(data: bytes) -> list[tuple[int, int, str]]:
    """Non-overlapping extents found by the handlers, the earlier handler winning a clash."""
    found: list[tuple[int, int, str]] = []
    for h in _CARVERS:
        for s, e in h.extents(data):
            if all(e <= fs or s >= fe for fs, fe, _ in found):
                found.append((s, e, h.name))
    return sorted(found)


def _gap(data: bytes, start: int, end: int, lost: Sequence[tuple[int, int]]) -> list[Piece]:
    rel = [(max(s, start) - start, min(e, end) - start) for s, e in lost if s < end and e > start]
    chunk = data[start:end]
    if not chunk.strip(b"\x00\r\n\t "):
        return [Piece(start, end, "padding", 0.9)]
    kind, conf = _sniff(chunk, rel)
    return [Piece(start, end, kind, conf)]


def wants_more(data: bytes, n_chars: int) -> bool:
    """True when a decoded blob stops in the middle of something: base64 cut mid-frame, or a
    payload a handler says is cut off mid-piece."""
    return bool(n_chars % 4) or any(h.incomplete(data) for h in HANDLERS)
