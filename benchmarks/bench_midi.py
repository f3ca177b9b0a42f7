"""Damage valid MIDI files in each way issue 4 names and measure how many notes come back.

usage: python benchmarks/bench_midi.py [CORPUS_DIR ...]

Valid files are taken from the base64 in the corpora (files mido reads); each damage kind is
applied to each, ``find_midi`` + ``repair_midi`` run on the result, and the notes compared with
the original by the F1 of the pitch sequence (as ../shared/bench/score.py does). The kinds
``tag_*`` damage one or two bytes of a chunk tag; ``rs_*`` damage the file written with running
status (a byte above 127, a byte dropped, a cut), where a reading that goes wrong still looks valid.
"""

from __future__ import annotations

import base64
import binascii
import glob
import io
import random
import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable

import mido

from midiforensics.formats.midi.carve import find_midi, repair_midi
from midiforensics.formats.midi.track import parse_track

B64 = re.compile(r"TVRoZ[A-Za-z0-9+/=\s]{20,}")


def valid_files(dirs: list[str]) -> list[bytes]:
    out = []
    for d in dirs:
        for path in sorted(glob.glob(f"{d}/*.txt")):
            with open(path) as f:
                text = f.read()
            for m in B64.finditer(text):
                s = re.sub(r"\s", "", m.group(0)).split("=")[0]
                try:
                    b = base64.b64decode(s + "=" * (-len(s) % 4))
                    mido.MidiFile(file=io.BytesIO(b))
                except (binascii.Error, ValueError, OSError, EOFError, KeyError):
                    continue
                if len(b) < 20000 and b not in out:
                    out.append(b)
    return out


def pitches(smf: bytes) -> list[int]:
    mf = mido.MidiFile(file=io.BytesIO(smf), clip=True)
    got = []
    for tr in mf.tracks:
        t = 0
        for m in tr:
            t += m.time
            if m.type == "note_on" and m.velocity > 0:
                got.append((t / mf.ticks_per_beat, m.note))
    return [p for _, p in sorted(got)]


def f1(truth: list[int], got: list[int]) -> float:
    if not truth or not got:
        return float(truth == got)
    prev = [0] * (len(got) + 1)
    for x in truth:
        cur = [0]
        for j, y in enumerate(got):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    k = prev[-1]
    if not k:
        return 0.0
    p, r = k / len(got), k / len(truth)
    return 2 * p * r / (p + r)


def chunks(b: bytes) -> list[tuple[int, int]]:
    out, pos = [], 14
    while pos + 8 <= len(b):
        size = int.from_bytes(b[pos + 4 : pos + 8], "big")
        out.append((pos, pos + 8 + size))
        pos += 8 + size
    return out


def set_len(b: bytes, t: int, delta: int) -> bytes:
    size = int.from_bytes(b[t + 4 : t + 8], "big") + delta
    return b[: t + 4] + size.to_bytes(4, "big") + b[t + 8 :]


def note_positions(b: bytes) -> list[int]:
    """Offsets of explicit note-on status bytes (a rough scan, good enough to damage)."""
    return [
        i
        for i in range(14, len(b) - 2)
        if b[i] & 0xF0 == 0x90 and b[i + 1] < 128 and b[i + 2] < 128
    ]


def dmg_len_long(b, rnd):
    t, _ = rnd.choice(chunks(b))
    return set_len(b, t, rnd.randint(1, 40))


def dmg_len_short(b, rnd):
    t, e = rnd.choice(chunks(b))
    return set_len(b, t, -rnd.randint(1, min(40, e - t - 9)))


def dmg_no_eot(b, rnd):
    cs = chunks(b)
    t, e = cs[-1]
    if b[e - 3 : e] != b"\xff\x2f\x00":
        return None
    return set_len(b[: e - 4] + b[e:], t, -4)


def dmg_count(b, rnd):
    n = int.from_bytes(b[10:12], "big")
    return b[:10] + (n + rnd.choice([-1, 1, 5])).to_bytes(2, "big") + b[12:]


def dmg_no_header(b, rnd):
    return b[14:]


def dmg_division0(b, rnd):
    return b[:12] + b"\x00\x00" + b[14:]


def dmg_format0(b, rnd):
    return b[:8] + b"\x00\x00" + b[10:] if len(chunks(b)) > 1 else None


def dmg_junk_between(b, rnd):
    _, e = rnd.choice(chunks(b))
    return b[:e] + bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 30))) + b[e:]


def dmg_chunk_between(b, rnd):
    _, e = rnd.choice(chunks(b))
    return b[:e] + b"XFIH" + (6).to_bytes(4, "big") + b"abcdef" + b[e:]


def dmg_riff(b, rnd):
    inner = b"RMID" + b"data" + len(b).to_bytes(4, "little") + b
    return b"RIFF" + len(inner).to_bytes(4, "little") + inner


def dmg_truncate(b, rnd):
    return b[: rnd.randint(len(b) * 2 // 3, len(b) - 2)]


def dmg_high_byte(b, rnd):
    ps = note_positions(b)
    if not ps:
        return None
    i = rnd.choice(ps) + rnd.choice([1, 2])
    return b[:i] + bytes([b[i] | 0x80]) + b[i + 1 :]


def dmg_drop_byte(b, rnd):
    ps = note_positions(b)
    if not ps:
        return None
    i = rnd.choice(ps) + rnd.choice([0, 1, 2])
    return b[:i] + b[i + 1 :]


def dmg_undefined(b, rnd):
    ps = note_positions(b)
    if not ps:
        return None
    i = rnd.choice(ps)
    return b[:i] + bytes([rnd.choice([0xF4, 0xF5, 0xF9, 0xFD]), 0]) + b[i:]


def dmg_tempo(b, rnd):
    i = b.find(b"\xff\x51\x03")
    if i < 0:
        return None
    return b[: i + 3] + b"\x00\x00\x01" + b[i + 6 :]


def dmg_meta_len(b, rnd):
    i = b.find(b"\xff\x51\x03")
    if i < 0:
        i = b.find(b"\xff\x58\x04")
    if i < 0:
        return None
    return b[: i + 2] + bytes([b[i + 2] + rnd.choice([-1, 1])]) + b[i + 3 :]


def retag(b: bytes, at: int, rnd: random.Random) -> bytes:
    """One or two bytes of the 4-byte chunk tag at ``at`` replaced by other bytes."""
    tag = bytearray(b[at : at + 4])
    for i in rnd.sample(range(4), rnd.choice([1, 2])):
        tag[i] = rnd.choice([c for c in range(256) if c != tag[i]])
    return b[:at] + bytes(tag) + b[at + 4 :]


def running(b: bytes) -> bytes:
    """The file written with running status, note-offs as note-ons with velocity 0 (as many
    writers do; mido writes running status); b itself if mido cannot write it."""
    mf = mido.MidiFile(file=io.BytesIO(b))
    for track in mf.tracks:
        for i, msg in enumerate(track):
            if msg.type == "note_off":
                track[i] = mido.Message(
                    "note_on", channel=msg.channel, note=msg.note, velocity=0, time=msg.time
                )
    out = io.BytesIO()
    try:
        mf.save(file=out)
    except ValueError:  # a format 0 file with several tracks
        return b
    return out.getvalue()


def running_notes(b: bytes) -> list[tuple[int, int]]:
    """(start, end) of each note event written with running status in ``b``."""
    out = []
    for t, e in chunks(b):
        tp = parse_track(b, t + 8, e, e)
        ends = [ev.offset for ev in tp.events[1:]] + [tp.end]
        for ev, end in zip(tp.events, ends, strict=True):
            if ev.running and ev.body[0] & 0xE0 == 0x80:
                out.append((ev.offset, end))
    return out


def tag_track(b, rnd):
    t, _ = rnd.choice(chunks(b))
    return retag(b, t, rnd)


def tag_header(b, rnd):
    return retag(b, 0, rnd)


def rs_high_byte(b, rnd):
    b = running(b)
    evs = running_notes(b)
    if not evs:
        return None
    _, end = rnd.choice(evs)
    i = end - rnd.choice([1, 2])
    return b[:i] + bytes([b[i] | 0x80]) + b[i + 1 :]


def rs_drop_byte(b, rnd):
    b = running(b)
    evs = running_notes(b)
    if not evs:
        return None
    start, end = rnd.choice(evs)
    i = rnd.randrange(start, end)
    return b[:i] + b[i + 1 :]


def rs_truncate(b, rnd):
    return dmg_truncate(running(b), rnd)


DAMAGE: dict[str, Callable] = {k[4:]: v for k, v in globals().items() if k.startswith("dmg_")}
# Damage added later draws from a random source of its own, so the kinds above keep their cases.
LATER: dict[str, Callable] = {
    k: v for k, v in globals().items() if k.startswith(("tag_", "rs_")) and callable(v)
}


def main() -> None:
    dirs = sys.argv[1:] or ["../shared/corpus/dev", "../shared/corpus/peer-jazz-soft"]
    files = valid_files(dirs)
    rnd = random.Random(4)
    later = random.Random(5)
    scores: dict[str, list[float]] = defaultdict(list)
    t0 = time.perf_counter()
    for b in files:
        truth = pitches(b)
        if not truth:
            continue
        kinds = [(name, dmg, rnd) for name, dmg in DAMAGE.items()]
        kinds += [(name, dmg, later) for name, dmg in LATER.items()]
        for name, dmg, source in kinds:
            bad = dmg(b, source)
            if bad is None:
                continue
            best = 0.0
            for a, e in find_midi(bad):
                res = repair_midi(bad[a:e])
                if res is not None:
                    best = max(best, f1(truth, pitches(res.midi)))
            scores[name].append(best)
    for name, s in sorted(scores.items()):
        print(f"{name:16} n={len(s):3d} recovery={sum(s) / len(s):.3f}")
    allv = [x for s in scores.values() for x in s]
    print(
        f"ALL {len(allv)} cases recovery={sum(allv) / len(allv):.3f} in {time.perf_counter() - t0:.1f}s"
    )


if __name__ == "__main__":
    main()
