"""Do no harm on real ABC: music21's bundled .abc tunes, pasted raw in a chat answer and as a
JSON string, must come out of ``decode()`` note-identical (pitch + onset) with music21's own
reading of each tune.

Usage: bench_abc_noharm.py [--every N] [--max-tunes N] [--show N]
``--every N`` reads every N-th tune of the corpus (deterministic), for a quicker run.
Prints files, tunes, the note-identical share per wrapping, and each failure with a reason.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
import tempfile
import time
import warnings
from collections import Counter
from fractions import Fraction
from pathlib import Path

import mido

Notes = list[tuple[Fraction, int]]
_X = re.compile(r"^X:\s*\d+", re.M)


def tunes_of(text: str) -> list[str]:
    """Each tune of an ABC file: from its X: line to the blank line or X: line that ends it."""
    out = []
    starts = [m.start() for m in _X.finditer(text)]
    for i, s in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        block = text[s:end]
        blank = re.search(r"\n[ \t]*\n", block)
        out.append(block[: blank.start() + 1] if blank else block)
    return out


def midi_notes(data: bytes) -> Notes:
    """[(onset in beats, pitch)] of every sounding note, sorted."""
    mf = mido.MidiFile(file=io.BytesIO(data))
    out = []
    for tr in mf.tracks:
        t = 0
        for m in tr:
            t += m.time
            if m.type == "note_on" and m.velocity > 0:
                out.append((Fraction(t, mf.ticks_per_beat), m.note))
    return sorted(out)


def music21_notes(tune: str) -> Notes | None:
    """music21's own reading of the tune, as its MIDI writer plays it; None when it refuses."""
    from music21 import converter
    from music21 import midi as m21midi

    try:
        score = converter.parse(tune, format="abc")
        data = m21midi.translate.music21ObjectToMidiFile(score).writestr()
        return midi_notes(data)
    except Exception:  # music21 raises many types on what it cannot read
        return None


def decoded_notes(text: str) -> tuple[Notes, str]:
    """Notes of every .mid that ``decode()`` writes for the text, and the verdicts."""
    from midiforensics import decode

    with tempfile.TemporaryDirectory() as out:
        report = decode(text, out_dir=out)
        notes: Notes = []
        verdicts = []
        for a in report.artifacts:
            if a.kind == "midi":
                notes += midi_notes(Path(a.path).read_bytes())
                verdicts.append(a.verdict)
    return sorted(notes), ",".join(verdicts) or "nothing written"


def wrappings(tune: str) -> dict[str, str]:
    return {
        "chat": f"Here is the tune you asked for:\n\n{tune}\nEnjoy playing it!\n",
        "json": 'log: {"role": "assistant", "abc": ' + json.dumps(tune) + "}\n",
    }


def why(tune: str, want: Notes, got: Notes) -> str:
    from midiforensics.formats.abc.render import grouped_voices

    if not got:
        return "no notes written"
    if grouped_voices(tune) != tune:
        return "voices gathered per part (music21 plays [V:] blocks one after another)"
    if len(want) != len(got):
        return f"{len(got)} notes, music21 reads {len(want)}"
    if [p for _, p in want] != [p for _, p in got]:
        k = next(i for i, (a, b) in enumerate(zip(want, got, strict=True)) if a[1] != b[1])
        return f"pitch differs at note {k}: {got[k][1]} for {want[k][1]}"
    k = next(i for i, (a, b) in enumerate(zip(want, got, strict=True)) if a != b)
    return f"onset differs at note {k}: {float(got[k][0])} for {float(want[k][0])} beats"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--every", type=int, default=1)
    ap.add_argument("--max-tunes", type=int, default=0)
    ap.add_argument("--show", type=int, default=30)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    from music21 import corpus

    paths = sorted(str(p) for p in corpus.getPaths(fileExtensions=["abc"]))
    files = tunes = refused = 0
    same: Counter[str] = Counter()
    fails: list[str] = []
    reasons: Counter[str] = Counter()
    t0 = time.monotonic()
    index = 0
    for path in paths:
        files += 1
        text = Path(path).read_text(encoding="latin-1")
        for tune in tunes_of(text):
            index += 1
            if (index - 1) % args.every:
                continue
            if args.max_tunes and tunes >= args.max_tunes:
                break
            want = music21_notes(tune)
            if not want:
                refused += 1
                continue
            tunes += 1
            for name, wrapped in wrappings(tune).items():
                got, verdicts = decoded_notes(wrapped)
                if got == want:
                    same[name] += 1
                    continue
                reason = why(tune, want, got)
                reasons[re.sub(r" at note \d+:.*|\d+", "N", reason)] += 1
                title = tune.splitlines()[0]
                fails.append(f"{Path(path).name} {title} [{name}, {verdicts}]: {reason}")
    secs = time.monotonic() - t0
    print(f"files {files}, tunes read {tunes} (every {args.every}), music21 refused {refused}")
    for name in ("chat", "json"):
        share = same[name] / tunes if tunes else 0.0
        print(f"{name}: note-identical {same[name]}/{tunes} = {share:.4f}")
    print(f"time {secs:.0f} s")
    for line in fails[: args.show]:
        print("  FAIL", line)
    if len(fails) > args.show:
        print(f"  ... and {len(fails) - args.show} more")
    print("failure kinds:", dict(reasons.most_common(10)))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
