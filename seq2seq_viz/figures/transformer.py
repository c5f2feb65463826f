"""Figures of a Transformer's trace (see seq2seq_viz/transformer_record.py for what it holds):
one cross-attention head's scores, weights and weighted values at a step, the head-by-layer grid
of a step's weights, and the encoder's self-attention per head.

Layers and heads are 0-based in the arguments and shown 1-based ("layer 1, head 2"), as the
pages name them. Tokens are user text and go through :func:`plain`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from seq2seq_viz.bridge import (
    BridgeStep,
    masked_self_attention,
    sinusoids,
    transformer_record,
)
from seq2seq_viz.trace import DecodeTrace

from .common import BLUE, ORANGE, plain
from .labels import merge_labels


def transformer_labels(labels: Mapping[str, str] | None) -> dict[str, str]:
    return merge_labels(labels)


def _check_head(record: dict, layer: int, head: int) -> None:
    L, n = np.asarray(record["cross_weights"]).shape[:2]
    if not (0 <= layer < L and 0 <= head < n):
        raise ValueError(f"layer {layer + 1} / head {head + 1} do not exist ({L} x {n})")


def _ticks(trace: DecodeTrace) -> dict[str, Any]:
    return {
        "tickmode": "array",
        "tickvals": list(range(len(trace.src_tokens))),
        "ticktext": [plain(tok) for tok in trace.src_tokens],
    }


def head_bars_figure(
    trace: DecodeTrace,
    t: int,
    layer: int,
    head: int,
    *,
    what: str = "scores",
    labels: Mapping[str, str] | None = None,
) -> go.Figure:
    """Bars over the source of one head's scaled scores (`what` "scores") or weights."""
    lab, record = transformer_labels(labels), transformer_record(trace, t)
    _check_head(record, layer, head)
    key = "cross_scores" if what == "scores" else "cross_weights"
    values = np.asarray(record[key], dtype=np.float64)[layer, head]
    name = lab["t_score"] if what == "scores" else lab["t_weight"]
    fig = go.Figure(
        go.Bar(
            x=list(range(len(values))),
            y=values,
            marker_color=BLUE if what == "scores" else ORANGE,
            text=[f"{v:.2f}" for v in values],
            textposition="outside",
            cliponaxis=False,
            name=plain(name),
            hovertemplate=f"%{{x}}<br>{name}: %{{y:.4f}}<extra></extra>",
        )
    )
    title = lab[f"t_{'scores' if what == 'scores' else 'weights'}_title"]
    fig.update_layout(
        title=title.format(t=t, layer=layer + 1, head=head + 1),
        xaxis={"title": lab["source"], **_ticks(trace)},
        yaxis={"title": name},
        height=320,
        margin={"t": 60, "b": 40},
        showlegend=False,
    )
    return fig


def head_values_figure(
    trace: DecodeTrace,
    t: int,
    layer: int,
    head: int,
    *,
    labels: Mapping[str, str] | None = None,
) -> go.Figure:
    """Rows a_i v_i (one per source token) and their sum o = the head's output (last row)."""
    lab, record = transformer_labels(labels), transformer_record(trace, t)
    _check_head(record, layer, head)
    weights = np.asarray(record["cross_weights"], dtype=np.float64)[layer, head]  # (S,)
    values = np.asarray(trace.vectors["transformer"]["cross_v"], dtype=np.float64)[layer, head]
    rows = weights[:, None] * values  # (S,d)
    out = np.asarray(record["cross_heads"], dtype=np.float64)[layer, head]  # (d,)
    z = np.vstack([rows, out[None]])
    names = [f"{plain(tok)} (a={w:.2f})" for tok, w in zip(trace.src_tokens, weights)]
    names.append(lab["t_sum_row"])
    fig = go.Figure(
        go.Heatmap(
            z=z,
            y=list(range(len(names))),
            colorscale="RdBu",
            zmid=0.0,
            hovertemplate="%{y}<br>%{x}: %{z:.4f}<extra></extra>",
        )
    )
    title = lab["t_values_title"].format(t=t, layer=layer + 1, head=head + 1)
    fig.update_layout(
        title=title,
        xaxis={"title": lab["t_value_dim"]},
        yaxis={
            "tickmode": "array",
            "tickvals": list(range(len(names))),
            "ticktext": names,
            "autorange": "reversed",
            "automargin": True,
        },
        height=max(260, 28 * len(names) + 120),
        margin={"t": 60},
    )
    return fig


def head_grid_figure(
    trace: DecodeTrace, t: int, *, labels: Mapping[str, str] | None = None
) -> go.Figure:
    """One row per (layer, head), one column per source token: every cross-attention weight
    of step t; the last rows are the last layer."""
    lab, record = transformer_labels(labels), transformer_record(trace, t)
    weights = np.asarray(record["cross_weights"], dtype=np.float64)  # (L,n,S)
    L, n, S = weights.shape
    rows = [lab["t_layer_head"].format(layer=i + 1, head=h + 1) for i in range(L) for h in range(n)]
    fig = go.Figure(
        go.Heatmap(
            z=weights.reshape(L * n, S),
            x=list(range(S)),
            y=list(range(L * n)),
            zmin=0.0,
            zmax=1.0,
            colorscale="Viridis",
            hovertemplate="%{y}<br>%{x}: %{z:.3f}<extra></extra>",
        )
    )
    fig.update_layout(
        title=lab["t_grid_title"].format(t=t),
        xaxis={"title": lab["source"], **_ticks(trace)},
        yaxis={
            "tickmode": "array",
            "tickvals": list(range(L * n)),
            "ticktext": rows,
            "autorange": "reversed",  # layer 1, head 1 on top
            "automargin": True,
        },
        height=max(300, 22 * L * n + 140),
        margin={"t": 60},
    )
    return fig


def encoder_self_figure(
    trace: DecodeTrace, layer: int, *, labels: Mapping[str, str] | None = None
) -> go.Figure:
    """The encoder's self-attention of one layer: an S x S panel per head (rows: queries)."""
    lab = transformer_labels(labels)
    record = trace.vectors.get("transformer")
    if record is None:
        raise ValueError("this trace is not a Transformer's (no encoder self-attention)")
    weights = np.asarray(record["enc_self_weights"], dtype=np.float64)  # (L,n,S,S)
    if not 0 <= layer < weights.shape[0]:
        raise ValueError(f"layer {layer + 1} does not exist ({weights.shape[0]} layers)")
    n = weights.shape[1]
    fig = make_subplots(
        rows=1,
        cols=n,
        subplot_titles=[lab["t_head"].format(head=h + 1) for h in range(n)],
        horizontal_spacing=0.03,
    )
    for h in range(n):
        fig.add_trace(
            go.Heatmap(
                z=weights[layer, h],
                zmin=0.0,
                zmax=1.0,
                colorscale="Viridis",
                showscale=h == n - 1,
                hovertemplate="%{y} → %{x}: %{z:.3f}<extra></extra>",
            ),
            row=1,
            col=h + 1,
        )
        fig.update_xaxes(_ticks(trace), row=1, col=h + 1)
        fig.update_yaxes({**_ticks(trace), "showticklabels": h == 0}, row=1, col=h + 1)
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(
        title=lab["t_enc_self_title"].format(layer=layer + 1),
        height=340,
        margin={"t": 80},
    )
    return fig


def head_heatmaps_figure(
    trace: DecodeTrace, layer: int, *, labels: Mapping[str, str] | None = None
) -> go.Figure:
    """One T x S cross-attention matrix per head of `layer` (rows: output steps), then the
    mean over the heads (what heatmaps show for a Transformer when the last layer is chosen)."""
    lab = transformer_labels(labels)
    if not trace.n_steps:
        raise ValueError("the trace has no steps")
    weights = np.stack(
        [
            np.asarray(transformer_record(trace, t)["cross_weights"], dtype=np.float64)[layer]
            for t in range(trace.n_steps)
        ]
    )  # (T,n,S)
    n = weights.shape[1]
    panels = [weights[:, h] for h in range(n)] + [weights.mean(1)]
    titles = [lab["t_head"].format(head=h + 1) for h in range(n)] + [lab["t_mean_heads"]]
    fig = make_subplots(rows=1, cols=n + 1, subplot_titles=titles, horizontal_spacing=0.02)
    out_ticks = {
        "tickmode": "array",
        "tickvals": list(range(trace.n_steps)),
        "ticktext": [plain(s.token) for s in trace.steps],
    }
    for k, z in enumerate(panels):
        fig.add_trace(
            go.Heatmap(
                z=z,
                zmin=0.0,
                zmax=1.0,
                colorscale="Viridis",
                showscale=k == n,
                hovertemplate="%{y} → %{x}: %{z:.3f}<extra></extra>",
            ),
            row=1,
            col=k + 1,
        )
        fig.update_xaxes(_ticks(trace), row=1, col=k + 1)
        fig.update_yaxes({**out_ticks, "showticklabels": k == 0}, row=1, col=k + 1)
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(
        title=lab["t_heads_title"].format(layer=layer + 1),
        height=max(320, 24 * trace.n_steps + 160),
        margin={"t": 80},
    )
    return fig


def bridge_weights_figure(
    step: BridgeStep, rnn_name: str, *, labels: Mapping[str, str] | None = None
) -> go.Figure:
    """The RNN's attention weights and one Transformer head's, two bars per source token."""
    lab = transformer_labels(labels)
    x = list(range(len(step.src_tokens)))
    fig = go.Figure()
    for name, values, colour in (
        (lab["bridge_rnn"].format(model=rnn_name), step.rnn_weights, BLUE),
        (lab["t_layer_head"].format(layer=step.layer + 1, head=step.head + 1), step.weights,
         ORANGE),
    ):  # fmt: skip
        fig.add_trace(
            go.Bar(
                x=x,
                y=values,
                name=plain(name),
                marker_color=colour,
                text=[f"{v:.2f}" for v in values],
                textposition="outside",
                cliponaxis=False,
                hovertemplate=f"{plain(name)}<br>%{{x}}: %{{y:.4f}}<extra></extra>",
            )
        )
    fig.update_layout(
        title=lab["bridge_title"].format(t=step.t),
        barmode="group",
        xaxis={
            "title": lab["source"],
            "tickmode": "array",
            "tickvals": x,
            "ticktext": [plain(tok) for tok in step.src_tokens],
        },  # fmt: skip
        yaxis={"title": lab["weight"], "range": [0, 1.12]},
        height=340,
        margin={"t": 60, "b": 40},
        legend={"orientation": "h", "y": -0.3},
    )
    return fig


def masked_self_figure(
    trace: DecodeTrace, layer: int = -1, *, labels: Mapping[str, str] | None = None
) -> go.Figure:
    """The decoder's self-attention (mean over heads), one row per step: the look-ahead mask
    leaves the cells right of the diagonal empty."""
    lab = transformer_labels(labels)
    z = masked_self_attention(trace, layer)  # (T,T) NaN above the diagonal
    L = np.asarray(transformer_record(trace, 0)["self_weights"]).shape[0]
    fed = [plain(s.input_token) for s in trace.steps]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=list(range(len(fed))),
            y=list(range(len(fed))),
            zmin=0.0,
            zmax=1.0,
            colorscale="Viridis",
            hoverongaps=False,
            hovertemplate="%{y} → %{x}: %{z:.3f}<extra></extra>",
        )
    )
    ticks = {"tickmode": "array", "tickvals": list(range(len(fed)))}
    rows = [f"{t}: {w}" for t, w in enumerate(fed)]
    fig.update_layout(
        title=lab["t_masked_title"].format(layer=layer % L + 1),
        xaxis={**ticks, "ticktext": fed, "title": lab["t_masked_x"]},
        yaxis={
            **ticks,
            "ticktext": rows,
            "title": lab["t_masked_y"],
            "autorange": "reversed",
            "automargin": True,
        },  # fmt: skip
        height=max(300, 26 * len(fed) + 150),
        margin={"t": 60},
        plot_bgcolor="#e5e5e5",
    )
    return fig


def positions_figure(
    length: int, dim: int, *, shown: int = 32, labels: Mapping[str, str] | None = None
) -> go.Figure:
    """The positional encoding added at positions 0..length-1 (its first `shown` dimensions)."""
    lab = transformer_labels(labels)
    table = sinusoids(length, dim)[:, : min(shown, dim)]
    fig = go.Figure(
        go.Heatmap(
            z=table,
            zmin=-1.0,
            zmax=1.0,
            colorscale="RdBu",
            hovertemplate="%{y}, %{x}: %{z:.3f}<extra></extra>",
        )
    )
    fig.update_layout(
        title=lab["t_positions_title"].format(shown=table.shape[1], total=dim),
        xaxis={"title": lab["t_positions_x"]},
        yaxis={"title": lab["t_positions_y"], "autorange": "reversed", "dtick": 1},
        height=max(240, 18 * length + 140),
        margin={"t": 60},
    )
    return fig
