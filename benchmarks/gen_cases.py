"""Generate unseen recovery cases in the shared corpus format (NAME.txt + NAME.truth.json).

usage: python benchmarks/gen_cases.py OUTDIR [--seed N] [--per-family K] [--only FAMILY]

Every case is built from music this script makes itself (MIDI with mido, MusicXML and ABC
written as text), so its truth is exact: ``pieces`` is a list of pieces, each a list of
``[onset_q, midi_pitch, dur_q]`` in onset order. Where damage destroys bytes (dropped base64
characters, substituted letters, truncation) the notes whose events sit in the lost bytes are
left out of the truth and counted in ``lost_notes`` (score.py ignores extra keys); ``damage``
says in a few words what was done to the case, so a failing case can be read at a glance.
Generation is deterministic for a given seed.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import html
import io
import json
import random
import string
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import mido

PROSE = [
    "Sure! Here is the MIDI file you asked for, encoded in base64.",
    "Below is a short melody that you can save and play.",
    "I hope this helps with your project!",
    "Let me know if you would like a longer version or a different key.",
    "You can decode it with any base64 tool and open it in your DAW.",
    "The melody rises through the scale and then resolves to the tonic.",
    "This piece uses a simple piano voice and a moderate tempo.",
    "The rhythm is mostly quarter notes with a few eighths for variety.",
    "Note that some players may need the file extension to be .mid.",
    "I have encoded the file so that it can be pasted into a text box.",
    "Here's a little tune in a gentle waltz feel - enjoy!",
    "Feel free to tweak the velocities if it sounds too loud.",
    "Great question! Music encoding can be tricky, so I kept it simple.",
    "If your player complains, try importing it into MuseScore instead.",
    "The bass line follows the root of each chord.",
    "Of course! I've added a second track with a counter-melody.",
    "As an AI language model I cannot play audio, but this file should work.",
    "The tempo is set in the first track, as most sequencers expect.",
]
CONTINUED = [
    "(continued in the next block)",
    "The blob is long, so it is continued in the next block:",
    "Continued below because of the message length limit.",
    "...continued in the next block.",
    "Part 2 of the file (continue from where the previous block ended):",
]
FENCE_TAGS = ["", "text", "base64", "plaintext", "txt", "midi", "b64", "none"]
STEPS = ["C", "C", "D", "D", "E", "F", "F", "G", "G", "A", "B"]
STEP_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
QDUR = [0.5, 1.0, 1.0, 1.0, 1.5, 2.0]
TYPE_OF = {0.5: "eighth", 1.0: "quarter", 1.5: "quarter", 2.0: "half", 3.0: "half", 4.0: "whole"}
DOTTED = {1.5, 3.0}


# ---------------------------------------------------------------- music -----------------------


@dataclass
class Song:
    """Notes per track as (onset_q, pitch, dur_q); everything needed to write it as SMF."""

    tracks: list[list[tuple[float, int, float]]]
    tpb: int = 480
    tempo: int = 500000
    fmt: int = 1
    conductor: bool = False
    names: list[str] = field(default_factory=list)

    def notes(self) -> list[list[float | int]]:
        allnotes = sorted((o, p, d) for tr in self.tracks for (o, p, d) in tr)
        return [[o, p, d] for o, p, d in allnotes]


def melody(rng: random.Random, n: int, lo: int, hi: int) -> list[tuple[float, int, float]]:
    """A monophonic line of n notes, stepwise mostly, with occasional rests."""
    out, t = [], 0.0
    p = rng.randint(lo + 4, hi - 4)
    for _ in range(n):
        p = max(lo, min(hi, p + rng.choice([-4, -2, -2, -1, 0, 1, 2, 2, 3, 5, -5])))
        d = rng.choice(QDUR)
        out.append((t, p, d))
        t += d + (rng.choice([0.0] * 6 + [0.5, 1.0]))
    return out


def make_song(
    rng: random.Random, ntracks: int | None = None, nnotes: tuple[int, int] = (8, 24)
) -> Song:
    ntracks = ntracks or rng.choice([1, 1, 1, 2, 2, 3, 4])
    ranges = [(60, 84), (43, 60), (55, 72), (48, 67)]
    tracks = [melody(rng, rng.randint(*nnotes), *ranges[i % 4]) for i in range(ntracks)]
    fmt = 0 if ntracks == 1 and rng.random() < 0.5 else 1
    return Song(
        tracks=tracks,
        tpb=rng.choice([96, 120, 192, 240, 384, 480, 480, 960]),
        tempo=int(60_000_000 / rng.randint(60, 180)),
        fmt=fmt,
        conductor=fmt == 1 and rng.random() < 0.4,
        names=[
            rng.choice(["Piano", "Melody", "Bass", "Part 1", "Lead", "Strings"]) for _ in tracks
        ],
    )


def varint(v: int) -> bytes:
    out = [v & 0x7F]
    v >>= 7
    while v:
        out.append(0x80 | (v & 0x7F))
        v >>= 7
    return bytes(reversed(out))


@dataclass
class Chunk:
    body: bytes
    # (start, end, onset_q, pitch, dur_q) byte span of each note-on event (delta included)
    spans: list[tuple[int, int, float, int, float]]


def track_chunk(
    song: Song,
    notes: list[tuple[float, int, float]],
    ch: int,
    name: str,
    tempo: bool,
    running: bool,
    off_as_zero_on: bool,
    eot: bool = True,
) -> Chunk:
    evs: list[tuple[int, int, list[int], tuple[float, int, float] | None]] = []
    for o, p, d in notes:
        on, off = round(o * song.tpb), round((o + d) * song.tpb)
        vel = 64 + (p * 7) % 40
        evs.append(
            (on, 1, mido.Message("note_on", channel=ch, note=p, velocity=vel).bytes(), (o, p, d))
        )
        if off_as_zero_on:
            evs.append(
                (off, 0, mido.Message("note_on", channel=ch, note=p, velocity=0).bytes(), None)
            )
        else:
            evs.append(
                (off, 0, mido.Message("note_off", channel=ch, note=p, velocity=64).bytes(), None)
            )
    evs.sort(key=lambda e: (e[0], e[1]))
    body = bytearray(b"\x00" + bytes(mido.MetaMessage("track_name", name=name).bytes()))
    if tempo:
        body += b"\x00" + bytes(mido.MetaMessage("set_tempo", tempo=song.tempo).bytes())
    if ch == 0 and tempo:
        body += b"\x00" + bytes(
            mido.MetaMessage("time_signature", numerator=4, denominator=4).bytes()
        )
    spans = []
    now, status = 0, None
    for tick, _, data, note in evs:
        start = len(body)
        body += varint(tick - now)
        now = tick
        if running and data[0] == status:
            body += bytes(data[1:])
        else:
            body += bytes(data)
        status = data[0]
        if note:
            spans.append((start + 8, len(body) + 8, *note))  # +8: offsets within the chunk
    if eot:
        body += b"\x00\xff\x2f\x00"
    return Chunk(bytes(body), spans)


@dataclass
class Smf:
    data: bytes
    spans: list[tuple[int, int, float, int, float]]  # absolute byte spans of note-on events


def build_smf(
    song: Song, rng: random.Random, running: bool | None = None, eot: bool = True
) -> tuple[bytes, list[Chunk]]:
    running = rng.random() < 0.6 if running is None else running
    zero_on = rng.random() < 0.5
    chunks = []
    if song.conductor:
        body = (
            b"\x00"
            + bytes(mido.MetaMessage("set_tempo", tempo=song.tempo).bytes())
            + b"\x00\xff\x2f\x00"
        )
        chunks.append(Chunk(body, []))
    for i, tr in enumerate(song.tracks):
        chunks.append(
            track_chunk(
                song,
                tr,
                i if i < 9 else i + 1,
                song.names[i],
                i == 0 and not song.conductor,
                running,
                zero_on,
                eot,
            )
        )
    ntr = len(chunks)
    fmt = song.fmt if ntr == 1 else 1
    header = (
        b"MThd"
        + (6).to_bytes(4, "big")
        + fmt.to_bytes(2, "big")
        + ntr.to_bytes(2, "big")
        + song.tpb.to_bytes(2, "big")
    )
    return header, chunks


def assemble(
    header: bytes,
    chunks: list[Chunk],
    lengths: list[int] | None = None,
    junk: list[bytes] | None = None,
) -> Smf:
    out = bytearray(header)
    spans = []
    for i, c in enumerate(chunks):
        if junk and junk[i]:
            out += junk[i]
        base = len(out)
        ln = lengths[i] if lengths else len(c.body)
        out += b"MTrk" + ln.to_bytes(4, "big") + c.body
        spans += [(base + s, base + e, o, p, d) for s, e, o, p, d in c.spans]
    return Smf(bytes(out), spans)


def smf_of(song: Song, rng: random.Random, **kw: bool) -> Smf:
    header, chunks = build_smf(song, rng, **kw)
    return assemble(header, chunks)


def notes_outside(
    spans: list[tuple[int, int, float, int, float]], lost: list[tuple[int, int]]
) -> tuple[list[list[float | int]], int]:
    """Notes whose note-on bytes do not touch any lost [a, b) byte range; and how many were lost."""
    keep, gone = [], 0
    for s, e, o, p, d in spans:
        if any(s < b and a < e for a, b in lost):
            gone += 1
        else:
            keep.append((o, p, d))
    keep.sort()
    return [[o, p, d] for o, p, d in keep], gone


# ---------------------------------------------------------------- text dressing ----------------


def prose(rng: random.Random, lo: int = 1, hi: int = 3) -> str:
    return " ".join(rng.sample(PROSE, rng.randint(lo, hi)))


def wrap(s: str, width: int) -> list[str]:
    return [s[i : i + width] for i in range(0, len(s), width)] or [""]


def fence(lines: list[str], rng: random.Random, tag: str | None = None) -> str:
    tag = rng.choice(FENCE_TAGS) if tag is None else tag
    if tag == "none":
        return "\n".join(lines)
    ind = rng.choice(["", "", "", "    ", "  ", "\t"])
    body = "\n".join(ind + ln for ln in lines)
    return f"{ind}```{tag}\n{body}\n{ind}```"


def dress(rng: random.Random, middle: str) -> str:
    parts = []
    if rng.random() < 0.85:
        parts.append(prose(rng))
    parts.append(middle)
    if rng.random() < 0.7:
        parts.append(prose(rng))
    text = rng.choice(["\n\n", "\n"]).join(parts) + "\n"
    if rng.random() < 0.25:
        text = text.replace("\n", "\r\n")
    return text


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def wrapped_b64(rng: random.Random, data: bytes) -> list[str]:
    return wrap(b64(data), rng.randint(40, 120))


# ---------------------------------------------------------------- families ---------------------


@dataclass
class Case:
    text: str
    pieces: list[list[list[float | int]]]
    damage: str
    negative: bool = False
    lost: int = 0


def fam_clean_b64(rng: random.Random) -> Case:
    kind = rng.choice(
        [
            "json",
            "data_mime",
            "data_nomime",
            "pre",
            "blockquote",
            "glued",
            "oneline",
            "urlsafe",
            "nopad",
            "extrapad",
            "several",
            "fence_indent",
        ]
    )
    song = make_song(rng)
    smf = smf_of(song, rng)
    s = b64(smf.data)
    pieces = [song.notes()]
    if kind == "json":
        w = rng.randint(40, 120)
        esc = "\\n".join(wrap(s, w)) if rng.random() < 0.6 else s
        esc = esc.replace("/", "\\/")
        obj = (
            '{"role": "assistant", "content": "'
            + prose(rng)
            + "\\n\\n"
            + esc
            + "\\n\\n"
            + prose(rng)
            + '"}'
        )
        mid = obj
    elif kind in ("data_mime", "data_nomime"):
        mime = (
            rng.choice(["audio/midi", "audio/x-midi", "application/octet-stream"])
            if kind == "data_mime"
            else ""
        )
        uri = f"data:{mime};base64,{s}"
        mid = rng.choice([uri, f'<a href="{uri}">download</a>', f"[song.mid]({uri})"])
    elif kind == "pre":
        mid = "<pre>\n" + "\n".join(wrapped_b64(rng, smf.data)) + "\n</pre>"
    elif kind == "blockquote":
        mid = "\n".join("> " + ln for ln in wrapped_b64(rng, smf.data))
    elif kind == "glued":
        mid = (
            rng.choice(["Here it is:", "MIDI:", ""])
            + s
            + rng.choice(["Edit", "Retry", "Copy", "Edit[Claude", "RetryJR"])
        )
    elif kind == "oneline":
        mid = s
    elif kind == "urlsafe":
        s2 = base64.urlsafe_b64encode(smf.data).decode()
        if rng.random() < 0.5:
            s2 = s2.rstrip("=")
        mid = fence(wrap(s2, rng.randint(40, 120)), rng)
    elif kind == "nopad":
        mid = fence(wrap(s.rstrip("="), rng.randint(40, 120)), rng)
    elif kind == "extrapad":
        mid = fence(wrap(s + "=" * rng.randint(1, 3), rng.randint(40, 120)), rng)
    elif kind == "fence_indent":
        lines = wrapped_b64(rng, smf.data)
        ind = rng.choice(["    ", "  ", "\t"])
        mid = "\n".join(ind + ln for ln in lines)
    else:  # several
        blocks = [fence(wrapped_b64(rng, smf.data), rng)]
        for _ in range(rng.randint(1, 2)):
            song2 = make_song(rng)
            blocks.append(
                prose(rng) + "\n\n" + fence(wrapped_b64(rng, smf_of(song2, rng).data), rng)
            )
            pieces.append(song2.notes())
        mid = "\n\n".join(blocks)
    return Case(
        dress(rng, mid), pieces, f"clean_b64/{kind} tracks={len(song.tracks)} tpb={song.tpb}"
    )


def damage_points(rng: random.Random, n: int, k: int) -> list[int]:
    """k distinct char positions in [0, n), spread out, some near the start or the end."""
    pts: set[int] = set()
    while len(pts) < k:
        r = rng.random()
        if r < 0.15:
            p = rng.randint(8, min(40, n - 1))
        elif r < 0.3:
            p = rng.randint(max(0, n - 80), n - 4)
        else:
            p = rng.randint(8, n - 4)
        if all(abs(p - q) > 24 for q in pts):
            pts.add(p)
    return sorted(pts)


B64CH = string.ascii_letters + string.digits + "+/"


def fam_frameshift(rng: random.Random) -> Case:
    song = make_song(rng, ntracks=1, nnotes=(16, 40))
    smf = smf_of(song, rng)
    s = b64(smf.data)
    k = rng.randint(1, 3)
    pts = damage_points(rng, len(s) - 2, k)
    out, lost, desc, last = [], [], [], 0
    for p in pts:
        out.append(s[last:p])
        m = rng.randint(1, 3)
        if rng.random() < 0.5:  # drop m chars at p
            last = p + m
            a, b = (p * 6) // 8, ((p + m) * 6 + 7) // 8
            lost.append((a - 1, b + 1))
            desc.append(f"drop{m}@{p}")
        else:
            out.append("".join(rng.choice(B64CH) for _ in range(m)))
            last = p
            lost.append(((p * 6) // 8 - 1, (p * 6) // 8 + 2))
            desc.append(f"ins{m}@{p}")
    out.append(s[last:])
    dmg = "".join(out)
    pieces, gone = notes_outside(smf.spans, lost)
    mid = fence(wrap(dmg, rng.randint(40, 120)), rng)
    return Case(
        dress(rng, mid), [pieces], f"frameshift {' '.join(desc)} of {len(s)} chars", lost=gone
    )


def fam_substitution(rng: random.Random) -> Case:
    song = make_song(rng, ntracks=1, nnotes=(16, 40))
    smf = smf_of(song, rng)
    s = list(b64(smf.data))
    k = rng.randint(1, 3)
    pts = damage_points(rng, len(s) - 3, k)
    lost, desc = [], []
    for p in pts:
        c = rng.choice([x for x in B64CH if x != s[p]])
        desc.append(f"{s[p]}->{c}@{p}")
        s[p] = c
        lost.append(((p * 6) // 8, (p * 6) // 8 + 2))
    pieces, gone = notes_outside(smf.spans, lost)
    mid = fence(wrap("".join(s), rng.randint(40, 120)), rng)
    return Case(
        dress(rng, mid), [pieces], f"substitution {' '.join(desc)} of {len(s)} chars", lost=gone
    )


def fam_split(rng: random.Random) -> Case:
    song = make_song(rng, nnotes=(16, 40))
    smf = smf_of(song, rng)
    s = b64(smf.data)
    cut = rng.randint(20, len(s) - 20)
    w = rng.randint(40, 120)
    tag = rng.choice(FENCE_TAGS[:-1])
    a = fence(wrap(s[:cut], w), rng, tag)
    b = fence(wrap(s[cut:], w), rng, tag)
    mid = a + "\n\n" + rng.choice(CONTINUED) + "\n\n" + b
    return Case(dress(rng, mid), [song.notes()], f"split at char {cut}/{len(s)} (mod4={cut % 4})")


def fam_nested(rng: random.Random) -> Case:
    kind = rng.choice(["b64b64", "gzip", "zip", "hex_in_b64", "b64b64_wrapped"])
    song = make_song(rng)
    smf = smf_of(song, rng)
    if kind == "b64b64":
        payload = b64(smf.data).encode()
    elif kind == "b64b64_wrapped":
        payload = "\n".join(wrap(b64(smf.data), 76)).encode()
    elif kind == "gzip":
        payload = gzip.compress(smf.data, mtime=0)
    elif kind == "zip":
        bio = io.BytesIO()
        with zipfile.ZipFile(bio, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(rng.choice(["song.mid", "melody.mid", "out/track.midi"]), smf.data)
        payload = bio.getvalue()
    else:
        hx = smf.data.hex(" ").upper() if rng.random() < 0.5 else smf.data.hex()
        payload = (prose(rng, 1, 1) + "\n" + "\n".join(wrap(hx, 48)) + "\n").encode()
    mid = fence(wrapped_b64(rng, payload), rng)
    return Case(dress(rng, mid), [song.notes()], f"nested/{kind}")


def hex_render(rng: random.Random, data: bytes, kind: str) -> str:
    if kind in ("spaced_upper", "spaced_lower"):
        h = data.hex(" ")
        h = h.upper() if kind == "spaced_upper" else h
        per = rng.choice([8, 16, 16, 24, 32])
        toks = h.split(" ")
        return "\n".join(" ".join(toks[i : i + per]) for i in range(0, len(toks), per))
    if kind == "c_array":
        lines = [
            "unsigned char midi_data[] = {" if rng.random() < 0.7 else "const uint8_t song[] = {"
        ]
        notes = ["// MThd header", "// track chunk", "// events", "// note on", "# tempo"]
        for i in range(0, len(data), 12):
            row = ", ".join(f"0x{b:02X}" for b in data[i : i + 12])
            cm = (" " + rng.choice(notes[:4])) if rng.random() < 0.3 else ""
            lines.append("    " + row + "," + cm)
        lines.append("};")
        return "\n".join(lines)
    if kind == "xxd":
        rows = []
        for i in range(0, len(data), 16):
            ch = data[i : i + 16]
            groups = " ".join(ch[j : j + 2].hex() for j in range(0, len(ch), 2))
            asc = "".join(chr(b) if 32 <= b < 127 else "." for b in ch)
            rows.append(f"{i:08x}: {groups:<39}  {asc}")
        return "\n".join(rows)
    if kind == "hexdump_c":
        rows = []
        for i in range(0, len(data), 16):
            ch = data[i : i + 16]
            left = " ".join(f"{b:02x}" for b in ch[:8])
            right = " ".join(f"{b:02x}" for b in ch[8:])
            asc = "".join(chr(b) if 32 <= b < 127 else "." for b in ch)
            rows.append(f"{i:08x}  {left:<23}  {right:<23}  |{asc}|")
        rows.append(f"{len(data):08x}")
        return "\n".join(rows)
    if kind == "compact":
        h = data.hex()
        h = h.upper() if rng.random() < 0.5 else h
        return h if rng.random() < 0.5 else "\n".join(wrap(h, rng.choice([64, 80, 96])))
    # python bytes literal, split over lines
    parts = [repr(data[i : i + 20]) for i in range(0, len(data), 20)]
    if rng.random() < 0.5:
        return (
            "midi = (\n"
            + "\n".join("    " + p for p in parts)
            + "\n)\nopen('song.mid', 'wb').write(midi)"
        )
    return "data = " + " \\\n    ".join(parts)


HEX_KINDS = ["spaced_upper", "spaced_lower", "c_array", "xxd", "hexdump_c", "compact", "pybytes"]


def fam_hex(rng: random.Random) -> Case:
    kind = rng.choice(HEX_KINDS)
    song = make_song(rng)
    smf = smf_of(song, rng)
    tag = {"c_array": "c", "pybytes": "python", "xxd": "", "hexdump_c": "console"}.get(kind)
    mid = fence(hex_render(rng, smf.data, kind).split("\n"), rng, tag)
    return Case(dress(rng, mid), [song.notes()], f"hex/{kind}")


def fam_truncated(rng: random.Random) -> Case:
    kind = rng.choice(["b64", "b64", "spaced_upper", "compact", "c_array", "pybytes"])
    song = make_song(rng, ntracks=rng.choice([1, 1, 2]), nnotes=(16, 32))
    smf = smf_of(song, rng)
    ell = rng.choice(["...", "…", " ...", "... (truncated)", "[…]"])
    if kind == "b64":
        s = b64(smf.data)
        cut = rng.randint(len(s) // 3, len(s) - 12)
        nbytes = cut * 6 // 8
        w = rng.randint(40, 120)
        mid = fence(wrap(s[:cut] + ell, w), rng)
    else:
        nbytes = rng.randint(len(smf.data) // 3, len(smf.data) - 6)
        txt = hex_render(rng, smf.data[:nbytes], kind)
        txt = txt.rsplit("\n", 1)[0] + "\n    " + ell if kind in ("c_array",) else txt + ell
        mid = fence(txt.split("\n"), rng)
    pieces, gone = notes_outside(smf.spans, [(nbytes, 1 << 30)])
    return Case(
        dress(rng, mid), [pieces], f"truncated/{kind} at byte {nbytes}/{len(smf.data)}", lost=gone
    )


STRUCT_KINDS = [
    "len_long",
    "len_short",
    "no_eot",
    "ntracks_wrong",
    "no_header",
    "tpb0",
    "junk_between",
    "rmid",
    "trunc_mid_event",
    "data_gt127",
    "undefined_status",
    "format0_multi",
]


def fam_midi_structural(rng: random.Random) -> Case:
    kind = rng.choice(STRUCT_KINDS)
    ntr = 2 if kind in ("junk_between", "format0_multi") else rng.choice([1, 1, 2])
    song = make_song(rng, ntracks=ntr, nnotes=(10, 28))
    song.conductor = False
    header, chunks = build_smf(song, rng, eot=kind != "no_eot")
    lengths = [len(c.body) for c in chunks]
    junk = None
    pieces = [song.notes()]
    lost = 0
    ti = rng.randrange(len(chunks))
    if kind == "len_long":
        lengths[ti] += rng.choice([rng.randint(1, 40), rng.randint(100, 5000)])
    elif kind == "len_short":
        lengths[ti] = max(0, lengths[ti] - rng.randint(1, lengths[ti] - 4))
    elif kind == "ntracks_wrong":
        header = header[:10] + rng.choice([0, 2, 3, 5, 16]).to_bytes(2, "big") + header[12:]
    elif kind == "tpb0":
        header = header[:12] + b"\x00\x00"  # onsets become unknowable; pitch order is scored
    elif kind == "format0_multi":
        header = header[:8] + b"\x00\x00" + header[10:]
    elif kind == "junk_between":
        junk = [b""] + [
            bytes(rng.randrange(256) for _ in range(rng.randint(1, 24))).replace(b"MT", b"mt")
            for _ in chunks[1:]
        ]
    elif kind in ("data_gt127", "undefined_status"):
        c = chunks[ti]
        s, e, *_ = rng.choice(c.spans[1:-1] or c.spans)
        body = bytearray(c.body)
        if kind == "data_gt127":  # velocity byte of a note-on gets the high bit
            body[e - 8 - 1] |= 0x80
        else:
            # an undefined status byte just before this event's status/data (after its delta)
            dpos = s - 8
            while body[dpos] & 0x80:
                dpos += 1
            body.insert(dpos + 1, rng.choice([0xF4, 0xF5, 0xF9, 0xFD]))
            lengths[ti] += 1
        chunks[ti] = Chunk(bytes(body), c.spans)
    smf = assemble(header, chunks, lengths, junk)
    data = smf.data
    if kind == "no_header":
        data = data[14:]
    elif kind == "rmid":
        inner = b"data" + len(data).to_bytes(4, "little") + data
        data = b"RIFF" + (len(inner) + 4).to_bytes(4, "little") + b"RMID" + inner
    elif kind == "trunc_mid_event":
        s, e, *_ = rng.choice(smf.spans[len(smf.spans) // 3 :])
        cut = rng.randint(s + 1, e - 1)
        data = data[:cut]
        pl, lost = notes_outside(smf.spans, [(cut, 1 << 30)])
        pieces = [pl]
    mid = fence(wrapped_b64(rng, data), rng)
    return Case(
        dress(rng, mid),
        pieces,
        f"midi_structural/{kind} tracks={len(chunks)} track={ti}",
        lost=lost,
    )


# ---------------------------------------------------------------- MusicXML ---------------------


def score_notes(
    rng: random.Random, beats: int = 4, nmeas: tuple[int, int] = (3, 6)
) -> list[list[tuple[str, int, int, float]]]:
    """Measures of (step, alter, octave, dur_q) that fill `beats` quarters exactly."""
    meas = []
    for _ in range(rng.randint(*nmeas)):
        left, m = float(beats), []
        while left > 0:
            d = rng.choice([x for x in (0.5, 1.0, 1.0, 1.5, 2.0, 3.0) if x <= left])
            st = rng.choice(STEPS)
            alt = (
                rng.choice([0] * 6 + [1, -1])
                if st not in ("E", "B")
                else rng.choice([0] * 8 + [-1])
            )
            if st in ("C", "F") and alt == -1:
                alt = 0
            m.append((st, alt, rng.choice([4, 4, 5, 3]), d))
            left -= d
        meas.append(m)
    return meas


def midi_of(step: str, alter: int, octave: int) -> int:
    return 12 * (octave + 1) + STEP_PC[step] + alter


def truth_of_measures(meas: list[list[tuple[str, int, int, float]]]) -> list[list[float | int]]:
    out, t = [], 0.0
    for m in meas:
        for st, al, oc, d in m:
            out.append([t, midi_of(st, al, oc), d])
            t += d
    return out


def musicxml_text(
    rng: random.Random,
    meas: list[list[tuple[str, int, int, float]]],
    damage: set[str],
    beats: int = 4,
    tempo: int = 100,
) -> str:
    div = (
        rng.choice([2, 4, 8]) if 0.5 in {d for m in meas for *_, d in m} else rng.choice([1, 2, 4])
    )
    pitch_tag = "p" if "p_tag" in damage else "pitch"
    root = "scope-partwise" if "root" in damage else "score-partwise"
    fifths = "fifthhs" if "fifthhs" in damage else "fifths"
    ind = "  "
    lines = ['<?xml version="1.0" encoding="UTF-8"?>']
    if rng.random() < 0.5:
        lines.append(
            '<!DOCTYPE score-partwise PUBLIC "-//Recordare//DTD MusicXML 3.1 Partwise//EN" '
            '"http://www.musicxml.org/dtds/partwise.dtd">'
        )
    lines += [
        f'<{root} version="3.1">',
        f"{ind}<part-list>",
        f'{ind * 2}<score-part id="P1"><part-name>Music</part-name></score-part>',
        f"{ind}</part-list>",
        f'{ind}<part id="P1">',
    ]
    for mi, m in enumerate(meas):
        lines.append(f'{ind * 2}<measure number="{mi + 1}">')
        if mi == 0:
            lines.append(f"{ind * 3}<attributes>")
            if "no_divisions" not in damage:
                lines.append(f"{ind * 4}<divisions>{div}</divisions>")
            lines.append(f"{ind * 4}<key><{fifths}>0</{fifths}></key>")
            bt = "3" if "time33" in damage else "4"
            lines.append(f"{ind * 4}<time><beats>{beats}</beats><beat-type>{bt}</beat-type></time>")
            lines.append(f"{ind * 4}<clef><sign>G</sign><line>2</line></clef>")
            if "tempo_in_attr" in damage:
                lines.append(f"{ind * 4}<tempo>{tempo}</tempo>")
            lines.append(f"{ind * 3}</attributes>")
            if "tempo_in_attr" not in damage:
                lines.append(
                    f'{ind * 3}<direction placement="above"><direction-type><metronome><beat-unit>quarter</beat-unit>'
                    f'<per-minute>{tempo}</per-minute></metronome></direction-type><sound tempo="{tempo}"/></direction>'
                )
        for st, al, oc, d in m:
            if "step_spelling" in damage and al:
                stxt, alt_el = st + ("#" if al > 0 else "b"), ""
            elif "step_spelling" in damage and rng.random() < 0.3:
                stxt, alt_el = rng.choice([st.lower(), f"{st}-alter"]), ""
            else:
                stxt, alt_el = st, (f"<alter>{al}</alter>" if al else "")
            dur = round(d * div)
            typ = TYPE_OF[d]
            dot = "<dot/>" if d in DOTTED else ""
            lines.append(
                f"{ind * 3}<note><{pitch_tag}><step>{stxt}</step>{alt_el}<octave>{oc}</octave></{pitch_tag}>"
                f"<duration>{dur}</duration><type>{typ}</type>{dot}</note>"
            )
        lines.append(f"{ind * 2}</measure>")
    lines += [f"{ind}</part>", f"</{root}>"]
    text = "\n".join(lines)
    if "truncated" in damage:
        # cut after the last complete note and leave a half-written one
        k = text.rfind("</note>")
        text = text[: k + len("</note>")] + f"\n{ind * 3}<note><{pitch_tag}><st"
    return text


def timewise_text(meas: list[list[tuple[str, int, int, float]]]) -> str:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<score-timewise version="3.1">',
        '<part-list><score-part id="P1"><part-name>Music</part-name></score-part></part-list>',
    ]
    for mi, m in enumerate(meas):
        lines.append(f'<measure number="{mi + 1}"><part id="P1">')
        if mi == 0:
            lines.append(
                "<attributes><divisions>2</divisions><time><beats>4</beats><beat-type>4</beat-type></time></attributes>"
            )
        for st, al, oc, d in m:
            alt = f"<alter>{al}</alter>" if al else ""
            dot = "<dot/>" if d in DOTTED else ""
            lines.append(
                f"<note><pitch><step>{st}</step>{alt}<octave>{oc}</octave></pitch>"
                f"<duration>{round(d * 2)}</duration><type>{TYPE_OF[d]}</type>{dot}</note>"
            )
        lines.append("</part></measure>")
    lines.append("</score-timewise>")
    return "\n".join(lines)


XML_DAMAGE = [
    "p_tag",
    "fifthhs",
    "root",
    "step_spelling",
    "truncated",
    "time33",
    "no_divisions",
    "tempo_in_attr",
]


def fam_musicxml(rng: random.Random) -> Case:
    wrapper = rng.choice(
        [
            "plain",
            "damaged",
            "damaged",
            "html_escaped",
            "literal_n",
            "json",
            "b64_prose",
            "timewise",
            "mxl",
            "hostile",
        ]
    )
    beats = 4
    damage: set[str] = set()
    if wrapper in ("damaged", "literal_n", "json", "b64_prose"):
        damage = set(rng.sample(XML_DAMAGE, rng.randint(1, 4)))
    if "time33" in damage:
        beats = 3
    meas = score_notes(rng, beats)
    truth = truth_of_measures(meas)
    if "truncated" in damage:
        pass  # cut after the last complete note: all generated notes survive
    xml = timewise_text(meas) if wrapper == "timewise" else musicxml_text(rng, meas, damage, beats)
    if wrapper in ("plain", "damaged", "timewise"):
        mid = fence(xml.split("\n"), rng, rng.choice(["xml", "musicxml", "", "none"]))
    elif wrapper == "html_escaped":
        mid = "<pre><code>" + html.escape(xml, quote=False) + "</code></pre>"
    elif wrapper == "literal_n":
        mid = "<code>" + xml.replace("\n", "\\n") + "</code>"
    elif wrapper == "json":
        mid = json.dumps({"format": "musicxml", "score": xml}, indent=rng.choice([None, 2]))
    elif wrapper == "b64_prose":
        payload = (prose(rng) + " Here is the MusicXML:\n" + xml + "\n" + prose(rng, 1, 1)).encode()
        mid = fence(wrapped_b64(rng, payload), rng)
    elif wrapper == "mxl":
        bio = io.BytesIO()
        with zipfile.ZipFile(bio, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(
                "META-INF/container.xml",
                '<?xml version="1.0"?><container><rootfiles>'
                '<rootfile full-path="score.musicxml"/></rootfiles></container>',
            )
            z.writestr("score.musicxml", xml)
        mid = fence(wrapped_b64(rng, bio.getvalue()), rng)
    else:  # hostile
        dtd = ["<!DOCTYPE score-partwise ["]
        if rng.random() < 0.8:
            dtd.append('  <!ENTITY xxe SYSTEM "file:///etc/passwd">')
        dtd.append('  <!ENTITY a "' + "a" * 40 + '">')
        prev = "a"
        for nm in "bcdefgh"[: rng.randint(3, 7)]:
            dtd.append(f'  <!ENTITY {nm} "' + f"&{prev};" * 10 + '">')
            prev = nm
        dtd.append("]>")
        body = xml.split("\n")
        body = [ln for ln in body if not ln.startswith("<!DOCTYPE")]
        ent = "&xxe;" if "xxe" in "\n".join(dtd) else ""
        body = [
            ln.replace("<part-name>Music</part-name>", f"<part-name>{ent}&{prev};</part-name>")
            for ln in body
        ]
        if rng.random() < 0.5:
            body = [ln.replace("<work-title>", "<work-title>&xxe;") for ln in body]
        xml = "\n".join(body[:1] + dtd + body[1:])
        mid = (
            fence(xml.split("\n"), rng, rng.choice(["xml", ""]))
            if rng.random() < 0.7
            else fence(wrapped_b64(rng, xml.encode()), rng)
        )
    return Case(dress(rng, mid), [truth], f"musicxml/{wrapper} {'+'.join(sorted(damage))}")


# ---------------------------------------------------------------- ABC ---------------------------


def abc_note(st: str, al: int, oc: int, letter_acc: bool) -> str:
    name = st.lower() + "'" * (oc - 5) if oc >= 5 else st + "," * (4 - oc)
    if letter_acc and al:
        return name[0] + ("#" if al > 0 else "b") + name[1:]
    return {1: "^", -1: "_", 0: ""}[al] + name


def abc_len(d: float) -> str:
    u = round(d * 2)  # L:1/8
    return "" if u == 1 else str(u)


def fam_abc(rng: random.Random) -> Case:
    wrapper = rng.choice(["fence", "json", "plain", "b64"])
    damage = set(rng.sample(["no_X", "no_L", "no_K", "letter_acc", "overfull"], rng.randint(0, 3)))
    meas = score_notes(rng, 4, (3, 7))
    # letter-name accidentals only stay unambiguous if a letter is not repeated in a bar after it
    # was altered; every accidental is written explicitly, and a natural gets "=" when needed
    fixed = []
    for m in meas:
        seen: dict[str, int] = {}
        nm = []
        for st, al, oc, d in m:
            if "letter_acc" in damage and al == 0 and seen.get(st, 0) != 0:
                al = seen[st]  # keep the bar's accidental: there is no "=" in letter-name style
            nm.append((st, al, oc, d))
            seen[st] = al or seen.get(st, 0)
        fixed.append(nm)
    meas = fixed
    if "overfull" in damage and len(meas) > 2:
        i = rng.randrange(len(meas) - 1)
        meas = meas[:i] + [meas[i] + meas[i + 1]] + meas[i + 2 :]
    truth = truth_of_measures(meas)
    hdr = []
    if "no_X" not in damage:
        hdr.append("X:1")
    hdr.append("T:" + rng.choice(["Tune", "Little Melody", "Morning Song", "Reel for Claude"]))
    hdr.append("M:4/4")
    if "no_L" not in damage:
        hdr.append("L:1/8")
    hdr.append(f"Q:1/4={rng.randint(70, 160)}")
    if "no_K" not in damage:
        hdr.append("K:C")
    bars = []
    for m in meas:
        toks = []
        altered: set[str] = set()
        for st, al, oc, d in m:
            if "letter_acc" in damage:
                toks.append(abc_note(st, al, oc, True) + abc_len(d))
                continue
            # every accidental is written, and a natural gets "=" once its letter was altered in
            # the bar (in any octave), so the reading does not depend on octave-scoped accidentals
            pre = {1: "^", -1: "_"}.get(al, "=" if st in altered else "")
            if al:
                altered.add(st)
            toks.append(pre + abc_note(st, 0, oc, False) + abc_len(d))
        bars.append(" ".join(toks))
    per = rng.choice([2, 4])
    body = [" | ".join(bars[i : i + per]) + " |" for i in range(0, len(bars), per)]
    body[-1] = body[-1][:-1] + "|]"
    abc = "\n".join(hdr + body)
    if wrapper == "fence":
        mid = fence(abc.split("\n"), rng, rng.choice(["abc", "", "text"]))
    elif wrapper == "json":
        mid = json.dumps({"title": "tune", "abc": abc + "\n"})
    elif wrapper == "b64":
        mid = fence(wrapped_b64(rng, (abc + "\n").encode()), rng)
    else:
        mid = abc
    return Case(dress(rng, mid), [truth], f"abc/{wrapper} {'+'.join(sorted(damage))}")


# ---------------------------------------------------------------- negatives --------------------


def rand_token(
    rng: random.Random, n: int, alphabet: str = string.ascii_letters + string.digits
) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def fam_negative(rng: random.Random) -> Case:
    items = []
    kinds = rng.sample(
        [
            "prose_b64",
            "jwt",
            "apikey",
            "sha256",
            "uuid",
            "png",
            "jpeg",
            "random_b64",
            "url",
            "code_note",
            "table",
            "chords",
            "random_hex",
        ],
        rng.randint(1, 3),
    )
    for k in kinds:
        if k == "prose_b64":
            items.append(fence(wrapped_b64(rng, " ".join(rng.sample(PROSE, 6)).encode()), rng))
        elif k == "jwt":
            hd = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').decode().rstrip("=")
            pl = (
                base64.urlsafe_b64encode(
                    json.dumps({"sub": rand_token(rng, 8), "iat": rng.randint(1e9, 2e9)}).encode()
                )
                .decode()
                .rstrip("=")
            )
            items.append(
                f"Authorization: Bearer {hd}.{pl}.{rand_token(rng, 43, string.ascii_letters + string.digits + '-_')}"
            )
        elif k == "apikey":
            items.append(
                rng.choice(
                    [
                        f"OPENAI_API_KEY=sk-{rand_token(rng, 48)}",
                        f"aws_access_key_id = AKIA{rand_token(rng, 16, string.ascii_uppercase + string.digits)}",
                        f"token: ghp_{rand_token(rng, 36)}",
                        f"export ANTHROPIC_API_KEY=sk-ant-api03-{rand_token(rng, 90, string.ascii_letters + string.digits + '-_')}",
                    ]
                )
            )
        elif k == "sha256":
            items.append(
                f"sha256sum: {hashlib.sha256(rand_token(rng, 10).encode()).hexdigest()}  song.mid"
            )
        elif k == "uuid":
            items.append(f"request id {uuid.UUID(int=rng.getrandbits(128))}")
        elif k in ("png", "jpeg"):
            head = (
                b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
                if k == "png"
                else b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
            )
            data = head + bytes(rng.randrange(256) for _ in range(rng.randint(100, 600)))
            items.append(f'<img src="data:image/{k};base64,{b64(data)}" alt="sheet music">')
        elif k == "random_b64":
            items.append(
                fence(
                    wrapped_b64(
                        rng, bytes(rng.randrange(256) for _ in range(rng.randint(60, 900)))
                    ),
                    rng,
                )
            )
        elif k == "random_hex":
            items.append(
                fence(
                    hex_render(
                        rng,
                        bytes(rng.randrange(256) for _ in range(rng.randint(32, 200))),
                        "spaced_upper",
                    ).split("\n"),
                    rng,
                )
            )
        elif k == "url":
            items.append(
                f"https://example.com/api/v1/share?session={rand_token(rng, 120, string.ascii_letters + string.digits + '%-_')}&sig={rand_token(rng, 64)}"
            )
        elif k == "code_note":
            items.append(
                fence(
                    [
                        "from music21 import note",
                        "# each <note> element in MusicXML holds a <pitch>",
                        "n = note.Note('C4')",
                        "print(n.nameWithOctave)  # <step>C</step>",
                    ],
                    rng,
                    "python",
                )
            )
        elif k == "table":
            items.append(
                "| Note | MIDI | Freq |\n|------|------|------|\n| C4 | 60 | 261.6 |\n| A4 | 69 | 440.0 |\n| E5 | 76 | 659.3 |"
            )
        else:
            items.append("Verse: C | G | Am | F\nChorus: F | G | C | C\nBridge: Am | Em | F | G")
    mid = ("\n\n" + prose(rng, 1, 1) + "\n\n").join(items)
    return Case(dress(rng, mid), [], f"negative/{'+'.join(kinds)}", negative=True)


FAMILIES = {
    "clean_b64": fam_clean_b64,
    "frameshift": fam_frameshift,
    "substitution": fam_substitution,
    "split": fam_split,
    "nested": fam_nested,
    "hex": fam_hex,
    "truncated": fam_truncated,
    "midi_structural": fam_midi_structural,
    "musicxml": fam_musicxml,
    "abc": fam_abc,
    "negative": fam_negative,
}


def generate(outdir: Path, seed: int, per_family: int, only: str = "") -> list[Path]:
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for fi, (name, fn) in enumerate(FAMILIES.items()):
        if only and not name.startswith(only):
            continue
        for i in range(per_family):
            rng = random.Random(f"{seed}:{fi}:{name}:{i}")
            case = fn(rng)
            stem = outdir / f"g{name}_{seed}_{i:02d}"
            stem.with_suffix(".txt").write_bytes(case.text.encode("utf-8"))
            truth = {
                "family": name,
                "negative": case.negative,
                "pieces": case.pieces,
                "damage": case.damage,
                "lost_notes": case.lost,
                "seed": seed,
            }
            stem.with_suffix(".truth.json").write_text(json.dumps(truth))
            written.append(stem.with_suffix(".txt"))
    return written


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir", type=Path)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--per-family", type=int, default=6)
    ap.add_argument("--only", default="", help="family name prefix")
    a = ap.parse_args()
    files = generate(a.outdir, a.seed, a.per_family, a.only)
    print(f"wrote {len(files)} cases to {a.outdir}")


if __name__ == "__main__":
    main()
