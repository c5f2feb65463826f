"""Click to navigate: a click on a cell of the step player's attention heatmap shows that
cell's decoder step (its row), in the browser, without calling the server."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.e2e import ui
from tests.e2e.conftest import Session

pytestmark = pytest.mark.e2e
CELL_JS = """([x, y]) => {
  const gd = document.querySelector('[data-figure="heatmap"]');
  const box = gd.querySelector('.nsewdrag').getBoundingClientRect();
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
  return [box.left + xa.l2p(x), box.top + ya.l2p(y)];
}"""


def test_clicking_a_heatmap_row_jumps_to_its_step(session: Session) -> None:
    # A step past the end opens on the last step (clamped), so every row is drawn and clickable.
    page = session.open("?" + urlencode({"step": 99, "text": "the cat sleeps ."}))
    last = ui.drawn_step(page)[0]
    assert last >= 1, "the tiny model's translation needs two steps for this test"
    cell = page.locator('[data-figure="heatmap"]')
    cell.scroll_into_view_if_needed()
    for row in (last - 1, 0):  # rows after the shown step are empty until drawn
        x, y = page.evaluate(CELL_JS, [0, row])
        assert ui.step_action(page, lambda x=x, y=y: page.mouse.click(x, y))[0] == row
        assert f"step={row}" in page.url
