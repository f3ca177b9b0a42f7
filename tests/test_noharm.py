"""Do no harm: valid scores from music21's bundled corpus, pasted into chat three ways, come out
note-identical with music21's own reading of the file (a sample; the whole corpus runs in
``benchmarks/bench_noharm.py``)."""

from __future__ import annotations

import base64
import io
import re
import warnings
import zipfile
from pathlib import Path

import pytest

import midiforensics

# small files chosen for their editors and features: lyrics, nested tuplets, voices, chords,
# Noteflight, a lead sheet with chord symbols (MuseScore 0.9), MuseScore 1, Finale with prose in <rights>, music21's own writer,
# a two-staff piano piece, repeats
SAMPLE = [
    "demos/multiple-verses.xml",
    "demos/nested_tuplet_finale_test.xml",
    "demos/two-voices.xml",
    "demos/voices_with_chords.xml",
    "demos/chord_realization_exercise.mxl",
    "leadSheet/fosterBrownHair.mxl",
    "theoryExercises/checker_demo.mxl",
    "demos/chorale_with_parallels.mxl",
    "ciconia/quod_jactatur.xml",
    "bach/bwv324.mxl",
    "schoenberg/opus19/movement6.mxl",
    "mozart/k545/movement1_exposition.mxl",
]
INTRO = "Of course! Here is the piece, ready to open in your notation program.\n\n"
OUTRO = "\n\nIf you want, I can also make a version for string quartet. Enjoy playing it!\n"
CONTAINER = (
    '<?xml version="1.0" encoding="UTF-8"?><container><rootfiles>'
    '<rootfile full-path="score.xml"/></rootfiles></container>'
)


def _corpus_file(rel: str) -> Path:
    from music21 import corpus

    for p in corpus.getPaths(fileExtensions=["xml", "mxl", "musicxml"]):
        if str(p).replace("\\", "/").endswith("/corpus/" + rel):
            return Path(p)
    raise LookupError(rel)


def _xml_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    if not data.startswith(b"PK"):
        return data
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        root = re.search(rb'full-path="([^"]+)"', zf.read("META-INF/container.xml"))
        assert root is not None
        return zf.read(root.group(1).decode())


def _mxl_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    if data.startswith(b"PK"):
        return data
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("META-INF/container.xml", CONTAINER)
        zf.writestr("score.xml", data)
    return buf.getvalue()


def _pasted(path: Path, form: str) -> str:
    if form == "raw":
        return INTRO + _xml_bytes(path).decode("utf-8") + OUTRO
    data = _xml_bytes(path) if form == "b64" else _mxl_bytes(path)
    b64 = base64.b64encode(data).decode("ascii")
    wrapped = "\n".join(b64[i : i + 76] for i in range(0, len(b64), 76))
    return INTRO + "```\n" + wrapped + "\n```" + OUTRO


def _notes(source: str | Path) -> list[tuple[float, int]]:
    """(onset in quarters, MIDI pitch), chords expanded, repeats as written, sorted."""
    from music21 import converter

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        score = converter.parse(source, format="musicxml", forceSource=True)
    out = [
        (round(float(n.offset), 4), int(round(p.ps)))
        for n in score.flatten().notes
        for p in n.pitches
    ]
    return sorted(out)


@pytest.fixture(scope="module")
def reference() -> dict[str, list[tuple[float, int]]]:
    return {}


@pytest.mark.parametrize("form", ["raw", "b64", "mxl"])
@pytest.mark.parametrize("rel", SAMPLE)
def test_corpus_score_comes_out_note_identical(
    rel: str, form: str, tmp_path: Path, reference: dict[str, list[tuple[float, int]]]
) -> None:
    path = _corpus_file(rel)
    if rel not in reference:
        reference[rel] = _notes(path)
    want = reference[rel]
    assert want, "the corpus file itself holds notes"
    report = midiforensics.decode(_pasted(path, form), out_dir=str(tmp_path))
    xmls = [a for a in report.artifacts if a.kind == "musicxml"]
    assert len(xmls) == 1, [p.message for p in report.problems]
    assert _notes(xmls[0].path) == want
    assert xmls[0].verdict in ("intact", "repaired")
    assert not any(r.loss for r in xmls[0].repairs)
    assert any(a.kind == "midi" and a.notes > 0 for a in report.artifacts)
