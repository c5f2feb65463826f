"""The lesson's stage "RNN 어텐션에서 트랜스포머로": one decoder step of an RNN with attention and
of the Transformer, side by side, on the same sentence and at the same word.

The Transformer is decoded with the RNN's translation forced as its prefix (bridge.py), so at step
t both decoders have read the same words. Numbers come from the two traces (bridge.compare_step);
figures from figures.transformer. No math here.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from seq2seq_viz import bridge
from seq2seq_viz.figures.transformer import (
    bridge_weights_figure,
    head_grid_figure,
    masked_self_figure,
    positions_figure,
)
from seq2seq_viz.i18n import tr
from seq2seq_viz.trace import DecodeTrace
from seq2seq_viz.views import state
from seq2seq_viz.views.common import chart, escape_markdown, fetch_trace, labels
from seq2seq_viz.views.controls import Controls
from seq2seq_viz.views.step_sections import SCORE_LATEX

TRANSFORMER = "transformer"
RNN = "soft-dot"  # its score s_t . h_i is the one q . k / sqrt(d_k) grew from
RIGHT = 36  # title characters in the right column (as lesson_page.RIGHT)


def rnn_model(c: Controls) -> str | None:
    """The RNN beside the Transformer: the sidebar's model when it is an RNN with global soft
    attention translating the same languages, else soft-dot, else the first such model (None
    when there is none or no Transformer)."""
    names = state.model_names()
    if TRANSFORMER not in names:
        return None
    try:
        langs = _langs(state.model_config(TRANSFORMER))
    except state.CheckpointError:
        return None
    for name in (c.model, RNN, *names):
        if name in names and _is_global_rnn(name, langs):
            return name
    return None


def _langs(cfg) -> tuple[str, str]:
    return (cfg.src_lang, cfg.tgt_lang)


def _is_global_rnn(name: str, langs: tuple[str, str]) -> bool:
    """An RNN whose a_t = softmax(e_t) (as the table says), on the Transformer's languages."""
    try:
        cfg = state.model_config(name)
    except state.CheckpointError:
        return False
    return getattr(cfg, "align", "none") == "global" and _langs(cfg) == langs


def text_numbers(c: Controls) -> dict[str, object]:
    """The numbers the stage's text names (the shipped models' own sizes); {} without them."""
    name = rnn_model(c)
    if TRANSFORMER not in state.model_names() or name is None:
        return {}
    try:
        t, r = state.model_config(TRANSFORMER), state.model_config(name)
    except state.CheckpointError:
        return {}
    return {"L": t.dec_layers, "n": t.heads, "D": t.d_model, "dk": t.d_model // t.heads,
            "H": r.hidden_dim, "rnn": name, "score": r.score}  # fmt: skip


def formulas(c: Controls) -> None:
    """The stage's side-by-side table of formulas, with the shipped models' own sizes (the
    RNN's score formula is the one its code computes: step_sections.SCORE_LATEX)."""
    numbers = text_numbers(c)
    if numbers:
        score = SCORE_LATEX[str(numbers.pop("score"))]
        n_att = int(numbers["L"]) * int(numbers["n"])  # type: ignore[call-overload]
        st.markdown(tr("lesson.transformer.table", score=score, Ln=n_att, **numbers))


def view(c: Controls, trace: DecodeTrace, step: int) -> None:
    """The right column: both models at step `step` of the RNN's translation."""
    if TRANSFORMER not in state.model_names():
        st.info(tr("lesson.transformer_missing"))
        return
    name = rnn_model(c)
    if name is None:
        st.info(tr("lesson.transformer_no_rnn"))
        return
    rnn = trace if name == c.model else fetch_trace(c, model=name, notices=False)
    if rnn is None:
        return
    forced = tuple(s.token for s in rnn.steps if s.token != "<eos>")
    other = fetch_trace(c, model=TRANSFORMER, prefix=forced, notices=False)
    if other is None:
        return
    t = min(step, rnn.n_steps - 1, other.n_steps - 1)
    L, n, _ = bridge.shape(other)
    pick_layer, pick_head = st.columns(2)
    one_based = {"format_func": lambda i: str(i + 1)}
    layer = pick_layer.selectbox(tr("tstep.layer"), list(range(L)), index=L - 1,
                                 key="lesson_t_layer", **one_based)  # fmt: skip
    head = pick_head.selectbox(tr("tstep.head"), list(range(n)), key="lesson_t_head", **one_based)
    try:
        b = bridge.compare_step(rnn, other, t, layer=int(layer), head=int(head))
    except ValueError:  # the two read the source differently (e.g. cut at another length)
        st.info(tr("lesson.transformer.mismatch", rnn=name))
        return
    lh = tr("lesson.transformer.lh", layer=b.layer + 1, head=b.head + 1)
    word = escape_markdown(b.input_token)
    st.caption(tr("lesson.transformer.forced", rnn=name, word=word, t=t, lh=lh))
    st.dataframe(_table(b), hide_index=True, width="stretch")
    _sums(b, name)
    chart(bridge_weights_figure(b, name, labels=labels()), "lesson_bridge_weights", True, RIGHT)
    closest = bridge.head_agreement(rnn, other, t)
    i, h = np.unravel_index(int(np.argmin(closest)), closest.shape)
    st.caption(tr("lesson.transformer.closest", layer=int(i) + 1, head=int(h) + 1,
                  tv=float(closest[i, h]), rnn=name))  # fmt: skip
    with st.expander(tr("lesson.transformer.heads"), expanded=False):
        chart(head_grid_figure(other, t, labels=labels()), "lesson_bridge_grid", True, RIGHT)
    with st.expander(tr("lesson.transformer.mask"), expanded=False):
        st.caption(tr("lesson.transformer.mask_caption"))
        chart(masked_self_figure(other, int(layer), labels=labels()), "lesson_bridge_mask", True,
              RIGHT)  # fmt: skip
    with st.expander(tr("lesson.transformer.positions"), expanded=False):
        D = int(state.model_config(TRANSFORMER).d_model)
        chart(positions_figure(len(other.src_tokens) + 1, D, labels=labels()),
              "lesson_bridge_positions", True, RIGHT)  # fmt: skip


def _table(b: bridge.BridgeStep) -> dict[str, list]:
    return {
        tr("lesson.transformer.col_source"): [str(tok) for tok in b.src_tokens],
        tr("lesson.transformer.col_rnn_score"): [_num(v) for v in b.rnn_scores],
        tr("lesson.transformer.col_rnn_weight"): [_num(v) for v in b.rnn_weights],
        tr("lesson.transformer.col_t_score"): [_num(v) for v in b.scores],
        tr("lesson.transformer.col_t_weight"): [_num(v) for v in b.weights],
    }


def _num(v: float) -> str:
    return "−∞" if np.isneginf(v) else f"{v:.3f}"


def _sums(b: bridge.BridgeStep, name: str) -> None:
    """The two weighted sums and each model's next word."""
    st.markdown(tr("lesson.transformer.rnn_sum", rnn=name, H=b.rnn_context.size,
                     norm=float(np.linalg.norm(b.rnn_context)),
                     word=escape_markdown(b.rnn_token)))  # fmt: skip
    st.markdown(tr("lesson.transformer.t_sum", dk=b.d_k,
                      norm=float(np.linalg.norm(b.head_output)),
                      word=escape_markdown(b.transformer_token)))  # fmt: skip
