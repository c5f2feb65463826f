"""The trace: shapes, recorded numbers agree with each other, JSON and pickle round trips."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

from seq2seq_viz.config import DecodeConfig
from seq2seq_viz.trace import ALIGNMENT_FIELDS, TRACE_VERSION, DecodeTrace

from .conftest import make_translator


@pytest.mark.parametrize("align", ["global", "local-m", "local-p", "hard", "none"])
def test_trace_shapes_and_internal_consistency(align):
    tr = make_translator(seed=1, align=align, self_attn=align == "local-p")
    trace = tr.trace("i am cold .", DecodeConfig(beam_width=3, max_len=6))
    S, H = len(trace.src_tokens), tr.config.hidden_dim
    assert trace.enc_states.shape == (S, H)
    assert trace.weights_matrix().shape == (len(trace.steps), S)
    for step in trace.steps:
        assert step.scores.shape == step.weights.shape == step.mask.shape == (S,)
        assert step.context.shape == step.attn_hidden.shape == step.dec_state.shape == (H,)
        np.testing.assert_allclose(np.tanh(step.attn_pre), step.attn_hidden, atol=1e-6)
        assert np.all(step.weights[~step.mask] == 0.0)
        if align != "none":
            np.testing.assert_allclose(step.weights @ trace.enc_states, step.context, atol=1e-5)
        if align in ("global", "local-m"):
            exps, total = step.softmax_parts()
            np.testing.assert_allclose(exps / total, step.weights, atol=1e-6)
    if align == "local-p":
        assert trace.self_attn.shape == (3, S, S)


def test_json_and_pickle_round_trips():
    tr = make_translator(seed=2, align="local-p")
    trace = tr.trace("the cat sleeps .", DecodeConfig(beam_width=4, max_len=6))
    for back in (DecodeTrace.from_json(trace.to_json()), pickle.loads(pickle.dumps(trace))):
        assert back.output_tokens == trace.output_tokens
        assert back.beam_nodes == trace.beam_nodes and back.hypotheses == trace.hypotheses
        np.testing.assert_array_equal(back.weights_matrix(), trace.weights_matrix())
        np.testing.assert_array_equal(back.enc_states, trace.enc_states)
        assert back.steps[0].extras.keys() == trace.steps[0].extras.keys()
        np.testing.assert_array_equal(back.steps[0].gaussian, trace.steps[0].gaussian)
        assert back.steps[0].window == trace.steps[0].window
        assert back.steps[0].center == trace.steps[0].center
    with pytest.raises(ValueError, match="version"):
        DecodeTrace.from_json(trace.to_json().replace('"version": 2', '"version": 99'))


def test_entropy_against_numpy():
    tr = make_translator(seed=3, align="hard")
    trace = tr.trace("the cat sleeps .", DecodeConfig(max_len=5))
    soft = np.stack([s.soft_weights for s in trace.steps]).astype(np.float64)
    expect = np.mean([-(row[row > 0] * np.log(row[row > 0])).sum() for row in soft])
    assert abs(trace.entropy() - expect) < 1e-6 and trace.entropy() > 0
    uniform = make_translator(seed=3, align="none").trace("the cat sleeps .")
    assert uniform.entropy() == 0.0


def _as_version_1(data: dict) -> dict:
    """`data` (to_data of the current version) as version 1 wrote it: the alignment fields
    inside each step's extras (the window as a list)."""
    steps = []
    for step in data["steps"]:
        step = dict(step)
        moved = {name: step.pop(name) for name in ALIGNMENT_FIELDS if name in step}
        if "window" in moved:
            moved["window"] = list(moved["window"])
        steps.append({**step, "extras": {**step["extras"], **moved}})
    return {**data, "steps": steps, "version": 1}


@pytest.mark.parametrize("align", ["local-p", "local-m", "hard", "global"])
def test_version_1_traces_still_load(align):
    """A trace file of version 1 (alignment extras in `extras`) loads into the typed fields and
    equals the trace it was written from."""
    trace = make_translator(seed=4, align=align).trace("the cat sleeps .", DecodeConfig(max_len=5))
    assert trace.version == TRACE_VERSION == 2
    old = json.loads(json.dumps(_as_version_1(trace.to_data())))
    assert any(name in s["extras"] for s in old["steps"] for name in ALIGNMENT_FIELDS) == (
        align != "global"
    )
    back = DecodeTrace.from_data(old)
    assert back.version == TRACE_VERSION
    assert back.to_data() == trace.to_data()
    for mine, theirs in zip(back.steps, trace.steps, strict=True):
        assert set(mine.extras) == set(theirs.extras)
        assert not set(mine.extras) & set(ALIGNMENT_FIELDS)
        assert mine.window == theirs.window and mine.sampled_index == theirs.sampled_index
