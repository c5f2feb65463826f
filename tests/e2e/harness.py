"""Run the real app and drive it in Debian's Chromium: shared by the e2e tests and the benchmarks.

- :func:`start_app` starts ``python -m streamlit run app.py`` on 127.0.0.1 and a free port and
  waits for Streamlit's own health endpoint; :meth:`App.stop` ends exactly that process.
- :func:`launch_chromium` starts ``/usr/bin/chromium`` through Playwright (never a downloaded
  browser) and fails loudly when it is missing.
- Waiting uses the attributes Streamlit's frontend puts on its root element:
  ``data-test-connection-state`` (``CONNECTED`` once the websocket is up) and
  ``data-test-script-state`` (``running`` while a script or fragment run is going on,
  ``notRunning`` when it has finished). An init script counts every finished run in
  ``window.__runsFinished``, so "wait for the run this click started" needs no sleep.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from playwright.sync_api import Browser, Page, Playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

REPO = Path(__file__).resolve().parent.parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
APP_ROOT = '[data-testid="stApp"]'
READY = f'{APP_ROOT}[data-test-connection-state="CONNECTED"][data-test-script-state="notRunning"]'
# Counts runs that finished (script state leaving "running" for "notRunning"), from page load on,
# and messages the page sent to the server (a widget change is one: proof that a click landed).
RUN_COUNTER_JS = """
window.__runsFinished = 0;
window.__sent = 0;
const send = WebSocket.prototype.send;
WebSocket.prototype.send = function (data) { window.__sent += 1; return send.call(this, data); };
new MutationObserver((records) => {
  for (const r of records) {
    const now = r.target.getAttribute('data-test-script-state');
    if (now === 'notRunning' && r.oldValue !== 'notRunning') window.__runsFinished += 1;
  }
}).observe(document, {subtree: true, attributes: true, attributeOldValue: true,
                      attributeFilter: ['data-test-script-state']});
"""
SKELETONS = (
    '[data-testid="stSkeleton"], [data-testid="stSkeletonElement"], [data-testid="stAppSkeleton"]'
)
# The step player (seq2seq_viz/views/stepper) marks the step and stage it finished drawing.
SETTLED_JS = f"""() =>
  !document.querySelector('{SKELETONS}')
  && [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
       .every((chart) => chart.querySelector('svg.main-svg'))
  && [...document.querySelectorAll('.s2s-stepper')].every((box) =>
       box.dataset.drawnStep === box.dataset.step && box.dataset.step !== undefined
       && box.dataset.drawnStage === box.dataset.stage)"""
TIMEOUT_MS = 60_000
SENT_TIMEOUT_MS = 5_000
RUN_COUNT_TIMEOUT_MS = 20_000  # then rerun() falls back on the app's idle state


@dataclass
class App:
    """A running ``streamlit run app.py`` process on 127.0.0.1."""

    proc: subprocess.Popen
    port: int
    log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self, timeout: float = 15.0) -> None:
        """Stop this process (SIGTERM, then SIGKILL after `timeout` seconds)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        if self.log is not None:
            self.log.close()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def app_command(
    port: int, watch: bool = True, options: tuple[str, ...] = (), script: Path | None = None
) -> list[str]:
    """The documented ``streamlit run`` command on 127.0.0.1:`port`; `watch=False` turns off
    Streamlit's file watcher (tests edit no source, and the watcher costs CPU on 2 cores);
    `options` are more ``--section.name=value`` flags (benchmarks compare settings with them);
    `script` runs another Streamlit script instead of app.py (a benchmark's reference page)."""
    return (
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(script or REPO / "app.py"),
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
        ]
        + ([] if watch else ["--server.fileWatcherType", "none"])
        + list(options)
    )


def spawn_app(
    models_root: Path | None,
    log_path: Path | None = None,
    watch: bool = True,
    options: tuple[str, ...] = (),
    script: Path | None = None,
) -> App:
    """Start the app (models from `models_root`, else the default pretrained/); don't wait.
    `script`: another Streamlit script, run from its own folder (so without our settings)."""
    script = script.resolve() if script else None
    env = dict(os.environ)
    if models_root is not None:
        env["SEQ2SEQ_VIZ_MODELS"] = str(models_root)
    port = free_port()
    log = open(log_path, "wb") if log_path else None  # noqa: SIM115 (closed by App.stop)
    proc = subprocess.Popen(
        app_command(port, watch, options, script),
        cwd=script.parent if script else REPO,
        env=env,
        stdout=log or subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    return App(proc, port, log)


def wait_healthy(app: App, timeout: float = 60.0) -> None:
    """Poll Streamlit's /_stcore/health until it answers "ok" (raise if the process died)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {app.proc.returncode}")
        try:
            with urllib.request.urlopen(f"{app.url}/_stcore/health", timeout=2) as reply:
                if reply.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"streamlit did not become healthy within {timeout:.0f} s")


def start_app(
    models_root: Path | None,
    log_path: Path | None = None,
    watch: bool = True,
    options: tuple[str, ...] = (),
) -> App:
    app = spawn_app(models_root, log_path, watch, options)
    try:
        wait_healthy(app)
    except BaseException:
        app.stop()
        raise
    return app


@contextmanager
def running_app(
    models_root: Path | None,
    log_path: Path | None = None,
    watch: bool = True,
    options: tuple[str, ...] = (),
) -> Iterator[App]:
    app = start_app(models_root, log_path, watch, options)
    try:
        yield app
    finally:
        app.stop()


def launch_chromium(pw: Playwright, extra_args: tuple[str, ...] = ()) -> Browser:
    """Debian's Chromium, headless (`extra_args`: more command-line switches). Raises (never
    skips) when it is not installed."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(
            f"{CHROMIUM} is missing: install it (apt-get install -y chromium); "
            "the end-to-end tests never download a browser"
        )
    args = CHROMIUM_ARGS + list(extra_args)
    return pw.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)


def prepare_page(page: Page) -> Page:
    """Count finished runs from the first load on, and use generous timeouts (2 shared cores)."""
    page.add_init_script(RUN_COUNTER_JS)
    page.set_default_timeout(TIMEOUT_MS)
    return page


def runs_finished(page: Page) -> int:
    return int(page.evaluate("window.__runsFinished || 0"))


def wait_ready(page: Page, timeout: float = TIMEOUT_MS) -> None:
    """Connected, and no script run going on."""
    page.wait_for_selector(READY, state="attached", timeout=timeout)


def wait_charts(page: Page, timeout: float = TIMEOUT_MS) -> None:
    """Every element is drawn: no skeleton left (Streamlit shows one while an element's code
    is still loading, e.g. the first chart or metric), every plotly chart has its SVG and the
    step player has drawn its step."""
    page.wait_for_function(SETTLED_JS, timeout=timeout)


def open_app(page: Page, url: str) -> None:
    """Load `url` and wait until its first run has finished and its charts are drawn."""
    page.goto(url)
    page.wait_for_function("window.__runsFinished >= 1", timeout=TIMEOUT_MS)
    wait_ready(page)
    wait_charts(page)


def rerun(page: Page, action: Callable[[], object], tries: int = 3) -> None:
    """Do `action` (a click, a key press) and wait for the run it starts to finish.

    A click can land in the instant the frontend swaps a finished run's elements in and be
    lost; then nothing is sent to the server. So: if the page sent nothing within a few
    seconds, the action is done again (it never is when the first one reached the server)."""
    before = runs_finished(page)
    for attempt in range(tries):
        sent = int(page.evaluate("window.__sent"))
        action()
        try:
            page.wait_for_function(f"window.__sent > {sent}", timeout=SENT_TIMEOUT_MS)
            break
        except PlaywrightTimeout:
            if attempt == tries - 1:
                raise
    try:
        page.wait_for_function(f"window.__runsFinished > {before}", timeout=RUN_COUNT_TIMEOUT_MS)
    except PlaywrightTimeout:
        # The counter watches the script-state attribute; a run whose running -> notRunning
        # transition the observer never saw leaves it unchanged although the run is done (seen
        # once in CI: the page was fully drawn). Fall back on the idle state itself; the
        # caller's assertions on what is shown then decide.
        pass
    wait_ready(page)
    wait_charts(page)


def next_frame(page: Page) -> None:
    """Wait for the browser to paint twice (layout after a resize has settled)."""
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")


def full_screenshot(page: Page, path: Path, max_height: int = 8000) -> Path:
    """A screenshot of the whole page. Streamlit scrolls inside its main block, so the viewport
    is made as tall as the content (same width: charts keep their layout), then restored."""
    size = page.viewport_size or {"width": 1400, "height": 900}
    height = page.evaluate(
        """() => Math.max(...[...document.querySelectorAll(
             '[data-testid="stMain"], [data-testid="stSidebarContent"]')]
             .map((e) => e.scrollHeight), window.innerHeight)"""
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": size["width"], "height": min(int(height), max_height)})
    next_frame(page)
    wait_charts(page)
    page.screenshot(path=str(path))
    page.set_viewport_size(size)
    next_frame(page)
    return path
