"""The format handlers, in priority order: the only list of formats the rest of the code reads.

A new format is one module or package here, one line in :data:`HANDLERS` and one fixture
folder ``tests/fixtures/<name>/``. Text handlers are asked in order and a find of an earlier
one is not searched by a later one; a payload segment is offered to the bytes handlers whose
``magic`` it starts with (or whose ``extents`` found it), in order, until one says "mine".
"""

from __future__ import annotations

from .abc.handler import ABCHandler
from .base import Handler
from .containers import GzipHandler, ZipHandler
from .lilypond.handler import LilyPondHandler
from .midi.handler import MidiHandler
from .musiccode.handler import MusicCodeHandler
from .musicxml.handler import MusicXMLHandler
from .mxl import MXLHandler
from .notearray.handler import NoteArrayHandler
from .notelist.handler import NoteListHandler

HANDLERS: tuple[Handler, ...] = (
    MusicXMLHandler(),
    ABCHandler(),
    LilyPondHandler(),
    MusicCodeHandler(),
    NoteArrayHandler(),
    NoteListHandler(),  # note names in prose: the most general shape, asked last
    MidiHandler(),
    MXLHandler(),
    ZipHandler(),
    GzipHandler(),
)

TEXT_HANDLERS = tuple(h for h in HANDLERS if h.reads == "text")
BYTES_HANDLERS = tuple(h for h in HANDLERS if h.reads == "bytes")
MUSIC_KINDS = frozenset(h.name for h in HANDLERS if not h.container)


__all__ = ["BYTES_HANDLERS", "HANDLERS", "MUSIC_KINDS", "TEXT_HANDLERS", "Handler"]
