"""Cold-start benchmark (not a test): from ``streamlit run app.py`` to the first fully drawn page
in Debian's Chromium, on 127.0.0.1.

    python bench/bench_cold_start.py [--runs 3] [--models-root pretrained] [--script PATH]

With ``--script bench/floor/blank.py`` (a title and a line) or ``bench/floor/one_chart.py``
(the same with one st.plotly_chart) it times plain Streamlit pages the same way, with
Streamlit's default settings: the floor under any page of ours on the same machine.

Each run starts a new app process and a new browser context (empty cache), polls Streamlit's
health endpoint, opens the default page and waits until its first run has finished, no element
is still a loading skeleton and every chart is drawn. Prints each run (with the moment the
server finished the first script run, to split server and browser time) and the median.
Goal: median < 3 s on a 2-core CPU. (The first run also pays for a cold disk cache.)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from seq2seq_viz.checkpoints import PRETRAINED_DIR  # noqa: E402
from tests.e2e import harness  # noqa: E402

VIEWPORT = {"width": 1400, "height": 900}
GOAL_S = 3.0


def one_run(
    browser: Browser, models_root: Path, script: Path | None = None
) -> tuple[float, float, float]:
    """Seconds from the start until the server answers health checks, until the first script
    run has finished (the server's part), and until the page is fully drawn. `script`: time
    another Streamlit script instead of the app (bench/floor/: what Streamlit alone costs)."""
    context = browser.new_context(viewport=VIEWPORT, locale="en-US")
    page = harness.prepare_page(context.new_page())
    start = time.monotonic()
    app = harness.spawn_app(models_root, script=script)
    try:
        harness.wait_healthy(app)
        healthy = time.monotonic() - start
        page.goto(app.url)
        page.wait_for_function("window.__runsFinished >= 1", timeout=harness.TIMEOUT_MS)
        ran = time.monotonic() - start
        harness.wait_ready(page)
        harness.wait_charts(page)
        drawn = time.monotonic() - start
    finally:
        app.stop()
        context.close()
    return healthy, ran, drawn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, choices=range(1, 11), metavar="1..10")
    parser.add_argument("--models-root", type=Path, default=PRETRAINED_DIR)
    parser.add_argument(
        "--script",
        type=Path,
        help="time this Streamlit script instead of app.py, e.g. bench/floor/blank.py",
    )
    args = parser.parse_args()
    results = []
    with sync_playwright() as pw:
        browser = harness.launch_chromium(pw)
        for i in range(args.runs):
            healthy, ran, drawn = one_run(browser, args.models_root, args.script)
            results.append(drawn)
            print(
                f"run {i + 1}: server healthy {healthy:5.2f} s, first script run done "
                f"{ran:5.2f} s, page fully drawn {drawn:5.2f} s"
            )
        browser.close()
    median = statistics.median(results)
    if args.script is not None:  # a reference page: no goal of ours
        print(f"median first page of {args.script}: {median:.2f} s")
        return
    verdict = "met" if median < GOAL_S else "NOT met"
    print(f"median first page: {median:.2f} s (goal < {GOAL_S:g} s: {verdict})")


if __name__ == "__main__":
    main()
