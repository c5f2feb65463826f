"""Attention matrices: output by source tokens (T x S) and encoder self-attention (S x S)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from seq2seq_viz.trace import DecodeTrace

from .common import (
    ORANGE,
    VERMILLION,
    auto_height,
    check_source,
    finish_layout,
    plain,
    shorten,
    source_hover,
    source_ticks,
    source_xaxis,
    token_axis,
    window_edges,
)
from .fast import new_figure, new_trace
from .labels import merge_labels


def weight_heatmap(
    z: np.ndarray,
    rows: tuple[str, Sequence[str]],
    cols: tuple[str, Sequence[str]],
    lab: Mapping[str, str],
    **heatmap: Any,
) -> go.Heatmap:
    """Weights in 0..1 (Viridis); ``rows`` and ``cols`` give each axis's hover name and tokens."""
    (row_name, row_tokens), (col_name, col_tokens) = rows, cols
    cells = np.empty((*z.shape, 2), dtype=object)
    cells[:, :, 0] = np.array(row_tokens, dtype=object)[:, None]
    cells[:, :, 1] = np.array(col_tokens, dtype=object)[None, :]
    return new_trace(
        "heatmap",
        z=z,
        x=list(range(z.shape[1])),
        y=list(range(z.shape[0])),
        customdata=cells,
        colorscale="Viridis",
        zmin=0,
        colorbar={"title": {"text": lab["weight"], "side": "right"}},
        hovertemplate=f"{row_name}: %{{customdata[0]}}<br>{col_name}: "
        f"%{{customdata[1]}}<br>{lab['weight']}: %{{z:.3f}}<extra></extra>",
        **heatmap,
    )


def _checked_matrix(trace: DecodeTrace) -> np.ndarray:
    n = check_source(trace)
    if trace.n_steps == 0:
        raise ValueError("the trace has no decoder steps")
    for step in trace.steps:
        if len(step.weights) != n:
            raise ValueError(f"step {step.t}: weights has length {len(step.weights)}, expected {n}")
    return trace.weights_matrix().astype(np.float64)


def _window_paths(trace: DecodeTrace, rows: int, n: int) -> tuple[list, list, list, list]:
    """Closed outlines of each row's window and each row's centre, for rows 0..rows-1."""
    xs: list[float | None] = []
    ys: list[float | None] = []
    cx: list[float] = []
    cy: list[int] = []
    for r, step in enumerate(trace.steps[:rows]):
        window = window_edges(step, n)
        if window is not None:
            lo, hi = window
            xs += [lo, hi, hi, lo, lo, None]
            ys += [r - 0.45, r - 0.45, r + 0.45, r + 0.45, r - 0.45, None]
        if step.center is not None:
            cx.append(float(step.center))
            cy.append(r)
    return xs, ys, cx, cy


def _add_windows(
    fig: go.Figure, trace: DecodeTrace, rows: int, n: int, lab: Mapping[str, str]
) -> None:
    xs, ys, cx, cy = _window_paths(trace, rows, n)
    if xs:
        fig.add_scatter(
            x=xs,
            y=ys,
            mode="lines",
            name=lab["window"],
            hoverinfo="skip",
            line={"color": ORANGE, "width": 2},
        )
    if cx:
        fig.add_scatter(
            x=cx,
            y=cy,
            mode="markers",
            name=lab["center"],
            marker={"symbol": "diamond", "size": 9, "color": VERMILLION, "line": {"width": 1}},
            hovertemplate=f"{lab['center']}: %{{x:.2f}}<extra></extra>",
        )


def heatmap_figure(
    trace: DecodeTrace,
    upto: int | None = None,
    highlight: int | None = None,
    *,
    show_windows: bool = True,
    zmax: float | None = 1.0,
    labels: Mapping[str, str] | None = None,
    height: int | None = None,
    template: str | None = None,
) -> go.Figure:
    """The T x S attention matrix; rows after ``upto`` empty, row ``highlight`` outlined."""
    lab, z = merge_labels(labels), _checked_matrix(trace)
    rows, n = z.shape
    upto = rows - 1 if upto is None else upto
    if not 0 <= upto < rows:
        raise ValueError(f"upto={upto} is out of range: the trace has {rows} steps")
    if highlight is not None and not 0 <= highlight < rows:
        raise ValueError(f"highlight={highlight} is out of range: the trace has {rows} steps")
    z[upto + 1 :] = np.nan
    tgt = [plain(tok) for tok in trace.step_tokens()]
    src = (lab["source"], source_hover(trace, lab))
    fig = new_figure(
        weight_heatmap(z, (lab["target"], tgt), src, lab, zmax=zmax, hoverongaps=False)
    )
    if show_windows:
        _add_windows(fig, trace, upto + 1, n, lab)
    if highlight is not None:
        fig.add_shape(
            type="rect",
            x0=-0.5,
            x1=n - 0.5,
            y0=highlight - 0.5,
            y1=highlight + 0.5,
            line={"color": "#FF2D95", "width": 3},
        )
    ticks = [shorten(tok) if r <= upto else "" for r, tok in enumerate(tgt)]
    axis = token_axis(ticks, lab["target"], horizontal=False)
    fig.update_yaxes(axis, range=[rows - 0.5, -0.5])  # reversed: first step on top
    source_xaxis(fig, trace, lab)
    return finish_layout(
        fig, lab["heatmap_title"], auto_height(height, rows, 22, 200, least=320), template
    )


def self_attention_figure(
    trace: DecodeTrace,
    head: int,
    *,
    labels: Mapping[str, str] | None = None,
    height: int | None = None,
    template: str | None = None,
) -> go.Figure:
    """Source x source heatmap of one encoder self-attention head (rows: queries)."""
    lab, n = merge_labels(labels), check_source(trace)
    if trace.self_attn is None:
        raise ValueError("the trace has no encoder self-attention (the model was built without it)")
    attn = np.asarray(trace.self_attn, dtype=np.float64)
    if attn.ndim != 3 or attn.shape[1:] != (n, n):
        raise ValueError(f"self_attn has shape {attn.shape}, expected (heads, {n}, {n})")
    if not 0 <= head < attn.shape[0]:
        raise ValueError(f"head={head} is out of range: the trace has {attn.shape[0]} heads")
    hover = source_hover(trace, lab)
    heat = weight_heatmap(attn[head], (lab["query"], hover), (lab["key"], hover), lab, zmax=1)
    fig = new_figure(heat)
    source_xaxis(fig, trace, lab, title=lab["key"])
    axis = token_axis(source_ticks(trace, lab), lab["query"], horizontal=False)
    fig.update_yaxes(axis, autorange="reversed")
    title = lab["self_attn_title"].format(head=head)
    return finish_layout(fig, title, auto_height(height, n, 20, 200, least=360), template)
