"""Attention math against independent NumPy computations and torch's SDPA."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from seq2seq_viz.attention import Attention, SelfAttention, StepOptions, sinusoidal_positions

B, S, H, D = 3, 7, 6, 2
LENGTHS = torch.tensor([7, 5, 3])


def inputs(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    query = torch.randn(B, H, generator=g)
    keys = torch.randn(B, S, H, generator=g)
    mask = torch.arange(S)[None, :] < LENGTHS[:, None]
    keys = keys * mask[:, :, None]
    return query, keys, mask


def layer(score: str, align: str, seed: int = 1) -> Attention:
    torch.manual_seed(seed)
    return Attention(H, score, align, window=D).eval()


def np_(x: torch.Tensor) -> np.ndarray:
    return x.detach().double().numpy()


def np_scores(att: Attention, q: np.ndarray, k: np.ndarray) -> np.ndarray:
    """e_i for one sentence, computed from the formulas by hand."""
    if att.score_name == "dot":
        return k @ q
    if att.score_name == "general":
        return (k @ np_(att.W_a.weight).T) @ q  # s^T (W_a h_i)
    wq, wk, bk, v = (
        np_(att.W_q.weight),
        np_(att.W_k.weight),
        np_(att.W_k.bias),
        np_(att.v_a.weight)[0],
    )
    return np.array([v @ np.tanh(wq @ q + wk @ h + bk) for h in k])


def np_softmax(e: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    out = np.zeros_like(e)
    z = np.exp(e[allowed] - e[allowed].max())
    out[allowed] = z / z.sum()
    return out


@pytest.mark.parametrize("score", ["dot", "general", "concat"])
def test_scores_and_global_alignment_match_numpy(score):
    att = layer(score, "global")
    q, k, mask = inputs()
    out = att(q, k, mask, LENGTHS, t=0)
    for b in range(B):
        n = int(LENGTHS[b])
        e = np_scores(att, np_(q[b]), np_(k[b]))
        np.testing.assert_allclose(np_(out.scores[b])[:n], e[:n], rtol=1e-5, atol=1e-6)
        a = np_softmax(e, np.arange(S) < n)
        np.testing.assert_allclose(np_(out.weights[b]), a, atol=1e-6)
        c = a @ np_(k[b])
        np.testing.assert_allclose(np_(out.context[b]), c, atol=1e-6)
        pre = np_(att.W_c.weight) @ np.concatenate([c, np_(q[b])])
        np.testing.assert_allclose(np_(out.attn_hidden[b]), np.tanh(pre), atol=1e-6)
    assert torch.all(out.weights[~mask] == 0.0)  # exactly zero, not tiny
    torch.testing.assert_close(out.weights.sum(1), torch.ones(B))


def test_general_with_identity_equals_dot():
    att = layer("general", "global")
    with torch.no_grad():
        att.W_a.weight.copy_(torch.eye(H))
    dot = layer("dot", "global")
    q, k, mask = inputs()
    torch.testing.assert_close(
        att(q, k, mask, LENGTHS, t=0).scores, dot(q, k, mask, LENGTHS, t=0).scores
    )


@pytest.mark.parametrize("t", [0, 2, 4, 9])
def test_local_m_matches_numpy_and_is_zero_outside_window(t):
    att = layer("dot", "local-m")
    q, k, mask = inputs(2)
    out = att(q, k, mask, LENGTHS, t=t)
    for b in range(B):
        n = int(LENGTHS[b])
        center = min(t, n - 1)
        allowed = (np.abs(np.arange(S) - center) <= D) & (np.arange(S) < n)
        expect = np_softmax(k[b].double().numpy() @ q[b].double().numpy(), allowed)
        np.testing.assert_allclose(np_(out.weights[b]), expect, atol=1e-6)
        assert np.all(np_(out.weights[b])[~allowed] == 0.0)
        lo, hi = out.window[b].tolist()
        assert (lo, hi) == (max(center - D, 0), min(center + D, n - 1))
        assert float(out.center[b]) == center


def test_local_p_matches_numpy():
    att = layer("general", "local-p")
    q, k, mask = inputs(3)
    out = att(q, k, mask, LENGTHS, t=1)
    wp, vp = np_(att.W_p.weight), np_(att.v_p.weight)[0]
    sigma = D / 2
    for b in range(B):
        n = int(LENGTHS[b])
        qb = np_(q[b])
        p = (n - 1) / (1 + np.exp(-(vp @ np.tanh(wp @ qb))))
        allowed = (np.abs(np.arange(S) - p) <= D) & (np.arange(S) < n)
        soft = np_softmax(np_scores(att, qb, np_(k[b])), allowed)
        gauss = np.exp(-((np.arange(S) - p) ** 2) / (2 * sigma**2))
        np.testing.assert_allclose(float(out.center[b].detach()), p, rtol=1e-5)
        np.testing.assert_allclose(np_(out.weights[b]), soft * gauss, atol=1e-6)
        assert np.all(np_(out.weights[b])[~allowed] == 0.0)
        assert np_(out.weights[b]).sum() <= 1.0 + 1e-6  # Luong: not renormalised


def test_hard_argmax_is_one_hot_of_the_soft_distribution():
    att = layer("concat", "hard")
    q, k, mask = inputs(4)
    out = att(q, k, mask, LENGTHS, t=0)
    assert torch.equal(out.weights.sum(1), torch.ones(B))
    assert set(out.weights.unique().tolist()) <= {0.0, 1.0}
    assert torch.equal(out.index, out.soft_weights.argmax(1))
    torch.testing.assert_close(out.context, k[torch.arange(B), out.index])


def test_hard_sample_frequencies_match_weights():
    att = layer("dot", "hard")
    q, k, mask = inputs(5)
    q, k = q * 0.5, k * 0.5  # flatter distributions: every position gets samples
    n = 20000
    qq, kk = q[:1].expand(n, H), k[:1].expand(n, S, H)
    gen = torch.Generator().manual_seed(0)
    options = StepOptions(sample=True, generator=gen)
    out = att(qq, kk, mask[:1].expand(n, S), LENGTHS[:1].expand(n), t=0, options=options)
    freq = torch.bincount(out.index, minlength=S).double() / n
    p = out.soft_weights[0].double()
    # 4 standard errors of a binomial proportion, per position
    assert torch.all((freq - p).abs() <= 4 * torch.sqrt(p * (1 - p) / n) + 1e-9)


def test_no_attention_uses_the_fixed_summary_for_every_step():
    att = layer("dot", "none")
    q, k, mask = inputs()
    summary = torch.randn(B, H)
    a0 = att(q, k, mask, LENGTHS, t=0, summary=summary)
    a5 = att(q, k, mask, LENGTHS, t=5, summary=summary)
    assert torch.equal(a0.context, summary) and torch.equal(a5.context, summary)
    assert torch.count_nonzero(a0.weights) == 0
    with pytest.raises(ValueError, match="summary"):
        att(q, k, mask, LENGTHS, t=0)


def test_self_attention_equals_torch_sdpa():
    torch.manual_seed(0)
    heads = 3
    sa = SelfAttention(H, heads).eval()
    x = torch.randn(B, S, H)
    mask = torch.arange(S)[None, :] < LENGTHS[:, None]
    y, weights = sa(x, mask)
    xp = x + sinusoidal_positions(S, H)
    q, k, v = sa.qkv(xp).view(B, S, 3, heads, H // heads).permute(2, 0, 3, 1, 4)
    ref = F.scaled_dot_product_attention(q, k, v, attn_mask=mask[:, None, None, :])
    ref = sa.norm(xp + sa.out(ref.transpose(1, 2).reshape(B, S, H)))
    real = mask[:, :, None]
    torch.testing.assert_close(y * real, ref * real, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(weights.sum(-1), torch.ones(B, heads, S))
    assert torch.all(weights[~mask[:, None, None, :].expand_as(weights)] == 0.0)


def test_hard_expected_context_uses_the_soft_distribution():
    att = layer("general", "hard")
    q, k, mask = inputs(6)
    soft = att(q, k, mask, LENGTHS, t=0, options=StepOptions(expected=True))
    glob = layer("general", "global")(q, k, mask, LENGTHS, t=0)  # same seed: same W_a
    torch.testing.assert_close(soft.weights, glob.weights)
    torch.testing.assert_close(soft.context, glob.context)
    assert soft.index is None  # nothing sampled: no REINFORCE term for this update
