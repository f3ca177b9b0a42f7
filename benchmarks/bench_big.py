"""Large inputs: peak memory and time of the scan on a big transcript read whole, the same
file read in windows (inputs.files.iter_windows), and a single very long line.

Each measurement runs in its own process so that its peak RSS is its own.

usage: python benchmarks/bench_big.py [--mb 200] [--blobs 8000] [--line-mb 50] [--window-mb 16]
       [--skip-whole]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _corpus import transcript  # noqa: E402


def peak_rss_mb() -> float:
    """This process's peak RSS. /proc's VmHWM starts afresh at exec; ru_maxrss keeps the
    parent's peak across fork and exec on Linux, so it is only the fallback."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(mode: str, path: str, window_mb: float) -> None:
    """Child process: scan ``path`` one way; print a JSON line of numbers."""
    base = peak_rss_mb()
    from midiforensics.inputs.files import iter_windows
    from midiforensics.pipeline import run

    t0 = time.perf_counter()
    midi = 0
    windows = 0
    if mode == "windows":
        for w in iter_windows(Path(path), size=int(window_mb * 1024 * 1024)):
            r = run(w.text, repair=False)
            midi += sum(1 for s in r.segments if s.kind == "midi")
            windows += 1
    else:
        r = run(Path(path).read_bytes(), repair=False)
        midi = sum(1 for s in r.segments if s.kind == "midi")
    dt = time.perf_counter() - t0
    peak = peak_rss_mb()
    print(
        json.dumps(
            {
                "s": dt,
                "peak_mb": peak,
                "base_mb": base,
                "midi": midi,
                "windows": windows,
            }
        )
    )


def child(mode: str, path: Path, window_mb: float) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(path), "--window-mb", str(window_mb)],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        return {"error": out.returncode, "s": float("nan"), "peak_mb": float("nan"), "midi": 0}
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=200.0)
    ap.add_argument("--blobs", type=int, default=8000)
    ap.add_argument("--line-mb", type=float, default=50.0)
    ap.add_argument("--window-mb", type=float, default=16.0)
    ap.add_argument("--skip-whole", action="store_true", help="skip the whole-file scan")
    ap.add_argument("--child", nargs=2, metavar=("MODE", "PATH"))
    a = ap.parse_args()
    if a.child:
        measure(a.child[0], a.child[1], a.window_mb)
        return
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "big.md"
        text = transcript(a.mb, a.blobs)
        big.write_text(text)
        size = big.stat().st_size / 1e6
        # the same kind of text as one line: a JSON string (escaped line breaks)
        line_blobs = max(1, int(a.blobs * a.line_mb / a.mb))
        one = json.dumps(transcript(a.line_mb, line_blobs))
        del text
        line = Path(tmp) / "line.json"
        line.write_text(one)
        line_size = len(one) / 1e6
        del one
        print(
            f"input: {size:.0f} MB transcript with {a.blobs} blobs; "
            f"{line_size:.0f} MB single line with {line_blobs} blobs"
        )
        modes = [("windows", big)] + ([] if a.skip_whole else [("whole", big)])
        for mode, path in modes:
            r = child(mode, path, a.window_mb)
            extra = (
                f", {int(r['windows'])} windows of {a.window_mb:g} MB" if mode == "windows" else ""
            )
            print(
                f"scan {mode}: {r['s']:.1f} s ({size / r['s']:.2f} MB/s), {r['midi']} MIDI, "
                f"peak RSS {r['peak_mb']:.0f} MB ({r['peak_mb'] / size:.1f}x the input){extra}"
            )
        r = child("whole", line, a.window_mb)
        print(
            f"scan single line: {r['s']:.1f} s ({line_size / r['s']:.2f} MB/s), {r['midi']} MIDI, "
            f"peak RSS {r['peak_mb']:.0f} MB"
        )


if __name__ == "__main__":
    main()
