"""Throughput of the scan on a large transcript, against a bare regex + binascii pass; then
the locate stage alone on prose full of URLs, digests, UUIDs, tokens and long names, where it
must find nothing at all.

usage: python benchmarks/bench_scan.py [--mb 20] [--blobs 823] [--noise-mb 30]
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import random
import re
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _corpus import transcript  # noqa: E402

from midiforensics.locate import find_base64, find_byte_arrays, find_hex  # noqa: E402
from midiforensics.pipeline import run  # noqa: E402

WORDS = [
    "the",
    "melody",
    "rises",
    "through",
    "a",
    "scale",
    "and",
    "resolves",
    "to",
    "its",
    "tonic",
    "see",
    "the",
    "release",
    "notes",
    "for",
    "details",
    "about",
    "this",
    "build",
    "and",
    "the",
    "commit",
    "that",
    "fixed",
    "it",
]


def noise_text(target_mb: float, seed: int = 11) -> str:
    """Chat and log prose whose tokens look like payloads and are none: URLs with long path
    and query tokens, commit ids, SHA-256 digests, UUIDs, JWTs, camelCase names."""
    rng = random.Random(seed)
    alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    paras: list[str] = []
    size = 0
    while size < target_mb * 1_000_000:
        tok = "".join(rng.choices(alnum, k=rng.randint(16, 40)))
        digest = hashlib.sha256(tok.encode()).hexdigest()
        claims = base64.urlsafe_b64encode(f'{{"sub":"{tok}"}}'.encode()).decode().rstrip("=")
        name = "".join(w.capitalize() for w in rng.sample(WORDS, 4))
        para = (
            f"{' '.join(rng.choices(WORDS, k=30))} (https://example.com/{rng.choice(WORDS)}/{tok}"
            f"?session={tok[::-1]}&v=2). Fixed in commit {digest[:40]}, artifact sha256:{digest},"
            f" run {rng.getrandbits(128):032x}, id {digest[:8]}-1e2f-4a5b-8c9d-{digest[-12:]}."
            f" Call get{name}() with Authorization: Bearer eyJhbGciOiJIUzI1NiJ9."
            f"{claims}.{tok}\n"
        )
        paras.append(para)
        size += len(para)
    return "\n".join(paras)


def bare_pass(text: str) -> int:
    """What a minimal tool does: find long base64 runs, decode each."""
    n = 0
    for m in re.finditer(r"(?:[A-Za-z0-9+/]{16,}={0,2}\s*)+", text):
        try:
            binascii.a2b_base64(m.group(0))
            n += 1
        except binascii.Error:
            pass
    return n


def best_of(fn, k: int = 3) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(k):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=20.0)
    ap.add_argument("--blobs", type=int, default=823)
    ap.add_argument("--noise-mb", type=float, default=30.0)
    a = ap.parse_args()
    text = transcript(a.mb, a.blobs)
    size_mb = len(text.encode()) / 1e6
    t_bare = best_of(lambda: bare_pass(text))
    t_scan = best_of(lambda: run(text, repair=False))
    report = run(text, repair=False)
    midi = sum(1 for s in report.segments if s.kind == "midi")
    tracemalloc.start()
    run(text, repair=False)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"input: {size_mb:.1f} MB, {a.blobs} blobs; scan found {midi} MIDI segments")
    print(f"bare regex+binascii: {t_bare:.3f} s ({size_mb / t_bare:.0f} MB/s)")
    print(f"mf scan (pipeline, no repair): {t_scan:.3f} s ({size_mb / t_scan:.0f} MB/s)")
    print(f"ratio scan/bare: {t_scan / t_bare:.2f}x")
    print(
        f"peak traced memory of the scan: {peak / 1e6:.1f} MB ({peak / 1e6 / size_mb:.1f}x the input)"
    )
    noise = noise_text(a.noise_mb)
    noise_mb = len(noise) / 1e6
    found: list[int] = []
    t_noise = best_of(
        lambda: found.append(sum(len(f(noise)) for f in (find_base64, find_hex, find_byte_arrays)))
    )
    print(
        f"locate on {noise_mb:.1f} MB of prose with URLs, digests, UUIDs, JWTs, names: "
        f"{found[-1]} runs found in {t_noise:.3f} s ({noise_mb / t_noise:.0f} MB/s)"
    )


if __name__ == "__main__":
    main()
