"""The one way a stage records what it changed to the data: a :class:`RepairLog`.

Every entry is a :class:`~.models.Repair` (kind, location, before, after, reason, confidence,
and whether data was lost or guessed). A stage that works on a text that is not the one the
caller gave (an unescaped copy) passes ``where``, which maps its offsets back.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from .models import Repair

MAX_PER_KIND = 100  # entries kept per kind of repair; the rest are counted, not listed
SHORT = 120  # characters of "before" and "after" kept


class RepairLog:
    def __init__(self, stage: str, where: Callable[[int], int] | None = None) -> None:
        self.stage = stage
        self.repairs: list[Repair] = []
        self.counts: Counter[str] = Counter()
        self._where = where

    @property
    def lossy(self) -> bool:
        """Whether any repair lost or guessed data (the piece is then salvaged)."""
        return any(r.loss for r in self.repairs)

    def record(
        self,
        kind: str,
        reason: str,
        offset: int | None = None,
        before: str = "",
        after: str = "",
        confidence: float = 0.95,
        loss: str = "",
    ) -> Repair:
        """Record one repair and return it; past :data:`MAX_PER_KIND` of a kind it is counted
        (``counts``) but not kept."""
        if offset is not None and self._where is not None:
            offset = self._where(offset)
        rep = Repair(
            stage=self.stage,
            kind=kind,
            reason=reason,
            offset=offset,
            before=before[:SHORT],
            after=after[:SHORT],
            confidence=confidence,
            loss=loss,
        )
        self.counts[kind] += 1
        if self.counts[kind] <= MAX_PER_KIND:
            self.repairs.append(rep)
        return rep
