"""Helpers every page uses: fetching a trace with its notices, drawing a figure (PNG export,
projector sizes), showing user text literally, presentation-mode CSS.

User text is never passed to ``unsafe_allow_html``; the only HTML written is the constant CSS
below. Markdown that includes user text goes through :func:`escape_markdown`.
"""

from __future__ import annotations

import math
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from seq2seq_viz.config import DecodeConfig
from seq2seq_viz.figures.common import wrap_title
from seq2seq_viz.i18n import figure_labels, tr
from seq2seq_viz.text import UNK, detokenize
from seq2seq_viz.trace import DecodeTrace
from seq2seq_viz.views import state, toys
from seq2seq_viz.views.controls import Controls
from seq2seq_viz.views.figure_cache import enlarge, figure
from seq2seq_viz.views.safe import escape_markdown
from seq2seq_viz.views.state import TraceKey

# Constant CSS (no user text): bigger type, no sidebar, full-width main block.
PRESENTATION_CSS = """<style>
section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"] { display: none !important; }
[data-testid="stMainBlockContainer"] { max-width: 100% !important;
  padding: 4.2rem 2.5rem 1rem; }
[data-testid="stMainBlockContainer"] p, [data-testid="stMainBlockContainer"] li,
[data-testid="stMainBlockContainer"] label { font-size: 1.45rem !important; }
[data-testid="stMainBlockContainer"] h1 { font-size: 2.6rem !important; }
[data-testid="stMainBlockContainer"] h2, [data-testid="stMainBlockContainer"] h3 {
  font-size: 2.0rem !important; }
[data-testid="stMainBlockContainer"] .stButton button { font-size: 1.5rem; min-height: 3.2rem; }
[data-testid="stMainBlockContainer"] .katex-display .katex { font-size: 1.6em !important; }
[data-testid="stMainBlockContainer"] [data-testid="stMetricValue"],
[data-testid="stMainBlockContainer"] [data-testid="stMetricValue"] p {
  font-size: 2.4rem !important; }
</style>"""
# Constant CSS for every mode (no user text): less empty space under the top navigation,
# formulas never push the page sideways, and the step bar stays in view while scrolling.
BASE_CSS = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 4.2rem; }
[data-testid="stMarkdownContainer"] .katex-display { overflow-x: auto; overflow-y: hidden; }
[data-testid="stLayoutWrapper"]:has(> .st-key-step_bar) { position: sticky; top: 3.75rem;
  z-index: 50; background-color: BACKGROUND; border-bottom: 1px solid rgba(128, 128, 128, 0.3);
  padding-bottom: 0.3rem; }
</style>"""
BACKGROUNDS = {"light": "#ffffff", "dark": "#171614"}  # the app background of each theme
# The top navigation folds the pages that do not fit into a menu Streamlit titles "N more" in
# English whatever the language: its text is replaced by our own label (no count).
NAV_MORE_CSS = """<style>
[data-testid="stTopNavSection"] [data-testid="stMarkdownContainer"] p { font-size: 0; }
[data-testid="stTopNavSection"] [data-testid="stMarkdownContainer"] p::after {
  content: "LABEL"; font-size: 0.875rem; }
</style>"""


def apply_css(presentation: bool) -> None:
    theme = getattr(st.context.theme, "type", None) or "light"
    st.html(BASE_CSS.replace("BACKGROUND", BACKGROUNDS.get(theme, BACKGROUNDS["light"])))
    st.html(NAV_MORE_CSS.replace("LABEL", tr("nav.more").replace("\\", "").replace('"', "")))
    if presentation:
        st.html(PRESENTATION_CSS)


def plot_config(filename: str) -> dict[str, Any]:
    """Plotly toolbar: PNG export at twice the size, no plotly logo."""
    return {
        "displaylogo": False,
        "toImageButtonOptions": {
            "format": "png",
            "filename": f"seq2seq-viz-{filename}",
            "scale": 2,
        },
    }


def chart(
    fig: go.Figure, key: str, presentation: bool = False, title_width: int | None = None
) -> None:
    """Draw a freshly built figure; in presentation mode with projector-sized type.
    `title_width`: break the title into lines of about that many characters (a narrow column)."""
    fig = enlarge(fig) if presentation else fig
    if title_width:
        _wrap_title(fig, title_width)
    st.plotly_chart(fig, key=key, config=plot_config(key), width="stretch")


PHONE_MAX_WIDTH = 640  # px: below this the window is a phone's (the CSS @media rules)
TREE_COLUMN_PX = 80  # a beam tree's room per output step for a label ("question -4.89")


def swipe_box(key: str, min_width: int) -> Any:
    """A container that stays at least `min_width` px wide on a phone: a figure whose labels
    crowd when squeezed keeps its proportions and scrolls sideways inside the box (the page
    itself never does). Elsewhere it is an ordinary container. The CSS holds no user text."""
    if not key.replace("_", "").isalnum():
        raise ValueError(f"swipe_box key must be letters, digits and _: {key!r}")
    st.html(
        f"<style>@media (max-width: {PHONE_MAX_WIDTH}px) {{"
        f" .st-key-{key} {{ overflow-x: auto; }}"
        f" .st-key-{key} > div {{ min-width: {int(min_width)}px; }} }}</style>"
    )
    return st.container(key=key)


def tree_box(key: str, last_step: int) -> Any:
    """A `swipe_box` for a beam tree drawn up to output position `last_step`: room for the
    root, every step's labels and the finished stars."""
    return swipe_box(key, TREE_COLUMN_PX * (last_step + 3))


def _wrap_title(fig: go.Figure, width: int) -> None:
    layout = fig.layout if isinstance(fig.layout, dict) else fig.layout.to_plotly_json()
    title = layout.get("title") or {}
    text = title.get("text") if isinstance(title, dict) else None
    if not text:
        return
    wrapped = wrap_title(text, width)
    extra = wrapped.count("<br>") * 32  # one line of projector-sized title type
    if extra:
        margin = dict(layout.get("margin") or {})
        height = int(layout.get("height") or 420) + extra
        fig.update_layout(  # plotly places a multi-line title by its first line: move it down
            title={"text": wrapped, "y": 0.99 - extra / height},
            margin={"t": int(margin.get("t") or 72) + extra},
            height=height,
        )


def show(
    kind: str,
    trace_key: TraceKey,
    t: int = 0,
    presentation: bool = False,
    trace: DecodeTrace | None = None,
) -> None:
    """Draw a cached figure of a trace (see figure_cache); `trace` is the trace of `trace_key`."""
    fig = figure(kind, trace_key, t, presentation, trace)
    st.plotly_chart(fig, key=kind, config=plot_config(kind), width="stretch")


def labels() -> dict[str, str]:
    return figure_labels()


def fetch_trace(
    c: Controls,
    decode: DecodeConfig | None = None,
    model: str | None = None,
    reference: str | None = None,
    prefix: tuple[str, ...] = (),
    notices: bool = True,
) -> DecodeTrace | None:
    """The cached trace for the controls, or None after telling the user why not."""
    model = model or c.model
    if model is None:
        return None
    if not c.text.strip():
        st.info(tr("input.empty"))
        return None
    try:
        trace = state.get_trace(TraceKey(model, c.text, decode or c.decode, reference, prefix))
    except state.CheckpointError as err:
        st.error(tr("error.model", name=model, error=str(err)))
        return None
    except state.EmptyInputError:
        st.info(tr("input.no_words"))
        return None
    if notices:
        input_notices(trace)
        toy_notice(model, trace)
    return trace


def toy_notice(model: str, trace: DecodeTrace) -> None:
    """A toy model given what it does not read (an English sentence): say what it takes."""
    task = toys.task_of(model)
    if task != toys.TRANSLATION and toys.mostly_unknown(list(trace.src_unknown)):
        example = escape_markdown((toys.example_inputs(task) or [""])[0])
        st.warning(tr("toy.hint", task=tr(toys.input_key(task)), example=example))


def input_notices(trace: DecodeTrace) -> None:
    """Truncation and unknown-word notices."""
    kept = len(trace.src_tokens)
    if trace.truncated_from > kept:
        st.warning(tr("input.truncated", total=trace.truncated_from, kept=kept))
    unknown = int(sum(bool(u) for u in trace.src_unknown))
    if unknown:
        st.caption(tr("input.unknown", n=unknown, total=kept))


def translation_text(trace: DecodeTrace, lang: str = "fr") -> str:
    return detokenize(trace.output_tokens, lang)


def show_translation(trace: DecodeTrace, lang: str) -> None:
    """The model's translation, shown literally."""
    text = translation_text(trace, lang) or tr("output.empty")
    st.markdown(f"**{tr('output.translation')}** → {escape_markdown(text)}")
    show_test_reference(trace.src_text)
    unk_notice(trace.output_tokens)
    copy_notices(trace)


def show_test_reference(text: str) -> None:
    """A sentence of the test split: its reference translation beside the model's, so a wrong
    output reads as the model's mistake (the model never saw these sentences)."""
    refs = state.split_references(text)
    if refs:
        st.caption(tr("output.test_reference", refs=escape_markdown(" / ".join(refs))))


def unk_notice(tokens: list[str]) -> None:
    """<unk> in an output gets a line of explanation (out-of-vocabulary)."""
    if UNK in tokens:
        st.caption(tr("output.unk"))


def copy_notices(trace: DecodeTrace) -> None:
    """Where the decoder's unknown-word rule changed the output (decode.py): each <unk> copied
    from a source word, and the first step where a banned <unk> was among the model's top words."""
    for step in trace.steps:
        copied = step.extras.get("copied_from")
        if copied:
            st.caption(
                tr(
                    "output.copied",
                    step=step.t,
                    token=escape_markdown(copied["token"]),
                    index=copied["index"],
                    weight=f"{copied['weight']:.2f}",
                )
            )
    banned = [  # steps where <unk> was the model's first choice
        s for s in trace.steps if s.extras.get("unk_banned_prob", 0.0) > math.exp(s.logp)
    ]
    if banned:
        first = max(banned, key=lambda s: s.extras["unk_banned_prob"])
        prob = f"{first.extras['unk_banned_prob']:.2f}"
        st.caption(tr("output.unk_banned", prob=prob, step=first.t))


def download_trace(
    c: Controls,
    model: str,
    decode: DecodeConfig,
    key: str,
    reference: str | None = None,
    prefix: tuple[str, ...] = (),
) -> None:
    """The trace as JSON, made when the button is pressed (a callable: Streamlit runs it on
    the click), not on every run of the page."""
    key_of_trace = TraceKey(model, c.text, decode, reference, prefix)
    st.download_button(
        tr("download.trace"),
        lambda: state.trace_json(key_of_trace),
        file_name=f"trace-{model}.json",
        mime="application/json",
        key=key,
        help=tr("download.trace_help"),
    )


def page_header(title_key: str, intro_key: str, c: Controls) -> None:
    """Title and introduction (in presentation mode the screen is kept for the figures)."""
    if not c.presentation:
        st.title(tr(title_key))
        st.caption(tr(intro_key))
