"""End to end in a real headless Chromium (Playwright) against ``streamlit run app.py``:
the step lives in the URL, Next moves it, user text stays text, nothing scrolls sideways.

Skipped when Chromium or Playwright is missing. Uses tiny random models in a temporary folder.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from seq2seq_viz.checkpoints import save_model
from tests.conftest import make_translator

pytestmark = pytest.mark.e2e
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parent.parent
LONG = ("the cat sleeps . " * 7).strip()  # 28 tokens: more than the 25 the layout must fit
EVIL = "<script>window.__pwned = 1</script> $\\frac{a}{b}$"

if not Path(CHROMIUM).exists():
    pytest.skip("no chromium", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("e2e-models")
    save_model(root / "soft-general", make_translator(seed=1))
    port = _free_port()
    env = {**os.environ, "SEQ2SEQ_VIZ_MODELS": str(root)}
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / "app.py"),
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
    ]
    proc = subprocess.Popen(
        cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(url + "/_stcore/health")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        browser = p.chromium.launch(executable_path=CHROMIUM, args=args)
        yield browser
        browser.close()


def _open(browser, url: str):
    page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="en-US")
    page.goto(url)
    page.wait_for_selector("[data-testid='stMain'] h1", timeout=60000)
    page.wait_for_selector(".stPlotlyChart", timeout=60000)
    return page


def test_step_in_the_url_and_next(server: str, browser) -> None:
    page = _open(browser, server + "/?step=2&text=" + urllib.parse.quote("the cat sleeps ."))
    thumb = page.locator(".st-key-step input[type='range']")
    assert thumb.input_value() == "2"
    page.get_by_role("button", name="Next ▶").click()
    page.wait_for_function("() => location.search.includes('step=3')", timeout=20000)
    page.wait_for_function(
        "() => document.querySelector(\".st-key-step input[type='range']\").value === '3'"
    )
    page.close()


def test_user_text_is_shown_as_text_and_nothing_scrolls_sideways(server: str, browser) -> None:
    for text in (EVIL, LONG):
        page = _open(browser, server + "/?text=" + urllib.parse.quote(text))
        assert page.evaluate("() => window.__pwned") is None
        widths = page.evaluate(
            "() => { const m = document.querySelector('[data-testid=stMain]');"
            " return [m.scrollWidth, m.clientWidth]; }"
        )
        assert widths[0] <= widths[1], widths
        page.close()
