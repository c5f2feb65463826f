"""The lesson page driven like a lecturer does (a clicker's keys, the sentence box), and every
page on a phone: nothing scrolls sideways at 390x844 (a wide figure swipes inside its own box)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from seq2seq_viz.figures.lesson import LESSON_STAGES
from seq2seq_viz.i18n import strings
from tests.e2e import harness, ui
from tests.e2e.conftest import Session

pytestmark = pytest.mark.e2e
EN = strings("en")


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
