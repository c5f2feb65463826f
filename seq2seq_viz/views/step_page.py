"""Step by step (the default page): the sentence's tokens and encoder states, then one decoder
step at a time in the order of the math, and teacher forcing side by side with inference.

Every step of the trace goes to the browser at once (views/stepper, sections made by
step_sections.py): Previous / Next / the slider / Play and the keys move through the steps in the
browser, with no server round trip. The step lives in the URL (``?step=3``). In presentation mode
one click (or →, PageDown, Space) reveals one stage of the step (scores, softmax, context, ...).
"""

from __future__ import annotations

import streamlit as st

import seq2seq_viz.views.vectors_section as vectors_section
from seq2seq_viz.config import TransformerConfig
from seq2seq_viz.i18n import tr
from seq2seq_viz.trace import DecodeTrace
from seq2seq_viz.views import questions_view, state, stepper, teacher
from seq2seq_viz.views.common import (
    download_trace,
    fetch_trace,
    page_header,
    show_translation,
)
from seq2seq_viz.views.controls import Controls, current
from seq2seq_viz.views.state import TraceKey
from seq2seq_viz.views.step_sections import book
from seq2seq_viz.views.timing import timed
from seq2seq_viz.views.transformer_sections import transformer_book


def render() -> None:
    c = current()
    page_header("step.title", "step.intro", c)
    reference = teacher.reference_controls(c)
    trace = fetch_trace(c, reference=reference)
    if trace is None:
        return
    key = TraceKey(c.model, c.text, c.decode, reference)
    free = trace if reference is None else fetch_trace(c, notices=False)
    if not (c.presentation and questions_view.asking()):  # the questions ask for its words
        show_translation(free or trace, _tgt_lang(c))  # the model's own translation
    if reference is not None:
        teacher.comparison(c, trace)
    cfg = state.model_config(c.model)
    if isinstance(cfg, TransformerConfig):
        transformer_step_view(trace, key, c, cfg)
    else:
        step_view(trace, key, c)
    if not c.presentation:
        if not isinstance(cfg, TransformerConfig):
            vectors_section.render(trace, cfg.bidirectional)
        download_trace(c, c.model, c.decode, "download_step", reference)


def _tgt_lang(c: Controls) -> str:
    return state.model_config(c.model).tgt_lang


def _initial_step(trace: DecodeTrace, key: TraceKey) -> int:
    """The step to open on: the URL's (clamped), or 0 for a new sentence, model or setting.
    The browser moves the step itself and keeps ``?step=`` up to date, so a rerun (a new
    language, say) and a shared link open on the step shown."""
    previous = st.session_state.get("_step_key")
    st.session_state["_step_key"] = key
    try:
        step = 0 if previous not in (None, key) else int(st.query_params.get("step", 0))
    except ValueError:
        step = 0
    step = min(max(step, 0), max(trace.n_steps - 1, 0))
    st.query_params["step"] = str(step)
    return step


def step_view(trace: DecodeTrace, key: TraceKey, c: Controls) -> None:
    """The source section and every step of the trace, sent once to the browser's step player
    (views/stepper): the page then has no Streamlit chart, so Streamlit's own copy of plotly.js
    (4.7 MB) is not loaded beside the step player's."""
    with timed("step_view"):
        cell = state.model_config(c.model).cell
        step = _initial_step(trace, key)
        ask = c.presentation and questions_view.asking()
        stepper.mount(
            book(trace, key, cell, c.presentation, step, intro=not c.presentation, ask=ask)
        )


def transformer_step_view(
    trace: DecodeTrace, key: TraceKey, c: Controls, cfg: TransformerConfig
) -> None:
    """The Transformer's book for the layer and head chosen above it (a new head redraws the
    book on the server; the steps still move in the browser)."""
    left, right = st.columns(2)
    layer = left.selectbox(
        tr("tstep.layer"),
        range(cfg.dec_layers),
        index=cfg.dec_layers - 1,
        format_func=lambda i: str(i + 1),
        key="step_t_layer",
    )
    head = right.selectbox(
        tr("tstep.head"), range(cfg.heads), format_func=lambda i: str(i + 1), key="step_t_head"
    )
    with timed("step_view"):  # as the RNN's book (bench/bench_app.py reads it)
        step = _initial_step(trace, key)
        book = transformer_book(trace, key, c.presentation, step, not c.presentation, layer, head)
        stepper.mount(book)


if __name__ == "__main__":  # run as a page by st.navigation
    render()
