"""A text read a piece at a time, and what a chat export's readers take from it one by one: the
values of a JSON array, and lines. The same readers run over a text held whole (every
character already there), so that reading an export from a file in pieces gives what reading
it whole gives: :mod:`.chat_json` is written once, against :class:`Chars`."""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

# A value decoded from the buffer is taken once this many characters after it have been read
# (a number's last digits, or its fraction, may still be on their way).
MARGIN = 64
_BOM = b"\xef\xbb\xbf"
_JSON_SPACE = re.compile(r"[ \t\r\n]*")
_SPACE = re.compile(r"\s*")  # what str.strip() strips (both ask the same Unicode table)


class Chars:
    """A text: ``buf`` holds it from some character on, filled on demand from ``fh`` (UTF-8,
    undecodable bytes replaced as :func:`.raw.read_input` replaces them, a leading byte order
    mark dropped) ``piece`` bytes at a time. Without ``fh``, ``text`` is the whole text.

    Readers index into ``buf``; :meth:`more` appends to it (indices stay) and :meth:`keep`
    drops what a reader is done with (its index then moves)."""

    def __init__(self, text: str = "", fh: BinaryIO | None = None, piece: int = 0) -> None:
        self.buf = text
        self.eof = fh is None
        self._fh = fh
        self._piece = max(piece, 1)
        self._dec = codecs.getincrementaldecoder("utf-8")("replace")
        if fh is not None:
            head = b""
            while len(head) < len(_BOM) and (block := fh.read(len(_BOM) - len(head))):
                head += block
            self.buf = self._dec.decode(head.removeprefix(_BOM))

    def again(self) -> Chars:
        """The same text, read from its start again (a file is read anew)."""
        if self._fh is None:
            return Chars(self.buf)
        self._fh.seek(0)
        return Chars(fh=self._fh, piece=self._piece)

    def more(self, at_least: int = 0) -> bool:
        """Read on: one piece, or more until ``at_least`` characters came; False when nothing
        came (the end of the text)."""
        parts = [self.buf]
        got = 0
        while self._fh is not None and not self.eof and (got == 0 or got < at_least):
            block = self._fh.read(max(self._piece, at_least - got))
            self.eof = not block
            text = self._dec.decode(block, final=self.eof)
            parts.append(text)
            got += len(text)
        if got:
            self.buf = "".join(parts)
        return got > 0

    def keep(self, i: int) -> int:
        """Drop the characters before ``buf[i]`` when they are many (a text held whole keeps
        them); returns where ``buf[i]`` then is."""
        if self._fh is None or i < self._piece:
            return i
        self.buf = self.buf[i:]
        return 0

    def skip(self, pattern: re.Pattern[str], i: int) -> int:
        """The index after what ``pattern`` matches from ``buf[i]`` on, reading on while the
        match runs to the end of what has been read."""
        while True:
            j = pattern.match(self.buf, i).end()  # type: ignore[union-attr]
            if j < len(self.buf) or not self.more():
                return j
            i = j


def valid_utf8(path: Path) -> bool:
    """Whether a file is UTF-8 throughout (read a block at a time)."""
    dec = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        with path.open("rb") as fh:
            while block := fh.read(64 * 1024):  # decoded to up to four times as many bytes
                dec.decode(block)
        dec.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _maybe_cut(exc: ValueError | RecursionError, read: int) -> bool:
    """Whether a value failed to decode because the buffer (``read`` characters) ends inside
    it, so that reading on may mend it: the error is near the end, or a string is open."""
    if not isinstance(exc, json.JSONDecodeError):
        return False  # too deep, or an integer too long: no more text changes that
    return exc.pos >= read - MARGIN or exc.msg.startswith("Unterminated string")


def array_values(chars: Chars, start: int) -> Iterator[Any]:
    """The values of the JSON array at ``chars.buf[start] == '['``, decoded one at a time,
    each read as far as it needs (a buffer holds about one piece and the value read).

    Stops quietly at the first value that does not decode (a cut-off export keeps the
    conversations before the cut)."""
    dec = json.JSONDecoder()
    i = chars.skip(_JSON_SPACE, start + 1)
    if i < len(chars.buf) and chars.buf[i] == "]":
        return
    while i < len(chars.buf):
        i = chars.keep(i)
        try:
            value, end = dec.raw_decode(chars.buf, i)
        except (ValueError, RecursionError) as exc:
            # a value cut by the end of the buffer: read on (as much again, so that a long
            # value is decoded a few times at most), then decode it again
            if _maybe_cut(exc, len(chars.buf)) and chars.more(len(chars.buf) - i):
                continue
            return
        if end + MARGIN > len(chars.buf) and chars.more():
            continue  # decoded again with what follows it
        yield value
        i = chars.skip(_JSON_SPACE, end)
        if i >= len(chars.buf) or chars.buf[i] != ",":
            return
        i = chars.skip(_JSON_SPACE, i + 1)


def lines(chars: Chars) -> Iterator[tuple[int, str]]:
    """(line number, line) of a text, lines ended by "\\n", each read as far as it needs."""
    n, i = 0, 0
    while True:
        i = chars.keep(i)
        j = chars.buf.find("\n", i)
        while j == -1:
            looked = len(chars.buf)
            if not chars.more(looked - i):  # as much again: a long line is joined a few times
                break
            j = chars.buf.find("\n", looked)
        if j == -1:
            if i >= len(chars.buf):
                return
            j = len(chars.buf)
        n += 1
        yield n, chars.buf[i:j]
        i = j + 1


def first_line_alone(chars: Chars, start: int) -> bool:
    """Whether the line from ``chars.buf[start]`` on is a JSON value by itself and another
    line with something on it follows: then the text is not one JSON document (whatever
    comes after the first value makes it more than one), and reads as JSON Lines if
    anything. ``start``: the text's first character that is not white space."""
    j = chars.buf.find("\n", start)
    while j == -1:
        looked = len(chars.buf)
        if not chars.more(looked - start):
            return False
        j = chars.buf.find("\n", looked)
    line = chars.buf[start:j]
    if chars.skip(_SPACE, j) >= len(chars.buf):
        return False  # nothing follows: one document (read whole), parsed once there
    try:
        json.loads(line.strip())
    except (ValueError, RecursionError):
        return False
    return True
