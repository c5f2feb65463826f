"""Heatmaps of hidden vectors: the encoder states h_i and the context c_t = sum_i a_i h_i."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from seq2seq_viz.trace import DecodeTrace

from .common import (
    auto_height,
    check_source,
    checked_step,
    finish_layout,
    source_hover,
    source_ticks,
    token_axis,
)
from .fast import new_figure, new_trace
from .labels import merge_labels


def _vector_rows_figure(
    z: np.ndarray,
    names: Sequence[str],
    ticks: Sequence[str],
    xtitle: str,
    lab: Mapping[str, str],
    hover_prefix: str = "",
    **heatmap: Any,
) -> go.Figure:
    """One vector per row (RdBu, centred at 0), rows labelled with ``ticks``, hover ``names``."""
    rows, dims = z.shape
    fig = new_figure(
        new_trace(
            "heatmap",
            z=z,
            x=list(range(dims)),
            y=list(range(rows)),
            customdata=np.repeat(np.array(names, dtype=object)[:, None], dims, 1),
            colorscale="RdBu_r",
            zmid=0,
            hovertemplate=f"{hover_prefix}%{{customdata}}<br>{lab['hidden_dim']}: %{{x}}"
            f"<br>{lab['value']}: %{{z:.3f}}<extra></extra>",
            **heatmap,
        )
    )
    fig.update_yaxes(token_axis(ticks, lab["source"], horizontal=False), autorange="reversed")
    fig.update_xaxes(title={"text": xtitle}, showgrid=False, zeroline=False)
    return fig


def encoder_states_figure(
    trace: DecodeTrace,
    *,
    before_self_attn: bool = False,
    labels: Mapping[str, str] | None = None,
    height: int | None = None,
    template: str | None = None,
) -> go.Figure:
    """Heatmap of h_1..h_S (S x H), diverging colours centred at 0, source tokens down the side."""
    lab, n = merge_labels(labels), check_source(trace)
    enc = trace.enc_rnn_states if before_self_attn else trace.enc_states
    if enc is None:
        raise ValueError("the trace has no enc_rnn_states (the model has no self-attention)")
    enc = np.asarray(enc, dtype=np.float64)
    if enc.shape[0] != n:
        raise ValueError(f"encoder states have {enc.shape[0]} rows but there are {n} tokens")
    hover, ticks = source_hover(trace, lab), source_ticks(trace, lab)
    fig = _vector_rows_figure(enc, hover, ticks, lab["hidden_dim"], lab, f"{lab['source']}: ")
    return finish_layout(fig, lab["encoder_title"], auto_height(height, n, 18, 140), template)


def weighted_states(trace: DecodeTrace, t: int) -> tuple[np.ndarray, np.ndarray]:
    """(S, H) rows a_i * h_i for step t and their sum, checked to equal the step's context."""
    step = checked_step(trace, t)
    enc = np.asarray(trace.enc_states, dtype=np.float64)
    context = np.asarray(step.context, dtype=np.float64)
    if context.shape != (enc.shape[1],):
        raise ValueError(f"step {t}: context has shape {context.shape}, expected ({enc.shape[1]},)")
    rows = np.asarray(step.weights, dtype=np.float64)[:, None] * enc  # (S, H)
    total = rows.sum(axis=0)  # (H,)
    if not np.allclose(total, context, rtol=1e-5, atol=1e-5):
        gap = float(np.max(np.abs(total - context)))
        raise ValueError(f"step {t}: Σ aᵢ·hᵢ differs from the recorded context by {gap:.2e}")
    return rows, total


def context_figure(
    trace: DecodeTrace,
    t: int,
    max_dims: int = 32,
    *,
    labels: Mapping[str, str] | None = None,
    height: int | None = None,
    template: str | None = None,
) -> go.Figure:
    """Heatmap of the rows a_i*h_i (first max_dims dims), a gap, then their sum c_t."""
    if max_dims < 1:
        raise ValueError(f"max_dims must be at least 1, got {max_dims}")
    lab, (rows, total) = merge_labels(labels), weighted_states(trace, t)
    n, dims = rows.shape[0], min(max_dims, rows.shape[1])
    gap = np.full((1, dims), np.nan)
    z = np.vstack([rows[:, :dims], gap, total[None, :dims]])  # (S + 2, dims)
    pairs = zip(source_ticks(trace, lab), trace.steps[t].weights, strict=True)
    ticks = [*(f"{tick} · {a:.2f}" for tick, a in pairs), "", lab["context_row"]]  # a_i·h_i
    names = [*source_hover(trace, lab), "", lab["context_row"]]
    xtitle = lab["dims_shown"].format(shown=dims, total=rows.shape[1])
    fig = _vector_rows_figure(z, names, ticks, xtitle, lab, hoverongaps=False)
    return finish_layout(
        fig, lab["context_title"].format(t=t), auto_height(height, n + 2, 18, 150), template
    )
