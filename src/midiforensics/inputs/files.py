"""Reading inputs from disk: which files a command line names (folders, globs), and a large
text in windows cut at blank lines outside code fences (and outside a MusicXML score), so that
no encoded run straddles a cut and a 200 MB input is never held as several whole copies."""

from __future__ import annotations

import bisect
import glob
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Protocol

from ..locate.text import newlines

# Suffixes taken from a folder; other files are taken when their head reads as text.
INPUT_SUFFIXES = frozenset(
    [
        ".txt",
        ".md",
        ".markdown",
        ".json",
        ".jsonl",
        ".ndjson",
        ".html",
        ".htm",
        ".xml",
        ".musicxml",
        ".mxl",
        ".abc",
        ".mid",
        ".midi",
        ".kar",
        ".rmi",
        ".b64",
        ".base64",
        ".hex",
        ".log",
        ".csv",
        ".tsv",
        ".yaml",
        ".yml",
    ]
)
_SKIP_DIRS = {"__pycache__", "node_modules"}
WINDOW_CHARS = 4 * 1024 * 1024  # a window of a text (memory: a few copies of one window)
# what a JSON export is read in at a time: no search runs over a piece (its messages are
# searched), so it only has to be large enough that reading costs little (memory: a few
# pieces' characters, of up to four bytes each)
EXPORT_PIECE = 256 * 1024
READ_BLOCK = 1024 * 1024


def _texty(path: Path) -> bool:
    """True when a file of unknown suffix looks like text (no NUL in its head, decodes)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    if not head or b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 4  # a character cut by the 4096-byte read
    return True


def _walk(root: Path) -> list[Path]:
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in _SKIP_DIRS)
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            p = Path(dirpath) / name
            if p.suffix.lower() in INPUT_SUFFIXES or (p.is_file() and _texty(p)):
                found.append(p)
    return found


def expand_inputs(
    args: list[str], exclude: list[Path] | None = None
) -> tuple[list[Path], list[str]]:
    """Files named by ``args``: files as given, folders recursively, glob patterns expanded.

    A folder contributes its files with a known suffix (:data:`INPUT_SUFFIXES`) and other files
    whose head reads as text; hidden files and folders are skipped. ``exclude`` folders (the
    output folder, say) are not searched. ``-`` (standard input) is passed through as
    ``Path("-")``. Returns (files in a stable order without duplicates, one error line for each
    argument that names nothing).
    """
    files: list[Path] = []
    errors: list[str] = []
    seen: set[str] = set()
    skip = [_resolved(p) for p in exclude or []]

    def add(p: Path) -> None:
        key = _resolved(p)
        if key in seen or any(key == s or key.startswith(s + os.sep) for s in skip if s):
            return
        seen.add(key)
        files.append(p)

    for arg in args:
        if arg == "-":
            if "-" not in seen:
                seen.add("-")
                files.append(Path("-"))
            continue
        p = Path(arg)
        if p.is_dir():
            before = len(files)
            for f in _walk(p):
                add(f)
            if len(files) == before and not any(True for _ in _walk(p)):
                errors.append(f"{arg}: no input files in this folder")
        elif p.exists() or p.is_symlink():
            add(p)
        elif any(c in arg for c in "*?["):
            matches = sorted(glob.glob(arg, recursive=True))
            hits = [Path(m) for m in matches if not Path(m).is_dir()]
            for m in matches:
                if Path(m).is_dir():
                    hits.extend(_walk(Path(m)))
            if not hits:
                errors.append(f"no files match {arg}")
            for h in hits:
                add(h)
        else:
            errors.append(f"no such file: {arg}")
    return files, errors


def _resolved(p: Path) -> str:
    try:
        return str(p.resolve())
    except (OSError, RuntimeError):
        return str(p.absolute())


# --- large inputs ------------------------------------------------------------------------


class Readable(Protocol):
    """A binary stream: a file opened "rb", standard input's buffer."""

    def read(self, n: int, /) -> bytes: ...


@dataclass(frozen=True)
class Window:
    """A piece of a large text: ``length`` bytes of UTF-8 that start at character
    ``char_offset`` of the text, on line ``first_line``. A window of a file is a place in it
    (``path``, ``byte_offset``), read where it is searched (a worker process reads its own: no
    copy of the bytes goes through a pipe); a window of a stream holds its bytes (``held``)."""

    char_offset: int
    first_line: int
    length: int
    path: str = ""
    byte_offset: int = 0
    held: bytes | None = field(default=None, repr=False)

    @property
    def data(self) -> bytes:
        if self.held is not None:
            return self.held
        with open(self.path, "rb") as fh:
            fh.seek(self.byte_offset)
            return fh.read(self.length)

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


# glibc's mallopt parameters, and the values set while windows are read
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_KEEP_FREED, _HEAP_UP_TO = 64 * 1024 * 1024, 16 * 1024 * 1024


@cache
def keep_freed_memory() -> None:
    """Ask glibc's allocator to keep freed memory for the next allocation rather than give it
    back to the system at once. A window's buffers (the bytes read, the text decoded, its
    Latin-1 copy for the gate: about 4 MB each) are made and freed for every window; given
    back and taken again, every page of them is a fault, about 2,000 a window, which took
    three quarters of the time spent cutting a file into windows here. Peak memory is the
    same: what is kept is what the window before used. Elsewhere (not glibc) nothing is done."""
    if os.name != "posix":
        return  # CDLL(None) is a TypeError on Windows, and there is no glibc
    try:
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError, TypeError):
        return
    mallopt(_M_TRIM_THRESHOLD, _KEEP_FREED)
    mallopt(_M_MMAP_THRESHOLD, _HEAP_UP_TO)


def _chars(buf: bytes, pos: int, ascii: bool) -> int:
    """How many characters ``buf[:pos]`` decodes to (as :attr:`Window.text` decodes it);
    ``ascii``: whether all of ``buf`` is ASCII."""
    return pos if ascii else len(buf[:pos].decode("utf-8", errors="replace"))


def _fence_marks(buf: bytes) -> list[int]:
    """Offsets of the code-fence lines in ``buf`` (a line opening with three backticks or
    tildes after at most three spaces). Found by looking for single backticks and tildes
    (``bytes.find`` of one byte runs at memory speed; both are rare in prose)."""
    marks: list[int] = []
    for tick, three in ((b"`", b"```"), (b"~", b"~~~")):
        k = buf.find(tick)
        while k != -1:
            if buf.startswith(three, k):
                ls = buf.rfind(b"\n", 0, k) + 1
                if k - ls <= 3 and not buf[ls:k].strip(b" \t"):
                    marks.append(ls)
                    k = buf.find(b"\n", k)  # one mark a line
                    if k == -1:
                        break
                else:
                    k += 3
            k = buf.find(tick, k + 1)
    marks.sort()
    return marks


def _all(buf: bytes, word: bytes, ends: tuple[bytes, ...]) -> list[int]:
    """Offsets of ``word`` followed by one of ``ends`` in ``buf``. Its first byte is looked for
    alone while it is rare (``find`` of one byte runs at memory speed, of several bytes
    thirty times slower); in a text full of it (markup), the word itself."""
    out: list[int] = []
    first = word[:1]
    misses = 0
    k = buf.find(first)
    while k != -1:
        if buf.startswith(word, k):
            if buf.startswith(ends, k + len(word)):
                out.append(k)
        else:
            misses += 1
        k = buf.find(first if misses < 64 else word, k + 1)
    return out


_SCORE_KINDS = (b"partwise", b"timewise")


def _cut(buf: bytes, fences: list[int], fence_open: bool, lo: int) -> int | None:
    """The last good place in ``buf[lo:]`` to end a window: after a blank line that is outside
    a code fence and outside a MusicXML score. ``None`` when there is none. Lines are walked
    back from the end, so the usual cut (a blank line near the end) costs little."""
    opens = _all(buf, b"<score-", _SCORE_KINDS)
    closes = _all(buf, b"</score-", _SCORE_KINDS) if opens else []
    end = buf.rfind(b"\n", lo)
    while end > lo:
        prev = buf.rfind(b"\n", lo, end)
        if prev == -1:
            return None
        if not buf[prev + 1 : end].strip(b" \t\r"):
            pos = end + 1  # the blank line [prev + 1, end] ends here
            inside_fence = (bisect.bisect_left(fences, pos) % 2 == 1) != fence_open
            o = bisect.bisect_left(opens, pos)
            if not inside_fence and not (o and bisect.bisect_left(closes, pos) < o):
                return pos
        end = prev
    return None


def _hard_cut(buf: bytes, lo: int) -> int:
    """Where to cut a window that has no blank line: a line break, then a JSON-escaped
    paragraph break, then a space; as a last resort the end of the buffer (backed off to
    the start of a character)."""
    for sep in (b"\n", b"\\n\\n", b"\\n", b" "):
        k = buf.rfind(sep, lo)
        if k != -1:
            return k + len(sep)
    k = len(buf)
    while k > lo and 0x80 <= buf[k - 1] < 0xC0:
        k -= 1
    return k - 1 if k > lo and buf[k - 1] >= 0xC0 else len(buf)


def iter_windows(
    source: Path | Readable, size: int = WINDOW_CHARS, hard: int | None = None
) -> Iterator[Window]:
    """The text of ``source`` (a file, or a binary stream such as standard input; UTF-8,
    undecodable bytes replaced) in windows of about ``size`` bytes, each ending after a blank
    line outside code fences and MusicXML scores.

    When no such place turns up before ``hard`` bytes (default ``4 * size``: one long line, a
    huge fence), the window is cut at a line break, a JSON-escaped paragraph break or a space,
    whichever comes last. Memory: at most ``hard`` bytes plus one read block. The windows are
    cut in the bytes as read (no decoding here unless a window holds non-ASCII characters, to
    count them); code fences are found once a buffer and the lines counted once a window. A
    file's windows are places in it: each buffer is read once here to cut it and dropped.
    """
    keep_freed_memory()
    if isinstance(source, Path):
        with source.open("rb") as fh:
            yield from _windows(fh, str(source), size, hard or 4 * size)
    else:
        yield from _windows(source, "", size, hard or 4 * size)


def _windows(fh: Readable, path: str, size: int, hard: int) -> Iterator[Window]:
    """:func:`iter_windows` of an open stream; ``path`` names its file ("" for a stream, whose
    windows then hold their bytes)."""
    offset = 0
    at = 0  # bytes of the input before ``buf``
    line = 1
    fence_open = False
    eof = False
    want = size  # read this much before looking for a cut
    buf = fh.read(3)
    if buf.startswith(b"\xef\xbb\xbf"):
        buf, at = buf[3:], 3
    while True:
        if path:  # a file: read the buffer from its place (what followed the last cut again)
            fh.seek(at)  # type: ignore[attr-defined]
            buf = fh.read(want)
            eof = len(buf) < want
        while not eof and len(buf) < want:
            block = fh.read(want - len(buf))
            eof = not block
            buf += block
        fences = _fence_marks(buf)
        if eof:
            pos: int | None = len(buf)
        else:
            pos = _cut(buf, fences, fence_open, size // 2)
            if pos is None and len(buf) < hard:
                want = min(hard, len(buf) + size // 2)  # read on: a cut may come
                continue
        if pos is None:
            pos = _hard_cut(buf, size // 2)
        held = len(buf) - pos  # what a stream's buffer keeps: a file's is read again as long
        if pos:
            yield Window(offset, line, pos, path, at, None if path else buf[:pos])
            at += pos
            fence_open = (bisect.bisect_left(fences, pos) % 2 == 1) != fence_open
            offset += _chars(buf, pos, buf.isascii())
            line += newlines(buf) - newlines(buf, pos)  # no copy of the window's bytes
            buf = b"" if path else buf[pos:]
        if eof and (path or not buf):
            return
        want = max(size, held) if path else size


def _head_is_binary(head: bytes) -> bool:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True  # UTF-16: read whole and let the pipeline decode it
    from ..classify import BINARY_MAGIC

    return head.startswith(BINARY_MAGIC) or b"\x00" in head[:8192]


def _read_whole(head: bytes) -> bool:
    """Whether an input that begins with ``head`` is read whole, not in windows: binary, or
    structured (JSON, JSON Lines, HTML: a chat export is split by its structure)."""
    return _opening(head) in (b"[", b"{", b"<") or _head_is_binary(head[:8192])


def _opening(head: bytes) -> bytes:
    """The first byte of a text after its byte order mark and white space."""
    return head.removeprefix(b"\xef\xbb\xbf").lstrip()[:1]


@dataclass(frozen=True)
class Export:
    """A large input in JSON (a JSON array, JSON Lines): a chat export, split by its
    structure as it is read, ``piece`` bytes at a time (:func:`pipeline.run`)."""

    path: Path
    piece: int


def read_text_bounded(path: Path, size: int | None = None) -> bytes | Iterator[Window] | Export:
    """How to read one input: its bytes when it fits in one window, or is binary or HTML;
    an :class:`Export` when it is JSON (a chat export is split by its structure, not in
    windows); otherwise :func:`iter_windows` of its text, so a text of any size is held a
    window at a time (``size``: :data:`WINDOW_CHARS`; an export's pieces are no larger)."""
    size = size or WINDOW_CHARS
    with path.open("rb") as fh:
        head = fh.read(8192)
    if path.stat().st_size <= size or _head_is_binary(head):
        return path.read_bytes()
    if _opening(head) in (b"[", b"{"):
        return Export(path, min(size, EXPORT_PIECE))
    if _read_whole(head):
        return path.read_bytes()
    return iter_windows(path, size)


class _Joined:
    """A binary stream read on after the bytes already taken from its head."""

    def __init__(self, head: bytes, rest: Readable) -> None:
        self.head = head
        self.rest = rest

    def read(self, n: int) -> bytes:
        if self.head:
            out, self.head = self.head[:n], self.head[n:]
            return out
        return self.rest.read(n)


def read_stream_bounded(fh: Readable, size: int | None = None) -> bytes | Iterator[Window]:
    """:func:`read_text_bounded` for a stream (standard input): its bytes when they fit in
    one window or are binary or structured, otherwise windows of its text."""
    size = size or WINDOW_CHARS
    chunks: list[bytes] = []
    held = 0
    while held <= size:
        block = fh.read(size + 1 - held)
        if not block:
            return b"".join(chunks)
        chunks.append(block)
        held += len(block)
    head = b"".join(chunks)
    if _read_whole(head):
        rest = [head]
        while block := fh.read(READ_BLOCK):
            rest.append(block)
        return b"".join(rest)
    return iter_windows(_Joined(head, fh), size)
