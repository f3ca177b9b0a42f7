"""The ``play``, ``render`` and ``show`` commands, added to the main typer app by ``register``,
and the functions ``mf decode --play`` and the notebooks call.

Bad input ends with one line on stderr and exit code 2; no audio device with one line and
exit code 1; Ctrl-C during playback stops cleanly with exit code 130.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:  # rich and the players are imported when a command runs, not at start
    from rich.console import Console, RenderableType
    from rich.progress import Progress

    from ..listen.play import Backend

EXIT_BAD_INPUT = 2
EXIT_NO_DEVICE = 1
EXIT_INTERRUPTED = 130


def _fail(message: str) -> None:
    """One plain line on stderr (not rich: it must not wrap or colour)."""
    print(f"mf: {message}", file=sys.stderr)


def _clock(seconds: float) -> str:
    from ..listen.show import length_text

    return length_text(seconds)


def play_paths(
    paths: list[Path],
    backend: str | None = None,
    soundfont: Path | None = None,
    console: Console | None = None,
    player: Backend | None = None,
) -> int:
    """Play MIDI files, scores and output folders in turn with a progress line; return the
    exit code (0 played, 1 no audio device, 2 bad input, 130 stopped by Ctrl-C).

    ``player`` is a backend instance to use instead of the one ``backend`` names.
    """
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn

    from ..listen.play import NoAudioDevice, PlayError, find_soundfont, get_backend
    from ..listen.play.inputs import midi_files, midi_timing

    console = console or Console()
    try:
        player = player or get_backend(backend)
        font = find_soundfont(soundfont)
    except PlayError as exc:
        _fail(str(exc))
        return EXIT_BAD_INPUT
    try:
        with midi_files(paths) as pieces:
            timings = [midi_timing(midi) for _, midi in pieces]
            try:
                player.open(font)
            except NoAudioDevice as exc:
                _fail(f"cannot play: {exc}; write a WAV instead: mf render FILE -o out.wav")
                return EXIT_NO_DEVICE
            try:
                progress = Progress(
                    TextColumn("[bold]♪[/] {task.description}"),
                    BarColumn(),
                    TextColumn("{task.fields[clock]}"),
                    console=console,
                )
                with progress:
                    for (original, midi), timing in zip(pieces, timings, strict=True):
                        _play_one(player, progress, original.name, midi, timing.seconds)
            except KeyboardInterrupt:
                player.stop()
                console.print("stopped.")
                return EXIT_INTERRUPTED
            finally:
                player.close()
    except PlayError as exc:
        _fail(str(exc))
        return EXIT_BAD_INPUT
    return 0


def _play_one(backend: Backend, progress: Progress, name: str, midi: Path, total: float) -> None:
    task = progress.add_task(name, total=total or None, clock=f"{_clock(0)} / {_clock(total)}")
    backend.start(midi)
    began = time.monotonic()
    # a player that never reports the end is stopped well after the piece should be over
    deadline = began + total * 1.5 + 10
    while backend.busy() and time.monotonic() < deadline:
        elapsed = min(backend.elapsed(), total) if total else backend.elapsed()
        progress.update(task, completed=elapsed, clock=f"{_clock(elapsed)} / {_clock(total)}")
        time.sleep(0.05)
    backend.stop()
    progress.update(task, completed=total, clock=f"{_clock(total)} / {_clock(total)}")


def notes_renderable(midi_path: Path) -> RenderableType:
    """The compact view of one piece for ``mf decode --notes`` (repairs from report.json
    beside it, when there is one)."""
    from ..listen.show import notes_renderable as view
    from ..listen.show import repairs_from_report

    return view(midi_path, repairs=repairs_from_report(Path(midi_path)))


# --- typer commands -------------------------------------------------------------------------

SoundfontOpt = Annotated[
    Path | None,
    typer.Option(
        "--soundfont",
        help="General MIDI .sf2 (default: $MF_SOUNDFONT, else the bundled one).",
        metavar="FILE",
    ),
]


def play_cmd(
    files: Annotated[
        list[Path], typer.Argument(help="MIDI files, scores, or output folders.", metavar="FILE...")
    ],
    backend: Annotated[
        str | None, typer.Option("--backend", help="pygame (default, or $MF_PLAYER) or null.")
    ] = None,
    soundfont: SoundfontOpt = None,
) -> None:
    """Play recovered pieces through the sound card."""
    from rich.console import Console

    code = play_paths(list(files), backend, soundfont, Console())
    if code:
        raise typer.Exit(code)


def render_cmd(
    file: Annotated[Path, typer.Argument(help="A MIDI file or a score.", metavar="FILE")],
    output: Annotated[
        Path,
        typer.Option(
            "-o", "--output", help="The WAV file to write (a new .wav name).", metavar="FILE.wav"
        ),
    ],
    rate: Annotated[int, typer.Option("--rate", help="Sample rate in Hz.")] = 44100,
    soundfont: SoundfontOpt = None,
) -> None:
    """Render a piece to a WAV file offline (no sound card needed)."""
    from rich.console import Console

    from ..listen.play import PlayError
    from ..listen.wav import render_wav

    try:
        result = render_wav(file, output, rate=rate, soundfont=soundfont)
    except PlayError as exc:
        _fail(str(exc))
        raise typer.Exit(EXIT_BAD_INPUT) from None
    Console().print(
        f"wrote {result.path} ({_clock(result.seconds)}, {result.rate} Hz, peak {result.peak})"
    )


def show_cmd(
    files: Annotated[
        list[Path], typer.Argument(help="MIDI files, scores, or output folders.", metavar="FILE...")
    ],
    bars: Annotated[int, typer.Option("--bars", min=1, help="How many bars to list.")] = 4,
    svg: Annotated[
        Path | None,
        typer.Option("--svg", help="Draw the score as SVG (needs verovio).", metavar="FILE"),
    ] = None,
    png: Annotated[
        Path | None, typer.Option("--png", help="Draw a piano roll as PNG.", metavar="FILE")
    ] = None,
) -> None:
    """Show tempo, meter, instruments and the first bars of each piece."""
    from rich.console import Console

    from ..listen.play import PlayError
    from ..listen.play.inputs import InputError, expand
    from ..listen.show import (
        iter_summaries,
        repairs_from_report,
        summary_renderable,
        write_png,
        write_svg,
    )

    console = Console()
    try:
        if svg or png:
            found = expand(files)
            if len(found) != 1:
                raise InputError("--svg and --png draw one piece: name one file")
            if svg:
                for target in write_svg(found[0], svg):
                    console.print(f"wrote {target}")
            if png:
                _, summary = next(iter_summaries(found))
                console.print(f"wrote {write_png(summary, png)}")
            return
        for path, summary in iter_summaries(files):
            console.print(summary_renderable(summary, bars, repairs_from_report(path)))
    except PlayError as exc:
        _fail(str(exc))
        raise typer.Exit(EXIT_BAD_INPUT) from None


def register(app: typer.Typer) -> None:
    """Add ``play``, ``render`` and ``show`` to the main app."""
    from .common import Command

    app.command("play", cls=Command)(play_cmd)
    app.command("render", cls=Command)(render_cmd)
    app.command("show", cls=Command)(show_cmd)
