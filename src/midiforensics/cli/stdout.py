"""``mf decode FILE -o -``: the one recovered MIDI file to standard output, the report to
standard error. Refused (exit 2, nothing on stdout) for several inputs or a terminal; exit 1
with nothing on stdout when no piece, or more than one, was recovered."""

from __future__ import annotations

import shutil
import sys
import tempfile
from dataclasses import replace
from pathlib import Path


def decode_to_stdout(inputs: list[str], details: bool = False) -> int:
    from ..inputs.files import expand_inputs
    from ..report.rich import STDOUT, RichRenderer, make_console
    from .common import EXIT_FOUND, EXIT_NOTHING, EXIT_USAGE
    from .common import err as _err
    from .run import RunError, run_one

    files, errors = expand_inputs(inputs)
    for e in errors:
        _err(e)
    if errors:
        return EXIT_USAGE
    if len(files) != 1 or Path(inputs[0]).is_dir():
        _err("-o - writes one piece from one input; give one file, or an output folder")
        return EXIT_USAGE
    if sys.stdout.isatty():
        _err("-o - writes MIDI bytes; redirect them: mf decode FILE -o - > piece.mid")
        return EXIT_USAGE
    console = make_console(file=sys.stderr)
    tmp = tempfile.mkdtemp(prefix="mf-stdout-")
    try:
        try:
            report = run_one(files[0], tmp, True, console)
        except RunError as exc:
            _err(str(exc))
            return EXIT_USAGE
        shown = replace(report, out_dir=STDOUT)
        RichRenderer().render(shown, console, details=details)
        midis = [a for a in report.artifacts if a.kind == "midi" and a.path and a.notes]
        if len(midis) != 1:
            count = f"{len(midis)} pieces were" if midis else "no piece was"
            _err(f"-o - writes one MIDI file, but {count} recovered; give an output folder")
            return EXIT_NOTHING
        data = Path(midis[0].path).read_bytes()
        try:
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        except OSError as exc:
            _err(f"cannot write the output to stdout: {exc.strerror or exc}")
            return EXIT_USAGE
        return EXIT_FOUND
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
