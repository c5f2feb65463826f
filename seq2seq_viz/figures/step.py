"""Bars of one decoder step t: raw scores, softmax parts, attention weights, next-word choice."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import plotly.graph_objects as go

from seq2seq_viz.trace import DecodeTrace, StepRecord

from .common import (
    BLUE,
    GREY,
    ORANGE,
    VERMILLION,
    alignment_vector,
    auto_height,
    checked_step,
    finish_layout,
    plain,
    shorten,
    source_hover,
    source_xaxis,
    tick_font_size,
    token_axis,
    window_edges,
)
from .fast import new_figure, new_trace
from .labels import merge_labels


def _bar_text(values: np.ndarray) -> dict[str, Any]:
    """Value labels on top of bars, rotated and shrunk when there are many."""
    n = len(values)
    return {
        "text": [f"{v:.2f}" if v >= 0.005 else "" for v in values],  # no "0.00" clutter
        "textposition": "outside",
        "textangle": 0 if n <= 20 else -90,
        "textfont": {"size": tick_font_size(n)},
        "cliponaxis": False,
    }


def _bars(
    fig: go.Figure,
    values: np.ndarray,
    data: np.ndarray,
    positions: np.ndarray,
    name: str,
    colour: str,
    hover: str,
    *,
    text: bool = False,
    opacity: float | None = None,
) -> None:
    """Bars of values[positions] over the source; hover shows ``hover`` with data[positions]
    as customdata, and the values are written on the bars when ``text``."""
    fig.add_bar(
        x=positions,
        y=values[positions],
        customdata=data[positions],
        name=name,
        marker_color=colour,
        opacity=opacity,
        **(_bar_text(values[positions]) if text else {}),
        hovertemplate=f"{hover}<extra>{name}</extra>",
    )


def scores_figure(
    trace: DecodeTrace,
    t: int,
    *,
    labels: Mapping[str, str] | None = None,
    height: int | None = None,
    template: str | None = None,
) -> go.Figure:
    """Bars of the raw scores e_i at step t; masked positions greyed (they get weight 0)."""
    lab, step = merge_labels(labels), checked_step(trace, t)
    scores = np.asarray(step.scores, dtype=np.float64)
    scores = np.where(np.isfinite(scores), scores, 0.0)
    mask = np.asarray(step.mask, dtype=bool)
    hover = np.array(source_hover(trace, lab), dtype=object)
    fig, tip = new_figure(), f"%{{customdata}}<br>{lab['score']}: %{{y:.3f}}"
    for name, keep, colour, alpha in (("attended", mask, BLUE, 1.0), ("masked", ~mask, GREY, 0.45)):
        _bars(fig, scores, hover, np.flatnonzero(keep), lab[name], colour, tip, opacity=alpha)
    fig.update_layout(barmode="overlay")
    source_xaxis(fig, trace, lab, mask)
    fig.update_yaxes(title={"text": lab["score"]}, zeroline=True)
    return finish_layout(fig, lab["scores_title"].format(t=t), height or 380, template)


def softmax_figure(
    trace: DecodeTrace,
    t: int,
    *,
    labels: Mapping[str, str] | None = None,
    height: int | None = None,
    template: str | None = None,
) -> go.Figure:
    """Bars of exp(e_i - max e) per source token (0 where masked); the title gives their sum."""
    lab, step = merge_labels(labels), checked_step(trace, t)
    parts, total = step.softmax_parts()
    mask = np.asarray(step.mask, dtype=bool)
    share = parts / total if total > 0 else np.zeros_like(parts)
    data = np.stack([np.array(source_hover(trace, lab), dtype=object), share], axis=-1)
    fig = new_figure()
    tip = (
        f"%{{customdata[0]}}<br>{lab['exp_part']}: %{{y:.3f}}"
        f"<br>{lab['share']}: %{{customdata[1]:.3f}}"
    )
    for name, keep, colour in (("exp_part", mask, BLUE), ("masked", ~mask, GREY)):
        _bars(fig, parts, data, np.flatnonzero(keep), lab[name], colour, tip, text=True)
    fig.update_layout(barmode="overlay")
    source_xaxis(fig, trace, lab, mask)
    fig.update_yaxes(title={"text": lab["exp_part"]}, range=[0, 1.2])
    title = lab["softmax_title" if step.window is None else "softmax_title_window"]
    return finish_layout(fig, title.format(t=t, total=total), height or 380, template)


def _gaussian_curve(centre: float | None, gauss: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A smooth curve exp(-k (x - centre)^2) through the Gaussian's values, k fitted by least
    squares; the values themselves when there is no centre or they are not such a curve."""
    positions = np.arange(len(gauss), dtype=np.float64)
    keep = gauss > 1e-9
    if centre is None or keep.sum() < 2:
        return positions, gauss
    dist2 = (positions[keep] - centre) ** 2
    k = -np.sum(dist2 * np.log(gauss[keep])) / max(np.sum(dist2**2), 1e-12)
    if k <= 0 or np.max(np.abs(np.exp(-k * (positions - centre) ** 2) - gauss)) > 1e-3:
        return positions, gauss
    xs = np.linspace(-0.5, len(gauss) - 0.5, min(40 * len(gauss), 800))
    return xs, np.exp(-k * (xs - centre) ** 2)


def _step_gaussian(step: StepRecord, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The step's Gaussian values (S,) and a smooth curve (xs, ys) through them."""
    gauss = alignment_vector(step, "gaussian", n)
    centre = None if step.center is None else float(step.center)
    return gauss, *_gaussian_curve(centre, gauss)


def _add_gaussian(fig: go.Figure, step: StepRecord, n: int, lab: Mapping[str, str]) -> None:
    gauss, xs, ys = _step_gaussian(step, n)
    line = {"color": VERMILLION, "width": 2}
    fig.add_scatter(
        x=xs,
        y=ys,
        mode="lines",
        name=lab["gaussian"],
        line=line,
        legendgroup="gaussian",
        hoverinfo="skip",
    )
    fig.add_scatter(
        x=np.arange(n),
        y=gauss,
        mode="markers",
        name=lab["gaussian"],
        legendgroup="gaussian",
        showlegend=False,
        marker={"color": VERMILLION, "size": 6},
        hovertemplate=f"{lab['gaussian']}: %{{y:.3f}}<extra></extra>",
    )


def _add_local_overlays(
    fig: go.Figure, step: StepRecord, n: int, top: float, lab: Mapping[str, str]
) -> None:
    """Local attention: window band, Gaussian curve and centre line when the step has them."""
    window = window_edges(step, n)
    if window is not None:
        fig.add_vrect(
            x0=window[0],
            x1=window[1],
            fillcolor=ORANGE,
            opacity=0.15,
            line_width=0,
            layer="below",
            showlegend=True,
            name=lab["window"],
        )
    if step.gaussian is not None:
        _add_gaussian(fig, step, n, lab)
    if step.center is not None:
        centre = float(step.center)
        fig.add_scatter(
            x=[centre, centre],
            y=[0, top],
            mode="lines",
            name=lab["center"],
            line={"color": VERMILLION, "dash": "dash", "width": 2},
            hovertemplate=f"{lab['center']}: {centre:.2f}<extra></extra>",
        )


def weights_figure(
    trace: DecodeTrace,
    t: int,
    *,
    labels: Mapping[str, str] | None = None,
    height: int | None = None,
    template: str | None = None,
) -> go.Figure:
    """Bars of a_t with values; local: window, Gaussian and centre; hard: soft bars + sample."""
    lab, step = merge_labels(labels), checked_step(trace, t)
    n, hover = len(step.weights), np.array(source_hover(trace, lab), dtype=object)
    positions, fig = np.arange(n), new_figure()
    tip = f"%{{customdata}}<br>{lab['weight']}: %{{y:.3f}}"
    if step.sampled_index is not None:
        values, sampled = alignment_vector(step, "soft_weights", n), int(step.sampled_index)
        if not 0 <= sampled < n:
            raise ValueError(f"step {t}: sampled_index {sampled} is outside 0..{n - 1}")
        others = positions[positions != sampled]
        _bars(fig, values, hover, others, lab["soft_weights"], BLUE, tip, text=True)
        drawn = bool(trace.settings.get("sample_hard"))  # else the argmax of pi_t was taken
        name = lab["sampled"] if drawn else lab["argmax"]
        _bars(fig, values, hover, np.array([sampled]), name, VERMILLION, tip, text=True)
        title = lab["hard_title_sampled"] if drawn else lab["hard_title"]
    else:
        values, title = np.asarray(step.weights, dtype=np.float64), lab["weights_title"]
        _bars(fig, values, hover, positions, lab["weight"], BLUE, tip, text=True)
    top = float(np.max(values, initial=0.0))
    if step.gaussian is not None:
        top = max(top, float(np.max(_step_gaussian(step, n)[2])))
    top = max(top * 1.2, 0.05)
    _add_local_overlays(fig, step, n, top, lab)
    fig.update_layout(barmode="overlay")
    source_xaxis(fig, trace, lab)
    fig.update_yaxes(title={"text": lab["weight"]}, range=[0, top])
    return finish_layout(fig, title.format(t=t), height or 380, template)


def _topk_rows(step: StepRecord) -> tuple[list[str], np.ndarray, list[bool]]:
    """Top-k words, probabilities and chosen flags; the chosen word appended if not among them."""
    words, probs = list(step.topk_tokens), np.asarray(step.topk_probs, dtype=np.float64)
    ids = [int(i) for i in step.topk_ids]
    if not words or len(probs) != len(words) or len(ids) != len(words):
        raise ValueError(
            f"step {step.t}: topk_tokens, topk_probs and topk_ids must be non-empty "
            f"and of equal length ({len(words)}, {len(probs)}, {len(ids)})"
        )
    chosen = [i == step.token_id for i in ids]
    if not any(chosen):
        words, probs = [*words, step.token], np.append(probs, np.exp(step.logp))
        chosen = [*chosen, True]
    return words, probs, chosen


def output_figure(
    trace: DecodeTrace,
    t: int,
    *,
    labels: Mapping[str, str] | None = None,
    height: int | None = None,
    template: str | None = None,
) -> go.Figure:
    """Horizontal bars of the step's top-k words and probabilities, the chosen word highlighted."""
    lab, step = merge_labels(labels), checked_step(trace, t)
    words, probs, chosen = _topk_rows(step)
    ticks = [plain(shorten(w, 24)) for w in words]
    if len(words) > len(step.topk_tokens):
        ticks[-1] += " " + lab["not_in_topk"]
    fig = new_figure(
        new_trace(
            "bar",
            x=probs,
            y=list(range(len(words))),
            orientation="h",
            customdata=[plain(w) for w in words],
            marker_color=[ORANGE if c else BLUE for c in chosen],
            text=[f"{p:.3f}" for p in probs],
            textposition="outside",
            cliponaxis=False,
            hovertemplate=f"{lab['word']}: %{{customdata}}<br>{lab['probability']}: %{{x:.4f}}"
            "<extra></extra>",
        )
    )
    fig.update_yaxes(token_axis(ticks, lab["word"], horizontal=False), autorange="reversed")
    fig.update_xaxes(title={"text": lab["probability"]}, range=[0, min(1.0, probs.max()) * 1.2])
    title = lab["output_title"].format(t=t, k=len(step.topk_tokens))
    if step.forced:
        title += lab["forced_note"].format(token=plain(step.token))
    return finish_layout(fig, title, auto_height(height, len(words), 26, 120, least=260), template)
