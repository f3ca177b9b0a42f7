"""Write artifacts into the output folder: never outside it, never over an existing file.

Names are built from our own labels (never from titles or names found in the input) and then
reduced to a safe alphabet. Each file is written to a temporary name in the folder and linked
to its final name, which fails if that name exists: a second run into the same folder keeps the
first run's files and picks the next free name.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

_UNSAFE = re.compile(r"[^A-Za-z0-9@._-]+")
MAX_NAME = 120


def safe_name(name: str) -> str:
    """A file name made only of letters, digits and ``@._-``, with no leading dot."""
    name = _UNSAFE.sub("-", name).strip(".-") or "file"
    return name[:MAX_NAME]


class Writer:
    def __init__(self, out_dir: str | os.PathLike[str]) -> None:
        self.root = Path(out_dir).resolve()
        self.written: list[Path] = []

    def ensure(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)

    def write(self, name: str, data: bytes) -> Path:
        """Write ``data`` as ``name`` (made safe) in the folder; returns the path used."""
        self.ensure()
        base = safe_name(name)
        stem, dot, ext = base.rpartition(".")
        if not dot:
            stem, ext = base, ""
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".mf-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
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
