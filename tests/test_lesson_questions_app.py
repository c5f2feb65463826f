"""Predict, then reveal, in the lesson (AppTest): a computing stage asks before it shows its
numbers, a wrong and a right guess are each judged by the model's own numbers, and the
lecturer's switch turns the questions off."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from seq2seq_viz.checkpoints import load_model
from seq2seq_viz.config import DecodeConfig
from seq2seq_viz.i18n import set_language, tr
from seq2seq_viz.questions import exercises_for, questions_for
from seq2seq_viz.views.safe import escape_markdown
from tests.test_app import APP, EN, TEXT, _ok, models_root  # noqa: F401 (a fixture)

PAGE = "seq2seq_viz/views/lesson_page.py"


def _open_stage(n: int) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["text"] = TEXT
    at.run()
    at.switch_page(PAGE).run()
    for _ in range(n - 1):
        at.button(key="lesson_next").click().run()
    _ok(at)
    return at


def _question(models_root: Path, model: str, kind: str, step: int):  # noqa: F811
    trace = load_model(models_root / model).trace(TEXT, DecodeConfig())
    return questions_for(trace, kinds=[kind], steps=[step])[0]


def _charts(at: AppTest) -> int:
    return len(at.get("plotly_chart"))


def test_a_stage_asks_then_judges_a_wrong_and_a_right_guess(models_root: Path) -> None:  # noqa: F811
    at = _open_stage(2)  # the attention score
    model = at.session_state["model"]
    q = _question(models_root, model, "attention_top", 0)
    assert any(EN["q.title"] in m.value for m in at.markdown)
    assert _charts(at) == 1  # only the diagram: the scores wait for the guess
    wrong = (q.answer + 1) % len(q.choices)
    at.button(key=f"lesson_q_choice_{wrong}").click().run()
    _ok(at)
    assert at.error and EN["q.wrong"].split(":")[0] in at.error[0].value
    assert _charts(at) == 2  # revealed: the scores figure is drawn
    at.select_slider(key="lesson_step").set_value(1).run()  # the next step asks again
    q1 = _question(models_root, model, "attention_top", 1)
    at.button(key=f"lesson_q_choice_{q1.answer}").click().run()
    _ok(at)
    assert at.success and EN["q.right"].split("!")[0] in at.success[0].value
    set_language("en")
    assert escape_markdown(q1.explanation(tr)) in at.success[0].value  # the reason, numbers and all
    assert _charts(at) == 2


def test_the_switch_turns_questions_off_and_reveal_shows_the_answer(models_root: Path) -> None:  # noqa: F811
    at = _open_stage(6)  # the output softmax
    assert _charts(at) == 1
    at.button(key="lesson_q_reveal").click().run()
    _ok(at)
    assert at.info and _charts(at) == 2
    at.select_slider(key="lesson_step").set_value(1).run()
    assert _charts(at) == 1  # a new step: a new question
    at.toggle(key="lesson_questions").set_value(False).run()
    _ok(at)
    assert not any(EN["q.title"] in m.value for m in at.markdown)
    assert _charts(at) == 2


def test_an_exercise_is_checked_and_hostile_answers_get_a_message(models_root: Path) -> None:  # noqa: F811
    at = _open_stage(3)  # the attention distribution: compute a softmax weight
    at.toggle(key="lesson_questions").set_value(False).run()
    model = at.session_state["model"]
    trace = load_model(models_root / model).trace(TEXT, DecodeConfig())
    ex = exercises_for(trace, 0, ["weight"])[0]
    box = f"lesson_ex_{ex.id}_answer"
    for text, key in (("abc", "ex.err.not_number"), ("9" * 10_000, "ex.err.too_long"),
                      ("nan", "ex.err.not_finite")):  # fmt: skip
        at.text_input(key=box).input(text)
        _submit(at)
        _ok(at)
        assert at.info and at.info[-1].value == EN[key].format(max=40), text
    at.text_input(key=box).input(f"{ex.answer:.4f}".replace(".", ","))  # a decimal comma
    _submit(at)
    _ok(at)
    assert at.success and at.success[-1].value.startswith(EN["ex.right"].split(":")[0])
    assert any(ex.work == c.value for c in at.code)  # the worked solution
    at.text_input(key=box).input(f"{ex.answer + 0.5:.4f}")
    _submit(at)
    assert at.error and at.error[-1].value.startswith(EN["ex.wrong"].split(":")[0])


def _submit(at: AppTest) -> None:
    buttons = [b for b in at.get("form_submit_button")]
    assert len(buttons) == 1
    buttons[0].click().run()
