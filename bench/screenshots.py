"""The README's screenshots, taken from the real app with the real trained models in Chromium.

    python bench/screenshots.py [--models-root pretrained] [--out docs/screenshots]

Opens the app on a teaching sentence that shows reordering, takes a few views (the step page,
the softmax stage, the finished attention heatmap, the beam tree, the comparison of variants,
the Korean interface, presentation mode) and writes them as small palette PNGs (< 300 KB each).
Full-page versions of every view go to artifacts/screenshots/real-*.png for review.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

from PIL import Image
from playwright.sync_api import Browser, Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from seq2seq_viz.checkpoints import PRETRAINED_DIR  # noqa: E402
from seq2seq_viz.i18n import strings  # noqa: E402
from tests.e2e import harness, ui  # noqa: E402

REPO = harness.REPO
SENTENCE = "it is a difficult question ."  # the app's first teaching example
VIEWPORT = {"width": 1400, "height": 900}
MAX_BYTES = 300_000
EN = strings("en")


def small_png(png: bytes, path: Path, max_bytes: int = MAX_BYTES) -> int:
    """Save as an adaptive-palette PNG, halving the colours until it fits `max_bytes`."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    for colors in (256, 128, 64, 32):
        buffer = io.BytesIO()
        image.quantize(colors=colors, method=Image.Quantize.MEDIANCUT).save(
            buffer, "PNG", optimize=True
        )
        if buffer.tell() <= max_bytes:
            break
    path.write_bytes(buffer.getvalue())
    return buffer.tell()


def section(page: Page, heading: str, height: int) -> bytes:
    """`height` pixels of the main column from the heading `heading` down (tall viewport)."""
    tall(page)
    main = page.locator('[data-testid="stMainBlockContainer"]').bounding_box()
    top = page.get_by_role("heading", name=heading).first.bounding_box()
    assert main and top, f"no heading {heading!r}"
    clip = {"x": main["x"], "y": top["y"] - 12, "width": main["width"], "height": height}
    return page.screenshot(clip=clip)


def tall(page: Page) -> None:
    """Make the viewport as tall as the page, so every part can be clipped without scrolling."""
    height = page.evaluate(
        """() => document.querySelector('[data-testid="stMain"]').scrollHeight"""
    )
    page.set_viewport_size({"width": VIEWPORT["width"], "height": min(int(height), 8000)})
    harness.next_frame(page)
    harness.wait_charts(page)


def viewport(page: Page) -> bytes:
    page.set_viewport_size(VIEWPORT)
    harness.next_frame(page)
    harness.wait_charts(page)
    return page.screenshot()


class Shooter:
    """Opens pages of one running app and writes the shots."""

    def __init__(self, browser: Browser, url: str, out: Path) -> None:
        self.browser, self.url, self.out = browser, url, out

    def page(self, path: str, locale: str = "en-US", **params: str) -> Page:
        context = self.browser.new_context(viewport=VIEWPORT, locale=locale)
        page = harness.prepare_page(context.new_page())
        harness.open_app(page, f"{self.url}/{path}?{urlencode({'text': SENTENCE, **params})}")
        return page

    def save(self, name: str, page: Page, take: Callable[[Page], bytes]) -> None:
        size = small_png(take(page), self.out / f"{name}.png")
        harness.full_screenshot(page, REPO / "artifacts" / "screenshots" / f"real-{name}.png")
        print(f"{self.out / (name + '.png')}: {size / 1000:.0f} KB")


def shoot(shooter: Shooter) -> None:
    page = shooter.page("", step="2")
    shooter.save("step", page, viewport)
    shooter.save("softmax", page, lambda p: section(p, EN["stage.softmax"], 760))
    page.context.close()
    page = shooter.page("", step="5")
    shooter.save("heatmap", page, lambda p: section(p, EN["stage.heatmap"], 560))
    page.context.close()
    page = shooter.page("beam")
    shooter.save("beam", page, lambda p: section(p, EN["beam.title"], 1000))
    page.context.close()
    page = shooter.page("compare")
    shooter.save("compare", page, lambda p: section(p, EN["compare.title"], 1100))
    page.context.close()
    page = shooter.page("", locale="ko-KR", step="2")
    shooter.save("step-ko", page, viewport)
    page.context.close()
    page = shooter.page("", step="2")
    ui.toggle(page, "present")
    for _ in range(2):
        ui.step_click(page, "next")
    shooter.save("presentation", page, viewport)
    page.context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models-root", type=Path, default=PRETRAINED_DIR)
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    log = REPO / "artifacts" / "screenshots-app.log"
    log.parent.mkdir(exist_ok=True)
    with harness.running_app(args.models_root, log) as app, sync_playwright() as pw:
        browser = harness.launch_chromium(pw)
        shoot(Shooter(browser, app.url, args.out))
        browser.close()


if __name__ == "__main__":
    main()
