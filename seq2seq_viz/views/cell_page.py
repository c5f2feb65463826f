"""Inside the cell: the encoder's gates and states for each source token (recomputed from the
model's own weights, `seq2seq_viz.cells`), the equations with one token's numbers, and beside it
BLEU by sentence length for RNN, LSTM and GRU models, with and without attention."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import streamlit as st

from seq2seq_viz import figures
from seq2seq_viz.figures.cells import cell_equations, gate_means_figure, gates_figure
from seq2seq_viz.i18n import tr
from seq2seq_viz.views import state
from seq2seq_viz.views.common import chart, labels, page_header
from seq2seq_viz.views.controls import Controls, current
from seq2seq_viz.views.insights import length_memory, memory_verdicts
from seq2seq_viz.views.safe import escape_markdown

CELL_NAMES = {"rnn": "RNN", "gru": "GRU", "lstm": "LSTM"}
DIMS = 3  # units printed in the filled-in equations (a line holds two vectors, three at most)
LEGEND_WIDTH = 44  # narrow characters per legend line: a phone shows about 46 at 12 px
# The comparison's slots: (cell, attention?) -> the shipped model names that fill it, preferred
# first. Every model of the same recipe (global attention or none, no self-attention) qualifies.
SLOTS: dict[tuple[str, bool], tuple[str, ...]] = {
    ("rnn", True): ("rnn-attn",),
    ("lstm", True): ("lstm-attn",),
    ("gru", True): ("soft-general", "gru-attn"),
    ("rnn", False): ("rnn-none",),
    ("lstm", False): ("lstm-none",),
    ("gru", False): ("none", "gru-none"),
}


def comparison(
    configs: Mapping[str, Mapping[str, Any]], results: Mapping[str, Any]
) -> tuple[dict[tuple[str, bool], str], list[tuple[str, bool]]]:
    """Which evaluated model fills each slot (by its config, not its name), and the empty slots.

    A model qualifies when it was evaluated with BLEU by length, attends globally (or not at
    all), has no self-attention and is not a toy; a slot takes its preferred name first."""
    found: dict[tuple[str, bool], list[str]] = {}
    for name, cfg in configs.items():
        row = results.get(name)
        if not isinstance(row, dict) or not row.get("bleu_by_length"):
            continue
        align = cfg.get("align")
        if align not in ("global", "none") or cfg.get("self_attn") or name.startswith("toy-"):
            continue
        found.setdefault((str(cfg.get("cell")), align != "none"), []).append(name)
    chosen = {}
    for slot, preferred in SLOTS.items():
        names = found.get(slot, [])
        ranked = [n for n in preferred if n in names] + sorted(set(names) - set(preferred))
        if ranked:
            chosen[slot] = ranked[0]
    return chosen, [slot for slot in SLOTS if slot not in chosen]


def slot_label(slot: tuple[str, bool]) -> str:
    cell, attn = slot
    return f"{CELL_NAMES.get(cell, cell)} · {tr('cell.with_attn') if attn else tr('cell.no_attn')}"


def render() -> None:
    c = current()
    page_header("cell.title", "cell.intro", c)
    model = _model_choice(c)
    if model is None:
        return
    left, right = st.columns([3, 2], gap="large")
    with left:
        shown = _inside(c, model)
    with right:
        _by_cell(c)
    if shown is not None:  # full width: the filled-in equations are long
        _equations(*shown)


def _model_choice(c: Controls) -> str | None:
    names = [n for n in state.model_names() if not state.is_toy(n)]
    names = [n for n in names if _cell_of(n) != "transformer"]  # no recurrent cell to open
    if not names:
        st.info(tr("cell.no_models"))
        return None
    cells = {n: _cell_of(n) for n in names}
    default = names.index(c.model) if c.model in names else 0
    return st.selectbox(
        tr("cell.model"),
        names,
        index=default,
        key="cell_model",
        format_func=lambda n: f"{n} ({CELL_NAMES.get(cells[n], '?')})",
        help=tr("cell.model_help"),
    )


def _cell_of(name: str) -> str:
    try:
        return state.model_config(name).cell
    except state.CheckpointError:
        return "?"


def _inside(c: Controls, model: str) -> tuple[Any, Any, int, str] | None:
    """Controls, gate heatmaps and means; returns what the equations need (None: nothing)."""
    if not c.text.strip():
        st.info(tr("input.empty"))
        return None
    try:
        trace = state.get_cell_trace(model, c.text)
    except state.CheckpointError as err:
        st.error(tr("error.model", name=model, error=str(err)))
        return None
    except state.EmptyInputError:
        st.info(tr("input.no_words"))
        return None
    a, b, d = st.columns([2, 2, 1])
    direction = "forward"
    if len(trace.directions) > 1:
        direction = a.radio(
            tr("cell.direction"),
            trace.directions,
            format_func=lambda x: tr(f"cell.{x}"),
            horizontal=True,
            key="cell_direction",
        )
    layer = 0
    if len(trace.layers) > 1:
        layer = b.selectbox(tr("cell.layer"), range(len(trace.layers)), key="cell_layer")
    units = d.number_input(tr("cell.units"), 2, trace.units, min(8, trace.units), key="cell_units")
    tokens = trace.tokens
    if st.session_state.get("cell_token", 0) >= len(tokens):  # a shorter sentence came in
        st.session_state["cell_token"] = len(tokens) - 1
    pos = st.select_slider(
        tr("cell.token"),
        options=range(len(tokens)),
        format_func=lambda i: f"{i + 1}: {tokens[i]}",
        key="cell_token",
    )
    steps = trace.steps(layer, direction)
    lab = labels()
    st.markdown(tr(f"cell.explain.{trace.cell}"))
    fig = gates_figure(steps, trace.cell, tokens, units=int(units), selected=pos, labels=lab)
    chart(fig, "cell_gates", c.presentation)
    chart(gate_means_figure(steps, trace.cell, tokens, selected=pos, labels=lab), "cell_means")
    st.caption(tr("cell.check", error=trace.max_error))
    return trace, steps, pos, direction


def _equations(trace: Any, steps: Any, pos: int, direction: str) -> None:
    token = escape_markdown(trace.tokens[pos])
    st.markdown(tr("cell.equations", token=token, n=pos + 1, dims=DIMS, units=trace.units))
    if direction == "backward":
        st.caption(tr("cell.backward_note"))
    for line in cell_equations(steps, trace.cell, pos, dims=DIMS):
        st.latex(line)
    if trace.cell == "gru":
        st.caption(tr("cell.gru_note"))
    elif trace.cell == "rnn":
        st.caption(tr("cell.rnn_note"))


def _epochs(name: str) -> str:
    """How long the model trained, so unequal budgets show beside the chart."""
    return state.budget_label(name)


def _budgets(names: Iterable[str]) -> dict[str, tuple[int, str]]:
    """Each model's training budget, read once: its number (1, 2, ... in the order the budgets
    first come) and its label. The legend names the number, the lines under the chart say the
    budget in full (a budget in every legend entry left the chart a strip between long legend
    lines)."""
    labels = {name: _epochs(name) for name in names}
    numbers: dict[str, int] = {}
    for label in labels.values():
        numbers.setdefault(label, len(numbers) + 1)
    return {name: (numbers[label], label) for name, label in labels.items()}


def _by_cell(c: Controls) -> None:
    st.subheader(tr("cell.bleu_title"))
    st.markdown(tr("cell.vanishing"))
    results = (state.load_results().get("models")) or {}
    configs = {}
    for name in state.model_names():
        try:
            configs[name] = state.model_config(name).to_dict()
        except state.CheckpointError:
            continue
    chosen, missing = comparison(configs, results)
    budget = _budgets(chosen.values())
    rows = [
        {
            "model": f"{slot_label(slot)} ({name}, {tr('cell.budget_tag', n=budget[name][0])})",
            **bucket,
        }
        for slot, name in chosen.items()
        for bucket in results[name]["bleu_by_length"]
    ]
    if rows:
        fig = figures.bleu_by_length_figure(rows, labels=labels(), legend_width=LEGEND_WIDTH)
        chart(fig, "cell_bleu", c.presentation)
    else:
        st.info(tr("results.not_evaluated"))
    if missing:
        st.caption(tr("cell.missing", slots=", ".join(slot_label(s) for s in missing)))
    _memory(chosen, results, budget)


def _memory(
    chosen: dict[tuple[str, bool], str],
    results: Mapping[str, Any],
    budget: Mapping[str, tuple[int, str]],
) -> None:
    """The chart's point in numbers, per training budget (only equal budgets compare): how
    much of its short-sentence BLEU each model keeps on the longest sentences, and whether
    that agrees with the notes (attention keeps more; gates keep more than a plain RNN).
    `budget` is each model's budget number (the one the legend names) and label (`_budgets`)."""
    groups: dict[tuple[int, str], list[str]] = {}
    for name in chosen.values():
        groups.setdefault(budget[name], []).append(name)
    cells = {name: cell for (cell, _), name in chosen.items()}
    attends = {name: attn for (_, attn), name in chosen.items()}
    for (number, label), names in groups.items():
        found = length_memory(names, results)
        if found is None:
            continue
        short, long, kept = found
        listing = ", ".join(
            f"{escape_markdown(n)} {100 * k:.0f}% ({a:.1f} → {b:.1f})" for n, a, b, k in kept
        )
        head = {"n": number, "budget": label, "listing": listing}
        lines = [tr("cell.memory", short=short, long=long, **head)]
        lines += [tr(key, **fields) for key, fields in memory_verdicts(kept, cells, attends)]
        st.markdown("\n".join(f"- {line}" for line in lines))


if __name__ == "__main__":  # run as a page by st.navigation
    render()
