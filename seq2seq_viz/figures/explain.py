"""Figures of the "is attention an explanation?" lab: plain data in (arrays, token lists),
plotly figures out. The attention and attribution matrices share one builder, so their axes are
the same as the attention heatmap's (figures/matrix.py): source tokens along x (0..S-1), output
words down y with the first step on top.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from .common import BLUE, ORANGE, VERMILLION, auto_height, finish_layout, plain, shorten, token_axis
from .labels import merge_labels


def _lab(labels: Mapping[str, str] | None) -> dict[str, str]:
    return merge_labels(labels)


def explain_matrix_figure(
    z: np.ndarray,
    src_tokens: Sequence[str],
    out_tokens: Sequence[str],
    title: str,
    *,
    signed: bool = False,
    highlight: int | None = None,
    labels: Mapping[str, str] | None = None,
    height: int | None = None,
) -> go.Figure:
    """A T x S matrix (attention or one attribution method) over output x source tokens.
    ``signed``: a diverging scale centred on 0 (red negative, blue positive)."""
    lab = _lab(labels)
    z = np.asarray(z, dtype=float)
    if z.shape != (len(out_tokens), len(src_tokens)):
        raise ValueError(
            f"matrix has shape {z.shape}, expected ({len(out_tokens)}, {len(src_tokens)})"
        )
    src, tgt = [plain(s) for s in src_tokens], [plain(s) for s in out_tokens]
    cells = np.empty((*z.shape, 2), dtype=object)
    cells[:, :, 0] = np.array(tgt, dtype=object)[:, None]
    cells[:, :, 1] = np.array(src, dtype=object)[None, :]
    scale: dict = {"colorscale": "Viridis", "zmin": 0.0}
    if signed:
        top = float(np.nanmax(np.abs(z))) if z.size else 1.0
        scale = {"colorscale": "RdBu", "zmid": 0.0, "zmin": -top, "zmax": top}
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=list(range(z.shape[1])),
            y=list(range(z.shape[0])),
            customdata=cells,
            colorbar={"title": {"text": lab["value"], "side": "right"}},
            hovertemplate=f"{lab['target']}: %{{customdata[0]}}<br>{lab['source']}: "
            f"%{{customdata[1]}}<br>{lab['value']}: %{{z:.4f}}<extra></extra>",
            **scale,
        )
    )
    if highlight is not None and 0 <= highlight < z.shape[0]:
        fig.add_shape(
            type="rect", x0=-0.5, x1=z.shape[1] - 0.5, y0=highlight - 0.5, y1=highlight + 0.5,
            line={"color": "#FF2D95", "width": 3},
        )  # fmt: skip
    fig.update_yaxes(
        token_axis([shorten(t) for t in tgt], lab["target"], horizontal=False),
        range=[z.shape[0] - 0.5, -0.5],
    )
    fig.update_xaxes(token_axis([shorten(s) for s in src], lab["source"]))
    rows = z.shape[0]
    return finish_layout(fig, title, auto_height(height, rows, 22, 200, least=320), None)


def agreement_figure(
    out_tokens: Sequence[str],
    tau: np.ndarray,
    top_same: np.ndarray,
    *,
    labels: Mapping[str, str] | None = None,
    height: int | None = None,
) -> go.Figure:
    """Kendall tau-b per output word (bars; NaN left empty), steps whose top word agrees in blue,
    the others in orange."""
    lab = _lab(labels)
    tau = np.asarray(tau, dtype=float)
    colours = [BLUE if same else ORANGE for same in np.asarray(top_same, dtype=bool)]
    words = [plain(w) for w in out_tokens]
    fig = go.Figure(
        go.Bar(
            x=list(range(len(words))),
            y=tau,
            marker={"color": colours},
            customdata=[[w, lab["top_same"] if s else ""] for w, s in zip(words, top_same)],
            hovertemplate="%{customdata[0]}: tau = %{y:.3f} %{customdata[1]}<extra></extra>",
        )
    )
    fig.update_xaxes(token_axis([shorten(w) for w in words], lab["target"]))
    fig.update_yaxes(range=[-1.05, 1.05], title={"text": lab["tau"]}, zeroline=True)
    return finish_layout(fig, lab["tau_title"], height or 300, None)


def fool_figure(
    src_tokens: Sequence[str],
    own: np.ndarray,
    fooled: np.ndarray,
    title: str,
    *,
    labels: Mapping[str, str] | None = None,
    height: int | None = None,
) -> go.Figure:
    """The model's a_t and the fooled attention side by side over the source tokens."""
    lab = _lab(labels)
    src = [plain(s) for s in src_tokens]
    x = list(range(len(src)))
    fig = go.Figure()
    fig.add_bar(x=x, y=np.asarray(own, float), name=lab["own"], marker_color=BLUE)
    fig.add_bar(x=x, y=np.asarray(fooled, float), name=lab["fooled"], marker_color=VERMILLION)
    fig.update_layout(barmode="group")
    fig.update_xaxes(token_axis([shorten(s) for s in src], lab["source"]))
    fig.update_yaxes(range=[0, 1.02], title={"text": lab["weight"]})
    return finish_layout(fig, title, height or 320, None)


def neighbour_map_figure(
    own_xy: np.ndarray,
    own_words: Sequence[str],
    neighbour_xy: np.ndarray,
    neighbour_words: Sequence[str],
    *,
    highlight: int | None = None,
    labels: Mapping[str, str] | None = None,
    height: int | None = None,
) -> go.Figure:
    """This sentence's states (a path in step order) among their training neighbours, on the
    first two principal components of the index."""
    lab = _lab(labels)
    own_xy, neighbour_xy = np.asarray(own_xy, float), np.asarray(neighbour_xy, float)
    fig = go.Figure()
    if len(neighbour_xy):
        fig.add_scatter(
            x=neighbour_xy[:, 0], y=neighbour_xy[:, 1], mode="markers+text",
            text=[plain(shorten(w)) for w in neighbour_words], textposition="top center",
            marker={"color": "#999999", "size": 7}, name=lab["neighbours"],
            hovertemplate="%{text}<extra></extra>",
        )  # fmt: skip
    sizes = [16 if i == highlight else 10 for i in range(len(own_xy))]
    fig.add_scatter(
        x=own_xy[:, 0], y=own_xy[:, 1], mode="lines+markers+text",
        text=[plain(shorten(w)) for w in own_words], textposition="bottom center",
        marker={"color": VERMILLION, "size": sizes}, line={"color": VERMILLION, "width": 1},
        name=lab["this_sentence"], hovertemplate="%{text}<extra></extra>",
    )  # fmt: skip
    fig.update_xaxes(title={"text": "PC 1"}, zeroline=False)
    fig.update_yaxes(title={"text": "PC 2"}, zeroline=False)
    return finish_layout(fig, lab["map_title"], height or 420, None)
