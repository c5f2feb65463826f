"""The five stages of one decoder step, in the order of the math, each with its formula and the
real numbers of the trace: (a) scores, (b) softmax, (c) context, (d) output, (e) the heatmap.

Formulas are constant LaTeX (no user text inside); tokens go in tables and figures only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from seq2seq_viz.i18n import t
from seq2seq_viz.trace import DecodeTrace, StepRecord
from seq2seq_viz.views.common import escape_markdown, show
from seq2seq_viz.views.state import TraceKey

OPEN_TABLE_TOKENS = 10  # longer sentences get the numbers table folded
STAGES = ("scores", "softmax", "context", "output", "heatmap")
SCORE_LATEX = {
    "dot": r"e_{t,i} = s_t^{\top} h_i",
    "general": r"e_{t,i} = s_t^{\top} W_a\, h_i",
    "concat": r"e_{t,i} = v_a^{\top} \tanh\!\big(W_q\, s_t + W_k\, h_i + b\big)",
}
ALIGN_LATEX = {  # one formula per line: they must fit the narrow left column
    "global": r"a_{t,i} = \frac{\exp(e_{t,i})}{\sum_{j=0}^{S-1} \exp(e_{t,j})}",
    "local-m": r"\begin{gathered} p_t = \min(t,\, S-1) \\ "
    r"a_{t,i} = \begin{cases} \dfrac{\exp(e_{t,i})}"
    r"{\sum_{|j - p_t| \le D} \exp(e_{t,j})} & |i - p_t| \le D \\ 0 & |i - p_t| > D"
    r"\end{cases} \end{gathered}",
    "local-p": r"\begin{gathered} p_t = (S-1)\,\sigma\!\big(v_p^{\top}\tanh(W_p\, s_t)\big) \\ "
    r"a_{t,i} = \underset{|j - p_t| \le D}{\mathrm{softmax}}(e_t)_i \cdot "
    r"\exp\!\Big(-\frac{(i-p_t)^2}{2\sigma^2}\Big) \\ \sigma = D/2 \end{gathered}",
    "hard": r"\begin{gathered} \pi_{t,i} = "
    r"\frac{\exp(e_{t,i})}{\sum_{j=0}^{S-1} \exp(e_{t,j})} \\ "
    r"i^{*} = \arg\max_i \pi_{t,i}, \quad a_t = \mathrm{onehot}(i^{*}) \end{gathered}",
}
CONTEXT_LATEX = r"c_t = \sum_{i=0}^{S-1} a_{t,i}\, h_i"
WINDOW_SUM = r"|j - p_t| \le D"  # local-m / local-p: the softmax runs over the window only


def softmax_sum_latex(align: str, total: float) -> str:
    """The softmax's denominator as the code computes it (max and sum over the allowed
    positions: the window for local-m and local-p, all S positions otherwise)."""
    local = align in ("local-m", "local-p")
    j = WINDOW_SUM if local else r"j=0"
    top = "" if local else r"^{S-1}"
    k = WINDOW_SUM.replace("j", "k") if local else "k"
    return rf"\textstyle\sum_{{{j}}}{top} \exp(e_{{t,j}} - \max_{{{k}}} e_{{t,k}}) = {total:.4f}"


NONE_CONTEXT_LATEX = r"c_t = c \qquad \forall\, t"
ATTN_HIDDEN_LATEX = r"\tilde{h}_t = \tanh\!\big(W_c\,[\,c_t \,;\, s_t\,]\big)"
OUTPUT_LATEX = r"p(y_t \mid y_{<t}, x) = \mathrm{softmax}\big(W_o\, \tilde{h}_t + b\big)"
DECODER_LATEX = (
    r"s_t = \mathrm{{{cell}}}\big(s_{{t-1}},\ [\,E\,y_{{t-1}} \,;\, "
    r"\tilde{{h}}_{{t-1}}\,]\big)"
)


def stages_for(trace: DecodeTrace) -> tuple[str, ...]:
    """The stages that exist for this model (no attention: no scores, weights or heatmap)."""
    return ("context", "output") if trace.align_name == "none" else STAGES


def render_stage(stage: str, trace: DecodeTrace, key: TraceKey, t_: int, big: bool) -> None:
    """Draw one stage of step t_ (`key` identifies `trace` for the figure cache)."""
    {
        "scores": scores_stage,
        "softmax": softmax_stage,
        "context": context_stage,
        "output": output_stage,
        "heatmap": heatmap_stage,
    }[stage](trace, key, t_, big)


def _two_columns(big: bool):
    """Formula and explanation on the left, the figure on the right."""
    return st.columns([2, 3] if not big else [2, 3.2], gap="medium")


def decoder_stage(trace: DecodeTrace, t_: int, cell: str) -> None:
    """What goes into step t: the previous word (or <sos>) and the new decoder state s_t."""
    step = trace.steps[t_]
    formula, left, right = st.columns([3, 1.4, 1.4], vertical_alignment="center")
    formula.latex(DECODER_LATEX.format(cell=cell.upper()))
    fed = t("step.fed_forced") if trace.mode == "teacher" else t("step.fed_own")
    left.metric(t("step.input_word"), escape_markdown(step.input_token), help=fed)
    right.metric(
        t("step.output_word"),
        escape_markdown(step.token),
        help=t("step.forced") if step.forced else t("step.chosen_help"),
    )


def scores_stage(trace: DecodeTrace, key: TraceKey, t_: int, big: bool) -> None:
    st.subheader(t("stage.scores"))
    left, right = _two_columns(big)
    with left:
        st.latex(SCORE_LATEX.get(trace.score_name, SCORE_LATEX["general"]))
        st.markdown(t(f"score.{trace.score_name}"))
    with right:
        show("scores", key, t_, big, trace)


def softmax_stage(trace: DecodeTrace, key: TraceKey, t_: int, big: bool) -> None:
    st.subheader(t("stage.softmax"))
    step = trace.steps[t_]
    left, right = _two_columns(big)
    with left:
        st.latex(ALIGN_LATEX.get(trace.align_name, ALIGN_LATEX["global"]))
        _, total = step.softmax_parts()
        st.latex(softmax_sum_latex(trace.align_name, total))
        st.markdown(t(f"align.{trace.align_name}"))
        variant_note(trace, step)
    with right:
        show("weights", key, t_, big, trace)
    short = len(trace.src_tokens) <= OPEN_TABLE_TOKENS
    with st.expander(t("step.numbers"), expanded=short and not big):
        st.dataframe(numbers_table(trace, step), hide_index=True, width="stretch")


def numbers_table(trace: DecodeTrace, step: StepRecord) -> pd.DataFrame:
    """One row per source token: e_i, exp(e_i - max e), a_i (the trace's own numbers)."""
    parts, _ = step.softmax_parts()
    table = {
        t("col.position"): np.arange(len(trace.src_tokens)),
        t("col.token"): list(trace.src_tokens),
        t("col.score"): np.asarray(step.scores, dtype=np.float64),
        t("col.exp"): parts,
        t("col.weight"): np.asarray(step.weights, dtype=np.float64),
    }
    if "soft_weights" in step.extras:
        table[t("col.soft_weight")] = np.asarray(step.extras["soft_weights"], dtype=np.float64)
    if "gaussian" in step.extras:
        table[t("col.gaussian")] = np.asarray(step.extras["gaussian"], dtype=np.float64)
    table[t("col.attended")] = np.asarray(step.mask, dtype=bool)
    return pd.DataFrame(table)


def variant_note(trace: DecodeTrace, step: StepRecord) -> None:
    """Local window and p_t, hard sampled position: the variant's own numbers for this step."""
    extras = step.extras
    if "window" in extras:
        lo, hi = extras["window"]
        st.info(
            t(
                f"note.{trace.align_name}",
                center=float(extras.get("center", 0.0)),
                lo=lo,
                hi=hi,
                D=trace.window,
            )
        )
    if "sampled_index" in extras:
        index = int(extras["sampled_index"])
        st.info(t("note.hard", index=index))
        st.text(f"i* = {index}: {trace.src_tokens[index]}")


def context_stage(trace: DecodeTrace, key: TraceKey, t_: int, big: bool) -> None:
    st.subheader(t("stage.context"))
    if trace.align_name == "none":
        st.latex(NONE_CONTEXT_LATEX)
        st.warning(t("note.none"))
        return
    left, right = _two_columns(big)
    with left:
        st.latex(CONTEXT_LATEX)
        st.markdown(t("context.explain"))
    with right:
        show("context", key, t_, big, trace)


def output_stage(trace: DecodeTrace, key: TraceKey, t_: int, big: bool) -> None:
    st.subheader(t("stage.output"))
    step = trace.steps[t_]
    left, right = _two_columns(big)
    with left:
        st.latex(ATTN_HIDDEN_LATEX)
        st.latex(OUTPUT_LATEX)
        st.markdown(t("output.explain"))
        a, b = st.columns(2)
        a.metric(t("step.output_word"), escape_markdown(step.token))
        b.metric(
            t("step.probability"),
            f"{float(np.exp(step.logp)):.3f}",
            help=t("step.logp", logp=step.logp),
        )
        if step.forced:
            st.caption(t("step.forced"))
    with right:
        show("output", key, t_, big, trace)


def heatmap_stage(trace: DecodeTrace, key: TraceKey, t_: int, big: bool) -> None:
    st.subheader(t("stage.heatmap"))
    st.caption(t("heatmap.explain"))
    show("heatmap", key, t_, big, trace)
