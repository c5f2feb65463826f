"""Lesson (수업): the lecture notes' order, one stage per screen, for a lecturer at a projector.

(1) plain seq2seq and its bottleneck, (2) attention score, (3) attention distribution,
(4) attention value = context vector, (5) concatenation and tanh, (6) output softmax,
(7) teacher forcing vs inference, (8) beam search vs greedy, (9) the variants, (10) from RNN
attention to the Transformer (views/lesson_bridge), and last (11), is attention an
explanation? (views/lesson_explain: the lab's three experiments). Every stage shows
the encoder-decoder diagram (figures.lesson, sized from the trace) with its parts lit, and the
real numbers of the current sentence. A presenter's clicker or the keyboard turns the stages
(views/lesson_keys); the sentence box stays on the page. No math here: figures draw the trace.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from seq2seq_viz import figures
from seq2seq_viz.figures.lesson import LESSON_STAGES, lesson_diagram_figure
from seq2seq_viz.figures.vectors import attentional_figure
from seq2seq_viz.i18n import tr
from seq2seq_viz.questions import Question, exercises_for, questions_for
from seq2seq_viz.text import detokenize
from seq2seq_viz.trace import DecodeTrace
from seq2seq_viz.views import (
    lesson_bridge,
    lesson_explain,
    lesson_keys,
    lesson_measured,
    questions_view,
    state,
)
from seq2seq_viz.views.common import (
    chart,
    escape_markdown,
    fetch_trace,
    labels,
    show_test_reference,
    swipe_box,
    tree_box,
)
from seq2seq_viz.views.controls import Controls, current

VARIANTS = ("soft-general", "local-m", "local-p", "hard")
# the prediction each computing stage asks before it shows its numbers (questions.py)
QUESTION_KINDS = {"score": "attention_top", "distribution": "sharper", "output": "next_word"}
# the number each math stage lets the student compute ("your turn", exercises.py)
EXERCISES = {"score": "score", "distribution": "weight", "context": "context",
             "concat": "attn_hidden", "output": "prob"}  # fmt: skip
MEASURED = {"bottleneck": lesson_measured.bottleneck, "variants": lesson_measured.variants,
            "explain": lesson_explain.notes}  # fmt: skip
PENDING = "_lesson_pending"  # the id of the question on screen not yet revealed
# title lines in the right column and across the page, in narrow characters of projector-sized
# type (a laptop's 1366 px leaves the right column about 500 px; plotly never wraps a title)
RIGHT, FULL = 36, 70
# Constant CSS (no user text): type readable from the back of a room at 1920x1080.
LESSON_CSS = """<style>
[data-testid="stMainBlockContainer"] p, [data-testid="stMainBlockContainer"] li,
[data-testid="stMainBlockContainer"] label { font-size: 1.45rem !important; }
[data-testid="stMainBlockContainer"] h2 { font-size: 2.3rem !important; }
[data-testid="stMainBlockContainer"] .stButton button { font-size: 1.35rem; min-height: 3rem; }
[data-testid="stMainBlockContainer"] input { font-size: 1.3rem !important; }
[data-testid="stMainBlockContainer"] td, [data-testid="stMainBlockContainer"] th {
  font-size: 1.3rem; }
</style>"""


def render() -> None:
    c = current()
    st.html(LESSON_CSS)
    _key(lesson_keys.pressed())
    index = int(st.session_state.get("lesson_stage", 0))
    stage = LESSON_STAGES[index]
    _bar(c, index)
    trace = fetch_trace(c)
    if trace is None:
        return
    step = _step_picker(trace, stage)
    left, right = st.columns([1.1, 1.4], gap="large")
    with right:  # first: the question decides whether the numbers may show
        revealed = _asked(_question(trace, stage, step))
        if revealed:
            STAGE_VIEWS[stage](c, trace, step)
    with left:
        fmt = {"S": len(trace.src_tokens)} if stage == "bottleneck" else {}
        st.markdown(tr(f"lesson.{stage}.text", **fmt))
        if revealed:  # its numbers would answer the question
            _exercise(trace, stage, step)
        if stage in MEASURED:
            MEASURED[stage](c)
    if stage == "transformer":  # three columns of formulas: the page's width
        lesson_bridge.formulas(c)
    _diagram(c, trace, stage)  # the page's width: its nine boxes crowd in a column


def _exercise(trace: DecodeTrace, stage: str, step: int) -> None:
    found = exercises_for(trace, step, [EXERCISES[stage]]) if stage in EXERCISES else []
    if found:
        questions_view.exercise(found[0], "lesson_ex")


def _question(trace: DecodeTrace, stage: str, step: int) -> Question | None:
    kind = QUESTION_KINDS.get(stage)
    if kind is None or not questions_view.asking():
        return None
    found = questions_for(trace, kinds=[kind], steps=[step])
    return found[0] if found else None


def _asked(question: Question | None) -> bool:
    """Ask `question` (None: nothing to ask); True once the stage may show its numbers."""
    st.session_state[PENDING] = None
    if question is None:
        return True
    shown = questions_view.ask(question, "lesson_q")
    st.session_state[PENDING] = None if shown else question.id
    return shown


def _key(move: int) -> None:
    """A presenter's key: forward on a question not yet answered reveals it first (the room
    guessed, the next press shows the answer), the press after moves on."""
    pending = st.session_state.get(PENDING)
    if move > 0 and pending:
        questions_view.reveal(pending)
        st.session_state[PENDING] = None
        return
    _turn(move)


def _turn(move: int) -> None:
    index = int(st.session_state.get("lesson_stage", 0)) + move
    st.session_state["lesson_stage"] = min(max(index, 0), len(LESSON_STAGES) - 1)


def _bar(c: Controls, index: int) -> None:
    """Previous / next, the stage's title, and the sentence (changeable without leaving)."""
    prev, title, nxt = st.columns([1, 6, 1], vertical_alignment="center")
    prev.button(tr("lesson.prev"), key="lesson_prev", on_click=_turn, args=(-1,), width="stretch",
                disabled=index == 0)  # fmt: skip
    nxt.button(tr("lesson.next"), key="lesson_next", on_click=_turn, args=(1,), width="stretch",
               type="primary", disabled=index == len(LESSON_STAGES) - 1)  # fmt: skip
    name = LESSON_STAGES[index]
    title.subheader(f"{index + 1} / {len(LESSON_STAGES)} · {tr(f'lesson.{name}.title')}")
    questions_view.toggle(st, "lesson_questions")
    if st.session_state.get("lesson_text") != c.text and not st.session_state.get("_lesson_typed"):
        st.session_state["lesson_text"] = c.text
    st.session_state["_lesson_typed"] = False
    st.text_input(tr("lesson.sentence"), key="lesson_text", on_change=_typed,
                  help=tr("lesson.keys_help"))  # fmt: skip


def _typed() -> None:
    """The lesson's sentence box sets the app's sentence (the sidebar's box follows)."""
    st.session_state["text"] = st.session_state["lesson_text"]
    st.session_state["_lesson_typed"] = True


def _step_picker(trace: DecodeTrace, stage: str) -> int:
    stepped = {"score", "distribution", "context", "concat", "output", "transformer"}
    if stage not in stepped or trace.n_steps < 2:
        return 0
    asking = questions_view.asking()  # the output word would answer the question
    step = st.select_slider(
        tr("lesson.step"),
        options=list(range(trace.n_steps)),
        key="lesson_step",
        format_func=lambda k: str(k) if asking else f"{k}: {trace.steps[k].token}",
    )
    return min(int(step), trace.n_steps - 1)


def _diagram(c: Controls, trace: DecodeTrace, stage: str) -> None:
    S, H = len(trace.src_tokens), int(trace.enc_states.shape[1])
    V = state.model_config(c.model).tgt_vocab_size
    attention = trace.align_name != "none"
    fig = lesson_diagram_figure(stage, S, H, V, attention=attention, labels=labels())
    with swipe_box("lesson_diagram_box", 620):  # a phone: keep its proportions, swipe it
        chart(fig, "lesson_diagram", True, FULL)


def _translation(label: str, trace: DecodeTrace, lang: str) -> None:
    text = detokenize(trace.output_tokens, lang) or tr("output.empty")
    st.markdown(f"**{label}** → {escape_markdown(text)}")


def _bottleneck(c: Controls, trace: DecodeTrace, step: int) -> None:
    lang = state.model_config(c.model).tgt_lang
    if "none" not in state.model_names():
        st.info(tr("lesson.none_missing"))
        return
    plain = fetch_trace(c, model="none", notices=False)
    if plain is None:
        return
    _translation(tr("lesson.none_output"), plain, lang)
    _translation(tr("lesson.attention_output", model=c.model), trace, lang)
    show_test_reference(trace.src_text)
    st.caption(tr("lesson.bottleneck.caption", S=len(plain.src_tokens)))
    chart(figures.encoder_states_figure(plain, labels=labels()), "lesson_none_states", True, RIGHT)


def _figure_view(builder):
    def view(c: Controls, trace: DecodeTrace, step: int) -> None:
        if trace.align_name == "none":
            st.info(tr("lesson.no_attention"))
            return
        chart(builder(trace, step, labels=labels()), f"lesson_{builder.__name__}", True, RIGHT)

    return view


def _teacher(c: Controls, trace: DecodeTrace, step: int) -> None:
    st.text_input(tr("lesson.reference"), key="lesson_reference", help=tr("lesson.reference_help"))
    reference = str(st.session_state.get("lesson_reference") or "").strip()
    forced = fetch_trace(c, reference=reference, notices=False) if reference else None
    rows = {tr("col.step"): [s.t for s in trace.steps],
            tr("lesson.fed_inference"): [s.input_token for s in trace.steps],
            tr("lesson.out_inference"): [s.token for s in trace.steps]}  # fmt: skip
    if forced is not None:
        n = max(forced.n_steps, trace.n_steps)
        pad = lambda xs: xs + [""] * (n - len(xs))  # noqa: E731
        rows = {k: pad(list(v)) for k, v in rows.items()}
        rows[tr("col.step")] = list(range(n))
        rows[tr("lesson.fed_teacher")] = pad([s.input_token for s in forced.steps])
        rows[tr("lesson.top_teacher")] = pad([s.topk_tokens[0] for s in forced.steps])
    st.dataframe(rows, hide_index=True, width="stretch")


def _beam(c: Controls, trace: DecodeTrace, step: int) -> None:
    lang = state.model_config(c.model).tgt_lang
    beam = fetch_trace(c, decode=replace(c.decode, beam_width=5), notices=False)
    if beam is None:
        return
    found = questions_for(beam, kinds=["beam_drop"]) if questions_view.asking() else []
    if not _asked(found[0] if found else None):
        return
    _translation(tr("beam.greedy"), trace, lang)
    _translation(tr("beam.best"), beam, lang)
    steps = max((node.step for node in beam.beam_nodes), default=beam.n_steps)
    with tree_box("lesson_beam_box", steps):
        chart(figures.beam_tree_figure(beam, labels=labels()), "lesson_beam", True, RIGHT)


def _variants(c: Controls, trace: DecodeTrace, step: int) -> None:
    shown = [m for m in VARIANTS if m in state.model_names()]
    if not shown:
        st.info(tr("lesson.variants_missing"))
        return
    columns = st.columns(2)
    for k, name in enumerate(shown):
        other = fetch_trace(c, model=name, notices=False)
        if other is None:
            continue
        with columns[k % 2]:
            st.markdown(f"**{name}** · {tr(f'lesson.variant.{name}')}")
            chart(figures.heatmap_figure(other, labels=labels()), f"lesson_heat_{name}", False)


STAGE_VIEWS = {
    "bottleneck": _bottleneck,
    "score": _figure_view(figures.scores_figure),
    "distribution": _figure_view(figures.weights_figure),
    "context": _figure_view(figures.context_figure),
    "concat": lambda c, trace, step: chart(
        attentional_figure(trace, step, labels=labels()), "lesson_concat", True, RIGHT
    ),
    "output": _figure_view(figures.output_figure),
    "teacher": _teacher,
    "beam": _beam,
    "variants": _variants,
    "transformer": lesson_bridge.view,
    "explain": lesson_explain.view,
}


if __name__ == "__main__":  # run as a page by st.navigation
    render()
