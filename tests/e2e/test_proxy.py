"""Two app processes behind Debian's nginx, started by the documented plain-processes script
(docs/deploy/run_replicas.sh) on loopback ports: new browsers are spread over both processes,
and every request of one browser (page, static files, the websocket) reaches the same process
while it opens the app, steps through a sentence and types another.

Needs /usr/sbin/nginx (the README's test command installs it); fails, never skips, without it.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Browser

from tests.e2e import harness, ui
from tests.e2e.conftest import VIEWPORT
from tests.e2e.test_stepper import MODEL, TEXT  # a sentence of at least 3 steps

pytestmark = pytest.mark.e2e
SCRIPT = harness.REPO / "docs" / "deploy" / "run_replicas.sh"
LOG_LINE = re.compile(r'"(?P<method>\S+) (?P<path>\S+) [^"]*" \d+ \d+ route=(\S+) upstream=(\S+)')


def _two_free_ports() -> int:
    """A port p with p and p + 1 both free on 127.0.0.1."""
    for _ in range(50):
        port = harness.free_port()
        try:
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", port + 1))
            return port
        except OSError:
            continue
    raise RuntimeError("no two consecutive free ports")


def _get(url: str) -> tuple[str, dict[str, str]]:
    with urllib.request.urlopen(url, timeout=5) as reply:
        return reply.read().decode(), dict(reply.headers)


@pytest.fixture(scope="module")
def proxy(e2e_models: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        raise RuntimeError("nginx is missing: apt-get install -y nginx (the README's test line)")
    run_dir = tmp_path_factory.mktemp("proxy")
    with running_replicas(run_dir, SEQ2SEQ_VIZ_MODELS=str(e2e_models), NGINX=nginx) as (url, p):
        yield url, run_dir, {f"127.0.0.1:{p}", f"127.0.0.1:{p + 1}"}


@contextmanager
def running_replicas(
    run_dir: Path, timeout: float = 90, **env: str | None
) -> Iterator[tuple[str, int]]:
    """docs/deploy/run_replicas.sh with 2 app processes behind nginx on free ports: (the proxy's
    URL, the first app's port) once both answer; stopped on exit (SIGTERM, which stops its apps
    and nginx, then the process group killed if it hangs). `env`: variables to set, or with None
    to remove, on top of this process's environment."""
    port, first = harness.free_port(), _two_free_ports()
    full = dict(os.environ, PYTHON=sys.executable, LISTEN="127.0.0.1", RUN_DIR=str(run_dir),
                NGINX=shutil.which("nginx") or "/usr/sbin/nginx")  # fmt: skip
    for key, value in env.items():
        if value is None:
            full.pop(key, None)
        else:
            full[key] = value
    proc = subprocess.Popen(["bash", str(SCRIPT), "2", str(port), str(first)], env=full,
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                            start_new_session=True)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_both_healthy(proc, url, timeout)
        yield url, first
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def _wait_both_healthy(proc: subprocess.Popen, url: str, timeout: float = 90) -> None:
    """Until 10 health checks in a row pass through the proxy (each may reach either app)."""
    deadline, passed = time.monotonic() + timeout, 0
    while passed < 10:
        if proc.poll() is not None:
            raise RuntimeError(f"run_replicas.sh exited with {proc.returncode}")
        if time.monotonic() > deadline:
            raise TimeoutError("the apps behind the proxy did not become healthy")
        try:
            passed = passed + 1 if _get(f"{url}/_stcore/health")[0] == "ok" else 0
        except OSError:
            passed = 0
            time.sleep(0.2)  # not listening yet: ask again


def _open_cold(page, url: str, timeout: float = 180_000) -> None:
    """harness.open_app with more time: each app process behind the proxy is new, and its
    first run imports torch and loads a model."""
    page.goto(url)
    page.wait_for_function("window.__runsFinished >= 1", timeout=timeout)
    harness.wait_ready(page, timeout)
    harness.wait_charts(page, timeout)


def _routes_served(
    log: Path, routes: list[str], timeout: float = 30
) -> tuple[dict[str, set[str]], dict[str, int]]:
    """Per route cookie: the processes that served it and its websockets, read from nginx's
    access log once every route's websocket is logged there (nginx writes a websocket's line
    when it closes, a moment after the browser closed it)."""
    deadline = time.monotonic() + timeout
    while True:
        served: dict[str, set[str]] = {route: set() for route in routes}
        streams = {route: 0 for route in routes}
        for line in log.read_text().splitlines():
            match = LOG_LINE.search(line)
            if match and match.group(3) in served and match.group(4) != "-":  # "-": the cache
                served[match.group(3)].add(match.group(4))
                streams[match.group(3)] += match.group("path").startswith("/_stcore/stream")
        if all(streams.values()) or time.monotonic() > deadline:
            return served, streams
        time.sleep(0.05)  # poll the log again


def test_new_browsers_are_spread_over_both_processes(proxy: tuple) -> None:
    url, _, upstreams = proxy
    # nginx lists every process it tried ("a, b" when the first did not answer): the last one
    # answered
    seen = {
        _get(f"{url}/_stcore/health")[1]["X-Upstream"].split(",")[-1].strip() for _ in range(30)
    }
    assert seen == upstreams  # 30 new browsers on one process: odds 2 in 2**30


def test_static_files_are_cached_by_the_proxy(proxy: tuple) -> None:
    url = proxy[0]
    page, _ = _get(f"{url}/")
    script = re.search(r'src="\.?/?(static/js/[^"]+\.js)"', page).group(1)
    states = [_get(f"{url}/{script}")[1].get("X-Cache") for _ in range(2)]
    assert states[-1] == "HIT", states


def test_a_session_stays_on_its_process(proxy: tuple, browser: Browser) -> None:
    url, run_dir, upstreams = proxy
    routes = []
    for lang in ("en", "ko"):
        context = browser.new_context(viewport=VIEWPORT, locale="en-US")
        page = harness.prepare_page(context.new_page())
        _open_cold(page, f"{url}/?" + urlencode({"model": MODEL, "text": TEXT, "lang": lang}))
        assert ui.step_click(page, "next") == (1, 0)
        assert ui.step_click(page, "next") == (2, 0)
        ui.type_sentence(page, "i am cold .")  # a server run over the same websocket
        assert ui.drawn_step(page) == (0, 0) and not ui.exceptions(page)
        (route,) = [c["value"] for c in context.cookies() if c["name"] == "s2s_route"]
        routes.append(route)
        context.close()  # nginx logs a websocket when it closes
    served, streams = _routes_served(run_dir / "access.log", routes)
    for route in routes:
        assert len(served[route]) == 1 and served[route] <= upstreams, served
        assert streams[route] >= 1, "the websocket went through the proxy"
