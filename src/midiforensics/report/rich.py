"""The report for people: rich tables on the terminal."""

from __future__ import annotations

import os

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text
from rich.theme import Theme

from .models import Repair, Report

THEME = Theme(
    {
        "mf.title": "bold",
        "mf.where": "cyan",
        "mf.kind": "magenta",
        "mf.good": "green",
        "mf.warn": "yellow",
        "mf.bad": "red",
        "mf.dim": "dim",
        "mf.path": "bold blue",
    }
)

MAX_ROWS = 40  # longer tables are cut (report.json and --json hold everything)

_VERDICT_STYLE = {
    "intact": "mf.good",
    "repaired": "mf.warn",
    "salvaged": "mf.bad",
    "fragment": "mf.dim",
}


def _short(s: str, n: int = 40) -> str:
    s = s.replace("\n", "\\n")
    return s if len(s) <= n else s[: n - 1] + "…"


def _rel(path: str) -> str:
    """``path`` relative to the current folder when it lies below it, else as it is."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


def _grouped(repairs: tuple[Repair, ...]) -> list[list[Repair]]:
    """The same change made in several places is one row (with a count), in first-seen order."""
    groups: dict[tuple[str, str, str, str, str], list[Repair]] = {}
    for r in repairs:
        groups.setdefault((r.stage, r.kind, r.before, r.after, r.reason), []).append(r)
    return list(groups.values())


def _more(total: int) -> list[RenderableType]:
    if total <= MAX_ROWS:
        return []
    return [Text(f"… {total - MAX_ROWS} more rows: see report.json or --json", style="mf.dim")]


def _length(seconds: float, bpm: float | None) -> str:
    out = f"{seconds:.1f}s" if seconds else ""
    return f"{out} ♩={bpm:g}" if bpm else out


def _conf(c: float) -> Text:
    style = "mf.good" if c >= 0.9 else "mf.warn" if c >= 0.6 else "mf.bad"
    return Text(f"{c:.2f}", style=style)


class RichRenderer:
    """Renders a report as a list of rich renderables."""

    def renderables(self, report: Report, notes: bool = False) -> list[RenderableType]:
        out: list[RenderableType] = [
            Text.assemble(
                ("Input ", "mf.title"), (report.input, "mf.path"), f"  ({report.size:,} bytes)"
            )
        ]
        if report.spans:
            t = Table(title="Found", title_justify="left", expand=False)
            t.add_column("#", justify="right")
            t.add_column("where", style="mf.where")
            t.add_column("encoding", style="mf.kind")
            t.add_column("chars", justify="right")
            t.add_column("note")
            for i, s in enumerate(report.spans[:MAX_ROWS], 1):
                t.add_row(
                    str(i),
                    s.where,
                    s.encoding,
                    f"{s.end - s.start:,}",
                    "truncated" if s.truncated else "",
                )
            out.append(t)
            out.extend(_more(len(report.spans)))
        if report.blobs:
            t = Table(title="Decoded payloads and their segments", title_justify="left")
            t.add_column("blob")
            t.add_column("from", style="mf.where")
            t.add_column("bytes", justify="right")
            t.add_column("segments")
            for b in report.blobs[:MAX_ROWS]:
                segs = [seg for seg in report.segments if seg.blob == b.id]
                cell = Text()
                for k, seg in enumerate(segs):
                    if k:
                        cell.append("\n")
                    cell.append(seg.kind, style="mf.kind")
                    cell.append(f" {seg.start}-{seg.end} ")
                    cell.append_text(_conf(seg.confidence))
                t.add_row(b.id, b.provenance, f"{len(b.data):,}", cell)
            out.append(t)
            out.extend(_more(len(report.blobs)))
        repairs = report.repairs
        if repairs:
            t = Table(title=f"Repairs ({len(repairs)})", title_justify="left", expand=True)
            t.add_column("where", style="mf.where", overflow="fold", ratio=3)
            t.add_column("what", style="mf.kind", ratio=2, overflow="fold")
            t.add_column("before → after", ratio=2, overflow="fold")
            t.add_column("why", overflow="fold", ratio=4)
            t.add_column("conf", justify="right", width=4)
            groups = _grouped(repairs)
            for group in groups[:MAX_ROWS]:
                r = group[0]
                where = r.where if len(group) == 1 else f"{r.where} (+{len(group) - 1} more)"
                change = (
                    f"{_short(r.before, 24)} → {_short(r.after, 24)}"
                    if (r.before or r.after)
                    else ""
                )
                what = f"{r.kind} ×{len(group)}" if len(group) > 1 else r.kind
                t.add_row(where, what, change, r.reason, _conf(min(x.confidence for x in group)))
            out.append(t)
            out.extend(_more(len(groups)))
        if report.artifacts:
            folder = _rel(report.out_dir) if report.out_dir else ""
            title = f"Files written to {folder}" if folder else "Pieces (nothing written)"
            t = Table(title=title, title_justify="left")
            t.add_column("file", style="mf.path", overflow="fold", min_width=24)
            t.add_column("kind", style="mf.kind")
            t.add_column("notes", justify="right")
            t.add_column("trk", justify="right")
            t.add_column("length", justify="right")
            t.add_column("verdict")
            for a in report.artifacts[:MAX_ROWS]:
                music = a.kind in ("midi", "musicxml", "abc")
                t.add_row(
                    os.path.basename(a.path) if a.path else "(not written)",
                    a.kind,
                    str(a.notes) if music else "",
                    str(a.tracks) if music else "",
                    _length(a.seconds, a.tempo_bpm) if music else "",
                    Text(
                        f"{a.verdict} {a.confidence:.2f}" if a.verdict else "",
                        style=_VERDICT_STYLE.get(a.verdict, ""),
                    ),
                )
            out.append(t)
            out.extend(_more(len(report.artifacts)))
        shown: set[int | None] = set()
        for a in report.artifacts:
            if a.as_found and a.piece not in shown:
                shown.add(a.piece)
                out.append(Text.assemble((f"piece {a.piece}: ", "mf.title"), a.as_found))
        for p in report.problems:
            out.append(Text.assemble(("! ", "mf.warn"), (p.where + ": ", "mf.where"), p.message))
        style = "mf.good" if report.pieces else "mf.warn"
        out.append(Text.assemble(("Verdict: ", "mf.title"), (report.verdict, style)))
        return out

    def render(self, report: Report, console: Console, notes: bool = False) -> None:
        console.print(Group(*self.renderables(report, notes)))


def make_console(file: object = None, width: int | None = None) -> Console:
    return Console(theme=THEME, file=file, width=width, highlight=False)  # type: ignore[arg-type]
