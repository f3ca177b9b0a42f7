"""Turn what the stages yield into files and artifacts: the only place that asks the writer
to write (the writer itself, :mod:`.write`, keeps every file inside the output folder)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .report.models import Artifact, Problem
from .work import FileOut, PieceOut
from .write import Writer


class Output:
    def __init__(self, out_dir: str | None) -> None:
        self.writer = Writer(out_dir) if out_dir else None
        self.artifacts: list[Artifact] = []
        self.piece = 0

    def _write(self, name: str, data: bytes) -> dict[str, Any]:
        """The written file's path; with no folder, no path and the bytes themselves."""
        if self.writer is None:
            return {"path": "", "data": data}
        return {"path": str(self.writer.write(name, data))}

    def file(self, out: FileOut) -> None:
        where = self._write(out.name, out.data)
        self.artifacts.append(Artifact(kind=out.kind, source=out.source, **where))

    def music(self, out: PieceOut) -> list[Problem]:
        """Write one piece (.mid, and the score's own text for scores); problems it has."""
        res, kind = out.result, out.kind
        if res.musicxml is not None or res.source_text is not None:
            # a score rendered to MIDI: its numbers are read from the MIDI written, by the one
            # reader the report, mf show and mf play share
            from .formats.midi.carve import midi_summary

            notes, tracks, seconds, bpm = midi_summary(res.midi)
            if notes:
                res = replace(res, notes=notes, tracks=tracks, seconds=seconds, tempo_bpm=bpm)
        repairs = tuple(replace(r, where=r.where or out.where(r.offset or 0)) for r in res.repairs)
        problems: list[Problem] = []
        if res.notes <= 0:
            what = "a score fragment" if res.musicxml is not None else "a MIDI file"
            problems.append(Problem(out.chain, f"{kind}: {what} with no notes in it", "unread"))
        self.piece += 1
        base = f"{self.piece:02d}-{out.label}-{kind}"
        source = f"{out.chain} -> {kind}" + (f" ({len(repairs)} repairs)" if repairs else "")
        common: dict[str, Any] = {
            "notes": res.notes,
            "tracks": res.tracks,
            "seconds": round(res.seconds, 3),
            "tempo_bpm": res.tempo_bpm,
            "verdict": res.verdict,
            "confidence": round(res.confidence, 3),
            "piece": self.piece,
            "as_found": res.as_found,
        }
        if res.musicxml is not None:
            where = self._write(base + ".musicxml", res.musicxml.encode("utf-8"))
            self.artifacts.append(
                Artifact(kind="musicxml", source=source, repairs=repairs, **where, **common)
            )
        if res.source_text and out.suffix != ".musicxml":
            # the score as the handler's own format writes it (an ABC tune), beside the MIDI
            where = self._write(base + out.suffix, res.source_text.encode("utf-8"))
            self.artifacts.append(Artifact(kind=kind, source=source, **where, **common))
        if res.notes > 0 or res.musicxml is None:  # a note-less MIDI file is kept as it was
            where = self._write(base + ".mid", res.midi)
            self.artifacts.append(
                Artifact(
                    **where,
                    kind="midi",
                    source=source,
                    repairs=() if res.musicxml is not None else repairs,
                    **common,
                )
            )
        return problems
