"""The fast path for clean MIDI files, judged by mido and by the full repair path.

A file valid to the last byte is passed through after one strict pass of our own reader
(:func:`read_clean`), which also gives the report its numbers: these must be what mido reads,
and the result must be what the full path (tolerant walk, mido judge, mido summary) gives.
Damaged files must not take the fast path. The base64 frame judge's quick whole-file check
is covered here too: the same answers as the model's scan, only cheaper.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from midiforensics.decoding.plausible import MidiModel, plausible_whole
from midiforensics.formats.base import MusicResult
from midiforensics.formats.midi import carve, find
from midiforensics.formats.midi.carve import find_midi, midi_summary, repair_midi
from midiforensics.formats.midi.clean import read_clean
from midiforensics.formats.midi.spec import vlq

from .conftest import CORPUS, SAMPLES, make_midi, needs_corpus

EOT = b"\x00\xff\x2f\x00"


@contextmanager
def full_path() -> Iterator[None]:
    """Repair and summaries without the fast path: the walk, mido's judgement and reading."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(carve, "read_clean", lambda smf: None)
        yield


def mido_summary(smf: bytes) -> tuple[int, int, float, float | None]:
    """Notes, tracks with notes, seconds and first tempo as mido reads them: the summary's
    own path through mido, with the fast path out of the way."""
    with full_path():
        return tuple(carve.midi_summary(smf))  # type: ignore[return-value]


def both_ways(data: bytes) -> tuple[MusicResult | None, MusicResult | None]:
    fast = repair_midi(data)
    with full_path():
        full = repair_midi(data)
    return fast, full


def smf(*tracks: bytes, fmt: int = 1, ntracks: int | None = None, tpb: int = 480) -> bytes:
    head = b"MThd\x00\x00\x00\x06" + fmt.to_bytes(2, "big")
    head += (len(tracks) if ntracks is None else ntracks).to_bytes(2, "big")
    head += tpb.to_bytes(2, "big")
    return head + b"".join(b"MTrk" + len(t).to_bytes(4, "big") + t for t in tracks)


# --------------------------------------------------------------------------- valid files

_deltas = st.one_of(
    st.just(0), st.integers(1, 127), st.integers(128, 20_000), st.integers(0, 0x0FFFFFFF)
)
_byte7 = st.integers(0, 127)


@st.composite
def _channel(draw: st.DrawFn) -> tuple[int, bytes]:
    status = draw(st.integers(0x80, 0xEF))
    if status >> 4 == 0x9 and draw(st.booleans()):
        status = 0x90 | (status & 0x0F)
    size = 1 if status >> 4 in (0xC, 0xD) else 2
    return status, bytes(draw(st.lists(_byte7, min_size=size, max_size=size)))


@st.composite
def _meta(draw: st.DrawFn) -> bytes:
    kind = draw(
        st.sampled_from(
            [0x00, 0x01, 0x02, 0x03, 0x05, 0x09, 0x20, 0x21, 0x51, 0x54, 0x58, 0x59, 0x7F]
        )
    )
    if kind == 0x00:
        payload = draw(st.sampled_from([b"", b"\x00\x07"]))
    elif kind == 0x20:
        payload = bytes([draw(st.integers(0, 15))])
    elif kind == 0x21:
        payload = draw(st.sampled_from([b"", b"\x01"]))
    elif kind == 0x51:  # 10 to 1000 beats per minute
        payload = draw(st.integers(60_000, 6_000_000)).to_bytes(3, "big")
    elif kind == 0x54:
        payload = bytes(
            [
                draw(st.integers(0, 3)) << 5 | draw(st.integers(0, 23)),
                draw(st.integers(0, 59)),
                draw(st.integers(0, 59)),
                draw(st.integers(0, 29)),
                draw(st.integers(0, 99)),
            ]
        )
    elif kind == 0x58:
        payload = bytes([draw(st.integers(1, 16)), draw(st.integers(0, 6)), 24, 8])
    elif kind == 0x59:
        payload = bytes([draw(st.integers(-7, 7)) & 0xFF, draw(st.integers(0, 1))])
    else:  # text and sequencer-specific: any bytes
        payload = draw(st.binary(max_size=40))
    return b"\xff" + bytes([kind]) + vlq(len(payload)) + payload


@st.composite
def _sysex(draw: st.DrawFn) -> bytes:
    data = bytes(draw(st.lists(_byte7, max_size=12)))
    if draw(st.booleans()):
        body = b"\xf0" + vlq(len(data) + 1) + data + b"\xf7"
    else:  # a SysEx packet or escape, with no closing F7
        body = b"\xf7" + vlq(len(data)) + data
    return body


@st.composite
def valid_track(draw: st.DrawFn) -> bytes:
    out = bytearray()
    running = 0  # running status may repeat a channel status, never across a SysEx
    for _ in range(draw(st.integers(0, 30))):
        out += vlq(draw(_deltas))
        what = draw(st.sampled_from(["channel"] * 6 + ["meta", "sysex"]))
        if what == "channel":
            status, data = draw(_channel())
            if status == running and draw(st.booleans()):
                out += data
            else:
                out += bytes([status]) + data
            running = status
        elif what == "meta":
            out += draw(_meta())
        else:
            out += draw(_sysex())
            running = 0
    return bytes(out + vlq(draw(_deltas)) + b"\xff\x2f\x00")


@st.composite
def valid_smf(draw: st.DrawFn) -> bytes:
    fmt = draw(st.integers(0, 2))
    count = 1 if fmt == 0 else draw(st.integers(1, 4))
    tracks = [draw(valid_track()) for _ in range(count)]
    return smf(*tracks, fmt=fmt, tpb=draw(st.integers(1, 0x7FFF)))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_smf())
def test_a_valid_file_takes_the_fast_path_with_mido_s_numbers(data: bytes) -> None:
    clean = read_clean(data)
    assert clean is not None
    assert tuple(clean) == mido_summary(data)
    assert midi_summary(data) == clean
    fast, full = both_ways(data)
    assert fast is not None and fast == full
    assert fast.midi == data and fast.verdict == "intact" and fast.repairs == ()
    assert (fast.notes, fast.tracks, fast.seconds, fast.tempo_bpm) == tuple(clean)


def test_seconds_follow_tempo_changes_across_tracks_as_mido_merges_them() -> None:
    # tempo changes in a second track, at ticks the first track's notes straddle; the
    # last End of Track later than any event; events at equal ticks in both tracks
    t1 = b"\x00\x90\x3c\x40\x83\x60\x80\x3c\x40\x00\x90\x3e\x40\x81\x40\x3e\x00" + EOT
    t2 = b"\x81\x70\xff\x51\x03\x0f\x42\x40\x00\xff\x51\x03\x03\xd0\x90\x83\x60\xff\x51\x03"
    t2 += b"\x07\xa1\x20\x00\x91\x40\x40\x8f\x00\x81\x40\x00\x87\x40\xff\x2f\x00"
    data = smf(t1, t2)
    clean = read_clean(data)
    assert clean is not None and tuple(clean) == mido_summary(data)
    assert clean.seconds > 0 and clean.tempo_bpm == 60.0 and clean.tracks == 2


# --------------------------------------------------------------------------- damaged files

NOTES = b"\x00\x90\x3c\x40\x60\x80\x3c\x40\x00\x90\x3e\x40\x60\x3e\x00"
GOOD = smf(NOTES + EOT)


def _with_length(data: bytes, length: int) -> bytes:
    return data[:18] + length.to_bytes(4, "big") + data[22:]


DAMAGED = {
    "track length too long": (_with_length(GOOD, len(NOTES) + 9), "track-length"),
    "track length too short": (_with_length(GOOD, len(NOTES) + 2), "track-length"),
    "no End of Track": (smf(NOTES), "end-of-track-added"),
    "running status across tracks": (
        smf(NOTES + EOT, b"\x00\x3c\x40\x60\x3c\x00" + EOT),
        "status-missing",
    ),
    "trailing junk": (GOOD + b"\x00\x01junk", "junk-dropped"),
    "running status after SysEx": (
        smf(b"\x00\x90\x3c\x40\x00\xf0\x03\x7e\x01\xf7\x60\x3c\x00" + EOT),
        "running-status",
    ),
    "events after End of Track": (
        smf(b"\x00\x90\x3c\x40" + EOT + b"\x60\x80\x3c\x40" + EOT),
        "events-after-end-of-track",
    ),
    "track count": (smf(NOTES + EOT, ntracks=2), "header-track-count"),
    "tempo of zero": (smf(b"\x00\xff\x51\x03\x00\x00\x00" + NOTES + EOT), "meta-dropped"),
    "SMPTE offset mido refuses": (
        smf(b"\x00\xff\x54\x05\x01\x3c\x00\x00\x00" + NOTES + EOT),
        "events-dropped",
    ),
    "format 0 with two tracks": (smf(NOTES + EOT, NOTES + EOT, fmt=0), "header-format"),
    "division 0": (smf(NOTES + EOT, tpb=0), "division"),
}


@pytest.mark.parametrize("name", sorted(DAMAGED))
def test_a_damaged_file_does_not_take_the_fast_path(name: str) -> None:
    data, kind = DAMAGED[name]
    assert read_clean(data) is None
    fast, full = both_ways(data)
    assert fast is not None and fast == full
    assert fast.verdict != "intact" and kind in {r.kind for r in fast.repairs}
    assert mido_summary(fast.midi) == (fast.notes, fast.tracks, fast.seconds, fast.tempo_bpm)


@pytest.mark.parametrize(
    "events",
    [
        b"\x00\xf2\x01\x02",  # a system message, which mido reads
        b"\x60\xff\x60\x00",  # a meta event mido does not know: it reads its delta time as 0
        b"\x00\xff\x58\x04\x04\x08\x18\x08",  # a 4/256 time signature
    ],
)
def test_what_the_strict_reader_leaves_to_the_full_path_still_passes_there(events: bytes) -> None:
    data = smf(events + NOTES + EOT)
    assert read_clean(data) is None
    fast, full = both_ways(data)
    assert fast is not None and fast == full and fast.verdict == "intact" and fast.midi == data
    assert mido_summary(data) == (fast.notes, fast.tracks, fast.seconds, fast.tempo_bpm)


def test_known_noise_keeps_a_valid_file_off_the_fast_path() -> None:
    data = make_midi([60, 62, 64, 65, 67])
    assert read_clean(data) is not None
    lost = [(30, 32)]
    fast = repair_midi(data, lost)
    with full_path():
        full = repair_midi(data, lost)
    assert fast == full and fast is not None and fast.verdict != "intact"
    # an empty lost range (a frame break at no byte's cost) still says where it broke
    fast = repair_midi(data, [(30, 30)])
    with full_path():
        assert fast == repair_midi(data, [(30, 30)])
    assert fast is not None and fast.midi == data and fast.verdict != "intact"


_MUTATIONS = st.lists(
    st.tuples(st.sampled_from(["flip", "insert", "delete", "cut"]), st.integers(0, 10_000)),
    min_size=1,
    max_size=3,
)


def _mutate(data: bytes, edits: list[tuple[str, int]], byte: int) -> bytes:
    out = bytearray(data)
    for op, at in edits:
        if not out:
            break
        i = at % len(out)
        if op == "flip":
            out[i] = byte
        elif op == "insert":
            out.insert(i, byte)
        elif op == "delete":
            del out[i]
        else:
            del out[max(i, 14) :]
    return bytes(out)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_smf(), _MUTATIONS, st.integers(0, 255))
def test_any_file_repairs_the_same_with_or_without_the_fast_path(
    data: bytes, edits: list[tuple[str, int]], byte: int
) -> None:
    damaged = _mutate(data, edits, byte)
    fast, full = both_ways(damaged)
    assert fast == full
    clean = read_clean(damaged)
    if clean is not None:  # what the strict reader accepts, mido reads, with these numbers
        assert tuple(clean) == mido_summary(damaged)
        assert fast is not None and fast.verdict == "intact" and fast.midi == damaged


def _carved_the_long_way(data: bytes) -> list[tuple[int, int]]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(find, "_one_whole_file", lambda data: False)
        return find_midi(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_smf(), _MUTATIONS, st.integers(0, 255), st.binary(max_size=40))
def test_carving_finds_the_same_files_with_or_without_the_whole_file_check(
    data: bytes, edits: list[tuple[str, int]], byte: int, glued: bytes
) -> None:
    """A file that is whole to its last byte is carved as one piece without looking for chunk
    tags; valid files, damaged ones, files with bytes glued on and two files in a row must
    carve as the full search carves them."""
    for case in (data, _mutate(data, edits, byte), data + glued, glued + data, data + data):
        assert find_midi(case) == _carved_the_long_way(case)
    assert find_midi(data) == [(0, len(data))]


# --------------------------------------------------------------------------- real files


def _corpus_midi() -> list[bytes]:
    """Every MIDI file in the base64 runs of the shared corpus, and the samples."""
    found = []
    texts = sorted(CORPUS.rglob("*.txt")) + sorted(SAMPLES.glob("*"))
    for path in texts:
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for run in re.findall(r"(?:[A-Za-z0-9+/=]{16,}\s*){2,}", text):
            try:
                blob = binascii.a2b_base64(re.sub(r"\s+", "", run))
            except binascii.Error:
                continue
            found.extend(blob[a:b] for a, b in find_midi(blob))
    return found


@needs_corpus
def test_real_files_take_the_fast_path_only_when_mido_agrees_on_every_number() -> None:
    files = _corpus_midi()
    taken = refused = 0
    for data in files:
        fast, full = both_ways(data)
        assert fast == full
        clean = read_clean(data)
        if clean is None:
            refused += 1
            continue
        taken += 1
        assert tuple(clean) == mido_summary(data)
        assert fast is not None and fast.midi == data and fast.verdict == "intact"
    assert taken >= 40 and refused >= 10  # the corpus has both: valid files and broken ones


# --------------------------------------------------------------------------- the frame judge


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_smf(), _MUTATIONS, st.integers(0, 255))
def test_the_whole_file_check_of_strict_base64_agrees_with_the_model_s_scan(
    data: bytes, edits: list[tuple[str, int]], byte: int
) -> None:
    for blob in (data, _mutate(data, edits, byte)):
        if blob[:4] == b"MThd":
            assert plausible_whole(blob) == (MidiModel().scan(blob, 0, True)[0] is None)
