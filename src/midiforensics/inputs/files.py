"""Reading inputs from disk: which files a command line names (folders, globs), and a large
text in windows cut at blank lines outside code fences (and outside a MusicXML score), so that
no encoded run straddles a cut and a 200 MB input is never held as several whole copies."""

from __future__ import annotations

import bisect
import codecs
import glob
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

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
WINDOW_CHARS = 16 * 1024 * 1024  # a window of a large text
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


@dataclass(frozen=True)
class Window:
    """A piece of a large text: ``text`` starts at ``char_offset`` on line ``first_line``."""

    char_offset: int
    first_line: int
    text: str


_FENCE_LINE = re.compile(r"^[ \t]{0,3}(?:```|~~~)", re.M)
_BLANK_LINE = re.compile(r"\n[ \t\r]*\n")
_SCORE_OPEN = re.compile(r"<score-(?:partwise|timewise)\b")
_SCORE_CLOSE = re.compile(r"</score-(?:partwise|timewise)>")


def _cut(buf: str, fence_open: bool, lo: int) -> int | None:
    """The last good place in ``buf[lo:]`` to end a window: after a blank line that is outside
    a code fence and outside a MusicXML score. ``None`` when there is none."""
    fences = [m.start() for m in _FENCE_LINE.finditer(buf)]
    opens = [m.start() for m in _SCORE_OPEN.finditer(buf)]
    closes = [m.start() for m in _SCORE_CLOSE.finditer(buf)]
    cands = [m.end() for m in _BLANK_LINE.finditer(buf, lo)]
    for pos in reversed(cands):
        inside_fence = (bisect.bisect_left(fences, pos) % 2 == 1) != fence_open
        if inside_fence:
            continue
        o = bisect.bisect_left(opens, pos)
        if o and bisect.bisect_left(closes, pos) < o:
            continue  # a score opened before pos is not closed before it
        return pos
    return None


def _hard_cut(buf: str, lo: int) -> int:
    """Where to cut a window that has no blank line: a line break, then a JSON-escaped
    paragraph break, then a space; as a last resort the end of the buffer."""
    for sep in ("\n", "\\n\\n", "\\n", " "):
        k = buf.rfind(sep, lo)
        if k != -1:
            return k + len(sep)
    return len(buf)


def iter_windows(path: Path, size: int = WINDOW_CHARS, hard: int | None = None) -> Iterator[Window]:
    """The text of ``path`` (UTF-8, undecodable bytes replaced) in windows of about ``size``
    characters, each ending after a blank line outside code fences and MusicXML scores.

    When no such place turns up before ``hard`` characters (default ``4 * size``: one long
    line, a huge fence), the window is cut at a line break, a JSON-escaped paragraph break or a
    space, whichever comes last. Memory: at most ``hard`` characters plus one read block.
    """
    hard = hard or 4 * size
    dec = codecs.getincrementaldecoder("utf-8")(errors="replace")
    pieces: list[str] = []
    held = 0
    offset = 0
    line = 1
    fence_open = False
    first = True
    retry_at = size  # after a failed search for a cut, read on this far before the next try
    with path.open("rb") as fh:
        while True:
            block = fh.read(READ_BLOCK)
            chunk = dec.decode(block, final=not block)
            if first and chunk:
                chunk = chunk.removeprefix("\ufeff")
                first = False
            if chunk:
                pieces.append(chunk)
                held += len(chunk)
            while held >= retry_at or (not block and held):
                buf = "".join(pieces)
                if not block:
                    pos = len(buf)
                else:
                    found = _cut(buf, fence_open, size // 2)
                    if found is None:
                        if len(buf) < hard:
                            pieces = [buf]
                            retry_at = min(hard, len(buf) + size // 2)
                            break  # read on: a cut may come
                        found = _hard_cut(buf, size // 2)
                    pos = found
                text = buf[:pos]
                yield Window(offset, line, text)
                fence_open = (len(_FENCE_LINE.findall(text)) % 2 == 1) != fence_open
                offset += len(text)
                line += text.count("\n")
                rest = buf[pos:]
                del buf, text
                pieces = [rest] if rest else []
                held = len(rest)
                retry_at = size
                if held < size and block:
                    break
            if not block:
                return


def _head_is_binary(head: bytes) -> bool:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True  # UTF-16: read whole and let the pipeline decode it
    from ..classify import BINARY_MAGIC

    return head.startswith(BINARY_MAGIC) or b"\x00" in head[:8192]


def read_text_bounded(path: Path, size: int = WINDOW_CHARS) -> bytes | Iterator[Window]:
    """How to read one input: its bytes when it is small, binary or structured (JSON, JSON
    Lines, HTML: a chat export is split by its structure, not in windows), otherwise
    :func:`iter_windows` of its text. Files up to ``2 * size`` bytes are read whole."""
    with path.open("rb") as fh:
        head = fh.read(8192)
    structured = head.removeprefix(b"\xef\xbb\xbf").lstrip()[:1] in (b"[", b"{", b"<")
    if _head_is_binary(head) or structured or path.stat().st_size <= 2 * size:
        return path.read_bytes()
    return iter_windows(path, size)
