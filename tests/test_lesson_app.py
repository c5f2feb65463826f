"""The lesson page in Streamlit's AppTest: every stage draws from the current sentence
without an exception, the buttons turn them, and its sentence box sets the app's sentence."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from seq2seq_viz.figures.lesson import LESSON_STAGES
from tests.test_app import APP, EN, TEXT, _ok, models_root  # noqa: F401 (a fixture)


def _title(at) -> str:
    return " ".join(h.value for h in at.subheader)


def test_every_stage_draws_and_the_sentence_box_sets_the_sentence(models_root: Path) -> None:  # noqa: F811
    at = AppTest.from_file(APP, default_timeout=90)  # every stage, a few models each
    at.session_state["text"] = TEXT
    at.session_state["ask_questions"] = (
        False  # every stage's figure at once (questions: their own test)
    )
    at.run()
    at.switch_page("seq2seq_viz/views/lesson_page.py").run()
    _ok(at)
    N = len(LESSON_STAGES)
    assert f"1 / {N} · {EN['lesson.bottleneck.title']}" in _title(at)
    assert any("none" in m.value for m in at.markdown)  # the model without attention speaks
    for n, stage in enumerate(LESSON_STAGES[1:], start=2):
        at.button(key="lesson_next").click().run()
        _ok(at)
        assert f"{n} / {N} · {EN[f'lesson.{stage}.title']}" in _title(at)
        assert at.get("plotly_chart") or stage == "teacher"
    assert at.button(key="lesson_next").disabled
    at.text_input(key="lesson_text").input("you are happy .").run()
    _ok(at)
    assert at.session_state["text"] == "you are happy ."
    at.button(key="lesson_prev").click().run()
    assert f"{N - 1} / {N}" in _title(at)
