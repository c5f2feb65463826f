"""Predict, then reveal (Streamlit): show one question of seq2seq_viz.questions, take a click,
and reveal the answer with the model's numbers and the reason. No math here: the question
carries its answer, its numbers and its explanation (made from the trace).

State per session: which questions were revealed and what was chosen (by question id, which
names the step, the sentence and the model), and the lecturer's switch (``ask_questions``).
"""

from __future__ import annotations

import streamlit as st

from seq2seq_viz.i18n import tr
from seq2seq_viz.questions import Exercise, Question, check, check_answer
from seq2seq_viz.views.safe import escape_markdown

ASK = "ask_questions"  # the lecturer's switch, shared by the lesson and the presentation mode
ANSWERS = "question_answers"  # question id -> chosen index (-1: revealed without a guess)
COLUMNS = 4  # choice buttons per row
TRIED = "exercise_answers"  # exercise id -> the answer last checked


def asking() -> bool:
    """Whether to ask (default on; a link with ``?questions=off`` opens with them off)."""
    if ASK not in st.session_state:
        st.session_state[ASK] = st.query_params.get("questions") != "off"
    return bool(st.session_state[ASK])


def toggle(container, key: str) -> None:
    """The switch that turns questions on and off (one setting, whichever page shows it)."""
    container.toggle(
        tr("q.toggle"),
        value=asking(),
        key=key,
        on_change=_sync,
        args=(key,),
        help=tr("q.toggle_help"),
    )


def _sync(key: str) -> None:
    st.session_state[ASK] = on = bool(st.session_state[key])
    if on:
        st.query_params.pop("questions", None)
    else:
        st.query_params["questions"] = "off"


def _answers() -> dict[str, int]:
    return st.session_state.setdefault(ANSWERS, {})


def revealed(question: Question) -> bool:
    return question.id in _answers()


def reveal(question_id: str) -> None:
    """Reveal without a guess (the Reveal button, a presenter's key)."""
    _answers().setdefault(question_id, -1)


def _choose(question_id: str, index: int) -> None:
    _answers()[question_id] = index


def ask(question: Question, key: str) -> bool:
    """Show `question`; True once it is revealed (then the page shows its numbers)."""
    with st.container(border=True, key=f"{key}_box"):
        st.markdown(f"**{tr('q.title')}** · {escape_markdown(question.prompt(tr))}")
        labels = question.labels(tr)
        if not revealed(question):
            _choices(question, labels, key)
            return False
        _verdict(question, labels)
    return True


def _choices(question: Question, labels: list[str], key: str) -> None:
    for start in range(0, len(labels), COLUMNS):
        columns = st.columns(COLUMNS)
        for k, label in enumerate(labels[start : start + COLUMNS]):
            i = start + k
            columns[k].button(
                escape_markdown(label),
                key=f"{key}_choice_{i}",
                on_click=_choose,
                args=(question.id, i),
                width="stretch",
            )
    st.button(
        tr("q.reveal"), key=f"{key}_reveal", on_click=reveal, args=(question.id,), type="tertiary"
    )


def _verdict(question: Question, labels: list[str]) -> None:
    chosen = _answers()[question.id]
    answer = escape_markdown(labels[question.answer])
    reason = escape_markdown(question.explanation(tr))
    if chosen < 0:
        st.info(f"{tr('q.revealed', answer=answer)}  \n{reason}")
    elif check(question, chosen):
        st.success(f"{tr('q.right', choice=answer)}  \n{reason}")
    else:
        choice = escape_markdown(labels[chosen])
        st.error(f"{tr('q.wrong', choice=choice, answer=answer)}  \n{reason}")
    if question.values:
        rows = {tr("q.choice"): labels, tr(question.value_key): list(question.values)}
        if question.kind == "sharper":
            rows = {tr("q.choice"): [f"a_{question.step}", f"a_{question.step - 1}"],
                    tr(question.value_key): list(question.values)}  # fmt: skip
        number = st.column_config.NumberColumn(format="%.4f")
        st.dataframe(
            rows, hide_index=True, width="stretch", column_config={tr(question.value_key): number}
        )


def exercise(ex: Exercise, key: str) -> None:
    """ "Your turn": the numbers, an answer box, the verdict and the worked solution. The numbers
    and labels are shown in a code block (literal: labels may hold the user's words). Widget
    keys name the exercise (step, sentence, model): another one starts with an empty box."""
    key = f"{key}_{ex.id}"
    with st.expander(tr("ex.title"), expanded=ex.id in st.session_state.get(TRIED, {})):
        st.markdown(escape_markdown(tr(ex.prompt_key, **ex.prompt_args)))
        st.caption(tr("ex.givens"))
        st.code(_givens(ex), language=None, wrap_lines=True)
        with st.form(f"{key}_form", border=False):
            text = st.text_input(tr("ex.answer"), key=f"{key}_answer")
            if st.form_submit_button(tr("ex.check")):
                st.session_state.setdefault(TRIED, {})[ex.id] = text
        tried = st.session_state.get(TRIED, {})
        if ex.id not in tried:
            return
        verdict = check_answer(ex, tried[ex.id])
        message = tr(verdict.key, **verdict.args)
        (st.info if verdict.ok is None else st.success if verdict.ok else st.error)(message)
        if verdict.ok is not None:
            st.caption(tr("ex.solution"))
            st.code(ex.work, language=None, wrap_lines=True)
            st.caption(tr("ex.model_value", value=f"{ex.model_value:.4f}"))


def _givens(ex: Exercise) -> str:
    return "\n".join(
        f"{label} = " + ", ".join(f"{v:.4f}" for v in values) for label, values in ex.givens
    )
