"""The web app: one page, ``POST /api/decode``, and the files a decode wrote, by opaque id.

``POST /api/decode`` takes the input as the request body (``text/plain`` for pasted text, any
other type for a file's bytes, ``?name=`` for its name) or as a form (``multipart/form-data``
with a ``file`` or a ``text`` field, as ``curl -F file=@blob.txt`` sends). It answers with the
JSON report of ``mf decode --json``, where each artifact's ``path`` is its file name and
``url`` where to fetch it; a playable MIDI artifact also has ``audio_url`` (WAV) and
``picture_url`` (piano roll PNG), or ``audio_note`` / ``picture_note`` saying why not; and
``report_url`` is this answer as a ``report.json`` download.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import Message, Receive

from . import worker
from .store import Job, Store, StoredFile

MB = 1024 * 1024
DRAIN_LIMIT = 256 * MB  # past this, a refused upload is not read to its end before answering
SWEEP_SECONDS = 30.0

PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "media-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
FILE_POLICY = "default-src 'none'; sandbox"
COMMON = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}

MEDIA_TYPES = {
    ".mid": "audio/midi",
    ".musicxml": "application/vnd.recordare.musicxml+xml",
    ".mxl": "application/vnd.recordare.musicxml",
    ".abc": "text/vnd.abc; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
    ".wav": "audio/wav",
    ".png": "image/png",
}
ASSETS = {"app.js": "text/javascript; charset=utf-8", "style.css": "text/css; charset=utf-8"}


@dataclass(frozen=True)
class ServeConfig:
    max_upload: int = 16 * MB  # bytes
    timeout: float = 120.0  # seconds per decode, rendering included
    keep: float = 1800.0  # seconds a request's files are kept
    workers: int = 2  # decodes run at once; more wait their turn
    root: Path | None = None  # where the temporary folders go (the system's by default)


class SafeJSON(JSONResponse):
    """JSON with ``<``, ``>`` and ``&`` written as ``\\u`` escapes: text from the input (a
    ``<script>`` in a title, a file name) never appears as markup in any answer."""

    def render(self, content: Any) -> bytes:
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
            text = text.replace(char, escape)
        return text.encode("utf-8")


class TooLarge(Exception):
    pass


class BadInput(Exception):
    pass


def create_app(config: ServeConfig | None = None) -> Starlette:
    cfg = config or ServeConfig()
    store = Store(cfg.keep, cfg.root)
    assets = {name: _asset(name) for name in ("index.html", *ASSETS)}
    page = assets["index.html"].replace(b"{{MAX_UPLOAD}}", str(cfg.max_upload).encode())

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with anyio.create_task_group() as tg:
            tg.start_soon(_sweeper, store)
            try:
                yield
            finally:
                tg.cancel_scope.cancel()
                store.close()

    async def index(request: Request) -> Response:
        headers = {**COMMON, "Content-Security-Policy": PAGE_POLICY}
        return Response(page, media_type="text/html; charset=utf-8", headers=headers)

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in ASSETS:
            return _error(404, "no such page")
        return Response(assets[name], media_type=ASSETS[name], headers=COMMON)

    limiter: list[anyio.CapacityLimiter] = []

    async def decode(request: Request) -> Response:
        try:
            data, name = await _read_input(request, cfg.max_upload)
        except TooLarge:
            return _error(413, _too_large(cfg.max_upload))
        except BadInput as exc:
            return _error(400, str(exc))
        if not data.strip():
            return _error(400, "nothing to decode: paste some text or choose a file")
        store.sweep()
        if not limiter:
            limiter.append(anyio.CapacityLimiter(max(1, cfg.workers)))
        job = store.new_job()
        try:
            result = await anyio.to_thread.run_sync(
                worker.run, data, name, job.folder, cfg.timeout, limiter=limiter[0]
            )
        except worker.WorkerError as exc:
            store.drop(job)
            return _error(exc.status, str(exc))
        job.report = _answer(store, job, result)
        return SafeJSON(job.report, headers=COMMON)

    async def file(request: Request) -> Response:
        stored = store.file(request.path_params["fid"])
        if stored is None or not stored.path.is_file():
            return _error(404, "no such file (files are kept for a limited time)")
        return FileResponse(
            stored.path,
            media_type=stored.media_type,
            filename=stored.name,
            content_disposition_type="inline" if stored.inline else "attachment",
            headers={**COMMON, "Content-Security-Policy": FILE_POLICY},
        )

    async def report(request: Request) -> Response:
        job = store.job(request.path_params["jid"])
        if job is None or job.report is None:
            return _error(404, "no such report (reports are kept for a limited time)")
        headers = {**COMMON, "Content-Disposition": 'attachment; filename="report.json"'}
        return SafeJSON(job.report, headers=headers)

    routes = [
        Route("/", index),
        Route("/static/{name}", static),
        Route("/api/decode", decode, methods=["POST"]),
        Route("/api/files/{fid}", file),
        Route("/api/jobs/{jid}/report.json", report),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.store = store
    return app


def _asset(name: str) -> bytes:
    return resources.files("midiforensics.serve").joinpath("static", name).read_bytes()


def _error(status: int, message: str) -> SafeJSON:
    return SafeJSON({"error": message}, status_code=status, headers=COMMON)


def _too_large(limit: int) -> str:
    return (
        f"the upload is larger than this server's limit of {limit / MB:g} MB; "
        "use `mf decode FILE` on the command line for big files, or start the server with "
        "a higher --max-upload"
    )


async def _sweeper(store: Store) -> None:
    while True:
        await anyio.sleep(SWEEP_SECONDS)
        await anyio.to_thread.run_sync(store.sweep)


# --- reading the request ------------------------------------------------------------------


async def _read_input(request: Request, limit: int) -> tuple[bytes, str]:
    """The input's bytes and its name. Raises TooLarge past ``limit`` bytes of body (after
    reading the rest of a moderately large body, so the client hears the refusal)."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        if int(length) <= DRAIN_LIMIT:
            await _drain(request.receive)
        raise TooLarge
    limited = Request(request.scope, _limited(request.receive, limit))
    try:
        return await _parse(limited, limit)
    except TooLarge:
        await _drain(request.receive)
        raise


def _limited(receive: Receive, limit: int) -> Callable[[], Awaitable[Message]]:
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        seen += len(message.get("body", b""))
        if seen > limit:
            raise TooLarge
        return message

    return wrapped


async def _drain(receive: Receive) -> None:
    total = 0
    while total <= DRAIN_LIMIT:
        message = await receive()
        total += len(message.get("body", b""))
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


async def _parse(request: Request, limit: int) -> tuple[bytes, str]:
    ctype = request.headers.get("content-type", "")
    if not ctype.startswith("multipart/form-data"):
        return await request.body(), _name(request.query_params.get("name", ""))
    from starlette.datastructures import UploadFile

    try:
        async with request.form(max_files=1, max_fields=4, max_part_size=limit) as form:
            item = form.get("file")
            if isinstance(item, UploadFile):
                return await item.read(), _name(item.filename or "")
            text = form.get("text")
            if isinstance(text, str):
                return text.encode("utf-8"), _name("")
    except TooLarge:
        raise
    except Exception as exc:  # noqa: BLE001 - a malformed form is the client's error
        raise BadInput(f"cannot read the form: {exc}") from None
    raise BadInput("the form has neither a 'file' nor a 'text' field")


def _name(raw: str) -> str:
    """A display name for the input: a file's base name, printable, bounded."""
    base = raw.replace("\\", "/").rsplit("/", 1)[-1]
    clean = "".join(c for c in base if c.isprintable())[:120]
    return clean or "pasted text"


# --- the answer ---------------------------------------------------------------------------


def _answer(store: Store, job: Job, result: dict[str, Any]) -> dict[str, Any]:
    """The report with server paths replaced by file names and URLs."""
    doc: dict[str, Any] = result["report"]
    media: dict[str, dict[str, str]] = result.get("media", {})
    out, media_dir = job.folder / "out", job.folder / "media"
    doc["out_dir"] = None
    for art in doc["artifacts"]:
        path = Path(art["path"]) if art.get("path") else None
        art["path"] = path.name if path else ""
        art["url"] = _register(store, job, out, path, inline=False)
        if art["kind"] != "midi" or path is None or path.name not in media:
            continue
        m = media[path.name]
        for key, inline_name in (("audio", m.get("audio")), ("picture", m.get("picture"))):
            target = media_dir / inline_name if inline_name else None
            art[f"{key}_url"] = _register(store, job, media_dir, target, inline=True)
            art[f"{key}_note"] = m.get(f"{key}_note", "")
    doc["report_url"] = f"/api/jobs/{job.id}/report.json"
    return doc


def _register(store: Store, job: Job, folder: Path, path: Path | None, inline: bool) -> str | None:
    """Serve ``path`` under a new id, if it is a file inside ``folder``; its URL."""
    if path is None:
        return None
    try:
        real = path.resolve(strict=True)
    except OSError:
        return None
    if not real.is_file() or not real.is_relative_to(folder.resolve()):
        return None
    media_type = MEDIA_TYPES.get(real.suffix.lower(), "application/octet-stream")
    fid = store.add_file(job, StoredFile(real, real.name, media_type, inline))
    return f"/api/files/{fid}"
