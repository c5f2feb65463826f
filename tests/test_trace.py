"""The trace: shapes, recorded numbers agree with each other, JSON and pickle round trips."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from seq2seq_viz.config import DecodeConfig
from seq2seq_viz.trace import DecodeTrace

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
        np.testing.assert_array_equal(
            back.steps[0].extras["gaussian"], trace.steps[0].extras["gaussian"]
        )
    with pytest.raises(ValueError, match="version"):
        DecodeTrace.from_json(trace.to_json().replace('"version": 1', '"version": 99'))


def test_entropy_against_numpy():
    tr = make_translator(seed=3, align="hard")
    trace = tr.trace("the cat sleeps .", DecodeConfig(max_len=5))
    soft = np.stack([s.extras["soft_weights"] for s in trace.steps]).astype(np.float64)
    expect = np.mean([-(row[row > 0] * np.log(row[row > 0])).sum() for row in soft])
    assert abs(trace.entropy() - expect) < 1e-6 and trace.entropy() > 0
    uniform = make_translator(seed=3, align="none").trace("the cat sleeps .")
    assert uniform.entropy() == 0.0
