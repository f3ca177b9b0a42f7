"""``mf serve``'s page in a real browser: the server started as a user would start it, driven
by headless Chromium (Debian's ``chromium``) through Playwright's Python API."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

import midiforensics

CHROMIUM = Path("/usr/bin/chromium")
SEED = Path(__file__).resolve().parent.parent / "samples" / "chatgpt-musicxml-blob.txt"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium (apt-get install chromium)"
)
pytest.importorskip("starlette")
pytest.importorskip("playwright")

# Text with scripts in it, beside a small ABC tune of our own, so the page has something to show.
HOSTILE = """<script>window.__pwned=1</script>
<img src="x" onerror="window.__pwned=2">
X:1
T:<script>window.__pwned=3</script>
M:3/4
L:1/4
K:D
D F A | d2 A | F E D |]
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    port = _free_port()
    src = str(Path(midiforensics.__file__).resolve().parent.parent)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([src, os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.Popen(
        [sys.executable, "-m", "midiforensics", "serve", "--port", str(port), "--max-upload", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as answer:
                    assert answer.status == 200
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    err = proc.stderr.read().decode() if proc.stderr else ""
                    pytest.fail(f"mf serve did not start: {err}")
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM))
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(accept_downloads=True, viewport={"width": 1100, "height": 900})
    yield context.new_page()
    context.close()


WAV_CHECK = """async (url) => {
  const buf = await (await fetch(url)).arrayBuffer();
  const head = new TextDecoder().decode(new Uint8Array(buf, 0, 12));
  const samples = new Int16Array(buf, 44);
  let loud = 0;
  for (const s of samples) if (Math.abs(s) > 100) loud++;
  return {riff: head.slice(0, 4), wave: head.slice(8, 12), loud};
}"""


def test_seed_shows_six_notes_plays_and_downloads(server: str, page, tmp_path: Path) -> None:
    page.goto(server)
    page.fill("#input", SEED.read_text(encoding="utf-8"))
    page.click("#decode")
    piece = page.wait_for_selector('.piece[data-notes="6"]', timeout=60_000)
    assert piece.get_attribute("data-verdict") == "salvaged"
    assert "salvaged" in page.inner_text("#verdict")
    assert "salvaged" in piece.inner_text()
    # the audio element loads the WAV, and the WAV has sound in it
    _until(page, "document.querySelector('.piece audio').readyState >= 1")
    page.evaluate("document.querySelector('.piece audio').play()")
    _until(page, "document.querySelector('.piece audio').currentTime > 0")
    audio_src = piece.eval_on_selector("audio", "a => a.src")
    wav = page.evaluate(WAV_CHECK, audio_src)
    assert (wav["riff"], wav["wave"]) == ("RIFF", "WAVE") and wav["loud"] > 1000
    assert page.evaluate("document.querySelector('.piece img.roll').naturalWidth") > 0
    with page.expect_download() as info:
        page.click('.piece[data-notes="6"] a.download.kind-midi')
    assert info.value.suggested_filename.endswith(".mid")
    assert Path(info.value.path()).read_bytes()[:4] == b"MThd"
    # the input, with the base64 run found in it highlighted
    assert page.locator("#source mark.found").count() >= 1
    page.screenshot(path=str(tmp_path / "seed.png"), full_page=True)


def test_script_in_the_input_runs_nothing(server: str, page, tmp_path: Path) -> None:
    page.goto(server)
    page.fill("#input", HOSTILE)
    page.click("#decode")
    page.wait_for_selector("body[data-state=done]", timeout=60_000)
    assert page.locator('.piece[data-notes="8"]').count() == 1
    assert "<script>window.__pwned=1</script>" in page.inner_text("#source")
    page.wait_for_timeout(300)  # give an injected onerror handler its chance to fire
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("#results script, #results img:not(.roll)").count() == 0
    page.screenshot(path=str(tmp_path / "hostile.png"), full_page=True)


def test_too_large_input_is_refused_with_a_message(server: str, page) -> None:
    page.goto(server)
    # the server refuses (413) a body over its limit and says why
    status = page.evaluate(
        """async () => {
      const r = await fetch('/api/decode', {method: 'POST', body: 'A'.repeat(2 * 1024 * 1024)});
      return [r.status, (await r.json()).error];
    }"""
    )
    assert status[0] == 413 and "limit" in status[1]
    big = {"name": "big.txt", "mimeType": "text/plain", "buffer": b"A" * (2 * 1024 * 1024)}
    page.set_input_files("#file", files=[big])
    page.click("#decode")
    page.wait_for_selector("body[data-state=error]", timeout=20_000)
    assert "limit of 1 MB" in page.inner_text("#status")


def _until(page, expression: str, seconds: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    """Poll ``expression`` from the test side: the page's CSP forbids eval, which Playwright's
    own wait_for_function needs once it has to poll."""
    import time

    end = time.monotonic() + seconds
    while not page.evaluate(expression):
        assert time.monotonic() < end, f"not true within {seconds} s: {expression}"
        time.sleep(0.1)
