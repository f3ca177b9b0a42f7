"""Cut a decoded payload into segments that cover every byte once.

MIDI extents come from the MIDI handler's carver; the gaps between them are known binary
formats (by signature), UTF-8 text, or unknown bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .formats.midi.carve import find_midi

# Signatures of binary formats we recognise but do not turn into music.
SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "zip"),
    (b"\x1f\x8b", "gzip"),
    (b"\x89PNG\r\n\x1a\n", "png"),
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

TEXT_MIN_PRINTABLE = 0.9


@dataclass(frozen=True)
class Piece:
    start: int
    end: int
    kind: str
    confidence: float
    note: str = ""


def text_ratio(data: bytes) -> float:
    """Share of characters in ``data`` (decoded as UTF-8) that are printable or whitespace."""
    if not data:
        return 0.0
    text = data.decode("utf-8", errors="replace")
    bad = sum(1 for ch in text if ch == "\ufffd" or (not ch.isprintable() and ch not in "\n\r\t\f"))
    return 1.0 - bad / len(text)


def _sniff(data: bytes, lost: Sequence[tuple[int, int]]) -> tuple[str, float]:
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
    """Segments of ``data``: MIDI extents, and the gaps classified by signature or content."""
    pieces: list[Piece] = []
    pos = 0
    for s, e in find_midi(data):
        if s > pos:
            pieces.extend(_gap(data, pos, s, lost))
        pieces.append(Piece(s, e, "midi", 0.9))
        pos = e
    if pos < len(data):
        pieces.extend(_gap(data, pos, len(data), lost))
    return pieces


def _gap(data: bytes, start: int, end: int, lost: Sequence[tuple[int, int]]) -> list[Piece]:
    rel = [(max(s, start) - start, min(e, end) - start) for s, e in lost if s < end and e > start]
    chunk = data[start:end]
    if not chunk.strip(b"\x00\r\n\t "):
        return [Piece(start, end, "padding", 0.9)]
    kind, conf = _sniff(chunk, rel)
    return [Piece(start, end, kind, conf)]
