"""What every figure shares: colours, escaping, token axes, the title layout and trace checks.

Labels live in :mod:`.labels`, the fast figure writer in :mod:`.fast`.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from seq2seq_viz.trace import DecodeTrace, StepRecord

BLUE, ORANGE, VERMILLION = "#0072B2", "#E69F00", "#D55E00"
GREEN, PURPLE, SKY, GREY = "#009E73", "#CC79A7", "#56B4E9", "#999999"
PALETTE = (BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY, "#F0E442", GREY)
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x", "star", "cross", "hexagon")
STATUS_STYLE = {"kept": (BLUE, "circle"), "pruned": (GREY, "x"), "finished": (GREEN, "star")}
MAX_TOKEN_CHARS = 14


def plain(s: object) -> str:
    """Text shown literally by plotly: ``<``, ``>`` and ``&`` become HTML entities."""
    return html.escape(str(s), quote=False)


def shorten(token: str, limit: int = MAX_TOKEN_CHARS) -> str:
    return token if len(token) <= limit else token[: limit - 1] + "…"


def tick_font_size(n: int) -> int:
    """Tick font size for an axis of n categories."""
    return 13 if n <= 15 else 11 if n <= 30 else 9


def token_axis(ticks: Sequence[str], title: str, *, horizontal: bool = True) -> dict[str, Any]:
    """Axis dict for numeric positions 0..n-1 labelled with (already escaped) ticks."""
    n = len(ticks)
    axis: dict[str, Any] = {
        "tickmode": "array",
        "tickvals": list(range(n)),
        "ticktext": list(ticks),
        "tickfont": {"size": tick_font_size(n)},
        "title": {"text": title},
        "automargin": True,
        "showgrid": False,
        "zeroline": False,
    }
    if horizontal and n > 8:  # up to 8, plotly's default turns labels only if they collide
        axis["tickangle"] = -45 if n <= 20 else -90
    return axis


def visible_width(text: str) -> int:
    """Width of a plotly label in narrow characters: tags (<sub>...) take none, and wide
    characters (Hangul, CJK) take two."""
    plain = re.sub(r"<[^>]*>", "", text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in plain)


def wrap_title(title: str, width: int) -> str:
    """A figure title broken into lines of at most `width` narrow characters at spaces
    (plotly never wraps a title: a long one runs off a narrow column)."""
    lines: list[str] = []
    for word in title.split(" "):
        if lines and visible_width(lines[-1] + " " + word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


def finish_layout(fig: go.Figure, title: str, height: int, template: str | None) -> go.Figure:
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


def check_source(trace: DecodeTrace) -> int:
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


def checked_step(trace: DecodeTrace, t: int) -> StepRecord:
    """Step t of the trace, after checking t and the step's per-source arrays."""
    n = check_source(trace)
    if not 0 <= t < trace.n_steps:
        raise ValueError(f"step t={t} is out of range: the trace has {trace.n_steps} steps")
    step = trace.steps[t]
    for name in ("scores", "mask", "weights"):
        size = len(getattr(step, name))
        if size != n:
            raise ValueError(f"step {t}: {name} has length {size} but there are {n} source tokens")
    return step


def source_ticks(
    trace: DecodeTrace, lab: Mapping[str, str], mask: np.ndarray | None = None
) -> list[str]:
    """Source tick labels, shortened, escaped, unknown words suffixed, masked ones greyed."""
    marks = [lab["unknown_suffix"] if unk else "" for unk in trace.src_unknown]
    ticks = [plain(shorten(tok)) + mark for tok, mark in zip(trace.src_tokens, marks, strict=True)]
    if mask is None:
        return ticks
    grey = f'<span style="color:{GREY}">{{}}</span>'
    return [tick if keep else grey.format(tick) for tick, keep in zip(ticks, mask, strict=True)]


def source_hover(trace: DecodeTrace, lab: Mapping[str, str]) -> list[str]:
    """Full source tokens for hover text, with the unknown-word note."""
    notes = [f" ({lab['unknown']})" if unk else "" for unk in trace.src_unknown]
    return [plain(tok) + note for tok, note in zip(trace.src_tokens, notes, strict=True)]


def alignment_vector(step: StepRecord, name: str, n: int) -> np.ndarray:
    """The step's (S,) alignment field `name` ("soft_weights", "gaussian") as float64, checked
    against the source length `n`."""
    values = np.asarray(getattr(step, name), dtype=np.float64)
    if values.shape != (n,):
        raise ValueError(f"step {step.t}: {name} has shape {values.shape}, expected ({n},)")
    return values


def window_edges(step: StepRecord, n: int) -> tuple[float, float] | None:
    """The step's local window [lo, hi] as cell edges clipped to the source, or None."""
    if step.window is None:
        return None
    lo, hi = (float(v) for v in step.window)
    return max(lo, 0.0) - 0.5, min(hi, n - 1.0) + 0.5


def auto_height(height: int | None, rows: int, per_row: int, extra: int, least: int = 300) -> int:
    return height if height is not None else max(least, rows * per_row + extra)


def source_xaxis(
    fig: go.Figure,
    trace: DecodeTrace,
    lab: Mapping[str, str],
    mask: np.ndarray | None = None,
    title: str | None = None,
) -> None:
    """Source tokens along x, one column per position (masked ones greyed when given)."""
    ticks = source_ticks(trace, lab, mask)
    axis = token_axis(ticks, lab["source"] if title is None else title)
    fig.update_xaxes(axis, range=[-0.5, len(ticks) - 0.5])
