"""``mf serve``'s HTTP API, through Starlette's test client (the real app, in this process)."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import pytest

pytest.importorskip("starlette")

from starlette.testclient import TestClient  # noqa: E402

from midiforensics.serve.app import ServeConfig, create_app  # noqa: E402

SEED = Path(__file__).resolve().parent.parent / "samples" / "chatgpt-musicxml-blob.txt"

# A short tune of our own in ABC, whose title tries to smuggle in a script.
ABC_SCRIPT = """Here is the tune you asked for:

X:1
T:<script>window.__pwned=1</script> & friends
M:4/4
L:1/4
K:G
G A B c | d2 B2 | c B A G | G4 |]
"""


def _client(tmp_path: Path, **options: object) -> TestClient:
    return TestClient(create_app(ServeConfig(root=tmp_path, **options)))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def seed_answer(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("serve")
    with _client(root) as client:
        response = client.post(
            "/api/decode",
            content=SEED.read_bytes(),
            headers={"Content-Type": "text/plain; charset=utf-8"},
        )
        yield client, response


def test_seed_gives_the_six_note_piece_with_urls(seed_answer) -> None:
    _, response = seed_answer
    assert response.status_code == 200, response.text
    doc = response.json()
    assert doc["schema"] == "midiforensics.report"
    assert doc["pieces"] == 1
    assert doc["out_dir"] is None  # no server path in the answer
    midi = [a for a in doc["artifacts"] if a["kind"] == "midi"]
    assert [(a["notes"], a["verdict"]) for a in midi] == [(6, "salvaged")]
    for art in doc["artifacts"]:
        assert "/" not in art["path"] and art["url"].startswith("/api/files/")
    assert midi[0]["audio_url"] and midi[0]["picture_url"]


def test_seed_files_download(seed_answer) -> None:
    client, response = seed_answer
    doc = response.json()
    by_kind = {a["kind"]: a for a in doc["artifacts"] if a["notes"]}
    mid = client.get(by_kind["midi"]["url"])
    assert mid.status_code == 200 and mid.content.startswith(b"MThd")
    assert "attachment" in mid.headers["content-disposition"]
    score = client.get(by_kind["musicxml"]["url"])
    assert b"<score-partwise" in score.content and b"<pitch>" in score.content
    audio = client.get(by_kind["midi"]["audio_url"])
    assert audio.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(audio.content)) as w:
        frames = w.readframes(w.getnframes())
        assert w.getnframes() > w.getframerate()  # the piece lasts 3.5 s
    assert any(frames)
    picture = client.get(by_kind["midi"]["picture_url"])
    assert picture.content.startswith(b"\x89PNG")
    report = client.get(doc["report_url"])
    assert report.json()["verdict"] == doc["verdict"]
    assert "report.json" in report.headers["content-disposition"]


def test_the_page_and_its_assets_are_served_locally(seed_answer) -> None:
    client, _ = seed_answer
    page = client.get("/")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "http" not in page.text.replace("http-equiv", "")  # nothing fetched from elsewhere
    for asset in ("/static/app.js", "/static/style.css"):
        assert client.get(asset).status_code == 200
    assert "innerHTML" not in client.get("/static/app.js").text


def test_unknown_ids_are_404(seed_answer) -> None:
    client, _ = seed_answer
    for url in (
        "/api/files/no-such-id",
        "/api/files/..%2F..%2Fetc%2Fpasswd",
        "/api/jobs/no-such-job/report.json",
        "/static/..%2F__init__.py",
        "/static/index.html.bak",
    ):
        response = client.get(url)
        assert response.status_code == 404, url


def test_script_in_the_input_comes_back_escaped(tmp_path: Path) -> None:
    with _client(tmp_path) as client:
        response = client.post(
            "/api/decode?name=<img src=x onerror=alert(1)>.txt",
            content=ABC_SCRIPT.encode(),
            headers={"Content-Type": "text/plain"},
        )
        assert response.status_code == 200, response.text
        assert b"<img" not in response.content and b"\\u003cimg" in response.content
        doc = response.json()
        assert doc["input"] == "<img src=x onerror=alert(1)>.txt"  # the text itself is kept
        abc = [a for a in doc["artifacts"] if a["kind"] == "abc"]
        assert abc and abc[0]["notes"] == 11
        served = client.get(abc[0]["url"])
        assert b"<script>" in served.content  # the file is the tune as found ...
        assert served.headers["content-type"].startswith("text/vnd.abc")  # ... never HTML
        assert "sandbox" in served.headers["content-security-policy"]
        assert served.headers["x-content-type-options"] == "nosniff"


def test_too_large_upload_is_refused_and_the_server_goes_on(tmp_path: Path) -> None:
    with _client(tmp_path, max_upload=4096) as client:
        big = b"TVRoZA" * 1000
        response = client.post("/api/decode", content=big)
        assert response.status_code == 413
        assert "limit of" in response.json()["error"]
        form = client.post("/api/decode", files={"file": ("big.txt", big)})
        assert form.status_code == 413
        assert client.get("/").status_code == 200
        assert list(tmp_path.glob("mf-serve-*/*")) == []  # no job was started


def test_uploaded_midi_file_is_read_as_found(tmp_path: Path) -> None:
    import mido

    mid = mido.MidiFile(ticks_per_beat=96)
    track = mido.MidiTrack()
    for pitch in (60, 64, 67):
        track.append(mido.Message("note_on", note=pitch, velocity=80, time=0))
        track.append(mido.Message("note_off", note=pitch, velocity=0, time=96))
    mid.tracks.append(track)
    buf = io.BytesIO()
    mid.save(file=buf)
    with _client(tmp_path) as client:
        response = client.post(
            "/api/decode", files={"file": ("../../secret/tune.mid", buf.getvalue())}
        )
        doc = response.json()
        assert response.status_code == 200, doc
        assert doc["input"] == "tune.mid"
        midi = [a for a in doc["artifacts"] if a["kind"] == "midi"]
        assert [(a["notes"], a["verdict"]) for a in midi] == [(3, "intact")]
        assert client.get(midi[0]["url"]).content == buf.getvalue()  # unchanged, byte for byte


def test_empty_input_is_a_clear_400(tmp_path: Path) -> None:
    with _client(tmp_path) as client:
        response = client.post("/api/decode", content=b"  \n")
        assert response.status_code == 400
        assert "nothing to decode" in response.json()["error"]


def test_files_expire_and_their_folder_is_removed(tmp_path: Path) -> None:
    with _client(tmp_path, keep=0.0) as client:
        doc = client.post("/api/decode", content=ABC_SCRIPT.encode()).json()
        assert client.get(doc["artifacts"][0]["url"]).status_code == 404
        assert client.get(doc["report_url"]).status_code == 404
        client.post("/api/decode", content=b"no music here")  # each request sweeps
        root = client.app.state.store.root  # type: ignore[attr-defined]
        assert len(list(root.iterdir())) <= 1  # only the last request's folder is left
    assert not root.exists()  # all removed when the app stops


def test_a_decode_over_the_time_limit_is_stopped(tmp_path: Path) -> None:
    with _client(tmp_path, timeout=0.2) as client:
        response = client.post("/api/decode", content=SEED.read_bytes())
        assert response.status_code == 503
        assert "longer than 0.2 s" in response.json()["error"]
        root = client.app.state.store.root  # type: ignore[attr-defined]
        assert list(root.iterdir()) == []
        assert client.get("/").status_code == 200


def test_serve_command_is_registered() -> None:
    from typer.testing import CliRunner

    from midiforensics.cli.app import app

    result = CliRunner().invoke(app, ["serve", "--help"])
    assert result.exit_code == 0
    assert "--port" in result.output and "--open" in result.output
    assert "127.0.0.1" in result.output
