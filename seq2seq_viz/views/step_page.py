"""Step by step (the default page): the sentence's tokens and encoder states, then one decoder
step at a time in the order of the math, and teacher forcing side by side with inference.

The step lives in the URL (``?step=3``) and moving through steps only re-slices the cached trace,
inside a fragment, so the model never reruns and the rest of the page is not redrawn.
In presentation mode one click reveals one stage of the step (scores, softmax, context, ...).
"""

from __future__ import annotations

import streamlit as st

import seq2seq_viz.views.vectors_section as vectors_section
from seq2seq_viz.i18n import t
from seq2seq_viz.trace import DecodeTrace
from seq2seq_viz.views import state, teacher
from seq2seq_viz.views.common import (
    download_trace,
    fetch_trace,
    page_header,
    show,
    show_translation,
)
from seq2seq_viz.views.controls import Controls, current
from seq2seq_viz.views.state import TraceKey
from seq2seq_viz.views.step_sections import decoder_stage, render_stage, stages_for
from seq2seq_viz.views.timing import timed

PLAY_SECONDS = 1.5


def render() -> None:
    c = current()
    page_header("step.title", "step.intro", c)
    reference = teacher.reference_controls(c)
    trace = fetch_trace(c, reference=reference)
    if trace is None:
        return
    key = TraceKey(c.model, c.text, c.decode, reference)
    free = trace if reference is None else fetch_trace(c, notices=False)
    show_translation(free or trace, _tgt_lang(c))  # the model's own translation, not the forced
    if reference is not None:
        teacher.comparison(c, trace)
    if not c.presentation:
        source_section(trace, key)
    _keep_step_in_range(trace, key)
    playing = bool(st.session_state.get("playing"))
    st.fragment(step_view, run_every=PLAY_SECONDS if playing else None)(trace, key, c, playing)
    if not c.presentation:
        vectors_section.render(trace, state.model_config(c.model).bidirectional)
        download_trace(c, c.model, c.decode, "download_step", reference)


def _tgt_lang(c: Controls) -> str:
    return state.model_config(c.model).tgt_lang


def source_section(trace: DecodeTrace, key: TraceKey) -> None:
    """Tokens with their ids (unknown words flagged) beside the encoder states."""
    st.subheader(t("source.title"))
    left, right = st.columns([1.3, 2], gap="medium")
    with left:
        st.caption(t("source.tokens_help"))
        st.dataframe(
            _token_table(trace),
            hide_index=True,
            width="stretch",
            height=min(35 * (len(trace.src_tokens) + 1) + 4, 390),
            column_config={
                t("col.position"): st.column_config.NumberColumn(width="small"),
                t("col.id"): st.column_config.NumberColumn(width="small"),
            },
        )
    with right:
        show("encoder", key, trace=trace)


def _token_table(trace: DecodeTrace) -> dict[str, list]:
    return {
        t("col.position"): list(range(len(trace.src_tokens))),
        t("col.token"): list(trace.src_tokens),
        t("col.id"): [int(i) for i in trace.src_ids],
        t("col.unknown"): [bool(u) for u in trace.src_unknown],
    }


def _keep_step_in_range(trace: DecodeTrace, key: TraceKey) -> None:
    """A new sentence starts at step 0; a step from the URL or an old trace is clamped."""
    last = max(trace.n_steps - 1, 0)
    previous = st.session_state.get("_step_key")
    if previous is not None and previous != key:
        st.session_state["step"], st.session_state["stage"] = 0, 0
        st.session_state["playing"] = False
    st.session_state["_step_key"] = key
    if int(st.session_state.get("step", 0)) > last:
        st.session_state["step"] = last


def step_view(trace: DecodeTrace, key: TraceKey, c: Controls, was_playing: bool) -> None:
    """Step controls and the current step's stages (a fragment: reruns alone)."""
    with timed("step_view"):
        _step_body(trace, key, c, was_playing)


def _step_body(trace: DecodeTrace, key: TraceKey, c: Controls, was_playing: bool) -> None:
    last = trace.n_steps - 1
    if was_playing:
        _advance_play(last)
    stages = stages_for(trace)
    with st.container(key="step_bar"):
        step = _step_controls(last, len(stages) if c.presentation else 1, was_playing)
    decoder_stage(trace, step, state.model_config(c.model).cell)
    if c.presentation:
        stage = min(int(st.session_state.get("stage", 0)), len(stages) - 1)
        st.caption(t("present.stage", n=stage + 1, total=len(stages)))
        render_stage(stages[stage], trace, key, step, True)
    else:
        for stage in stages:
            render_stage(stage, trace, key, step, False)


def _advance_play(last: int) -> None:
    step = int(st.session_state.get("step", 0))
    if step < last:
        st.session_state["step"] = step + 1
    else:
        st.session_state["playing"] = False


def _step_controls(last: int, n_stages: int, was_playing: bool) -> int:
    """Previous / next / play / slider; returns the step to show."""
    if last <= 0:
        st.session_state["step"] = 0
        st.caption(t("step.only_one"))
        return 0
    prev_col, next_col, play_col, slider_col = st.columns(
        [1, 1, 1.2, 5], vertical_alignment="bottom"
    )
    prev_col.button(
        t("step.prev"), key="step_prev", on_click=_move, args=(-1, last, n_stages), width="stretch"
    )
    next_col.button(
        t("step.next"),
        key="step_next",
        on_click=_move,
        args=(1, last, n_stages),
        width="stretch",
        type="primary",
    )
    playing = play_col.toggle(t("step.play"), key="playing", help=t("step.play_help"))
    step = slider_col.slider(t("step.slider"), 0, last, key="step", bind="query-params")
    if playing != was_playing:
        st.rerun(scope="app")  # start or stop the timer, which belongs to the whole page
    return int(step)


def _move(delta: int, last: int, n_stages: int) -> None:
    """Button callback: one step back or forward; in presentation mode (n_stages > 1) one
    stage of a step at a time, running on into the next step."""
    step, stage = int(st.session_state.get("step", 0)), int(st.session_state.get("stage", 0))
    position = step * n_stages + min(stage, n_stages - 1) + delta
    position = min(max(position, 0), (last + 1) * n_stages - 1)
    st.session_state["step"], st.session_state["stage"] = divmod(position, n_stages)


if __name__ == "__main__":  # run as a page by st.navigation
    render()
