"""Shared helpers for the tests: real inputs are built here or read from samples/ and ../shared."""

from __future__ import annotations

import io
from pathlib import Path

import mido
import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"


def midi_notes(data: bytes) -> list[tuple[int, int]]:
    """[(absolute tick, pitch)] of every sounding note_on, read with plain mido."""
    mf = mido.MidiFile(file=io.BytesIO(data))
    out = []
    for tr in mf.tracks:
        t = 0
        for m in tr:
            t += m.time
            if m.type == "note_on" and m.velocity > 0:
                out.append((t, m.note))
    return sorted(out)


def make_midi(pitches: list[int], ticks: int = 240, tpb: int = 480, tracks: int = 1) -> bytes:
    """A small valid Standard MIDI File with the given melody in each track."""
    mf = mido.MidiFile(type=1 if tracks > 1 else 0, ticks_per_beat=tpb)
    for k in range(tracks):
        tr = mido.MidiTrack()
        if k == 0:
            tr.append(mido.MetaMessage("set_tempo", tempo=500000, time=0))
        for p in pitches:
            tr.append(mido.Message("note_on", channel=k % 16, note=p, velocity=64, time=0))
            tr.append(mido.Message("note_off", channel=k % 16, note=p, velocity=0, time=ticks))
        tr.append(mido.MetaMessage("end_of_track", time=0))
        mf.tracks.append(tr)
    buf = io.BytesIO()
    mf.save(file=buf)
    return buf.getvalue()


needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not here")
