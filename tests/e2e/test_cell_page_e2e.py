"""The "Inside the cell" page in real Chromium: it draws its heatmaps and equations and follows
the token slider (English; tests/test_cell_page.py covers both languages through AppTest)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from seq2seq_viz.i18n import strings
from tests.e2e import ui
from tests.e2e.conftest import Session

pytestmark = pytest.mark.e2e
EN, KO = strings("en"), strings("ko")


@pytest.mark.parametrize("locale", ["en-US"])
def test_cell_page_heatmaps_equations_and_token(
    new_session: Callable[[str], Session], locale: str
) -> None:
    s = strings(locale[:2])
    session = new_session(locale)
    page = session.open("cell?text=the+cat+sleeps+.")
    assert ui.title(page) == s["cell.title"]
    assert not ui.exceptions(page)
    expect(ui.keyed(page, "cell_gates").locator("svg.main-svg").first).to_be_visible()
    equations = page.locator('[data-testid="stMarkdownContainer"] .katex-display')
    expect(equations.first).to_be_visible()
    before = equations.nth(0).inner_text()
    ui.nudge_slider(page, ui.slider(page, "cell_token"))  # the next token's numbers
    expect(equations.nth(0)).not_to_have_text(before)
    session.screenshot(f"cell-{locale[:2]}")
