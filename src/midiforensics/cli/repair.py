"""``mf repair``: one MIDI file in, one repaired MIDI file out, with a report."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ..formats.midi.carve import find_midi, repair_midi
from ..pipeline import verdict
from ..report.models import Artifact, Blob, Problem, Report, Segment, Span
from ..write import write_new


def repair_file(name: str, data: bytes, out: Path) -> Report:
    """Repair the MIDI in ``data`` (the largest piece if several) and write it to ``out``."""
    span = Span(0, len(data), 1, 1, "binary")
    blob = Blob(id="B1", span=span, data=data, provenance=f"{name} (binary)")
    extents = find_midi(data)
    problems: list[Problem] = []
    segments: list[Segment] = []
    artifacts: list[Artifact] = []
    if not extents:
        problems.append(Problem(name, "no MIDI chunks (MThd/MTrk) in this file"))
    else:
        start, end = max(extents, key=lambda e: e[1] - e[0])
        for s, e in extents:
            segments.append(Segment("B1", s, e, "midi", 0.9))
            if (s, e) != (start, end):
                problems.append(
                    Problem(f"byte {s}", "another MIDI piece here; use mf decode for all")
                )
        res = repair_midi(data[start:end])
        if res is None:
            problems.append(Problem(f"byte {start}", "MIDI chunks found, but nothing playable"))
        else:
            write_new(out, res.midi)
            repairs = tuple(
                replace(r, where=f"byte {start + (r.offset or 0)}") for r in res.repairs
            )
            artifacts.append(
                Artifact(
                    path=str(out.resolve()),
                    kind="midi",
                    source=f"{name} bytes {start}-{end} -> midi",
                    notes=res.notes,
                    tracks=res.tracks,
                    seconds=round(res.seconds, 3),
                    tempo_bpm=res.tempo_bpm,
                    verdict=res.verdict,
                    confidence=res.confidence,
                    repairs=repairs,
                    piece=1,
                )
            )
    report = Report(
        input=name,
        size=len(data),
        spans=(span,),
        blobs=(blob,),
        segments=tuple(segments),
        artifacts=tuple(artifacts),
        problems=tuple(problems),
        out_dir=str(out.resolve().parent),
    )
    return replace(report, verdict=verdict(report))
