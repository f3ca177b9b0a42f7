"""The ``mf`` command."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from typer._click.core import Command as ClickCommand
from typer._click.core import Context, Parameter  # typer 0.29 vendors click
from typer._click.exceptions import UsageError
from typer.core import TyperGroup

from .. import __version__
from .coerce import use_plain_coercion
from .common import EXIT_FOUND, EXIT_INTERRUPTED, EXIT_NOTHING, EXIT_USAGE, Command
from .common import err as _err
from .distributed import ColumnOpt, IdOpt, SchedulerOpt

JobsOpt = Annotated[
    int | None,
    typer.Option(
        "--jobs",
        "-j",
        help="Worker processes: inputs at once, or the windows of one large text at once "
        "(default: one a core). The results are the same for any number.",
        show_default=False,
    ),
]


class _Group(TyperGroup):
    """The ``mf`` group: ``mf blob.txt`` (a file where a command belongs) suggests
    ``mf decode blob.txt``."""

    def resolve_command(
        self, ctx: Context, args: list[str]
    ) -> tuple[str | None, ClickCommand | None, list[str]]:
        name = args[0] if args else ""
        if name and self.get_command(ctx, name) is None and Path(name).exists():
            raise UsageError(f"{name!r} is not a command; to decode it: mf decode {name}", ctx)
        return super().resolve_command(ctx, args)

    def get_params(self, ctx: Context) -> list[Parameter]:
        return use_plain_coercion(super().get_params(ctx))  # see .coerce


app = typer.Typer(
    cls=_Group,
    context_settings={"help_option_names": ["-h", "--help"]},
    name="mf",
    help=(
        "Recover playable music from damaged text: base64 or hex MIDI, MusicXML and ABC in "
        "transcripts, pasted blobs and chat exports."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class InputError(Exception):
    """A bad path or unreadable input: one line to stderr, exit 2."""


def _read(arg: str) -> tuple[str, bytes]:
    if arg == "-":
        return "stdin", sys.stdin.buffer.read()
    p = Path(arg)
    if not p.exists():
        raise InputError(f"no such file: {arg}")
    if p.is_dir():
        raise InputError(f"{arg} is a directory; give the files in it")
    try:
        return arg, p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {arg}: {exc.strerror or exc}") from exc


def _default_out(name: str) -> Path:
    stem = Path(name).stem if name != "stdin" else "stdin"
    from ..write import safe_name

    return Path.cwd() / f"{safe_name(stem)}-recovered"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mf {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Recover playable music from damaged text."""


InputsArg = Annotated[
    list[str],
    typer.Argument(
        help="Files, folders (searched recursively) or glob patterns, text or binary; "
        "'-' reads standard input.",
        metavar="FILE...",
        show_default=False,
    ),
]


@app.command(cls=Command)
def decode(
    inputs: InputsArg,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Output folder (default: NAME-recovered in the current folder); '-' writes "
            "the one recovered MIDI file to stdout. Existing files are never overwritten.",
            metavar="DIR",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the report as JSON on stdout.")
    ] = False,
    notes: Annotated[
        bool, typer.Option("--notes", help="Show each recovered piece's notes (a piano roll).")
    ] = False,
    details: Annotated[
        bool,
        typer.Option(
            "--details", "-v", help="Show everything found, decoded and written, every repair."
        ),
    ] = False,
    play: Annotated[
        bool, typer.Option("--play", help="Play the recovered pieces when done (see mf play).")
    ] = False,
    backend: Annotated[
        str | None, typer.Option("--backend", help="Player for --play: pygame (default) or null.")
    ] = None,
    soundfont: Annotated[
        Path | None, typer.Option("--soundfont", help="General MIDI .sf2 for --play.")
    ] = None,
    jobs: JobsOpt = None,
    scheduler: SchedulerOpt = None,
    column: ColumnOpt = None,
    id_column: IdOpt = None,
) -> None:
    """Find, decode, repair and write every piece of music in the inputs.

    Writes .mid for every playable piece (.musicxml too for scores), .txt for prose, .bin for
    other binary, and report.json. Exit 0 when music was found (a playable piece, or MIDI /
    score data the report explains), 1 when nothing musical was found, 2 for usage or input
    errors.
    """
    if scheduler or column or id_column:
        from .distributed import run_on_cluster

        unsupported = {"--json": as_json, "--notes": notes, "--play": play, "-v": details}
        unsupported["--jobs"] = jobs is not None
        code = run_on_cluster(inputs, out, scheduler, column, id_column, True, unsupported)
        raise typer.Exit(code)
    if out is not None and str(out) == "-":
        from .stdout import decode_to_stdout

        raise typer.Exit(decode_to_stdout(inputs, details))
    code, midis = _process(
        inputs, out, as_json, write=True, notes=notes, jobs=jobs, details=details
    )
    if play and midis:
        from ..report.rich import make_console
        from .listen import play_paths

        played = play_paths(midis, backend, soundfont, make_console(file=sys.stderr))
        code = code if played == 0 else played
    raise typer.Exit(code)


@app.command(cls=Command)
def scan(
    inputs: InputsArg,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the report as JSON on stdout.")
    ] = False,
    jobs: JobsOpt = None,
    details: Annotated[
        bool, typer.Option("--details", "-v", help="Show everything found and decoded.")
    ] = False,
    scheduler: SchedulerOpt = None,
    column: ColumnOpt = None,
    id_column: IdOpt = None,
) -> None:
    """Find and classify encoded music without repairing or writing anything (fast)."""
    if scheduler or column or id_column:
        from .distributed import run_on_cluster

        unsupported = {"--json": as_json, "--jobs": jobs is not None, "-v": details}
        code = run_on_cluster(inputs, None, scheduler, column, id_column, False, unsupported)
        raise typer.Exit(code)
    raise typer.Exit(_process(inputs, None, as_json, write=False, jobs=jobs, details=details)[0])


@app.command(cls=Command)
def repair(
    file: Annotated[
        Path,
        typer.Argument(
            help="A damaged MIDI file (.mid, .rmi, or bytes holding one).", metavar="FILE"
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Where to write the repaired MIDI file (must not exist).",
            metavar="FILE",
        ),
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the report as JSON on stdout.")
    ] = False,
    details: Annotated[bool, typer.Option("--details", "-v", help="Show every repair.")] = False,
) -> None:
    """Repair one damaged MIDI file: binary in, binary out, every change reported.

    A valid file is copied byte for byte. Exit 0 when a playable file was written, 1 when no
    MIDI could be recovered, 2 for input errors (the output file is never overwritten).
    """
    try:
        name, data = _read(str(file))
    except InputError as exc:
        _err(str(exc))
        raise typer.Exit(EXIT_USAGE) from None
    if out.exists():
        _err(f"{out} exists; choose a new name (mf never overwrites a file)")
        raise typer.Exit(EXIT_USAGE)
    from ..report.json import json_pieces
    from ..report.rich import RichRenderer, make_console
    from .repair import repair_file

    try:
        report = repair_file(name, data, out)
    except FileExistsError:
        _err(f"{out} exists; choose a new name (mf never overwrites a file)")
        raise typer.Exit(EXIT_USAGE) from None
    except OSError as exc:
        _err(f"cannot write the output {out}: {exc.strerror or exc}")
        raise typer.Exit(EXIT_USAGE) from None
    if as_json:
        sys.stdout.writelines(json_pieces(report))  # a record at a time
        sys.stdout.write("\n")
    console = make_console(file=sys.stderr if as_json else None)
    RichRenderer().render(report, console, details=details)
    raise typer.Exit(EXIT_FOUND if report.pieces else EXIT_NOTHING)


def _process(
    inputs: list[str],
    out: Path | None,
    as_json: bool,
    write: bool,
    notes: bool = False,
    jobs: int | None = None,
    details: bool = False,
) -> tuple[int, list[Path]]:
    """Run the inputs; return the exit code and the MIDI files written.

    One file gets the full report; several (or a folder, or a glob) run as a batch with a
    progress bar and a summary table, one output folder per input.
    """
    from ..inputs.files import expand_inputs

    if inputs.count("-") > 1:
        _err("standard input can be read only once")
        return EXIT_USAGE, []
    if jobs is not None and jobs < 1:
        _err("--jobs must be at least 1")
        return EXIT_USAGE, []
    jobs = jobs or _cores()
    files, errors = expand_inputs(inputs, exclude=[out] if out else None)
    if errors:
        for e in errors:
            _err(e)
        return EXIT_USAGE, []
    single = len(inputs) == 1 and len(files) == 1 and not Path(inputs[0]).is_dir()
    try:
        if single:
            return _process_one(files[0], out, as_json, write, notes, details, jobs)
        return _process_many(files, out, as_json, write, jobs)
    except KeyboardInterrupt:  # main's SIGINT handler has said so on stderr
        return EXIT_INTERRUPTED, []


def _cores() -> int:
    """The cores this process may run on (its affinity, which containers set), else all."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # no sched_getaffinity (macOS, Windows)
        return os.cpu_count() or 1


def _process_one(
    path: Path,
    out: Path | None,
    as_json: bool,
    write: bool,
    notes: bool,
    details: bool,
    jobs: int = 1,
) -> tuple[int, list[Path]]:
    from ..report.json import json_pieces
    from ..report.rich import RichRenderer, make_console
    from .run import RunError, run_one

    name = "stdin" if str(path) == "-" else str(path)
    out_dir: str | None = None
    if write:
        target = out if out is not None else _default_out(name)
        if target.exists() and not target.is_dir():
            _err(f"output {target} exists and is not a folder")
            return EXIT_USAGE, []
        out_dir = str(target)
    try:
        report = run_one(path, out_dir, write, make_console(file=sys.stderr), jobs)
    except RunError as exc:
        _err(str(exc))
        return EXIT_USAGE, []
    console = make_console(file=sys.stderr if as_json else None)
    if as_json:
        sys.stdout.writelines(json_pieces(report))  # a record at a time
        sys.stdout.write("\n")
    RichRenderer().render(report, console, details=details)
    midis = [Path(a.path) for a in report.artifacts if a.kind == "midi" and a.path]
    if notes:
        from ..listen.show import notes_renderable

        for a in report.artifacts:
            if a.kind == "midi" and a.path and a.notes:
                console.print(notes_renderable(Path(a.path)))  # repairs are in the report
    found = report.pieces > 0 or report.music_found
    return (EXIT_FOUND if found else EXIT_NOTHING), midis


def _process_many(
    files: list[Path], out: Path | None, as_json: bool, write: bool, jobs: int
) -> tuple[int, list[Path]]:
    from ..batch import run_batch, summary_table
    from ..report.rich import make_console

    console = make_console(file=sys.stderr if as_json else None)
    items = run_batch(files, out, jobs, make_console(file=sys.stderr), as_json, write)
    console.print(summary_table(items, write))
    for item in items:
        if item.error:
            _err(f"{item.path}: {item.error}")
    if as_json:
        doc = {"schema": "midiforensics.reports", "reports": [i.report for i in items]}
        from ..report.json import REPORT_DEPTH, dumps

        # each report laid out as report.json is (the pure-Python indenting encoder is slow)
        sys.stdout.write(dumps(doc, REPORT_DEPTH + 2) + "\n")
    midis = [Path(m) for i in items for m in i.midis]
    return (EXIT_FOUND if any(i.found for i in items) else EXIT_NOTHING), midis


def _register_extras() -> None:
    from .listen import register
    from .serve import register as register_serve

    register(app)
    register_serve(app)


_register_extras()


def main() -> None:
    """The ``mf`` program (``python -m midiforensics`` comes here): see ``cli.main``."""
    from . import main as program

    program()


if __name__ == "__main__":
    main()
