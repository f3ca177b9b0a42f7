"""Recovery on freshly generated unseen cases (benchmarks/gen_cases.py), scored by score.py.

usage: python benchmarks/bench_recovery.py [--seed N ...] [--per-family K] [--only FAMILY]
                                           [--keep DIR] [--score PATH]

Generates cases into a temporary folder (or --keep DIR), runs the shared scorer with
``.venv/bin/mf decode {input} -o {out}``, prints its per-family table and summary line, then
lists every case that scored below 1 with a one-line reason: crash, nothing written, a piece
missing, or the notes that differ from the truth (with the damage the generator applied).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from gen_cases import generate  # noqa: E402

SCORE = ROOT.parent / "shared" / "bench" / "score.py"
MF = ROOT / ".venv" / "bin" / "mf"
PY = ROOT / ".venv" / "bin" / "python"


def load_scorer(path: Path):  # noqa: ANN201 - a module
    spec = importlib.util.spec_from_file_location("score", path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def diff_notes(truth: list[int], got: list[int]) -> str:
    """A short description of how two pitch sequences differ."""
    import difflib

    sm = difflib.SequenceMatcher(a=truth, b=got, autojunk=False)
    parts = []
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            continue
        a, b = truth[i1:i2], got[j1:j2]
        sa = " ".join(map(str, a[:4])) + (" ..." if len(a) > 4 else "")
        sb = " ".join(map(str, b[:4])) + (" ..." if len(b) > 4 else "")
        parts.append(f"@{i1}: [{sa}]->[{sb}]")
    return "; ".join(parts[:3]) + (f" (+{len(parts) - 3} more)" if len(parts) > 3 else "")


def reason(case: Path, res: dict, scorer) -> str:  # noqa: ANN001
    truth = json.loads(case.with_name(case.name[:-4] + ".truth.json").read_text())
    dmg = truth.get("damage", "")
    if res["rc"] not in (0, 1):
        return f"CRASH rc={res['rc']} {res['err'].strip().splitlines()[-1:] if res['err'] else ''} [{dmg}]"
    with tempfile.TemporaryDirectory() as td:
        out = Path(td) / "out"
        p = subprocess.run(
            [str(MF), "decode", str(case), "-o", str(out), "--json"],
            capture_output=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
        try:
            rep = json.loads(p.stdout.decode(errors="replace"))
            verdict = rep.get("verdict", "")
        except ValueError:
            verdict = "(no json report)"
        files = [f for f in out.rglob("*") if f.is_file() and f.suffix.lower() in scorer.MUSIC]
        got = {f.name: scorer.notes_of(str(f)) for f in files}
    loaded = {k: v for k, v in got.items() if v}
    if truth["negative"]:
        return (
            f"NEG produced music: {', '.join(f'{k}({len(v)})' for k, v in loaded.items())} [{dmg}]"
        )
    if not loaded:
        return f"NO MUSIC written ({len(files)} files, verdict: {verdict}) [{dmg}]"
    bits = []
    used: set[str] = set()
    for i, piece in enumerate(truth["pieces"]):
        tp = [p for _, p, _ in sorted((o, p, d) for o, p, d in piece)]
        best, bf = 0.0, None
        for f, n in loaded.items():
            if f in used:
                continue
            s = scorer.f1(list(enumerate(tp)), n)
            if s > best:
                best, bf = s, f
        if bf is None:
            bits.append(f"piece{i} ({len(tp)} notes) MISSING")
            continue
        used.add(bf)
        if best < 1:
            gp = [p for _, p in loaded[bf]]
            bits.append(
                f"piece{i} f1={best:.2f} truth {len(tp)} got {len(gp)} in {bf}: {diff_notes(tp, gp)}"
            )
    lost = truth.get("lost_notes", 0)
    extra = f" lost_in_damage={lost}" if lost else ""
    return f"{' | '.join(bits) or 'files ok?'} (verdict: {verdict}) [{dmg}{extra}]"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, nargs="+", default=[1])
    ap.add_argument("--per-family", type=int, default=6)
    ap.add_argument("--only", default="")
    ap.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    ap.add_argument("--score", type=Path, default=SCORE)
    ap.add_argument("--timeout", type=float, default=60)
    a = ap.parse_args()
    scorer = load_scorer(a.score)
    with tempfile.TemporaryDirectory() as td:
        corpus = a.keep or Path(td) / "corpus"
        for seed in a.seed:
            generate(corpus, seed, a.per_family, a.only)
        rj = Path(td) / "score.json"
        cmd = [
            str(PY),
            str(a.score),
            str(corpus),
            "--cmd",
            f"{MF} decode {{input}} -o {{out}}",
            "--json",
            str(rj),
            "--timeout",
            str(a.timeout),
        ]
        p = subprocess.run(cmd, capture_output=True, text=True)
        print(p.stdout, end="")
        if p.returncode != 0:
            print(p.stderr, file=sys.stderr)
            return p.returncode
        results = json.loads(rj.read_text())["results"]
        failing = [r for r in results if r["score"] < 1]
        print(f"\nfailing cases: {len(failing)} of {len(results)}")
        for r in sorted(failing, key=lambda r: (r["family"], r["case"])):
            why = reason(corpus / r["case"], r, scorer)
            print(f"  {r['case']:32} {r['score']:.3f}  {why}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
