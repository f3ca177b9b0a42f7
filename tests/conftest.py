"""Shared helpers for the tests: real inputs are built here or read from samples/ and ../shared."""

from __future__ import annotations

import io
from pathlib import Path

import mido
import pytest

import midiforensics
from midiforensics.report.models import Artifact

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


def midi_pitches(data: bytes) -> list[int]:
    """Pitches of the sounding notes in onset order (ties by pitch), as the scorer reads them."""
    return [p for _, p in midi_notes(data)]


def lcs(a: list[int], b: list[int]) -> int:
    """Length of the longest common subsequence of two pitch sequences."""
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def lcs_f1(truth: list[int], got: list[int]) -> float:
    """Note F1 of ``got`` against ``truth`` by LCS, as ../shared/bench/score.py computes it."""
    k = lcs(truth, got)
    if not k:
        return 0.0
    p, r = k / len(got), k / len(truth)
    return 2 * p * r / (p + r)


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


def note_spans(data: bytes) -> list[tuple[float, int, float]]:
    """(onset, pitch, length) in quarter notes of a MIDI file, read with plain mido."""
    mf = mido.MidiFile(file=io.BytesIO(data))
    out, on = [], {}
    for k, tr in enumerate(mf.tracks):
        t = 0
        for m in tr:
            t += m.time
            if m.type == "note_on" and m.velocity:
                on[(k, m.note)] = t
            elif m.type in ("note_on", "note_off") and (k, m.note) in on:
                s = on.pop((k, m.note))
                out.append((s / mf.ticks_per_beat, m.note, (t - s) / mf.ticks_per_beat))
    return sorted(out)


def playable_pieces(text: str) -> list[Artifact]:
    """The MIDI artifacts with notes that ``decode`` makes of ``text`` (no folder: bytes)."""
    report = midiforensics.decode(text)
    return [a for a in report.artifacts if a.kind == "midi" and a.notes > 0]


def one_piece_onsets(text: str) -> list[tuple[float, int]]:
    """(onset in quarter notes, pitch) of the one piece ``decode`` makes of ``text``."""
    found = playable_pieces(text)
    assert len(found) == 1, found
    assert found[0].data is not None
    tpb = mido.MidiFile(file=io.BytesIO(found[0].data)).ticks_per_beat
    return [(t / tpb, p) for t, p in midi_notes(found[0].data)]
