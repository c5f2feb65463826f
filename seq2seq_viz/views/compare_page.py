"""Compare attention: the same sentence through every shipped variant. Scores and entropy side
by side; soft vs hard (hard samples next to the soft distribution); global vs local-m vs local-p
(windows and p_t on the heatmaps, the Gaussian); self-attention per head; no attention (one fixed
context vector); BLEU by sentence length from the evaluation."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from seq2seq_viz import figures
from seq2seq_viz.config import ModelConfig
from seq2seq_viz.figures import transformer as transformer_figures
from seq2seq_viz.i18n import tr
from seq2seq_viz.trace import DecodeTrace
from seq2seq_viz.views import state
from seq2seq_viz.views.common import chart, fetch_trace, labels, page_header, translation_text
from seq2seq_viz.views.controls import Controls, current

HARD_SAMPLES = 8
CONTEXT_DIMS = 8


def render() -> None:
    c = current()
    page_header("compare.title", "compare.intro", c)
    runs = _runs(c)
    if not runs:
        return
    st.dataframe(overview_table(runs), hide_index=True, width="stretch")
    st.caption(tr("compare.training", groups=training_groups(runs)))
    st.caption(tr("compare.entropy_note"))
    longest = max(tr.n_steps for tr, _ in runs.values())
    step = 0
    if longest > 1:
        step = st.slider(tr("compare.step"), 0, longest - 1, 0, key="cmp_step")
    sections: list[tuple[str, Callable[[], None]]] = [
        ("compare.tab_heatmaps", lambda: heatmaps(runs, step, c.presentation)),
        ("compare.tab_hard", lambda: soft_vs_hard(c, runs, step)),
        ("compare.tab_local", lambda: local(runs, step, c.presentation)),
        ("compare.tab_self", lambda: self_attention(runs, c.presentation)),
        ("compare.tab_transformer", lambda: transformer_heads(runs, c.presentation)),
        ("compare.tab_none", lambda: no_attention(runs)),
        ("compare.tab_bleu", lambda: bleu_by_length(list(runs))),
    ]
    for tab, (_, draw) in zip(st.tabs([tr(k) for k, _ in sections]), sections):
        with tab:
            draw()


def _runs(c: Controls) -> dict[str, tuple[DecodeTrace, ModelConfig]]:
    """Each translation model's trace of the sentence (toy tasks left out; broken models named)."""
    runs = {}
    for name in state.model_names():
        if state.is_toy(name):
            continue
        error = state.model_error(name)
        if error:
            st.error(tr("error.model", name=name, error=error))
            continue
        trace = fetch_trace(c, model=name, notices=not runs)
        if trace is None:
            return {}
        runs[name] = (trace, state.model_config(name))
    if not runs:
        st.info(tr("compare.no_models"))
    return runs


def _result(name: str, key: str) -> float | str:
    row = state.model_results(name)
    value = row.get(key) if row else None
    return round(float(value), 2) if isinstance(value, (int, float)) else tr("results.none")


def attention_name(cfg: ModelConfig) -> str:
    """The attention of `cfg` in a few words: alignment (+ self-attention) · score function."""
    align = tr(f"align_short.{cfg.align}")
    if cfg.self_attn:
        align = tr("compare.with_self", align=align)
    return align if cfg.align == "none" else f"{align} · {cfg.score}"


def overview_table(runs: dict[str, tuple[DecodeTrace, ModelConfig]]) -> dict[str, list]:
    """One row per model (attention and score function in one column, so that the table fits
    a 1366-pixel screen beside the sidebar)."""
    names = list(runs)
    cfgs = [runs[n][1] for n in names]
    return {
        tr("col.model"): names,
        tr("col.align"): [attention_name(cfg) for cfg in cfgs],
        tr("col.translation"): [translation_text(runs[n][0], runs[n][1].tgt_lang) for n in names],
        tr("col.entropy"): [round(runs[n][0].entropy(), 3) for n in names],
        tr("col.bleu_greedy"): [_result(n, "bleu_greedy") for n in names],
        tr("col.bleu_beam5"): [_result(n, "bleu_beam5") for n in names],
        tr("col.chrf"): [_result(n, "chrf_greedy") for n in names],
        tr("col.ppl"): [_result(n, "ppl") for n in names],
    }


def training_groups(runs: dict[str, tuple[DecodeTrace, ModelConfig]]) -> str:
    """Which models share a cell and a training budget ("GRU · 6.8 min on GPU: a, b; ...")."""
    groups: dict[tuple[str, str], list[str]] = {}
    for name, (_, cfg) in runs.items():
        groups.setdefault((cfg.cell.upper(), state.budget_label(name)), []).append(name)
    return "; ".join(
        f"{cell} · {budget}: {', '.join(names)}" for (cell, budget), names in groups.items()
    )


def _at(trace: DecodeTrace, step: int) -> int:
    return min(step, trace.n_steps - 1)


def heatmaps(runs: dict[str, tuple[DecodeTrace, ModelConfig]], step: int, big: bool) -> None:
    st.markdown(tr("compare.heatmaps_explain"))
    shown = [(n, tr) for n, (tr, cfg) in runs.items() if cfg.align != "none" and tr.n_steps]
    for i in range(0, len(shown), 1 if big else 2):
        for col, (name, trace) in zip(st.columns(1 if big else 2), shown[i : i + 2]):
            with col:
                title = figures.plain(name)
                if runs[name][1].align == "transformer":  # the heatmap is a summary, said so
                    title = tr("compare.transformer_mean", model=title)
                lab = {**labels(), "heatmap_title": title}
                fig = figures.heatmap_figure(trace, highlight=_at(trace, step), labels=lab)
                chart(fig, f"cmp_heat_{name}", big)


def _first(runs: dict, test: Callable[[ModelConfig], bool]) -> str | None:
    return next((n for n, (_, cfg) in runs.items() if test(cfg)), None)


def soft_vs_hard(c: Controls, runs: dict, step: int) -> None:
    st.markdown(tr("compare.hard_explain"))
    hard = _first(runs, lambda cfg: cfg.align == "hard")
    if hard is None:
        st.info(tr("compare.missing", variant="hard"))
        return
    trace = runs[hard][0]
    if not trace.n_steps:
        return
    reference = " ".join(trace.output_tokens)
    key = state.TraceKey(hard, c.text, c.decode, reference)
    samples = [state.get_trace(k) for k in state.hard_sample_keys(key, HARD_SAMPLES)]
    at = _at(trace, step)
    usable = [s for s in samples if s.n_steps > at]
    picks = [int(s.steps[at].sampled_index) for s in usable]  # hard traces: always recorded
    soft = trace.steps[at].soft_weights
    fig = figures.hard_samples_figure(soft, picks, trace.src_tokens, labels=labels())
    chart(fig, "cmp_hard", c.presentation)
    st.caption(tr("compare.hard_step", step=at, model=hard))
    st.dataframe(_samples_table(trace, samples), hide_index=True, width="stretch")


def _samples_table(trace: DecodeTrace, samples: list[DecodeTrace]) -> dict[str, list]:
    """Sample k's looked-at source word at every step (argmax row first)."""
    rows = [("argmax", trace)] + [(f"{tr('compare.sample')} {k}", s) for k, s in enumerate(samples)]
    table: dict[str, list] = {tr("col.run"): [name for name, _ in rows]}
    for i in range(trace.n_steps):
        table[f"{i}: {trace.steps[i].token}"] = [_looked_at(s, i) for _, s in rows]
    return table


def _looked_at(trace: DecodeTrace, i: int) -> str:
    if i >= trace.n_steps or trace.steps[i].sampled_index is None:
        return ""
    return trace.src_tokens[int(trace.steps[i].sampled_index)]


def local(runs: dict, step: int, big: bool) -> None:
    st.markdown(tr("compare.local_explain"))
    names = [
        n
        for n, (_, cfg) in runs.items()
        if cfg.align in ("global", "local-m", "local-p") and not cfg.self_attn
    ]
    if not any(runs[n][1].align.startswith("local") for n in names):
        st.info(tr("compare.missing", variant="local-m / local-p"))
        return
    cols = st.columns(1 if big else min(len(names), 3))
    for i, name in enumerate(names):
        trace = runs[name][0]
        with cols[i % len(cols)]:
            lab = {
                **labels(),
                "weights_title": figures.plain(name),
                "hard_title": figures.plain(name),
            }
            chart(
                figures.weights_figure(trace, _at(trace, step), labels=lab),
                f"cmp_local_{name}",
                big,
            )


def self_attention(runs: dict, big: bool) -> None:
    st.markdown(tr("compare.self_explain"))
    name = _first(runs, lambda cfg: cfg.self_attn)
    if name is None:
        st.info(tr("compare.missing", variant="self-attn"))
        return
    trace = runs[name][0]
    heads = list(range(trace.self_attn.shape[0]))
    head = st.segmented_control(
        tr("compare.head"),
        heads,
        default=0,
        required=True,
        key="cmp_head",
        format_func=lambda h: f"{tr('compare.head')} {h}",
    )
    chart(figures.self_attention_figure(trace, int(head or 0), labels=labels()), "cmp_self", big)


def transformer_heads(runs: dict, big: bool) -> None:
    """The Transformer's cross-attention head by head for a chosen decoder layer, beside the
    mean over heads that the heatmaps tab shows."""
    st.markdown(tr("compare.transformer_explain"))
    name = _first(runs, lambda cfg: cfg.align == "transformer")
    if name is None:
        st.info(tr("compare.no_transformer"))
        return
    trace, cfg = runs[name]
    if not trace.n_steps:
        return
    layer = st.segmented_control(
        tr("tstep.layer"),
        list(range(cfg.dec_layers)),
        default=cfg.dec_layers - 1,
        required=True,
        key="cmp_t_layer",
        format_func=lambda i: str(i + 1),
    )
    layer = cfg.dec_layers - 1 if layer is None else int(layer)
    chart(transformer_figures.head_heatmaps_figure(trace, layer, labels=labels()), "cmp_t", big)


def no_attention(runs: dict) -> None:
    st.markdown(tr("compare.none_explain"))
    name = _first(runs, lambda cfg: cfg.align == "none")
    if name is None:
        st.info(tr("compare.missing", variant="none"))
        return
    trace = runs[name][0]
    st.caption(tr("compare.none_table", dims=CONTEXT_DIMS, model=name))
    st.dataframe(_context_rows(trace), hide_index=True, width="stretch")
    attended = _first(runs, lambda cfg: cfg.align == "global")
    if attended:
        st.caption(tr("compare.none_contrast", model=attended))
        st.dataframe(_context_rows(runs[attended][0]), hide_index=True, width="stretch")


def _context_rows(trace: DecodeTrace) -> dict[str, list]:
    """c_t's first dimensions, one row per step: identical rows mean one fixed vector."""
    table: dict[str, list] = {
        tr("col.step"): [s.t for s in trace.steps],
        tr("col.token"): [s.token for s in trace.steps],
    }
    for d in range(min(CONTEXT_DIMS, len(trace.steps[0].context) if trace.steps else 0)):
        table[f"c[{d}]"] = [round(float(s.context[d]), 4) for s in trace.steps]
    return table


def bleu_by_length(names: list[str]) -> None:
    st.markdown(tr("compare.bleu_explain"))
    rows = [
        {"model": n, **r}
        for n in names
        for r in ((state.model_results(n) or {}).get("bleu_by_length") or [])
    ]
    if not rows:
        st.info(tr("results.not_evaluated"))
        return
    chart(figures.bleu_by_length_figure(rows, labels=labels()), "cmp_bleu")


if __name__ == "__main__":  # run as a page by st.navigation
    render()
