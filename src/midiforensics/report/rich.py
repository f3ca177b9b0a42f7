"""The report for people on the terminal.

The default view is read in ten seconds: the verdict, one line per piece (file, notes, length,
tempo, verdict, what is missing), the problems that matter counted by kind, and a preview of
the decoded prose when no music was found. ``details=True`` (``-v``) adds what was found, the
decoded payloads and their segments, every repair and every file. Everything is written as
wrapped text (no tables), so at 80 columns no word breaks and nothing is cut. Locations are
given relative to the payload they are in (``B1 L1:C645``), with a key to the payloads.
"""

from __future__ import annotations

import os
import re
from collections import Counter

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.text import Text
from rich.theme import Theme

from ..formats.base import VERDICTS
from .models import Artifact, Blob, Problem, Repair, Report

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

MAX_ROWS = 40  # longer lists are cut in the detailed view (report.json and --json hold all)
MAX_PIECES = 12  # piece lines in the default view
MAX_PROBLEMS = 6  # problem lines (kinds) in the default view
PREVIEW_CHARS = 150

_VERDICT_STYLE = {
    "intact": "mf.good",
    "repaired": "mf.warn",
    "salvaged": "mf.bad",
    "fragment": "mf.dim",
}
STDOUT = "-"  # ``Report.out_dir`` when the one MIDI file went to standard output

# problems that repeat, said once with a count: (pattern, plural phrase)
_PROBLEM_KINDS = (
    (
        re.compile(r"^same payload as \S+: not written again$"),
        "duplicate payloads not written again",
    ),
    (re.compile(r"budget exhausted"), "payloads skipped: decoded-size budget exhausted"),
    (re.compile(r"^nesting deeper than"), "payloads nested too deep: not searched"),
)


def _short(s: str, n: int = 40) -> str:
    s = " ".join(s.replace("\\n", " ").replace("\\t", " ").split())
    return s if len(s) <= n else s[: n - 1] + "…"


def _rel(path: str) -> str:
    """``path`` relative to the current folder when it lies below it, else as it is."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


class Locations:
    """Shortens locations to the payload they are in: ``L1:C1 base64 -> text L1:C645``
    becomes ``B1 L1:C645``; the key (``B1 = base64 at L1:C1``) is printed with the details."""

    def __init__(self, blobs: tuple[Blob, ...]) -> None:
        self._blobs = blobs
        self._ids: dict[str, str] | None = None  # a blob's location -> its id, made when asked

    def __call__(self, where: str) -> str:
        if " -> " not in where:
            return where
        if self._ids is None:
            self._ids = {}
            for b in self._blobs:
                self._ids.setdefault(b.where, b.id)  # the first of two blobs in one place
        # the longest prefix wins: a payload inside a payload is named by the inner one, so
        # the arrows are tried from the last
        k = where.rfind(" -> ")
        while k != -1:
            blob_id = self._ids.get(where[:k])
            if blob_id is not None:
                rest = where[k + 4 :]
                return f"{blob_id} {rest.removeprefix('text ')}"
            k = where.rfind(" -> ", 0, k + 3)
        return where


def _change(r: Repair) -> str:
    before, after = _short(r.before, 28), _short(r.after, 28)
    if before and after:
        return f"{before} → {after}"
    if before:
        return f"{before} → (removed)"
    if after:
        return f"(added) {after}"
    return ""


def _grouped(repairs: tuple[Repair, ...]) -> list[list[Repair]]:
    """The same change made in several places is one entry (with a count), in first-seen order."""
    groups: dict[tuple[str, str, str, str, str], list[Repair]] = {}
    for r in repairs:
        groups.setdefault((r.stage, r.kind, r.before, r.after, r.reason), []).append(r)
    return list(groups.values())


def missing_words(repairs: tuple[Repair, ...] | list[Repair]) -> str:
    """What a piece lacks, in words, from its repairs marked lost or guessed:
    ``"lost: header, delta time ×3; guessed: octave"``; "" when nothing was lost or guessed."""
    parts = []
    for loss in ("lost", "guessed"):
        counts = Counter(r.kind.replace("-", " ") for r in repairs if r.loss == loss)
        if counts:
            kinds = ", ".join(k + (f" ×{n}" if n > 1 else "") for k, n in counts.items())
            parts.append(f"{loss}: {kinds}")
    return "; ".join(parts)


def _length(seconds: float, bpm: float | None) -> str:
    out = f"{seconds:.1f} s" if seconds else ""
    tempo = f"♩={bpm:g}" if bpm else ""
    return ", ".join(x for x in (out, tempo) if x)


def _pieces(report: Report) -> list[list[Artifact]]:
    """The artifacts of each piece (a .mid and its .musicxml), in the order written."""
    by_piece: dict[int, list[Artifact]] = {}
    for a in report.artifacts:
        if a.piece is not None and a.kind in _music():
            by_piece.setdefault(a.piece, []).append(a)
    return list(by_piece.values())


def _main_artifact(piece: list[Artifact]) -> Artifact:
    return next((a for a in piece if a.kind == "midi"), piece[0])


def verdict_counts(report: Report) -> Counter[str]:
    """How many pieces are intact, repaired, salvaged and fragment (by each piece's MIDI)."""
    return Counter(_main_artifact(p).verdict for p in _pieces(report) if _main_artifact(p).verdict)


def verdict_line(report: Report) -> Text:
    """The report's verdict, with the pieces counted by verdict when it does not say so."""
    counts = verdict_counts(report)
    text = report.verdict or "done"
    if counts and not any(v in text for v in VERDICTS):
        text += ": " + ", ".join(f"{counts[v]} {v}" for v in VERDICTS if counts[v])
    style = "mf.good" if report.pieces else "mf.warn"
    return Text.assemble(("Verdict: ", "mf.title"), (text, style))


def _piece_line(piece: list[Artifact]) -> Text:
    """``  01-b64-L1-musicxml.mid  6 notes, 3.5 s, ♩=120  salvaged 0.62  header lost``"""
    main = _main_artifact(piece)
    name = os.path.basename(main.path) if main.path else f"piece {main.piece} (not written)"
    line = Text(name, style="mf.path")
    facts = [_plural(main.notes, "note")]
    if main.tracks > 1:
        facts.append(_plural(main.tracks, "track"))
    length = _length(main.seconds, main.tempo_bpm)
    if length:
        facts.append(length)
    line.append("  " + ", ".join(facts) + "  ")
    line.append(f"{main.verdict} {main.confidence:.2f}", style=_VERDICT_STYLE.get(main.verdict, ""))
    repairs = [r for a in piece for r in a.repairs]
    missing = missing_words(list({id(r): r for r in repairs}.values()))
    if missing:
        line.append(f"  {missing}", style="mf.bad")
    return line


def _also_written(report: Report, pieces: list[list[Artifact]]) -> Counter[str]:
    """Files written besides each piece's main one: ``.musicxml`` of pieces, text, binary."""
    mains = {id(_main_artifact(p)) for p in pieces}
    out: Counter[str] = Counter()
    for a in report.artifacts:
        if id(a) in mains or not a.path:
            continue
        out[os.path.splitext(a.path)[1] if a.kind in _music() else a.kind] += 1
    return out


def _problem_kind(p: Problem) -> str | None:
    for pattern, phrase in _PROBLEM_KINDS:
        if pattern.search(p.message):
            return phrase
    return None


def problem_lines(problems: tuple[Problem, ...], where: Locations, cap: int) -> list[Text]:
    """Problems, those that repeat counted by kind, at most ``cap`` lines."""
    kinds: Counter[str] = Counter()
    single: list[Problem] = []
    for p in problems:
        kind = _problem_kind(p)
        if kind:
            kinds[kind] += 1
        else:
            single.append(p)
    lines = [Text.assemble(("! ", "mf.warn"), f"{n:,} {kind}") for kind, n in kinds.items()]
    for p in single:
        lines.append(
            Text.assemble(("! ", "mf.warn"), p.message, (f" ({where(p.where)})", "mf.where"))
        )
    if len(lines) > cap:
        rest = len(lines) - cap + 1
        lines = lines[: cap - 1] + [
            Text(f"… {rest} more problems: see -v or --json", style="mf.dim")
        ]
    return lines


def prose_preview(report: Report, chars: int = PREVIEW_CHARS) -> str:
    """The start of the first decoded prose, whitespace collapsed: "" when there is none."""
    blobs = {b.id: b for b in report.blobs}
    for seg in report.segments:
        if seg.kind not in ("prose", "text") or seg.blob not in blobs:
            continue
        raw = blobs[seg.blob].data[seg.start : seg.end][: chars * 4]
        flat = " ".join(raw.decode("utf-8", errors="replace").split())
        if flat:
            return flat if len(flat) <= chars else flat[: chars - 1].rsplit(" ", 1)[0] + " …"
    return ""


class RichRenderer:
    """Renders a report as a list of rich renderables: the short view, and with
    ``details=True`` everything found, decoded, repaired and written."""

    def renderables(self, report: Report, details: bool = False) -> list[RenderableType]:
        where = Locations(report.blobs)
        out: list[RenderableType] = [verdict_line(report)]
        out.extend(self._summary(report, where))
        if details:
            out.extend(self._details(report, where))
        elif report.spans or report.repairs:
            out.append(
                Text(
                    f"{_plural(len(report.spans), 'run')} found, "
                    f"{_plural(len(report.repairs), 'repair')}: -v shows them all",
                    style="mf.dim",
                )
            )
        return out

    def _summary(self, report: Report, where: Locations) -> list[RenderableType]:
        out: list[RenderableType] = []
        pieces = _pieces(report)
        to_stdout = report.out_dir == STDOUT
        if pieces:
            folder = _rel(report.out_dir) if report.out_dir and not to_stdout else ""
            title = f"Pieces in {folder}/" if folder else "Pieces"
            out.append(Text(title + (" (the MIDI file goes to stdout)" if to_stdout else "")))
            out.extend(
                Padding(_piece_line(p), (0, 0, 0, 2), expand=False) for p in pieces[:MAX_PIECES]
            )
            if len(pieces) > MAX_PIECES:
                more = len(pieces) - MAX_PIECES
                out.append(Text(f"  … {_plural(more, 'more piece')}: -v lists all", "mf.dim"))
        seen: set[int | None] = set()
        for a in report.artifacts:
            if a.as_found and a.piece not in seen and len(seen) < 3:
                seen.add(a.piece)
                said = Text.assemble((f"piece {a.piece}: ", "mf.dim"), a.as_found)
                out.append(Padding(said, (0, 0, 0, 2), expand=False))
        others = _also_written(report, pieces)
        if others and not to_stdout:
            listed = ", ".join(f"{n} {kind}" for kind, n in others.items())
            out.append(Text(f"Also written: {listed} (report.json lists all)", style="mf.dim"))
        if not report.pieces and not report.music_found:
            preview = prose_preview(report)
            if preview:
                out.append(Text.assemble(("The decoded text says: ", "mf.title"), f"“{preview}”"))
        out.extend(problem_lines(report.problems, where, MAX_PROBLEMS))
        return out

    def _details(self, report: Report, where: Locations) -> list[RenderableType]:
        out: list[RenderableType] = [
            Text.assemble(
                ("Input ", "mf.title"), (report.input, "mf.path"), f" ({report.size:,} bytes)"
            )
        ]
        if report.spans:
            out.append(Text(f"Found ({len(report.spans)})", style="mf.title"))
            for i, s in enumerate(report.spans[:MAX_ROWS], 1):
                cut = ", truncated" if s.truncated else ""
                out.append(
                    Text.assemble(
                        f"  {i}. ",
                        (where(s.where), "mf.where"),
                        " ",
                        (s.encoding, "mf.kind"),
                        f", {s.end - s.start:,} chars{cut}",
                    )
                )
            out.extend(_more(len(report.spans)))
        if report.blobs:
            out.append(Text("Decoded payloads and their segments", style="mf.title"))
            for b in report.blobs[:MAX_ROWS]:
                segs = ", ".join(
                    f"{seg.kind} {seg.start}-{seg.end} ({seg.confidence:.2f})"
                    for seg in report.segments
                    if seg.blob == b.id
                )
                out.append(
                    Text.assemble(
                        f"  {b.id} = ", (b.where, "mf.where"), f", {len(b.data):,} bytes: {segs}"
                    )
                )
            out.extend(_more(len(report.blobs)))
        out.extend(repair_lines(report.repairs, where))
        if report.artifacts:
            folder = _rel(report.out_dir) if report.out_dir else ""
            out.append(
                Text(f"Files in {folder}/" if folder else "Files (nothing written)", "mf.title")
            )
            for a in report.artifacts[:MAX_ROWS]:
                name = os.path.basename(a.path) if a.path else "(not written)"
                facts = (
                    f"{a.notes} notes, {_length(a.seconds, a.tempo_bpm)}"
                    if a.kind in _music()
                    else ""
                )
                verdict = f" {a.verdict} {a.confidence:.2f}" if a.verdict else ""
                out.append(Text.assemble("  ", (name, "mf.path"), f" {a.kind} {facts}{verdict}"))
            out.extend(_more(len(report.artifacts)))
        return out

    def render(self, report: Report, console: Console, details: bool = False) -> None:
        console.print(Group(*self.renderables(report, details)))


def _more(total: int) -> list[RenderableType]:
    if total <= MAX_ROWS:
        return []
    return [Text(f"  … {total - MAX_ROWS} more: see report.json or --json", style="mf.dim")]


def repair_lines(repairs: tuple[Repair, ...], where: Locations) -> list[RenderableType]:
    """Every repair, the same change in several places as one entry with a count and its
    places; two lines each: where, what and confidence; then the change and why."""
    if not repairs:
        return []
    out: list[RenderableType] = [Text(f"Repairs ({len(repairs)})", style="mf.title")]
    groups = _grouped(repairs)
    for group in groups[:MAX_ROWS]:
        r = group[0]
        places = ", ".join(where(x.where) for x in group[:4] if x.where)
        if len(group) > 4:
            places += f" (+{len(group) - 4} more)"
        count = f" ×{len(group)}" if len(group) > 1 else ""
        loss = f", {r.loss}" if r.loss else ""
        conf = min(x.confidence for x in group)
        out.append(
            Text.assemble(
                "  ",
                (places or "?", "mf.where"),
                " ",
                (f"{r.kind}{count}", "mf.kind"),
                f" ({conf:.2f}{loss})",
            )
        )
        change = _change(r)
        body = f"{change}: {r.reason}" if change else r.reason
        out.append(Padding(Text(body), (0, 0, 0, 4), expand=False))
    out.extend(_more(len(groups)))
    return out


def make_console(file: object = None, width: int | None = None) -> Console:
    return Console(theme=THEME, file=file, width=width, highlight=False)  # type: ignore[arg-type]


def _music() -> frozenset[str]:
    """Artifact kinds that belong to a piece: its MIDI, its MusicXML, and the handlers' own
    texts (an ABC tune, a LilyPond score)."""
    from ..formats import MUSIC_KINDS

    return MUSIC_KINDS | {"midi", "musicxml"}
