"""The pipeline's own promises, through the public API: nothing silent, loss marked, the
verdict line counted by verdict, a backtick in a score's text is not Markdown."""

from __future__ import annotations

import base64
import io
import textwrap
from pathlib import Path

import mido

import midiforensics

SCORE = """<?xml version="1.0" encoding="UTF-8"?>
<score-partwise version="4.0">
  <work><work-title>{title}</work-title></work>
  <part-list><score-part id="P1"><part-name>Oboe</part-name></score-part></part-list>
  <part id="P1"><measure number="1">
    <attributes><divisions>1</divisions><time><beats>3</beats><beat-type>4</beat-type></time></attributes>
    <note><pitch><step>D</step><octave>5</octave></pitch><duration>1</duration><type>quarter</type></note>
    <note><pitch><step>E</step><octave>5</octave></pitch><duration>1</duration><type>quarter</type></note>
    <note><pitch><step>F</step><alter>1</alter><octave>5</octave></pitch><duration>1</duration><type>quarter</type></note>
  </measure></part>
</score-partwise>
"""


def _midi(pitches: list[int], tpb: int = 480) -> bytes:
    mf = mido.MidiFile(type=0, ticks_per_beat=tpb)
    tr = mido.MidiTrack()
    mf.tracks.append(tr)
    for p in pitches:
        tr.append(mido.Message("note_on", note=p, velocity=90, time=0))
        tr.append(mido.Message("note_off", note=p, velocity=0, time=tpb))
    buf = io.BytesIO()
    mf.save(file=buf)
    return buf.getvalue()


def test_backtick_in_a_title_keeps_the_score() -> None:
    text = "Here is the score:\n\n" + SCORE.format(title="Don`t Stop") + "\nEnjoy."
    report = midiforensics.decode(text, strict=True)
    assert report.pieces == 1
    assert [a.notes for a in report.artifacts if a.kind == "midi"] == [3]


def test_tags_quoted_inline_in_a_tutorial_are_not_a_score() -> None:
    text = (
        "In MusicXML a note holds a `<pitch>` with a `<step>` and an `<octave>`, and a "
        "`<duration>` counted in `<divisions>` per quarter note.\n"
    )
    report = midiforensics.decode(text, strict=True)
    assert report.pieces == 0 and not report.music_found


def test_verdict_line_counts_pieces_by_verdict() -> None:
    clean = base64.b64encode(_midi([60, 62, 64, 65])).decode()
    broken = bytearray(_midi([67, 69, 71, 72]))
    broken[21] += 6  # the track declares more bytes than there are
    text = f"First:\n{clean}\n\nSecond:\n{base64.b64encode(bytes(broken)).decode()}\n"
    report = midiforensics.decode(text, strict=True)
    assert report.pieces == 2
    assert report.verdict.startswith("2 playable pieces recovered (1 intact, 1 repaired")


def test_bytes_lost_inside_a_score_make_it_salvaged(tmp_path: Path) -> None:
    payload = ("A reply with the score.\n\n" + SCORE.format(title="Air") + "\nBye.\n").encode()
    chars = base64.b64encode(payload).decode()
    cut = chars.index(base64.b64encode(b"<part-list>")[:8].decode()[:4]) + 200
    damaged = chars[:cut] + chars[cut + 2 :]  # two characters lost: the frame shifts there
    text = "```\n" + "\n".join(textwrap.wrap(damaged, 76)) + "\n```\n"
    report = midiforensics.decode(text, out_dir=tmp_path / "out", strict=True)
    lost = [b for b in report.blobs if b.lost]
    assert lost, "the decoder should mark the bytes it could not restore"
    pieces = [a for a in report.artifacts if a.kind == "midi" and a.notes]
    assert pieces, report.problems
    assert all(a.verdict in ("salvaged", "fragment") for a in pieces)
    assert any(
        r.kind == "payload-bytes" and r.loss == "lost" for a in report.artifacts for r in a.repairs
    )


def test_music_found_but_not_played_always_says_why() -> None:
    text = (
        'Here is an empty score:\n<score-partwise><part-list></part-list><part id="P1">'
        '<measure number="1"></measure></part></score-partwise>\n'
    )
    report = midiforensics.decode(text, strict=True)
    assert report.music_found and not report.pieces
    assert any(p.kind == "unread" for p in report.problems), report.problems
    assert "see problems" in report.verdict


def test_base64_of_a_utf16_score_is_read_as_text() -> None:
    # editors (Sibelius with Dolet) export MusicXML as UTF-16 with a byte-order mark
    score = SCORE.format(title="Air").replace('encoding="UTF-8"', 'encoding="UTF-16"')
    payload = score.encode("utf-16")
    text = "The score:\n" + base64.b64encode(payload).decode() + "\nEnd."
    report = midiforensics.decode(text, strict=True)
    assert [s.kind for s in report.segments] == ["text"]
    assert [a.notes for a in report.artifacts if a.kind == "midi"] == [3]


def test_a_binary_input_is_not_copied_into_the_output(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40  # a picture, not music
    report = midiforensics.decode(png, out_dir=tmp_path / "out", strict=True)
    assert [s.kind for s in report.segments] == ["png"]
    assert not any(a.kind == "binary" for a in report.artifacts)
    # the same bytes as base64 in a text are a find of ours: written, so the user can see them
    text = "Here is the image:\n" + base64.b64encode(png).decode() + "\n"
    found = midiforensics.decode(text, out_dir=tmp_path / "out2", strict=True)
    assert [a.kind for a in found.artifacts] == ["binary"]


TUNE = "X:1\nT:Air\nM:4/4\nL:1/8\nK:G\n" + "GABc dedB|" * 30 + "\n"


def test_a_piece_from_a_run_cut_off_upstream_is_salvaged() -> None:
    chars = base64.b64encode(TUNE.encode()).decode()
    report = midiforensics.decode("Here:\n" + chars[: len(chars) // 2] + "...\n", strict=True)
    assert report.pieces == 1
    (art,) = [a for a in report.artifacts if a.kind == "midi"]
    assert art.verdict == "salvaged" and art.confidence <= 0.75
    piece = [a for a in report.artifacts if a.piece == art.piece]  # a score's repairs sit on
    assert any(r.kind == "upstream-loss" and r.loss == "lost" for a in piece for r in a.repairs)


def test_containers_nested_too_deep_say_so() -> None:
    import gzip

    data = TUNE.encode()
    for _ in range(6):
        data = gzip.compress(data, mtime=0)
    report = midiforensics.decode("Here:\n" + base64.b64encode(data).decode() + "\n", strict=True)
    assert report.pieces == 0
    assert any(p.kind == "budget" and "nesting" in p.message for p in report.problems)


def test_a_cut_gzip_is_a_problem_not_silence() -> None:
    import gzip

    data = gzip.compress((TUNE * 40).encode(), mtime=0)
    report = midiforensics.decode(base64.b64encode(data[: len(data) // 2]).decode(), strict=True)
    assert any("gzip data ends early" in p.message for p in report.problems)
    for art in report.artifacts:
        if art.kind == "midi":
            assert art.verdict in ("salvaged", "fragment")
