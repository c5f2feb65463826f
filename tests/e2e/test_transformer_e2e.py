"""The Transformer's pages in real Chromium, in Korean: the step page's per-head sections with
the trace's own weights, the lesson's stage beside the RNN, and the compare page's heads tab.
A tiny random Transformer is added to the session's models folder for this module only."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import pytest
from playwright.sync_api import expect

from seq2seq_viz import bridge
from seq2seq_viz.checkpoints import DEFAULT_MODEL, load_model, save_model
from seq2seq_viz.figures.lesson import LESSON_STAGES
from seq2seq_viz.i18n import strings
from tests.e2e import ui
from tests.e2e.conftest import Session
from tests.test_transformer import make_transformer

pytestmark = pytest.mark.e2e
KO = strings("ko")
TEXT = "the cat sleeps on the red mat ."
NAME = "transformer"

# the chosen head's weights as the step player's softmax table holds them (full values)
WEIGHTS_JS = """(t) => {
  const box = document.querySelector('.s2s-stepper');
  const table = box.querySelector('[data-section="softmax"] table');
  return [...table.querySelectorAll('tr')].slice(1)
    .map((tr) => Number([...tr.querySelectorAll('td')][3].dataset.value));
}"""

BARS_JS = """() => document.querySelector('.st-key-lesson_bridge_weights .js-plotly-plot')
  ._fullData.map((trace) => Array.from(trace.y))"""


@pytest.fixture(scope="module")
def transformer(e2e_models: Path) -> Iterator[Path]:
    folder = e2e_models / NAME
    model = make_transformer(seed=3, d_model=16, heads=2, ffn_dim=24, enc_layers=2, dec_layers=2)
    save_model(folder, model)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)  # the other modules' model list stays as it was


def test_transformer_pages_in_korean(
    transformer: Path, new_session: Callable[[str], Session], e2e_models: Path
) -> None:
    trace = load_model(NAME, root=e2e_models).trace(TEXT)
    session = new_session("ko-KR")
    page = session.open("?" + urlencode({"model": NAME, "text": TEXT}))
    assert KO["tstage.scores"] in page.locator(ui.STEPPER).inner_text()
    shown = page.evaluate(WEIGHTS_JS, 0)
    last = trace.n_steps and np.asarray(trace.steps[0].extras["transformer"]["cross_weights"])
    np.testing.assert_allclose(shown, last[-1][0], atol=1e-4)  # the last layer, head 1 first
    session.screenshot("transformer-step-ko")

    page = session.open("lesson?" + urlencode({"text": TEXT, "questions": "off"}))
    for _ in range(LESSON_STAGES.index("transformer")):
        session.rerun(lambda: page.keyboard.press("ArrowRight"))
    expect(page.get_by_text(KO["lesson.transformer.title"], exact=False).first).to_be_visible()
    rnn = load_model(DEFAULT_MODEL, root=e2e_models).trace(TEXT)  # the sidebar's model
    forced = [s.token for s in rnn.steps if s.token != "<eos>"]
    b = bridge.compare_step(rnn, load_model(NAME, root=e2e_models).trace(TEXT, prefix=forced), 0)
    expect(ui.keyed(page, "lesson_bridge_weights").locator("svg.main-svg").first).to_be_visible()
    bars = page.evaluate(BARS_JS)  # the RNN's weights, then the chosen head's, as drawn
    np.testing.assert_allclose(bars[0], b.rnn_weights, atol=1e-6)
    np.testing.assert_allclose(bars[1], b.weights, atol=1e-6)
    assert KO["lesson.transformer.lh"].format(layer=2, head=1) in ui.main_text(page)
    session.screenshot("transformer-lesson-ko")

    page = session.open("compare?" + urlencode({"text": TEXT}))
    page.get_by_role("tab", name=KO["compare.tab_transformer"]).click()
    expect(ui.keyed(page, "cmp_t").locator("svg.main-svg").first).to_be_visible()
    session.screenshot("transformer-compare-ko")
    assert not ui.exceptions(page) and not session.dialogs
