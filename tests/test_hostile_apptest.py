"""Hostile and odd sentences through the whole app script (``streamlit.testing.v1.AppTest``).

The same table as the Chromium suite (tests/hostile_inputs.py): no exception on any page, the
notice each case needs, and user text never reaching markdown, LaTeX or HTML unescaped.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from seq2seq_viz.i18n import strings
from tests.hostile_inputs import CASES, Case
from tests.tiny_models import build_models_folder

APP = str(Path(__file__).resolve().parent.parent / "app.py")
EN = strings("en")
PAGES = ("seq2seq_viz/views/beam_page.py", "seq2seq_viz/views/compare_page.py")
# Raw fragments that mean a payload reached a renderer unescaped.
RAW = ("<script", "<img", "](javascript", "$\\frac", "\\begin{align}", "$$x$$", "<b>", "**bold**")
TEXT_ELEMENTS = ("markdown", "caption", "latex", "info", "warning", "error", "success", "html")
# Plotly reads a little HTML in labels: tokens must arrive there as entities.
RAW_IN_CHARTS = ("<script", "<img", "</b", "<a ")


@pytest.fixture(scope="module")
def models_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = build_models_folder(tmp_path_factory.mktemp("hostile-models"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SEQ2SEQ_VIZ_MODELS", str(root))
        yield root


def run_app(text: str, page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.context["locale"] = "en-US"
    at.session_state["text"] = text
    at.session_state["beam_width"] = 3
    at.run()
    if page:
        at.switch_page(page).run()
    return at


def notice_prefix(key: str) -> str:
    """The fixed start of a notice (before its first {field})."""
    return EN[key].split("{")[0]


def rendered_bodies(at: AppTest) -> Iterator[tuple[str, str]]:
    """(kind, text) of every element that renders markdown, LaTeX or HTML, and metrics."""
    for kind in TEXT_ELEMENTS:
        for element in at.get(kind):
            yield kind, str(getattr(element, "value", None) or element.proto)
    for metric in at.metric:
        yield "metric", f"{metric.label} {metric.value}"


def assert_shown_safely(at: AppTest, case: Case) -> None:
    assert not at.exception, [e.value for e in at.exception]
    raw = case.text.strip()
    for kind, body in rendered_bodies(at):
        for fragment in RAW:
            assert fragment not in body, (case.id, kind, body[:200])
        if len(raw) >= 4 and kind != "html":
            assert raw not in body or raw.isalnum(), (case.id, kind, body[:200])
    for chart in at.get("plotly_chart"):
        spec = chart.proto.spec
        assert not [f for f in RAW_IN_CHARTS if f in spec], (case.id, "chart")
    for element in at.markdown:
        if element.proto.allow_html:
            assert raw == "" or raw not in element.value, (case.id, "unsafe html")


def assert_notice(at: AppTest, case: Case) -> None:
    if case.notice is None:
        return
    shown = [e.value for kind in ("info", "warning") for e in at.get(kind)]
    prefix = notice_prefix(case.notice)
    assert any(s.startswith(prefix) for s in shown), (case.id, shown)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_step_page_survives(models_root: Path, case: Case) -> None:
    at = run_app(case.text)
    assert_shown_safely(at, case)
    assert_notice(at, case)


NASTY = [c for c in CASES if c.id in ("script", "latex-align", "500-tokens", "nul-byte", "emoji")]


@pytest.mark.parametrize("page", PAGES, ids=["beam", "compare"])
@pytest.mark.parametrize("case", NASTY, ids=[c.id for c in NASTY])
def test_other_pages_survive(models_root: Path, case: Case, page: str) -> None:
    at = run_app(case.text, page)
    assert_shown_safely(at, case)
