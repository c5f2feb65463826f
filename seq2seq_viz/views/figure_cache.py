"""Built figures, cached per trace, step, language and size.

Building a plotly figure costs about 5 ms even with the path memo in figures/common.py (plotly
validates every property), more than slicing the cached trace, so the step page keeps the figures
it built: going back to a step, replaying, or a second student opening the same example costs a
dictionary lookup. Cached figures are shared between sessions and must never be mutated
(``st.plotly_chart`` only reads them).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
import streamlit as st

from seq2seq_viz import figures
from seq2seq_viz.figures import transformer as tfig
from seq2seq_viz.figures.fast import FastFigure, fast_figures
from seq2seq_viz.i18n import figure_labels, get_language
from seq2seq_viz.trace import DecodeTrace
from seq2seq_viz.views import state
from seq2seq_viz.views.state import TraceKey

# Streamlit draws charts in its own theme, which replaces plotly's template: the step page drawn
# with plotly's template set to "none" is pixel-identical in Chromium, while every new figure
# skips deep-copying plotly's default template (a tenth of the server's CPU under
# bench/bench_load.py) and its spec is about 10 KB smaller. The app process only.
pio.templates.default = "none"
PRESENTATION_FONT = 20
Builder = Callable[[DecodeTrace, int, dict], go.Figure]
BUILDERS: dict[str, Builder] = {
    "encoder": lambda tr, t, lab: figures.encoder_states_figure(tr, labels=lab),
    "scores": lambda tr, t, lab: figures.scores_figure(tr, t, labels=lab),
    "weights": lambda tr, t, lab: figures.weights_figure(tr, t, labels=lab),
    "context": lambda tr, t, lab: figures.context_figure(tr, t, labels=lab),
    "output": lambda tr, t, lab: figures.output_figure(tr, t, labels=lab),
    "heatmap": lambda tr, t, lab: figures.heatmap_figure(tr, upto=t, highlight=t, labels=lab),
}
HEAD_BUILDERS: dict[str, Callable[[DecodeTrace, int, int, int, dict], go.Figure]] = {
    "t_scores": lambda tr, t, i, h, lab: tfig.head_bars_figure(tr, t, i, h, labels=lab),
    "t_weights": lambda tr, t, i, h, lab: tfig.head_bars_figure(
        tr, t, i, h, what="weights", labels=lab
    ),
    "t_values": lambda tr, t, i, h, lab: tfig.head_values_figure(tr, t, i, h, labels=lab),
    "t_grid": lambda tr, t, i, h, lab: tfig.head_grid_figure(tr, t, labels=lab),
    "t_enc_self": lambda tr, t, i, h, lab: tfig.encoder_self_figure(tr, i, labels=lab),
}


def builder(kind: str) -> Builder:
    """The builder of `kind`: a name of BUILDERS, or a Transformer figure of one layer and
    head written "t_<what>|<layer>|<head>" (0-based)."""
    if "|" not in kind:
        return BUILDERS[kind]
    name, layer, head = kind.split("|")
    make = HEAD_BUILDERS[name]
    return lambda tr, t, lab: make(tr, t, int(layer), int(head), lab)


def enlarge(fig: go.Figure | FastFigure) -> go.Figure | FastFigure:
    """Projector sizes: larger type everywhere, a little more height."""
    now = fig.layout.get("height") if isinstance(fig, FastFigure) else fig.layout.height
    height = max(int((now or 380) * 1.15), 420)
    fig.update_layout(
        font={"size": PRESENTATION_FONT},
        height=height,
        title={"font": {"size": PRESENTATION_FONT + 6}},
    )
    if isinstance(fig, FastFigure):
        visible = (fig.layout.get("yaxis") or {}).get("visible")
    else:
        visible = fig.layout.yaxis.visible
    if visible is not False:  # a wider left margin: at this size plotly's automargin let the
        fig.update_layout(margin={"l": 90})  # axis title cover the tick labels' minus signs
    axis = {
        "tickfont": {"size": PRESENTATION_FONT - 2},
        "title": {"font": {"size": PRESENTATION_FONT}, "standoff": 12},
    }
    fig.update_xaxes(axis)
    fig.update_yaxes(axis)
    return fig


@st.cache_resource(show_spinner=False, max_entries=1000)  # ~50 KB each (figure + its dict)
def _build(
    kind: str, key: TraceKey, root: str, t: int, lang: str, big: bool, _trace: DecodeTrace | None
) -> go.Figure:
    """(`_trace` is not part of the cache key: it is the trace `key` names, when at hand.)"""
    fig = builder(kind)(_trace or state.get_trace(key), t, figure_labels())
    return _plain_once(enlarge(fig) if big else fig)


def _plain_once(fig: go.Figure) -> go.Figure:
    """Make `fig.to_dict()` return one dict computed now. st.plotly_chart calls it on every
    draw, and plotly deep-copies the whole figure each time: a fifth of the server's CPU per
    step under bench/bench_load.py. Cached figures are never modified, so the dict stays true
    (tests/test_app.py::test_cached_figures_draw_like_fresh_ones)."""
    plain = fig.to_dict()
    object.__setattr__(fig, "to_dict", lambda: plain)
    return fig


class LRU:
    """A small thread-safe least-recently-used map shared by every session of the process.

    Used instead of ``st.cache_resource`` where lookups are many and cheap: Streamlit's cache
    recomputes the function's key (hashing its source) on every call, which cost a sixth of the
    server's CPU under bench/bench_load.py when a book looked up 5 figures per step."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any) -> Any:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


SPECS = LRU(5000)  # 3-10 KB of text each


def _spec(
    kind: str, key: TraceKey, root: str, t: int, lang: str, big: bool, trace: DecodeTrace | None
) -> str:
    cache_key = (kind, key, root, t, lang, big)
    spec = SPECS.get(cache_key)
    if spec is None:
        with fast_figures():  # plain dicts: the same JSON, without plotly's validation
            fig = builder(kind)(trace or state.get_trace(key), t, figure_labels())
        spec = SPECS.put(cache_key, (enlarge(fig) if big else fig).to_json())
    return spec


def figure_spec(
    kind: str, key: TraceKey, t: int = 0, big: bool = False, trace: DecodeTrace | None = None
) -> str:
    """The same figure as :func:`figure`, as plotly JSON text (numpy arrays in plotly's typed
    array encoding), for the browser's step player. Kept as text: a tenth of the memory of the
    figure object, and the step player's book for a whole trace is a list of them."""
    return _spec(kind, key, str(state.models_root()), t, get_language(), big, trace)


def figure(
    kind: str, key: TraceKey, t: int = 0, big: bool = False, trace: DecodeTrace | None = None
) -> go.Figure:
    """The figure `kind` of the trace `key` at step `t` (shared: do not modify it).
    Pass `trace` when it is already loaded, to skip fetching it again on a cache miss."""
    return _build(kind, key, str(state.models_root()), t, get_language(), big, trace)
