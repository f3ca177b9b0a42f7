"""Every .musicxml the tool writes is valid against the MusicXML 4.0 schema (the official XSD
in tests/schema, imports resolved locally, nothing fetched): the files must open in notation
programs without an invalid-file warning. Inputs: the samples, the score fixtures, and the
score families of the shared dev corpus where it exists."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

import midiforensics

ROOT = Path(__file__).parent.parent
XSD = Path(__file__).parent / "schema" / "musicxml-4.0"
DEV = ROOT.parent / "shared" / "corpus" / "dev"


class _Local(etree.Resolver):
    def resolve(self, url, pubid, context):  # type: ignore[no-untyped-def]
        local = XSD / str(url).rsplit("/", 1)[-1]
        return self.resolve_filename(str(local), context) if local.is_file() else None


def _safe_parser() -> etree.XMLParser:
    return etree.XMLParser(load_dtd=False, no_network=True, resolve_entities=False)


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    parser = _safe_parser()
    parser.resolvers.add(_Local())
    return etree.XMLSchema(etree.parse(str(XSD / "musicxml.xsd"), parser))


def _inputs() -> list[Path]:
    found = sorted((ROOT / "samples").glob("*.txt")) + sorted((ROOT / "samples").glob("*.md"))
    for name in ("musicxml", "abc", "mxl"):
        found += sorted((Path(__file__).parent / "fixtures" / name).glob("*.txt"))
    if DEV.is_dir():
        for family in ("b64_musicxml_llm", "plain_musicxml", "mxl", "abc", "hostile_xml"):
            found += sorted(DEV.glob(f"{family}_0*.txt"))
    return found


@pytest.mark.parametrize("path", _inputs(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_written_musicxml_is_schema_valid(
    path: Path, schema: etree.XMLSchema, tmp_path: Path
) -> None:
    report = midiforensics.decode(path.read_bytes(), out_dir=tmp_path / "out")
    for art in report.artifacts:
        if art.kind != "musicxml":
            continue
        doc = etree.parse(art.path, _safe_parser())
        ok = schema.validate(doc)
        errors = [f"line {e.line}: {e.message}" for e in schema.error_log][:3]
        assert ok, f"{Path(art.path).name}: {errors}"


def test_misplaced_elements_are_moved_where_the_schema_has_room(
    schema: etree.XMLSchema, tmp_path: Path
) -> None:
    # a model's <sound> inside <direction-type>: valid once moved beside it, notes unchanged
    text = """Here you go:
<score-partwise version="4.0"><part-list><score-part id="P1"><part-name>Flute</part-name>
</score-part></part-list><part id="P1"><measure number="1"><attributes><divisions>1</divisions>
</attributes><direction><direction-type><metronome><beat-unit>quarter</beat-unit>
<per-minute>90</per-minute></metronome><sound tempo="90"/></direction-type></direction>
<note><pitch><step>A</step><octave>4</octave></pitch><duration>4</duration><type>whole</type>
</note></measure></part></score-partwise>
"""
    report = midiforensics.decode(text, out_dir=tmp_path / "out", strict=True)
    xml = [a for a in report.artifacts if a.kind == "musicxml"]
    assert xml and xml[0].notes == 1 and xml[0].tempo_bpm == 90
    assert "misplaced" in {r.kind for r in xml[0].repairs}
    assert schema.validate(etree.parse(xml[0].path, _safe_parser())), schema.error_log
