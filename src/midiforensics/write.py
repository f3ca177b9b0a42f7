"""Write artifacts into the output folder: never outside it, never over an existing file.

Names are built from our own labels (never from titles or names found in the input) and then
reduced to a safe alphabet. Files get the mode the user's umask gives (0644 under 022). Each file is written to a temporary name in the folder and linked
to its final name, which fails if that name exists: a second run into the same folder keeps the
first run's files and picks the next free name.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

_UNSAFE = re.compile(r"[^A-Za-z0-9@._-]+")
MAX_NAME = 120


def safe_name(name: str) -> str:
    """A file name made only of letters, digits and ``@._-``, with no leading dot."""
    name = _UNSAFE.sub("-", name).strip(".-") or "file"
    return name[:MAX_NAME]


def _umask() -> int:
    """The process umask (read by setting it and setting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _staged(folder: Path, data: bytes | Iterable[bytes], suffix: str = ".part") -> str:
    """``data`` (bytes, or pieces of them written one by one) in a temporary file in
    ``folder``, with the mode a new file gets under the user's umask (``mkstemp`` makes
    0600); returns its path."""
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".mf-", suffix=suffix)
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            if isinstance(data, bytes):
                fh.write(data)
            else:
                fh.writelines(data)
    except BaseException:
        os.unlink(tmp)
        raise
    return tmp


def write_new(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically, with the user's umask; raises
    ``FileExistsError`` (and writes nothing) when ``path`` exists. Makes missing folders."""
    target = Path(path).absolute()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _staged(target.parent, data)
    try:
        os.link(tmp, target)
    finally:
        os.unlink(tmp)
    return target


class Writer:
    def __init__(self, out_dir: str | os.PathLike[str]) -> None:
        self.root = Path(out_dir).resolve()
        self.written: list[Path] = []

    def ensure(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)

    def write(self, name: str, data: bytes | Iterable[bytes]) -> Path:
        """Write ``data`` (bytes, or pieces of them) as ``name`` (made safe) in the folder;
        returns the path used."""
        self.ensure()
        base = safe_name(name)
        stem, dot, ext = base.rpartition(".")
        if not dot:
            stem, ext = base, ""
        tmp = _staged(self.root, data)
        try:
            for k in range(10000):
                candidate = f"{stem}-{k}" if k else stem
                target = self.root / (f"{candidate}.{ext}" if ext else candidate)
                if target.parent != self.root:  # cannot happen with safe names; be sure
                    raise ValueError(f"refusing to write outside {self.root}")
                try:
                    os.link(tmp, target)
                except FileExistsError:
                    continue
                self.written.append(target)
                return target
            raise FileExistsError(f"no free name for {base} in {self.root}")
        finally:
            os.unlink(tmp)
