"""The step player: a Streamlit custom component (``st.components.v2``, no iframe, no build
step) that receives every step of one trace at once and moves through them in the browser.

Python decides everything shown; the browser only switches between steps. :func:`mount` sends a
*book*, a plain dict made by ``views/step_sections.py`` (as the one element of a list)::

    {"id": str,                    # changes with the trace, language or size: a new book
     "labels": {...},              # i18n strings of the bar (prev, next, play, slider, ...)
     "initial_step": int, "present": bool, "stage_count": int,
     "katex": str | None,          # Streamlit's KaTeX chunk, for the formulas
     "plotly_chunk": str | None,   # Streamlit's plotly.js chunk (else plotly_loader.js)
     "figures": [plotly JSON, ...],   # made by seq2seq_viz.figures (through figure_cache)
     "steps": [{"head": [section], "stages": [section, ...]}, ...]}

A section is ``{"id", "title", "left": [block], "right": [block] (optional)}`` and a block one
of ``{"type": "latex", "tex"}``, ``{"type": "markdown" | "caption", "text"}`` (constant i18n
text: **bold**, *italic*, $math$), ``{"type": "text", "text"}`` (literal, e.g. tokens),
``{"type": "note", "text", "tone"}``, ``{"type": "metrics", "items": [{"label", "value",
"help"}]}``, ``{"type": "table", "title", "open", "columns", "rows"}`` and ``{"type":
"figure", "figure": index into "figures", "name"}``.

How to add a section (a new per-step figure, a lesson's text): write a function in
``step_sections.py`` that returns a section dict for step ``t`` (figures through
``figures_of.add(kind, t)``, with a builder registered in ``figure_cache.BUILDERS``; every
string through ``tr()``), and list it in ``stages_for``; stepper.js draws any section made of the
block types above, so it needs no change. A new block type needs a case in ``Stepper.block``.

The JavaScript, CSS and HTML live beside this file (stepper.js, stepper.css, stepper.html,
plotly_loader.js, and keys.js: the keys that move a step, shared with the lesson) and are read
once per process.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import plotly
import streamlit as st

HERE = Path(__file__).resolve().parent
PLOTLY_JS = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
STREAMLIT_JS = Path(st.__file__).resolve().parent / "static" / "static" / "js"


KEYS_JS = HERE / "keys.js"  # the key rule shared with the lesson (views/lesson_keys)


def _read(name: str) -> str:
    return (HERE / name).read_text(encoding="utf-8")


def with_keys(js: str) -> str:
    """`js` with keys.js's keyMove in front (a component's JavaScript is one file)."""
    return KEYS_JS.read_text(encoding="utf-8") + "\n" + js


@cache
def _stepper() -> Any:
    """Register the step player once per process."""
    return st.components.v2.component(
        "seq2seq_viz_stepper",
        html=_read("stepper.html"),
        css=_read("stepper.css"),
        js=with_keys(_read("stepper.js")),
        isolate_styles=False,  # formulas use the page's KaTeX styles
    )


@cache
def _plotly_loader() -> Any:
    """Register the fallback plotly.js loader (plotly.py's plotly.min.js, 4.8 MB)."""
    return st.components.v2.component(
        "seq2seq_viz_plotly",
        js=PLOTLY_JS.read_text(encoding="utf-8") + "\n" + _read("plotly_loader.js"),
    )


@cache
def streamlit_chunk(pattern: str) -> str | None:
    """The file name of one of Streamlit's own script chunks, if there is one."""
    found = sorted(STREAMLIT_JS.glob(pattern))
    return found[0].name if len(found) == 1 else None


def mount(book: dict[str, Any], key: str = "stepper") -> None:
    """Show the step player for `book` (see the module docstring).

    plotly.js comes from Streamlit's own chunk for st.plotly_chart (a static file, cached by the
    browser, 4.7 MB: importing it sets window.Plotly), KaTeX from Streamlit's chunk for st.latex.
    Only where that chunk cannot be found is plotly.py's copy sent, once per session, through
    the websocket (the loader component)."""
    chunk = streamlit_chunk("PlotlyChart.*.js")
    if chunk is None:
        _plotly_loader()(key=f"{key}_plotly", height=0)
    data = {**book, "katex": streamlit_chunk("katex.*.js"), "plotly_chunk": chunk}
    # Sent as a one-element list: Streamlit checks every first-level value of a dict for a
    # dataframe, and that check imports pandas and pyarrow (about 0.6 s on the first run).
    _stepper()(key=key, data=[data], height="content")


def sent_book(payload: str) -> dict[str, Any]:
    """The book :func:`mount` sent, from the component's JSON payload (tests read it)."""
    (book,) = json.loads(payload)
    return book
