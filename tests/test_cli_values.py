"""Command-line values are checked without pydantic on the usual path, and as typer checks
them otherwise (cli/coerce.py): the same values accepted, the same messages for bad ones."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from midiforensics.cli.app import app

from .conftest import SAMPLES

runner = CliRunner()


def test_decode_imports_neither_pydantic_nor_the_progress_display(tmp_path: Path) -> None:
    code = (
        "import sys; from midiforensics.cli import main; sys.argv[1:] = sys.argv[2:]\n"
        "try:\n    main()\nexcept SystemExit as e:\n    code = e.code\n"
        "print(code, 'pydantic' in sys.modules, 'rich.progress' in sys.modules)"
    )
    args = ["decode", str(SAMPLES / "chat-clean-midi.txt"), "-o", str(tmp_path / "out")]
    out = subprocess.run(
        [sys.executable, "-c", code, "mf", *args], capture_output=True, text=True, check=True
    )
    assert out.stdout.split()[-3:] == ["0", "False", "False"]
    assert len(list((tmp_path / "out").glob("*.mid"))) == 1


@pytest.mark.parametrize("jobs", ["2", "+2", " 2", "02", "2.0"])
def test_jobs_read_as_typer_reads_them(tmp_path: Path, jobs: str) -> None:
    f = tmp_path / "prose.txt"
    f.write_text("nothing musical here")
    res = runner.invoke(app, ["scan", str(f), "--jobs", jobs])
    assert res.exit_code == 1, res.output  # scanned: nothing found
    assert "nothing musical found" in res.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["scan", "{f}", "-j", "two"], "unable to parse string as an integer"),
        (["scan", "{f}", "-j", "2.5"], "unable to parse string as an integer"),
        (["show", "--bars", "0", "{f}"], "greater than or equal to 1"),
        (["serve", "--port", "70000"], "less than or equal to 65535"),
    ],
)
def test_bad_values_get_typers_message(tmp_path: Path, args: list[str], message: str) -> None:
    f = tmp_path / "prose.txt"
    f.write_text("nothing musical here")
    res = runner.invoke(app, [a.replace("{f}", str(f)) for a in args])
    assert res.exit_code == 2
    assert message in res.output
