"""What every figure shares: labels, colours, escaping, token axes, layout and trace checks."""

from __future__ import annotations

import contextlib
import contextvars
import functools
import html
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import plotly.basedatatypes
import plotly.graph_objects as go
import plotly.io as pio
from _plotly_utils.basevalidators import ColorscaleValidator
from _plotly_utils.utils import to_typed_array_spec

from seq2seq_viz.trace import DecodeTrace, StepRecord

# plotly parses a property path string ("xaxis.title.text", "tickfont_size") again on every
# access, update and check: a third of a figure's build time here (py-spy under bench_load.py).
# The parse is a pure function of the string, so it is remembered; figures are unchanged
# (tests/test_figures.py::test_path_memo_keeps_figures_identical).
if not hasattr(plotly.basedatatypes._str_to_dict_path_full, "cache_info"):
    plotly.basedatatypes._str_to_dict_path_full = functools.lru_cache(maxsize=4096)(
        plotly.basedatatypes._str_to_dict_path_full
    )

# ----------------------------------------------------------------------------- fast figures
# The step player needs each figure only as plotly JSON. Inside `fast_figures()` the builders
# below get a `FastFigure` from `new_figure`: the same calls (add_bar, update_layout, ...) write
# into plain dicts, skipping plotly's object model, which validates every property on every
# update: 10-30 ms a figure, most of a new sentence's server time. The JSON is the same as the
# validated figure's (tests/test_figures.py::test_fast_figures_equal_plotly_figures).
_FAST = contextvars.ContextVar("seq2seq_viz_fast_figures", default=False)
_TRACE_CLASSES = {"bar": "Bar", "heatmap": "Heatmap", "scatter": "Scatter"}
_COLORSCALE = ColorscaleValidator("colorscale", "heatmap")


@contextlib.contextmanager
def fast_figures() -> Iterator[None]:
    """Within this block the figure builders return `FastFigure`s (JSON only)."""
    token = _FAST.set(True)
    try:
        yield
    finally:
        _FAST.reset(token)


def _expand(props: Mapping[str, Any]) -> dict[str, Any]:
    """plotly's "magic underscores" (marker_color -> marker.color), nested; None left out."""
    out: dict[str, Any] = {}
    for key, value in props.items():
        if value is None:
            continue
        if isinstance(value, Mapping):
            value = _expand(value)
        *path, last = key.split("_")
        node = out
        for part in path:
            node = node.setdefault(part, {})
        if isinstance(value, dict) and isinstance(node.get(last), dict):
            _merge(node[last], value)
        else:
            node[last] = value
    return out


def _merge(target: dict[str, Any], updates: Mapping[str, Any]) -> dict[str, Any]:
    for key, value in updates.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = value
    return target


def _json_ready(obj: Any) -> Any:
    """numpy arrays as plotly's validated figures write them (typed arrays where numeric)."""
    if isinstance(obj, np.ndarray):
        return to_typed_array_spec(obj) if obj.dtype.kind in "iuf" else obj.tolist()
    if isinstance(obj, dict):
        return {k: _json_ready(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_ready(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


class FastFigure:
    """The subset of `go.Figure` the step figures use, writing plain dicts (see above)."""

    def __init__(self, data: Any = None) -> None:
        traces = [] if data is None else data if isinstance(data, (list, tuple)) else [data]
        self.data: list[dict[str, Any]] = [self._trace(tr) for tr in traces]
        template = pio.templates.default
        self.layout: dict[str, Any] = (
            {"template": pio.templates[template].to_plotly_json()} if template else {}
        )

    @staticmethod
    def _trace(trace: Any) -> dict[str, Any]:
        return trace.to_plotly_json() if hasattr(trace, "to_plotly_json") else dict(trace)

    def add_trace(self, trace: Any) -> FastFigure:
        self.data.append(self._trace(trace))
        return self

    def add_bar(self, **props: Any) -> FastFigure:
        return self.add_trace(new_trace("bar", **props))

    def add_scatter(self, **props: Any) -> FastFigure:
        return self.add_trace(new_trace("scatter", **props))

    def update_layout(self, dict1: Mapping[str, Any] | None = None, **props: Any) -> FastFigure:
        _merge(self.layout, _expand({**(dict1 or {}), **props}))
        return self

    def update_xaxes(self, dict1: Mapping[str, Any] | None = None, **props: Any) -> FastFigure:
        return self.update_layout(xaxis={**(dict1 or {}), **props})  # expanded there

    def update_yaxes(self, dict1: Mapping[str, Any] | None = None, **props: Any) -> FastFigure:
        return self.update_layout(yaxis={**(dict1 or {}), **props})

    def add_shape(self, **props: Any) -> FastFigure:
        self.layout.setdefault("shapes", []).append(_expand(props))
        return self

    def add_vrect(self, x0: float, x1: float, **props: Any) -> FastFigure:
        """A band over the whole height, as go.Figure.add_vrect makes it (one x axis)."""
        shape = {"type": "rect", "x0": x0, "x1": x1, "xref": "x", "y0": 0, "y1": 1}
        return self.add_shape(**shape, yref="y domain", **props)

    def to_plotly_json(self) -> dict[str, Any]:
        return {"data": _json_ready(self.data), "layout": _json_ready(self.layout)}

    def to_json(self) -> str:
        return pio.to_json(self.to_plotly_json(), validate=False)


def new_figure(data: Any = None) -> go.Figure | FastFigure:
    """A go.Figure, or inside `fast_figures()` a FastFigure."""
    return FastFigure(data) if _FAST.get() else go.Figure(data)


def new_trace(kind: str, **props: Any) -> Any:
    """A trace ("bar", "heatmap", "scatter"): a plotly object, or inside `fast_figures()` its
    dict."""
    if _FAST.get():
        trace = {"type": kind, **_expand(props)}
        if isinstance(trace.get("colorscale"), str):  # a name, as plotly's validator lists it
            trace["colorscale"] = _COLORSCALE.validate_coerce(trace["colorscale"])
        return trace
    return getattr(go, _TRACE_CLASSES[kind])(**props)


DEFAULT_LABELS: dict[str, str] = {
    # axes and hover names
    "source": "source token",
    "target": "output token",
    "hidden_dim": "hidden dimension",
    "dims_shown": "hidden dimension (first {shown} of {total})",
    "value": "value",
    "step": "output position",
    "score": "score e<sub>i</sub>",
    "weight": "weight a<sub>i</sub>",
    "probability": "probability",
    "word": "word",
    "query": "query token (row)",
    "key": "key token (column)",
    "unknown": "unknown word (not in the vocabulary)",
    "unknown_suffix": " ⁇",
    # legend entries
    "attended": "attended",
    "masked": "masked (weight 0)",
    "gaussian": "Gaussian around p<sub>t</sub>",
    "center": "centre p<sub>t</sub>",
    "window": "window",
    "soft_weights": "soft distribution",
    "sampled": "sampled position",
    "argmax": "chosen position (argmax)",
    "chosen": "chosen",
    "not_in_topk": "(not in top-k)",
    "empirical": "sample frequency",
    "exp_part": "exp(e<sub>i</sub> - max e)",
    "share": "share of Σ (= a<sub>i</sub>)",
    "context_row": "c<sub>t</sub> = Σ",
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
    "unit": "unit",
    "gate_mean": "mean over units",
    "cell_gates_title": "Gates and states per source token (first {shown} of {total} units)",
    "gate_means_title": "Mean gate value per source token",
    "train_step": "training step",
    "nll": "loss (NLL per token)",
    "train_nll": "training loss",
    "train_nll_mean": "training loss (mean of 20 steps)",
    "valid_nll": "validation loss",
    "epoch": "epoch",
    "learning_rate": "learning rate",
    "stage": "stage",
    "kept_epoch": "{model}: weights kept (lowest validation loss)",
    "curves_title": "Validation loss after each epoch",
    "alignment_score": "alignment score",
    "loss_title": "Loss while training",
    "probe_title": "Attention on the probe sentence at step {step}",
    # titles
    "encoder_title": "Encoder states h<sub>i</sub> (one row per source token)",
    "scores_title": "Step {t}: raw scores e<sub>i</sub>",
    "weights_title": "Step {t}: attention weights a<sub>i</sub>",
    "hard_title": "Step {t}: soft distribution π<sub>t</sub> and the chosen position (argmax)",
    "hard_title_sampled": "Step {t}: soft distribution π<sub>t</sub> and the sampled position",
    "context_title": "Step {t}: context c<sub>t</sub> = Σ a<sub>i</sub>·h<sub>i</sub>",
    "output_title": "Step {t}: most likely next words",
    "forced_note": " (forced: {token})",
    "sample_title": "Step {t}: the model's p(y) and the distribution the word was drawn from",
    "sample_before": "p(y): the model",
    "sample_after": "p̃(y): after T, top-k, top-p",
    "sample_drawn": "drawn",
    "heatmap_title": "Attention weights: output tokens (rows) by source tokens (columns)",
    "beam_title": "Beam-search tree",
    "self_attn_title": "Encoder self-attention, head {head}",
    "hard_samples_title": "Soft distribution vs. frequency in {n} hard samples",
    "bleu_title": "BLEU by sentence length (greedy search)",
    "softmax_title": "Step {t}: exp(e<sub>i</sub> - max e), sum Σ = {total:.3f}",
    "softmax_title_window": "Step {t}: exp(e<sub>i</sub> - max e) inside the window, "
    "sum Σ over the window = {total:.3f}",
    # vectors (figures/vectors.py)
    "dim": "dimension k",
    "vectors_score_title": "Step {t}, source {i} ({token}): e<sub>i</sub> = Σ<sub>k</sub> "
    "of the last row = {total:.4f}",
    "vectors_attn_title": "Step {t}: [c<sub>t</sub> ; s<sub>t</sub>] → W<sub>c</sub> → tanh → "
    "h̃<sub>t</sub>",
    "vectors_init_title": "Decoder start: h<sub>S</sub> → s<sub>0</sub> = tanh(W<sub>b</sub> "
    "h<sub>S</sub> + b<sub>b</sub>), and h̃<sub>0</sub> = 0",
    # the lesson's diagram (figures/lesson.py)
    "diagram_title": "One decoder step: S = {S}, H = {H}, V = {V}",
    "diagram_source": "x<sub>1</sub> … x<sub>S</sub><br>S = {S}",
    "diagram_encoder": "encoder<br>h<sub>i</sub><br>H = {H}",
    "diagram_summary": "one vector<br>h<sub>S</sub>",
    "diagram_decoder": "decoder<br>s<sub>t</sub><br>H = {H}",
    "diagram_score": "scores<br>e",
    "diagram_weights": "softmax<br>→ a",
    "diagram_context": "c<sub>t</sub> =<br>Σ a<sub>i</sub>h<sub>i</sub>",
    "diagram_concat": "[c<sub>t</sub> ; s<sub>t</sub>]<br>{H2}<br>tanh → h̃<sub>t</sub>",
    "diagram_output": "W<sub>o</sub> → softmax<br>V = {V}<br>→ y<sub>t</sub>",
}

BLUE, ORANGE, VERMILLION = "#0072B2", "#E69F00", "#D55E00"
GREEN, PURPLE, SKY, GREY = "#009E73", "#CC79A7", "#56B4E9", "#999999"
PALETTE = (BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY, "#F0E442", GREY)
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x", "star", "cross", "hexagon")
STATUS_STYLE = {"kept": (BLUE, "circle"), "pruned": (GREY, "x"), "finished": (GREEN, "star")}
MAX_TOKEN_CHARS = 14


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
    if horizontal and n > 8:  # up to 8, plotly's default turns labels only if they collide
        axis["tickangle"] = -45 if n <= 20 else -90
    return axis


def _visible_width(text: str) -> int:
    """Width of a plotly label in narrow characters: tags (<sub>...) take none, and wide
    characters (Hangul, CJK) take two."""
    import unicodedata

    plain = re.sub(r"<[^>]*>", "", text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in plain)


def wrap_title(title: str, width: int) -> str:
    """A figure title broken into lines of at most `width` narrow characters at spaces
    (plotly never wraps a title: a long one runs off a narrow column)."""
    lines: list[str] = []
    for word in title.split(" "):
        if lines and _visible_width(lines[-1] + " " + word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


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


def _source_xaxis(
    fig: go.Figure,
    trace: DecodeTrace,
    lab: Mapping[str, str],
    mask: np.ndarray | None = None,
    title: str | None = None,
) -> None:
    """Source tokens along x, one column per position (masked ones greyed when given)."""
    ticks = _src_ticks(trace, lab, mask)
    axis = _token_axis(ticks, lab["source"] if title is None else title)
    fig.update_xaxes(axis, range=[-0.5, len(ticks) - 0.5])
