"""Teacher forcing: in training the decoder is fed the reference's previous word; at inference
it is fed its own previous output. The switch, the reference box and the side-by-side table."""

from __future__ import annotations

import streamlit as st

from seq2seq_viz.i18n import tr
from seq2seq_viz.trace import DecodeTrace
from seq2seq_viz.views import state
from seq2seq_viz.views.controls import Controls


def reference_controls(c: Controls) -> str | None:
    """The reference translation when teacher forcing is on (and not empty), else None."""
    if c.presentation and not st.session_state.get("teacher"):
        return None
    left, right = st.columns([1.5, 3], vertical_alignment="bottom")
    on = left.toggle(
        tr("teacher.switch"), key="teacher", persist_state="session", help=tr("teacher.switch_help")
    )
    if not on:
        return None
    reference = right.text_input(
        tr("teacher.reference"),
        key="reference",
        persist_state="session",
        placeholder=tr("teacher.placeholder"),
    )
    if not reference.strip():
        st.info(tr("teacher.need_reference"))
        return None
    return reference


def comparison(c: Controls, forced: DecodeTrace) -> None:
    """Per step: what training feeds (the reference) next to what inference feeds (its own
    previous output), with what the model predicts in each case."""
    st.subheader(tr("teacher.title"))
    st.markdown(tr("teacher.explain"))
    try:
        free = state.get_trace(state.TraceKey(c.model, c.text, c.decode))
    except (state.CheckpointError, state.EmptyInputError):
        return
    st.dataframe(comparison_table(forced, free), hide_index=True, width="stretch")


def comparison_table(forced: DecodeTrace, free: DecodeTrace) -> dict[str, list]:
    """Columns of the side-by-side table (rows padded where one run is longer)."""
    n = max(forced.n_steps, free.n_steps)

    def column(trace: DecodeTrace, field: str) -> list[str]:
        values = [str(getattr(s, field)) for s in trace.steps]
        return values + [""] * (n - len(values))

    predicted = [s.topk_tokens[0] if s.topk_tokens else "" for s in forced.steps]
    return {
        tr("col.step"): list(range(n)),
        tr("teacher.col_train_in"): column(forced, "input_token"),
        tr("teacher.col_train_pred"): predicted + [""] * (n - len(predicted)),
        tr("teacher.col_train_target"): column(forced, "token"),
        tr("teacher.col_infer_in"): column(free, "input_token"),
        tr("teacher.col_infer_out"): column(free, "token"),
    }
