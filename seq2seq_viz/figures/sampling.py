"""The output distribution of a sampled step: the model's p(y) beside the transformed p~(y)
(temperature, top-k, top-p; steer.py) that the word was drawn from."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go

from seq2seq_viz.trace import DecodeTrace

from .common import (
    BLUE,
    ORANGE,
    auto_height,
    checked_step,
    finish_layout,
    plain,
    shorten,
    token_axis,
)
from .labels import merge_labels


def sample_rows(trace: DecodeTrace, t: int) -> tuple[list[str], np.ndarray, np.ndarray, int]:
    """Words, p(y), p~(y) of the recorded top-k (the drawn word appended when it is not among
    them) and the row of the drawn word."""
    step = checked_step(trace, t)
    if "sample_probs" not in step.extras:
        raise ValueError(f"step {t} was not sampled (the trace's mode is {trace.mode!r})")
    words = list(step.topk_tokens)
    before = np.asarray(step.topk_probs, dtype=np.float64)
    after = np.asarray(step.extras["sample_probs"], dtype=np.float64)
    if len(after) != len(words) or len(before) != len(words):
        raise ValueError(f"step {t}: sample_probs has {len(after)} values for {len(words)} words")
    ids = [int(i) for i in step.topk_ids]
    if step.token_id not in ids:
        words.append(step.token)
        before = np.append(before, np.exp(step.logp))
        after = np.append(after, step.extras["sample_token_prob"])
        ids.append(step.token_id)
    return words, before, after, ids.index(step.token_id)


def sample_figure(
    trace: DecodeTrace,
    t: int,
    *,
    labels: Mapping[str, str] | None = None,
    height: int | None = None,
    template: str | None = None,
) -> go.Figure:
    """Horizontal bars of p(y) and p~(y) over the step's top-k words; the drawn word marked."""
    lab = merge_labels(labels)
    words, before, after, drawn = sample_rows(trace, t)
    rows = list(range(len(words)))
    ticks = [plain(shorten(w, 24)) for w in words]
    ticks[drawn] = f"<b>{ticks[drawn]}</b> ← {lab['sample_drawn']}"
    fig = go.Figure()
    for values, name, colour in (
        (before, lab["sample_before"], BLUE),
        (after, lab["sample_after"], ORANGE),
    ):
        fig.add_bar(
            x=values,
            y=rows,
            orientation="h",
            name=name,
            marker_color=colour,
            customdata=[plain(w) for w in words],
            text=[f"{v:.3f}" for v in values],
            textposition="outside",
            cliponaxis=False,
            hovertemplate=f"{lab['word']}: %{{customdata}}<br>{name}: %{{x:.4f}}<extra></extra>",
        )
    fig.update_layout(barmode="group", legend={"orientation": "h", "y": -0.15})
    fig.update_yaxes(token_axis(ticks, lab["word"], horizontal=False), autorange="reversed")
    top = float(max(before.max(), after.max()))
    fig.update_xaxes(title={"text": lab["probability"]}, range=[0, min(1.0, top) * 1.25])
    height = auto_height(height, len(words), 34, 160, least=320)
    return finish_layout(fig, lab["sample_title"].format(t=t), height, template)
