"""Pixel comparison of every page before and after a change (not a test).

    python bench/pixel_diff.py shoot CHECKOUT OUT   # every page of the app in CHECKOUT -> OUT/*.png
    python bench/pixel_diff.py compare OUT_A OUT_B  # image by image: how many pixels differ

``shoot`` runs the app of a checkout (a ``git archive`` of the commit before, say, or this one)
on its ``pretrained/`` models and takes, in Korean and in English at 1366x900, every page
(viewport and full page), the step page after Next twice and in presentation mode (its question,
then with questions off its first two stages' charts), and the lesson after → . Before each shot
the page is made still: carets hidden, CSS transitions and animations off, the mouse moved away,
a window resize dispatched and the plots' boxes left to settle. ``compare`` prints each image
that differs (pixel count and bounding box) and the count.

Chromium runs with partial raster off: otherwise a tile painted again reuses pixels painted
before, and the rounded edges of a button or a text box could differ by a shade or two (2 to 40
pixels) between two runs of the same commit, in a few shots of each run. Every shot is then
reproducible. (Presentation mode's charts once were not: plotly's responsive resizing drew them
at their box's least height, 200 px, or not, depending on timing; the step player now gives each
box its figure's height.)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.e2e import harness, ui  # noqa: E402

PAGES = ("", "lesson", "beam", "compare", "cell", "live", "steer", "sample", "models")
LOCALES = {"ko": "ko-KR", "en": "en-US"}
VIEW = {"width": 1366, "height": 900}
# the same pixels for the same page, whatever was painted before (see the docstring)
CHROMIUM_ARGS = ("--disable-partial-raster",)
STILL_CSS = (
    "*, *::before, *::after { caret-color: transparent !important;"
    " transition: none !important; animation: none !important; }"
)
STILL_JS = f"""document.addEventListener('DOMContentLoaded', () => {{
  const s = document.createElement('style'); s.textContent = {json.dumps(STILL_CSS)};
  document.head.appendChild(s); }});"""
# every plotly chart as wide as its container
SIZED_JS = """() => [...document.querySelectorAll('.js-plotly-plot')].every((el) => {
  const svg = el.querySelector('svg.main-svg');
  return svg && Math.abs(svg.getBoundingClientRect().width
                         - el.getBoundingClientRect().width) < 1.5; })"""
# wait until the plots' boxes stay the same over two frames
STABLE_JS = """async () => {
  const boxes = () => JSON.stringify([...document.querySelectorAll('.js-plotly-plot, .s2s-plot')]
      .map((e) => { const r = e.getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; }));
  const frame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  let before = boxes();
  for (let i = 0; i < 50; i++) {
    await frame(); const now = boxes(); if (now === before) return i; before = now; }
  return -1; }"""


def settle(page) -> None:
    harness.next_frame(page)
    harness.wait_charts(page)
    page.evaluate("() => window.dispatchEvent(new Event('resize'))")
    page.evaluate(STABLE_JS)
    harness.wait_charts(page)
    page.wait_for_function(SIZED_JS, timeout=10_000)
    page.mouse.move(0, VIEW["height"] - 1)
    harness.next_frame(page)


def shot(page, out: Path, name: str) -> None:
    settle(page)
    page.screenshot(path=str(out / f"{name}-view.png"), animations="disabled", caret="hide")
    harness.full_screenshot(page, out / f"{name}-full.png")


def shoot_page(browser, url: str, out: Path, lang: str, path: str) -> None:
    context = browser.new_context(viewport=VIEW, locale=LOCALES[lang], device_scale_factor=1)
    page = harness.prepare_page(context.new_page())
    page.add_init_script(STILL_JS)
    harness.open_app(page, f"{url}/{path}?{urlencode({'lang': lang})}")
    name = f"{lang}-{path or 'step'}"
    shot(page, out, name)
    if path == "":
        for _ in range(2):
            ui.step_click(page, "next")
        shot(page, out, name + "-next2")
        ui.toggle(page, "present")
        shot(page, out, name + "-present")  # the stage's prediction question
        ui.toggle(page, "present_questions")  # questions off: the stages' charts
        shot(page, out, name + "-present-charts")
        ui.step_click(page, "next")
        shot(page, out, name + "-present-charts-next")
    if path == "lesson":
        harness.rerun(page, lambda: page.keyboard.press("ArrowRight"))
        shot(page, out, name + "-key1")
    context.close()


def shoot(checkout: Path, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    harness.REPO = checkout.resolve()  # the app of that checkout, driven by these helpers
    log = out / "app.log"
    with (
        harness.running_app(checkout / "pretrained", log, watch=False) as app,
        sync_playwright() as pw,
    ):
        browser = harness.launch_chromium(pw, CHROMIUM_ARGS)
        for lang in LOCALES:
            for path in PAGES:
                shoot_page(browser, app.url, out, lang, path)
                print(f"{lang} {path or 'step'}", flush=True)
        browser.close()


def compare(a: Path, b: Path) -> int:
    differ = total = 0
    for first in sorted(a.glob("*.png")):
        total += 1
        second = b / first.name
        if not second.exists():
            print(f"missing in {b}: {first.name}")
            differ += 1
            continue
        x = np.asarray(Image.open(first).convert("RGB")).astype(int)
        y = np.asarray(Image.open(second).convert("RGB")).astype(int)
        if x.shape != y.shape:
            print(f"{first.name}: size {x.shape[:2]} vs {y.shape[:2]}")
            differ += 1
            continue
        changed = np.abs(x - y).sum(-1) > 0
        if changed.any():
            ys, xs = np.nonzero(changed)
            box = f"x {xs.min()}-{xs.max()}, y {ys.min()}-{ys.max()}"
            print(f"{first.name}: {int(changed.sum())} pixels differ ({box})")
            differ += 1
    print(f"{differ} of {total} images differ")
    return differ


def main() -> None:
    if len(sys.argv) != 4 or sys.argv[1] not in ("shoot", "compare"):
        raise SystemExit(__doc__)
    if sys.argv[1] == "shoot":
        shoot(Path(sys.argv[2]), Path(sys.argv[3]))
    else:
        compare(Path(sys.argv[2]), Path(sys.argv[3]))


if __name__ == "__main__":
    main()
