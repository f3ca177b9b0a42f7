"""Do no harm: music21's bundled MusicXML/MXL corpus pasted into chat, against music21's reading.

Each corpus file is pasted three ways: ``raw`` (the MusicXML text between two prose paragraphs),
``b64`` (the MusicXML text base64-encoded in a chat-like answer) and ``mxl`` (the file zipped as
MXL, base64-encoded in prose). ``mf``'s written ``.musicxml`` is read back with music21 and its
notes (pitch and onset in quarters, chords expanded, repeats not expanded) compared with
music21's own reading of the corpus file. A naive script (find the XML or the base64, decode,
``music21.converter.parse``) is measured the same way, for comparison.

    .venv/bin/python benchmarks/bench_noharm.py [--limit N] [--kinds raw,b64,mxl] [--jobs N]
"""

from __future__ import annotations

import argparse
import base64
import io
import re
import sys
import tempfile
import time
import warnings
import zipfile
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TextIO

KINDS = ("raw", "b64", "mxl")
INTRO = (
    "Sure, here is the score you asked for. It is a short piece in the style you wanted, with "
    "the melody on top and the harmony underneath. "
)
OUTRO = (
    "\n\nLet me know if you would like it transposed, or if you want the dynamics changed. You "
    "can open it in MuseScore or any other notation program.\n"
)
_CONTAINER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<container><rootfiles>'
    '<rootfile full-path="score.xml"/></rootfiles></container>\n'
)


def corpus_files() -> list[str]:
    """Every MusicXML/MXL file of music21's corpus, interleaved by composer folder so that a
    ``--limit`` sample covers many editors and styles (deterministic)."""
    from music21 import corpus

    groups: dict[str, list[str]] = defaultdict(list)
    for p in sorted(str(x) for x in corpus.getPaths(fileExtensions=["xml", "mxl", "musicxml"])):
        groups[p.split("/corpus/")[-1].split("/")[0]].append(p)
    out: list[str] = []
    lists = [groups[k] for k in sorted(groups)]
    for i in range(max(len(v) for v in lists)):
        out.extend(v[i] for v in lists if i < len(v))
    return out


def score_text(path: str) -> bytes:
    """The MusicXML bytes of a corpus file (the root score of an MXL)."""
    data = Path(path).read_bytes()
    if not data.startswith(b"PK"):
        return data
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        root = re.search(rb'full-path="([^"]+)"', zf.read("META-INF/container.xml"))
        assert root is not None
        return zf.read(root.group(1).decode())


def as_text(data: bytes) -> str:
    """The characters of a score file, as a user pasting it would have them (UTF-16 too)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    return data.decode("utf-8-sig", "replace")


def as_mxl(path: str) -> bytes:
    data = Path(path).read_bytes()
    if data.startswith(b"PK"):
        return data
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("META-INF/container.xml", _CONTAINER)
        zf.writestr("score.xml", data)
    return buf.getvalue()


def pasted(path: str, kind: str) -> str:
    """The chat answer holding the file in the given form."""
    if kind == "raw":
        return INTRO + "\n\n" + as_text(score_text(path)) + OUTRO
    data = score_text(path) if kind == "b64" else as_mxl(path)
    b64 = base64.b64encode(data).decode("ascii")
    lines = "\n".join(b64[i : i + 76] for i in range(0, len(b64), 76))
    return INTRO + "Here it is in base64:\n\n```\n" + lines + "\n```" + OUTRO


def notes_of(score: object) -> list[tuple[float, int]]:
    """(onset in quarters, MIDI pitch) of every sounding pitch, chords expanded, sorted."""
    out = []
    for n in score.flatten().notes:  # type: ignore[attr-defined]
        for p in n.pitches:
            out.append((round(float(n.offset), 4), int(round(p.ps))))
    return sorted(out)


def reference(path: str) -> list[tuple[float, int]]:
    from music21 import converter

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return notes_of(converter.parse(path, forceSource=True))


def f1(ref: list[tuple[float, int]], got: list[tuple[float, int]]) -> float:
    if not ref and not got:
        return 1.0
    common = sum((Counter(ref) & Counter(got)).values())
    return 2 * common / (len(ref) + len(got)) if ref or got else 1.0


def run_mf(text: str) -> tuple[list[tuple[float, int]], str]:
    from music21 import converter

    import midiforensics

    with tempfile.TemporaryDirectory() as tmp:
        report = midiforensics.decode(text, out_dir=tmp)
        xmls = [a for a in report.artifacts if a.kind == "musicxml"]
        got: list[tuple[float, int]] = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for a in xmls:
                got.extend(notes_of(converter.parse(a.path, format="musicxml", forceSource=True)))
    why = f"{len(xmls)} scores written"
    if xmls:
        why += " (" + ", ".join(sorted({a.verdict for a in xmls})) + ")"
    if report.problems:
        why += "; problems: " + "; ".join(str(p.message)[:80] for p in report.problems[:2])
    return sorted(got), why


_B64_RUN = re.compile(r"[A-Za-z0-9+/=\n]{200,}")
_XML = re.compile(
    r"<\?xml.*?</score-(?:partwise|timewise)>|<score-partwise.*?</score-partwise>", re.S
)


def run_naive(text: str, kind: str) -> tuple[list[tuple[float, int]], str]:
    """What a short script does: take the XML (or the longest base64 run), decode, parse."""
    from music21 import converter

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "raw":
            m = _XML.search(text)
            if not m:
                return [], "no XML found"
            s = converter.parseData(m.group(0), format="musicxml", forceSource=True)
            return notes_of(s), "parsed"
        run = max(_B64_RUN.findall(text), key=len, default="")
        data = base64.b64decode(run.replace("\n", ""))
        suffix = ".mxl" if data.startswith(b"PK") else ".musicxml"
        with tempfile.NamedTemporaryFile(suffix=suffix) as fh:
            fh.write(data)
            fh.flush()
            return notes_of(converter.parse(fh.name, forceSource=True)), "parsed"


def one(path: str, kinds: tuple[str, ...]) -> list[tuple[str, str, str, float, float, str]]:
    """[(kind, path, tool, identical, f1, reason)] for one corpus file."""
    rows = []
    try:
        ref = reference(path)
    except Exception as exc:  # music21 cannot read the corpus file itself: skip it
        return [("skip", path, "ref", 0.0, 0.0, f"music21 refuses it: {type(exc).__name__}")]
    for kind in kinds:
        text = pasted(path, kind)
        for tool in ("mf", "naive"):
            try:
                got, why = run_mf(text) if tool == "mf" else run_naive(text, kind)
            except Exception as exc:
                got, why = [], f"raised {type(exc).__name__}: {str(exc)[:80]}"
            same = float(got == ref)
            if not same:
                why = f"{len(got)} of {len(ref)} notes; " + why
            rows.append((kind, path, tool, same, f1(ref, got), why))
            if tool == "mf" and not same:
                short = path.split("/corpus/")[-1]
                print(f"FAIL mf {kind} {short}: F1 {f1(ref, got):.3f}: {why}", file=sys.stderr)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--kinds", default=",".join(KINDS))
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--max-bytes", type=int, default=0, help="skip files larger than this")
    args = ap.parse_args()
    kinds = tuple(k for k in args.kinds.split(",") if k in KINDS)
    files = corpus_files()
    if args.max_bytes:
        files = [f for f in files if Path(f).stat().st_size <= args.max_bytes]
    if args.limit:
        files = files[: args.limit]
    t0 = time.time()
    rows: list[tuple[str, str, str, float, float, str]] = []
    with ProcessPoolExecutor(max(1, args.jobs)) as ex:
        for i, got in enumerate(ex.map(one, files, [kinds] * len(files)), 1):
            rows.extend(got)
            if i % 20 == 0 and i < len(files):  # a running summary, in case the run is cut
                print(f"... {i}/{len(files)} files, {time.time() - t0:.0f} s", file=sys.stderr)
                summary(rows, kinds, i, time.time() - t0, sys.stderr)
    summary(rows, kinds, len(files), time.time() - t0, sys.stdout)
    failures(rows, kinds)


def summary(
    rows: list[tuple[str, str, str, float, float, str]],
    kinds: tuple[str, ...],
    n: int,
    secs: float,
    out: TextIO,
) -> None:
    skipped = [r for r in rows if r[0] == "skip"]
    print(f"{n} corpus files ({len(skipped)} music21 cannot read), {secs:.0f} s", file=out)
    for kind in kinds:
        for tool in ("mf", "naive"):
            sel = [r for r in rows if r[0] == kind and r[2] == tool]
            if not sel:
                continue
            same = sum(r[3] for r in sel) / len(sel)
            mean = sum(r[4] for r in sel) / len(sel)
            print(
                f"{kind:4} {tool:5} files {len(sel):4}  note-identical {same:.3f}  mean F1 {mean:.4f}",
                file=out,
            )
    out.flush()


def failures(rows: list[tuple[str, str, str, float, float, str]], kinds: tuple[str, ...]) -> None:
    for kind in kinds:
        for r in rows:
            if r[0] == kind and r[2] == "mf" and not r[3]:
                print(f"FAIL mf {kind} {r[1].split('/corpus/')[-1]}: F1 {r[4]:.3f}: {r[5]}")
    for r in rows:
        if r[0] == "skip":
            print(f"SKIP {r[1].split('/corpus/')[-1]}: {r[5]}")


if __name__ == "__main__":
    main()
