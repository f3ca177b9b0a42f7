"""Wall time of `mf decode` on a small MIDI blob, end to end (a new process each time).

usage: python benchmarks/bench_cli.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "chat-clean-midi.txt"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    mf = Path(sys.executable).with_name("mf")
    times = []
    for _ in range(a.runs):
        with tempfile.TemporaryDirectory() as td:
            t0 = time.perf_counter()
            subprocess.run(
                [str(mf), "decode", str(SAMPLE), "-o", td], check=True, capture_output=True
            )
            times.append(time.perf_counter() - t0)
    code = (
        "import sys, midiforensics; midiforensics.decode(open(sys.argv[1]).read());"
        "print(' '.join(m for m in ('music21', 'pygame', 'numpy') if m in sys.modules) or 'none')"
    )
    heavy = subprocess.run(
        [sys.executable, "-c", code, str(SAMPLE)], capture_output=True, text=True, env=os.environ
    ).stdout.strip()
    times.sort()
    print(
        f"mf decode {SAMPLE.name}: median {times[len(times) // 2]:.3f} s, best {times[0]:.3f} s over {a.runs} runs"
    )
    print(f"heavy modules imported on this path: {heavy}")


if __name__ == "__main__":
    main()
