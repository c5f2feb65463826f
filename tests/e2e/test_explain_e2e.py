"""The "어텐션은 설명인가?" page in real Chromium, in Korean: every attribution method, fooling
one step and the whole sentence, the baselines, and the nearest training sentences (an index
built here for the tiny default model)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import expect

from seq2seq_viz.checkpoints import DEFAULT_MODEL, atomic_write_bytes, load_model
from seq2seq_viz.explain import index as X
from seq2seq_viz.explain.results import METHODS
from seq2seq_viz.i18n import strings
from tests.e2e import ui
from tests.e2e.conftest import Session

pytestmark = pytest.mark.e2e
KO = strings("ko")
PAIRS = [([4, 5, 6, 7], [4, 5, 6]), ([5, 6, 7], [6, 7, 8, 9]), ([4, 7], [5, 4])] * 10


def _tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def test_explain_page_in_korean(new_session: Callable[[str], Session], e2e_models: Path) -> None:
    tr = load_model(DEFAULT_MODEL, root=e2e_models)
    data, _ = X.build(tr, PAIRS, dims=4)
    atomic_write_bytes(X.index_path(e2e_models / DEFAULT_MODEL), data)
    session = new_session("ko-KR")
    page = session.open("explain?text=the+black+cat+is+sleeping+.")
    assert ui.title(page) == KO["explain.title"]
    ui.click(page, "explain_attr_run")
    for method in METHODS:  # each method: its heatmap and its summary line
        label = KO[f"explain.method.{method}"]
        ui.segment(page, "explain_method_ko", label)
        expect(ui.keyed(page, "explain_attr").locator("svg.main-svg").first).to_be_visible()
        assert f"어텐션과 {label}은(는)" in ui.main_text(page)
    session.screenshot("explain-attr-ko")
    _tab(page, KO["explain.tab.fool"])
    ui.click(page, "explain_fool_run")
    expect(ui.keyed(page, "explain_fool_fig").locator("svg.main-svg").first).to_be_visible()
    assert ui.alerts(page, "Success") or ui.alerts(page, "Info")
    ui.click(page, "explain_fool_all")
    assert KO["explain.fool.whole_title"] in ui.main_text(page)
    session.screenshot("explain-fool-ko")
    _tab(page, KO["explain.tab.near"])
    expect(ui.keyed(page, "explain_near_map").locator("svg.main-svg").first).to_be_visible()
    assert KO["explain.col.distance"] in ui.main_text(page)
    session.screenshot("explain-near-ko")
    assert not ui.exceptions(page)


def test_explain_page_refuses_a_500_token_sentence(
    new_session: Callable[[str], Session],
) -> None:
    session = new_session("ko-KR")
    page = session.open("explain?text=" + "+".join(["cat"] * 500))
    warning = KO["explain.too_long_src"].format(n=500, limit=30)
    assert any(warning in w for w in ui.alerts(page, "Warning"))
    assert not ui.exceptions(page)
