"""Every page in real headless Chromium: type, step, play, beam tree and a forced word, models
and variants, languages, presentation mode. Assertions are on what the page shows.

Screenshots of every page in both languages go to ``artifacts/screenshots/``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from seq2seq_viz.i18n import strings
from tests.e2e import harness, ui
from tests.e2e.conftest import BROKEN, SHOTS, Session
from tests.tiny_models import DEFAULT_TEXT

pytestmark = pytest.mark.e2e
EN, KO = strings("en"), strings("ko")
PAGES = {"step": "", "beam": "beam", "compare": "compare", "models": "models"}
LOCALES = {"en": "en-US", "ko": "ko-KR"}
TITLES = {"step": "step.title", "beam": "beam.title", "compare": "compare.title"}


def prefix(text: str) -> str:
    """The fixed start of a translated string (before its first {field} or $formula$)."""
    return re.split(r"[{$]", text)[0].strip()


def test_type_a_sentence_and_step_forward_and_back(session: Session) -> None:
    page = session.open()
    assert ui.title(page) == EN["step.title"]
    ui.type_sentence(page, "you are happy .")
    assert "text=you+are+happy" in page.url
    assert EN["output.translation"] in ui.main_text(page)
    assert ui.drawn_step(page) == (0, 0)
    fed_in, output = prefix(EN["step.input_word"]), prefix(EN["step.output_word"])
    assert ui.step_metric(page, fed_in) == "<sos>"
    first_output = ui.step_metric(page, output)
    assert ui.step_click(page, "next") == (1, 0)
    assert "step=1" in page.url and ui.step_slider(page).input_value() == "1"
    assert ui.step_metric(page, fed_in) == first_output, "step 1 is fed step 0's output"
    assert ui.step_click(page, "next")[0] == 2
    assert ui.step_click(page, "prev")[0] == 1
    assert ui.step_action(page, lambda: page.keyboard.press("ArrowRight"))[0] == 2
    for stage in ("stage.scores", "stage.softmax", "stage.context", "stage.output"):
        expect(page.get_by_text(EN[stage])).to_be_visible()
    assert not ui.exceptions(page) and not session.dialogs


def test_play_runs_to_the_last_step_and_stops(session: Session) -> None:
    page = session.open("?" + urlencode({"text": DEFAULT_TEXT}))  # 3+ steps (tiny_models)
    last = int(ui.step_slider(page).get_attribute("max") or 0)
    assert last >= 2
    sent = page.evaluate("window.__sent")
    page.locator(".s2s-play").click()
    page.wait_for_function(
        f"""() => document.querySelector('.s2s-stepper').dataset.drawnStep === '{last}'
              && document.querySelector('.s2s-play').getAttribute('aria-pressed') === 'false'""",
        timeout=harness.TIMEOUT_MS + 2_000 * last,
    )
    assert f"step={last}" in page.url and page.evaluate("window.__sent") == sent


def test_beam_tree_and_forcing_a_word(session: Session) -> None:
    page = session.open("beam")
    assert ui.title(page) == EN["beam.title"]
    width = ui.main_slider(page, EN["decode.beam_width"])
    if ui.slider_value(width) != 1:
        ui.nudge_slider(page, width, "Home")
    assert EN["beam.width_one"] in ui.alerts(page, "Info")
    ui.nudge_slider(page, width)
    ui.nudge_slider(page, width)
    assert ui.slider_value(width) == 3
    assert EN["beam.width_one"] not in ui.alerts(page, "Info")
    tree = ui.keyed(page, "beam_tree")
    expect(tree.locator("g.scatterlayer path.point").first).to_be_attached()
    expect(page.get_by_text(EN["beam.nbest"])).to_be_visible()
    word = ui.choose_first(page, "whatif_word")
    text = ui.main_text(page)
    assert EN["whatif.result"] in text and word
    assert not ui.exceptions(page)
    session.screenshot("beam-forced-en")


def player_notes(page, tone: str) -> list[str]:
    """The step player's notes of one tone (drawn in the browser, not Streamlit alerts)."""
    ui.drawn_step(page)
    return page.locator(f".s2s-note.s2s-{tone}").all_inner_texts()


def test_switching_model_and_variant(session: Session) -> None:
    page = session.open()
    ui.choose(page, "model", "local-p")
    assert "model=local-p" in page.url
    assert any(a.startswith(prefix(EN["note.local-p"])) for a in player_notes(page, "info"))
    ui.choose(page, "model", "hard")
    assert any(a.startswith(prefix(EN["note.hard"])) for a in player_notes(page, "info"))
    ui.choose(page, "model", "none")
    assert any(a.startswith(prefix(EN["note.none"])) for a in player_notes(page, "warning"))
    expect(page.get_by_text(EN["stage.scores"]).filter(visible=True)).to_have_count(0)
    ui.choose(page, "model", BROKEN)
    assert any(BROKEN in e for e in ui.alerts(page, "Error"))
    ui.choose(page, "model", "soft-general")
    assert not ui.alerts(page, "Error")
    expect(page.get_by_text(EN["stage.scores"])).to_be_visible()


def test_compare_page_tabs(session: Session) -> None:
    page = session.open("compare")
    assert ui.title(page) == EN["compare.title"]
    assert any(BROKEN in e for e in ui.alerts(page, "Error")), "the broken model is named"
    charts = {
        "compare.tab_heatmaps": "cmp_heat_soft-general",
        "compare.tab_hard": "cmp_hard",
        "compare.tab_local": "cmp_local_local-p",
        "compare.tab_self": "cmp_self",
        "compare.tab_bleu": "cmp_bleu",
    }
    for tab, key in charts.items():
        page.get_by_role("tab", name=EN[tab]).click()
        expect(ui.keyed(page, key).locator("svg.main-svg").first).to_be_visible()
    page.get_by_role("tab", name=EN["compare.tab_none"]).click()
    expect(page.get_by_text(prefix(EN["compare.none_explain"]))).to_be_visible()
    ui.nudge_slider(page, ui.slider(page, "cmp_step"))
    assert ui.slider_value(ui.slider(page, "cmp_step")) == 1
    assert not ui.exceptions(page)


def test_models_page_cards(session: Session) -> None:
    page = session.open("models")
    headings = page.locator("h3").all_inner_texts()
    for name in ("soft-general", "none", "local-m", "local-p", "hard", "self-attn"):
        assert any(name in h for h in headings), (name, headings)
    assert any(BROKEN in e for e in ui.alerts(page, "Error"))


def test_switching_language(session: Session) -> None:
    page = session.open()
    ui.segment(page, "lang", "한국어")
    assert ui.title(page) == KO["step.title"]
    expect(page.get_by_role("link", name=KO["nav.beam"])).to_be_visible()
    ui.segment(page, "lang", "English")
    assert ui.title(page) == EN["step.title"]


def test_language_survives_in_a_link(session: Session) -> None:
    page = session.open()
    ui.segment(page, "lang", "한국어")
    session.open(page.url.split("/", 3)[3])
    assert ui.title(page) == KO["step.title"], page.url


def test_korean_browser_gets_korean(new_session: Callable[[str], Session]) -> None:
    page = new_session("ko-KR").open()
    assert ui.title(page) == KO["step.title"]
    expect(page.get_by_role("link", name=KO["nav.compare"])).to_be_visible()


def test_navigation_links(session: Session) -> None:
    page = session.open()
    harness.rerun(page, page.get_by_role("link", name=EN["nav.beam"]).click)
    assert ui.title(page) == EN["beam.title"] and "/beam" in page.url
    harness.rerun(page, page.get_by_role("link", name=EN["nav.compare"]).click)
    assert ui.title(page) == EN["compare.title"]


def test_presentation_mode(session: Session) -> None:
    page = session.open("?questions=off")  # the five stages (questions: test_questions_e2e)
    ui.toggle(page, "present")
    assert "present=true" in page.url
    harness.wait_charts(page)
    expect(page.locator('[data-testid="stSidebar"]')).to_be_hidden()
    stage = prefix(EN["present.stage"].replace("{n}", "1").replace("{total}", "5"))
    expect(page.get_by_text(stage, exact=False)).to_be_visible()
    assert ui.step_click(page, "next") == (0, 1)
    expect(page.get_by_text(EN["stage.softmax"])).to_be_visible()
    expect(page.get_by_text(EN["stage.scores"])).to_be_hidden()
    keys = ["PageDown", " ", "ArrowRight", "PageDown"]  # a presenter's remote, Space, arrows
    for key in keys:
        ui.step_action(page, lambda key=key: page.keyboard.press(key))
    assert ui.drawn_step(page) == (1, 0), "five stages, then the next step"
    assert ui.step_action(page, lambda: page.keyboard.press("PageUp")) == (0, 4)
    session.screenshot("presentation-en")
    ui.click(page, "exit_present")
    expect(page.locator('[data-testid="stSidebar"]')).to_be_visible()


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("name", list(PAGES))
def test_screenshot_every_page(new_session: Callable[[str], Session], name: str, lang: str) -> None:
    session = new_session(LOCALES[lang])
    page = session.open(PAGES[name])
    if name in TITLES:
        assert ui.title(page) == strings(lang)[TITLES[name]]
    assert not ui.exceptions(page)
    path = session.screenshot(f"{name}-{lang}")
    assert path.stat().st_size > 10_000 and path.parent == SHOTS


def test_a_link_with_a_step_reopens_that_step(session: Session) -> None:
    page = session.open(
        "?"
        + urlencode({"step": 2, "model": "soft-general", "text": "the cat sleeps on the red mat ."})
    )
    assert ui.drawn_step(page)[0] == 2
    assert ui.step_click(page, "next")[0] == 3 and "step=3" in page.url
    page.reload()  # the step the browser moved to is in the URL: a reload reopens it
    page.wait_for_selector('.s2s-stepper[data-drawn-step="3"]')


@pytest.mark.parametrize("text", [("the cat sleeps . " * 7).strip(), "<b>x</b> $\\frac{a}{b}$"])
def test_nothing_scrolls_sideways(session: Session, text: str) -> None:
    """28 tokens (more than the 25 the layout must fit) or markup: the main column never
    scrolls sideways."""
    page = session.open("?" + urlencode({"text": text}))
    widths = page.evaluate(
        "() => { const m = document.querySelector('[data-testid=stMain]');"
        " return [m.scrollWidth, m.clientWidth]; }"
    )
    assert widths[0] <= widths[1], widths
    assert not ui.exceptions(page) and not session.dialogs
