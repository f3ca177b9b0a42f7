"""Big transcripts: `mf scan`, `mf decode` and a bare regex + binascii pass, as ratios.

For each size (20 MB with 823 base64 MIDI blobs and 200 MB with 8235, made by
``_corpus.transcript``), in interleaved rounds (round 1: bare, scan, decode on 20 MB, then on
200 MB; round 2: the same...), each tool runs as its own child process and is measured from
outside: wall time (perf_counter around the child), max RSS (``ru_maxrss`` of that child alone,
from ``os.wait4``) and the blobs it found (the scan's verdict line; the .mid files `mf decode`
wrote; the MIDI headers the bare pass decoded). Best wall and largest RSS over the rounds.

The bare pass is the reference: read the file as text, decode every run of 40+ base64
characters (line breaks included) with ``binascii.a2b_base64``, count those starting with MThd.

`mf` is ``sys.executable -m midiforensics``: the package the interpreter finds, so PYTHONPATH
chooses the tree measured. Its modules are compiled to bytecode first, as an install does. MB
here is 10^6 bytes, for the inputs and the RSS alike.

The inputs are written by a child process, so that this script's own peak memory stays small:
a child started with vfork inherits its parent's peak in ``ru_maxrss``; this script's own peak,
printed at the end, is the floor of every RSS figure.

usage: python benchmarks/bench_big.py [--sizes 20,200] [--rounds 3] [--skip-decode]
       [--keep DIR] [--line-mb 0]
  --keep DIR  read DIR/t<MB>.md (and DIR/line<MB>.json), writing the missing ones there first
  --line-mb N also measure an N MB single line (the same kind of transcript as a JSON string;
              the bare pass finds nothing there: it reads the "n" of each escaped line break
              as the first base64 character)
"""

from __future__ import annotations

import argparse
import binascii
import compileall
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

MB = 1e6
BLOBS_PER_MB = 8235 / 200  # 823 blobs in 20 MB, 8235 in 200 MB
TOOLS = ("bare", "scan", "decode")
NAMES = {"bare": "bare pass", "scan": "mf scan", "decode": "mf decode"}
# the targets, for the largest size: wall ratio to the bare pass, and RSS; the check
# lines also give the speed ratio (bare wall / tool wall)
SCAN_RATIO, SCAN_RSS_MB, DECODE_RATIO = 0.3, 300.0, 3.0
BASE64_RUN = re.compile(r"[A-Za-z0-9+/=\r\n]{40,}")


def bare_pass(path: str) -> int:
    """The reference: how many base64 runs of ``path`` decode to bytes starting with MThd."""
    text = Path(path).read_text(encoding="utf-8")
    n = 0
    for m in BASE64_RUN.finditer(text):
        try:
            data = binascii.a2b_base64(m.group())
        except binascii.Error:
            continue
        if data.startswith(b"MThd"):
            n += 1
    return n


def make_input(kind: str, path: str, mb: float, blobs: int) -> None:
    """Child process: write a transcript (or, for kind "line", the same as one JSON string)."""
    sys.path.insert(0, str(Path(__file__).parent))
    from _corpus import transcript

    text = transcript(mb, blobs)
    if kind == "line":
        text = json.dumps(text)
    part = Path(path + ".part")
    part.write_text(text, encoding="utf-8")
    part.replace(path)


@dataclass
class Input:
    label: str
    path: Path
    expected: int
    size_mb: float = 0.0


@dataclass
class Stats:
    """One tool on one input, over the rounds."""

    walls: list[float] = field(default_factory=list)
    rss_mb: float = 0.0
    found: list[int | None] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def wall(self) -> float:
        return min(self.walls) if self.walls else float("nan")


def measure(
    cmd: list[str], log: Path, env: dict[str, str] | None = None
) -> tuple[float, float, int, str]:
    """Run ``cmd`` (in ``env``, default this one's); (wall s, max RSS MB of that child, exit
    code, its stdout and stderr)."""
    with log.open("w+b") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=out, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    return wall, usage.ru_maxrss * 1024 / MB, proc.returncode, text


def scan_found(output: str) -> int | None:
    """MIDI blobs in the scan's verdict ("found 823 midi, 2 abc (scan only: ...)")."""
    flat = " ".join(output.split())  # the console may wrap the line
    m = re.search(r"Verdict: found (.*?) \(scan only", flat)
    if not m:
        return 0 if "Verdict: " in flat else None
    return sum(int(n) for n, kind in re.findall(r"(\d+) (\w+)", m.group(1)) if kind == "midi")


def run_tool(tool: str, inp: Input, tmp: Path) -> tuple[float, float, int | None, str]:
    """(wall, RSS MB, blobs found, failure or "") of one tool on one input."""
    path = str(inp.path)
    log = tmp / "child.log"
    if tool == "bare":
        cmd = [sys.executable, __file__, "--bare", path]
    elif tool == "scan":
        cmd = [sys.executable, "-m", "midiforensics", "scan", path]
    else:
        out = tmp / "out"
        shutil.rmtree(out, ignore_errors=True)
        cmd = [sys.executable, "-m", "midiforensics", "decode", path, "-o", str(out)]
    wall, rss, code, text = measure(cmd, log)
    found: int | None
    if tool == "bare":
        found = int(text.split()[-1]) if code == 0 and text.split() else None
    elif tool == "scan":
        found = scan_found(text)
    else:
        found = sum(1 for _ in out.rglob("*.mid"))
        shutil.rmtree(out, ignore_errors=True)
    failure = ""
    if code != 0:
        last = text.strip().splitlines()[-1:] or [""]
        failure = f"exit {code}: {last[0][:200]}"
    return wall, rss, found, failure


def peak_rss_mb() -> float:
    """This process's own peak RSS (VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024 / MB
    return float("nan")


def found_text(found: list[int | None]) -> str:
    known = sorted({f for f in found if f is not None})
    if not known:
        return "?"
    return str(known[0]) if len(known) == 1 else f"{known[0]}-{known[-1]}"


def prepare(sizes: list[float], line_mb: float, folder: Path) -> list[Input]:
    """The inputs, written by a child process where missing."""
    wanted = [(f"{mb:g} MB", "transcript", folder / f"t{mb:g}.md", mb) for mb in sizes]
    if line_mb:
        wanted.append((f"{line_mb:g} MB line", "line", folder / f"line{line_mb:g}.json", line_mb))
    inputs = []
    for label, kind, path, mb in wanted:
        blobs = int(mb * BLOBS_PER_MB)
        if path.exists():
            print(f"reusing {path}", file=sys.stderr)
        else:
            print(f"writing {path} ({mb:g} MB, {blobs} blobs)", file=sys.stderr)
            cmd = [sys.executable, __file__, "--make", kind, str(path), str(mb), str(blobs)]
            subprocess.run(cmd, check=True)
        inputs.append(Input(label, path, blobs, path.stat().st_size / MB))
    return inputs


def report(inputs: list[Input], tools: list[str], stats: dict[tuple[str, str], Stats]) -> None:
    for inp in inputs:
        bare = stats[("bare", inp.label)].wall
        print(f"\n{inp.label}: {inp.path} ({inp.size_mb:.1f} MB, {inp.expected} blobs)")
        print(
            f"  {'tool':<10} {'wall s':>7} {'MB/s':>7} {'max RSS MB':>10} {'RSS/input':>9} "
            f"{'found / expected':>16} {'x bare':>7}"
        )
        for tool in tools:
            s = stats[(tool, inp.label)]
            print(
                f"  {NAMES[tool]:<10} {s.wall:7.2f} {inp.size_mb / s.wall:7.1f} {s.rss_mb:10.0f} "
                f"{s.rss_mb / inp.size_mb:8.2f}x "
                f"{found_text(s.found) + ' / ' + str(inp.expected):>16} {s.wall / bare:6.2f}x"
            )
            for failure in dict.fromkeys(s.failures):
                print(f"    ! {failure}")
    print()
    big = max((i for i in inputs if "line" not in i.label), key=lambda i: i.size_mb, default=None)
    if big is not None:
        bare = stats[("bare", big.label)].wall
        s = stats[("scan", big.label)]
        print(
            f"scan {big.label}: {s.wall / bare:.2f}x the bare pass (target <= {SCAN_RATIO:g}; "
            f"speed {bare / s.wall:.2f}x), "
            f"RSS {s.rss_mb:.0f} MB (target <= {SCAN_RSS_MB:.0f}), "
            f"{found_text(s.found)}/{big.expected} found"
        )
        if "decode" in tools:
            s = stats[("decode", big.label)]
            print(
                f"decode {big.label}: {s.wall / bare:.2f}x the bare pass "
                f"(target <= {DECODE_RATIO:g}; speed {bare / s.wall:.2f}x), "
                f"{found_text(s.found)} of {big.expected} "
                ".mid written"
            )
    for inp in inputs:
        budget = max(1.5 * inp.size_mb, 60.0)
        for tool in tools:
            rss = stats[(tool, inp.label)].rss_mb
            print(
                f"RSS vs max(1.5x input, 60 MB) = {budget:.0f} MB, {inp.label}, {NAMES[tool]}: "
                f"{rss:.0f} MB, {'within' if rss <= budget else 'over'}"
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="20,200", help="input sizes in MB, comma-separated")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds (best of)")
    ap.add_argument("--skip-decode", action="store_true")
    ap.add_argument("--keep", type=Path, help="folder of inputs to reuse (written if missing)")
    ap.add_argument("--line-mb", type=float, default=0.0, help="also an N MB single line")
    ap.add_argument("--bare", metavar="PATH", help=argparse.SUPPRESS)
    ap.add_argument(
        "--make", nargs=4, metavar=("KIND", "PATH", "MB", "BLOBS"), help=argparse.SUPPRESS
    )
    a = ap.parse_args()
    if a.bare:
        print(bare_pass(a.bare))
        return
    if a.make:
        kind, path, mb, blobs = a.make
        make_input(kind, path, float(mb), int(blobs))
        return

    tools = [t for t in TOOLS if not (a.skip_decode and t == "decode")]
    sizes = [float(x) for x in a.sizes.split(",") if x.strip()]
    where = subprocess.run(
        [sys.executable, "-c", "import midiforensics; print(midiforensics.__file__)"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    if where:
        # measured as installed: pip compiles the modules when it installs them, but a run
        # with PYTHONDONTWRITEBYTECODE set (this sandbox) compiles about 80 of them every time
        compileall.compile_dir(str(Path(where).parent), quiet=1)
    with tempfile.TemporaryDirectory(prefix="bench_big-") as tmp_name:
        tmp = Path(tmp_name)
        folder = a.keep or tmp
        folder.mkdir(parents=True, exist_ok=True)
        inputs = prepare(sizes, a.line_mb, folder)
        stats = {(t, i.label): Stats() for t in tools for i in inputs}
        for r in range(a.rounds):
            for inp in inputs:
                for tool in tools:
                    wall, rss, found, failure = run_tool(tool, inp, tmp)
                    s = stats[(tool, inp.label)]
                    s.walls.append(wall)
                    s.rss_mb = max(s.rss_mb, rss)
                    s.found.append(found)
                    if failure:
                        s.failures.append(failure)
                    print(
                        f"round {r + 1}, {inp.label}, {NAMES[tool]}: {wall:.2f} s, "
                        f"{rss:.0f} MB, found {found}",
                        file=sys.stderr,
                    )
    print(f"mf: {sys.executable} -m midiforensics ({where or 'not importable'})")
    print(f"{a.rounds} interleaved round(s); best wall, largest RSS; MB = 10^6 bytes")
    report(inputs, tools, stats)
    print(f"this script's own peak RSS (the floor of the RSS figures): {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
