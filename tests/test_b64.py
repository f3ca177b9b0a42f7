"""Base64 decoding: strict pass-through, the small repairs, and frame-shift recovery."""

from __future__ import annotations

import base64
import random
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from midiforensics.decoding.b64 import decode_base64
from midiforensics.decoding.plausible import MidiModel, TextModel, plausible_whole, sniff

from .conftest import CORPUS, lcs, make_midi, needs_corpus

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
PROSE = (
    b"Here is the score you asked for. <note><pitch><step>C</step><octave>4</octave>"
    b"</pitch><duration>1</duration></note> The melody rises and then resolves."
)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def kept(got) -> bytes:
    """The decoded bytes with the lost ranges taken out (what a text caller keeps)."""
    out = bytearray()
    prev = 0
    for a, b in got.lost:
        out += got.data[prev:a]
        prev = b
    return bytes(out + got.data[prev:])


# ----------------------------------------------------------------------------- tables

VALID = [b"", b"M", b"MT", b"MThd", PROSE, make_midi([60, 62, 64]), bytes(range(256))]


@pytest.mark.parametrize("payload", VALID)
def test_valid_base64_passes_through_untouched(payload: bytes) -> None:
    got = decode_base64(b64(payload))
    assert got.data == payload
    assert got.strict
    assert got.repairs == () and got.lost == ()


SMALL_REPAIRS = [
    # (input, expected bytes, repair kinds)
    ("TVRoZA", b"MThd", ["padding"]),  # padding missing
    ("TVRoZA====", b"MThd", ["padding"]),  # padding in excess
    ("TVRo", b"MTh", []),  # strict; listed to pin the table's baseline
    ("_-8_", base64.b64decode("/+8/"), ["alphabet"]),  # URL-safe alphabet
    ("TVR*oZA==", b"MThd", ["stray"]),  # a character outside the alphabet
    ("TVRoZA==TVRoZA==", b"MThdMThd", ["glued"]),  # two blobs end to end
    ("TVRo=TVRo", b"MThMTh", ["glued"]),  # '=' between two aligned blobs
    ("TV=RoZA==", b"MThd", ["stray"]),  # "=" where no padding fits: a stray
    ("TVRoZ", b"MTh", ["padding"]),  # one character left over holds no byte
]


@pytest.mark.parametrize(("chars", "expected", "kinds"), SMALL_REPAIRS)
def test_small_repairs(chars: str, expected: bytes, kinds: list[str]) -> None:
    got = decode_base64(chars)
    assert got.data == expected
    assert sorted(r.kind for r in got.repairs) == sorted(kinds)
    assert all(r.stage == "decode" and r.offset is not None for r in got.repairs)
    assert got.strict == (not kinds)


def test_repair_offsets_point_into_the_input() -> None:
    got = decode_base64("TVRoZA==TVR*oZA==")
    by_kind = {r.kind: r.offset for r in got.repairs}
    assert by_kind == {"glued": 6, "stray": 11}


# ----------------------------------------------------------------------------- frame shifts


def damaged(chars: str, at: int, drop: int = 0, insert: str = "") -> str:
    return chars[:at] + insert + chars[at + drop :]


@pytest.mark.parametrize(
    ("drop", "insert"), [(1, ""), (2, ""), (3, ""), (0, "Q"), (0, "xy"), (0, "k9Z")]
)
def test_one_frame_shift_in_text_is_restored(drop: int, insert: str) -> None:
    payload = PROSE * 6
    chars = b64(payload)
    at = len(chars) // 2 + 1
    got = decode_base64(damaged(chars, at, drop, insert))
    shifts = [r for r in got.repairs if r.kind == "frame-shift"]
    assert len(shifts) == 1 and abs(shifts[0].offset - at) <= 8
    text = kept(got)
    cut = at * 3 // 4
    assert text.startswith(payload[: cut - 3])
    assert text.endswith(payload[cut + 6 :])
    assert len(text) >= len(payload) - 6


def test_drop_and_insert_that_keep_the_length_aligned_are_both_found() -> None:
    payload = PROSE * 8
    chars = b64(payload)
    broken = damaged(damaged(chars, 700, insert="AB"), 301, drop=2)
    assert len(broken) % 4 == 0  # strict mode alone accepts this run
    got = decode_base64(broken)
    assert [r.kind for r in got.repairs] == ["frame-shift", "frame-shift"]
    assert not got.strict
    assert kept(got).endswith(payload[700 * 3 // 4 + 6 :])


def test_midi_frame_shift_keeps_the_notes_after_it() -> None:
    pitches = [60, 62, 64, 65, 67, 69, 71, 72] * 6
    payload = make_midi(pitches)
    chars = b64(payload)
    got = decode_base64(damaged(chars, len(chars) // 2, drop=1))
    assert [r.kind for r in got.repairs] == ["frame-shift"]
    half = payload[len(payload) // 2 + 8 :]
    assert got.data.endswith(half)


def test_a_wrong_letter_does_not_stop_the_rest() -> None:
    payload = PROSE * 6
    chars = b64(payload)
    at = len(chars) // 3
    wrong = chars[:at] + ("A" if chars[at] != "A" else "B") + chars[at + 1 :]
    got = decode_base64(wrong)
    assert got.data[at * 3 // 4 + 3 :] == payload[at * 3 // 4 + 3 :]


@needs_corpus
def test_seed_blob_comes_back_as_whole_text() -> None:
    raw = (CORPUS / "seed" / "chatgpt-musicxml-blob.txt").read_text()
    got = decode_base64(re.sub(r"\s", "", raw))
    text = kept(got).decode("utf-8")  # raises on any invalid byte
    assert "\ufffd" not in text
    assert text.startswith("The synchronizer can't create a MIDI file")
    assert text.endswith("You can modify this to achieve the tempo you want.")
    assert "<scope-partwise" in text and "</code>" in text
    (shift,) = [r for r in got.repairs if r.kind == "frame-shift"]
    assert shift.before == "Pl"  # line 30: 'PC9wPl' then 'ICAg', 'xu' lost between
    assert sum(b - a for a, b in got.lost) <= 3


def _blob(path) -> str:
    text = path.read_text()
    body = re.search(r"```\w*\n(.*?)```", text, re.S)
    assert body
    return re.sub(r"\s", "", body.group(1))


@needs_corpus
@pytest.mark.parametrize("name", [f"b64_frameshift_0{k}" for k in range(4)])
def test_dev_frameshift_notes_come_back(name: str) -> None:
    import json

    truth = json.loads((CORPUS / "dev" / f"{name}.truth.json").read_text())
    want = [p for _, p, _ in truth["pieces"][0]]
    got = decode_base64(_blob(CORPUS / "dev" / f"{name}.txt"))
    assert any(r.kind == "frame-shift" for r in got.repairs)
    found = _note_ons(got.data)
    matched = lcs(want, found)
    assert matched >= len(want) - 2


def _note_ons(data: bytes) -> list[int]:
    """Pitches of the sounding notes, read by mido once the track length is made true."""
    import io

    import mido

    notes = []
    for msg in mido.MidiFile(file=io.BytesIO(_fix_lengths(data)), clip=True):
        if msg.type == "note_on" and msg.velocity:
            notes.append(msg.note)
    return notes


def _fix_lengths(data: bytes) -> bytes:
    """Rewrite the one track's declared length to what it holds (noise changed it)."""
    start = data.find(b"MTrk")
    body = data[start + 8 :]
    return data[:start] + b"MTrk" + len(body).to_bytes(4, "big") + body


# ----------------------------------------------------------------------------- MIDI header


MELODY = [60, 62, 64, 65, 67, 69, 71, 72, 74, 76]


@pytest.mark.parametrize(
    ("at", "drop", "insert"),
    [(6, 1, ""), (13, 1, ""), (21, 1, ""), (9, 0, "Q"), (22, 0, "Q"), (17, 0, "xy"), (27, 0, "xy")],
)
def test_damage_in_the_midi_header_is_undone_by_its_known_bytes(
    at: int, drop: int, insert: str
) -> None:
    payload = make_midi(MELODY)
    got = decode_base64(damaged(b64(payload), at, drop, insert))
    assert got.data[:8] == payload[:8]
    assert got.data.find(b"MTrk") == 14
    assert got.data[30:] == payload[30:]  # every event after the header, in frame
    assert _repaired_notes(got) == MELODY


def test_a_dropped_character_just_after_the_header_costs_at_most_one_note() -> None:
    payload = make_midi(MELODY)
    got = decode_base64(damaged(b64(payload), 33, drop=1))
    assert got.data.find(b"MTrk") == 14
    assert payload.endswith(got.data[40:])
    assert lcs(MELODY, _repaired_notes(got)) >= len(MELODY) - 1


def _repaired_notes(got) -> list[int]:
    """Pitches the MIDI repairer gets from the decoded bytes, given what decoding lost."""
    from midiforensics.formats.midi.carve import repair_midi

    res = repair_midi(got.data, got.lost)
    assert res is not None
    return _note_ons(res.midi)


def _damaged_midi(at_note: int, wrong: int, what: str) -> bytes:
    """A valid MIDI file with one byte of the note-on of note ``at_note`` made impossible."""
    payload = bytearray(make_midi(MELODY))
    k = [i for i in range(22, len(payload) - 2) if payload[i] == 0x90][at_note]
    payload[k + (0 if what == "status" else 2)] = wrong
    return bytes(payload)


@pytest.mark.parametrize(
    ("wrong", "what"), [(0xF4, "status"), (0xF9, "status"), (0xFD, "status"), (0xD0, "velocity")]
)
def test_valid_base64_of_damaged_midi_is_not_reframed(wrong: int, what: str) -> None:
    payload = _damaged_midi(3, wrong, what)
    assert not plausible_whole(payload)  # the model does see the damage
    got = decode_base64(b64(payload))
    assert got.data == payload
    assert got.strict and got.repairs == ()


@pytest.mark.xfail(
    strict=True,
    reason="known: the frame search puts the first fix too early (char 40 for damage at 120), "
    "where a shifted repetitive melody still parses",
)
def test_an_insert_and_a_drop_in_midi_are_still_both_found() -> None:
    payload = make_midi(MELODY * 4)
    chars = b64(payload)
    broken = damaged(damaged(chars, 300, drop=2), 120, insert="Zq")
    assert len(broken) % 4 == 0  # strict mode accepts it
    got = decode_base64(broken)
    assert [r.kind for r in got.repairs] == ["frame-shift", "frame-shift"]
    assert got.data.endswith(payload[300 * 3 // 4 + 3 :])
    assert lcs(MELODY * 4, _note_ons(got.data)) >= len(MELODY) * 4 - 3


# ----------------------------------------------------------------------------- damage close together

_TUNE_RNG = random.Random(3)
RANDOM_TUNE = [_TUNE_RNG.randint(55, 80) for _ in range(24)]


@pytest.mark.parametrize(
    ("tune", "first", "second"),
    [
        # (at, dropped, inserted) twice, 35-110 characters apart, in a MIDI of ~300 characters
        (RANDOM_TUNE, (150, 2, ""), (210, 1, "")),
        (RANDOM_TUNE, (100, 0, "Q"), (170, 3, "")),
        (RANDOM_TUNE, (34, 0, "abc"), (110, 1, "")),  # just after the header, then more
        (MELODY * 2, (34, 0, "abc"), (110, 1, "")),
        (MELODY * 2, (60, 0, "zz"), (95, 1, "")),
    ],
)
def test_two_frame_shifts_close_together_in_a_short_midi_keep_the_notes(
    tune: list[int], first: tuple[int, int, str], second: tuple[int, int, str]
) -> None:
    chars = b64(make_midi(tune))
    broken = damaged(chars, second[0], second[1], second[2])
    broken = damaged(broken, first[0], first[1], first[2])
    got = decode_base64(broken)
    assert sum(r.kind == "frame-shift" for r in got.repairs) >= 2
    assert lcs(tune, _repaired_notes(got)) >= len(tune) - 3


@pytest.mark.parametrize(
    ("tune", "first", "back", "missed"),
    [(MELODY * 2, (100, 0, "Q"), 16, 4), (RANDOM_TUNE, (120, 1, ""), 20, 0)],
)
def test_a_character_lost_near_the_end_of_a_short_midi_is_found_by_its_end_of_track(
    tune: list[int], first: tuple[int, int, str], back: int, missed: int
) -> None:
    """Lost a few characters before the end, the shifted bytes read as a cut-short event and
    no window sees a break; a frame that ends with End of Track shows one is missing."""
    chars = b64(make_midi(tune))
    broken = damaged(damaged(chars, len(chars) - back, drop=1), *first)
    got = decode_base64(broken)
    assert sum(r.kind == "frame-shift" for r in got.repairs) >= 2
    assert got.data.endswith(b"\xff\x2f\x00")
    assert lcs(tune, _repaired_notes(got)) >= len(tune) - missed


@pytest.mark.parametrize(("at", "drop", "insert"), [(24, 0, "xy"), (26, 2, ""), (25, 0, "Q")])
def test_header_damage_with_two_later_shifts_in_a_short_midi_keeps_the_notes(
    at: int, drop: int, insert: str
) -> None:
    """The best few whole-run decodings differ only by their header edit and share one
    misreading the MIDI repairer gives up on; further distinct decodings are tried."""
    chars = b64(make_midi(RANDOM_TUNE))
    broken = damaged(damaged(chars, 200, drop=2), 120, drop=1)
    got = decode_base64(damaged(broken, at, drop, insert))
    assert lcs(RANDOM_TUNE, _repaired_notes(got)) >= len(RANDOM_TUNE) - 3


def test_whole_run_judge_leaves_a_single_clean_shift_alone() -> None:
    """One dropped character far from the header: the frame search's own fix is kept."""
    payload = make_midi(RANDOM_TUNE)
    chars = b64(payload)
    got = decode_base64(damaged(chars, 200, drop=1))
    assert [r.kind for r in got.repairs] == ["frame-shift"]
    assert got.data.endswith(payload[200 * 3 // 4 + 6 :])


# ----------------------------------------------------------------------------- properties

WORDS = [
    "the",
    "a",
    "score",
    "melody",
    "<note>",
    "</note>",
    "<pitch>",
    "<step>C</step>",
    "tempo",
    "you",
    "can",
    "play",
    "it",
]


def _damage(rng: random.Random, chars: str, points: int, gap: int) -> tuple[str, list[int]]:
    """Drop or insert 1-3 characters at ``points`` places, ``gap`` or more apart."""
    places = sorted(rng.sample(range(gap, len(chars) - 48), points))
    places = [p for k, p in enumerate(places) if k == 0 or p - places[k - 1] >= gap]
    out, prev = [], 0
    for p in places:
        out.append(chars[prev:p])
        if rng.random() < 0.5:
            prev = p + rng.randint(1, 3)
        else:
            out.append("".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 3))))
            prev = p
    out.append(chars[prev:])
    return "".join(out), places


def _recovered(payload: bytes, got, places: list[int], near: int) -> bool:
    """Every byte farther than ``near`` from a damage point is in the data, in order, kept."""
    cuts = [p * 3 // 4 for p in places]
    edges = [0] + [x for c in cuts for x in (c - near, c + near)] + [len(payload)]
    pos = 0
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        if b <= a:
            continue
        j = got.data.find(payload[a:b], pos)
        if j < 0 or any(x < j + b - a and y > j for x, y in got.lost):
            return False
        pos = j + b - a
    return True


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), points=st.integers(1, 4))
def test_property_text_recovers_all_but_bytes_near_damage(seed: int, points: int) -> None:
    rng = random.Random(seed)
    payload = " ".join(rng.choice(WORDS) for _ in range(rng.randint(300, 900))).encode()
    broken, places = _damage(rng, b64(payload).rstrip("="), points, 200)
    assert _recovered(payload, decode_base64(broken), places, near=6)


def test_property_midi_recovers_all_but_bytes_near_damage_in_most_cases() -> None:
    """MIDI noise parses more often than text noise: most, not all, cases are perfect."""
    good = total = 0
    for seed in range(60):
        rng = random.Random(seed)
        pitches = [rng.randint(48, 84) for _ in range(rng.randint(30, 90))]
        payload = make_midi(pitches, ticks=rng.choice([120, 240, 480]), tracks=rng.randint(1, 3))
        broken, places = _damage(rng, b64(payload).rstrip("="), rng.randint(1, 3), 300)
        total += 1
        good += _recovered(payload, decode_base64(broken), places, near=12)
    assert good >= 0.85 * total


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=ALPHABET + "=-_ *\u00e9", max_size=400))
def test_never_raises_on_any_characters(chars: str) -> None:
    got = decode_base64(chars)
    assert all(0 <= a <= b <= len(got.data) for a, b in got.lost)


# ----------------------------------------------------------------------------- models


def test_sniff_tells_midi_text_and_other() -> None:
    assert isinstance(sniff(make_midi([60])), MidiModel)
    assert isinstance(sniff(PROSE), TextModel)
    assert sniff(bytes(range(0, 256, 7))) is None


def test_plausible_whole_rejects_shifted_bytes() -> None:
    chars = b64(PROSE * 4)
    shifted = base64.b64decode(chars[1 : 1 + (len(chars) - 1) // 4 * 4])
    assert plausible_whole(PROSE * 4)
    assert not plausible_whole(PROSE[:40] + shifted)
    midi = make_midi([60, 64, 67] * 8)
    assert plausible_whole(midi)
    assert not plausible_whole(midi[:40] + base64.b64decode(b64(midi)[57 : 57 + 160]))


# ----------------------------------------------------------------------------- loss is data


def _melody_and_bass(tpb: int = 96) -> bytes:
    """A 2-track file: a melody in quarter notes and a bass line in half notes."""
    import io

    import mido

    mf = mido.MidiFile(type=1, ticks_per_beat=tpb)
    for ch, keys, beats in ((0, [60, 62, 64, 65, 67, 69, 71, 72], 1), (1, [36, 43, 41, 43], 2)):
        tr = mido.MidiTrack()
        for k in keys:
            tr.append(mido.Message("note_on", channel=ch, note=k, velocity=80, time=0))
            tr.append(mido.Message("note_off", channel=ch, note=k, velocity=0, time=tpb * beats))
        mf.tracks.append(tr)
    buf = io.BytesIO()
    mf.save(file=buf)
    return buf.getvalue()


def _midi_artifact(text: str, tmp_path):  # noqa: ANN202 - (Artifact, mido.MidiFile)
    import mido

    from midiforensics import decode

    report = decode(text, out_dir=str(tmp_path))
    art = next(a for a in report.artifacts if a.kind == "midi")
    return report, art, mido.MidiFile(art.path)


@pytest.mark.parametrize("at", [13, 16, 17])
def test_a_character_dropped_in_the_header_is_not_filled_from_a_template(at: int, tmp_path) -> None:
    chars = b64(_melody_and_bass(96))
    report, art, mf = _midi_artifact("MIDI:\n" + chars[:at] + chars[at + 1 :] + "\n", tmp_path)
    guessed = {r.kind for r in art.repairs if r.loss == "guessed"}
    assert mf.ticks_per_beat == 96  # inferred from the delta times, not from a template
    assert len(mf.tracks) == 2
    assert art.verdict == "salvaged" and art.confidence < 0.8
    assert {"header-track-count", "division"} <= guessed
    # the MIDI stage does not blame the input for a count the decoder put there
    assert not any("header announces" in r.reason for r in art.repairs)
    head = next(r for b in report.blobs for r in b.repairs if r.kind == "frame-shift")
    assert head.loss == "lost" and "marked lost" in head.reason


def test_a_run_cut_before_its_second_track_is_not_called_whole(tmp_path) -> None:
    chars = b64(_melody_and_bass(96))
    _, art, mf = _midi_artifact("MIDI:\n" + chars[: len(chars) // 2] + "\n", tmp_path)
    assert len(mf.tracks) == 1
    assert art.verdict == "salvaged" and art.confidence < 0.8
    count = next(r for r in art.repairs if r.kind == "header-track-count")
    assert count.loss == "lost" and "the rest is lost" in count.reason


def test_a_valid_midi_blob_is_written_byte_identical(tmp_path) -> None:
    data = _melody_and_bass(96)
    _, art, _ = _midi_artifact("MIDI:\n" + b64(data) + "\n", tmp_path)
    assert Path(art.path).read_bytes() == data
    assert art.verdict == "intact" and art.repairs == ()
