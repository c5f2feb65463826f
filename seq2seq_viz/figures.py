"""Pure plotly figures of a decoding trace: one builder per picture, ``*_figure(...) -> go.Figure``.

Every builder is a function of plain data (a :class:`~seq2seq_viz.trace.DecodeTrace` or lists),
so it works the same in Streamlit, in a notebook and in tests. Nothing here imports torch or
streamlit.

Conventions
-----------
- Symbols as in the trace: S source tokens, T decoder steps, H hidden size, K top-k, n heads.
  Step t is 0-based (``trace.steps[t]``).
- Token axes are numeric (0..S-1) with tick labels, so a repeated word keeps its own column.
- Tokens are user text: :func:`plain` escapes ``<``, ``>`` and ``&`` so plotly shows them as
  typed (``<eos>`` would otherwise vanish as an unknown HTML tag). Long tokens are shortened.
- Every human-readable string comes from ``labels`` (merged over :data:`DEFAULT_LABELS`), so the
  app can pass Korean. Some labels hold ``str.format`` fields such as ``{t}``; a translation may
  drop them but must not invent new ones. Unknown keys are ignored.
- ``template=None`` leaves the template alone, so Streamlit's light or dark theme applies. The
  colours used (Okabe-Ito palette, Viridis, RdBu) read on both and for colour-blind viewers.
- A trace that does not fit the request (t out of range, lengths that disagree) raises
  ``ValueError`` with a message saying what disagrees.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from seq2seq_viz.trace import NODE_STATUSES, BeamNode, DecodeTrace, StepRecord

DEFAULT_LABELS: dict[str, str] = {
    # axes and hover names
    "source": "source token",
    "target": "output token",
    "hidden_dim": "hidden dimension",
    "dims_shown": "hidden dimension (first {shown} of {total})",
    "value": "value",
    "step": "output position",
    "score": "score eᵢ",
    "weight": "weight aᵢ",
    "probability": "probability",
    "word": "word",
    "query": "query token (row)",
    "key": "key token (column)",
    "unknown": "unknown word (not in the vocabulary)",
    "unknown_suffix": " ⁇",
    # legend entries
    "attended": "attended",
    "masked": "masked (weight 0)",
    "gaussian": "Gaussian around pₜ",
    "center": "centre pₜ",
    "window": "window",
    "soft_weights": "soft distribution",
    "sampled": "sampled position",
    "chosen": "chosen",
    "not_in_topk": "(not in top-k)",
    "empirical": "sample frequency",
    "exp_part": "exp(eᵢ - max e)",
    "share": "share of Σ (= aᵢ)",
    "context_row": "cₜ = Σ",
    "kept": "kept",
    "pruned": "pruned",
    "finished": "finished",
    "best_path": "best hypothesis",
    "greedy_path": "greedy path",
    "logp": "log p(token)",
    "cum_score": "score (sum of log p)",
    "norm_score": "length-normalised score",
    "status": "status",
    "rank": "rank",
    "token": "token",
    "model": "model",
    "bleu": "BLEU",
    "sentences": "sentences",
    "length_bucket": "source sentence length (words)",
    # titles
    "encoder_title": "Encoder states hᵢ (one row per source token)",
    "scores_title": "Step {t}: raw scores eᵢ",
    "weights_title": "Step {t}: attention weights aᵢ",
    "hard_title": "Step {t}: soft distribution and the sampled position",
    "context_title": "Step {t}: context cₜ = Σ aᵢ·hᵢ",
    "output_title": "Step {t}: most likely next words",
    "forced_note": " (forced: {token})",
    "heatmap_title": "Attention weights: output tokens (rows) by source tokens (columns)",
    "beam_title": "Beam-search tree",
    "self_attn_title": "Encoder self-attention, head {head}",
    "hard_samples_title": "Soft distribution vs. frequency in {n} hard samples",
    "bleu_title": "BLEU by sentence length",
    "softmax_title": "Step {t}: exp(eᵢ - max e), sum Σ = {total:.3f}",
}

BLUE, ORANGE, VERMILLION = "#0072B2", "#E69F00", "#D55E00"
GREEN, PURPLE, SKY, GREY = "#009E73", "#CC79A7", "#56B4E9", "#999999"
PALETTE = (BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY, "#F0E442", GREY)
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x", "star", "cross", "hexagon")
STATUS_STYLE = {"kept": (BLUE, "circle"), "pruned": (GREY, "x"), "finished": (GREEN, "star")}
MAX_TOKEN_CHARS = 14


# ----------------------------------------------------------------------------- helpers


def plain(s: object) -> str:
    """Text shown literally by plotly: ``<``, ``>`` and ``&`` become HTML entities."""
    return html.escape(str(s), quote=False)


def _short(token: str, limit: int = MAX_TOKEN_CHARS) -> str:
    return token if len(token) <= limit else token[: limit - 1] + "…"


def _labels(labels: Mapping[str, str] | None) -> dict[str, str]:
    return {**DEFAULT_LABELS, **(labels or {})}


def _font_size(n: int) -> int:
    """Tick font size for an axis of n categories."""
    return 13 if n <= 15 else 11 if n <= 30 else 9


def _token_axis(ticks: Sequence[str], title: str, *, horizontal: bool = True) -> dict[str, Any]:
    """Axis dict for numeric positions 0..n-1 labelled with (already escaped) ticks."""
    n = len(ticks)
    axis: dict[str, Any] = {
        "tickmode": "array",
        "tickvals": list(range(n)),
        "ticktext": list(ticks),
        "tickfont": {"size": _font_size(n)},
        "title": {"text": title},
        "automargin": True,
        "showgrid": False,
        "zeroline": False,
    }
    if horizontal:
        axis["tickangle"] = 0 if n <= 8 else -45 if n <= 20 else -90
    return axis


def _finish(fig: go.Figure, title: str, height: int, template: str | None) -> go.Figure:
    fig.update_layout(
        title={
            "text": title,
            "x": 0.01,
            "xanchor": "left",
            "y": 0.99,
            "yref": "container",
            "yanchor": "top",
        },
        height=height,
        margin={"l": 10, "r": 10, "t": 72, "b": 10},
        legend={"orientation": "h", "x": 1, "xanchor": "right", "y": 1.01, "yanchor": "bottom"},
    )
    if template is not None:
        fig.update_layout(template=template)
    return fig


def _check_source(trace: DecodeTrace) -> int:
    """Number of source tokens S, after checking the source fields agree with each other."""
    n = len(trace.src_tokens)
    if n == 0:
        raise ValueError("the trace has no source tokens")
    enc = np.asarray(trace.enc_states)
    if enc.ndim != 2 or enc.shape[0] != n:
        raise ValueError(f"enc_states has shape {enc.shape} but the trace has {n} source tokens")
    if len(trace.src_unknown) != n:
        raise ValueError(f"src_unknown has length {len(trace.src_unknown)}, expected {n}")
    return n


def _get_step(trace: DecodeTrace, t: int) -> StepRecord:
    """Step t of the trace, after checking t and the step's per-source arrays."""
    n = _check_source(trace)
    if not 0 <= t < trace.n_steps:
        raise ValueError(f"step t={t} is out of range: the trace has {trace.n_steps} steps")
    step = trace.steps[t]
    for name in ("scores", "mask", "weights"):
        size = len(getattr(step, name))
        if size != n:
            raise ValueError(f"step {t}: {name} has length {size} but there are {n} source tokens")
    return step


def _src_ticks(
    trace: DecodeTrace, lab: Mapping[str, str], mask: np.ndarray | None = None
) -> list[str]:
    """Source tick labels, shortened, escaped, unknown words suffixed, masked ones greyed."""
    marks = [lab["unknown_suffix"] if unk else "" for unk in trace.src_unknown]
    ticks = [plain(_short(tok)) + mark for tok, mark in zip(trace.src_tokens, marks, strict=True)]
    if mask is None:
        return ticks
    grey = f'<span style="color:{GREY}">{{}}</span>'
    return [tick if keep else grey.format(tick) for tick, keep in zip(ticks, mask, strict=True)]


def _src_hover(trace: DecodeTrace, lab: Mapping[str, str]) -> list[str]:
    """Full source tokens for hover text, with the unknown-word note."""
    notes = [f" ({lab['unknown']})" if unk else "" for unk in trace.src_unknown]
    return [plain(tok) + note for tok, note in zip(trace.src_tokens, notes, strict=True)]


def _extra_vector(step: StepRecord, key: str, n: int) -> np.ndarray:
    values = np.asarray(step.extras[key], dtype=np.float64)
    if values.shape != (n,):
        raise ValueError(
            f"step {step.t}: extras[{key!r}] has shape {values.shape}, expected ({n},)"
        )
    return values


def _window(step: StepRecord, n: int) -> tuple[float, float] | None:
    """The step's local window [lo, hi] as cell edges clipped to the source, or None."""
    if "window" not in step.extras:
        return None
    lo, hi = (float(v) for v in step.extras["window"])
    return max(lo, 0.0) - 0.5, min(hi, n - 1.0) + 0.5


def _auto(height: int | None, rows: int, per_row: int, extra: int, least: int = 300) -> int:
    return height if height is not None else max(least, rows * per_row + extra)


# ----------------------------------------------------------------------------- encoder


def encoder_states_figure(
    trace: DecodeTrace,
    *,
    before_self_attn: bool = False,
    labels: Mapping[str, str] | None = None,
    height: int | None = None,
    template: str | None = None,
) -> go.Figure:
    """Heatmap of h_1..h_S (S x H), diverging colours centred at 0, source tokens down the side."""
    lab, n = _labels(labels), _check_source(trace)
    enc = trace.enc_rnn_states if before_self_attn else trace.enc_states
    if enc is None:
        raise ValueError("the trace has no enc_rnn_states (the model has no self-attention)")
    enc = np.asarray(enc, dtype=np.float64)
    if enc.shape[0] != n:
        raise ValueError(f"encoder states have {enc.shape[0]} rows but there are {n} tokens")
    hover = np.repeat(np.array(_src_hover(trace, lab), dtype=object)[:, None], enc.shape[1], 1)
    fig = go.Figure(
        go.Heatmap(
            z=enc,
            x=list(range(enc.shape[1])),
            y=list(range(n)),
            customdata=hover,
            colorscale="RdBu_r",
            zmid=0,
            hovertemplate=f"{lab['source']}: %{{customdata}}<br>{lab['hidden_dim']}: %{{x}}"
            f"<br>{lab['value']}: %{{z:.3f}}<extra></extra>",
        )
    )
    fig.update_yaxes(_token_axis(_src_ticks(trace, lab), lab["source"], horizontal=False))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title={"text": lab["hidden_dim"]}, showgrid=False, zeroline=False)
    return _finish(fig, lab["encoder_title"], _auto(height, n, 18, 140), template)


# ----------------------------------------------------------------------------- one step


def scores_figure(
    trace: DecodeTrace,
    t: int,
    *,
    labels: Mapping[str, str] | None = None,
    height: int | None = None,
    template: str | None = None,
) -> go.Figure:
    """Bars of the raw scores e_i at step t; masked positions greyed (they get weight 0)."""
    lab, step = _labels(labels), _get_step(trace, t)
    scores = np.asarray(step.scores, dtype=np.float64)
    scores = np.where(np.isfinite(scores), scores, 0.0)
    mask = np.asarray(step.mask, dtype=bool)
    hover = np.array(_src_hover(trace, lab), dtype=object)
    fig = go.Figure()
    for name, keep, colour in (("attended", mask, BLUE), ("masked", ~mask, GREY)):
        idx = np.flatnonzero(keep)
        fig.add_bar(
            x=idx,
            y=scores[idx],
            customdata=hover[idx],
            name=lab[name],
            marker_color=colour,
            opacity=1.0 if name == "attended" else 0.45,
            hovertemplate=f"%{{customdata}}<br>{lab['score']}: %{{y:.3f}}"
            f"<extra>{lab[name]}</extra>",
        )
    fig.update_layout(barmode="overlay")
    fig.update_xaxes(
        _token_axis(_src_ticks(trace, lab, mask), lab["source"]), range=[-0.5, len(mask) - 0.5]
    )
    fig.update_yaxes(title={"text": lab["score"]}, zeroline=True)
    return _finish(fig, lab["scores_title"].format(t=t), height or 380, template)


def _bar_text(values: np.ndarray) -> dict[str, Any]:
    """Value labels on top of bars, rotated and shrunk when there are many."""
    n = len(values)
    return {
        "text": [f"{v:.2f}" if v >= 0.005 else "" for v in values],  # no "0.00" clutter
        "textposition": "outside",
        "textangle": 0 if n <= 20 else -90,
        "textfont": {"size": _font_size(n)},
        "cliponaxis": False,
    }


def _weight_bars(
    fig: go.Figure,
    values: np.ndarray,
    hover: np.ndarray,
    name: str,
    colour: str,
    positions: np.ndarray,
    lab: Mapping[str, str],
) -> None:
    fig.add_bar(
        x=positions,
        y=values[positions],
        customdata=hover[positions],
        name=name,
        marker_color=colour,
        **_bar_text(values[positions]),
        hovertemplate=f"%{{customdata}}<br>{lab['weight']}: %{{y:.3f}}<extra>{name}</extra>",
    )


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
    gauss = _extra_vector(step, "gaussian", n)
    centre = float(step.extras["center"]) if "center" in step.extras else None
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
    window = _window(step, n)
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
    if "gaussian" in step.extras:
        _add_gaussian(fig, step, n, lab)
    if "center" in step.extras:
        centre = float(step.extras["center"])
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
    lab, step = _labels(labels), _get_step(trace, t)
    n, hover = len(step.weights), np.array(_src_hover(trace, lab), dtype=object)
    positions, fig = np.arange(n), go.Figure()
    if "sampled_index" in step.extras:
        values, sampled = _extra_vector(step, "soft_weights", n), int(step.extras["sampled_index"])
        if not 0 <= sampled < n:
            raise ValueError(f"step {t}: sampled_index {sampled} is outside 0..{n - 1}")
        others = positions[positions != sampled]
        _weight_bars(fig, values, hover, lab["soft_weights"], BLUE, others, lab)
        _weight_bars(fig, values, hover, lab["sampled"], VERMILLION, np.array([sampled]), lab)
        title = lab["hard_title"]
    else:
        values, title = np.asarray(step.weights, dtype=np.float64), lab["weights_title"]
        _weight_bars(fig, values, hover, lab["weight"], BLUE, positions, lab)
    top = float(np.max(values, initial=0.0))
    if "gaussian" in step.extras:
        top = max(top, float(np.max(_step_gaussian(step, n)[2])))
    top = max(top * 1.2, 0.05)
    _add_local_overlays(fig, step, n, top, lab)
    fig.update_layout(barmode="overlay")
    fig.update_xaxes(_token_axis(_src_ticks(trace, lab), lab["source"]), range=[-0.5, n - 0.5])
    fig.update_yaxes(title={"text": lab["weight"]}, range=[0, top])
    return _finish(fig, title.format(t=t), height or 380, template)


def weighted_states(trace: DecodeTrace, t: int) -> tuple[np.ndarray, np.ndarray]:
    """(S, H) rows a_i * h_i for step t and their sum, checked to equal the step's context."""
    step = _get_step(trace, t)
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
    lab, (rows, total) = _labels(labels), weighted_states(trace, t)
    n, dims = rows.shape[0], min(max_dims, rows.shape[1])
    gap = np.full((1, dims), np.nan)
    z = np.vstack([rows[:, :dims], gap, total[None, :dims]])  # (S + 2, dims)
    weights = trace.steps[t].weights
    pairs = zip(_src_ticks(trace, lab), weights, strict=True)
    ticks = [f"{tick} · {a:.2f}" for tick, a in pairs]  # row i is a_i · h_i
    names = [*_src_hover(trace, lab), "", lab["context_row"]]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=list(range(dims)),
            y=list(range(n + 2)),
            colorscale="RdBu_r",
            zmid=0,
            customdata=np.repeat(np.array(names, dtype=object)[:, None], dims, 1),
            hoverongaps=False,
            hovertemplate=f"%{{customdata}}<br>{lab['hidden_dim']}: %{{x}}"
            f"<br>{lab['value']}: %{{z:.3f}}<extra></extra>",
        )
    )
    axis = _token_axis([*ticks, "", plain(lab["context_row"])], lab["source"], horizontal=False)
    fig.update_yaxes(axis, autorange="reversed")
    xtitle = lab["dims_shown"].format(shown=dims, total=rows.shape[1])
    fig.update_xaxes(title={"text": xtitle}, showgrid=False, zeroline=False)
    return _finish(fig, lab["context_title"].format(t=t), _auto(height, n + 2, 18, 150), template)


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
    lab, step = _labels(labels), _get_step(trace, t)
    words, probs, chosen = _topk_rows(step)
    ticks = [plain(_short(w, 24)) for w in words]
    if len(words) > len(step.topk_tokens):
        ticks[-1] += " " + lab["not_in_topk"]
    fig = go.Figure(
        go.Bar(
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
    fig.update_yaxes(_token_axis(ticks, lab["word"], horizontal=False), autorange="reversed")
    fig.update_xaxes(title={"text": lab["probability"]}, range=[0, min(1.0, probs.max()) * 1.2])
    title = lab["output_title"].format(t=t, k=len(step.topk_tokens))
    if step.forced:
        title += lab["forced_note"].format(token=plain(step.token))
    return _finish(fig, title, _auto(height, len(words), 26, 120, least=260), template)


def softmax_figure(
    trace: DecodeTrace,
    t: int,
    *,
    labels: Mapping[str, str] | None = None,
    height: int | None = None,
    template: str | None = None,
) -> go.Figure:
    """Bars of exp(e_i - max e) per source token (0 where masked); the title gives their sum."""
    lab, step = _labels(labels), _get_step(trace, t)
    parts, total = step.softmax_parts()
    mask = np.asarray(step.mask, dtype=bool)
    share = parts / total if total > 0 else np.zeros_like(parts)
    hover = np.array(_src_hover(trace, lab), dtype=object)
    data = np.stack([hover, share], axis=-1)
    fig = go.Figure()
    for name, keep, colour in (("exp_part", mask, BLUE), ("masked", ~mask, GREY)):
        idx = np.flatnonzero(keep)
        fig.add_bar(
            x=idx,
            y=parts[idx],
            customdata=data[idx],
            name=lab[name],
            marker_color=colour,
            **_bar_text(parts[idx]),
            hovertemplate=f"%{{customdata[0]}}<br>{lab['exp_part']}: %{{y:.3f}}"
            f"<br>{lab['share']}: %{{customdata[1]:.3f}}<extra>{lab[name]}</extra>",
        )
    fig.update_layout(barmode="overlay")
    fig.update_xaxes(
        _token_axis(_src_ticks(trace, lab, mask), lab["source"]), range=[-0.5, len(mask) - 0.5]
    )
    fig.update_yaxes(title={"text": lab["exp_part"]}, range=[0, 1.2])
    return _finish(fig, lab["softmax_title"].format(t=t, total=total), height or 380, template)


# ----------------------------------------------------------------------------- whole run


def _checked_matrix(trace: DecodeTrace) -> np.ndarray:
    n = _check_source(trace)
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
        window = _window(step, n)
        if window is not None:
            lo, hi = window
            xs += [lo, hi, hi, lo, lo, None]
            ys += [r - 0.45, r - 0.45, r + 0.45, r + 0.45, r - 0.45, None]
        if "center" in step.extras:
            cx.append(float(step.extras["center"]))
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
    lab, z = _labels(labels), _checked_matrix(trace)
    rows, n = z.shape
    upto = rows - 1 if upto is None else upto
    if not 0 <= upto < rows:
        raise ValueError(f"upto={upto} is out of range: the trace has {rows} steps")
    if highlight is not None and not 0 <= highlight < rows:
        raise ValueError(f"highlight={highlight} is out of range: the trace has {rows} steps")
    z[upto + 1 :] = np.nan
    tgt = [plain(tok) for tok in trace.step_tokens()]
    cells = np.empty((rows, n, 2), dtype=object)
    cells[:, :, 0] = np.array(tgt, dtype=object)[:, None]
    cells[:, :, 1] = np.array(_src_hover(trace, lab), dtype=object)[None, :]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=list(range(n)),
            y=list(range(rows)),
            customdata=cells,
            colorscale="Viridis",
            zmin=0,
            zmax=zmax,
            hoverongaps=False,
            colorbar={"title": {"text": lab["weight"], "side": "right"}},
            hovertemplate=f"{lab['target']}: %{{customdata[0]}}<br>{lab['source']}: "
            f"%{{customdata[1]}}<br>{lab['weight']}: %{{z:.3f}}<extra></extra>",
        )
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
    ticks = [_short(tok) if r <= upto else "" for r, tok in enumerate(tgt)]
    axis = _token_axis(ticks, lab["target"], horizontal=False)
    fig.update_yaxes(axis, range=[rows - 0.5, -0.5])  # reversed: first step on top
    fig.update_xaxes(_token_axis(_src_ticks(trace, lab), lab["source"]), range=[-0.5, n - 0.5])
    return _finish(fig, lab["heatmap_title"], _auto(height, rows, 22, 200, least=320), template)


# ----------------------------------------------------------------------------- beam tree


def _tree_nodes(trace: DecodeTrace) -> dict[int, BeamNode]:
    """All beam nodes by id, after checking ids, parents and statuses."""
    if not trace.beam_nodes:
        raise ValueError("the trace has no beam-search tree (decode with beam search)")
    nodes = {node.id: node for node in trace.beam_nodes}
    if len(nodes) != len(trace.beam_nodes):
        raise ValueError("beam_nodes has repeated ids")
    for node in nodes.values():
        if node.parent != -1 and node.parent not in nodes:
            raise ValueError(f"beam node {node.id} has unknown parent {node.parent}")
        if node.status not in NODE_STATUSES:
            raise ValueError(f"beam node {node.id} has unknown status {node.status!r}")
    return nodes


def _children(nodes: Mapping[int, BeamNode]) -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {i: [] for i in nodes}
    for node in sorted(nodes.values(), key=lambda nd: (nd.rank, nd.id)):
        if node.parent in kids:
            kids[node.parent].append(node.id)
    return kids


def tree_layout(nodes: Mapping[int, BeamNode], pruned_gap: float = 1.0) -> dict[int, float]:
    """Tidy y positions: leaves in depth-first order, a parent at the mean of its children.

    A leaf takes a slot of height 1 (``pruned_gap`` for a pruned leaf), so leaves never overlap
    and a parent lies inside its own children's range: no two nodes of one step coincide.
    """
    kids, y = _children(nodes), {}
    cursor = 0.0
    roots = sorted(i for i, node in nodes.items() if node.parent not in nodes)
    stack: list[tuple[int, bool]] = [(r, False) for r in reversed(roots)]
    while stack:  # iterative post-order, so deep trees cannot hit the recursion limit
        i, expanded = stack.pop()
        if not kids[i]:
            size = pruned_gap if nodes[i].status == "pruned" else 1.0
            y[i], cursor = cursor + size / 2, cursor + size
        elif expanded:
            y[i] = float(np.mean([y[k] for k in kids[i]]))
        else:
            stack.append((i, True))
            stack.extend((k, False) for k in reversed(kids[i]))
    return y


def _path_to_root(nodes: Mapping[int, BeamNode], node_id: int) -> list[int]:
    path = []
    while node_id in nodes:
        path.append(node_id)
        node_id = nodes[node_id].parent
    return path[::-1]


def _greedy_path(nodes: Mapping[int, BeamNode], tokens: Sequence[str]) -> list[int]:
    """Follow the greedy tokens from the root through the tree as far as the tree goes."""
    kids = _children(nodes)
    roots = [i for i, node in nodes.items() if node.parent == -1]
    if not roots or not tokens:
        return []
    path = [roots[0]]
    for token in tokens:
        nxt = [k for k in kids[path[-1]] if nodes[k].token == token]
        if not nxt:
            break
        path.append(nxt[0])
    return path if len(path) > 1 else []


def _line(nodes: Mapping[int, BeamNode], y: Mapping[int, float], path: Sequence[int]) -> dict:
    return {"x": [nodes[i].step for i in path], "y": [y[i] for i in path]}


def _edges(nodes: Mapping[int, BeamNode], y: Mapping[int, float]) -> dict:
    xs: list[float | None] = []
    ys: list[float | None] = []
    for node in nodes.values():
        if node.parent in nodes:
            xs += [nodes[node.parent].step, node.step, None]
            ys += [y[node.parent], y[node.id], None]
    return {"x": xs, "y": ys}


def _status_trace(
    nodes: list[BeamNode],
    y: Mapping[int, float],
    status: str,
    show_text: bool,
    lab: Mapping[str, str],
) -> go.Scatter:
    colour, symbol = STATUS_STYLE[status]
    data = [[plain(n.token), n.logp, n.score, n.norm_score, lab[status], n.rank] for n in nodes]
    hover = "<br>".join(
        f"{lab[key]}: %{{customdata[{i}]{fmt}}}"
        for i, (key, fmt) in enumerate(
            [
                ("token", ""),
                ("logp", ":.3f"),
                ("cum_score", ":.3f"),
                ("norm_score", ":.3f"),
                ("status", ""),
                ("rank", ""),
            ]
        )
    )
    return go.Scatter(
        x=[n.step for n in nodes],
        y=[y[n.id] for n in nodes],
        customdata=data,
        name=lab[status],
        mode="markers+text" if show_text else "markers",
        text=[plain(_short(n.token)) for n in nodes],
        textposition="top center",
        textfont={"size": 11},
        marker={"color": colour, "symbol": symbol, "size": 10 if status != "pruned" else 8},
        hovertemplate=hover + "<extra></extra>",
    )


def _add_paths(
    fig: go.Figure,
    trace: DecodeTrace,
    nodes: Mapping[int, BeamNode],
    y: Mapping[int, float],
    lab: Mapping[str, str],
) -> None:
    """The best hypothesis's path (thick) and the greedy path (dashed), as far as visible."""
    if trace.hypotheses:
        every = _tree_nodes(trace)
        best = [i for i in _path_to_root(every, trace.hypotheses[0].node_id) if i in nodes]
        line = {"color": ORANGE, "width": 7}
        fig.add_scatter(
            **_line(nodes, y, best),
            mode="lines",
            name=lab["best_path"],
            line=line,
            opacity=0.6,
            hoverinfo="skip",
        )
    greedy = _greedy_path(nodes, trace.greedy_tokens)
    if greedy:
        line = {"color": PURPLE, "width": 2.5, "dash": "dash"}
        fig.add_scatter(
            **_line(nodes, y, greedy),
            mode="lines",
            name=lab["greedy_path"],
            line=line,
            hoverinfo="skip",
        )


def beam_tree_figure(
    trace: DecodeTrace,
    upto_step: int | None = None,
    *,
    labels: Mapping[str, str] | None = None,
    height: int | None = None,
    template: str | None = None,
) -> go.Figure:
    """The beam-search tree: x = output position, kept/pruned/finished styled apart,
    best hypothesis thick, greedy path dashed; nodes after ``upto_step`` hidden.

    The layout and axes come from the whole tree, so nodes stay put as ``upto_step`` grows.
    Big trees (over 60 leaves) pack pruned leaves closer and drop their token text."""
    lab, every = _labels(labels), _tree_nodes(trace)
    nodes = {i: n for i, n in every.items() if upto_step is None or n.step <= upto_step}
    big = sum(1 for kids in _children(every).values() if not kids) > 60
    y = tree_layout(every, pruned_gap=0.45 if big else 1.0)
    fig = go.Figure()
    edges = _edges(nodes, y)
    fig.add_scatter(
        **edges, mode="lines", line={"color": GREY, "width": 1}, hoverinfo="skip", showlegend=False
    )
    _add_paths(fig, trace, nodes, y, lab)
    for status in NODE_STATUSES:
        group = [node for node in nodes.values() if node.status == status]
        fig.add_trace(_status_trace(group, y, status, status != "pruned" or not big, lab))
    last = max(node.step for node in every.values())
    fig.update_xaxes(title={"text": lab["step"]}, dtick=1, range=[-1.5, last + 0.7], zeroline=False)
    span = max(y.values()) + 0.5
    fig.update_yaxes(visible=False, range=[span, -0.5])
    return _finish(fig, lab["beam_title"], _auto(height, round(span), 22, 150, least=320), template)


# ----------------------------------------------------------------------------- extras


def self_attention_figure(
    trace: DecodeTrace,
    head: int,
    *,
    labels: Mapping[str, str] | None = None,
    height: int | None = None,
    template: str | None = None,
) -> go.Figure:
    """Source x source heatmap of one encoder self-attention head (rows: queries)."""
    lab, n = _labels(labels), _check_source(trace)
    if trace.self_attn is None:
        raise ValueError("the trace has no encoder self-attention (the model was built without it)")
    attn = np.asarray(trace.self_attn, dtype=np.float64)
    if attn.ndim != 3 or attn.shape[1:] != (n, n):
        raise ValueError(f"self_attn has shape {attn.shape}, expected (heads, {n}, {n})")
    if not 0 <= head < attn.shape[0]:
        raise ValueError(f"head={head} is out of range: the trace has {attn.shape[0]} heads")
    hover = _src_hover(trace, lab)
    cells = np.empty((n, n, 2), dtype=object)
    cells[:, :, 0], cells[:, :, 1] = np.array(hover)[:, None], np.array(hover)[None, :]
    fig = go.Figure(
        go.Heatmap(
            z=attn[head],
            x=list(range(n)),
            y=list(range(n)),
            customdata=cells,
            colorscale="Viridis",
            zmin=0,
            zmax=1,
            colorbar={"title": {"text": lab["weight"], "side": "right"}},
            hovertemplate=f"{lab['query']}: %{{customdata[0]}}<br>{lab['key']}: "
            f"%{{customdata[1]}}<br>{lab['weight']}: %{{z:.3f}}<extra></extra>",
        )
    )
    ticks = _src_ticks(trace, lab)
    fig.update_xaxes(_token_axis(ticks, lab["key"]), range=[-0.5, n - 0.5])
    fig.update_yaxes(_token_axis(ticks, lab["query"], horizontal=False), autorange="reversed")
    title = lab["self_attn_title"].format(head=head)
    return _finish(fig, title, _auto(height, n, 20, 200, least=360), template)


def hard_samples_figure(
    soft_weights: np.ndarray,
    samples: Sequence[int],
    tokens: Sequence[str],
    *,
    labels: Mapping[str, str] | None = None,
    height: int | None = None,
    template: str | None = None,
) -> go.Figure:
    """Grouped bars: the soft distribution vs. how often each position was drawn in samples."""
    lab, soft = _labels(labels), np.asarray(soft_weights, dtype=np.float64)
    n = len(tokens)
    if soft.shape != (n,) or n == 0:
        raise ValueError(f"soft_weights has shape {soft.shape} but there are {n} tokens")
    picks = np.asarray(samples, dtype=np.int64)
    if picks.size == 0 or picks.min() < 0 or picks.max() >= n:
        raise ValueError(f"samples must be a non-empty list of positions in 0..{n - 1}")
    freq = np.bincount(picks, minlength=n) / picks.size
    fig = go.Figure()
    for name, values, colour in (("soft_weights", soft, BLUE), ("empirical", freq, ORANGE)):
        fig.add_bar(
            x=list(range(n)),
            y=values,
            name=lab[name],
            marker_color=colour,
            customdata=[plain(tok) for tok in tokens],
            hovertemplate=f"%{{customdata}}<br>{lab[name]}: %{{y:.3f}}<extra></extra>",
        )
    fig.update_layout(barmode="group")
    fig.update_xaxes(_token_axis([plain(_short(tok)) for tok in tokens], lab["source"]))
    fig.update_yaxes(title={"text": lab["probability"]})
    title = lab["hard_samples_title"].format(n=picks.size)
    return _finish(fig, title, height or 380, template)


def _bleu_table(rows: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[str], dict]:
    """Models and buckets in order of first appearance, and (model, bucket) -> row."""
    if not rows:
        raise ValueError("bleu_by_length_figure needs at least one row")
    table: dict[tuple[str, str], Mapping[str, Any]] = {}
    for row in rows:
        missing = {"model", "bucket", "bleu", "n"} - set(row)
        if missing:
            raise ValueError(f"a BLEU row lacks {sorted(missing)}: {dict(row)}")
        key = (str(row["model"]), str(row["bucket"]))
        if key in table:
            raise ValueError(f"repeated BLEU row for model {key[0]!r}, bucket {key[1]!r}")
        table[key] = row
    models = list(dict.fromkeys(k[0] for k in table))
    buckets = list(dict.fromkeys(k[1] for k in table))
    return models, buckets, table


def bleu_by_length_figure(
    rows: Sequence[Mapping[str, Any]],
    *,
    labels: Mapping[str, str] | None = None,
    height: int | None = None,
    template: str | None = None,
) -> go.Figure:
    """BLEU per sentence-length bucket, one line per model (after Bahdanau et al. 2015, fig. 2)."""
    lab = _labels(labels)
    models, buckets, table = _bleu_table(rows)
    ticks = [plain(b) for b in buckets]
    fig = go.Figure()
    for m, model in enumerate(models):
        found = [table.get((model, b)) for b in buckets]
        fig.add_scatter(
            x=ticks,
            y=[None if r is None else float(r["bleu"]) for r in found],
            customdata=[None if r is None else int(r["n"]) for r in found],
            name=plain(model),
            mode="lines+markers",
            line={"color": PALETTE[m % len(PALETTE)], "width": 2.5},
            marker={"symbol": SYMBOLS[m % len(SYMBOLS)], "size": 9},
            hovertemplate=f"{lab['model']}: {plain(model)}<br>{lab['length_bucket']}: %{{x}}"
            f"<br>{lab['bleu']}: %{{y:.2f}}<br>{lab['sentences']}: %{{customdata}}<extra></extra>",
        )
    fig.update_xaxes(
        type="category",
        categoryorder="array",
        categoryarray=ticks,
        title={"text": lab["length_bucket"]},
    )
    fig.update_yaxes(title={"text": lab["bleu"]}, rangemode="tozero")
    return _finish(fig, lab["bleu_title"], height or 400, template)
