"""The fast figure writer, and a patch that makes plotly's own figures faster.

- plotly parses a property path string ("xaxis.title.text", "tickfont_size") again on every
  access, update and check: a third of a figure's build time. The parse is a pure function of
  the string, so importing this module remembers it (an LRU cache on plotly's private
  ``_str_to_dict_path_full``); figures are unchanged
  (tests/test_figures.py::test_path_memo_keeps_figures_identical).
- The step player needs each figure only as plotly JSON. Inside :func:`fast_figures` the
  builders get a :class:`FastFigure` from :func:`new_figure`: the same calls (add_bar,
  update_layout, ...) write into plain dicts, skipping plotly's object model, which validates
  every property on every update. The JSON is the same as the validated figure's
  (tests/test_figures.py::test_fast_figures_equal_plotly_figures).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import plotly.basedatatypes
import plotly.graph_objects as go
import plotly.io as pio
from _plotly_utils.basevalidators import ColorscaleValidator
from _plotly_utils.utils import to_typed_array_spec

# The patch of plotly's path parser (see the module docstring); applied once per process.
if not hasattr(plotly.basedatatypes._str_to_dict_path_full, "cache_info"):
    plotly.basedatatypes._str_to_dict_path_full = functools.lru_cache(maxsize=4096)(
        plotly.basedatatypes._str_to_dict_path_full
    )

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
