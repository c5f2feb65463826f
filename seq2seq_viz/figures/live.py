"""Live training: the loss curve (with the probe's alignment score) and the probe's attention.

Inputs are plain lists and arrays (`seq2seq_viz.live.Progress` holds them); nothing here imports
torch or streamlit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from .common import BLUE, GREEN, ORANGE, finish_layout, plain, shorten, token_axis
from .labels import merge_labels
from .matrix import weight_heatmap


def loss_figure(
    losses: Sequence[tuple[int, float]],
    valid: Sequence[tuple[int, float]] = (),
    scores: Sequence[tuple[int, float]] = (),
    *,
    labels: Mapping[str, str] | None = None,
    height: int | None = None,
    template: str | None = None,
) -> go.Figure:
    """Training NLL per step (raw, and a running mean of 20 steps), validation NLL at epoch
    ends, and the probe's alignment score on a second axis (0..1) when there is one."""
    lab = merge_labels(labels)
    fig = go.Figure()
    if losses:
        steps, values = (np.asarray(v, dtype=float) for v in zip(*losses, strict=True))
        fig.add_scatter(
            x=steps,
            y=values,
            name=lab["train_nll"],
            mode="lines",
            line={"color": BLUE, "width": 1},
            opacity=0.35,
        )
        k = min(20, len(values))
        smooth = np.convolve(values, np.ones(k) / k, mode="valid")
        fig.add_scatter(
            x=steps[k - 1 :],
            y=smooth,
            name=lab["train_nll_mean"],
            mode="lines",
            line={"color": BLUE, "width": 2.5},
        )
    if valid:
        vs, vv = zip(*valid, strict=True)
        fig.add_scatter(
            x=list(vs),
            y=list(vv),
            name=lab["valid_nll"],
            mode="lines+markers",
            line={"color": ORANGE, "width": 2},
            marker={"symbol": "square"},
        )
    if scores:
        ss, sv = zip(*scores, strict=True)
        fig.add_scatter(
            x=list(ss),
            y=list(sv),
            name=lab["alignment_score"],
            yaxis="y2",
            mode="lines+markers",
            line={"color": GREEN, "width": 2, "dash": "dot"},
            marker={"symbol": "diamond"},
        )
        fig.update_layout(
            yaxis2={
                "title": {"text": lab["alignment_score"]},
                "overlaying": "y",
                "side": "right",
                "range": [0, 1.02],
                "tickvals": [0, 0.25, 0.5, 0.75, 1],
                "showgrid": False,
                "zeroline": False,
            }
        )
    fig.update_xaxes(title={"text": lab["train_step"]}, rangemode="tozero")
    fig.update_layout(yaxis={"title": {"text": lab["nll"]}, "rangemode": "tozero"})
    return finish_layout(fig, lab["loss_title"], height or 360, template)


def probe_figure(
    weights: np.ndarray,
    src_tokens: Sequence[str],
    tgt_tokens: Sequence[str],
    step: int,
    *,
    labels: Mapping[str, str] | None = None,
    height: int | None = None,
    template: str | None = None,
) -> go.Figure:
    """The probe's teacher-forced attention weights: reference tokens + <eos> (rows) by source
    tokens (columns), as the model had them at training step `step`."""
    lab = merge_labels(labels)
    w = np.asarray(weights, dtype=float)
    rows = [*tgt_tokens, "<eos>"]
    if w.shape != (len(rows), len(src_tokens)):
        raise ValueError(
            f"weights have shape {w.shape}, expected ({len(rows)}, {len(src_tokens)}): "
            "reference tokens + <eos> by source tokens"
        )
    src = [plain(shorten(t)) for t in src_tokens]
    tgt = [plain(shorten(t)) for t in rows]
    fig = go.Figure(weight_heatmap(w, (lab["target"], tgt), (lab["source"], src), lab, zmax=1.0))
    fig.update_xaxes(token_axis(src, lab["source"]))
    fig.update_yaxes(token_axis(tgt, lab["target"], horizontal=False), autorange="reversed")
    title = lab["probe_title"].format(step=step)
    return finish_layout(fig, title, height or max(320, 60 + 30 * len(rows)), template)
