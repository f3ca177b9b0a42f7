"""Render MIDI to a WAV file offline, faster than real time, with the same soundfont as ``play``.

How: a child Python process plays the MIDI through pygame's mixer with SDL's ``disk`` audio
driver (``SDL_DISKAUDIOFILE``, ``SDL_DISKAUDIODELAY=0``), which writes the mixed 16-bit
samples to a raw file as fast as FluidSynth makes them. The driver writes silence from the
moment the mixer opens, so the child reports how many bytes were written when the piece
started; the parent finds the first sound near that point, lines it up with the MIDI's first
note, keeps exactly the MIDI's duration and wraps it as WAV with the stdlib ``wave`` module.
A child process keeps SDL's process-wide audio setup away from the caller (which may be
playing through a real device).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

from .play import PlayError, find_soundfont
from .play.inputs import InputError, check_midi, is_score, midi_timing, score_to_midi

CHANNELS = 2
SAMPLE_BYTES = 2
FRAME_BYTES = CHANNELS * SAMPLE_BYTES
BUFFER_FRAMES = 1024
AUDIBLE = 16  # sample magnitude above FluidSynth's dither noise
RATES = (8000, 11025, 16000, 22050, 32000, 44100, 48000, 96000)


@dataclass(frozen=True)
class RenderResult:
    path: Path
    rate: int
    frames: int
    peak: int  # largest absolute 16-bit sample value

    @property
    def seconds(self) -> float:
        return self.frames / self.rate


def render_wav(
    source: Path,
    out: Path,
    rate: int = 44100,
    soundfont: Path | None = None,
) -> RenderResult:
    """Render a MIDI file (or a MusicXML/MXL/ABC score, via music21) to a 16-bit stereo WAV.

    Raises PlayError (InputError for a bad ``source``) with a one-line message.
    """
    source = Path(source)
    out = Path(out)
    if rate not in RATES:
        raise PlayError(
            f"unsupported sample rate {rate} (choose from {', '.join(map(str, RATES))})"
        )
    if source.is_dir():
        raise InputError(f"{source}: is a folder; render one file at a time")
    if not source.is_file():
        raise InputError(f"{source}: no such file")
    if out.is_dir():
        raise PlayError(f"{out}: is a folder; give a .wav file name")
    if out.suffix.lower() != ".wav":
        raise PlayError(f"{out}: mf render writes WAV only; give a name ending in .wav")
    if out.exists():
        raise PlayError(f"{out}: exists; choose a new name (mf never overwrites a file)")
    font = find_soundfont(soundfont)
    with tempfile.TemporaryDirectory(prefix="mf-render-") as tmp:
        midi = score_to_midi(source, Path(tmp)) if is_score(source) else source
        check_midi(midi)
        timing = midi_timing(midi)
        if timing.first_onset is None:
            raise InputError(f"{source}: no notes to render")
        raw = Path(tmp) / "out.raw"
        started, actual_rate = _run_child(midi, raw, rate, font, timing.seconds)
        data = raw.read_bytes()
    frames = _cut(data, started, actual_rate, timing.first_onset, timing.seconds)
    peak = _peak(frames)
    _write_wav(out, frames, actual_rate)
    return RenderResult(path=out, rate=actual_rate, frames=len(frames) // FRAME_BYTES, peak=peak)


def _run_child(midi: Path, raw: Path, rate: int, font: Path, seconds: float) -> tuple[int, int]:
    env = dict(os.environ)
    env.update(
        SDL_AUDIODRIVER="disk",
        SDL_DISKAUDIOFILE=str(raw),
        SDL_DISKAUDIODELAY="0",
        SDL_SOUNDFONTS=str(font),
        PYGAME_HIDE_SUPPORT_PROMPT="1",
    )
    cmd = [sys.executable, "-m", "midiforensics.listen.wav", str(midi), str(rate), f"{seconds:.6f}"]
    try:
        proc = subprocess.run(
            cmd, env=env, capture_output=True, text=True, timeout=120 + 2 * seconds
        )
    except subprocess.TimeoutExpired:
        raise PlayError(f"{midi.name}: rendering took too long; gave up") from None
    try:
        answer = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        detail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise PlayError(f"{midi.name}: renderer failed ({detail})") from None
    if "error" in answer:
        raise PlayError(f"{midi.name}: {answer['error']}")
    return int(answer["start"]), int(answer["rate"])


def _cut(data: bytes, started: int, rate: int, first_onset: float, seconds: float) -> bytes:
    """The ``seconds`` of samples in ``data`` that belong to the piece.

    ``started`` (bytes written when play() returned) is right to within a buffer or two;
    the first audible frame after it, less the MIDI's first-note time, pins the start to
    within a few milliseconds when they agree.
    """
    start = started - started % FRAME_BYTES
    window = 4 * BUFFER_FRAMES * FRAME_BYTES
    first = _first_sound(data, max(0, start - window))
    if first is not None:
        guess = first - round(first_onset * rate) * FRAME_BYTES
        if abs(guess - start) <= window:
            start = max(0, guess)
    length = round(seconds * rate) * FRAME_BYTES
    piece = data[start : start + length]
    return piece + bytes(length - len(piece))  # pad if the driver stopped short


def _first_sound(data: bytes, offset: int) -> int | None:
    """Byte offset of the first frame at or after ``offset`` louder than FluidSynth's
    dither (which puts +-1 samples into silence from the moment it starts)."""
    import numpy as np

    usable = (len(data) - offset) // FRAME_BYTES * FRAME_BYTES
    samples = np.frombuffer(data, dtype="<i2", count=usable // SAMPLE_BYTES, offset=offset)
    nonzero = np.flatnonzero(np.abs(samples.astype(np.int32)) > AUDIBLE)
    if nonzero.size == 0:
        return None
    return offset + int(nonzero[0]) // CHANNELS * FRAME_BYTES


def _peak(frames: bytes) -> int:
    import numpy as np

    if not frames:
        return 0
    return int(np.abs(np.frombuffer(frames, dtype="<i2").astype(np.int32)).max())


def _write_wav(out: Path, frames: bytes, rate: int) -> None:
    """Write atomically and never over an existing file (PlayError if ``out`` exists)."""
    from ..write import write_new

    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(CHANNELS)
        w.setsampwidth(SAMPLE_BYTES)
        w.setframerate(rate)
        w.writeframes(frames)
    try:
        write_new(out, buf.getvalue())
    except FileExistsError:
        raise PlayError(f"{out}: exists; choose a new name (mf never overwrites a file)") from None
    except OSError as exc:
        raise PlayError(f"cannot write {out}: {exc.strerror or exc}") from None


def _child(argv: list[str]) -> int:
    """Runs in the child: play ``argv[0]`` through the disk driver set up by the parent and
    print one JSON line: the byte count written when the piece started, and the rate."""
    import time

    midi, rate, seconds = argv[0], int(argv[1]), float(argv[2])
    raw = os.environ["SDL_DISKAUDIOFILE"]
    import pygame

    try:
        pygame.mixer.init(frequency=rate, size=-16, channels=CHANNELS, buffer=BUFFER_FRAMES)
        actual_rate, _, channels = pygame.mixer.get_init()
        if channels != CHANNELS:
            raise pygame.error(f"mixer opened with {channels} channels")
        pygame.mixer.music.load(midi)
        pygame.mixer.music.play()
        start = os.path.getsize(raw)
        # get_busy() turns False when the piece ends; the size limit guards against a
        # player that never stops.
        limit = start + int((seconds + 5) * actual_rate) * FRAME_BYTES
        while pygame.mixer.music.get_busy() and os.path.getsize(raw) < limit:
            time.sleep(0.002)
        pygame.mixer.quit()
    except pygame.error as exc:
        print(json.dumps({"error": f"cannot render ({exc})"}))
        return 1
    print(json.dumps({"start": start, "rate": actual_rate}))
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))
