"""The step player's charts keep the size their figure asks for when the space around them
changes: the browser window is resized, or presentation mode widens the column and redraws each
chart at projector size. (Plotly's responsive resizing once threw the figure's height away on
any change of the chart's box and redrew it at the box's own, collapsed height: 200 px.)

Each chart is checked once it has been still for a while: plotly resizes 100 ms after a change.
"""

from __future__ import annotations

import plotly.graph_objects as go
import pytest

from seq2seq_viz.views.figure_cache import enlarge
from tests.e2e import ui
from tests.e2e.conftest import VIEWPORT, Session

pytestmark = pytest.mark.e2e
QUIET_MS = 600  # a size that lasts this long is the one that stays

# Every chart on screen: its name, its box (the div the step player made) and its drawing.
PLOTS_JS = """() => [...document.querySelectorAll('.s2s-stepper .s2s-plot')]
  .filter((div) => div.offsetParent !== null)
  .map((div) => {
    const box = div.getBoundingClientRect();
    const svg = div.querySelector('svg.main-svg');
    const drawn = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
    return {name: div.dataset.figure, width: box.width, height: box.height,
            drawnWidth: drawn.width, drawnHeight: drawn.height}; })"""
# Resolves once the charts' sizes have not changed for `quiet` ms.
STILL_JS = """(quiet) => new Promise((resolve) => {
  const sizes = () => JSON.stringify([...document.querySelectorAll('.s2s-plot')]
    .map((div) => { const s = div.querySelector('svg.main-svg');
      return [div.offsetWidth, div.offsetHeight, s && s.getAttribute('height')]; }));
  let last = sizes(), since = performance.now();
  const check = () => {
    const now = sizes();
    if (now !== last) { last = now; since = performance.now(); }
    if (performance.now() - since >= quiet) resolve(); else requestAnimationFrame(check);
  };
  requestAnimationFrame(check); })"""


def plots(page) -> dict[str, dict]:
    """The charts on screen by name, once their sizes have settled."""
    page.evaluate(STILL_JS, QUIET_MS)
    shown = {p["name"]: p for p in page.evaluate(PLOTS_JS)}
    assert shown, "no chart on screen"
    return shown


def assert_fits(shown: dict[str, dict], heights: dict[str, int]) -> None:
    """Each chart is drawn as tall as its figure and exactly fills its box."""
    for name, p in shown.items():
        assert round(p["drawnHeight"]) == heights[name], (name, p)
        assert abs(p["height"] - p["drawnHeight"]) < 1.5, (name, p)
        assert abs(p["width"] - p["drawnWidth"]) < 1.5, (name, p)


def test_charts_keep_their_height_when_the_window_is_resized(session: Session) -> None:
    page = session.open()
    first = plots(page)
    heights = {name: round(p["height"]) for name, p in first.items()}
    assert min(heights.values()) > 200, heights  # the empty box's least height: not drawn yet
    page.set_viewport_size({"width": 1100, "height": VIEWPORT["height"]})
    narrow = plots(page)
    assert_fits(narrow, heights)
    assert all(narrow[n]["width"] < first[n]["width"] for n in narrow), "the charts follow width"
    page.set_viewport_size(VIEWPORT)
    assert_fits(plots(page), heights)


def test_presentation_charts_keep_their_projector_height(session: Session) -> None:
    page = session.open("?questions=off")  # a chart in every stage
    normal = {name: round(p["height"]) for name, p in plots(page).items()}
    big = {
        name: int(enlarge(go.Figure(layout={"height": h})).layout.height)
        for name, h in normal.items()
    }
    ui.toggle(page, "present")
    shown = plots(page)
    assert_fits(shown, big)
    column = page.locator(".s2s-stepper .s2s-body").bounding_box()
    assert column and all(p["width"] > 0.5 * column["width"] for p in shown.values()), shown
    ui.step_click(page, "next")
    assert_fits(plots(page), big)
