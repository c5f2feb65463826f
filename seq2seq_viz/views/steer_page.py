"""Edit the attention: at one decoder step put all the weight on a word, or set the weights
yourself (renormalised), or mask words out of every step; the model recomputes c_t, h~_t and
p(y_t) at that step and decodes on from there. The original and the edited runs side by side.

The URL is the one source of truth for the edit (``edit=STEP:w0,w1,...``, ``mask=i,j``):
widgets write it in their callbacks and every run reads it back through
:func:`~seq2seq_viz.views.steer_params.parse_edit`, so a link reopens the same edit.
"""

from __future__ import annotations

from dataclasses import replace
from hashlib import blake2b

import streamlit as st

from seq2seq_viz import figures
from seq2seq_viz.i18n import tr
from seq2seq_viz.trace import DecodeTrace
from seq2seq_viz.views import state
from seq2seq_viz.views.common import (
    chart,
    escape_markdown,
    fetch_trace,
    labels,
    page_header,
    translation_text,
)
from seq2seq_viz.views.controls import Controls, current
from seq2seq_viz.views.steer_params import Edit, format_edit, format_mask, parse_edit

EDIT, MASK = "edit", "mask"
FORMULA = (
    r"\tilde a_{ti} = \frac{w_i}{\sum_j w_j}\ (i \in M:\ w_i = 0),\quad "
    r"c_t = \sum_i \tilde a_{ti}\, h_i,\quad \tilde h_t = \tanh(W_c[c_t; s_t]),\quad "
    r"p(y_t) = \mathrm{softmax}(W_o \tilde h_t + b_o)"
)


def render() -> None:
    c = current()
    page_header("steer.title", "steer.intro", c)
    if c.model is None:
        return
    align = state.model_config(c.model).align
    if align in ("none", "transformer"):
        st.info(tr("steer.no_attention" if align == "none" else "steer.transformer"))
        return
    base = fetch_trace(c)
    if base is None or not base.steps:
        return
    n_src = len(base.src_tokens)
    edit = parse_edit(st.query_params.get(EDIT), st.query_params.get(MASK), n_src, base.n_steps)
    for message in edit.errors:
        st.warning(message)
    step = _step_control(base, edit)
    _edit_controls(base, step, edit)
    st.latex(FORMULA)
    st.caption(tr("steer.formula_note"))
    edited = _edited_trace(c, edit)
    _side_by_side(c, base, edited, step)


def _step_control(base: DecodeTrace, edit: Edit) -> int:
    key = "steer_step"
    if key not in st.session_state and edit.step is not None:
        st.session_state[key] = edit.step
    if st.session_state.get(key, 0) >= base.n_steps:
        st.session_state[key] = 0
    return st.selectbox(
        tr("steer.step"),
        range(base.n_steps),
        key=key,
        format_func=lambda i: f"{i}: {base.steps[i].token}",
        help=tr("steer.step_help"),
    )


def _edit_controls(base: DecodeTrace, step: int, edit: Edit) -> None:
    words = base.src_tokens
    mode = st.segmented_control(
        tr("steer.mode"),
        ["click", "weights"],
        default="click",
        required=True,
        key="steer_mode",
        format_func=lambda m: tr(f"steer.mode_{m}"),
    )
    if mode == "click":
        st.caption(tr("steer.click_help", t=step))
        with st.container(horizontal=True, gap="small", key="steer_words"):
            for i, word in enumerate(words):
                onehot = [1.0 if j == i else 0.0 for j in range(len(words))]
                st.button(
                    escape_markdown(word), key=f"steer_word_{i}", on_click=_put, args=(step, onehot)
                )
    else:
        _weight_sliders(base, step, edit)
    st.session_state["steer_mask"] = list(edit.masked)
    left, right = st.columns([4, 1], vertical_alignment="bottom")
    left.multiselect(
        tr("steer.mask"),
        range(len(words)),
        key="steer_mask",
        format_func=lambda i: f"{i}: {words[i]}",
        on_change=_put_mask,
        help=tr("steer.mask_help"),
        placeholder=tr("steer.mask_placeholder"),
    )
    right.button(tr("steer.reset"), key="steer_reset", on_click=_reset, width="stretch")


def _weight_sliders(base: DecodeTrace, step: int, edit: Edit) -> None:
    """One slider per source word in a form (no rerun per drag); applying renormalises."""
    start = edit.weights if edit.step == step and edit.weights else base.steps[step].weights
    tag = blake2b(str(st.query_params.get(EDIT, "")).encode(), digest_size=4).hexdigest()
    keys = [f"steer_w_{step}_{i}_{tag}" for i in range(len(base.src_tokens))]
    with st.form("steer_weights", border=True):
        st.caption(tr("steer.weights_help", t=step))
        with st.container(horizontal=True, gap="small"):
            for i, word in enumerate(base.src_tokens):
                st.slider(escape_markdown(word), 0.0, 1.0, float(start[i]), 0.01, key=keys[i])
        st.form_submit_button(tr("steer.apply"), on_click=_apply_sliders, args=(step, keys))


def _apply_sliders(step: int, keys: list[str]) -> None:
    weights = [float(st.session_state[k]) for k in keys]
    if sum(weights) <= 0:
        st.session_state["steer_notice"] = tr("steer.err.all_zero")
        return
    _put(step, weights)


def _put(step: int, weights: list[float]) -> None:
    st.query_params[EDIT] = format_edit(step, weights)


def _put_mask() -> None:
    masked = st.session_state.get("steer_mask") or []
    if masked:
        st.query_params[MASK] = format_mask(masked)
    elif MASK in st.query_params:
        del st.query_params[MASK]


def _reset() -> None:
    for key in (EDIT, MASK):
        if key in st.query_params:
            del st.query_params[key]


def _edited_trace(c: Controls, edit: Edit) -> DecodeTrace | None:
    notice = st.session_state.pop("steer_notice", None)
    if notice:
        st.warning(notice)
    if not edit.active:
        return None
    decode = replace(c.decode, attention_override=edit.override(), masked_positions=edit.masked)
    try:
        return fetch_trace(c, decode=decode, notices=False)
    except ValueError as err:  # the parser checks first; this only guards against surprises
        st.warning(tr("steer.err.refused", error=str(err)))
        return None


def _side_by_side(c: Controls, base: DecodeTrace, edited: DecodeTrace | None, step: int) -> None:
    lang = state.model_config(c.model).tgt_lang
    left, right = st.columns(2, gap="medium")
    with left:
        _run_column(base, step, tr("steer.original"), lang, "orig", c.presentation)
    with right:
        if edited is None:
            st.subheader(tr("steer.edited"))
            st.info(tr("steer.no_edit"))
        else:
            _run_column(edited, step, tr("steer.edited"), lang, "edited", c.presentation)


def _run_column(trace: DecodeTrace, step: int, title: str, lang: str, key: str, big: bool) -> None:
    st.subheader(title)
    text = translation_text(trace, lang) or tr("output.empty")
    st.markdown(f"**{tr('output.translation')}** → {escape_markdown(text)}")
    edited_steps = [s.t for s in trace.steps if s.edited]
    masked = trace.settings.get("masked_positions") or []
    if edited_steps or masked:
        words = ", ".join(trace.src_tokens[i] for i in masked) or "-"
        st.caption(
            tr("steer.edit_summary", steps=", ".join(map(str, edited_steps)) or "-")
            + " · "
            + tr("steer.mask_summary", words=escape_markdown(words))
        )
    highlight = step if step < trace.n_steps else None
    chart(
        figures.heatmap_figure(trace, highlight=highlight, labels=labels()), f"steer_{key}_hm", big
    )
    if highlight is None:
        st.caption(tr("steer.step_missing", t=step))
        return
    chart(figures.output_figure(trace, step, labels=labels()), f"steer_{key}_out", big)


if __name__ == "__main__":  # run as a page by st.navigation
    render()
