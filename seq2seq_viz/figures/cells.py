"""Inside the encoder's cell: gate heatmaps across the sentence, the mean of each gate per token,
and the cell's equations filled in with one token's numbers.

The input is a `seq2seq_viz.cells.CellTrace` (plain numpy; this module never imports torch): the
equations written here are the ones `seq2seq_viz.cells` computes (PyTorch's documented ones).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .common import PALETTE, SYMBOLS, finish_layout, plain, shorten, token_axis
from .labels import merge_labels

if TYPE_CHECKING:
    from seq2seq_viz.cells import CellSteps

SIGMOID_GATES = {"r", "z", "i", "f", "o"}  # in 0..1; the others (n, g, h, C) in -1..1
ROWS = {
    "rnn": ("h",),
    "gru": ("r", "z", "n", "h"),
    "lstm": ("f", "i", "o", "g", "c", "h"),
}
SYMBOL = {"r": "r_t", "z": "z_t", "n": "n_t", "i": "i_t", "f": "f_t", "o": "o_t", "g": "g_t",
          "c": "C_t", "h": "h_t"}  # fmt: skip
HTML_SYMBOL = {k: f"{v[0]}<sub>t</sub>" for k, v in SYMBOL.items()}


def rows_of(steps: CellSteps, cell: str) -> dict[str, np.ndarray]:
    """(S,h) arrays in display order: the gates, then C_t (LSTM) and h_t."""
    if cell not in ROWS:
        raise ValueError(f"unknown cell {cell!r}")
    arrays = {**steps.gates, "h": steps.h}
    if steps.c is not None:
        arrays["c"] = steps.c
    missing = [k for k in ROWS[cell] if k not in arrays]
    if missing:
        raise ValueError(f"a {cell} trace lacks {missing}")
    return {k: np.asarray(arrays[k]) for k in ROWS[cell]}


def gates_figure(
    steps: CellSteps,
    cell: str,
    tokens: Sequence[str],
    *,
    units: int = 8,
    selected: int | None = None,
    labels: Mapping[str, str] | None = None,
    height: int | None = None,
    template: str | None = None,
) -> go.Figure:
    """One heatmap per gate/state: units (first `units`) by source tokens; the selected token's
    column is outlined."""
    lab = merge_labels(labels)
    rows = rows_of(steps, cell)
    S = len(tokens)
    for name, values in rows.items():
        if values.shape[0] != S:
            raise ValueError(f"{name} has {values.shape[0]} rows but there are {S} tokens")
    total = next(iter(rows.values())).shape[1]
    shown = min(units, total)
    titles = [lab.get(f"gate_{k}", HTML_SYMBOL[k]) for k in rows]
    fig = make_subplots(rows=len(rows), cols=1, shared_xaxes=True, subplot_titles=titles,
                        vertical_spacing=0.3 / len(rows))  # fmt: skip
    ticks = [plain(shorten(tok)) for tok in tokens]
    for r, (name, values) in enumerate(rows.items(), start=1):
        lo = 0.0 if name in SIGMOID_GATES else -1.0
        fig.add_heatmap(
            z=values[:, :shown].T,  # (units, S)
            x=list(range(S)),
            y=list(range(shown)),
            zmin=lo,
            zmax=1.0,
            colorscale="Viridis" if lo == 0 else "RdBu",
            reversescale=lo != 0,
            showscale=name == _first_of_kind(rows, lo == 0),
            colorbar=_colorbar(lo, r, len(rows)),
            customdata=np.array(ticks, dtype=object)[None, :].repeat(shown, 0),
            hovertemplate=f"{HTML_SYMBOL[name]} · %{{customdata}} · {lab['unit']} %{{y}}"
            f"<br>{lab['value']}: %{{z:.4f}}<extra></extra>",
            row=r,
            col=1,
        )
        fig.update_yaxes(title={"text": lab["unit"]}, autorange="reversed", row=r, col=1)
        if selected is not None and 0 <= selected < S:
            fig.add_vrect(x0=selected - 0.5, x1=selected + 0.5, line={"color": "#D55E00",
                          "width": 2.5}, fillcolor="rgba(0,0,0,0)", row=r, col=1)  # fmt: skip
    fig.update_xaxes(token_axis(ticks, lab["source"]), row=len(rows), col=1)
    title = lab["cell_gates_title"].format(shown=shown, total=total)
    return finish_layout(fig, title, height or 120 + 130 * len(rows), template)


def _first_of_kind(rows: Mapping[str, np.ndarray], sigmoid: bool) -> str | None:
    """The first row in 0..1 (sigmoid) or in -1..1: the one that carries the colour bar."""
    return next((k for k in rows if (k in SIGMOID_GATES) == sigmoid), None)


def _colorbar(lo: float, row: int, n: int) -> dict[str, Any]:
    length = 1.0 / n if n > 1 else 1.0
    return {"len": max(length, 0.25), "y": 1 - (row - 0.5) / n, "yanchor": "middle",
            "title": {"text": "0..1" if lo == 0 else "-1..1"}}  # fmt: skip


def gate_means_figure(
    steps: CellSteps,
    cell: str,
    tokens: Sequence[str],
    *,
    selected: int | None = None,
    labels: Mapping[str, str] | None = None,
    height: int | None = None,
    template: str | None = None,
) -> go.Figure:
    """The mean over units of each gate per token (sigmoid gates; for RNN the mean |h_t|)."""
    lab = merge_labels(labels)
    rows = rows_of(steps, cell)
    names = [k for k in rows if k in SIGMOID_GATES] or ["h"]
    ticks = [plain(shorten(tok)) for tok in tokens]
    fig = go.Figure()
    for k, name in enumerate(names):
        values = np.abs(rows[name]) if name == "h" else rows[name]
        fig.add_scatter(
            x=list(range(len(tokens))),
            y=values.mean(axis=1),
            name=HTML_SYMBOL[name] if name != "h" else f"|{HTML_SYMBOL['h']}|",
            mode="lines+markers",
            line={"color": PALETTE[k % len(PALETTE)], "width": 2.5},
            marker={"symbol": SYMBOLS[k % len(SYMBOLS)], "size": 9},
            hovertemplate=f"%{{y:.3f}}<extra>{HTML_SYMBOL[name]}</extra>",
        )
    if selected is not None:
        fig.add_vline(x=selected, line={"color": "#D55E00", "dash": "dot"})
    fig.update_xaxes(token_axis(ticks, lab["source"]))
    fig.update_yaxes(title={"text": lab["gate_mean"]}, range=[0, 1])
    return finish_layout(fig, lab["gate_means_title"], height or 340, template)


# ----------------------------------------------------------------------------- equations


def vec(values: np.ndarray, dims: int) -> str:
    """LaTeX of the first `dims` entries: [0.123, -0.456, \\dots]."""
    head = ", ".join(f"{v:.3f}" for v in np.asarray(values)[:dims])
    more = r", \dots" if len(values) > dims else ""
    return f"[{head}{more}]"


def _aligned(lhs: str, *rhs: str | tuple[str, ...]) -> str:
    """One equation over several lines: lhs = rhs[0] = rhs[1] = ...; a tuple is one
    right-hand side too long for a line (four vectors do not fit a laptop's column): its
    parts go on lines of their own, indented under the first."""
    lines = []
    for k, side in enumerate(rhs):
        first, *rest = (side,) if isinstance(side, str) else side
        lines.append(("" if k == 0 else "&") + f"= {first}")
        lines += [rf"&\qquad {part}" for part in rest]
    body = r" \\ ".join(lines)
    return rf"\begin{{aligned}} {lhs} &{body} \end{{aligned}}"


def cell_equations(steps: CellSteps, cell: str, t: int, dims: int = 4) -> list[str]:
    """LaTeX blocks, one per equation of the cell (as `seq2seq_viz.cells` computes it): the
    equation, then the same with token t's numbers (the first `dims` units of every vector),
    then the result."""
    S = steps.h.shape[0]
    if not 0 <= t < S:
        raise ValueError(f"token t={t} is out of range: the sentence has {S} tokens")
    prev = "h_{t-1}" if steps.direction == "forward" else "h_{t+1}"
    cprev = "C_{t-1}" if steps.direction == "forward" else "C_{t+1}"
    v = lambda a: vec(a[t], dims)  # noqa: E731
    xp, hp, g = steps.x_parts, steps.h_parts, steps.gates
    if cell == "rnn":
        return [
            _aligned(
                "h_t",
                rf"\tanh(W_{{ih}} x_t + b_{{ih}} + W_{{hh}} {prev} + b_{{hh}})",
                rf"\tanh({v(xp['a'])} + {v(hp['a'])})",
                v(steps.h),
            )
        ]

    def gate(name: str, fn: str) -> str:
        return _aligned(
            SYMBOL[name],
            rf"\{fn}(W_{{i{name}}} x_t + b_{{i{name}}} + W_{{h{name}}} {prev} + b_{{h{name}}})",
            rf"\{fn}({v(xp[name])} + {v(hp[name])})",
            v(g[name]),
        )

    if cell == "gru":
        return [
            gate("r", "sigma"),
            gate("z", "sigma"),
            _aligned(
                "n_t",
                rf"\tanh(W_{{in}} x_t + b_{{in}} + r_t \odot (W_{{hn}} {prev} + b_{{hn}}))",
                (rf"\tanh({v(xp['n'])}", rf"+ {v(g['r'])} \odot {v(hp['n'])})"),
                v(g["n"]),
            ),
            _aligned(
                "h_t",
                rf"(1 - z_t) \odot n_t + z_t \odot {prev}",
                (
                    rf"(1 - {v(g['z'])}) \odot {v(g['n'])}",
                    rf"+ {v(g['z'])} \odot {v(steps.h_prev)}",
                ),
                v(steps.h),
            ),
        ]
    return [
        gate("f", "sigma"),
        gate("i", "sigma"),
        gate("o", "sigma"),
        gate("g", "tanh"),
        _aligned(
            "C_t",
            rf"f_t \odot {cprev} + i_t \odot g_t",
            (rf"{v(g['f'])} \odot {v(steps.c_prev)}", rf"+ {v(g['i'])} \odot {v(g['g'])}"),
            v(steps.c),
        ),
        _aligned(
            "h_t",
            r"o_t \odot \tanh(C_t)",
            rf"{v(g['o'])} \odot \tanh({v(steps.c)})",
            v(steps.h),
        ),
    ]
