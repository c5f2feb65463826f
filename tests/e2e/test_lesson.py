"""The lesson page driven like a lecturer does (a clicker's keys, the sentence box, the last
stage's experiment buttons in Korean), and every page on a phone: nothing scrolls sideways at
390x844 (a wide figure swipes inside its own box)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from seq2seq_viz.checkpoints import DEFAULT_MODEL, atomic_write_bytes, load_model
from seq2seq_viz.explain import index as X
from seq2seq_viz.figures.lesson import LESSON_STAGES
from seq2seq_viz.i18n import strings
from tests.e2e import harness, ui
from tests.e2e.conftest import Session

pytestmark = pytest.mark.e2e
EN, KO = strings("en"), strings("ko")
PAIRS = [([4, 5, 6, 7], [4, 5, 6]), ([5, 6, 7], [6, 7, 8, 9]), ([4, 7], [5, 4])] * 10


def _stage(page, n: int):
    return expect(page.get_by_text(f"{n} / {len(LESSON_STAGES)} ·", exact=False)).to_be_visible()


def test_presenter_keys_turn_the_lesson_and_typing_does_not(session: Session) -> None:
    page = session.open("lesson?lang=en&questions=off")  # keys on questions: test_questions_e2e
    _stage(page, 1)
    for key, n in (("ArrowRight", 2), ("PageDown", 3), ("PageUp", 2), (" ", 3)):
        session.rerun(lambda key=key: page.keyboard.press(key))
        _stage(page, n)
    box = page.get_by_role("textbox", name=EN["lesson.sentence"], exact=True)
    session.rerun(lambda: (box.fill("you are happy ."), box.press("Enter")))
    _stage(page, 3)  # the Space and arrows typed into the box turned nothing
    expect(page.get_by_text("you are happy .", exact=False).first).to_be_visible()
    session.rerun(lambda: page.get_by_role("button", name=EN["lesson.next"]).click())
    _stage(page, 4)
    assert not ui.exceptions(page) and not session.dialogs


def test_the_last_stage_runs_the_explanation_experiments_in_korean(
    new_session: Callable[[str], Session], e2e_models: Path
) -> None:
    tr = load_model(
        DEFAULT_MODEL, root=e2e_models
    )  # the model's neighbour index (as the lab's test)
    atomic_write_bytes(X.index_path(e2e_models / DEFAULT_MODEL), X.build(tr, PAIRS, dims=4)[0])
    session = new_session("ko-KR")
    page = session.open("lesson?questions=off&text=the+black+cat+is+sleeping+.")
    n = len(LESSON_STAGES)
    for _ in range(n - 1):  # the lecturer's clicker to the last stage
        session.rerun(lambda: page.keyboard.press("ArrowRight"))
    _stage(page, n)
    expect(page.get_by_text(KO["lesson.explain.title"]).first).to_be_visible()
    summary = KO["lesson.explain.attr.summary"].split(":")[0]
    assert summary not in ui.main_text(page)  # turning to the stage computed nothing
    ui.click(page, "lesson_explain_attr")
    assert summary in ui.main_text(page)
    expect(ui.keyed(page, "lesson_explain_ig").locator("svg.main-svg").first).to_be_visible()
    page.get_by_role("tab", name=KO["lesson.explain.tab.fool"]).click()
    ui.click(page, "lesson_explain_fool")
    expect(ui.keyed(page, "explain_fool_fig").locator("svg.main-svg").first).to_be_visible()
    assert ui.alerts(page, "Success") or ui.alerts(page, "Info") or ui.alerts(page, "Error")
    page.get_by_role("tab", name=KO["lesson.explain.tab.near"]).click()
    distance = KO["lesson.explain.near.row"].split("(")[1].split(" ")[0]  # "거리"
    expect(page.get_by_text(f"({distance} ", exact=False).first).to_be_visible()
    session.screenshot("lesson-explain-ko")
    assert not ui.exceptions(page) and not session.dialogs


@pytest.mark.parametrize("path", ["", "beam", "lesson"])
def test_a_phone_never_scrolls_sideways(browser: Browser, app: harness.App, path: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        page = harness.prepare_page(context.new_page())
        harness.open_app(page, f"{app.url}/{path}?lang=ko")
        width, inner = page.evaluate("[document.scrollingElement.scrollWidth, innerWidth]")
        assert width <= inner, (path, width, inner)
        main = page.evaluate(
            "() => { const m = document.querySelector('[data-testid=stMain]');"
            " return [m.scrollWidth, m.clientWidth]; }"
        )
        assert main[0] <= main[1], (path, main)
        box = {"beam": "beam_tree_box", "lesson": "lesson_diagram_box"}.get(path)
        if box:  # a figure whose labels crowd when squeezed keeps its width inside its box
            page.locator(f".st-key-{box} .js-plotly-plot").first.wait_for()
            plot, scroll, client = page.evaluate(
                f"() => {{ const b = document.querySelector('.st-key-{box}');"
                " return [b.querySelector('.js-plotly-plot').getBoundingClientRect().width,"
                " b.scrollWidth, b.clientWidth]; }"
            )
            assert plot > 400 and scroll > client, (box, plot, scroll, client)
        assert not ui.exceptions(page)
    finally:
        context.close()
