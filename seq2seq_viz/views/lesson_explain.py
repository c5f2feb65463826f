"""The lesson's last stage, "Is attention an explanation?" (어텐션은 설명인가?): the three
experiments of the explanation lab (seq2seq_viz/explain/, page views/explain_page.py) on the
lesson's sentence and model, at one decoder step t of its greedy translation:

1. integrated gradients beside the attention, with the rank agreement over the sentence;
2. fooling the attention at t (the model's a_t against the farthest a that keeps y_t);
3. the training sentences whose h~ is nearest to h~_t (the model's shipped index), as a list
   that wraps in the narrow column (the lab has the table and the map).

The lab's functions, figures and caps do the work: 1 and 2 run only on a button, one heavy job
per process with a progress bar (explain_page.run_job), and their results are kept in the
session per model and sentence, shared with the lab page (turning to this stage computes
nothing; opening the lab afterwards shows the same results). 3 is a 2 ms query.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from seq2seq_viz.config import DecodeConfig
from seq2seq_viz.explain.results import Attributions, FoolResult
from seq2seq_viz.figures.explain import explain_matrix_figure
from seq2seq_viz.i18n import tr
from seq2seq_viz.text import detokenize
from seq2seq_viz.trace import DecodeTrace
from seq2seq_viz.views import explain_near, state
from seq2seq_viz.views.common import chart, escape_markdown, fetch_trace
from seq2seq_viz.views.controls import Controls
from seq2seq_viz.views.explain_fool import compute_fool_step, one_step, stored_bleu
from seq2seq_viz.views.explain_page import compute_attributions, labels, stored, within_caps

METHOD = "integrated_gradients"  # the method set beside the attention (the lab has all four)
RIGHT = 36  # title width in the lesson's right column (lesson_page.RIGHT)
LAB_PAGE = "seq2seq_viz/views/explain_page.py"


def view(c: Controls, trace: DecodeTrace, step: int) -> None:
    """The right column: the step, then one tab per experiment."""
    align = state.model_config(c.model).align
    if align in ("none", "transformer"):
        key = "lesson.explain.no_attention" if align == "none" else "lesson.explain.transformer"
        st.info(tr(key, model=c.model))
        return
    greedy = fetch_trace(c, decode=DecodeConfig(), notices=False)  # what the lab explains
    if greedy is None or not greedy.steps or not within_caps(greedy):
        return
    if c.decode != DecodeConfig():
        st.caption(tr("lesson.explain.greedy"))
    t = _step(greedy)
    tabs = st.tabs([tr(f"lesson.explain.tab.{k}") for k in ("attr", "fool", "near")])
    with tabs[0]:
        _attributions(c, greedy, t)
    with tabs[1]:
        _fool(c, greedy, t)
    with tabs[2]:
        _neighbours(c, greedy, t)


def notes(c: Controls) -> None:
    """The left column, under the stage's text: the model's baseline BLEU and the lab's link."""
    if c.model is None or state.model_config(c.model).align == "transformer":
        return
    row = (stored_bleu() or {}).get(c.model)
    if row is not None:
        st.markdown(
            tr(
                "lesson.explain.bleu", name=escape_markdown(c.model), n=row["n_test"],
                model=row["bleu_model"], uniform=row["bleu_uniform"],
                permuted=row["bleu_permuted"],
            )
        )  # fmt: skip
    st.page_link(LAB_PAGE, label=tr("lesson.explain.open_lab"), icon=":material/psychology:")


def _step(trace: DecodeTrace) -> int:
    if trace.n_steps < 2:
        return 0
    t = st.select_slider(
        tr("lesson.step"), options=list(range(trace.n_steps)), key="lesson_explain_step",
        format_func=lambda k: f"{k}: {trace.steps[k].token}",
    )  # fmt: skip
    return min(int(t), trace.n_steps - 1)


def _attributions(c: Controls, trace: DecodeTrace, t: int) -> None:
    st.caption(tr("lesson.explain.attr.intro"))
    attr: Attributions | None = stored(c, "attr")
    if st.button(tr("lesson.explain.attr.run"), key="lesson_explain_attr", type="primary"):
        attr = compute_attributions(c, trace)
    if attr is None or attr.n_steps != trace.n_steps:
        st.info(tr("lesson.explain.press"))
        return
    agree = attr.agreement(METHOD)
    values = attr.methods[METHOD]
    st.markdown(
        tr("lesson.explain.attr.summary", k=agree.n_top_same, n=attr.n_steps,
           tau=_number(agree.mean_tau))
    )  # fmt: skip
    ia, ir = int(agree.top_attention[t]), int(agree.top_attribution[t])
    verdict = "same" if agree.top_same[t] else "differ"
    st.markdown(
        tr(
            "lesson.explain.attr.step", t=t, word=escape_markdown(attr.out_tokens[t]),
            a_word=escape_markdown(attr.src_tokens[ia]), a=f"{attr.weights[t, ia]:.2f}",
            r_word=escape_markdown(attr.src_tokens[ir]), r=f"{values[t, ir]:.3f}",
            tau=_number(agree.tau[t]),
        )
        + " "
        + tr(f"lesson.explain.attr.{verdict}")
    )  # fmt: skip
    lab = labels()
    attention = explain_matrix_figure(
        attr.weights, attr.src_tokens, attr.out_tokens, tr("explain.fig.attention_title"),
        highlight=t, labels={**lab, "value": tr("explain.fig.weight")},
    )  # fmt: skip
    chart(attention, "lesson_explain_attn", True, RIGHT)
    ig = explain_matrix_figure(
        values, attr.src_tokens, attr.out_tokens, tr(f"explain.method.{METHOD}"), signed=True,
        highlight=t, labels=lab,
    )  # fmt: skip
    chart(ig, "lesson_explain_ig", True, RIGHT)
    st.caption(tr(f"explain.method_note.{METHOD}"))


def _fool(c: Controls, trace: DecodeTrace, t: int) -> None:
    F = state.lab("fool")
    st.caption(tr("lesson.explain.fool.intro", margin=F.MARGIN))
    res: FoolResult | None = stored(c, "fool", t)
    if st.button(tr("lesson.explain.fool.run", t=t), key="lesson_explain_fool", type="primary"):
        res = compute_fool_step(c, trace, t)
    if res is None:
        st.info(tr("lesson.explain.press"))
        return
    st.markdown(
        tr(
            f"lesson.explain.fool.{_verdict(res, F.THRESHOLD)}", t=res.t,
            word=escape_markdown(res.token), js=f"{res.js:.2f}", threshold=F.THRESHOLD,
        )
    )  # fmt: skip
    one_step(c, trace, res, big=True, columns=2)


def _verdict(res: FoolResult, threshold: float) -> str:
    """'fooled': a very different attention (JS >= threshold) kept the word; 'close': only a
    nearer one did; 'lost': none was found (or the re-decoding did not give the word)."""
    if not (res.found and res.verified):
        return "lost"
    return "fooled" if res.js >= threshold else "close"


def _neighbours(c: Controls, trace: DecodeTrace, t: int) -> None:
    st.caption(tr("lesson.explain.near.intro", k=explain_near.K))
    index = explain_near.load(c.model)
    if index is None:
        st.info(tr("explain.near.missing", model=c.model))
        return
    X = state.lab("index")
    translator = state.get_translator(c.model)
    res = X.query(index, translator, trace, "decoder", t, explain_near.K)
    explain_near.index_caption(index, "decoder", res)
    src, tgt = translator.config.src_lang, translator.config.tgt_lang
    rows = [
        "- "
        + tr(
            "lesson.explain.near.row", word=escape_markdown(n.word), d=f"{n.distance:.2f}",
            src=escape_markdown(detokenize(n.src_tokens, src)),
            tgt=escape_markdown(detokenize(n.tgt_tokens, tgt)),
        )
        for n in res.neighbours
    ]  # fmt: skip
    st.markdown("\n".join(rows))


def _number(x: float) -> str:
    return "-" if np.isnan(x) else f"{x:.2f}"
