"""The lesson's demonstrations picked by measurement on the test split (stored in the models
folder, so the app never needs the corpus): the bottleneck (bench/pick_bottleneck.py: a long
sentence the model without attention gets wrong and the attention model right) and the variants
(bench/pick_variants.py: a sentence the four attention variants translate differently). Both are
translated now by the models on screen and scored with sentence chrF against the references.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import streamlit as st

from seq2seq_viz import figures
from seq2seq_viz.i18n import tr
from seq2seq_viz.metrics import sentence_chrf
from seq2seq_viz.text import detokenize
from seq2seq_viz.views import state
from seq2seq_viz.views.common import chart, escape_markdown, fetch_trace, labels
from seq2seq_viz.views.controls import Controls

VARIANTS = ("soft-general", "local-m", "local-p", "hard")  # as the lesson's variants stage


def bottleneck(c: Controls) -> None:
    """Both models on the long test sentence, with their chrF and BLEU by length."""
    data = state.load_measured(state.BOTTLENECK)
    if data is None or "none" not in state.model_names():
        return
    _header(data, "lesson.measured")
    models = [
        ("none", tr("lesson.none_output")),
        (c.model, tr("lesson.attention_output", model=c.model)),
    ]
    _outputs(c, data, models)
    st.button(
        tr("lesson.measured.use"), key="lesson_measured_use", on_click=use, args=(data["src"],)
    )
    rows = [{"model": n, **r} for n in ("none", c.model)
            for r in ((state.model_results(n) or {}).get("bleu_by_length") or [])]  # fmt: skip
    if rows:
        chart(figures.bleu_by_length_figure(rows, labels=labels()), "lesson_bleu_length", True)


def variants(c: Controls) -> None:
    """The four variants on the sentence where they differ, each with its chrF."""
    data = state.load_measured(state.VARIANTS)
    shown = [m for m in VARIANTS if m in state.model_names()]
    if data is None or not shown:
        return
    _header(data, "lesson.measured_variants")
    _outputs(c, data, [(m, m) for m in shown])
    st.button(
        tr("lesson.measured.use"), key="lesson_variants_use", on_click=use, args=(data["src"],)
    )


def _header(data: dict[str, Any], key: str) -> None:
    st.markdown(f"**{tr(f'{key}.title')}**")
    st.caption(tr(f"{key}.caption", n=data.get("n_tokens", "?")))
    st.markdown(f"{tr('lesson.measured.source')} {escape_markdown(data['src'])}")
    refs = " / ".join(str(r) for r in data["refs"])
    st.markdown(f"{tr('lesson.measured.reference')} {escape_markdown(refs)}")


def _outputs(c: Controls, data: dict[str, Any], models: list[tuple[str, str]]) -> None:
    sentence = replace(c, text=data["src"])
    refs = [str(r) for r in data["refs"]]
    lang = state.model_config(c.model).tgt_lang
    for name, label in models:
        out = fetch_trace(sentence, model=name, notices=False)
        if out is not None:
            text = detokenize(out.output_tokens, lang)
            chrf = sentence_chrf(text, refs)
            st.markdown(f"**{escape_markdown(label)}** → {escape_markdown(text)} · chrF {chrf:.1f}")


def use(text: str) -> None:
    """Open the lesson on a measured sentence (the sidebar's box follows)."""
    st.session_state["text"] = st.session_state["lesson_text"] = text
    st.session_state["_lesson_typed"] = True
