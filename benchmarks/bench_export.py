"""A large chat export in JSON: `mf scan` and `mf decode` on a generated ChatGPT
``conversations.json`` (and the same chat as JSON Lines), wall time and max RSS.

The export (``make_export``): conversations of four turns, a user's question and an
assistant's answer with a fenced base64 MIDI file, twice; about 8.4 KB of JSON and two
blobs a conversation, so 30 MB is ~3600 conversations and ~7100 blobs. The JSON Lines
file holds the same messages, one a line.

Each tool runs as its own child process, measured from outside as ``bench_big`` measures:
wall time around the child, max RSS of that child (``ru_maxrss`` from ``os.wait4``), the
MIDI blobs found (the scan's verdict; the .mid files the decode wrote). ``--src`` names the
source trees to compare (each put first on PYTHONPATH), measured in interleaved rounds; best
wall and largest RSS. MB is 10^6 bytes. The issue's budget: RSS at most max(1.5x the input,
60 MB).

usage: python benchmarks/bench_export.py [--mb 30] [--rounds 1] [--kinds json,jsonl]
       [--src DIR,DIR] [--keep DIR] [--skip-decode]
  --src DIR,DIR  source trees to measure (e.g. an old checkout's src and this src); default:
                 the package this interpreter imports
  --keep DIR     read DIR/conversations<MB>.json (and .jsonl), writing them there first
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from bench_big import MB, measure, peak_rss_mb, scan_found  # noqa: E402

CONVERSATION_BYTES = 8_400  # about what one conversation of make_export takes


def _node(
    nid: str, parent: str | None, kid: str | None, role: str, text: str, t: float
) -> dict[str, Any]:
    message = {
        "id": nid,
        "author": {"role": role, "name": None, "metadata": {}},
        "create_time": t,
        "content": {"content_type": "text", "parts": [text]},
        "status": "finished_successfully",
        "metadata": {},
    }
    return {"id": nid, "message": message, "parent": parent, "children": [kid] if kid else []}


def _turns(rng: random.Random) -> list[tuple[str, str]]:
    from _corpus import PROSE, midi_bytes

    out = []
    for _ in range(2):
        blob = base64.b64encode(midi_bytes(rng)).decode()
        wrapped = "\n".join(blob[i : i + 76] for i in range(0, len(blob), 76))
        out.append(("user", "Could you write me a short tune as a MIDI file? " + PROSE * 8))
        out.append(("assistant", PROSE * 10 + f"\n\n```\n{wrapped}\n```\n\nEnjoy!"))
    return out


def make_export(path: str, mb: float) -> None:
    """Child process: write ``path`` (a conversations.json, or JSON Lines for .jsonl)."""
    rng = random.Random(11)
    n = max(1, int(mb * MB / CONVERSATION_BYTES))
    part = Path(path + ".part")
    with part.open("w", encoding="utf-8") as fh:
        fh.write("" if path.endswith(".jsonl") else "[")
        for k in range(n):
            turns = _turns(rng)
            if path.endswith(".jsonl"):
                for role, text in turns:
                    fh.write(json.dumps({"role": role, "content": text}) + "\n")
                continue
            ids = [f"c{k}-n{j}" for j in range(len(turns))]
            mapping = {
                nid: _node(
                    nid,
                    ids[j - 1] if j else None,
                    ids[j + 1] if j + 1 < len(ids) else None,
                    role,
                    text,
                    1_700_000_000.0 + k * 100 + j,
                )
                for j, (nid, (role, text)) in enumerate(zip(ids, turns, strict=True))
            }
            conv = {"title": f"Tune {k}", "create_time": 1_700_000_000.0 + k * 100}
            fh.write(("," if k else "") + json.dumps({**conv, "mapping": mapping}))
        fh.write("" if path.endswith(".jsonl") else "]\n")
    part.replace(path)


def run_tool(tool: str, path: Path, src: str, tmp: Path) -> tuple[float, float, int | None, str]:
    """(wall s, max RSS MB, MIDI blobs found, failure or "") of ``mf <tool>`` from ``src``."""
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    out = tmp / "out"
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "midiforensics", tool, str(path)]
    if tool == "decode":
        cmd += ["-o", str(out)]
    wall, rss, code, text = measure(cmd, tmp / "child.log", env)
    if tool == "scan":
        found = scan_found(text)
    else:
        found = sum(1 for _ in out.rglob("*.mid"))
        shutil.rmtree(out, ignore_errors=True)
    failure = f"exit {code}: {text.strip().splitlines()[-1:]}" if code != 0 else ""
    return wall, rss, found, failure


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mb", type=float, default=30.0, help="size of the export in MB")
    ap.add_argument("--rounds", type=int, default=1, help="interleaved rounds (best of)")
    ap.add_argument("--kinds", default="json", help="json, jsonl, or both (comma-separated)")
    ap.add_argument("--src", default="", help="source trees to compare, comma-separated")
    ap.add_argument("--keep", type=Path, help="folder of inputs to reuse (written if missing)")
    ap.add_argument("--skip-decode", action="store_true")
    ap.add_argument("--make", nargs=2, metavar=("PATH", "MB"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.make:
        make_export(a.make[0], float(a.make[1]))
        return
    tools = ["scan"] + ([] if a.skip_decode else ["decode"])
    srcs = [s.strip() for s in a.src.split(",") if s.strip()] or [""]
    with tempfile.TemporaryDirectory(prefix="bench_export-") as tmp_name:
        tmp = Path(tmp_name)
        folder = a.keep or tmp
        folder.mkdir(parents=True, exist_ok=True)
        inputs = []
        for kind in a.kinds.split(","):
            path = folder / f"conversations{a.mb:g}.{kind.strip()}"
            if not path.exists():
                print(f"writing {path}", file=sys.stderr)
                cmd = [sys.executable, __file__, "--make", str(path), str(a.mb)]
                subprocess.run(cmd, check=True)
            inputs.append(path)
        best: dict[tuple[str, str, str], tuple[float, float, int | None, list[str]]] = {}
        for r in range(a.rounds):
            for path in inputs:
                for src in srcs:
                    for tool in tools:
                        wall, rss, found, failure = run_tool(tool, path, src, tmp)
                        key = (path.name, src, tool)
                        w0, r0, _, fails = best.get(key, (float("inf"), 0.0, None, []))
                        best[key] = (min(w0, wall), max(r0, rss), found, fails + [failure])
                        print(
                            f"round {r + 1}, {path.name}, {src or 'mf'}, {tool}: {wall:.2f} s, "
                            f"{rss:.0f} MB, found {found}",
                            file=sys.stderr,
                        )
        print(f"{a.rounds} interleaved round(s); best wall, largest RSS; MB = 10^6 bytes")
        for path in inputs:
            size = path.stat().st_size / MB
            budget = max(1.5 * size, 60.0)
            print(f"\n{path.name}: {size:.1f} MB; RSS budget max(1.5x input, 60 MB) = {budget:.0f}")
            print(
                f"  {'tree':<28} {'tool':<7} {'wall s':>7} {'max RSS MB':>10} {'RSS/input':>9} found"
            )
            for src in srcs:
                for tool in tools:
                    wall, rss, found, fails = best[(path.name, src, tool)]
                    verdict = "within" if rss <= budget else "OVER"
                    print(
                        f"  {(src or 'mf')[-28:]:<28} {tool:<7} {wall:7.2f} {rss:10.0f} "
                        f"{rss / size:8.2f}x {found} ({verdict})"
                    )
                    for failure in dict.fromkeys(f for f in fails if f):
                        print(f"    ! {failure}")
    print(f"\nthis script's own peak RSS (the floor of the RSS figures): {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
