"""One decode, in a child process under a time limit.

The parent (``run``) starts ``python -m midiforensics.serve.worker FOLDER NAME``, writes the
input to its standard input and waits at most ``timeout`` seconds; past that the child and
everything it started (the audio renderer) are killed, so a decode that runs away never holds
the server. The child calls the same ``midiforensics.decode`` as ``mf decode``, writing into
``FOLDER/out``, then renders each piece's audio (WAV, the project's own renderer) and piano
roll (PNG) into ``FOLDER/media``, and leaves its answer in ``FOLDER/result.json``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

AUDIO_RATE = 22050  # a preview in the page; the .mid is the piece itself
MAX_AUDIO_SECONDS = 600.0
MAX_RENDERED = 12  # pieces rendered to audio and pictures per request
RESULT = "result.json"


class WorkerError(Exception):
    """The decode did not finish: too slow (HTTP status 503), or the child failed (500).
    The message is for the user."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def run(data: bytes, name: str, folder: Path, timeout: float) -> dict[str, Any]:
    """Decode ``data`` in a child process; returns the child's answer (see ``_main``)."""
    cmd = [sys.executable, "-m", "midiforensics.serve.worker", str(folder), name]
    env = dict(os.environ, PYGAME_HIDE_SUPPORT_PROMPT="1")
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,  # its own process group, so a timeout ends the renderer too
    )
    try:
        _, err = proc.communicate(data, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        message = f"decoding took longer than {timeout:g} s and was stopped"
        raise WorkerError(message, 503) from None
    try:
        return dict(json.loads((folder / RESULT).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        lines = err.decode("utf-8", "replace").strip().splitlines()
        detail = lines[-1] if lines else "no answer"
        raise WorkerError(f"decoding failed ({detail})", 500) from None


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    proc.communicate()


def _media(midi: Path, media: Path, seconds: float) -> dict[str, str]:
    """Render one piece's WAV and PNG; returns their file names, or why each is missing."""
    from ..listen.play import PlayError
    from ..listen.show import describe, write_png
    from ..listen.wav import render_wav

    out: dict[str, str] = {}
    if seconds > MAX_AUDIO_SECONDS:
        out["audio_note"] = (
            f"no audio preview: the piece lasts {seconds:.0f} s, over the "
            f"{MAX_AUDIO_SECONDS:.0f} s limit; download the .mid to hear it"
        )
    else:
        try:
            wav = render_wav(midi, media / f"{midi.stem}.wav", rate=AUDIO_RATE)
            out["audio"] = wav.path.name
        except PlayError as exc:
            out["audio_note"] = f"no audio preview: {exc}"
    try:
        png = write_png(describe(midi), media / f"{midi.stem}.png", width=1200)
        out["picture"] = png.name
    except Exception as exc:  # noqa: BLE001 - a picture that fails must not lose the piece
        out["picture_note"] = f"no piano roll: {type(exc).__name__}: {exc}"
    return out


def _main(argv: list[str]) -> int:
    """Runs in the child: decode standard input, render, write ``result.json``."""
    from .. import decode
    from ..report.json import to_dict

    folder, name = Path(argv[0]), argv[1]
    data = sys.stdin.buffer.read()
    report = decode(data, out_dir=folder / "out", name=name)
    media_dir = folder / "media"
    media_dir.mkdir(exist_ok=True)
    media: dict[str, dict[str, str]] = {}
    pieces = [a for a in report.artifacts if a.kind == "midi" and a.notes > 0 and a.path]
    for i, art in enumerate(pieces):
        key = Path(art.path).name
        if i >= MAX_RENDERED:
            note = f"not rendered: only the first {MAX_RENDERED} pieces are previewed"
            media[key] = {"audio_note": note, "picture_note": note}
            continue
        media[key] = _media(Path(art.path), media_dir, art.seconds)
    tmp = folder / f".{RESULT}"
    tmp.write_text(json.dumps({"report": to_dict(report), "media": media}), encoding="utf-8")
    os.replace(tmp, folder / RESULT)
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
