r"""Steering a decoding run, and sampling its output words.

Attention steering (the math is in attention.py, :class:`~seq2seq_viz.attention.Steer`): a
:class:`SteerPlan` turns a `DecodeConfig`'s ``attention_override`` {step: a_t},
``masked_positions`` and ``attn_temperature`` T_a into the `Steer` of each decoder step, after
checking them against the sentence (one weight per source token, positions inside it, at least
one position left unmasked). Without any of them, :meth:`SteerPlan.at` returns None and the
decoder runs exactly its unsteered code.

Sampling the output word y_t from p(y) = softmax(W_o h~_t + b) (Holtzman et al. 2020 for top-p)::

    temperature T > 0:  p_T(y) = p(y)^(1/T) / sum_y' p(y')^(1/T)   ( = softmax(log p / T) )
    top-k k > 0:        keep the k words with the largest p_T (ties: the lower id first)
    top-p p < 1:        of those, keep the fewest most likely whose p_T (renormalised over the
                        top-k) add up to at least p (always at least one word)
    finally:            p~(y) = p_T(y) / sum_{y' kept} p_T(y') for kept y, 0 otherwise
    T = 0:              p~ is one-hot on the argmax of p (greedy)

<pad> and <sos> are never drawn (their probability is set to 0 before the transform, as greedy
and beam search do). Draws use a CPU ``torch.Generator`` seeded per sample, so a seed gives the
same translation on any device.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor

from .attention import Steer
from .config import DecodeConfig

# ----------------------------------------------------------------------------- attention


class SteerPlan:
    """The per-step attention changes of one sentence (S source tokens)."""

    def __init__(self, decode: DecodeConfig, n_src: int, align: str, device: Any = "cpu") -> None:
        check_steering(decode, n_src, align)
        self.temperature = float(decode.attn_temperature)
        self.weights = {
            step: torch.tensor([w], dtype=torch.float32, device=device)  # (1,S)
            for step, w in decode.attention_override
        }
        self.blocked = None
        if decode.masked_positions:
            blocked = torch.zeros(1, n_src, dtype=torch.bool, device=device)  # (1,S)
            blocked[0, list(decode.masked_positions)] = True
            self.blocked = blocked
        self.active = decode.steered

    def at(self, t: int, n: int = 1) -> Steer | None:
        """The Steer of decoder step t for n rows (beam hypotheses), None when nothing changes."""
        if not self.active:
            return None
        weights = self.weights.get(t)
        return Steer(
            weights=None if weights is None else weights.expand(n, -1),
            blocked=None if self.blocked is None else self.blocked.expand(n, -1),
            temperature=self.temperature,
        )

    def edited(self, t: int) -> bool:
        return t in self.weights


def check_steering(decode: DecodeConfig, n_src: int, align: str) -> None:
    """Raise ValueError saying what does not fit this sentence and model."""
    if not decode.steered:
        return
    if align == "none":
        raise ValueError("this model has no attention (align='none'): nothing to steer")
    for step, weights in decode.attention_override:
        if len(weights) != n_src:
            raise ValueError(
                f"attention_override at step {step} has {len(weights)} weights; "
                f"the source has {n_src} tokens"
            )
    bad = [i for i in decode.masked_positions if i >= n_src]
    if bad:
        raise ValueError(f"masked_positions {bad} are outside the source (0..{n_src - 1})")
    if len(decode.masked_positions) >= n_src:
        raise ValueError("masked_positions would mask every source token")


# ----------------------------------------------------------------------------- sampling


def transform(logp: Tensor, temperature: float, top_k: int = 0, top_p: float = 1.0) -> Tensor:
    """log p(y) (V,) -> p~(y) (V,) float64: temperature, then top-k, then top-p, renormalised."""
    logp = logp.detach().to("cpu", torch.float64)
    if temperature == 0:
        return torch.nn.functional.one_hot(logp.argmax(), logp.numel()).to(torch.float64)
    probs = (logp / temperature).softmax(dim=0)  # (V,) p_T
    order = torch.argsort(probs, descending=True, stable=True)  # (V,)
    ranked = probs[order]  # (V,)
    keep = ranked > 0
    if top_k > 0:
        keep[top_k:] = False
    if top_p < 1.0:
        kept = torch.where(keep, ranked, torch.zeros_like(ranked))
        kept = kept / kept.sum()
        before = torch.cumsum(kept, dim=0) - kept  # mass of the more likely words
        keep &= before < top_p
    out = torch.zeros_like(probs)
    out[order[keep]] = ranked[keep]
    return out / out.sum()


def draw(probs: Tensor, generator: torch.Generator) -> int:
    """One word id drawn from probs (V,) with a CPU generator."""
    return int(torch.multinomial(probs, 1, generator=generator))


class TokenSampler:
    """Draws the output words of one sample and remembers each step's transformed p~."""

    def __init__(self, decode: DecodeConfig, seed: int, banned: Sequence[int]) -> None:
        self.temperature = decode.sample_temperature
        self.top_k, self.top_p = decode.sample_top_k, decode.sample_top_p
        self.banned = list(banned)
        self.generator = torch.Generator().manual_seed(seed)
        self.seed = seed
        self.probs: Tensor | None = None  # p~ of the last step (V,)
        self.sample_logp = 0.0  # sum of log p~(y_t) of the drawn words
        self.last = -1  # the last drawn id

    def choose(self, logp: Tensor) -> int:
        """logp (V,) of one step -> the drawn word id."""
        logp = logp.detach().to("cpu", torch.float64).clone()
        logp[self.banned] = float("-inf")
        self.probs = transform(logp, self.temperature, self.top_k, self.top_p)
        token = draw(self.probs, self.generator)
        self.sample_logp += float(torch.log(self.probs[token]))
        self.last = token
        return token

    def extras(self, topk_ids: np.ndarray) -> dict[str, Any]:
        """What a step record keeps of p~: its values at the recorded top-k words, its support."""
        assert self.probs is not None, "choose() first"
        ids = torch.as_tensor(np.asarray(topk_ids, dtype=np.int64))
        return {
            "sample_probs": self.probs[ids].numpy().astype(np.float32),
            "sample_support": int((self.probs > 0).sum()),
            "sample_token_prob": float(self.probs[self.last]),
        }
