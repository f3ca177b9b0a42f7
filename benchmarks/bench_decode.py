"""Speed of base64 decoding: the strict path against binascii, and frame repair at scale.

Run: .venv/bin/python benchmarks/bench_decode.py
Prints the throughput of ``decode_base64`` on undamaged base64 next to ``binascii`` on the
same characters (the goal: at least half as fast), and the time to recover a 1 MB blob
(text and MIDI payloads) with 10 damage points (the goal: under 2 s).
"""

from __future__ import annotations

import base64
import binascii
import random
import time

from midiforensics.decoding.b64 import decode_base64

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def text_payload(rng: random.Random, size: int) -> bytes:
    words = [
        "the",
        "score",
        "holds",
        "a",
        "melody",
        "in",
        "<note><pitch><step>C</step></pitch></note>",
        "and",
    ]
    out: list[str] = []
    total = 0
    while total < size:
        w = rng.choice(words)
        out.append(w)
        total += len(w) + 1
    return " ".join(out).encode()[:size]


def midi_payload(rng: random.Random, size: int) -> bytes:
    track = bytearray(b"\x00\xff\x51\x03\x07\xa1\x20")
    while len(track) < size - 40:
        note = rng.randint(48, 84)
        track += bytes([0x00, 0x90, note, 0x50, 0x83, 0x60, 0x80, note, 0x40])
    track += b"\x00\xff\x2f\x00"
    header = b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x01\xe0"
    return header + b"MTrk" + len(track).to_bytes(4, "big") + bytes(track)


def damage(rng: random.Random, chars: str, points: int) -> str:
    """Drop or insert 1-3 characters at ``points`` places spread evenly over the run."""
    out: list[str] = []
    step = len(chars) // (points + 1)
    prev = 0
    for k in range(1, points + 1):
        at = k * step + rng.randint(-step // 4, step // 4)
        out.append(chars[prev:at])
        if rng.random() < 0.5:
            prev = at + rng.randint(1, 3)
        else:
            out.append("".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 3))))
            prev = at
    out.append(chars[prev:])
    return "".join(out)


def best_of(fn, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    rng = random.Random(3)
    size = 1 << 20
    payloads = {
        "binary": rng.randbytes(size),
        "text": text_payload(rng, size),
        "midi": midi_payload(rng, size),
    }
    print("undamaged base64, 1 MiB payload (best of 5)")
    for name, payload in payloads.items():
        chars = base64.b64encode(payload).decode()
        ref = best_of(lambda chars=chars: binascii.a2b_base64(chars, strict_mode=True))
        ours = best_of(lambda chars=chars: decode_base64(chars))
        assert decode_base64(chars).data == payload
        mb = len(chars) / 1e6
        print(
            f"  {name:6}  binascii {mb / ref:8.0f} MB/s   decode_base64 {mb / ours:8.0f} MB/s"
            f"   ratio {ref / ours:.2f}"
        )
    print("1 MB of base64 with 10 damage points (drops/inserts of 1-3 characters)")
    for name in ("text", "midi"):
        chars = base64.b64encode(payloads[name][: 3 * (1 << 20) // 4]).decode()
        broken = damage(rng, chars, 10)
        t0 = time.perf_counter()
        got = decode_base64(broken)
        took = time.perf_counter() - t0
        shifts = sum(r.kind == "frame-shift" for r in got.repairs)
        print(
            f"  {name:6}  {len(broken) / 1e6:.2f} MB  {took:.2f} s  "
            f"{shifts} frame shifts repaired, {sum(b - a for a, b in got.lost)} bytes lost"
        )


if __name__ == "__main__":
    main()
