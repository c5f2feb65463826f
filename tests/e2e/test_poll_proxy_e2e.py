"""The class poll through nginx, two app processes and Redis (docs/deploy/run_replicas.sh starts
all three, as in tests/e2e/test_proxy.py): a projector and phones served by different processes
see one tally, and a phone whose process is stopped mid-question reconnects through the proxy to
the other one and finds the same room with its vote still counted.

Needs /usr/sbin/nginx and /usr/bin/redis-server (the README's test command installs both);
fails, never skips, without them.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e import harness
from tests.e2e.test_poll_e2e import (
    PHONE,
    PROJECTOR,
    WAIT_MS,
    bars,
    choice,
    new_page,
    start_poll,
    wait_counts,
)
from tests.e2e.test_proxy import running_replicas

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def replicas(e2e_models: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    """(proxy URL, {upstream "127.0.0.1:port": app port}) for 2 processes, nginx and Redis."""
    for tool in ("nginx", "redis-server"):
        if not (shutil.which(tool) or Path(f"/usr/sbin/{tool}").exists()):
            raise RuntimeError(f"{tool} is missing: apt-get install -y {tool} (README)")
    run_dir = tmp_path_factory.mktemp("poll-proxy")
    # KEEP_SERVING: a killed app is not the end; the script starts its own redis-server
    with running_replicas(run_dir, SEQ2SEQ_VIZ_MODELS=str(e2e_models), KEEP_SERVING="1",
                          SEQ2SEQ_VIZ_REDIS_URL=None) as (url, first):  # fmt: skip
        assert (run_dir / "redis.sock").exists(), "run_replicas.sh started no redis-server"
        yield url, {f"127.0.0.1:{p}": p for p in (first, first + 1)}


def _open(page: Page, url: str) -> str:
    """Open `url`; the app process that served it (nginx's X-Upstream)."""
    reply = page.goto(url)
    return reply.headers["x-upstream"].split(",")[-1].strip()


def _phone_on(browser: Browser, link: str, upstream: str, other: bool) -> tuple[Page, str]:
    """A new phone whose process is (other=False) or is not (other=True) `upstream`."""
    for _ in range(16):  # each new browser gets a random route: 1 in 2**16 to miss
        phone = new_page(browser, PHONE)
        served = _open(phone, link)
        if (served != upstream) == other:
            expect(choice(phone, 0)).to_be_visible(timeout=WAIT_MS)
            return phone, served
        phone.context.close()
    raise AssertionError("no new browser landed on the wanted process")


def _pid_of(app_port: int) -> int:
    """The streamlit process run_replicas.sh started on `app_port` (read from /proc)."""
    wanted = f"--server.port\0{app_port}\0"
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_text()
            except OSError:
                continue
            if "streamlit" in cmdline and wanted in cmdline:
                return int(entry.name)
    raise AssertionError(f"no app process on port {app_port}")


def test_one_tally_across_processes_and_a_stopped_replica_loses_no_vote(
    browser: Browser, replicas: tuple
) -> None:
    url, upstreams = replicas
    projector = new_page(browser, PROJECTOR)
    code = start_poll(projector, url, timeout=240_000)
    host_upstream = (
        projector.evaluate("fetch('/_stcore/health').then((r) => r.headers.get('x-upstream'))")
        .split(",")[-1]
        .strip()
    )
    link = f"{url}/join?room={code}"
    near, _ = _phone_on(browser, link, host_upstream, other=False)
    far, far_upstream = _phone_on(browser, link, host_upstream, other=True)
    assert {host_upstream, far_upstream} == set(upstreams)
    labels = list(bars(projector))
    choice(near, 0).click()
    choice(far, 1).click()
    wait_counts(projector, {labels[0]: 1, labels[1]: 1})  # votes from both processes, one tally
    expect(choice(far, 1)).to_contain_text("✓", timeout=WAIT_MS)

    os.kill(_pid_of(upstreams[far_upstream]), signal.SIGKILL)  # the far phone's process dies
    # The phone loses its websocket, reconnects through the proxy to the other process (a new
    # session) and finds the same room with its vote.
    state = f"{harness.APP_ROOT}[data-test-connection-state='CONNECTED']"
    far.wait_for_selector(state, state="detached", timeout=60_000)
    far.wait_for_selector(state, state="attached", timeout=120_000)
    expect(choice(far, 1)).to_contain_text("✓", timeout=WAIT_MS)
    far.wait_for_timeout(1500)
    assert bars(projector)[labels[0]] == 1 and bars(projector)[labels[1]] == 1
    choice(far, 0).click()  # and it can still change its vote
    wait_counts(projector, {labels[0]: 2, labels[1]: 0}, timeout_s=30)
    projector.get_by_role("button", name="정답 공개").click()
    for phone in (near, far):
        expect(phone.get_by_text(re.compile("맞았습니다|아쉽네요"))).to_be_visible(timeout=WAIT_MS)
    for page in (projector, near, far):
        page.context.close()
