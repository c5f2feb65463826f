"""Is attention an explanation? Attributions beside attention, fooling the attention, and the
training sentences nearest to a model state (the library: seq2seq_viz/explain/).

Heavy work runs only on a button, one job per process at a time (explain.guard.heavy_job), with
a progress bar; results are kept in the session per (model, sentence) so the method switch and
the step picker never recompute.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import streamlit as st

from seq2seq_viz.config import DecodeConfig
from seq2seq_viz.explain import guard
from seq2seq_viz.explain.results import METHODS, Attributions
from seq2seq_viz.figures.explain import agreement_figure, explain_matrix_figure
from seq2seq_viz.i18n import figure_labels, tr
from seq2seq_viz.trace import DecodeTrace
from seq2seq_viz.views import state
from seq2seq_viz.views.common import chart, escape_markdown, fetch_trace, page_header
from seq2seq_viz.views.controls import Controls, current

RESULTS = "explain_results"
SIGNED = {"saliency": False, "input_x_gradient": True, "integrated_gradients": True,
          "occlusion": True}  # fmt: skip


def render() -> None:
    c = current()
    page_header("explain.title", "explain.intro", c)
    if c.model is None:
        return
    if state.model_config(c.model).align == "transformer":  # its lab is to come
        st.info(tr("explain.transformer"))
        return
    with st.expander(tr("explain.notes_title"), expanded=False):
        st.markdown(tr("explain.notes"))
    trace = fetch_trace(c, decode=DecodeConfig())
    if trace is None or not trace.steps:
        return
    if not within_caps(trace):
        return
    attends = state.model_config(c.model).align != "none"
    tabs = st.tabs([tr("explain.tab.attr"), tr("explain.tab.fool"), tr("explain.tab.near")])
    with tabs[0]:
        _attribution_tab(c, trace, attends)
    with tabs[1]:
        from seq2seq_viz.views.explain_fool import fool_tab

        fool_tab(c, trace, attends)
    with tabs[2]:
        from seq2seq_viz.views.explain_near import neighbour_tab

        neighbour_tab(c, trace)


def within_caps(trace: DecodeTrace) -> bool:
    """False (after a warning) for a sentence past the lab's length caps."""
    n_src = max(trace.truncated_from or 0, len(trace.src_tokens))
    try:
        guard.check_lengths(n_src, trace.n_steps)
    except guard.TooLong as err:
        key = "explain.too_long_src" if err.what == "the source" else "explain.too_long_out"
        st.warning(tr(key, n=err.n, limit=err.limit))
        return False
    return True


def labels() -> dict[str, str]:
    """The figures' labels, with the lab's own words for its axes."""
    own = {k: tr(f"explain.fig.{k}") for k in ("source", "target", "value", "weight")}
    return {**figure_labels(), **own}


def stored(c: Controls, kind: str, *extra: Any) -> Any:
    """A result computed earlier in this session for this model and sentence, or None."""
    return st.session_state.get(RESULTS, {}).get((c.model, c.text, kind, *extra))


def run_job(c: Controls, kind: str, extra: tuple, label: str, job: Callable) -> Any:
    """Run a heavy job with a progress bar (one per process); keep and return its result."""
    bar = st.progress(0.0, text=label)

    def progress(fraction: float, what: str) -> None:
        bar.progress(min(max(fraction, 0.0), 1.0), text=f"{label} · {what}")

    try:
        with guard.heavy_job(wait_s=1.0):
            result = job(progress, guard.Deadline())
    except guard.Busy:
        st.warning(tr("explain.busy"))
        return None
    except guard.TimeUp:
        st.warning(tr("explain.time_up", seconds=int(guard.TIME_LIMIT_S)))
        return None
    finally:
        bar.empty()
    results = st.session_state.setdefault(RESULTS, {})
    if len(results) > 24:  # a session keeps a bounded number of results
        results.clear()
    results[(c.model, c.text, kind, *extra)] = result
    return result


def _attribution_tab(c: Controls, trace: DecodeTrace, attends: bool) -> None:
    st.caption(tr("explain.attr.intro"))
    attr: Attributions | None = stored(c, "attr")
    if st.button(tr("explain.attr.run"), key="explain_attr_run", type="primary"):
        attr = compute_attributions(c, trace)
    if attr is None:
        st.info(tr("explain.attr.press"))
        return
    names = {tr(f"explain.method.{m}"): m for m in METHODS}  # labels as options (as controls.py)
    label = st.segmented_control(
        tr("explain.attr.method"), list(names), required=True, key=f"explain_method_{c.lang}",
        default=tr("explain.method.integrated_gradients"),
    )  # fmt: skip
    method = names.get(label, "integrated_gradients")
    _attribution_figures(c, attr, method, attends)


def compute_attributions(c: Controls, trace: DecodeTrace) -> Attributions | None:
    """All four methods for the greedy `trace` of the controls' sentence, as a heavy job (kept
    in the session: the lab and the lesson's stage share it)."""
    attribute = state.lab("attribute").attribute
    translator = state.get_translator(c.model)
    return run_job(
        c, "attr", (), tr("explain.attr.running"),
        lambda progress, deadline: attribute(
            translator, c.text, progress=progress, deadline=deadline, trace=trace
        ),
    )  # fmt: skip


def _attribution_figures(c: Controls, attr: Attributions, method: str, attends: bool) -> None:
    lab = labels()
    name = tr(f"explain.method.{method}")
    values = attr.methods[method]
    left, right = st.columns(2, gap="medium")
    if attends:
        with left:
            fig = explain_matrix_figure(
                attr.weights, attr.src_tokens, attr.out_tokens, tr("explain.fig.attention_title"),
                labels={**lab, "value": tr("explain.fig.weight")},
            )  # fmt: skip
            chart(fig, "explain_attn", c.presentation)
    else:
        left.info(tr("explain.no_attention"))
    with right:
        fig = explain_matrix_figure(
            values, attr.src_tokens, attr.out_tokens, name, signed=SIGNED[method], labels=lab
        )
        chart(fig, "explain_attr", c.presentation)
    st.caption(tr(f"explain.method_note.{method}"))
    if method == "integrated_gradients":
        _completeness(attr)
    agree = attr.agreement(method)
    if agree is None:
        return
    st.markdown(_summary(attr, method, agree))
    fig = agreement_figure(attr.out_tokens, agree.tau, agree.top_same, labels=lab)
    chart(fig, "explain_agree", c.presentation)


def _summary(attr: Attributions, method: str, agree: Any) -> str:
    tau = agree.mean_tau
    return tr(
        "explain.summary",
        method=tr(f"explain.method.{method}"),
        k=agree.n_top_same,
        n=attr.n_steps,
        tau="-" if np.isnan(tau) else f"{tau:.2f}",
    )


def _completeness(attr: Attributions) -> None:
    comp = attr.completeness()
    if comp is None:
        return
    worst = int(np.argmax(np.abs(comp["gap"])))
    st.caption(
        tr(
            "explain.completeness",
            steps=attr.ig_steps,
            gap=f"{abs(comp['gap'][worst]):.2e}",
            word=escape_markdown(attr.out_tokens[worst]),
            total=f"{comp['sum'][worst]:.4f}",
            change=f"{comp['change'][worst]:.4f}",
        )
    )
    rel = float(comp["relative_gap"][worst])
    if rel > 0.01:
        st.caption(tr("explain.completeness_warn", rel=f"{rel:.1%}"))


if __name__ == "__main__":  # run as a page by st.navigation
    render()
