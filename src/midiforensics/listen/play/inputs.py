"""Turn what the user named (MIDI files, scores, output folders) into MIDI files to play.

Every problem is an InputError whose text is one line naming the path.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from . import PlayError

MIDI_SUFFIXES = (".mid", ".midi", ".kar", ".rmi")
SCORE_SUFFIXES = (".musicxml", ".xml", ".mxl", ".abc")


class InputError(PlayError):
    """A path the user gave cannot be played or shown."""


@dataclass(frozen=True)
class MidiTiming:
    seconds: float  # the whole file, as mido plays it
    first_onset: float | None  # when the first sounding note starts; None without notes


def expand(paths: Iterable[Path]) -> list[Path]:
    """Files as given, folders replaced by the MIDI files in them (else their scores)."""
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = _files_with(path, MIDI_SUFFIXES) or _files_with(path, SCORE_SUFFIXES)
            if not found:
                raise InputError(f"{path}: folder holds no .mid or score file")
            out.extend(found)
        elif path.is_file():
            out.append(path)
        elif path.exists():
            raise InputError(f"{path}: not a regular file")
        else:
            raise InputError(f"{path}: no such file or folder")
    return out


def _files_with(folder: Path, suffixes: tuple[str, ...]) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in suffixes)


def check_midi(path: Path) -> None:
    """Raise InputError unless ``path`` starts like a Standard MIDI File (or RIFF RMID)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(12)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if head[:4] == b"MThd" or (head[:4] == b"RIFF" and head[8:12] == b"RMID"):
        return
    raise InputError(f"{path}: not a MIDI file (no MThd header)")


def is_score(path: Path) -> bool:
    return path.suffix.lower() in SCORE_SUFFIXES


def score_to_midi(path: Path, out_dir: Path) -> Path:
    """Render a MusicXML / MXL / ABC file to a MIDI file in ``out_dir`` with music21."""
    try:
        from music21 import converter
    except ImportError as exc:  # pragma: no cover - music21 is a dependency
        raise InputError(f"{path}: music21 is needed to read scores ({exc})") from None
    target = out_dir / (path.stem + ".mid")
    try:
        score = converter.parse(str(path))
        score.write("midi", fp=str(target))
    except Exception as exc:  # music21 raises many kinds on damaged scores
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{path}: cannot read the score ({first[:120]})") from None
    return target


@contextlib.contextmanager
def midi_files(paths: Iterable[Path]) -> Iterator[list[tuple[Path, Path]]]:
    """Yield (input file, MIDI file) per piece; scores are rendered into a temporary folder
    that is removed afterwards. Raises InputError before yielding if any input is bad."""
    files = expand(paths)
    with tempfile.TemporaryDirectory(prefix="mf-play-") as tmp:
        out: list[tuple[Path, Path]] = []
        for path in files:
            if is_score(path):
                out.append((path, score_to_midi(path, Path(tmp))))
            else:
                check_midi(path)
                out.append((path, path))
        yield out


def midi_timing(path: Path) -> MidiTiming:
    """How long a MIDI file plays and when its first note sounds (mido, tolerant of clipped
    data bytes). Raises InputError when mido cannot read it at all."""
    import mido

    try:
        mid = mido.MidiFile(str(path), clip=True)
        now = 0.0
        first: float | None = None
        for msg in mid:  # iterating a MidiFile yields delta times in seconds
            now += msg.time
            if first is None and msg.type == "note_on" and msg.velocity > 0:
                first = now
        return MidiTiming(seconds=now, first_onset=first)
    except (OSError, EOFError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise InputError(f"{path}: unreadable MIDI ({exc})") from None
