"""Beam search: the tree growing step by step (kept / pruned / finished), the n best with their
scores, the greedy path for comparison, and "what if": force another word at some step and let
the model continue from that prefix."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from seq2seq_viz import figures
from seq2seq_viz.i18n import tr
from seq2seq_viz.text import EOS_ID, UNK, detokenize
from seq2seq_viz.trace import DecodeTrace, Hypothesis
from seq2seq_viz.views import state
from seq2seq_viz.views.common import (
    chart,
    download_trace,
    escape_markdown,
    fetch_trace,
    labels,
    page_header,
    tree_box,
)
from seq2seq_viz.views.controls import Controls, beam_controls, current

BEAM_PAGE_WIDTH = 5


def render() -> None:
    c = current()
    page_header("beam.title", "beam.intro", c)
    with st.container(horizontal=True, gap="large"):
        width = beam_controls(st, key="beam_page_width", default=BEAM_PAGE_WIDTH)
    c = replace(c, decode=replace(c.decode, beam_width=width))
    if width == 1:
        st.info(tr("beam.width_one"))
    trace = fetch_trace(c)
    if trace is None or not trace.steps:
        return
    lang = state.model_config(c.model).tgt_lang
    _outputs(c, trace, lang)
    _tree(trace, c.presentation)  # width 1: the greedy chain (figures.beam.greedy_nodes)
    if trace.hypotheses:
        st.subheader(tr("beam.nbest"))
        words = [shown_words(c, h) for h in trace.hypotheses]
        st.dataframe(nbest_table(trace, lang, words), hide_index=True, width="stretch")
        if any(UNK in h.tokens for h in trace.hypotheses):
            st.caption(tr("beam.unk_note"))
    what_if(c, trace, lang)
    if not c.presentation:
        download_trace(c, c.model, c.decode, "download_beam")


def _outputs(c: Controls, trace: DecodeTrace, lang: str) -> None:
    best, greedy = st.columns(2)
    text = detokenize(trace.output_tokens, lang) or tr("output.empty")
    best.markdown(f"**{tr('beam.best')}** → {escape_markdown(text)}")
    text = detokenize(greedy_words(c, trace), lang) or tr("output.empty")
    greedy.markdown(f"**{tr('beam.greedy')}** → {escape_markdown(text)}")


def greedy_words(c: Controls, trace: DecodeTrace) -> list[str]:
    """The greedy translation with the unknown-word rule the best line uses (each <unk> copies
    the source word its step attends to most): the greedy trace applies it (cached)."""
    if UNK not in trace.greedy_tokens or not c.decode.unk_replace:
        return trace.greedy_tokens
    greedy = fetch_trace(c, decode=replace(c.decode, beam_width=1), notices=False)
    return trace.greedy_tokens if greedy is None else greedy.output_tokens


def shown_words(c: Controls, hyp: Hypothesis) -> list[str]:
    """A hypothesis as text, with the same unknown-word rule: its own steps replayed (the
    words forced) give the attention each <unk> copies from. The tree keeps <unk>."""
    if UNK not in hyp.tokens or not c.decode.unk_replace:
        return hyp.tokens
    forced = fetch_trace(c, prefix=tuple(hyp.tokens), notices=False)
    return hyp.tokens if forced is None else forced.output_tokens[: len(hyp.tokens)]


def _tree(trace: DecodeTrace, big: bool) -> None:
    last = max(node.step for node in trace.beam_nodes) if trace.beam_nodes else trace.n_steps - 1
    upto = last
    if last > 0:
        upto = st.slider(tr("beam.grow"), 0, last, last, key="beam_step", help=tr("beam.grow_help"))
    fig = figures.beam_tree_figure(trace, upto_step=upto, labels=labels())
    with tree_box("beam_tree_box", upto):  # a phone: the labels need room, it swipes
        chart(fig, "beam_tree", big)
    st.caption(tr("beam.legend"))


def nbest_table(
    trace: DecodeTrace, lang: str, words: list[list[str]] | None = None
) -> dict[str, list]:
    """The n best; `words`: each one's output words as shown (unknown-word rule applied),
    default its tokens. The tokens column keeps the search's own tokens."""
    hyps = trace.hypotheses
    words = [h.tokens for h in hyps] if words is None else words
    return {
        tr("col.rank"): list(range(1, len(hyps) + 1)),
        tr("col.translation"): [detokenize(w, lang) for w in words],
        tr("col.tokens"): [" ".join(h.tokens) for h in hyps],
        tr("col.length"): [hypothesis_length(trace, h) for h in hyps],
        tr("col.cum_score"): [round(h.score, 4) for h in hyps],
        tr("col.norm_score"): [round(h.norm_score, 4) for h in hyps],
    }


def hypothesis_length(trace: DecodeTrace, hyp: Hypothesis) -> int:
    """n of the length penalty: its words, plus <eos> only where the search chose it (a
    hypothesis cut at max_len has none)."""
    return len(hyp.tokens) + int(trace.beam_nodes[hyp.node_id].token_id == EOS_ID)


def what_if(c: Controls, trace: DecodeTrace, lang: str) -> None:
    """Pick another word at some step (from that step's top-k); the model continues."""
    st.subheader(tr("whatif.title"))
    st.markdown(tr("whatif.explain"))
    if not trace.steps:
        return
    _forget_old_choice(c)
    left, right = st.columns(2)
    steps = list(range(len(trace.steps)))
    step = left.selectbox(
        tr("whatif.step"),
        steps,
        key="whatif_step",
        format_func=lambda i: f"{i}: {trace.steps[i].token}",
    )
    options = [w for w in trace.steps[step].topk_tokens if w != trace.steps[step].token]
    word = right.selectbox(
        tr("whatif.word"),
        options,
        index=None,
        key="whatif_word",
        placeholder=tr("whatif.word_placeholder"),
    )
    if word is None:
        return
    prefix = (*trace.output_tokens[:step], word)
    forced = fetch_trace(c, prefix=prefix, notices=False)
    if forced is None:
        return
    text = detokenize(forced.output_tokens, lang) or tr("output.empty")
    st.markdown(f"**{tr('whatif.result')}** → {escape_markdown(text)}")
    st.dataframe(_forced_table(forced), hide_index=True, width="stretch")


def _forget_old_choice(c: Controls) -> None:
    """A new sentence, model or decoding setting starts the what-if afresh (step 0, no word):
    the old sentence's step and word mean nothing for the new translation."""
    now = (c.model, c.text, c.decode)
    if st.session_state.get("_whatif_for") != now:
        for key in ("whatif_step", "whatif_word"):
            st.session_state.pop(key, None)
        st.session_state["_whatif_for"] = now


def _forced_table(trace: DecodeTrace) -> dict[str, list]:
    return {
        tr("col.step"): [s.t for s in trace.steps],
        tr("col.token"): [s.token for s in trace.steps],
        tr("col.forced"): [bool(s.forced) for s in trace.steps],
        tr("col.logp"): [round(s.logp, 4) for s in trace.steps],
    }


if __name__ == "__main__":  # run as a page by st.navigation
    render()
