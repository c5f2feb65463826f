"""Decode with temperature: seeded samples (temperature, top-k, top-p) beside greedy and beam
search with their log-probabilities, one sampled step's p(y) beside the distribution the word
was drawn from, and a temperature on the attention softmax (soft towards one-hot)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import streamlit as st

from seq2seq_viz import figures
from seq2seq_viz.config import DecodeConfig
from seq2seq_viz.i18n import tr
from seq2seq_viz.text import detokenize
from seq2seq_viz.trace import DecodeTrace
from seq2seq_viz.views import state
from seq2seq_viz.views.common import chart, escape_markdown, fetch_trace, labels, page_header
from seq2seq_viz.views.controls import Controls, current

BEAM_WIDTH = 5
ATTN_TEMPERATURES = (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)
SAMPLING_FORMULA = (
    r"\tilde p(y) = \frac{p(y)^{1/T}}{\sum_{y' \in V_{k,p}} p(y')^{1/T}}\ \ (y \in V_{k,p}),"
    r"\qquad \tilde p(y) = 0\ \ (y \notin V_{k,p})"
)
ATTN_FORMULA = r"a_t = \mathrm{softmax}(e_t / T_a),\qquad c_t = \sum_i a_{ti}\, h_i"


@dataclass(frozen=True)
class Settings:
    temperature: float
    top_k: int
    top_p: float
    n: int
    seed: int
    attn_temperature: float


def render() -> None:
    c = current()
    page_header("sample.title", "sample.intro", c)
    if c.model is None:
        return
    align = state.model_config(c.model).align
    has_attention = align not in ("none", "transformer")  # the attention temperature's part
    if align == "transformer":
        st.caption(tr("sample.transformer"))
    s = _controls(has_attention)
    base = replace(c.decode, beam_width=1, attn_temperature=s.attn_temperature)
    sampled = fetch_trace(c, decode=_sampling(base, s))
    greedy = fetch_trace(c, decode=base, notices=False)
    beam = fetch_trace(c, decode=replace(base, beam_width=BEAM_WIDTH), notices=False)
    if sampled is None or greedy is None or beam is None:
        return
    lang = state.model_config(c.model).tgt_lang
    st.dataframe(_runs_table(greedy, beam, sampled, lang), hide_index=True, width="stretch")
    st.caption(tr("sample.table_note"))
    _step_distribution(sampled, c.presentation)
    if has_attention:
        _attention_temperature(c, greedy, s, lang)


def _controls(has_attention: bool) -> Settings:
    st.latex(SAMPLING_FORMULA)
    st.caption(tr("sample.formula_note"))
    with st.container(horizontal=True, gap="medium", key="sample_controls"):
        temperature = st.slider(
            tr("sample.temperature"), 0.0, 3.0, 1.0, 0.05, key="sample_T", help=tr("sample.T_help")
        )
        top_k = st.number_input(
            tr("sample.top_k"), 0, 100, 0, key="sample_k", help=tr("sample.top_k_help")
        )
        top_p = st.slider(
            tr("sample.top_p"), 0.05, 1.0, 1.0, 0.05, key="sample_p", help=tr("sample.top_p_help")
        )
        n = st.slider(tr("sample.n"), 1, 20, 5, key="sample_n")
        seed = st.number_input(tr("sample.seed"), 0, 1_000_000, 0, key="sample_seed")
    attn_t = 1.0
    if has_attention:
        attn_t = st.select_slider(
            tr("sample.attn_temperature"),
            ATTN_TEMPERATURES,
            value=1.0,
            key="sample_Ta",
            help=tr("sample.attn_temperature_help"),
        )
    return Settings(float(temperature), int(top_k), float(top_p), int(n), int(seed), attn_t)


def _sampling(base: DecodeConfig, s: Settings) -> DecodeConfig:
    return replace(
        base,
        n_samples=s.n,
        sample_temperature=s.temperature,
        sample_top_k=s.top_k,
        sample_top_p=s.top_p,
        seed=s.seed,
    )


def _runs_table(greedy: DecodeTrace, beam: DecodeTrace, sampled: DecodeTrace, lang: str) -> dict:
    best = beam.hypotheses[0] if beam.hypotheses else None
    rows = [
        (tr("sample.greedy"), greedy.output_tokens, sum(x.logp for x in greedy.steps), None),
        (
            tr("sample.beam", k=BEAM_WIDTH),
            beam.output_tokens,
            best.score if best else float("nan"),
            None,
        ),
    ]
    for i, x in enumerate(sampled.samples, start=1):
        rows.append((tr("sample.sample", i=i, seed=x.seed), x.tokens, x.logp, x.sample_logp))
    return {
        tr("sample.col_run"): [r[0] for r in rows],
        tr("col.translation"): [detokenize(r[1], lang) or tr("output.empty") for r in rows],
        tr("sample.col_logp"): [round(r[2], 3) for r in rows],
        tr("sample.col_sample_logp"): ["–" if r[3] is None else f"{r[3]:.3f}" for r in rows],
    }


def _step_distribution(sampled: DecodeTrace, big: bool) -> None:
    st.subheader(tr("sample.step_title"))
    first = sampled.samples[0]
    steps = range(sampled.n_steps)
    step = (
        st.select_slider(
            tr("sample.step", seed=first.seed),
            steps,
            key="sample_step",
            format_func=lambda i: f"{i}: {sampled.steps[i].token}",
        )
        if sampled.n_steps > 1
        else 0
    )
    chart(figures.sample_figure(sampled, step, labels=labels()), "sample_dist", big)
    support = sampled.steps[step].extras.get("sample_support", 0)
    st.caption(tr("sample.support", n=support))


def _attention_temperature(c: Controls, hot: DecodeTrace, s: Settings, lang: str) -> None:
    st.subheader(tr("sample.attn_title"))
    st.latex(ATTN_FORMULA)
    st.caption(tr("sample.attn_note"))
    plain = fetch_trace(c, decode=replace(c.decode, beam_width=1), notices=False)
    if plain is None:
        return
    left, right = st.columns(2, gap="medium")
    for col, trace, temp, key in (
        (left, plain, 1.0, "plain"),
        (right, hot, s.attn_temperature, "hot"),
    ):
        with col:
            text = detokenize(trace.output_tokens, lang) or tr("output.empty")
            st.markdown(f"**T_a = {temp:g}** → {escape_markdown(text)}")
            st.caption(tr("sample.entropy", h=trace.entropy()))
            chart(
                figures.heatmap_figure(trace, labels=labels()), f"sample_hm_{key}", c.presentation
            )


if __name__ == "__main__":  # run as a page by st.navigation
    render()
