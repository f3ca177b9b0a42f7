"""The one MIDI grammar: what the Standard MIDI File and MIDI 1.0 specifications fix.

Both readers of MIDI bytes use it: the base64 frame judge (:mod:`..judge`,
:mod:`midiforensics.decoding.plausible`) and the tolerant track reader (:mod:`.events`).
Where the two read differently, it is a choice each states against this table, not a
second table:

- a track event (SMF 1.0) is a channel message, a SysEx (``F0``/``F7``) or a meta event
  (``FF``). System common and real-time messages (``F1``-``FE``) have data lengths fixed by
  MIDI 1.0 but no place in a file; mido reads them, so the repairer reads them too (and
  drops them if a reader refuses the result), while the frame judge takes them as noise;
- meta events with a fixed size have the sizes readers accept: sequence number ``00`` takes
  2 bytes or none (the file's position), MIDI port ``21`` 1 byte or none.
"""

from __future__ import annotations

HEADER_TAG = b"MThd"
TRACK_TAG = b"MTrk"
HEADER_LEN = 6  # bytes of header data: format, track count, division

# channel messages by their high nibble: data bytes each carries
CHANNEL_DATA = {0x8: 2, 0x9: 2, 0xA: 2, 0xB: 2, 0xC: 1, 0xD: 1, 0xE: 2}
# system common and real-time messages (MIDI 1.0), with their data bytes; not track events
SYSTEM_DATA = {0xF1: 1, 0xF2: 2, 0xF3: 1, 0xF6: 0, 0xF8: 0, 0xFA: 0, 0xFB: 0, 0xFC: 0, 0xFE: 0}
UNDEFINED_STATUS = frozenset({0xF4, 0xF5, 0xF9, 0xFD})
SYSEX = frozenset({0xF0, 0xF7})
META = 0xFF

# meta events whose payload has a fixed size, with the sizes readers accept
META_SIZES: dict[int, tuple[int, ...]] = {
    0x00: (0, 2),  # sequence number
    0x20: (1,),  # channel prefix
    0x21: (0, 1),  # MIDI port
    0x2F: (0,),  # End of Track
    0x51: (3,),  # set tempo
    0x54: (5,),  # SMPTE offset
    0x58: (4,),  # time signature
    0x59: (2,),  # key signature
}
META_TEXT = frozenset(range(0x01, 0x10))  # text, copyright, names, lyric, marker, cue...
META_SEQUENCER = 0x7F
META_KNOWN = frozenset(META_SIZES) | META_TEXT | {META_SEQUENCER}
EOT = 0x2F
EOT_EVENT = b"\xff\x2f\x00"

# ticks per beat that sequencers write, the likeliest first
COMMON_DIVISIONS = (480, 96, 120, 192, 384, 960, 240)


def data_length(status: int) -> int | None:
    """Data bytes after a channel or system status byte; None for SysEx, meta and undefined."""
    if status < 0x80:
        return None
    if status < 0xF0:
        return CHANNEL_DATA[status >> 4]
    return SYSTEM_DATA.get(status)


def is_track_status(status: int) -> bool:
    """Whether a status byte may start a track event in a Standard MIDI File."""
    return 0x80 <= status < 0xF0 or status in SYSEX or status == META


def meta_size_ok(kind: int, size: int) -> bool:
    """Whether a meta event of ``kind`` may have ``size`` bytes (any size for other kinds)."""
    sizes = META_SIZES.get(kind)
    return sizes is None or size in sizes


def vlq_at(buf: bytes, pos: int, stop: int) -> tuple[int, int]:
    """A variable-length quantity at ``pos``: (value, index after it).

    The value is -2 when ``stop`` cuts it off (index ``stop``) and -1 when it runs over the
    four bytes the format allows (index ``pos + 4``).
    """
    value = 0
    for k in range(4):
        if pos + k >= stop:
            return -2, stop
        b = buf[pos + k]
        value = (value << 7) | (b & 0x7F)
        if b < 0x80:
            return value, pos + k + 1
    return -1, pos + 4


def vlq(value: int) -> bytes:
    """``value`` as a variable-length quantity."""
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def header(fmt: int, ntracks: int, division: int) -> bytes:
    """An MThd chunk."""
    return (
        HEADER_TAG
        + HEADER_LEN.to_bytes(4, "big")
        + fmt.to_bytes(2, "big")
        + ntracks.to_bytes(2, "big")
        + division.to_bytes(2, "big")
    )


# where the header's fields sit, from the start of "MThd"
FORMAT_AT, NTRACKS_AT, DIVISION_AT = 8, 10, 12
