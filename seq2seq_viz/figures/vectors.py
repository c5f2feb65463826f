"""Vectors as strips: one row per vector, one cell per hidden dimension, hover shows the value.

Long vectors (H = 256) stay one strip each (hover for the numbers); short ones (up to
``PRINT_UP_TO`` cells) get every value printed in its cell with 3 decimals, so a student can
follow the sums of a small model with a calculator.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from seq2seq_viz.trace import DecodeTrace
from seq2seq_viz.vectors import ScoreTerms, concat_input, initial_vectors, product_label

from .common import check_source, checked_step, finish_layout, plain
from .labels import merge_labels

PRINT_UP_TO = 16  # vectors this short get their values printed in the cells
SYMBOLS = {  # the vectors' names as plotly HTML (mathematical symbols: the same in every language)
    "s_t": "s<sub>t</sub>",
    "h_i": "h<sub>i</sub>",
    "W_a h_i": "W<sub>a</sub> h<sub>i</sub>",
    "W_q s_t": "W<sub>q</sub> s<sub>t</sub>",
    "W_k h_i + b": "W<sub>k</sub> h<sub>i</sub> + b",
    "tanh(W_q s_t + W_k h_i + b)": "tanh(W<sub>q</sub> s<sub>t</sub> + "
    "W<sub>k</sub> h<sub>i</sub> + b)",
    "v_a": "v<sub>a</sub>",
    "s_t ⊙ h_i": "s<sub>t</sub> ⊙ h<sub>i</sub>",
    "s_t ⊙ W_a h_i": "s<sub>t</sub> ⊙ W<sub>a</sub> h<sub>i</sub>",
    "v_a ⊙ tanh(·)": "v<sub>a</sub> ⊙ tanh(·)",
    "h_S": "h<sub>S</sub>",
    "s_0": "s<sub>0</sub>",
    "h~_0": "h̃<sub>0</sub>",
    "[c_t ; s_t]": "[c<sub>t</sub> ; s<sub>t</sub>]",
    "W_c [c_t ; s_t]": "W<sub>c</sub> [c<sub>t</sub> ; s<sub>t</sub>]",
    "h~_t": "h̃<sub>t</sub> = tanh(·)",
}


def strips_figure(
    rows: Sequence[tuple[str, np.ndarray]],
    title: str,
    *,
    labels: Mapping[str, str] | None = None,
    height: int | None = None,
    template: str | None = None,
) -> go.Figure:
    """Named vectors one above the other (shorter ones padded with blanks), diverging colours
    around 0, the value of each cell on hover (and printed when the longest has <= 16 cells)."""
    if not rows:
        raise ValueError("no vectors to draw")
    lab = merge_labels(labels)
    width = max(len(v) for _, v in rows)
    z = np.full((len(rows), width), np.nan)
    for r, (_, vec) in enumerate(rows):
        z[r, : len(vec)] = np.asarray(vec, dtype=np.float64)
    names = [SYMBOLS.get(name, plain(name)) for name, _ in rows]
    limit = float(np.nanmax(np.abs(z))) if np.isfinite(z).any() else 1.0
    heat = go.Heatmap(
        z=z,
        x=list(range(width)),
        y=list(range(len(rows))),
        colorscale="RdBu",
        reversescale=True,
        zmid=0.0,
        zmin=-limit or -1.0,
        zmax=limit or 1.0,
        customdata=[[name] * width for name in names],
        hovertemplate=f"%{{customdata}}<br>{lab['dim']} = %{{x}}<br>"
        f"{lab['value']} = %{{z:.4f}}<extra></extra>",
        colorbar={"thickness": 12, "len": 0.9},
        hoverongaps=False,
    )
    if width <= PRINT_UP_TO:
        heat.update(texttemplate="%{z:.3f}", textfont={"size": 13})
    fig = go.Figure(heat)
    fig.update_yaxes(
        tickmode="array",
        tickvals=list(range(len(rows))),
        ticktext=names,
        autorange="reversed",
        automargin=True,
        showgrid=False,
    )
    fig.update_xaxes(title={"text": lab["dim"]}, showgrid=False, zeroline=False)
    if width <= PRINT_UP_TO:
        fig.update_xaxes(dtick=1)
    return finish_layout(fig, title, height or 46 * len(rows) + 130, template)


def score_terms_figure(
    trace: DecodeTrace,
    t: int,
    i: int,
    terms: ScoreTerms,
    *,
    labels: Mapping[str, str] | None = None,
    height: int | None = None,
    template: str | None = None,
) -> go.Figure:
    """The vectors behind e_{t,i} and their element-wise products, whose sum is e_{t,i}."""
    checked_step(trace, t)
    lab = merge_labels(labels)
    rows = [*terms.rows, (product_label(trace.score_name), terms.products)]
    token = plain(trace.src_tokens[i])
    title = lab["vectors_score_title"].format(t=t, i=i, token=token, total=terms.total)
    return strips_figure(rows, title, labels=lab, height=height, template=template)


def attentional_figure(
    trace: DecodeTrace,
    t: int,
    *,
    labels: Mapping[str, str] | None = None,
    height: int | None = None,
    template: str | None = None,
) -> go.Figure:
    """[c_t ; s_t] (2H), W_c [c_t ; s_t] and h~_t = tanh of it (H)."""
    step = checked_step(trace, t)
    lab = merge_labels(labels)
    rows = [
        ("[c_t ; s_t]", concat_input(step)),
        ("W_c [c_t ; s_t]", np.asarray(step.attn_pre)),
        ("h~_t", np.asarray(step.attn_hidden)),
    ]
    title = lab["vectors_attn_title"].format(t=t)
    return strips_figure(rows, title, labels=lab, height=height, template=template)


def initial_figure(
    trace: DecodeTrace,
    *,
    labels: Mapping[str, str] | None = None,
    height: int | None = None,
    template: str | None = None,
) -> go.Figure:
    """h_S (the encoder's final state the bridge reads), s_0 = tanh(W_b h_S + b_b), h~_0 = 0."""
    check_source(trace)
    vectors = initial_vectors(trace)
    if not vectors:
        raise ValueError("the trace has no initial vectors (trace it again with this version)")
    lab = merge_labels(labels)
    rows = list(vectors.items())
    return strips_figure(
        rows, lab["vectors_init_title"], labels=lab, height=height, template=template
    )
