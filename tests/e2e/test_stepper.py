"""The step player in Chromium: what the browser shows at several steps is the trace's own
numbers (read from the DOM: metrics, the numbers table, the drawn plotly figures), in both
languages, and moving through steps never calls the server.

The trace is recomputed here, in the test process, from the same tiny model the app serves.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import pytest

from seq2seq_viz.checkpoints import load_model
from seq2seq_viz.i18n import strings
from tests.e2e import ui
from tests.e2e.conftest import Session

pytestmark = pytest.mark.e2e
MODEL, TEXT = "soft-general", "the cat sleeps on the red mat ."
LOCALES = {"en": "en-US", "ko": "ko-KR"}

# The weights figure as plotly drew it (its full data: typed arrays decoded), and the
# numbers table's columns with their full values.
SHOWN_JS = """() => {
  const box = document.querySelector('.s2s-stepper');
  const section = (id) => box.querySelector(`[data-section="${id}"]`);
  const plot = section('softmax').querySelector('.s2s-plot');
  const table = section('softmax').querySelector('table');
  const columns = [...table.querySelectorAll('th')].map((th) => th.textContent);
  const rows = [...table.querySelectorAll('tr')].slice(1)
    .map((tr) => [...tr.querySelectorAll('td')].map((td) => td.dataset.value));
  const bars = plot._fullData.filter((trace) => trace.type === "bar")
    .map((trace) => ({x: Array.from(trace.x), y: Array.from(trace.y)}));
  const sum = section('softmax').querySelector('.s2s-latex:nth-child(2)').textContent;
  const output = [...section('output').querySelectorAll('.s2s-metric-value')]
    .map((v) => v.textContent);
  return {columns, rows, bars, sum, output, title: plot.layout.title.text};
}"""


def shown(page) -> dict:
    return page.evaluate(SHOWN_JS)


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_each_step_shows_the_traces_numbers(
    new_session: Callable[[str], Session], e2e_models: Path, lang: str
) -> None:
    text = strings(lang)
    trace = load_model(MODEL, root=e2e_models).trace(TEXT)
    assert trace.n_steps >= 3
    session = new_session(LOCALES[lang])
    page = session.open("?" + urlencode({"model": MODEL, "text": TEXT, "lang": lang}))
    fed, out = text["step.input_word"].split("$")[0], text["step.output_word"].split("$")[0]
    last = trace.n_steps - 1
    visits = [0, 1, 2, last]
    for t in visits:
        if t:
            ui.step_action(page, lambda t=t: ui.step_slider(page).fill(str(t)))
        assert ui.drawn_step(page) == (t, 0)
        step = trace.steps[t]
        assert ui.step_metric(page, fed) == step.input_token
        assert ui.step_metric(page, out) == step.token
        seen = shown(page)
        assert seen["output"] == [step.token, f"{np.exp(step.logp):.3f}"]
        weight = seen["columns"].index(text["col.weight"])
        score = seen["columns"].index(text["col.score"])
        token = seen["columns"].index(text["col.token"])
        np.testing.assert_allclose([float(r[weight]) for r in seen["rows"]], step.weights, 1e-6)
        np.testing.assert_allclose([float(r[score]) for r in seen["rows"]], step.scores, 1e-6)
        assert [r[token] for r in seen["rows"]] == list(trace.src_tokens)
        drawn = np.zeros(len(trace.src_tokens))
        for bars in seen["bars"]:  # attended and masked positions may be separate bar traces
            drawn[np.asarray(bars["x"], dtype=int)] = bars["y"]
        np.testing.assert_allclose(drawn, step.weights, rtol=1e-5, atol=1e-7)
        _, total = step.softmax_parts()
        assert f"{total:.4f}" in seen["sum"].replace(" ", "")
        assert str(t) in seen["title"]
        assert f"step={t}" in page.url
    assert not ui.exceptions(page) and not session.dialogs
