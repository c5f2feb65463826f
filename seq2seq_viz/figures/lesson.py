"""The lesson's encoder-decoder diagram: one small picture of a whole decoder step, drawn from the
current trace's real sizes (S source tokens, H hidden size, V output vocabulary), with the parts
of the stage being taught in colour and the rest in grey.

Parts (left to right): the source tokens x_1..x_S, the encoder states h_i, the decoder state
s_t, the scores e, the distribution a, the context c_t, [c_t ; s_t] -> tanh -> h~_t, and the
softmax over V words. Stage names are those of ``LESSON_STAGES``.
"""

from __future__ import annotations

from collections.abc import Mapping

import plotly.graph_objects as go

from .common import BLUE, GREY, ORANGE, finish_layout
from .labels import merge_labels

LESSON_STAGES = (
    "bottleneck",
    "score",
    "distribution",
    "context",
    "concat",
    "output",
    "teacher",
    "beam",
    "variants",
    "transformer",
    "explain",
)
# which parts each stage colours (the others are grey)
HIGHLIGHT = {
    "bottleneck": {"source", "encoder", "summary", "decoder"},
    "score": {"encoder", "decoder", "score"},
    "distribution": {"score", "weights"},
    "context": {"encoder", "weights", "context"},
    "concat": {"context", "decoder", "concat"},
    "output": {"concat", "output"},
    "teacher": {"output", "decoder", "feedback"},
    "beam": {"output", "feedback"},
    "variants": {"score", "weights", "context"},
    "transformer": {"score", "weights", "context", "feedback"},
    "explain": {"source", "weights", "concat", "output"},  # attention vs its sources, h~_t, y_t
}
# part -> (x centre, y centre, width, height, label key)
BOXES = {
    "source": (0.5, 0.2, 0.9, 0.28, "diagram_source"),
    "encoder": (0.5, 0.75, 0.9, 0.45, "diagram_encoder"),
    "summary": (1.55, 1.3, 0.8, 0.28, "diagram_summary"),
    "decoder": (2.6, 0.2, 0.9, 0.4, "diagram_decoder"),
    "score": (1.55, 0.75, 0.6, 0.3, "diagram_score"),
    "weights": (2.25, 0.75, 0.66, 0.3, "diagram_weights"),
    "context": (2.95, 0.75, 0.6, 0.3, "diagram_context"),
    "concat": (3.8, 0.75, 0.85, 0.36, "diagram_concat"),
    "output": (3.8, 0.2, 0.85, 0.4, "diagram_output"),
}
ARROWS = (  # (from part, to part, needed by)
    ("source", "encoder", "source"),
    ("encoder", "summary", "summary"),
    ("summary", "decoder", "summary"),
    ("encoder", "score", "score"),
    ("decoder", "score", "score"),
    ("score", "weights", "weights"),
    ("weights", "context", "context"),
    ("context", "concat", "concat"),
    ("decoder", "concat", "concat"),
    ("concat", "output", "output"),
)


def lesson_diagram_figure(
    stage: str,
    S: int,
    H: int,
    V: int,
    *,
    attention: bool = True,
    labels: Mapping[str, str] | None = None,
    height: int | None = None,
    template: str | None = None,
) -> go.Figure:
    """The diagram with the parts of `stage` in colour; sizes from the trace (S, H, V).
    Without attention (the `none` model) the attention parts are left out."""
    if stage not in HIGHLIGHT:
        raise ValueError(f"unknown lesson stage {stage!r}; expected one of {LESSON_STAGES}")
    if min(S, H, V) < 1:
        raise ValueError(f"sizes must be positive, got S={S}, H={H}, V={V}")
    lab = merge_labels(labels)
    lit = HIGHLIGHT[stage]
    parts = {"source", "encoder", "decoder", "output", "concat"}
    parts |= {"score", "weights", "context"} if attention else {"summary"}
    if stage == "bottleneck":
        parts = {"source", "encoder", "summary", "decoder", "concat", "output"}
    fig = go.Figure()
    sizes = {"S": S, "H": H, "V": V, "H2": 2 * H}
    for name in sorted(parts):
        x, y, w, h, key = BOXES[name]
        on = name in lit
        fig.add_shape(
            type="rect",
            x0=x - w / 2,
            x1=x + w / 2,
            y0=y - h / 2,
            y1=y + h / 2,
            line={"color": ORANGE if on else GREY, "width": 4 if on else 1.5},
            fillcolor="rgba(230,159,0,0.18)" if on else "rgba(153,153,153,0.08)",
        )
        fig.add_annotation(
            x=x,
            y=y,
            text=lab[key].format(**sizes),
            showarrow=False,
            font={"size": 16 if on else 14, "color": None if on else GREY},
        )
    for start, end, need in ARROWS:
        if start in parts and end in parts and need in parts:
            on = start in lit and end in lit
            _arrow(fig, BOXES[start], BOXES[end], BLUE if on else GREY, on)
    if "feedback" in lit:  # y_t is fed back as the next input
        fig.add_annotation(
            x=3.1, y=0.2, ax=3.37, ay=0.2, xref="x", yref="y", axref="x", ayref="y",
            text="", arrowhead=3, arrowwidth=3, arrowcolor=BLUE,
        )  # fmt: skip
    top = 1.5 if "summary" in parts else 1.0  # the bottleneck's one vector sits above
    fig.update_xaxes(visible=False, range=[0, 4.3])
    fig.update_yaxes(visible=False, range=[0, top])
    return finish_layout(
        fig, lab["diagram_title"].format(**sizes), height or int(120 + 210 * top), template
    )


def _arrow(fig: go.Figure, a: tuple, b: tuple, colour: str, on: bool) -> None:
    (ax, ay, aw, ah, _), (bx, by, bw, bh, _) = a, b
    if abs(bx - ax) >= abs(by - ay):  # horizontal: leave from the side facing the target
        sx, sy = ax + (aw / 2 if bx > ax else -aw / 2), ay
        ex, ey = bx - (bw / 2 if bx > ax else -bw / 2), by
    else:
        sx, sy = ax, ay + (ah / 2 if by > ay else -ah / 2)
        ex, ey = bx, by - (bh / 2 if by > ay else -bh / 2)
    fig.add_annotation(
        x=ex, y=ey, ax=sx, ay=sy, xref="x", yref="y", axref="x", ayref="y", text="",
        showarrow=True, arrowhead=2, arrowwidth=3 if on else 1.5, arrowcolor=colour,
    )  # fmt: skip
