"""The Python API: decode() without a folder hands back the files' bytes; wrong argument
types are refused with a TypeError that says what is wanted."""

from __future__ import annotations

import io
from pathlib import Path

import mido
import pytest

import midiforensics

SAMPLES = Path(__file__).parent.parent / "samples"


def test_without_a_folder_artifacts_carry_their_bytes(tmp_path: Path) -> None:
    text = (SAMPLES / "chat-clean-midi.txt").read_text()
    report = midiforensics.decode(text)
    midis = [a for a in report.artifacts if a.kind == "midi"]
    assert midis and all(a.path == "" and a.data for a in midis)
    assert not list(tmp_path.iterdir())
    played = mido.MidiFile(file=io.BytesIO(midis[0].data or b""))
    assert sum(1 for m in played if m.type == "note_on" and m.velocity) == midis[0].notes
    # with a folder the same bytes are written there, and not kept in memory
    written = midiforensics.decode(text, out_dir=tmp_path / "out")
    on_disk = [a for a in written.artifacts if a.kind == "midi"]
    assert on_disk[0].data is None
    assert Path(on_disk[0].path).read_bytes() == midis[0].data


@pytest.mark.parametrize("bad", [None, 42, ["a list"], {"a": 1}])
def test_wrong_input_type_is_a_clear_type_error(bad: object) -> None:
    with pytest.raises(TypeError, match="str or bytes"):
        midiforensics.decode(bad)  # type: ignore[arg-type]


def test_wrong_folder_type_is_a_clear_type_error() -> None:
    with pytest.raises(TypeError, match="out_dir"):
        midiforensics.decode("text", out_dir=3)  # type: ignore[arg-type]
