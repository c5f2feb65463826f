"""The "sentences the model is thinking of" tab of the explain page: nearest training states
from the model's index (built once by ``python -m seq2seq_viz.explain.index``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from seq2seq_viz.figures.explain import neighbour_map_figure
from seq2seq_viz.i18n import tr
from seq2seq_viz.text import detokenize
from seq2seq_viz.trace import DecodeTrace
from seq2seq_viz.views import state
from seq2seq_viz.views.common import chart
from seq2seq_viz.views.controls import Controls
from seq2seq_viz.views.explain_page import labels

if TYPE_CHECKING:
    from seq2seq_viz.explain import index as X

K = 8


@st.cache_resource(show_spinner=False, max_entries=4)
def _index(path: str, mtime: float, sha: str | None) -> X.StateIndex:
    return state.lab("index").load_index(path.rsplit("/", 1)[0], sha)


def load(model: str) -> X.StateIndex | None:
    X = state.lab("index")
    path = X.index_path(state.models_root() / model)
    try:
        sha = state.get_translator(model).meta.get("weights_sha256") if path.is_file() else None
        return _index(str(path), path.stat().st_mtime, sha)
    except (OSError, X.IndexMissing, ValueError, KeyError):
        return None


def neighbour_tab(c: Controls, trace: DecodeTrace) -> None:
    X = state.lab("index")
    st.caption(tr("explain.near.intro", k=K))
    index = load(c.model)
    if index is None:
        st.info(tr("explain.near.missing", model=c.model))
        st.code(f"python -m seq2seq_viz.explain.index pretrained/{c.model} --data eng-fra.txt.gz")
        return
    kinds = {tr(f"explain.near.kind_{k}"): k for k in X.KINDS}  # labels as options
    label = st.segmented_control(
        tr("explain.near.kind"), list(kinds), required=True, key=f"explain_near_kind_{c.lang}",
        default=tr("explain.near.kind_decoder"),
    )  # fmt: skip
    kind = kinds.get(label, "decoder")
    words = [s.token for s in trace.steps] if kind == "decoder" else trace.src_tokens
    pos = st.selectbox(
        tr("explain.near.position"), range(len(words)), key=f"explain_near_pos_{kind}",
        format_func=lambda i: f"{i}: {words[i]}",
    )  # fmt: skip
    show_neighbours(c, trace, index, kind, pos)


def show_neighbours(
    c: Controls, trace: DecodeTrace, index: X.StateIndex, kind: str, pos: int
) -> None:
    """The training states nearest to `kind` state `pos` of `trace`: the index's numbers, the
    table and the 2-D map."""
    X = state.lab("index")
    translator = state.get_translator(c.model)
    res = X.query(index, translator, trace, kind, pos, K)
    index_caption(index, kind, res)
    lang_src, lang_tgt = translator.config.src_lang, translator.config.tgt_lang
    rows = [
        {
            tr("explain.col.distance"): round(n.distance, 3),
            tr("explain.col.word"): n.word,
            **({tr("explain.col.predicted"): n.predicted} if kind == "decoder" else {}),
            tr("explain.col.source"): detokenize(n.src_tokens, lang_src),
            tr("explain.col.target"): detokenize(n.tgt_tokens, lang_tgt),
        }
        for n in res.neighbours
    ]
    st.dataframe(rows, hide_index=True, width="stretch")
    words = [s.token for s in trace.steps] if kind == "decoder" else trace.src_tokens
    own = X.sentence_map(index, trace, kind)
    near = np.array([n.xy for n in res.neighbours]).reshape(-1, 2)
    fig = neighbour_map_figure(
        own, words, near, [n.word for n in res.neighbours], highlight=pos, labels=labels()
    )
    chart(fig, "explain_near_map", c.presentation)


def index_caption(index: X.StateIndex, kind: str, res: X.NeighbourResult) -> None:
    """What the index holds and how long the query took."""
    meta = index.meta
    st.caption(
        tr(
            "explain.near.meta", sentences=meta["sentences"], states=meta[f"{kind}_states"],
            dims=meta["dims"], kept=f"{100 * meta[f'{kind}_variance_kept']:.0f}",
            ms=f"{1000 * res.seconds:.1f}",
        )
    )  # fmt: skip
