"""Single-user benchmark in Debian's Chromium (not a test): how fast one person sees things.

    python bench/bench_browser.py [--steps 20] [--sentences 5] [--models-root pretrained]

On one app process (127.0.0.1) with the shipped models it measures:
- cold start: from ``streamlit run`` to the first fully drawn page (bench_cold_start's run);
- bytes transferred on a first load with an empty cache: HTTP responses as they came over the
  wire (headers + body, compressed where the server compressed) plus websocket frames;
- Next to drawn: from the click on the step player's Next to what is on screen drawn and
  painted, and to every figure of the step drawn (those below the screen are drawn in idle
  time right after), measured inside the page; no server round trip is involved;
- new sentence to drawn: from Ctrl+Enter in the sentence box to the new trace's step 0 drawn.
Goals: Next to drawn < 100 ms (median), new sentence to drawn < 1 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_cold_start import VIEWPORT, one_run  # noqa: E402

from seq2seq_viz.checkpoints import PRETRAINED_DIR  # noqa: E402
from tests.e2e import harness  # noqa: E402

SENTENCES = [
    "she is reading a very interesting book .",
    "i have a red car .",
    "we are going to the beach tomorrow .",
    "he does not like cold coffee .",
    "my brother lives in a big house .",
    "the black cat is sleeping .",
]
# Click Next; time until what is on screen is drawn (data-shown-step) and painted, then until
# every figure of the step is drawn (data-drawn-step; those below the screen are drawn in idle
# time right after).
NEXT_JS = """async () => {
  const box = document.querySelector('.s2s-stepper');
  const target = String(Number(box.dataset.step) + 1);
  const paint = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  const t0 = performance.now();
  box.querySelector('.s2s-next').click();
  while (box.dataset.shownStep !== target) await new Promise((r) => setTimeout(r, 1));
  await paint();
  const shown = performance.now() - t0;
  while (box.dataset.drawnStep !== target) await new Promise((r) => setTimeout(r, 1));
  return [shown, performance.now() - t0];
}"""


def first_load_bytes(page: Page, url: str) -> tuple[int, int]:
    """(HTTP bytes, websocket bytes) received while opening `url` with an empty cache."""
    http, ws = [0], [0]
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.on(
        "Network.loadingFinished", lambda e: http.__setitem__(0, http[0] + e["encodedDataLength"])
    )
    page.on(
        "websocket", lambda s: s.on("framereceived", lambda p: ws.__setitem__(0, ws[0] + len(p)))
    )
    harness.open_app(page, url)
    return http[0], ws[0]


def next_to_drawn(page: Page, n: int) -> list[list[float]]:
    """(ms to the visible part drawn and painted, ms to every figure drawn) per click."""
    times: list[list[float]] = []
    while len(times) < n:
        box = page.locator(".s2s-stepper")
        if box.get_attribute("data-step") == page.locator(
            ".s2s-stepper input[type=range]"
        ).get_attribute("max"):
            page.locator(".s2s-stepper input[type=range]").fill("0")
            page.wait_for_function(
                "() => document.querySelector('.s2s-stepper').dataset.drawnStep === '0'"
            )
        times.append(page.evaluate(NEXT_JS))
    return times


def new_sentence_to_drawn(page: Page, text: str) -> float:
    book = page.locator(".s2s-stepper").get_attribute("data-book")
    box = page.locator(".st-key-text textarea")
    box.fill(text)
    start = time.monotonic()
    box.press("Control+Enter")
    page.wait_for_function(
        f"""() => {{ const b = document.querySelector('.s2s-stepper');
              return b && b.dataset.book !== '{book}' && b.dataset.drawnStep === '0'; }}""",
        polling="raf",
        timeout=harness.TIMEOUT_MS,
    )
    return time.monotonic() - start


def summary(name: str, values: list[float], unit: str, goal: float | None = None) -> None:
    med = statistics.median(values)
    p95 = sorted(values)[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
    verdict = (
        "" if goal is None else f"  goal < {goal:g} {unit}: {'met' if med < goal else 'NOT met'}"
    )
    print(f"{name:<26} n={len(values):<3} median {med:8.1f} {unit}  p95 {p95:8.1f} {unit}{verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=20, choices=range(1, 201), metavar="1..200")
    parser.add_argument("--sentences", type=int, default=5, choices=range(1, 7), metavar="1..6")
    parser.add_argument("--models-root", type=Path, default=PRETRAINED_DIR)
    args = parser.parse_args()
    with sync_playwright() as pw:
        browser = harness.launch_chromium(pw)
        healthy, ran, drawn = one_run(browser, args.models_root)
        print(f"cold start: healthy {healthy:.2f} s, first run {ran:.2f} s, drawn {drawn:.2f} s")
        with harness.running_app(args.models_root, watch=False) as app:
            context = browser.new_context(viewport=VIEWPORT, locale="en-US")
            page = harness.prepare_page(context.new_page())
            http, ws = first_load_bytes(page, f"{app.url}/?text=" + SENTENCES[0].replace(" ", "+"))
            print(
                f"first load: {(http + ws) / 1e6:.2f} MB (HTTP {http / 1e6:.2f} MB, "
                f"websocket {ws / 1e6:.2f} MB)"
            )
            page.wait_for_timeout(3000)  # the model's background load, as a person reads
            clicks = next_to_drawn(page, args.steps)
            summary("Next to drawn (on screen)", [c[0] for c in clicks], "ms", 100)
            summary("Next to every figure drawn", [c[1] for c in clicks], "ms")
            sentences = [new_sentence_to_drawn(page, s) for s in SENTENCES[1 : 1 + args.sentences]]
            summary("new sentence to drawn", [s * 1000 for s in sentences], "ms", 1000)
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
