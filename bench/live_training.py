"""Start a live training (the "Watch attention learn" page) in a running app, for load benchmarks.

    python bench/live_training.py URL [--task reverse|dates|corpus] [--watch 10]

Opens ``URL/live`` in Chromium, presses Start, waits until the page says it is training, and
closes the tab: the training goes on in the app process (a background thread) until its bound,
$SEQ2SEQ_VIZ_LIVE_SECONDS of the *app's* environment (60 s by default). To measure the app under
load with a training in progress, start the app with that variable above the benchmark's length
and call :func:`start_live_training` once the app is up. ``--watch N`` then samples the app's
CPU time for N seconds (one busy core = 1.0), which shows that the training really runs.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from seq2seq_viz.i18n import strings  # noqa: E402
from tests.e2e import harness  # noqa: E402

EN = strings("en")


def start_live_training(url: str, task: str = "reverse") -> None:
    """Press Start on the live page of the app at `url` (then leave the training running)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = harness.launch_chromium(pw)
        page = harness.prepare_page(browser.new_page(locale="en-US"))
        harness.open_app(page, f"{url}/live")
        if task != "reverse":
            option = page.locator(".st-key-live_task button", has_text=EN[f"live.task.{task}"])
            harness.rerun(page, option.click)
        harness.rerun(page, page.locator(".st-key-live_start button").click)
        page.get_by_text(EN["live.status.running"]).or_(
            page.get_by_text(EN["live.queued"].split("(")[0].strip())
        ).first.wait_for(timeout=harness.TIMEOUT_MS)
        browser.close()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def find_app_pid(url: str) -> int | None:
    """The pid of the local streamlit process listening on `url`'s port (None if not found)."""
    port = url.rsplit(":", 1)[-1].strip("/")
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmd = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            args = [a.decode(errors="replace") for a in cmd]
            ports = [b for a, b in zip(args, args[1:]) if a == "--server.port"]
            if any("streamlit" in a for a in args) and port in ports:
                return int(proc.name)
    return None


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("url")
    p.add_argument("--task", default="reverse", choices=["reverse", "dates", "corpus"])
    p.add_argument("--watch", type=float, default=0.0, help="seconds of app CPU sampling")
    args = p.parse_args()
    start_live_training(args.url, args.task)
    print(f"training started at {args.url}/live ({args.task})")
    pid = find_app_pid(args.url) if args.watch else None
    if pid is not None:
        before, t0 = cpu_seconds(pid), time.monotonic()
        time.sleep(args.watch)
        used = cpu_seconds(pid) - before
        rate = used / (time.monotonic() - t0)
        print(f"app pid {pid}: {rate:.2f} cores busy after the tab closed")


if __name__ == "__main__":
    main()
