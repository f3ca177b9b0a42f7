"""Throughput of the scan on a large transcript, against a bare regex + binascii pass.

usage: python benchmarks/bench_scan.py [--mb 20] [--blobs 823]
"""

from __future__ import annotations

import argparse
import binascii
import re
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _corpus import transcript  # noqa: E402

from midiforensics.pipeline import run  # noqa: E402


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


if __name__ == "__main__":
    main()
