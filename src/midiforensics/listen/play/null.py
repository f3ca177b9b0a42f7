"""A backend that plays nothing and remembers what it was asked to play (for tests)."""

from __future__ import annotations

from pathlib import Path


class NullBackend:
    name = "null"

    def __init__(self) -> None:
        self.soundfont: Path | None = None
        self.played: list[Path] = []
        self.closed = False

    def open(self, soundfont: Path) -> None:
        self.soundfont = soundfont

    def start(self, midi: Path) -> None:
        self.played.append(midi)

    def busy(self) -> bool:
        return False

    def elapsed(self) -> float:
        return 0.0

    def stop(self) -> None:
        """Nothing is playing."""

    def close(self) -> None:
        self.closed = True
