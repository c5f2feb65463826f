"""bridge.py: one step of an RNN and of a Transformer side by side. Its numbers are checked
against independent recomputations from the traced vectors (the RNN's dot score from s_t and h_i,
the Transformer's scaled score from its q and k), the look-ahead mask, and the NumPy positional
encoding against the model's own (torch) table."""

from __future__ import annotations

import numpy as np
import pytest

from seq2seq_viz import bridge
from seq2seq_viz.config import DecodeConfig
from seq2seq_viz.figures.transformer import (
    bridge_weights_figure,
    masked_self_figure,
    positions_figure,
)
from seq2seq_viz.transformer import sinusoids
from tests.conftest import make_translator
from tests.test_transformer import make_transformer

TEXT = "the cat sleeps ."


@pytest.fixture(scope="module")
def pair():
    rnn = make_translator(seed=1, score="dot").trace(TEXT, DecodeConfig())
    transformer = make_transformer(seed=3, d_model=16, heads=2, ffn_dim=24, enc_layers=2,
                                   dec_layers=2)  # fmt: skip
    forced = [s.token for s in rnn.steps if s.token != "<eos>"]
    return rnn, transformer.trace(TEXT, DecodeConfig(), prefix=forced)


def test_both_models_are_compared_at_the_same_word(pair):
    rnn, other = pair
    for t in range(min(rnn.n_steps, other.n_steps)):
        assert other.steps[t].input_token == rnn.steps[t].input_token


@pytest.mark.parametrize("layer,head", [(-1, 0), (0, 1), (1, 1)])
def test_compare_step_recomputes_from_the_traced_vectors(pair, layer, head):
    rnn, other = pair
    vectors = other.vectors["transformer"]
    for t in range(min(rnn.n_steps, other.n_steps)):
        b = bridge.compare_step(rnn, other, t, layer=layer, head=head)
        s, h = rnn.steps[t].dec_state, np.asarray(rnn.enc_states)  # dot: e_i = s_t . h_i
        np.testing.assert_allclose(b.rnn_scores, h @ s, rtol=1e-5, atol=1e-6)
        e = np.exp(b.rnn_scores - b.rnn_scores.max())
        np.testing.assert_allclose(b.rnn_weights, e / e.sum(), atol=1e-6)
        np.testing.assert_allclose(b.rnn_context, b.rnn_weights @ h, atol=1e-5)
        q = np.asarray(other.steps[t].extras["transformer"]["cross_q"])[layer, head]  # (d_k,)
        k = np.asarray(vectors["cross_k"])[layer, head]  # (S,d_k)
        v = np.asarray(vectors["cross_v"])[layer, head]
        np.testing.assert_allclose(b.scores, k @ q / np.sqrt(b.d_k), rtol=1e-5, atol=1e-6)
        e = np.exp(b.scores - b.scores.max())
        np.testing.assert_allclose(b.weights, e / e.sum(), atol=1e-6)
        np.testing.assert_allclose(b.head_output, b.weights @ v, atol=1e-5)
        assert b.transformer_token == other.steps[t].topk_tokens[0]
        assert (b.layers, b.heads, b.d_k) == (2, 2, 8)


def test_head_agreement_is_the_total_variation_of_each_head(pair):
    rnn, other = pair
    tv = bridge.head_agreement(rnn, other, 1)
    assert tv.shape == (2, 2) and ((tv >= 0) & (tv <= 1)).all()
    b = bridge.compare_step(rnn, other, 1, layer=0, head=1)
    assert tv[0, 1] == pytest.approx(0.5 * np.abs(b.weights - b.rnn_weights).sum())


def test_the_look_ahead_mask_leaves_the_future_out(pair):
    _, other = pair
    m = bridge.masked_self_attention(other, layer=0)
    T = other.n_steps
    assert np.isnan(m[np.triu_indices(T, 1)]).all()
    np.testing.assert_allclose(np.nansum(m, axis=1), 1.0, atol=1e-5)
    heads = np.asarray(other.steps[T - 1].extras["transformer"]["self_weights"])[0]  # (n,T)
    np.testing.assert_allclose(m[T - 1], heads.mean(0), atol=1e-7)


def test_numpy_positions_equal_the_models_table():
    np.testing.assert_allclose(bridge.sinusoids(20, 16), sinusoids(20, 16).numpy(), atol=1e-5)


def test_bad_pairs_and_ranges_say_why(pair):
    rnn, other = pair
    with pytest.raises(ValueError, match="RNN with attention"):
        bridge.compare_step(other, other, 0)
    with pytest.raises(ValueError, match="out of range"):
        bridge.compare_step(rnn, other, 99)
    with pytest.raises(ValueError, match="do not exist"):
        bridge.compare_step(rnn, other, 0, layer=2)
    with pytest.raises(ValueError, match="do not exist"):
        bridge.compare_step(rnn, other, 0, head=5)
    with pytest.raises(ValueError, match="Transformer record"):
        bridge.masked_self_attention(rnn)


def test_figures_draw_the_bridges_numbers(pair):
    rnn, other = pair
    b = bridge.compare_step(rnn, other, 1, layer=1, head=0)
    fig = bridge_weights_figure(b, "soft-dot")
    np.testing.assert_allclose(fig.data[0].y, b.rnn_weights)
    np.testing.assert_allclose(fig.data[1].y, b.weights)
    assert "layer 2" in fig.data[1].name and "head 1" in fig.data[1].name
    mask = masked_self_figure(other, 1)
    z = np.asarray(mask.data[0].z, dtype=float)
    np.testing.assert_allclose(z, bridge.masked_self_attention(other, 1))
    pos = positions_figure(6, 16, shown=8)
    np.testing.assert_allclose(np.asarray(pos.data[0].z, float), bridge.sinusoids(6, 16)[:, :8])
