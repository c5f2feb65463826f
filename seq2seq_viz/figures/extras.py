"""Figures of data beyond one trace: hard-attention samples, BLEU by sentence length, and the
shipped models' learning curves."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from .common import (
    BLUE,
    ORANGE,
    PALETTE,
    SYMBOLS,
    finish_layout,
    plain,
    shorten,
    token_axis,
    wrap_title,
)
from .labels import merge_labels


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
    lab, soft = merge_labels(labels), np.asarray(soft_weights, dtype=np.float64)
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
    fig.update_xaxes(token_axis([plain(shorten(tok)) for tok in tokens], lab["source"]))
    fig.update_yaxes(title={"text": lab["probability"]})
    title = lab["hard_samples_title"].format(n=picks.size)
    return finish_layout(fig, title, height or 380, template)


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
    legend_width: int | None = None,
) -> go.Figure:
    """BLEU per sentence-length bucket, one line per model (after Bahdanau et al. 2015, fig. 2).
    Its default title says greedy search, as the rows the app and the reports pass are
    (results.json `bleu_by_length`); for `bleu_by_length_beam5` rows pass a `bleu_title` label.
    `legend_width`: break long model names in the legend into lines of about that many narrow
    characters (plotly never wraps them: on a phone a long one runs off the chart)."""
    lab = merge_labels(labels)
    models, buckets, table = _bleu_table(rows)
    ticks = [plain(b) for b in buckets]
    fig = go.Figure()
    for m, model in enumerate(models):
        found = [table.get((model, b)) for b in buckets]
        fig.add_scatter(
            x=ticks,
            y=[None if r is None else float(r["bleu"]) for r in found],
            customdata=[None if r is None else int(r["n"]) for r in found],
            name=wrap_title(plain(model), legend_width) if legend_width else plain(model),
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
    many = len(models) > 2
    fig = finish_layout(
        fig, lab["bleu_title"], height or 400 + (22 * len(models) if many else 0), template
    )
    if many:  # their legend goes under the axis (above it, its rows ran into the title)
        fig.update_layout(
            legend={"orientation": "h", "x": 0, "xanchor": "left", "y": -0.18, "yanchor": "top"},
            margin={"t": 48},
        )
    return fig


def learning_curves_figure(
    histories: Mapping[str, Sequence[Mapping[str, Any]]],
    best: Mapping[str, int] | None = None,
    *,
    labels: Mapping[str, str] | None = None,
    height: int | None = None,
    template: str | None = None,
) -> go.Figure:
    """Validation NLL after each epoch, one line per model, read from the models' training
    records: `histories` maps a model to its history rows (epoch, valid_nll, lr, and stage for
    the epochs of a later stage, trained on from the earlier stage's weights); `best` maps it to
    the epoch whose weights it kept, ringed. A later stage continues its line dashed. A curve
    that flattens is a model trained until its validation loss stopped improving; one still
    falling when it ends was stopped by its budget."""
    lab = merge_labels(labels)
    fig = go.Figure()
    ends, lows = [], []  # each model's last and lowest loss
    for m, (model, rows) in enumerate(histories.items()):
        rows = [r for r in rows if _epoch_row(r)]
        if not rows:
            continue
        ends.append(float(rows[-1]["valid_nll"]))
        lows.append(min(float(r["valid_nll"]) for r in rows))
        colour, name = CURVE_COLOURS[m % len(CURVE_COLOURS)], plain(model)
        first = [r for r in rows if _stage(r) == 1]
        later = [r for r in rows if _stage(r) > 1]
        parts = [(first, "solid")] if first else []
        if later:  # joined to stage 1's last point
            parts.append((first[-1:] + later, "dash"))
        hover = (
            f"{lab['model']}: {name}<br>{lab['epoch']} %{{x}}<br>{lab['valid_nll']}: %{{y:.3f}}"
            f"<br>{lab['learning_rate']}: %{{customdata[0]}}<br>{lab['stage']}: "
            "%{customdata[1]}<extra></extra>"
        )
        for k, (part, dash) in enumerate(parts):
            fig.add_scatter(
                x=[int(r["epoch"]) for r in part],
                y=[float(r["valid_nll"]) for r in part],
                customdata=[[_rate(r.get("lr")), _stage(r)] for r in part],
                name=name,
                legendgroup=name,
                showlegend=k == 0,
                mode="lines+markers",
                line={"color": colour, "width": 2, "dash": dash},
                marker={"symbol": SYMBOLS[m % len(SYMBOLS)], "size": 6},
                hovertemplate=hover,
            )
        kept = [r for r in rows if best and int(r["epoch"]) == best.get(model)]
        if kept:
            fig.add_scatter(
                x=[int(kept[0]["epoch"])],
                y=[float(kept[0]["valid_nll"])],
                name=lab["kept_epoch"].format(model=name),
                legendgroup=name,
                showlegend=False,
                mode="markers",
                marker={
                    "symbol": "circle-open",
                    "size": 16,
                    "color": colour,
                    "line": {"width": 2.5},
                },
                hovertemplate=lab["kept_epoch"].format(model=name)
                + f"<br>{lab['epoch']} %{{x}}<br>{lab['valid_nll']}: %{{y:.3f}}<extra></extra>",
            )
    if not fig.data:
        raise ValueError("learning_curves_figure needs at least one model with a history")
    fig.update_xaxes(title={"text": lab["epoch"]}, rangemode="tozero")
    # the first epochs' losses (2-3) would squeeze the endings that tell whether a model
    # converged: the axis starts showing the endings; a double click shows every point
    fig.update_yaxes(title={"text": lab["valid_nll"]}, range=[min(lows) - 0.05, max(ends) + 0.45])
    models = len(histories)
    fig = finish_layout(fig, lab["curves_title"], height or 420 + 22 * models, template)
    fig.update_layout(  # legend under the axis, as in bleu_by_length_figure
        legend={"orientation": "h", "x": 0, "xanchor": "left", "y": -0.18, "yanchor": "top"},
        margin={"t": 48},
    )
    return fig


# the Okabe-Ito colours of PALETTE, then four of Paul Tol's: twelve lines without a repeat
CURVE_COLOURS = (*PALETTE, "#882255", "#44AA99", "#999933", "#332288")


def _epoch_row(row: Any) -> bool:
    """A history row with an epoch number and a finite validation loss (others are left out:
    a hand-edited record, or a run that diverged)."""
    return (
        isinstance(row, Mapping)
        and isinstance(row.get("epoch"), int)
        and isinstance(row.get("valid_nll"), (int, float))
        and math.isfinite(row["valid_nll"])
    )


def _stage(row: Mapping[str, Any]) -> int:
    stage = row.get("stage")
    return stage if isinstance(stage, int) and stage > 1 else 1


def _rate(lr: Any) -> str:
    return f"{float(lr):.2g}" if isinstance(lr, (int, float)) else "?"
