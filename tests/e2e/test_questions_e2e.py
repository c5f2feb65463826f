"""Predict, then reveal, in Chromium and in Korean: the lesson asks before it shows its numbers,
a wrong and a right guess are each judged by the model's own numbers, a presenter's key reveals
before it moves on, an exercise is checked, the lecturer switches questions off; the step page's
presentation mode asks in the browser's step player. Answers are computed here from the same
tiny model (seq2seq_viz.questions), never read from the page."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from seq2seq_viz.checkpoints import load_model
from seq2seq_viz.config import DecodeConfig
from seq2seq_viz.figures.lesson import LESSON_STAGES
from seq2seq_viz.questions import exercises_for, questions_for
from tests.e2e import harness, ui
from tests.e2e.conftest import Session
from tests.tiny_models import DEFAULT_TEXT

pytestmark = pytest.mark.e2e
KO_LOCALE = "ko-KR"
MODEL = "soft-dot"  # the app's default model


@pytest.fixture(scope="module")
def model(e2e_models: Path):
    return load_model(e2e_models / MODEL)


def _trace(model, page):
    """The trace of the sentence on screen (the lesson's box or the sidebar's), computed here."""
    box = page.locator(".st-key-lesson_text input, .st-key-text textarea").first
    text = box.input_value() if box.count() else DEFAULT_TEXT
    return model.trace(text, DecodeConfig())


def _ko():
    from seq2seq_viz.i18n import strings

    return strings("ko")


def _charts(page) -> int:
    return page.locator('[data-testid="stMain"] [data-testid="stPlotlyChart"]').count()


def _stage(page, n: int) -> None:
    expect(page.get_by_text(f"{n} / {len(LESSON_STAGES)} ·", exact=False)).to_be_visible()


def _press(page, key: str) -> None:
    """A presenter's key on the page itself (a focused slider would take PageDown itself)."""
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    harness.rerun(page, lambda: page.keyboard.press(key))


def test_the_lesson_asks_judges_reveals_checks_and_switches_off(new_session, model) -> None:
    KO = _ko()
    session: Session = new_session(KO_LOCALE)
    page = session.open("lesson?lang=ko")
    box = ui.keyed(page, "lesson_text").locator("input")
    harness.rerun(page, lambda: (box.fill(DEFAULT_TEXT), box.press("Enter")))
    trace = model.trace(DEFAULT_TEXT, DecodeConfig())  # 3 steps or more (tiny_models.STEPS)
    ui.click(page, "lesson_next")
    _stage(page, 2)  # the attention score: its question comes before its figure
    q0 = questions_for(trace, kinds=["attention_top"], steps=[0])[0]
    expect(page.get_by_text(KO["q.title"]).first).to_be_visible()
    assert _charts(page) == 1  # the diagram only: the scores wait for the guess
    wrong = (q0.answer + 1) % len(q0.choices)
    ui.click(page, f"lesson_q_choice_{wrong}")
    verdict = ui.alerts(page, "Error")
    assert verdict and verdict[0].startswith("아쉽습니다"), verdict
    assert f"정답: ‘{q0.choices[q0.answer]}’" in verdict[0]
    assert _charts(page) == 2  # revealed: the scores figure
    ui.nudge_slider(page, ui.slider(page, "lesson_step"))  # step 1: a new question
    q1 = questions_for(trace, kinds=["attention_top"], steps=[1])[0]
    assert _charts(page) == 1
    ui.click(page, f"lesson_q_choice_{q1.answer}")
    right = ui.alerts(page, "Success")
    assert right and right[0].startswith("맞았습니다"), right
    assert q1.explain_args["weight"] in right[0]
    ui.nudge_slider(page, ui.slider(page, "lesson_step"))  # step 2: asked again
    assert questions_for(trace, kinds=["attention_top"], steps=[2])
    _press(page, "PageDown")  # a clicker: the first press reveals
    _stage(page, 2)
    assert any(a.startswith("정답:") for a in ui.alerts(page, "Info"))
    assert _charts(page) == 2
    _press(page, "PageDown")  # the second moves on
    _stage(page, 3)
    if questions_for(trace, kinds=["sharper"], steps=[2]):
        ui.click(page, "lesson_q_reveal")
    ex = exercises_for(trace, 2, ["weight"])[0]
    page.get_by_text(KO["ex.title"]).first.click()
    box = ui.keyed(page, f"lesson_ex_{ex.id}_answer").locator("input")
    box.fill(f"{ex.answer:.4f}".replace(".", ","))  # a decimal comma
    harness.rerun(page, lambda: page.get_by_role("button", name=KO["ex.check"]).click())
    checked = ui.alerts(page, "Success")
    assert any(a.startswith("맞았습니다") and ex.prompt_args["tol"] in a for a in checked), checked
    expect(page.get_by_text(ex.work).first).to_be_visible()  # the worked solution
    ui.toggle(page, "lesson_questions")  # the lecturer switches questions off
    ui.click(page, "lesson_prev")
    _stage(page, 2)
    expect(page.get_by_text(KO["q.title"])).to_have_count(0)
    assert _charts(page) == 2
    session.screenshot("lesson-questions-off-ko")
    assert not ui.exceptions(page) and not session.dialogs


def test_presentation_mode_asks_in_the_step_player(new_session, model) -> None:
    session: Session = new_session(KO_LOCALE)
    page = session.open("?lang=ko&present=true")
    trace = _trace(model, page)
    question = page.locator(".s2s-question:visible").first
    expect(question).to_be_visible()
    q0 = questions_for(trace, kinds=["attention_top"], steps=[0])[0]
    assert question.get_attribute("data-question") == q0.id
    expect(page.locator(".s2s-plot:visible")).to_have_count(0)  # no figure before the guess
    question.locator(".s2s-choice").nth(q0.answer).click()
    expect(question.locator(".s2s-right")).to_be_visible()
    expect(question.locator(".s2s-right")).to_contain_text("맞았습니다")
    assert ui.step_action(page, lambda: page.keyboard.press("ArrowRight")) == (0, 1)
    for _ in range(3):  # scores, softmax, context: then the next-word question
        ui.step_action(page, lambda: page.keyboard.press("PageDown"))
    assert ui.drawn_step(page) == (0, 4)
    ask = page.locator(".s2s-question:visible").first
    if questions_for(trace, kinds=["next_word"], steps=[0]):
        page.keyboard.press("PageDown")  # the first press reveals the open question
        expect(ask).to_have_attribute("data-revealed", "shown")
        assert ui.drawn_step(page) == (0, 4)
    assert ui.step_action(page, lambda: page.keyboard.press("PageDown")) == (0, 5)
    assert not ui.exceptions(page) and not session.dialogs
