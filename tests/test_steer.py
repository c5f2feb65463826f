"""Steering the attention (override, mask, temperature) and sampling the output words, each
checked against an independent NumPy computation from the saved weights."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

from seq2seq_viz.config import DecodeConfig
from seq2seq_viz.steer import TokenSampler, draw, transform
from seq2seq_viz.text import EOS_ID, PAD_ID, SOS_ID
from seq2seq_viz.trace import DecodeTrace

from .conftest import make_translator

SENTENCE = "the cat sleeps ."
BANNED = (PAD_ID, SOS_ID)


def params(tr) -> dict[str, np.ndarray]:
    return {k: v.detach().double().numpy() for k, v in tr.model.state_dict().items()}


def numpy_step(tr, trace: DecodeTrace, t: int, weights: np.ndarray):
    """c_t, h~_t and log p(y_t) from the recorded s_t and h_i with the given a_t (NumPy)."""
    p = params(tr)
    step = trace.steps[t]
    a = np.asarray(weights, dtype=np.float64)
    a = a / a.sum()
    c = a @ trace.enc_states.astype(np.float64)  # (H,)
    pre = p["decoder.attention.W_c.weight"] @ np.concatenate([c, step.dec_state])  # (H,)
    h = np.tanh(pre)
    logits = p["decoder.embed.weight"] @ (p["decoder.W_p.weight"] @ h) + p["decoder.out_bias"]
    logp = logits - logits.max() - np.log(np.exp(logits - logits.max()).sum())  # (V,)
    return c, h, logp


def close(a, b, tol=1e-5) -> bool:
    return np.allclose(np.asarray(a, np.float64), np.asarray(b, np.float64), atol=tol, rtol=tol)


@pytest.mark.parametrize("align", ["global", "local-m", "local-p", "hard"])
def test_an_edited_step_equals_numpy_with_the_given_weights(align):
    tr = make_translator(seed=3, align=align)
    base = tr.trace(SENTENCE, DecodeConfig(max_len=8))
    S, t = len(base.src_tokens), min(1, base.n_steps - 1)
    given = np.zeros(S)
    given[[0, S - 1]] = [3.0, 1.0]  # renormalised to 0.75 / 0.25
    edited = tr.trace(SENTENCE, DecodeConfig(max_len=8, attention_override={t: given}))
    step = edited.steps[t]
    assert step.edited and not any(s.edited for i, s in enumerate(edited.steps) if i != t)
    assert close(step.weights, given / 4)
    assert close(step.extras["model_weights"], base.steps[t].weights)
    for before, after in zip(base.steps[:t], edited.steps[:t], strict=True):
        assert before.token == after.token and close(before.weights, after.weights)
    assert close(step.dec_state, base.steps[t].dec_state)  # s_t comes before the attention
    c, h, logp = numpy_step(tr, edited, t, given)
    assert close(step.context, c) and close(step.attn_hidden, h)
    assert close(np.log(step.topk_probs), logp[step.topk_ids], tol=1e-4)
    assert step.logp == pytest.approx(logp[step.token_id], abs=1e-4)
    assert step.token_id == int(
        np.argmax(np.where(np.isin(np.arange(len(logp)), BANNED), -np.inf, logp))
    )


@pytest.mark.parametrize("align", ["global", "local-m", "hard"])
def test_editing_with_the_models_own_weights_changes_nothing(align):
    tr = make_translator(seed=5, align=align)
    base = tr.trace(SENTENCE, DecodeConfig(max_len=8))
    for t in range(base.n_steps):
        own = base.steps[t].weights
        same = tr.trace(SENTENCE, DecodeConfig(max_len=8, attention_override={t: own}))
        assert same.output_tokens == base.output_tokens
        assert [s.edited for s in same.steps] == [i == t for i in range(base.n_steps)]
        for a, b in zip(base.steps, same.steps, strict=True):
            for name in ("weights", "context", "attn_hidden", "topk_probs", "dec_state"):
                assert close(getattr(a, name), getattr(b, name)), (t, name)
            assert a.logp == pytest.approx(b.logp, abs=1e-5)


def test_a_masked_word_gets_no_weight_at_any_step_and_the_rest_renormalise():
    tr = make_translator(seed=3)
    trace = tr.trace(SENTENCE, DecodeConfig(max_len=8, masked_positions=[1]))
    for step in trace.steps:
        assert step.weights[1] == 0.0 and not step.mask[1]
        e = step.scores.astype(np.float64)
        allowed = np.arange(len(e)) != 1
        ref = np.where(allowed, np.exp(e - e[allowed].max()), 0.0)
        assert close(step.weights, ref / ref.sum())
    assert trace.settings["masked_positions"] == [1]


def test_attention_temperature_one_changes_nothing_and_divides_the_scores():
    tr = make_translator(seed=3)
    base = tr.trace(SENTENCE, DecodeConfig(max_len=8))
    assert tr.trace(SENTENCE, DecodeConfig(max_len=8, attn_temperature=1.0)).to_data() == (
        base.to_data()
    )
    for T in (0.3, 4.0):
        hot = tr.trace(SENTENCE, DecodeConfig(max_len=8, attn_temperature=T))
        for step in hot.steps:
            e = step.scores.astype(np.float64) / T
            ref = np.exp(e - e.max())
            assert close(step.weights, ref / ref.sum())
    cold = tr.trace(SENTENCE, DecodeConfig(max_len=8, attn_temperature=1e-3))
    for step in cold.steps:
        assert step.weights.max() > 0.999 and step.weights.argmax() == step.scores.argmax()


def test_steering_applies_to_beam_search_too():
    tr = make_translator(seed=3)
    base = tr.trace(SENTENCE, DecodeConfig(beam_width=3, max_len=8))
    own = base.steps[0].weights
    same = tr.trace(SENTENCE, DecodeConfig(beam_width=3, max_len=8, attention_override={0: own}))
    assert same.output_tokens == base.output_tokens and same.steps[0].edited
    S = len(base.src_tokens)
    outputs = set()
    for i in range(S):
        onehot = np.eye(S)[i]
        cfg = DecodeConfig(beam_width=3, max_len=8, attention_override={0: onehot})
        edited = tr.trace(SENTENCE, cfg)
        assert close(edited.steps[0].weights, onehot)
        assert tr.best_tokens(SENTENCE, cfg) == edited.output_tokens
        outputs.add(tuple(edited.output_tokens))
    assert len(outputs) > 1  # where the model looks first changes what it writes


@pytest.mark.parametrize(
    "kwargs",
    [
        {"attention_override": {0: [float("nan"), 1.0]}},
        {"attention_override": {0: [float("inf"), 1.0]}},
        {"attention_override": {0: [-0.5, 1.0]}},
        {"attention_override": {0: [0.0, 0.0]}},
        {"attention_override": {-1: [1.0]}},
        {"masked_positions": [-2]},
        {"attn_temperature": 0.0},
        {"sample_top_p": 0.0},
        {"sample_temperature": -1.0},
        {"n_samples": 1000},
    ],
)
def test_bad_settings_are_refused_by_the_config(kwargs):
    with pytest.raises(ValueError):
        DecodeConfig(**kwargs)


@pytest.mark.parametrize(
    "kwargs, align",
    [
        ({"attention_override": {0: [1.0, 0.0]}}, "global"),  # wrong length (4 tokens)
        ({"masked_positions": [9]}, "global"),  # outside the source
        ({"masked_positions": [0, 1, 2, 3]}, "global"),  # nothing left to attend to
        ({"attention_override": {0: [1.0, 0.0, 0.0, 0.0]}}, "none"),  # no attention at all
    ],
)
def test_settings_that_do_not_fit_the_sentence_raise_a_clear_error(kwargs, align):
    tr = make_translator(seed=3, align=align)
    with pytest.raises(ValueError, match="source|attention"):
        tr.trace(SENTENCE, DecodeConfig(max_len=5, **kwargs))


def test_edits_and_samples_round_trip_and_plain_runs_encode_as_before():
    tr = make_translator(seed=3)
    plain = tr.trace(SENTENCE, DecodeConfig(max_len=8)).to_data()
    assert "samples" not in plain and all("edited" not in s for s in plain["steps"])
    assert "attention_override" not in plain["settings"]
    cfg = DecodeConfig(max_len=8, attention_override={0: [1, 0, 0, 0]}, n_samples=3)
    trace = tr.trace(SENTENCE, cfg)
    back = DecodeTrace.from_json(trace.to_json())
    assert back.to_data() == trace.to_data()
    assert back.steps[0].edited and len(back.samples) == 3
    assert pickle.loads(pickle.dumps(trace)).samples == trace.samples
    assert trace.settings["attention_override"] == {"0": [1.0, 0.0, 0.0, 0.0]}


# ----------------------------------------------------------------------------- sampling


def numpy_transform(p: np.ndarray, T: float, k: int, top_p: float) -> np.ndarray:
    """p~ by hand: p^(1/T) renormalised, the k largest, the nucleus, renormalised."""
    q = np.where(p > 0, p, 0.0) ** (1.0 / T)
    q = q / q.sum()
    order = sorted(range(len(q)), key=lambda i: (-q[i], i))
    keep = [i for i in order if q[i] > 0][: (k or len(q))]
    mass, nucleus = q[keep] / q[keep].sum(), []
    for j, i in enumerate(keep):
        if mass[:j].sum() >= top_p:
            break
        nucleus.append(i)
    out = np.zeros_like(q)
    out[nucleus] = q[nucleus]
    return out / out.sum()


@pytest.mark.parametrize(
    "T, k, top_p",
    [(1.0, 0, 1.0), (0.5, 0, 1.0), (2.0, 3, 1.0), (1.0, 0, 0.6), (1.5, 5, 0.8), (0.7, 1, 1.0)],
)
def test_transform_equals_numpy(T, k, top_p):
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(12))
    p[[0, 1]] = 0.0
    p /= p.sum()
    with np.errstate(divide="ignore"):
        logp = torch.tensor(np.log(p))
    got = transform(logp, T, k, top_p).numpy()
    assert np.allclose(got, numpy_transform(p, T, k, top_p), atol=1e-12)


def test_sample_frequencies_match_the_shown_distribution():
    """Chi-square of 20,000 seeded draws of one step against p~ (df = support - 1)."""
    tr = make_translator(seed=3)
    V = len(tr.tgt_vocab)
    cfg = DecodeConfig(max_len=8, top_k=V, n_samples=1, sample_temperature=1.5, sample_top_p=0.9)
    step = tr.trace(SENTENCE, cfg).steps[0]
    shown = np.asarray(step.extras["sample_probs"], np.float64)
    assert step.extras["sample_support"] == int((shown > 0).sum()) >= 3
    p = np.asarray(step.topk_probs, np.float64)
    full = np.zeros(V)
    full[step.topk_ids] = p
    assert np.allclose(shown, numpy_transform(full, 1.5, 0, 0.9)[step.topk_ids], atol=1e-6)
    probs = torch.zeros(V, dtype=torch.float64)
    probs[torch.as_tensor(step.topk_ids)] = torch.as_tensor(shown)
    gen, n = torch.Generator().manual_seed(7), 20_000
    counts = np.bincount([draw(probs, gen) for _ in range(n)], minlength=V)[step.topk_ids]
    support = shown > 0
    assert counts[~support].sum() == 0
    expected = n * shown[support]
    chi2 = float(((counts[support] - expected) ** 2 / expected).sum())
    df = int(support.sum()) - 1
    assert chi2 < df + 6 * np.sqrt(2 * df), (chi2, df)  # far beyond the 0.999 quantile


@pytest.mark.parametrize(
    "config",
    [
        {"sample_temperature": 0.0},
        {"sample_temperature": 1e-3},
        {"sample_top_k": 1},
        {"sample_top_p": 1e-6},
    ],
)
def test_cold_or_top1_sampling_equals_greedy(config):
    for seed in (1, 3):
        tr = make_translator(seed=seed)
        greedy = tr.trace(SENTENCE, DecodeConfig(max_len=10))
        sampled = tr.trace(SENTENCE, DecodeConfig(max_len=10, n_samples=4, **config))
        assert sampled.mode == "sample"
        for sample in sampled.samples:
            assert sample.tokens == greedy.output_tokens
        assert sampled.output_tokens == greedy.output_tokens
        assert sampled.samples[0].logp == pytest.approx(sum(s.logp for s in greedy.steps))


def test_sampling_is_seeded_and_records_both_log_probabilities():
    tr = make_translator(seed=3)
    cfg = DecodeConfig(max_len=10, n_samples=6, sample_temperature=2.0, seed=11)
    a, b = tr.trace(SENTENCE, cfg), tr.trace(SENTENCE, cfg)
    assert a.samples == b.samples and [s.seed for s in a.samples] == list(range(11, 17))
    assert len({tuple(s.tokens) for s in a.samples}) > 1  # hot: the draws differ
    assert [s.token for s in a.steps if s.token_id != EOS_ID] == a.samples[0].tokens
    first = a.samples[0]
    assert first.logp == pytest.approx(sum(s.logp for s in a.steps), abs=1e-5)
    assert first.sample_logp == pytest.approx(
        sum(np.log(s.extras["sample_token_prob"]) for s in a.steps), abs=1e-6
    )
    sampler = TokenSampler(cfg, 11, BANNED)
    logp = torch.log_softmax(torch.randn(len(tr.tgt_vocab)), 0)
    assert sampler.choose(logp) not in BANNED
