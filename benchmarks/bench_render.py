"""How much faster than real time ``mf render`` is, and what the WAV holds.

    .venv/bin/python benchmarks/bench_render.py [--rate 44100]

Makes piano MIDIs of growing length (a four-voice texture, one chord change per beat) and
renders each to WAV, printing music seconds, wall seconds, speed-up and peak amplitude.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import mido

from midiforensics.listen.wav import render_wav


def make_piece(path: Path, seconds: int, bpm: int = 120) -> Path:
    mid = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    mid.tracks.append(track)
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm)))
    beats = seconds * bpm // 60
    for beat in range(beats):
        root = 48 + (beat * 5) % 12
        chord = (root, root + 4, root + 7, root + 12)
        for pitch in chord:
            track.append(mido.Message("note_on", note=pitch, velocity=80, time=0))
        for i, pitch in enumerate(chord):
            track.append(mido.Message("note_off", note=pitch, time=480 if i == 0 else 0))
    mid.save(str(path))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=int, default=44100)
    parser.add_argument("--lengths", default="5,30,120,300", help="piece lengths in seconds")
    args = parser.parse_args()
    print(f"{'music s':>8} {'wall s':>7} {'x real time':>11} {'wav s':>7} {'peak':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        for seconds in (int(s) for s in args.lengths.split(",")):
            midi = make_piece(Path(tmp) / f"p{seconds}.mid", seconds)
            began = time.perf_counter()
            result = render_wav(midi, Path(tmp) / f"p{seconds}.wav", rate=args.rate)
            wall = time.perf_counter() - began
            print(
                f"{seconds:>8} {wall:>7.2f} {seconds / wall:>11.1f} "
                f"{result.seconds:>7.2f} {result.peak:>6}"
            )


if __name__ == "__main__":
    main()
