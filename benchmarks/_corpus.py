"""Build large synthetic transcripts for the benchmarks (deterministic)."""

from __future__ import annotations

import base64
import io
import random

import mido

PROSE = (
    "Sure! Here is the MIDI file you asked for, encoded in base64. The melody rises through "
    "the scale and then resolves to the tonic. Let me know if you would like a longer version. "
)


def midi_bytes(rng: random.Random, n_notes: int = 24) -> bytes:
    mf = mido.MidiFile(type=0, ticks_per_beat=480)
    tr = mido.MidiTrack()
    mf.tracks.append(tr)
    tr.append(mido.MetaMessage("set_tempo", tempo=500000, time=0))
    for _ in range(n_notes):
        p = rng.randint(48, 84)
        tr.append(mido.Message("note_on", note=p, velocity=80, time=0))
        tr.append(mido.Message("note_off", note=p, velocity=0, time=rng.choice([240, 480, 960])))
    tr.append(mido.MetaMessage("end_of_track", time=0))
    buf = io.BytesIO()
    mf.save(file=buf)
    return buf.getvalue()


def transcript(target_mb: float = 20.0, blobs: int = 823, seed: int = 7) -> str:
    """About ``target_mb`` MB of chat prose holding ``blobs`` fenced base64 MIDI files."""
    rng = random.Random(seed)
    target = int(target_mb * 1_000_000)
    prose_per_gap = max(1, target // blobs // len(PROSE))
    parts: list[str] = []
    for k in range(blobs):
        b64 = base64.b64encode(midi_bytes(rng)).decode()
        wrapped = "\n".join(b64[i : i + 76] for i in range(0, len(b64), 76))
        parts.append(f"## Message {k}\n\n" + PROSE * prose_per_gap + f"\n\n```\n{wrapped}\n```\n\n")
    return "".join(parts)
