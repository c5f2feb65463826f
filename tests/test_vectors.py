"""Every vector the page shows, recomputed in NumPy from the saved weights (the safetensors file
read directly, not through the model), and the products that sum to the trace's scores."""

from __future__ import annotations

import numpy as np
import pytest
from safetensors.numpy import load_file

from seq2seq_viz.checkpoints import PRETRAINED_DIR, load_model, save_model
from seq2seq_viz.config import DecodeConfig
from seq2seq_viz.figures.vectors import attentional_figure, initial_figure, score_terms_figure
from seq2seq_viz.trace import DecodeTrace
from seq2seq_viz.vectors import (
    concat_input,
    final_state_halves,
    initial_vectors,
    product_label,
    score_terms,
)
from tests.conftest import make_translator

TEXT = "you are happy ."


@pytest.fixture(scope="module", params=["dot", "general", "concat"])
def saved(request, tmp_path_factory):
    """A tiny model of each score saved to disk: its trace and its weights as NumPy arrays."""
    folder = tmp_path_factory.mktemp(request.param) / "m"
    save_model(folder, make_translator(seed=5, score=request.param))
    model = load_model(folder, device="cpu")
    trace = model.trace(TEXT, DecodeConfig(max_len=6), reference="tu es heureux .")  # 5 steps
    weights = {k: v.astype(np.float64) for k, v in load_file(folder / "model.safetensors").items()}
    return trace, weights


def test_products_sum_to_the_traced_score(saved):
    trace, _ = saved
    for step in trace.steps:
        for i in range(len(trace.src_tokens)):
            terms = score_terms(trace, step, i)
            assert terms.score == pytest.approx(float(step.scores[i]))
            assert terms.total == pytest.approx(terms.score, abs=1e-5)
            assert terms.products.shape == (trace.enc_states.shape[1],)


def test_intermediate_vectors_equal_numpy_from_the_weights(saved):
    trace, w = saved
    h = trace.enc_states.astype(np.float64)  # (S,H)
    step = trace.steps[2]
    s = step.dec_state.astype(np.float64)
    if trace.score_name == "general":
        expected = h @ w["decoder.attention.W_a.weight"].T  # rows W_a h_i
        np.testing.assert_allclose(trace.vectors["score_keys"], expected, atol=1e-5)
        np.testing.assert_allclose(step.scores, expected @ s, atol=1e-5)
    if trace.score_name == "concat":
        keys = h @ w["decoder.attention.W_k.weight"].T + w["decoder.attention.W_k.bias"]
        query = w["decoder.attention.W_q.weight"] @ s
        v_a = w["decoder.attention.v_a.weight"][0]
        np.testing.assert_allclose(trace.vectors["score_keys"], keys, atol=1e-5)
        np.testing.assert_allclose(step.extras["query_proj"], query, atol=1e-5)
        np.testing.assert_allclose(trace.vectors["v_a"], v_a, atol=1e-6)
        for i in range(len(h)):
            rows = dict(score_terms(trace, step, i).rows)
            hidden = np.tanh(query + keys[i])
            np.testing.assert_allclose(rows["tanh(W_q s_t + W_k h_i + b)"], hidden, atol=1e-5)
            assert float(v_a @ hidden) == pytest.approx(float(step.scores[i]), abs=1e-5)
    if trace.score_name == "dot":
        np.testing.assert_allclose(step.scores, h @ s, atol=1e-5)
    assert product_label(trace.score_name) in {"s_t ⊙ h_i", "s_t ⊙ W_a h_i", "v_a ⊙ tanh(·)"}


def test_attentional_state_and_bridge_equal_numpy_from_the_weights(saved):
    trace, w = saved
    for step in trace.steps:
        both = concat_input(step).astype(np.float64)  # [c_t ; s_t]
        assert both.shape == (2 * trace.enc_states.shape[1],)
        pre = w["decoder.attention.W_c.weight"] @ both
        np.testing.assert_allclose(step.attn_pre, pre, atol=1e-5)
        np.testing.assert_allclose(step.attn_hidden, np.tanh(pre), atol=1e-5)
    init = initial_vectors(trace)
    s0 = np.tanh(w["bridge.weight"] @ init["h_S"] + w["bridge.bias"])
    np.testing.assert_allclose(init["s_0"], s0, atol=1e-5)
    assert not init["h~_0"].any()


def test_the_bridge_reads_forward_last_and_backward_first():
    """Bidirectional: h_S = [forward state at the last word ; backward state at the first]."""
    trace = make_translator(seed=2).trace(TEXT, DecodeConfig(max_len=3))
    forward, backward = final_state_halves(trace)
    half = trace.enc_states.shape[1] // 2
    np.testing.assert_array_equal(forward, trace.enc_states[-1, :half])
    np.testing.assert_array_equal(backward, trace.enc_states[0, half:])


def test_vectors_survive_json_and_figures_draw_them(saved):
    trace, _ = saved
    back = DecodeTrace.from_json(trace.to_json())
    np.testing.assert_array_equal(back.vectors["init_state"], trace.vectors["init_state"])
    terms = score_terms(back, back.steps[0], 2)
    fig = score_terms_figure(back, 0, 2, terms)
    assert fig.data[0].z.shape[0] == len(terms.rows) + 1
    np.testing.assert_allclose(fig.data[0].z[-1], terms.products)
    assert f"{terms.total:.4f}" in fig.layout.title.text
    att = attentional_figure(back, 0)
    assert att.data[0].z.shape == (3, 2 * trace.enc_states.shape[1])
    assert np.isnan(att.data[0].z[1, -1])  # the H-long rows are padded, not stretched
    assert initial_figure(back).data[0].z.shape[0] == 3


def test_a_trace_without_recorded_vectors_says_so(saved):
    trace, _ = saved
    old = DecodeTrace.from_data({**trace.to_data(), "vectors": {}})
    assert initial_vectors(old) == {}
    with pytest.raises(ValueError, match="initial vectors"):
        initial_figure(old)
    if trace.score_name != "dot":
        with pytest.raises(ValueError, match="trace it again"):
            score_terms(old, old.steps[0], 0)
    with pytest.raises(ValueError, match="outside"):
        score_terms(trace, trace.steps[0], len(trace.src_tokens))


@pytest.mark.parametrize("name", ["soft-concat", "soft-general"])
def test_shipped_models_products_sum_to_their_scores(name):
    if not (PRETRAINED_DIR / name).is_dir():
        pytest.skip(f"{name} is not shipped")
    trace = load_model(PRETRAINED_DIR / name, device="cpu").trace("I am cold.")
    for step in trace.steps:
        for i in range(len(trace.src_tokens)):
            terms = score_terms(trace, step, i)
            assert terms.total == pytest.approx(terms.score, abs=2e-4)


def test_by_hand_lines_add_up_with_a_calculator():
    """A hidden-size-4 model: every written sum, redone from its printed 3-decimal numbers,
    lands within rounding of the printed result (the model's own number)."""
    import re

    from seq2seq_viz.vectors import by_hand_lines

    trace = make_translator(seed=5, hidden_dim=4, emb_dim=4).trace(
        TEXT, DecodeConfig(), reference="tu es heureux ."
    )
    step = trace.steps[1]
    lines = by_hand_lines(trace, step)
    S, H = len(trace.src_tokens), 4
    assert len(lines) == S + 1 + S + H + H
    pair = re.compile(r"\((-?\d+\.\d{3})\)\((-?\d+\.\d{3})\)")
    sums = [line for line in lines if line.startswith(("e_", "c_t["))]
    assert len(sums) == S + H
    for line in sums:
        by_hand = sum(float(x) * float(y) for x, y in pair.findall(line))
        assert by_hand == pytest.approx(float(line.rsplit("= ", 1)[1]), abs=5e-3), line
    for i, line in enumerate(lines[S + 1 : 2 * S + 1]):
        assert line.endswith(f"= {step.weights[i]:.3f}")
    assert lines[-1] == f"h~_t[3] = tanh({step.attn_pre[3]:.3f}) = {step.attn_hidden[3]:.3f}"
