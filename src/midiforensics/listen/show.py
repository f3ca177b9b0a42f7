"""Look at a piece: a summary and piano roll in the terminal (rich), a piano-roll PNG
(pygame, headless), or the score as SVG (verovio, optional extra ``svg``).

The notes are read from MIDI with mido; scores are rendered to MIDI first (music21).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.table import Table
from rich.text import Text

from ..report.models import Repair
from .play.inputs import InputError, check_midi, expand, is_score, score_to_midi

NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
DRUM_CHANNEL = 9
PALETTE = ("cyan", "magenta", "green", "yellow", "blue", "red", "bright_cyan", "bright_magenta")
RGB = ((0, 150, 190), (190, 40, 150), (40, 150, 60), (200, 150, 0), (50, 80, 200), (200, 50, 40))


@dataclass(frozen=True)
class Note:
    onset: float  # quarter notes from the start
    duration: float  # quarter notes
    pitch: int
    velocity: int
    channel: int
    track: int


@dataclass(frozen=True)
class MidiSummary:
    name: str
    seconds: float
    tracks: int  # tracks that hold notes (a conductor track is not counted)
    notes: tuple[Note, ...]
    tempos: tuple[tuple[float, float], ...] = ()  # (quarter, bpm)
    meters: tuple[tuple[float, int, int], ...] = ()  # (quarter, numerator, denominator)
    keys: tuple[str, ...] = ()
    instruments: tuple[str, ...] = ()
    track_names: tuple[str, ...] = field(default=())

    @property
    def end(self) -> float:
        """Quarter at which the last note ends."""
        return max((n.onset + n.duration for n in self.notes), default=0.0)

    def bar_starts(self, limit: float) -> list[float]:
        """Quarter positions of the bar lines up to ``limit`` (4/4 when no meter is given)."""
        meters = list(self.meters) or [(0.0, 4, 4)]
        if meters[0][0] > 0:
            meters.insert(0, (0.0, 4, 4))
        starts: list[float] = []
        pos = 0.0
        for i, (_at, num, den) in enumerate(meters):
            until = meters[i + 1][0] if i + 1 < len(meters) else limit
            length = num * 4 / den if num > 0 and den > 0 else 4.0
            while pos < until - 1e-9 and pos < limit:
                starts.append(pos)
                pos += length
        return starts


def pitch_name(pitch: int) -> str:
    """MIDI 60 -> C4."""
    return f"{NOTE_NAMES[pitch % 12]}{pitch // 12 - 1}"


def describe(path: Path, name: str | None = None) -> MidiSummary:
    """Read the notes, tempi, meters, keys and instruments of a MIDI file.

    Raises InputError when the file is not MIDI or mido cannot read it.
    """
    import mido

    check_midi(path)
    try:
        mid = mido.MidiFile(str(path), clip=True)
        seconds = mid.length if mid.type != 2 else 0.0
    except (OSError, EOFError, ValueError, KeyError, IndexError) as exc:
        raise InputError(f"{path}: unreadable MIDI ({exc})") from None
    tpb = mid.ticks_per_beat or 480
    notes: list[Note] = []
    tempos: list[tuple[float, float]] = []
    meters: list[tuple[float, int, int]] = []
    keys: list[str] = []
    programs: dict[int, int] = {}
    track_names: list[str] = []
    for index, track in enumerate(mid.tracks):
        tick = 0
        sounding: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for msg in track:
            tick += msg.time
            q = tick / tpb
            if msg.type == "note_on" and msg.velocity > 0:
                sounding.setdefault((msg.channel, msg.note), []).append((tick, msg.velocity))
            elif msg.type in ("note_off", "note_on"):
                started = sounding.get((msg.channel, msg.note))
                if started:
                    on, vel = started.pop(0)
                    notes.append(
                        Note(on / tpb, (tick - on) / tpb, msg.note, vel, msg.channel, index)
                    )
            elif msg.type == "program_change":
                programs.setdefault(msg.channel, msg.program)
            elif msg.type == "set_tempo":
                tempos.append((q, round(mido.tempo2bpm(msg.tempo), 2)))
            elif msg.type == "time_signature":
                meters.append((q, msg.numerator, msg.denominator))
            elif msg.type == "key_signature":
                keys.append(msg.key)
            elif msg.type == "track_name" and msg.name.strip():
                track_names.append(msg.name.strip())
        for (channel, pitch), starts in sounding.items():  # never released: end with track
            notes.extend(
                Note(on / tpb, (tick - on) / tpb, pitch, v, channel, index) for on, v in starts
            )
    notes.sort(key=lambda n: (n.onset, -n.pitch))
    channels = sorted({n.channel for n in notes})
    instruments = tuple(
        "Drums (ch 10)"
        if ch == DRUM_CHANNEL
        else f"{GM_PROGRAMS[programs.get(ch, 0)]} (ch {ch + 1})"
        for ch in channels
    )
    return MidiSummary(
        name=name or path.name,
        seconds=seconds,
        tracks=len({n.track for n in notes}),
        notes=tuple(notes),
        tempos=tuple(sorted(set(tempos))),
        meters=tuple(sorted(set(meters))),
        keys=tuple(dict.fromkeys(keys)),
        instruments=instruments,
        track_names=tuple(track_names),
    )


# --- terminal -------------------------------------------------------------------------------


def length_text(seconds: float) -> str:
    """A length as the report, ``mf show`` and ``mf play`` give it (``6.6 s``), with minutes
    past a minute (``75.0 s (1:15)``)."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    m, s = divmod(int(round(seconds)), 60)
    return f"{seconds:.1f} s ({m}:{s:02d})"


def _quarters(value: float) -> str:
    """Duration in quarter notes as a short fraction: 1, 1/2, 3/2, 1/3."""
    frac = Fraction(value).limit_denominator(12)
    return str(frac.numerator) if frac.denominator == 1 else f"{frac.numerator}/{frac.denominator}"


def header(summary: MidiSummary) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    if summary.tempos:
        bpms = " → ".join(f"{bpm:g}" for _, bpm in summary.tempos[:4])
        more = " …" if len(summary.tempos) > 4 else ""
        tempo = f"{bpms}{more} bpm"
    else:
        tempo = "120 bpm (none given)"
    if summary.meters:
        meter = ", ".join(f"{num}/{den}" for _, num, den in summary.meters[:4])
    else:
        meter = "4/4 (none given)"
    pitches = [n.pitch for n in summary.notes]
    span = f"{pitch_name(min(pitches))}–{pitch_name(max(pitches))}" if pitches else "-"
    grid.add_row("piece", summary.name)
    grid.add_row(
        "length",
        f"{length_text(summary.seconds)}  ({len(summary.notes)} notes, {summary.tracks} track{'s' if summary.tracks != 1 else ''}, range {span})",
    )
    grid.add_row("tempo", tempo)
    grid.add_row("meter", meter + (f"   key {', '.join(summary.keys)}" if summary.keys else ""))
    grid.add_row("instruments", ", ".join(summary.instruments) or "-")
    return grid


class PianoRoll:
    """The first bars as a piano roll that fits the console width: one row per pitch, one
    cell per grid step, ``●`` where a note starts and ``━`` while it sounds."""

    LABEL = 5
    MAX_ROWS = 36

    def __init__(self, summary: MidiSummary, bars: int = 4) -> None:
        self.summary = summary
        self.bars = max(1, bars)

    def _resolution(self, notes: Sequence[Note]) -> int:
        """Grid steps per quarter: 2, or 4 when onsets fall between eighths."""
        for steps in (2, 4):
            if all(abs(n.onset * steps - round(n.onset * steps)) < 1e-6 for n in notes):
                return steps
        return 4

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        summary = self.summary
        if not summary.notes:
            yield Text("(no notes)", style="dim")
            return
        starts = summary.bar_starts(summary.end)
        shown = starts[: self.bars + 1]
        end = shown[self.bars] if len(shown) > self.bars else summary.end
        notes = [n for n in summary.notes if n.onset < end - 1e-9]
        steps = self._resolution(notes)
        # fewer bars, then a coarser grid, until the roll fits the width
        while True:
            cells = round((end - shown[0]) * steps) + len(shown)
            if self.LABEL + cells <= options.max_width or (len(shown) <= 2 and steps == 1):
                break
            if len(shown) > 2:
                shown = shown[:-1]
                end = shown[-1]
                notes = [n for n in notes if n.onset < end - 1e-9]
            else:
                steps //= 2
        bar_lines = set(shown)
        pitches = sorted({n.pitch for n in notes}, reverse=True)
        if pitches and pitches[0] - pitches[-1] < self.MAX_ROWS:
            pitches = list(range(pitches[0], pitches[-1] - 1, -1))
        pitches = pitches[: self.MAX_ROWS]
        total = round((end - shown[0]) * steps)
        colour = {
            ch: PALETTE[i % len(PALETTE)] for i, ch in enumerate(sorted({n.channel for n in notes}))
        }
        grid: dict[int, list[tuple[str, str]]] = {}
        for pitch in pitches:
            row = []
            for step in range(total):
                q = step / steps
                row.append(("·" if abs(q - round(q)) < 1e-9 else " ", "dim"))
            grid[pitch] = row
        for n in notes:
            if n.pitch not in grid:
                continue
            first = round(n.onset * steps)
            last = max(first + 1, round((n.onset + n.duration) * steps))
            for step in range(first, min(last, total)):
                grid[n.pitch][step] = ("●" if step == first else "━", colour[n.channel])
        for pitch in pitches:
            line = Text(
                f"{pitch_name(pitch):>{self.LABEL - 1}} ", style="bold" if pitch % 12 == 0 else ""
            )
            for step, (char, style) in enumerate(grid[pitch]):
                if step / steps in bar_lines:
                    line.append("│", style="dim")
                line.append(char, style=style)
            line.append("│", style="dim")
            yield line
        unit = {1: "quarter", 2: "eighth", 4: "sixteenth"}[steps]
        yield Text(
            f"{'':{self.LABEL}}bars 1–{sum(1 for b in shown if b < end - 1e-9)}, one cell per {unit}",
            style="dim",
        )


def note_list(summary: MidiSummary, bars: int = 4) -> Table:
    """The first bars as text: pitches with durations in quarters, chords joined by ``+``;
    one row per bar and channel when there are several channels."""
    channels = sorted({n.channel for n in summary.notes})
    table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
    table.add_column("bar", justify="right")
    if len(channels) > 1:
        table.add_column("ch", justify="right")
    table.add_column("notes (pitch duration-in-quarters)")
    starts = summary.bar_starts(summary.end)
    for i, start in enumerate(starts[:bars]):
        stop = starts[i + 1] if i + 1 < len(starts) else float("inf")
        in_bar = [n for n in summary.notes if start - 1e-9 <= n.onset < stop - 1e-9]
        for channel in channels if len(channels) > 1 else [None]:
            chords: dict[float, list[Note]] = {}
            for n in in_bar:
                if channel is None or n.channel == channel:
                    chords.setdefault(n.onset, []).append(n)
            words = []
            for onset in sorted(chords):
                group = sorted(chords[onset], key=lambda n: n.pitch)
                names = "+".join(pitch_name(n.pitch) for n in group)
                words.append(f"{names} {_quarters(max(n.duration for n in group))}")
            if channel is None:
                table.add_row(str(i + 1), "  ".join(words) or "[dim]rest[/]")
            elif words:
                table.add_row(str(i + 1), str(channel + 1), "  ".join(words))
    return table


def _brief(text: str, width: int = 20) -> str:
    """Whitespace (and literal escapes) collapsed, cut to ``width`` characters."""
    flat = " ".join(text.replace("\\n", " ").replace("\\t", " ").split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def repairs_table(repairs: Sequence[Repair], limit: int = 10) -> Table:
    """The repairs, the same change made in several places shown once with a count; the
    location is the last hop of the chain (where in the decoded text)."""
    groups: dict[tuple[str, str, str], list[Repair]] = {}
    for r in repairs:
        groups.setdefault((r.kind, r.before, r.after), []).append(r)
    table = Table(title="what the repairs changed", title_justify="left", box=None, pad_edge=False)
    table.add_column("where", style="dim", no_wrap=True)
    table.add_column("change", no_wrap=True)
    table.add_column("why", style="dim")
    for (kind, before, after), same in list(groups.items())[:limit]:
        first = same[0]
        where = first.where.rsplit(" -> ", 1)[-1] if first.where else ""
        if not where and first.offset is not None:
            where = f"@{first.offset}"
        change = f"{_brief(before)} → {_brief(after)}" if (before or after) else kind
        if len(same) > 1:
            change += f"  ×{len(same)}"
        table.add_row(where, change, first.reason)
    if len(groups) > limit:
        table.add_row("", f"… and {len(groups) - limit} more kinds of change", "")
    return table


def notes_renderable(
    midi_path: Path, bars: int = 4, repairs: Sequence[Repair] = (), name: str | None = None
) -> RenderableType:
    """A compact view of one piece for ``mf show`` and ``mf decode --notes``: tempo, meter,
    instruments, a piano roll and note list of the first ``bars`` bars, and the repairs that
    made it (when given). A file that cannot be read gives a one-line message instead."""
    try:
        summary = describe(Path(midi_path), name=name)
    except InputError as exc:
        return Text(str(exc), style="red")
    return summary_renderable(summary, bars, repairs)


def summary_renderable(
    summary: MidiSummary, bars: int = 4, repairs: Sequence[Repair] = ()
) -> RenderableType:
    parts: list[RenderableType] = [
        header(summary),
        PianoRoll(summary, bars),
        note_list(summary, bars),
    ]
    if repairs:
        parts.append(repairs_table(repairs))
    return Group(*parts)


def repairs_from_report(path: Path) -> tuple[Repair, ...]:
    """The repairs that ``report.json`` beside ``path`` lists for the artifact ``path`` (or
    for another artifact of the same piece). Empty when there is no readable report."""
    report = path.parent / "report.json"
    try:
        data = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ()
    artifacts = data.get("artifacts") if isinstance(data, dict) else None
    if not isinstance(artifacts, list):
        return ()
    mine = [
        a
        for a in artifacts
        if isinstance(a, dict) and Path(str(a.get("path", ""))).name == path.name
    ]
    pieces = {a.get("piece") for a in mine if a.get("piece") is not None}
    related = mine + [
        a for a in artifacts if isinstance(a, dict) and a not in mine and a.get("piece") in pieces
    ]
    out: list[Repair] = []
    for art in related:
        for r in art.get("repairs") or ():
            repair = _repair_from_dict(r)
            if repair is not None and repair not in out:
                out.append(repair)
    return tuple(out)


def _repair_from_dict(raw: Any) -> Repair | None:
    if not isinstance(raw, dict):
        return None
    try:
        offset = raw.get("offset")
        return Repair(
            stage=str(raw.get("stage", "")),
            kind=str(raw.get("kind", "")),
            reason=str(raw.get("reason", "")),
            offset=int(offset) if offset is not None else None,
            before=str(raw.get("before", "")),
            after=str(raw.get("after", "")),
            confidence=float(raw.get("confidence", 1.0)),
            where=str(raw.get("where", "")),
        )
    except (TypeError, ValueError):
        return None


# --- pictures -------------------------------------------------------------------------------


def write_png(summary: MidiSummary, out: Path, width: int = 1600) -> Path:
    """Draw the whole piece as a piano roll PNG (pygame, no display needed)."""
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame

    if not summary.notes:
        raise InputError(f"{summary.name}: no notes to draw")
    low = min(n.pitch for n in summary.notes) - 1
    high = max(n.pitch for n in summary.notes) + 1
    row = max(4, min(14, 600 // (high - low + 1)))
    label, top = 44, 24
    end = max(summary.end, 1.0)
    px = max(2.0, min(60.0, (width - label - 10) / end))
    size = (int(label + end * px + 10), top + (high - low + 1) * row + 10)
    surface = pygame.Surface(size)
    surface.fill((255, 255, 255))
    pygame.font.init()
    font = pygame.font.Font(None, 16)
    for pitch in range(low, high + 1):
        y = top + (high - pitch) * row
        if pitch % 12 in (1, 3, 6, 8, 10):
            pygame.draw.rect(surface, (242, 242, 242), (label, y, size[0] - label, row))
        if pitch % 12 == 0:
            pygame.draw.line(surface, (200, 200, 200), (label, y + row - 1), (size[0], y + row - 1))
            surface.blit(font.render(pitch_name(pitch), True, (60, 60, 60)), (4, y + row - 12))
    for i, start in enumerate(summary.bar_starts(end)):
        x = int(label + start * px)
        pygame.draw.line(surface, (170, 170, 170), (x, top), (x, size[1] - 10))
        if px * 4 > 20 or i % 4 == 0:
            surface.blit(font.render(str(i + 1), True, (120, 120, 120)), (x + 2, 6))
    colours = {
        ch: RGB[i % len(RGB)] for i, ch in enumerate(sorted({n.channel for n in summary.notes}))
    }
    for n in summary.notes:
        rect = (
            int(label + n.onset * px),
            top + (high - n.pitch) * row + 1,
            max(2, int(n.duration * px) - 1),
            row - 2,
        )
        pygame.draw.rect(surface, colours[n.channel], rect)
    with tempfile.TemporaryDirectory(prefix="mf-png-") as tmp:
        drawn = Path(tmp) / "roll.png"
        pygame.image.save(surface, str(drawn))
        _write_new(out, drawn.read_bytes())
    return out


def _write_new(out: Path, data: bytes) -> None:
    """Write a picture, never over an existing file (InputError says which)."""
    from ..write import write_new

    try:
        write_new(out, data)
    except FileExistsError:
        raise InputError(f"{out}: exists; choose a new name (mf never overwrites a file)") from None
    except OSError as exc:
        raise InputError(f"cannot write {out}: {exc.strerror or exc}") from None


class MissingExtra(InputError):
    """An optional package is not installed."""


def write_svg(source: Path, out: Path) -> list[Path]:
    """Engrave a score (MusicXML/MXL/ABC; MIDI is transcribed with music21 first) as SVG
    with verovio: page 1 to ``out``, further pages to ``out-2.svg`` and on."""
    try:
        import verovio
    except ImportError:
        raise MissingExtra(
            "drawing scores needs verovio: pip install 'midiforensics[svg]' (or use --png)"
        ) from None
    data = _score_text(source)
    toolkit = verovio.toolkit()
    toolkit.setOptions({"adjustPageHeight": True, "scale": 45, "pageWidth": 2100})
    if not toolkit.loadData(data):
        raise InputError(f"{source}: verovio cannot read this score")
    written = []
    for page in range(1, toolkit.getPageCount() + 1):
        target = out if page == 1 else out.with_name(f"{out.stem}-{page}{out.suffix}")
        _write_new(target, toolkit.renderToSVG(page).encode("utf-8"))
        written.append(target)
    return written


def _score_text(source: Path) -> str:
    """MusicXML (or ABC) text verovio can read; MIDI and MXL go through music21."""
    suffix = source.suffix.lower()
    if suffix in (".musicxml", ".xml", ".abc"):
        try:
            return source.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{source}: cannot read ({exc})") from None
    if suffix != ".mxl":
        check_midi(source)
    from music21 import converter
    from music21.musicxml.m21ToXml import GeneralObjectExporter

    try:
        score = converter.parse(str(source))
        return GeneralObjectExporter(score).parse().decode("utf-8")
    except Exception as exc:  # music21 raises many kinds on damaged input
        raise InputError(f"{source}: cannot transcribe ({type(exc).__name__})") from None


def iter_summaries(paths: Iterable[Path]) -> Iterator[tuple[Path, MidiSummary]]:
    """(original path, summary) for each input; scores are rendered to MIDI first."""
    for path in expand(paths):
        if is_score(path):
            with tempfile.TemporaryDirectory(prefix="mf-show-") as tmp:
                yield path, describe(score_to_midi(path, Path(tmp)), name=path.name)
        else:
            yield path, describe(path)


GM_PROGRAMS = (
    "Acoustic Grand Piano", "Bright Acoustic Piano", "Electric Grand Piano", "Honky-tonk Piano",
    "Electric Piano 1", "Electric Piano 2", "Harpsichord", "Clavinet",
    "Celesta", "Glockenspiel", "Music Box", "Vibraphone",
    "Marimba", "Xylophone", "Tubular Bells", "Dulcimer",
    "Drawbar Organ", "Percussive Organ", "Rock Organ", "Church Organ",
    "Reed Organ", "Accordion", "Harmonica", "Tango Accordion",
    "Acoustic Guitar (nylon)", "Acoustic Guitar (steel)", "Electric Guitar (jazz)", "Electric Guitar (clean)",
    "Electric Guitar (muted)", "Overdriven Guitar", "Distortion Guitar", "Guitar Harmonics",
    "Acoustic Bass", "Electric Bass (finger)", "Electric Bass (pick)", "Fretless Bass",
    "Slap Bass 1", "Slap Bass 2", "Synth Bass 1", "Synth Bass 2",
    "Violin", "Viola", "Cello", "Contrabass",
    "Tremolo Strings", "Pizzicato Strings", "Orchestral Harp", "Timpani",
    "String Ensemble 1", "String Ensemble 2", "Synth Strings 1", "Synth Strings 2",
    "Choir Aahs", "Voice Oohs", "Synth Voice", "Orchestra Hit",
    "Trumpet", "Trombone", "Tuba", "Muted Trumpet",
    "French Horn", "Brass Section", "Synth Brass 1", "Synth Brass 2",
    "Soprano Sax", "Alto Sax", "Tenor Sax", "Baritone Sax",
    "Oboe", "English Horn", "Bassoon", "Clarinet",
    "Piccolo", "Flute", "Recorder", "Pan Flute",
    "Blown Bottle", "Shakuhachi", "Whistle", "Ocarina",
    "Lead 1 (square)", "Lead 2 (sawtooth)", "Lead 3 (calliope)", "Lead 4 (chiff)",
    "Lead 5 (charang)", "Lead 6 (voice)", "Lead 7 (fifths)", "Lead 8 (bass + lead)",
    "Pad 1 (new age)", "Pad 2 (warm)", "Pad 3 (polysynth)", "Pad 4 (choir)",
    "Pad 5 (bowed)", "Pad 6 (metallic)", "Pad 7 (halo)", "Pad 8 (sweep)",
    "FX 1 (rain)", "FX 2 (soundtrack)", "FX 3 (crystal)", "FX 4 (atmosphere)",
    "FX 5 (brightness)", "FX 6 (goblins)", "FX 7 (echoes)", "FX 8 (sci-fi)",
    "Sitar", "Banjo", "Shamisen", "Koto",
    "Kalimba", "Bagpipe", "Fiddle", "Shanai",
    "Tinkle Bell", "Agogo", "Steel Drums", "Woodblock",
    "Taiko Drum", "Melodic Tom", "Synth Drum", "Reverse Cymbal",
    "Guitar Fret Noise", "Breath Noise", "Seashore", "Bird Tweet",
    "Telephone Ring", "Helicopter", "Applause", "Gunshot",
)  # fmt: skip
