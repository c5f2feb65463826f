"""Small helpers that drive the app's widgets in Chromium and read what is on the screen.

Widgets are found by the ``st-key-<key>`` class Streamlit gives every keyed element, so the
helpers work in both languages. Every helper that changes a widget waits for the run it starts
(see :func:`tests.e2e.harness.rerun`).
"""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.e2e.harness import rerun


def keyed(page: Page, key: str) -> Locator:
    return page.locator(f".st-key-{key}")


def type_sentence(page: Page, text: str) -> None:
    """Replace the sentence and submit it (Ctrl+Enter), as a person would."""
    box = keyed(page, "text").locator("textarea")
    if box.input_value() == text:
        return
    box.fill(text)
    rerun(page, lambda: box.press("Control+Enter"))


def click(page: Page, key: str) -> None:
    rerun(page, lambda: keyed(page, key).locator("button").first.click())


def toggle(page: Page, key: str) -> None:
    rerun(page, lambda: keyed(page, key).locator("label").first.click())


def is_on(page: Page, key: str) -> bool:
    return keyed(page, key).locator('input[type="checkbox"]').is_checked()


def open_selectbox(page: Page, key: str, tries: int = 3) -> None:
    """Open the option list of the selectbox `key` with its arrow button. Right after a run
    the frontend may still re-render and close a list that just opened: try a few times."""
    button = keyed(page, key).locator('button[aria-haspopup="listbox"]')
    for attempt in range(tries):
        button.click()
        try:
            page.get_by_role("listbox").get_by_role("option").first.wait_for(timeout=3_000)
            return
        except PlaywrightTimeout:
            if attempt == tries - 1:
                raise


def choose(page: Page, key: str, option: str) -> None:
    """Pick `option` in the selectbox `key`."""
    open_selectbox(page, key)
    option_box = page.get_by_role("option", name=option, exact=True)
    rerun(page, option_box.click)


def choose_first(page: Page, key: str) -> str:
    """Pick the first option of the selectbox `key`; returns its text."""
    open_selectbox(page, key)
    first = page.get_by_role("option").first
    text = first.inner_text()
    rerun(page, first.click)
    return text


def segment(page: Page, key: str, label: str) -> None:
    """Press the button `label` of the segmented control `key`."""
    button = keyed(page, key).locator('button[role="radio"]', has_text=label)
    rerun(page, button.click)


def slider(page: Page, key: str) -> Locator:
    """The thumb (an input of type range) of the slider `key`."""
    return keyed(page, key).locator('input[type="range"]')


def main_slider(page: Page, label: str) -> Locator:
    """The thumb of the slider labelled `label` in the main area (keys may change; labels are
    what a person sees)."""
    return page.locator(f'[data-testid="stMain"] input[type="range"][aria-label="{label}"]')


def slider_value(thumb: Locator) -> int:
    return int(float(thumb.input_value()))


def slider_max(thumb: Locator) -> int:
    return int(float(thumb.get_attribute("max") or 0))


def nudge_slider(page: Page, thumb: Locator, press: str = "ArrowRight") -> None:
    """Move a slider with the keyboard (one notch, or Home / End)."""
    thumb.focus()
    rerun(page, lambda: thumb.press(press))


def main_text(page: Page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


def metric(page: Page, label_start: str) -> str:
    """The value of the first metric whose label starts with `label_start`."""
    for box in page.locator('[data-testid="stMetric"]').all():
        label = box.locator('[data-testid="stMetricLabel"]').inner_text().strip()
        if label.startswith(label_start):
            return box.locator('[data-testid="stMetricValue"]').inner_text().strip()
    raise AssertionError(f"no metric labelled {label_start!r}")


def alerts(page: Page, kind: str) -> list[str]:
    """Texts of the alerts of one kind: Info, Warning, Error, Success."""
    return page.locator(f'[data-testid="stAlertContent{kind}"]').all_inner_texts()


def exceptions(page: Page) -> list[str]:
    return page.locator('[data-testid="stException"]').all_inner_texts()


def chart_ticks(page: Page, key: str) -> list[str]:
    """The tick labels of the plotly chart `key` (a Streamlit chart's key, or the name of a
    step-player figure), as the browser shows them."""
    charts = page.locator(f'.st-key-{key}, .s2s-plot[data-figure="{key}"]')
    return charts.locator("g.xtick text, g.ytick text").all_text_contents()


def title(page: Page) -> str:
    return page.locator("h1").first.inner_text()


# ---- the step player (seq2seq_viz/views/stepper): drawn by the browser, no server run ----

STEPPER = ".s2s-stepper"


def drawn_step(page: Page) -> tuple[int, int]:
    """The (step, stage) the step player has finished drawing (figures included)."""
    page.wait_for_selector(f"{STEPPER}[data-drawn-step]", state="attached")
    box = page.locator(STEPPER)
    return int(box.get_attribute("data-drawn-step")), int(box.get_attribute("data-drawn-stage"))


def step_action(page: Page, action: Callable[[], object]) -> tuple[int, int]:
    """Do `action` (a click or key press on the step player), wait until the step it asks for
    is drawn, and check that the page sent nothing to the server. Returns (step, stage)."""
    sent = int(page.evaluate("window.__sent"))
    action()
    page.wait_for_function(
        f"""() => {{ const b = document.querySelector('{STEPPER}');
              return b.dataset.step === b.dataset.drawnStep
                && b.dataset.stage === b.dataset.drawnStage; }}"""
    )
    assert int(page.evaluate("window.__sent")) == sent, "the step player called the server"
    return drawn_step(page)


def step_click(page: Page, name: str) -> tuple[int, int]:
    """Press the step player's button `name` (prev, next, play)."""
    return step_action(page, lambda: page.locator(f"{STEPPER} .s2s-{name}").click())


def step_metric(page: Page, label_start: str) -> str:
    """The value of the first visible step-player metric whose label starts with `label_start`."""
    for box in page.locator(f"{STEPPER} .s2s-metric").all():
        if box.is_visible() and box.locator(".s2s-metric-label").inner_text().startswith(
            label_start
        ):
            return box.locator(".s2s-metric-value").inner_text()
    raise AssertionError(f"no step-player metric labelled {label_start!r}")


def step_slider(page: Page) -> Locator:
    return page.locator(f"{STEPPER} input[type=range]")
