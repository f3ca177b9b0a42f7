"""`mf scan` and `mf decode` on a 20 MB transcript with 823 base64 MIDI blobs among prose.

Prints: the time of a bare regex + binascii pass over the same text, of the scan in process and
through the `mf` command, the ratio scan/bare, how many MIDI files `mf decode` wrote (counted in
the output folder), MB/s and peak memory (RSS of the `mf` processes). With --split N the
transcript is also cut into N files and decoded as one batch with --jobs 1 and --jobs 2.

usage: python benchmarks/bench_batch.py [--mb 20] [--blobs 823] [--split 0]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _corpus import transcript  # noqa: E402
from bench_scan import bare_pass, best_of  # noqa: E402

MF = Path(sys.executable).with_name("mf")


_WRAP = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], capture_output=True); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def child(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one command, measured in its own wrapper process."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _WRAP, *cmd], capture_output=True, text=True, check=False
    )
    dt = time.perf_counter() - t0
    return dt, int(proc.stdout.strip() or 0) / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=20.0)
    ap.add_argument("--blobs", type=int, default=823)
    ap.add_argument("--split", type=int, default=0, help="also decode as N files, jobs 1 and 2")
    a = ap.parse_args()

    from midiforensics.pipeline import run

    text = transcript(a.mb, a.blobs)
    size_mb = len(text.encode()) / 1e6
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "transcript.md"
        src.write_text(text)
        t_bare = best_of(lambda: bare_pass(text))
        t0 = time.perf_counter()
        report = run(text, repair=False)
        t_scan = time.perf_counter() - t0
        midi_segs = sum(1 for s in report.segments if s.kind == "midi")
        t_cli_scan, rss_scan = child([str(MF), "scan", str(src)])
        t_cli_json, _ = child([str(MF), "scan", "--json", str(src)])
        out = Path(tmp) / "out"
        t_dec, rss_dec = child([str(MF), "decode", str(src), "-o", str(out)])
        mids = len(list(out.rglob("*.mid")))
        print(f"input: {size_mb:.1f} MB, {a.blobs} base64 MIDI blobs among prose")
        print(f"bare regex+binascii pass: {t_bare:.2f} s ({size_mb / t_bare:.1f} MB/s)")
        print(
            f"scan in process (pipeline.run repair=False): {t_scan:.2f} s "
            f"({size_mb / t_scan:.2f} MB/s), {midi_segs} MIDI segments; "
            f"ratio to bare {t_scan / t_bare:.1f}x"
        )
        print(
            f"mf scan (command): {t_cli_scan:.2f} s ({size_mb / t_cli_scan:.2f} MB/s), "
            f"ratio to bare {t_cli_scan / t_bare:.1f}x, peak RSS {rss_scan:.0f} MB"
        )
        print(
            f"mf scan --json (command, no table drawn): {t_cli_json:.2f} s "
            f"({size_mb / t_cli_json:.2f} MB/s), ratio to bare {t_cli_json / t_bare:.1f}x"
        )
        print(
            f"mf decode (command): {t_dec:.2f} s ({size_mb / t_dec:.2f} MB/s), "
            f"{mids} .mid files written (expected {a.blobs}), peak RSS {rss_dec:.0f} MB"
        )
        if a.split > 1:
            from midiforensics.batch import run_batch

            parts = text.split("## Message ")
            per = max(1, len(parts) // a.split)
            folder = Path(tmp) / "many"
            folder.mkdir()
            files = []
            for k in range(0, len(parts), per):
                f = folder / f"part{k // per:03d}.md"
                f.write_text("## Message ".join(parts[k : k + per]))
                files.append(f)
            for jobs in (1, 2):
                t0 = time.perf_counter()
                items = run_batch(files, Path(tmp) / f"batch{jobs}", jobs=jobs)
                dt = time.perf_counter() - t0
                n = sum(len(it.midis) for it in items)
                print(
                    f"batch of {len(files)} files, --jobs {jobs}: {dt:.2f} s "
                    f"({size_mb / dt:.2f} MB/s), {n} .mid files"
                )


if __name__ == "__main__":
    main()
