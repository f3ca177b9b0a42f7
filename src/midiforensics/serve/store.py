"""Per-request temporary folders, and the opaque ids the files in them are served by.

A client never names a file on disk: every file the app serves was registered here by the
server under a random id, and is looked up by that id alone. A job's folder is removed when it
is older than the time limit (``sweep``) and when the app stops (``close``).
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class StoredFile:
    path: Path
    name: str  # the name the browser is offered (the file's own name in the job folder)
    media_type: str
    inline: bool  # shown in the page (audio, picture) rather than downloaded


@dataclass
class Job:
    id: str
    folder: Path
    created: float
    files: dict[str, StoredFile] = field(default_factory=dict)
    report: dict[str, Any] | None = None  # the answer to the request, served as report.json


def new_id() -> str:
    return secrets.token_urlsafe(16)


class Store:
    """Jobs by id, and files by id, under one temporary root folder."""

    def __init__(self, ttl: float, root: Path | None = None) -> None:
        self.ttl = ttl
        self.root = Path(tempfile.mkdtemp(prefix="mf-serve-", dir=root))
        self._jobs: dict[str, Job] = {}
        self._files: dict[str, tuple[str, StoredFile]] = {}
        self._lock = threading.Lock()

    def new_job(self) -> Job:
        jid = new_id()
        folder = self.root / jid
        folder.mkdir(mode=0o700)
        job = Job(jid, folder, time.monotonic())
        with self._lock:
            self._jobs[jid] = job
        return job

    def add_file(self, job: Job, stored: StoredFile) -> str:
        fid = new_id()
        with self._lock:
            job.files[fid] = stored
            self._files[fid] = (job.id, stored)
        return fid

    def job(self, jid: str) -> Job | None:
        with self._lock:
            job = self._jobs.get(jid)
        return job if job is not None and not self._expired(job, time.monotonic()) else None

    def file(self, fid: str) -> StoredFile | None:
        with self._lock:
            entry = self._files.get(fid)
        if entry is None or self.job(entry[0]) is None:
            return None
        return entry[1]

    def drop(self, job: Job) -> None:
        with self._lock:
            self._jobs.pop(job.id, None)
            for fid in job.files:
                self._files.pop(fid, None)
        shutil.rmtree(job.folder, ignore_errors=True)

    def sweep(self, now: float | None = None) -> int:
        """Remove the jobs older than the time limit; returns how many."""
        now = time.monotonic() if now is None else now
        with self._lock:
            old = [j for j in self._jobs.values() if self._expired(j, now)]
        for job in old:
            self.drop(job)
        return len(old)

    def close(self) -> None:
        with self._lock:
            self._jobs.clear()
            self._files.clear()
        shutil.rmtree(self.root, ignore_errors=True)

    def _expired(self, job: Job, now: float) -> bool:
        return now - job.created > self.ttl
