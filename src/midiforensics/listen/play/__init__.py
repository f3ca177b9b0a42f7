"""Play MIDI through a backend chosen by name, and find a General MIDI soundfont.

Backends are imported only when chosen (``get_backend``), so that ``mf decode`` never pays
for pygame. ``pygame`` (the default) plays through SDL_mixer's FluidSynth; ``null`` plays
nothing and records what it was asked to play, for tests.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from pathlib import Path
from typing import Protocol

__all__ = [
    "BACKENDS",
    "Backend",
    "NoAudioDevice",
    "PlayError",
    "find_soundfont",
    "get_backend",
]

#: backend name -> "module:Class", imported on demand
BACKENDS: dict[str, str] = {
    "pygame": "midiforensics.listen.play.pygame:PygameBackend",
    "null": "midiforensics.listen.play.null:NullBackend",
}
DEFAULT_BACKEND = "pygame"


class PlayError(Exception):
    """A problem that ends playback or rendering; its text is one line for the user."""


class NoAudioDevice(PlayError):
    """The backend found no audio device to play on."""


class Backend(Protocol):
    """What the play loop needs from a player."""

    name: str

    def open(self, soundfont: Path) -> None:
        """Get the device ready; raise NoAudioDevice when there is none."""

    def start(self, midi: Path) -> None:
        """Begin playing one MIDI file (returns at once)."""

    def busy(self) -> bool:
        """True while the piece is still playing."""

    def elapsed(self) -> float:
        """Seconds of the current piece played so far."""

    def stop(self) -> None:
        """Stop the current piece."""

    def close(self) -> None:
        """Release the device."""


def get_backend(name: str | None = None) -> Backend:
    """Return a new backend by name, else ``$MF_PLAYER``, else pygame.

    Raises PlayError for an unknown name.
    """
    chosen = (name or os.environ.get("MF_PLAYER") or DEFAULT_BACKEND).strip().lower()
    target = BACKENDS.get(chosen)
    if target is None:
        known = ", ".join(sorted(BACKENDS))
        raise PlayError(f"unknown player backend {chosen!r} (choose from: {known})")
    module_name, cls_name = target.split(":")
    cls = getattr(importlib.import_module(module_name), cls_name)
    backend: Backend = cls()
    return backend


def bundled_soundfont() -> Path | None:
    """The General MIDI soundfont the pretty_midi wheel ships, found without importing it."""
    try:
        spec = importlib.util.find_spec("pretty_midi")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / "TimGM6mb.sf2"
        if candidate.is_file():
            return candidate
    return None


def find_soundfont(explicit: Path | None = None) -> Path:
    """The soundfont to play with: ``explicit``, else ``$MF_SOUNDFONT``, else the first
    existing file in ``$SDL_SOUNDFONTS`` (a ``;``-separated list), else pretty_midi's.

    Raises PlayError when the chosen file does not exist or none is found.
    """
    if explicit is not None:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise PlayError(f"soundfont not found: {path}")
        return path
    env = os.environ.get("MF_SOUNDFONT")
    if env:
        path = Path(env).expanduser()
        if not path.is_file():
            raise PlayError(f"MF_SOUNDFONT points to a missing file: {path}")
        return path
    for item in os.environ.get("SDL_SOUNDFONTS", "").split(";"):
        if item and Path(item).expanduser().is_file():
            return Path(item).expanduser()
    bundled = bundled_soundfont()
    if bundled is None:
        raise PlayError(
            "no General MIDI soundfont found: pass --soundfont FILE.sf2 or set MF_SOUNDFONT"
        )
    return bundled
