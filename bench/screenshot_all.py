"""Every page of the real app in both languages, at the sizes the users have, for review.

    python bench/screenshot_all.py [--out artifacts/screens] [--pages home,lesson,...]

Sizes: 1366x768 (a laptop) for every page; 390x844 (a phone) for every page; 1920x1080 for the
step page in presentation mode and the lesson (a projector). Full-page PNGs are written as
``{lang}-{size}-{page}.png``; each shot also records what the browser found wrong: a page wider
than the window (sideways scrolling) or an exception shown. The summary goes to
``{out}/summary.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

from playwright.sync_api import Browser, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from seq2seq_viz.checkpoints import PRETRAINED_DIR  # noqa: E402
from tests.e2e import harness, ui  # noqa: E402

PAGES = ("", "lesson", "beam", "compare", "cell", "live", "steer", "sample", "models")
SIZES = {"laptop": (1366, 768), "phone": (390, 844), "projector": (1920, 1080)}
LOCALES = {"ko": "ko-KR", "en": "en-US"}
SENTENCE = "The black cat is sleeping on the sofa."


def overflow(page) -> int:
    """How many pixels the page is wider than the window (0: no sideways scrolling)."""
    return int(
        page.evaluate(
            """() => Math.max(document.documentElement.scrollWidth,
                 ...[...document.querySelectorAll('[data-testid="stMain"]')]
                 .map((e) => e.scrollWidth)) - window.innerWidth"""
        )
    )


def shoot(browser: Browser, url: str, out: Path, lang: str, size: str, name: str) -> dict:
    width, height = SIZES[size]
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale=LOCALES[lang], device_scale_factor=1
    )
    page = harness.prepare_page(context.new_page())
    params = {"text": SENTENCE, "step": "2"} if name in ("", "present") else {}
    start = time.perf_counter()
    harness.open_app(page, f"{url}/{'' if name == 'present' else name}?{urlencode(params)}")
    if name == "present":
        ui.toggle(page, "present")
        harness.wait_charts(page)
    path = out / f"{lang}-{size}-{name or 'step'}.png"
    row = {
        "file": path.name,
        "seconds": round(time.perf_counter() - start, 1),
        "overflow_px": overflow(page),
        "exceptions": ui.exceptions(page),
    }
    page.screenshot(path=str(out / f"{lang}-{size}-{name or 'step'}-view.png"))
    harness.full_screenshot(page, path)
    context.close()
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models-root", type=Path, default=PRETRAINED_DIR)
    parser.add_argument("--out", type=Path, default=harness.REPO / "artifacts" / "screens")
    parser.add_argument("--pages", help="comma-separated subset of: step," + ",".join(PAGES[1:]))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    pages = PAGES
    if args.pages:
        pages = tuple("" if p == "step" else p for p in args.pages.split(","))
    jobs = [(lang, size, p) for lang in LOCALES for size in ("laptop", "phone") for p in pages]
    jobs += [(lang, "projector", p) for lang in LOCALES for p in ("present", "lesson")]
    rows = []
    log = harness.REPO / "artifacts" / "screens-app.log"
    with harness.running_app(args.models_root, log) as app, sync_playwright() as pw:
        browser = harness.launch_chromium(pw)
        for lang, size, name in jobs:
            try:
                row = shoot(browser, app.url, args.out, lang, size, name)
            except Exception as err:  # noqa: BLE001 - one failed shot must not stop the rest
                row = {"file": f"{lang}-{size}-{name or 'step'}.png", "error": repr(err)[:300]}
            rows.append(row)
            print(json.dumps(row, ensure_ascii=False), flush=True)
        browser.close()
    (args.out / "summary.json").write_text(json.dumps(rows, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
