"""Models: what each shipped model is (architecture, data, training, scores), where the data
comes from, and when each attention variant helps, told with our models' own numbers.

Conclusions compare translation models only: toy tasks (dates, reversal) measure another task
and are shown apart, each with what it reads and example inputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from seq2seq_viz import figures, stages
from seq2seq_viz.i18n import strings, tr
from seq2seq_viz.views import state, toys
from seq2seq_viz.views.common import chart, labels, page_header
from seq2seq_viz.views.controls import current
from seq2seq_viz.views.insights import insights_by_cohort, kind_of
from seq2seq_viz.views.safe import escape_markdown

ARCH_KEYS = (
    "cell",
    "enc_layers",
    "dec_layers",
    "bidirectional",
    "emb_dim",
    "hidden_dim",
    "d_model",
    "heads",
    "ffn_dim",
    "dropout",
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
    st.info(tr("attribution"))
    extra = state.load_results().get("attribution")
    said = {tr("attribution"), strings("en")["attribution"]}  # ours, in either language
    if isinstance(extra, str) and extra.strip() and extra.strip() not in said:
        st.caption(extra)
    cards = _cards(state.model_names())
    tasks = {name: toys.task_of(name) for name in cards}
    translation = {n: c for n, c in cards.items() if tasks[n] == toys.TRANSLATION}
    st.subheader(tr("models.when"))
    _insights(translation)
    _curves(translation)
    for name, card in translation.items():
        model_card(name, card)
    toy_cards = {n: c for n, c in cards.items() if tasks[n] != toys.TRANSLATION}
    if toy_cards:
        st.subheader(tr("models.toys"))
        st.caption(tr("models.toys_intro"))
    for name, card in toy_cards.items():
        model_card(name, card, tasks[name])


def _cards(names: list[str]) -> dict[str, dict[str, Any]]:
    cards = {}
    for name in names:
        try:
            cards[name] = state.model_card(name)
        except state.CheckpointError as err:
            st.error(tr("error.model", name=name, error=str(err)))
    return cards


def _insights(cards: dict[str, dict[str, Any]]) -> None:
    models = state.load_results().get("models") or {}
    arch = {n: card.get("model") or {} for n, card in cards.items()}
    kinds = {n: kind_of(a.get("align", ""), bool(a.get("self_attn"))) for n, a in arch.items()}
    cohorts = {  # compare like with like: the same cell, the same training budget
        n: (a.get("cell"), stages.training_budget(card.get("training") or {}))
        for (n, a), card in zip(arch.items(), cards.values())
    }
    scores = {n: a.get("score", "") for n, a in arch.items()}
    found = insights_by_cohort(kinds, scores, models, cohorts)
    if not found:
        st.info(tr("models.need_more") if models else tr("results.not_evaluated"))
    else:  # the sentences' numbers: insights.METRIC, the same as the cards' first score
        st.caption(tr("models.when_metric"))
    for names, sentences in found:
        if len(found) > 1:  # say which models each group of sentences compares
            cell = str(arch[names[0]].get("cell") or "gru").upper()
            st.markdown(
                tr(
                    "models.cohort",
                    cell=cell,
                    budget=state.budget_label(names[0]),
                    models=escape_markdown(", ".join(names)),
                )
            )
        for key, fields in sentences:
            st.markdown("- " + tr(key, **fields))


def _curves(cards: dict[str, dict[str, Any]]) -> None:
    """The translation models' validation loss per epoch, from their training records."""
    trained = {n: card.get("training") or {} for n, card in cards.items()}
    histories = {n: tr.get("history") for n, tr in trained.items()}
    histories = {n: h for n, h in histories.items() if isinstance(h, list) and h}
    if not histories:
        return
    best = {
        n: tr["best_epoch"] for n, tr in trained.items() if isinstance(tr.get("best_epoch"), int)
    }
    st.subheader(tr("models.curves"))
    st.caption(tr("models.curves_caption"))
    try:
        fig = figures.learning_curves_figure(histories, best, labels=labels())
    except ValueError:  # no usable row in any record
        return
    chart(fig, "models_curves")


def model_card(name: str, card: dict[str, Any], task: str = toys.TRANSLATION) -> None:
    """Summary line (a toy's input and examples), headline scores and training time; the
    full tables in an expander."""
    arch = card.get("model") or {}
    with st.container(border=True):
        st.subheader(name)
        error = state.model_error(name)
        if error:
            st.error(tr("error.model", name=name, error=error))
        if arch.get("arch") == "transformer":
            st.markdown(tr("models.summary_transformer", **_transformer_fields(arch)))
        else:
            st.markdown(tr("models.summary", **_summary_fields(arch)))
        if task != toys.TRANSLATION:
            st.markdown(tr(toys.input_key(task)))
            examples = " · ".join(toys.example_inputs(task))
            st.caption(escape_markdown(tr("toy.examples", examples=examples)))
        _headline_scores(state.model_results(name))
        _training(card.get("training") or {})
        with st.expander(tr("models.details")):
            cols = st.columns(3)
            tables = (
                ("models.architecture", _pairs(arch, ARCH_KEYS)),
                ("models.data", _pairs(_data_facts(card.get("data") or {}), None)),
                ("models.scores", _pairs(state.model_results(name) or {}, SCORE_KEYS)),
            )
            for col, (title, table) in zip(cols, tables):
                col.markdown(f"**{tr(title)}**")
                col.dataframe(table, hide_index=True, width="stretch")
            if (card.get("training") or {}).get("command"):
                st.code(str(card["training"]["command"]), language="bash", wrap_lines=True)


def _summary_fields(arch: dict[str, Any]) -> dict[str, Any]:
    align = _named("align_name", arch.get("align", "?"))
    if arch.get("self_attn"):
        align = tr("models.self_attn", align=align, heads=arch.get("self_attn_heads", "?"))
    return {
        "cell": str(arch.get("cell", "?")).upper(),
        "layers": arch.get("enc_layers", "?"),
        "direction": tr("models.bi") if arch.get("bidirectional") else tr("models.uni"),
        "hidden": arch.get("hidden_dim", "?"),
        "emb": arch.get("emb_dim", "?"),
        "score": arch.get("score", "?") if arch.get("align") != "none" else "—",
        "align": align,
        "src": _named("lang_name", arch.get("src_lang", "?")),
        "tgt": _named("lang_name", arch.get("tgt_lang", "?")),
    }


def _transformer_fields(arch: dict[str, Any]) -> dict[str, Any]:
    d, n = arch.get("d_model", "?"), arch.get("heads", "?")
    return {
        "enc": arch.get("enc_layers", "?"),
        "dec": arch.get("dec_layers", "?"),
        "d": d,
        "heads": n,
        "dk": d // n if isinstance(d, int) and isinstance(n, int) and n else "?",
        "ffn": arch.get("ffn_dim", "?"),
        "src": _named("lang_name", arch.get("src_lang", "?")),
        "tgt": _named("lang_name", arch.get("tgt_lang", "?")),
    }


def _named(group: str, value: Any) -> str:
    """The translated name of `value` in `group` (e.g. align_name.global), else `value`."""
    key = f"{group}.{value}"
    name = tr(key)
    return str(value) if name == key else name


def _headline_scores(row: dict[str, Any] | None) -> None:
    if not row:
        st.caption(tr("results.not_evaluated"))
        return
    keys = [
        k
        for k in ("bleu_greedy", "bleu_beam5", "chrf_greedy", "ppl", "exact_match", "aer")
        if isinstance(row.get(k), (int, float))
    ]
    for col, key in zip(st.columns(max(len(keys), 1)), keys):
        col.metric(tr(f"metric.{key}"), f"{float(row[key]):.2f}")


def _pairs(values: dict[str, Any], keys: tuple[str, ...] | None) -> dict[str, list[str]]:
    """Field names translated (field.<key>), values formatted (yes/no, attention names)."""
    keys = keys or tuple(values)
    shown = [k for k in keys if k in values and values[k] is not None]
    return {
        tr("col.field"): [_named("field", k) for k in shown],
        tr("col.value"): [_fmt(k, values[k]) for k in shown],
    }


def _fmt(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return tr("models.yes") if value else tr("models.no")
    if key == "align":
        return _named("align_name", value)
    if key in ("src_lang", "tgt_lang", "src", "tgt"):
        return _named("lang_name", value)
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _data_facts(data: dict[str, Any]) -> dict[str, Any]:
    settings, sizes = data.get("settings") or {}, data.get("sizes") or {}
    facts = {k: settings.get(k) for k in ("data", "toy", "src", "tgt", "max_len", "min_freq")}
    if facts["data"]:
        facts["data"] = Path(str(facts["data"])).name
    facts.update({f"{tr('models.pairs')} ({_named('split', k)})": v for k, v in sizes.items()})
    return {k: v for k, v in facts.items() if v is not None}


def _training(training: dict[str, Any]) -> None:
    """How long and where it trained; a model trained in stages (say on a GPU, then on a CPU)
    gets one line per stage, since minutes on different machines do not add up."""
    rows = stages.stage_records(training)
    for k, row in enumerate(rows, start=1):
        seconds = row.get("seconds")
        if not isinstance(seconds, (int, float)):
            continue
        fields = {
            "minutes": seconds / 60,
            "tps": row.get("tokens_per_second", "?"),
            "epochs": row.get("epochs_run", "?"),
            "device": stages.device_word(row.get("device") or "cpu"),
        }
        key = "models.training_stage" if len(rows) > 1 else "models.training_time"
        if len(rows) > 1 and row.get("epochs_run") == 0:
            key = "models.training_stage_empty"  # went on with a rule that had stopped
        st.caption(tr(key, stage=k, **fields))
    why = stop_text(training)
    if why:
        st.caption(why)


def stop_text(training: dict[str, Any]) -> str:
    """Why the training ended (`stages.stop_reason`) in the chosen language, and whether its
    last epoch was still improving; "" when the record does not say."""
    reason = stages.stop_reason(training)
    if reason is None:
        return ""
    kind, best = reason[0], reason[-1]
    if kind == "plateau":
        text = tr("models.stop.plateau", patience=reason[1], best=best)
    elif kind == "limit":
        staged = len(stages.stage_records(training)) > 1
        text = tr(
            "models.stop.limit_stage" if staged else "models.stop.limit", n=reason[1], best=best
        )
    else:
        text = tr(f"models.stop.{kind}", best=best)
    if stages.still_improving(training):
        text += " " + tr("models.stop.improving")
    return text


if __name__ == "__main__":  # run as a page by st.navigation
    render()
