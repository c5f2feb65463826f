"""Every vector of one decoder step (an expander of the step page): s_0 from the bridge and
h~_0 = 0, s_t beside h_i with the element-wise terms that sum to e_i, [c_t ; s_t] -> h~_t, and,
for a model of hidden size <= 8, every sum written out for a calculator.

It has its own step and source-word pickers (the step player above runs in the browser).
The numbers are the trace's (seq2seq_viz.vectors slices them); nothing is recomputed here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from seq2seq_viz.figures.vectors import attentional_figure, initial_figure, score_terms_figure
from seq2seq_viz.i18n import tr
from seq2seq_viz.questions import trace_digest
from seq2seq_viz.trace import DecodeTrace
from seq2seq_viz.vectors import BY_HAND_MAX_H, by_hand_lines, product_label, score_terms
from seq2seq_viz.views.common import chart, labels

if TYPE_CHECKING:
    import pandas as pd

FIRST_DIMS = 8  # long vectors: the first dimensions as numbers under the strip


def render(trace: DecodeTrace, bidirectional: bool, big: bool = False) -> None:
    """The expander; collapsed unless the model is small enough to follow by hand. Its content
    is made and sent only while it is open (opening it reruns the page): closed, it costs the
    first page nothing."""
    if not trace.steps or not trace.vectors:
        return
    H = int(np.asarray(trace.enc_states).shape[1])
    small = H <= BY_HAND_MAX_H
    # the key names the default, so a model of the other size opens (or not) by its own rule
    box = st.expander(
        tr("vectors.title"), expanded=small, key=f"vectors_open_{int(small)}", on_change="rerun"
    )
    with box:
        if box.open is False:
            return
        st.caption(tr("vectors.intro"))
        _start(trace, bidirectional, big)
        t, i = _pickers(trace)
        if trace.align_name != "none":
            _score(trace, t, i, big)
        _attentional(trace, t, big)
        if small:
            st.markdown(f"**{tr('vectors.by_hand')}**")
            st.caption(tr("vectors.by_hand_help"))
            st.code("\n".join(by_hand_lines(trace, trace.steps[t])), language=None, wrap_lines=True)


KEPT = "_vectors_kept"  # the pickers' last values (a closed box's widgets are not kept)


def _pickers(trace: DecodeTrace) -> tuple[int, int]:
    """The step and source-word pickers; closing and opening the box again keeps their values."""
    kept = st.session_state.get(KEPT, {})
    left, right = st.columns(2)
    t = left.selectbox(
        tr("vectors.step"),
        range(trace.n_steps),
        index=min(kept.get("vectors_step", 0), trace.n_steps - 1),
        key="vectors_step",
        format_func=lambda k: f"{k}: {trace.steps[k].token}",
    )
    t = min(int(t or 0), trace.n_steps - 1)
    best = int(np.argmax(trace.steps[t].weights))
    # the key names the sentence and model too: another sentence opens on its own best word
    source_key = f"vectors_source_{trace_digest(trace)}_{t}"
    i = right.selectbox(
        tr("vectors.source"),
        range(len(trace.src_tokens)),
        index=kept.get(source_key, best),
        key=source_key,
        format_func=lambda k: f"{k}: {trace.src_tokens[k]}",
        help=tr("vectors.source_help"),
    )
    st.session_state[KEPT] = {"vectors_step": t, source_key: int(i)}
    return t, int(i)


def _start(trace: DecodeTrace, bidirectional: bool, big: bool) -> None:
    st.markdown(f"**{tr('vectors.start')}**")
    st.caption(tr("vectors.start_bi" if bidirectional else "vectors.start_uni"))
    chart(initial_figure(trace, labels=labels()), "vectors_start", big)


def _score(trace: DecodeTrace, t: int, i: int, big: bool) -> None:
    terms = score_terms(trace, trace.steps[t], i)
    st.markdown(f"**{tr('vectors.score')}**")
    st.caption(tr(f"vectors.score_{trace.score_name}"))
    chart(score_terms_figure(trace, t, i, terms, labels=labels()), "vectors_score", big)
    a, b = st.columns(2)
    a.metric(tr("vectors.sum"), f"{terms.total:.4f}")
    b.metric(tr("vectors.model_score"), f"{terms.score:.4f}")
    rows = [*terms.rows, (product_label(trace.score_name), terms.products)]
    if len(terms.products) > FIRST_DIMS:
        st.caption(tr("vectors.first_dims", n=FIRST_DIMS, total=len(terms.products)))
        st.dataframe(_first_dims(rows), width="stretch")


def _attentional(trace: DecodeTrace, t: int, big: bool) -> None:
    st.markdown(f"**{tr('vectors.attn')}**")
    st.caption(tr("vectors.attn_help"))
    chart(attentional_figure(trace, t, labels=labels()), "vectors_attn", big)


def _first_dims(rows: list[tuple[str, np.ndarray]]) -> pd.DataFrame:
    """Rows = vectors, columns k = 0..FIRST_DIMS-1 (3 decimals). (pandas is imported here, only
    when the box is open: the first page does not wait for its import.)"""
    import pandas as pd

    data = {name: np.round(np.asarray(vec[:FIRST_DIMS], dtype=np.float64), 3) for name, vec in rows}
    columns = [f"k={k}" for k in range(FIRST_DIMS)]
    return pd.DataFrame.from_dict(data, orient="index", columns=columns)
