"""The beam tree for a room: it fits a 1080-pixel screen with 14-pixel labels that carry the
cumulative scores of the nodes that matter, and width 1 draws the greedy chain."""

from __future__ import annotations

import collections

import numpy as np
import pytest

from seq2seq_viz.checkpoints import DEFAULT_MODEL, PRETRAINED_DIR, load_model
from seq2seq_viz.config import DecodeConfig
from seq2seq_viz.figures import DEFAULT_LABELS, beam_tree_figure
from seq2seq_viz.figures.beam import LABEL_PX, MAX_HEIGHT, PRUNED_GAP, greedy_nodes, tree_layout
from tests.conftest import make_translator

TEXT = "i am cold . you are happy ."


def _by_name(fig):
    return {d.name: d for d in fig.data if d.name}


def test_greedy_trace_draws_its_chain_with_cumulative_scores():
    trace = make_translator(seed=3).trace(TEXT, DecodeConfig(max_len=5))
    assert trace.mode == "greedy" and not trace.beam_nodes
    nodes = greedy_nodes(trace)
    assert [n.parent for n in nodes] == list(range(-1, trace.n_steps))
    np.testing.assert_allclose(
        [n.score for n in nodes[1:]], np.cumsum([s.logp for s in trace.steps]), rtol=1e-6
    )
    assert nodes[-1].status == "finished" and {n.status for n in nodes[:-1]} == {"kept"}
    fig = beam_tree_figure(trace)
    shown = _by_name(fig)
    best = shown[DEFAULT_LABELS["best_path"]]
    assert list(best.x) == list(range(-1, trace.n_steps))
    finished = shown[DEFAULT_LABELS["finished"]]
    assert finished.text[0].endswith(f"{nodes[-1].score:.2f}")


def test_live_nodes_carry_token_and_score_at_14_px():
    trace = make_translator(seed=3).trace(TEXT, DecodeConfig(beam_width=3, max_len=5))
    fig = beam_tree_figure(trace)
    shown = _by_name(fig)
    for status in ("kept", "finished"):
        d = shown[DEFAULT_LABELS[status]]
        assert d.mode == "markers+text" and d.textfont.size >= 14
        scores = [row[2] for row in d.customdata]
        assert all(text.endswith(f" {s:.2f}") for text, s in zip(d.text, scores, strict=True))
    assert shown[DEFAULT_LABELS["pruned"]].mode == "markers"  # crosses; hover tells the rest


@pytest.mark.skipif(not (PRETRAINED_DIR / DEFAULT_MODEL).is_dir(), reason="no shipped model")
def test_width_5_fits_1080_pixels_with_labels_apart():
    import json

    teaching = json.loads((PRETRAINED_DIR / "examples.json").read_text("utf-8"))["teaching"]
    model = load_model(PRETRAINED_DIR / DEFAULT_MODEL, device="cpu")
    trace = model.trace(teaching[0]["src"], DecodeConfig(beam_width=5))
    fig = beam_tree_figure(trace)
    assert fig.layout.height <= MAX_HEIGHT
    nodes = {n.id: n for n in trace.beam_nodes}
    y = tree_layout(nodes, pruned_gap=PRUNED_GAP)
    columns = collections.defaultdict(list)
    for i, node in nodes.items():
        if node.status != "pruned":
            columns[node.step].append(y[i])
    closest = min(np.diff(sorted(v)).min() for v in columns.values() if len(v) > 1)
    plot_px = fig.layout.height - 72 - 10 - 40  # margins and the x-axis title
    span = fig.layout.yaxis.range[0] - fig.layout.yaxis.range[1]
    assert closest * plot_px / span >= LABEL_PX + 2  # one label line never overlaps the next
