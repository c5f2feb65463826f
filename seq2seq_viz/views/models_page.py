"""Models: what each shipped model is (architecture, data, training, scores), where the data
comes from, and when each attention variant helps, told with our models' own numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from seq2seq_viz.i18n import t
from seq2seq_viz.views import state
from seq2seq_viz.views.common import page_header
from seq2seq_viz.views.controls import current
from seq2seq_viz.views.insights import insights, kind_of

ARCH_KEYS = (
    "cell",
    "enc_layers",
    "dec_layers",
    "bidirectional",
    "emb_dim",
    "hidden_dim",
    "score",
    "align",
    "window",
    "self_attn",
    "self_attn_heads",
    "tie_output",
    "src_vocab_size",
    "tgt_vocab_size",
    "max_src_len",
    "src_lang",
    "tgt_lang",
)
SCORE_KEYS = (
    "bleu_greedy",
    "bleu_beam5",
    "chrf_greedy",
    "chrf_beam5",
    "ppl",
    "entropy",
    "n_test",
    "exact_match",
    "aer",
)


def render() -> None:
    c = current()
    page_header("models.title", "models.intro", c)
    st.info(t("attribution"))
    extra = state.load_results().get("attribution")
    if isinstance(extra, str) and extra.strip() and extra.strip() != t("attribution"):
        st.caption(extra)
    cards = _cards(state.model_names())
    st.subheader(t("models.when"))
    _insights(cards)
    for name, card in cards.items():
        model_card(name, card)


def _cards(names: list[str]) -> dict[str, dict[str, Any]]:
    cards = {}
    for name in names:
        try:
            cards[name] = state.model_card(name)
        except state.CheckpointError as err:
            st.error(t("error.model", name=name, error=str(err)))
    return cards


def _insights(cards: dict[str, dict[str, Any]]) -> None:
    models = state.load_results().get("models") or {}
    arch = {n: card.get("model") or {} for n, card in cards.items()}
    kinds = {n: kind_of(a.get("align", ""), bool(a.get("self_attn"))) for n, a in arch.items()}
    found = insights(kinds, {n: a.get("score", "") for n, a in arch.items()}, models)
    if not found:
        st.info(t("models.need_more") if models else t("results.not_evaluated"))
    for key, fields in found:
        st.markdown("- " + t(key, **fields))


def model_card(name: str, card: dict[str, Any]) -> None:
    """Summary line, headline scores and training time; the full tables in an expander."""
    arch = card.get("model") or {}
    with st.container(border=True):
        st.subheader(name)
        error = state.model_error(name)
        if error:
            st.error(t("error.model", name=name, error=error))
        st.markdown(t("models.summary", **_summary_fields(arch)))
        _headline_scores(state.model_results(name))
        _training(card.get("training") or {})
        with st.expander(t("models.details")):
            cols = st.columns(3)
            tables = (
                ("models.architecture", _pairs(arch, ARCH_KEYS)),
                ("models.data", _pairs(_data_facts(card.get("data") or {}), None)),
                ("models.scores", _pairs(state.model_results(name) or {}, SCORE_KEYS)),
            )
            for col, (title, table) in zip(cols, tables):
                col.markdown(f"**{t(title)}**")
                col.dataframe(table, hide_index=True, width="stretch")
            if (card.get("training") or {}).get("command"):
                st.code(str(card["training"]["command"]), language="bash", wrap_lines=True)


def _summary_fields(arch: dict[str, Any]) -> dict[str, Any]:
    align = arch.get("align", "?")
    if arch.get("self_attn"):
        align += f" + self-attention ({arch.get('self_attn_heads', '?')} heads)"
    return {
        "cell": str(arch.get("cell", "?")).upper(),
        "layers": arch.get("enc_layers", "?"),
        "direction": t("models.bi") if arch.get("bidirectional") else t("models.uni"),
        "hidden": arch.get("hidden_dim", "?"),
        "emb": arch.get("emb_dim", "?"),
        "score": arch.get("score", "?") if arch.get("align") != "none" else "—",
        "align": align,
        "src": arch.get("src_lang", "?"),
        "tgt": arch.get("tgt_lang", "?"),
    }


def _headline_scores(row: dict[str, Any] | None) -> None:
    if not row:
        st.caption(t("results.not_evaluated"))
        return
    keys = [
        k
        for k in ("bleu_greedy", "bleu_beam5", "chrf_greedy", "ppl", "exact_match", "aer")
        if isinstance(row.get(k), (int, float))
    ]
    for col, key in zip(st.columns(max(len(keys), 1)), keys):
        col.metric(t(f"metric.{key}"), f"{float(row[key]):.2f}")


def _pairs(values: dict[str, Any], keys: tuple[str, ...] | None) -> dict[str, list[str]]:
    keys = keys or tuple(values)
    shown = [k for k in keys if k in values and values[k] is not None]
    return {t("col.field"): shown, t("col.value"): [_fmt(values[k]) for k in shown]}


def _fmt(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _data_facts(data: dict[str, Any]) -> dict[str, Any]:
    settings, sizes = data.get("settings") or {}, data.get("sizes") or {}
    facts = {k: settings.get(k) for k in ("data", "toy", "src", "tgt", "max_len", "min_freq")}
    if facts["data"]:
        facts["data"] = Path(str(facts["data"])).name
    facts.update({f"{t('models.pairs')} ({k})": v for k, v in sizes.items()})
    return {k: v for k, v in facts.items() if v is not None}


def _training(training: dict[str, Any]) -> None:
    seconds = training.get("seconds")
    if isinstance(seconds, (int, float)):
        st.caption(
            t(
                "models.training_time",
                minutes=seconds / 60,
                tps=training.get("tokens_per_second", "?"),
                epochs=training.get("epochs_run", "?"),
                device=training.get("device", "?"),
            )
        )


if __name__ == "__main__":  # run as a page by st.navigation
    render()
