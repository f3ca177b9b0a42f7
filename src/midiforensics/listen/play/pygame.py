"""Play MIDI through pygame's mixer (SDL_mixer with FluidSynth and a soundfont)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from . import NoAudioDevice, PlayError
from ._stderr import captured_stderr


class PygameBackend:
    name = "pygame"

    def __init__(self) -> None:
        self._pg: Any = None
        self._owns_mixer = False

    def open(self, soundfont: Path) -> None:
        # SDL_mixer reads SDL_SOUNDFONTS each time it loads a MIDI file.
        os.environ["SDL_SOUNDFONTS"] = str(soundfont)
        os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
        import pygame

        self._pg = pygame
        if pygame.mixer.get_init():
            return
        with captured_stderr():
            try:
                pygame.mixer.init()
            except pygame.error as exc:
                raise NoAudioDevice(f"no audio device ({exc})") from None
        self._owns_mixer = True

    def start(self, midi: Path) -> None:
        music = self._pg.mixer.music
        with captured_stderr():
            try:
                music.load(str(midi))
                music.play()
            except self._pg.error as exc:
                raise PlayError(f"{midi.name}: cannot play ({exc})") from None

    def busy(self) -> bool:
        return bool(self._pg.mixer.music.get_busy())

    def elapsed(self) -> float:
        return max(0, self._pg.mixer.music.get_pos()) / 1000.0

    def stop(self) -> None:
        if self._pg is not None and self._pg.mixer.get_init():
            self._pg.mixer.music.stop()

    def close(self) -> None:
        if self._pg is not None and self._pg.mixer.get_init():
            self._pg.mixer.music.unload()
            if self._owns_mixer:
                self._pg.mixer.quit()
