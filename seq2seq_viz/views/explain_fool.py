"""The "can you fool the attention?" tab of the explain page: one step, the whole sentence, and
the uniform / permuted baselines with their stored BLEU."""

from __future__ import annotations

import json

import streamlit as st

from seq2seq_viz.explain.results import FoolResult, SentenceFool
from seq2seq_viz.figures.explain import fool_figure
from seq2seq_viz.i18n import tr
from seq2seq_viz.text import detokenize
from seq2seq_viz.trace import DecodeTrace
from seq2seq_viz.views import state
from seq2seq_viz.views.common import chart, escape_markdown
from seq2seq_viz.views.controls import Controls
from seq2seq_viz.views.explain_page import labels, run_job, stored


def fool_tab(c: Controls, trace: DecodeTrace, attends: bool) -> None:
    if not attends:
        st.info(tr("explain.no_attention_fool"))
        return
    F = state.lab("fool")
    st.caption(tr("explain.fool.intro", margin=F.MARGIN, threshold=F.THRESHOLD))
    step = st.selectbox(
        tr("explain.fool.step"), range(trace.n_steps), key="explain_fool_step",
        format_func=lambda i: f"{i}: {trace.steps[i].token}",
    )  # fmt: skip
    left, right = st.columns(2)
    one = stored(c, "fool", step)
    if left.button(tr("explain.fool.run_step"), key="explain_fool_run", type="primary"):
        one = compute_fool_step(c, trace, step)
    whole = stored(c, "fool_all")
    if right.button(tr("explain.fool.run_all"), key="explain_fool_all"):
        translator = state.get_translator(c.model)
        whole = run_job(
            c, "fool_all", (), tr("explain.fool.running_all"),
            lambda progress, deadline: F.fool_sentence(
                translator, c.text, progress=progress, deadline=deadline
            ),
        )  # fmt: skip
    if one is not None:
        one_step(c, trace, one)
    if whole is not None:
        _whole_sentence(whole)
    _baselines(c)


def compute_fool_step(c: Controls, trace: DecodeTrace, step: int) -> FoolResult | None:
    """The search at `step` of the greedy `trace`, as a heavy job (kept in the session: the lab
    and the lesson's stage share it)."""
    fool_step = state.lab("fool").fool_step
    translator = state.get_translator(c.model)
    return run_job(
        c, "fool", (step,), tr("explain.fool.running"),
        lambda progress, deadline: fool_step(
            translator, c.text, step, trace=trace, deadline=deadline
        ),
    )  # fmt: skip


def one_step(
    c: Controls, trace: DecodeTrace, res: FoolResult, big: bool | None = None, columns: int = 4
) -> None:
    """The model's and the fooled attention, their distance, the check and the continuation.
    `big`: projector-sized figure type (default: the presentation mode's); `columns`: metrics
    per row (a narrow column takes 2)."""
    word = res.token
    fig = fool_figure(
        trace.src_tokens, res.weights, res.fooled,
        tr("explain.fig.fool_title", t=res.t, word=word), labels=labels(),
    )  # fmt: skip
    chart(fig, "explain_fool_fig", c.presentation if big is None else big)
    cols = st.columns(columns)
    metrics = [
        ("explain.fool.js", res.js),
        ("explain.fool.tv", res.tv),
        ("explain.fool.p_own", res.p_own),
        ("explain.fool.p_fooled", res.p_fooled),
    ]
    for k, (key, value) in enumerate(metrics):
        cols[k % columns].metric(tr(key), f"{value:.3f}")
    if not res.found:
        st.info(tr("explain.fool.not_found", word=escape_markdown(word)))
    elif res.verified:
        st.success(
            tr("explain.fool.verified", word=escape_markdown(word), p=f"{res.p_verified:.3f}")
        )
    else:
        st.error(tr("explain.fool.not_verified", word=escape_markdown(word)))
    lang = state.model_config(c.model).tgt_lang
    original = detokenize(trace.output_tokens, lang)
    continued = detokenize(res.continued, lang)
    st.markdown(tr("explain.fool.this_step", word=escape_markdown(word), t=res.t))
    st.markdown(tr("explain.fool.original", text=escape_markdown(original)))
    st.markdown(tr("explain.fool.continued", text=escape_markdown(continued)))
    st.caption(tr("explain.fool.feeding"))


def _whole_sentence(res: SentenceFool) -> None:
    st.subheader(tr("explain.fool.whole_title"))
    kept = res.kept()
    tally = res.tally()
    st.markdown(
        tr(
            "explain.fool.tally",
            fk=tally["function"][0], fn=tally["function"][1],
            ck=tally["content"][0], cn=tally["content"][1],
            ok=tally["other"][0], on=tally["other"][1], threshold=res.threshold,
        )
    )  # fmt: skip
    rows = [
        {
            tr("explain.col.t"): s.t,
            tr("explain.col.word"): s.token,
            tr("explain.col.class"): tr(f"explain.class.{cls}"),
            tr("explain.fool.js"): round(s.js, 3),
            tr("explain.col.kept"): "✓" if k else "·",
        }
        for s, cls, k in zip(res.steps, res.classes, kept)
    ]
    st.dataframe(rows, hide_index=True, width="stretch")
    st.caption(tr("explain.fool.classes_note"))


def _baselines(c: Controls) -> None:
    st.subheader(tr("explain.base.title"))
    st.caption(tr("explain.base.intro"))
    base = stored(c, "baselines")
    if base is None and st.button(tr("explain.base.run"), key="explain_base_run"):
        sentence_baselines = state.lab("baselines").sentence_baselines
        translator = state.get_translator(c.model)
        base = run_job(
            c, "baselines", (), tr("explain.base.running"),
            lambda progress, deadline: sentence_baselines(translator, c.text),
        )  # fmt: skip
    if base is not None:
        for name in ("model", "uniform", "permuted"):
            text = escape_markdown(base[name]) or "-"
            st.markdown(f"**{tr(f'explain.base.{name}')}** → {text}")
    table = stored_bleu()
    row = table.get(c.model) if table else None
    if row is None:
        st.caption(tr("explain.base.no_bleu"))
        return
    st.markdown(
        tr(
            "explain.base.bleu",
            n=row["n_test"], model=row["bleu_model"], uniform=row["bleu_uniform"],
            permuted=row["bleu_permuted"],
        )
    )  # fmt: skip


def stored_bleu() -> dict | None:
    """model -> its baselines' BLEU row (pretrained/explain_baselines.json), or None."""
    path = state.models_root() / "explain_baselines.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
