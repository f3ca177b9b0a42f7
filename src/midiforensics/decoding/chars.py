"""Base64 characters to bytes a quad at a time, and byte ranges merged: what the decoder,
its frame search and the payload judges share."""

from __future__ import annotations

import binascii


def a2b(chars: str) -> bytes:
    """Whole quads only; ``chars`` holds alphabet characters."""
    return binascii.a2b_base64(chars) if chars else b""


def partial(chars: str) -> bytes:
    """Decode whole quads plus what a trailing 2 or 3 characters hold (1 is no byte)."""
    whole = len(chars) - len(chars) % 4
    tail = chars[whole:]
    out = a2b(chars[:whole])
    if len(tail) >= 2:
        out += binascii.a2b_base64(tail + "=" * (4 - len(tail)))
    return out


def max_prefix(scores: list[float]) -> float:
    best = total = 0.0
    for v in scores:
        total += v
        if total > best:
            best = total
    return best


def merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(ranges):
        if out and a <= out[-1][1] and b > a:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out
