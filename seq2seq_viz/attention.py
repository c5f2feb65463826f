r"""All attention math: score functions, alignment functions, the attention layer, self-attention.

Symbols: B batch, S source length, T target length, H hidden size, n heads, d = H / n.
h_i (B,S,H) encoder states ``keys``; s_t (B,H) decoder state ``query``; mask (B,S) True = real.

Scores (Luong et al. 2015, Bahdanau et al. 2015)::

    dot:     e_ti = s_t . h_i
    general: e_ti = s_t^T W_a h_i
    concat:  e_ti = v_a^T tanh(W_a [s_t; h_i])          (additive; W_a = [W_q  W_k])

Alignments::

    global:  a_t = softmax(e_t) over all real positions
    local-m: p_t = min(t, S-1); a_t = softmax(e_t) inside [p_t - D, p_t + D], 0 outside
    local-p: p_t = (S-1) * sigmoid(v_p^T tanh(W_p s_t));
             a_ti = softmax_window(e_t)_i * exp(-(i - p_t)^2 / (2 sigma^2)), sigma = D / 2,
             window = {i : |i - p_t| <= D}.  (Luong's form: not renormalised after the Gaussian.)
    hard:    pi_t = softmax(e_t); i* ~ Categorical(pi_t) when sampling (training with REINFORCE,
             Xu et al. 2015) else argmax; a_t = one_hot(i*). In training, a share of the updates
             use the expected context a_t = pi_t instead (Xu et al. 2015, section 4.1).
    none:    no alignment: c_t = c, the encoder's final state for every t (the classic
             fixed-vector bottleneck of Sutskever et al. 2014 / Cho et al. 2014)

Then c_t = sum_i a_ti h_i and the attentional state h~_t = tanh(W_c [c_t; s_t]).
S in the local formulas is each sentence's own length; positions are 0-based.

Steering (a :class:`Steer`, for teaching; never used in training)::

    temperature T_a: every softmax above reads e_t / T_a instead of e_t (T_a = 1: unchanged;
                     T_a -> 0: towards a one-hot choice; T_a large: towards uniform)
    blocked:         the user's masked source positions join the mask (weight exactly 0; the
                     softmax renormalises over the others)
    weights:         a_t given by the user replaces the model's a_t at this step (masked and
                     blocked positions set to 0, then renormalised to sum 1); c_t and h~_t
                     are computed from it as usual

Self-attention over the encoder states (Vaswani et al. 2017), one block with n heads::

    X = H_enc + P (sinusoidal positions); Q = X W_Q, K = X W_K, V = X W_V  split into n heads
    A = softmax(Q K^T / sqrt(d)) with padded keys masked; Y = LayerNorm(X + concat_heads(A V) W_O)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

# ----------------------------------------------------------------------------- scores


def dot_score(
    layer: Attention, query: Tensor, keys: Tensor, keys_proj: Tensor | None = None
) -> Tensor:
    return torch.bmm(keys, query.unsqueeze(2)).squeeze(2)  # (B,S,H)@(B,H,1) -> (B,S)


def general_score(
    layer: Attention, query: Tensor, keys: Tensor, keys_proj: Tensor | None = None
) -> Tensor:
    if keys_proj is not None:  # W_a h_i for every i, computed once per sentence (training)
        return torch.bmm(keys_proj, query.unsqueeze(2)).squeeze(2)  # (B,S)
    # s^T (W_a h) = (s^T W_a) . h : project the query once instead of every key
    projected = query @ layer.W_a.weight  # (B,H)
    return torch.bmm(keys, projected.unsqueeze(2)).squeeze(2)  # (B,S)


def concat_score(
    layer: Attention, query: Tensor, keys: Tensor, keys_proj: Tensor | None = None
) -> Tensor:
    keys_part = layer.W_k(keys) if keys_proj is None else keys_proj  # (B,S,H) W_k h_i + b
    hidden = torch.tanh(layer.W_q(query).unsqueeze(1) + keys_part)  # (B,S,H)
    return layer.v_a(hidden).squeeze(2)  # (B,S)


def project_keys(layer: Attention, keys: Tensor) -> Tensor | None:
    """The part of the score that depends on h_i only, for all i at once (None for dot).

    general: W_a h_i; concat: W_k h_i + b. A teacher-forced pass computes it once per batch
    instead of once per decoder step; the scores are the same (tested against step())."""
    if layer.align_name == "none" or layer.score_name == "dot":
        return None
    if layer.score_name == "general":
        return layer.W_a(keys)  # (B,S,H)
    return layer.W_k(keys)  # (B,S,H)


SCORES: dict[str, Callable[..., Tensor]] = {
    "dot": dot_score,
    "general": general_score,
    "concat": concat_score,
}

# ----------------------------------------------------------------------------- alignments


class Alignment(NamedTuple):
    weights: Tensor  # (B,S) a_t used for the context
    mask: Tensor  # (B,S) bool: positions that may receive weight
    soft_weights: Tensor | None = None  # (B,S) softmax before Gaussian / sampling
    center: Tensor | None = None  # (B,) p_t
    window: Tensor | None = None  # (B,2) long, inclusive [lo, hi]
    gaussian: Tensor | None = None  # (B,S)
    index: Tensor | None = None  # (B,) long, hard attention's chosen position


class AlignInput(NamedTuple):
    scores: Tensor  # (B,S)
    mask: Tensor  # (B,S) bool
    lengths: Tensor  # (B,) long
    t: int
    query: Tensor  # (B,H)
    options: StepOptions


def masked_softmax(scores: Tensor, mask: Tensor) -> Tensor:
    """Softmax over allowed positions; disallowed positions get exactly 0."""
    weights = scores.masked_fill(~mask, float("-inf")).softmax(dim=-1)  # (B,S)
    return weights.masked_fill(~mask, 0.0)


def window_mask(center: Tensor, lengths: Tensor, S: int, D: int) -> tuple[Tensor, Tensor]:
    """Positions i with |i - center| <= D inside each sentence; returns mask and [lo, hi]."""
    pos = torch.arange(S, device=center.device).unsqueeze(0)  # (1,S)
    inside = (pos - center.unsqueeze(1)).abs() <= D  # (B,S)
    inside &= pos < lengths.unsqueeze(1)
    lo = torch.clamp(torch.ceil(center - D), min=0).long()  # (B,)
    hi = torch.minimum(torch.floor(center + D).long(), lengths - 1)  # (B,)
    return inside, torch.stack([lo, hi], dim=1)


def align_global(layer: Attention, x: AlignInput) -> Alignment:
    return Alignment(weights=masked_softmax(x.scores, x.mask), mask=x.mask)


def align_local_m(layer: Attention, x: AlignInput) -> Alignment:
    center = torch.minimum(torch.full_like(x.lengths, x.t), x.lengths - 1)  # (B,) p_t = t
    center = center.to(x.scores.dtype)
    inside, window = window_mask(center, x.lengths, x.scores.size(1), layer.window)
    mask = x.mask & inside
    return Alignment(
        weights=masked_softmax(x.scores, mask), mask=mask, center=center, window=window
    )


def align_local_p(layer: Attention, x: AlignInput) -> Alignment:
    gate = torch.sigmoid(layer.v_p(torch.tanh(layer.W_p(x.query)))).squeeze(1)  # (B,)
    center = (x.lengths - 1).to(x.scores.dtype) * gate  # (B,) p_t in [0, S-1]
    inside, window = window_mask(center, x.lengths, x.scores.size(1), layer.window)
    mask = x.mask & inside
    soft = masked_softmax(x.scores, mask)  # (B,S)
    sigma = layer.window / 2.0
    pos = torch.arange(x.scores.size(1), device=x.scores.device, dtype=x.scores.dtype)
    gaussian = torch.exp(-((pos.unsqueeze(0) - center.unsqueeze(1)) ** 2) / (2 * sigma**2))
    return Alignment(
        weights=soft * gaussian,
        mask=mask,
        soft_weights=soft,
        center=center,
        window=window,
        gaussian=gaussian,
    )


def align_hard(layer: Attention, x: AlignInput) -> Alignment:
    soft = masked_softmax(x.scores, x.mask)  # (B,S)
    if x.options.expected:
        return Alignment(weights=soft, mask=x.mask, soft_weights=soft)
    if x.options.sample:
        index = torch.multinomial(soft, 1, generator=x.options.generator).squeeze(1)  # (B,)
    else:
        index = soft.argmax(dim=1)  # (B,)
    weights = F.one_hot(index, soft.size(1)).to(soft.dtype)  # (B,S)
    return Alignment(weights=weights, mask=x.mask, soft_weights=soft, index=index)


ALIGNMENTS: dict[str, Callable[[Attention, AlignInput], Alignment]] = {
    "global": align_global,
    "local-m": align_local_m,
    "local-p": align_local_p,
    "hard": align_hard,
}

# ----------------------------------------------------------------------------- the layer


class Steer(NamedTuple):
    """A user's changes to one attention step (see the module docstring)."""

    weights: Tensor | None = None  # (B,S) a_t to use instead of the model's
    blocked: Tensor | None = None  # (B,S) bool, True = masked out by the user
    temperature: float = 1.0  # T_a: a_t = softmax(e_t / T_a)


class StepOptions(NamedTuple):
    """How one decoder step runs beyond its inputs (the defaults: the model's own step)."""

    sample: bool = False  # hard attention: draw i* ~ pi_t instead of taking the argmax
    generator: torch.Generator | None = None  # the random source of that draw
    expected: bool = False  # hard attention: use pi_t itself (the expected context)
    steer: Steer | None = None  # a user's change to this step's attention, None for the model's


PLAIN_STEP = StepOptions()


def override_weights(given: Tensor, mask: Tensor) -> Tensor:
    """The user's a_t (B,S) with disallowed positions set to 0, renormalised to sum 1."""
    kept = given.to(torch.float32).masked_fill(~mask, 0.0)  # (B,S)
    total = kept.sum(dim=1, keepdim=True)  # (B,1)
    if bool((total <= 0).any()):
        raise ValueError("the given attention weights put no weight on an allowed position")
    return kept / total


class AttentionOutput(NamedTuple):
    scores: Tensor  # (B,S) raw e_t (zeros for "none")
    mask: Tensor  # (B,S) bool: positions that may receive weight
    weights: Tensor  # (B,S) a_t
    context: Tensor  # (B,H) c_t
    attn_pre: Tensor  # (B,H) W_c [c_t; s_t]
    attn_hidden: Tensor  # (B,H) h~_t = tanh(attn_pre)
    soft_weights: Tensor | None = None
    center: Tensor | None = None
    window: Tensor | None = None
    gaussian: Tensor | None = None
    index: Tensor | None = None
    own_weights: Tensor | None = None  # (B,S) the model's a_t when a Steer replaced it


class Attention(nn.Module):
    """Luong attention: score, align, context, attentional state. Stores nothing on self."""

    def __init__(self, hidden: int, score: str, align: str, window: int = 3) -> None:
        super().__init__()
        self.score_name, self.align_name, self.window = score, align, window
        if align != "none":
            if score == "general":
                self.W_a = nn.Linear(hidden, hidden, bias=False)
            elif score == "concat":
                self.W_q = nn.Linear(hidden, hidden, bias=False)
                self.W_k = nn.Linear(hidden, hidden)
                self.v_a = nn.Linear(hidden, 1, bias=False)
        if align == "local-p":
            self.W_p = nn.Linear(hidden, hidden, bias=False)
            self.v_p = nn.Linear(hidden, 1, bias=False)
        self.W_c = nn.Linear(2 * hidden, hidden, bias=False)

    def forward(
        self,
        query: Tensor,
        keys: Tensor,
        mask: Tensor,
        lengths: Tensor,
        *,
        t: int,
        summary: Tensor | None = None,
        options: StepOptions = PLAIN_STEP,
        keys_proj: Tensor | None = None,
    ) -> AttentionOutput:
        """query s_t (B,H), keys h_i (B,S,H), mask (B,S), lengths (B,) at decoder step t.
        `summary` (B,H): the encoder's final state (align "none"); `keys_proj`: the keys' part
        of the score computed once per sentence (see project_keys)."""
        steer = options.steer
        if self.align_name == "none":
            return self._no_attention(query, mask, summary)
        scores = SCORES[self.score_name](self, query, keys, keys_proj)  # (B,S)
        align_scores, align_mask = scores, mask
        if steer is not None:
            align_scores = scores / steer.temperature if steer.temperature != 1.0 else scores
            align_mask = mask if steer.blocked is None else mask & ~steer.blocked  # (B,S)
        ali = ALIGNMENTS[self.align_name](
            self,
            AlignInput(
                scores=align_scores,
                mask=align_mask,
                lengths=lengths,
                t=t,
                query=query,
                options=options,
            ),
        )
        weights, out_mask, own = ali.weights, ali.mask, None
        if steer is not None and steer.weights is not None:
            out_mask, own = align_mask, ali.weights  # real, not blocked (a window no longer binds)
            weights = override_weights(steer.weights, out_mask)  # (B,S)
        context = torch.bmm(weights.unsqueeze(1), keys).squeeze(1)  # (B,1,S)@(B,S,H)->(B,H)
        attn_pre = self.W_c(torch.cat([context, query], dim=1))  # (B,H)
        return AttentionOutput(
            scores=scores,
            mask=out_mask,
            weights=weights,
            context=context,
            attn_pre=attn_pre,
            attn_hidden=torch.tanh(attn_pre),
            soft_weights=ali.soft_weights,
            center=ali.center,
            window=ali.window,
            gaussian=ali.gaussian,
            index=ali.index,
            own_weights=own,
        )

    def _no_attention(self, query: Tensor, mask: Tensor, summary: Tensor | None) -> AttentionOutput:
        if summary is None:
            raise ValueError("align='none' needs the encoder summary vector")
        zeros = torch.zeros(mask.shape, dtype=query.dtype, device=query.device)  # (B,S)
        attn_pre = self.W_c(torch.cat([summary, query], dim=1))  # (B,H)
        return AttentionOutput(
            scores=zeros,
            mask=torch.zeros_like(mask),
            weights=zeros,
            context=summary,
            attn_pre=attn_pre,
            attn_hidden=torch.tanh(attn_pre),
        )


# ----------------------------------------------------------------------------- self-attention


def sinusoidal_positions(S: int, dim: int, device: torch.device | None = None) -> Tensor:
    pos = torch.arange(S, device=device, dtype=torch.float32).unsqueeze(1)  # (S,1)
    freq = torch.exp(
        torch.arange(0, dim, 2, device=device, dtype=torch.float32) * (-math.log(10000.0) / dim)
    )  # (dim/2,)
    table = torch.zeros(S, dim, device=device)  # (S,dim)
    table[:, 0::2] = torch.sin(pos * freq)
    table[:, 1::2] = torch.cos(pos * freq[: dim // 2])
    return table


def scaled_dot_product(q: Tensor, k: Tensor, v: Tensor, key_mask: Tensor) -> tuple[Tensor, Tensor]:
    """q,k,v (B,n,S,d); key_mask (B,S) True = real. Returns output (B,n,S,d), weights (B,n,S,S)."""
    logits = q @ k.transpose(-1, -2) / math.sqrt(q.size(-1))  # (B,n,S,S)
    allowed = key_mask[:, None, None, :]  # (B,1,1,S)
    weights = logits.masked_fill(~allowed, float("-inf")).softmax(-1).masked_fill(~allowed, 0.0)
    return weights @ v, weights


class SelfAttention(nn.Module):
    """One multi-head self-attention block with positions, residual and layer norm."""

    def __init__(self, hidden: int, heads: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(hidden, 3 * hidden)
        self.out = nn.Linear(hidden, hidden)
        self.norm = nn.LayerNorm(hidden)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        B, S, H = x.shape
        x = x + sinusoidal_positions(S, H, x.device).to(x.dtype)  # (B,S,H)
        q, k, v = self.qkv(x).view(B, S, 3, self.heads, H // self.heads).permute(2, 0, 3, 1, 4)
        out, weights = scaled_dot_product(q, k, v, mask)  # (B,n,S,d), (B,n,S,S)
        out = out.transpose(1, 2).reshape(B, S, H)  # (B,S,H)
        y = self.norm(x + self.drop(self.out(out)))  # (B,S,H)
        return y.masked_fill(~mask.unsqueeze(2), 0.0), weights
