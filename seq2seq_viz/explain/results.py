"""The lab's results as plain data (numpy arrays, floats, strings), like the trace: they pickle
for ``st.cache_data`` and round-trip through JSON. No torch here.

Rank agreement between an attention row a_t (S,) and an attribution row r_t (S,) is Kendall's
tau-b of a_t against |r_t| (the size of a token's effect, whatever its sign)::

    tau_b = (C - D) / sqrt((n0 - n1) (n0 - n2))

over the n (n - 1) / 2 pairs of source positions: C concordant, D discordant pairs, n0 all
pairs, n1 / n2 the pairs tied in a / in |r|. It is undefined (NaN) when either row is constant.
"The top word agrees" means argmax_i a_ti == argmax_i |r_ti|.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from seq2seq_viz.trace import _decode, _encode

METHODS = ("saliency", "input_x_gradient", "integrated_gradients", "occlusion")


def kendall_tau_b(x: np.ndarray, y: np.ndarray) -> float:
    """Kendall's tau-b of two equal-length vectors (NaN when either is constant)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"kendall_tau_b needs two vectors of one length, got {x.shape}, {y.shape}")
    i, j = np.triu_indices(len(x), k=1)  # every pair once
    dx, dy = np.sign(x[i] - x[j]), np.sign(y[i] - y[j])
    n0 = len(i)
    n1, n2 = int(np.sum(dx == 0)), int(np.sum(dy == 0))
    denom = np.sqrt(float(n0 - n1) * float(n0 - n2))
    return float(np.sum(dx * dy) / denom) if denom > 0 else float("nan")


@dataclass
class Agreement:
    """Attention against one attribution method, per output step (T,)."""

    method: str
    tau: np.ndarray  # (T,) Kendall tau-b of a_t vs |r_t| (NaN: undefined)
    top_same: np.ndarray  # (T,) bool: the same source word ranks first
    top_attention: np.ndarray  # (T,) int: argmax_i a_ti
    top_attribution: np.ndarray  # (T,) int: argmax_i |r_ti|

    @property
    def n_top_same(self) -> int:
        return int(self.top_same.sum())

    @property
    def mean_tau(self) -> float:
        ok = ~np.isnan(self.tau)
        return float(self.tau[ok].mean()) if ok.any() else float("nan")


@dataclass
class Attributions:
    """Importance of each source token for log p(y_t | y_<t, x) of each output word y_t.

    Rows follow the decoder steps of the model's own greedy translation (its <eos> included),
    columns the source tokens: the same axes as the attention heatmap."""

    model_name: str
    align: str  # the model's alignment ("none": it has no attention)
    src_tokens: list[str]
    out_tokens: list[str]  # (T,) y_t of each row
    weights: np.ndarray  # (T,S) the attention a_t of the same run (zeros for "none")
    logp: np.ndarray  # (T,) f_t(x) = log p(y_t | y_<t, x)
    methods: dict[str, np.ndarray]  # name -> (T,S) attribution r_t
    baseline: str  # what integrated gradients starts from (and occlusion puts in)
    ig_steps: int
    baseline_logp: np.ndarray | None = None  # (T,) f_t(baseline)
    ig_delta: np.ndarray | None = None  # (T,) sum_i r_ti - (f_t(x) - f_t(baseline))
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def n_steps(self) -> int:
        return len(self.out_tokens)

    @property
    def has_attention(self) -> bool:
        return self.align != "none"

    def agreement(self, method: str) -> Agreement | None:
        """Attention vs `method` per step; None for a model without attention."""
        if not self.has_attention:
            return None
        attr = np.abs(self.methods[method])
        taus = np.array([kendall_tau_b(a, r) for a, r in zip(self.weights, attr)])
        top_a = np.argmax(self.weights, axis=1)  # (T,)
        top_r = np.argmax(attr, axis=1)  # (T,)
        return Agreement(method, taus, top_a == top_r, top_a, top_r)

    def completeness(self) -> dict[str, np.ndarray] | None:
        """Integrated gradients' completeness per step: the sum of attributions, the change
        f(x) - f(baseline) it should equal, the gap, and the gap relative to that change."""
        if "integrated_gradients" not in self.methods or self.baseline_logp is None:
            return None
        total = self.methods["integrated_gradients"].sum(axis=1)
        change = self.logp - self.baseline_logp
        gap = total - change
        rel = np.abs(gap) / np.maximum(np.abs(change), 1e-12)
        return {"sum": total, "change": change, "gap": gap, "relative_gap": rel}

    def to_json(self) -> str:
        return _dump(self)

    @classmethod
    def from_json(cls, text: str) -> Attributions:
        return cls(**_decode(json.loads(text)))


@dataclass
class FoolResult:
    """One decoder step's search for a very different attention with the same output word."""

    t: int
    token: str  # y_t the model produced
    token_id: int
    weights: np.ndarray  # (S,) the model's own a_t
    fooled: np.ndarray  # (S,) the attention found (== weights when none was found)
    found: bool  # the search found an a_t meeting the constraint
    js: float  # Jensen-Shannon divergence of fooled vs own, in bits (0..1)
    tv: float  # total variation distance 0.5 * sum |fooled - own| (0..1)
    p_own: float  # p(y_t) under the model's own attention
    p_fooled: float  # p(y_t) under the fooled attention (the search's own forward pass)
    margin: float  # the constraint: p_fooled >= p_own - margin and y_t stays the top word
    verified: bool  # re-running Decoder.step with the override gives y_t as the top word
    p_verified: float  # p(y_t) in that re-run
    continued: list[str]  # the translation when decoding goes on from the edited step
    iterations: int
    seconds: float

    def to_json(self) -> str:
        return _dump(self)

    @classmethod
    def from_json(cls, text: str) -> FoolResult:
        return cls(**_decode(json.loads(text)))


@dataclass
class SentenceFool:
    """The search at every step of one translation, with its tally by word class."""

    model_name: str
    src_tokens: list[str]
    out_tokens: list[str]
    steps: list[FoolResult]
    classes: list[str]  # per step: "function", "content" or "other" (punctuation, <eos>, ...)
    threshold: float  # "very different": js >= threshold (bits)
    seconds: float

    def kept(self) -> np.ndarray:
        """(T,) bool: the step kept its word under an attention at least `threshold` away."""
        return np.array([s.found and s.verified and s.js >= self.threshold for s in self.steps])

    def tally(self) -> dict[str, tuple[int, int]]:
        """word class -> (steps that kept their word, steps of that class)."""
        kept = self.kept()
        out = {}
        for name in ("function", "content", "other"):
            rows = [i for i, c in enumerate(self.classes) if c == name]
            out[name] = (int(kept[rows].sum()) if rows else 0, len(rows))
        return out

    def to_json(self) -> str:
        return _dump(self)

    @classmethod
    def from_json(cls, text: str) -> SentenceFool:
        data = _decode(json.loads(text))
        data["steps"] = [FoolResult(**s) for s in data["steps"]]
        return cls(**data)


@dataclass
class Neighbour:
    """One stored training state near the query."""

    distance: float  # Euclidean distance in the index's PCA space
    sentence: int  # index of the training sentence in the index
    position: int  # decoder step (or source position) of the state
    src_tokens: list[str]
    tgt_tokens: list[str]
    word: str  # the word at that position: the target word (decoder) or source word (encoder)
    predicted: str  # decoder states: the model's top word there under teacher forcing
    xy: np.ndarray  # (2,) the state on the index's first two principal components


@dataclass
class NeighbourResult:
    kind: str  # "decoder" or "encoder"
    query_word: str
    query_xy: np.ndarray  # (2,)
    neighbours: list[Neighbour]
    seconds: float

    def to_json(self) -> str:
        return _dump(self)

    @classmethod
    def from_json(cls, text: str) -> NeighbourResult:
        data = _decode(json.loads(text))
        data["neighbours"] = [Neighbour(**n) for n in data["neighbours"]]
        return cls(**data)


def _dump(obj: Any) -> str:
    return json.dumps(_encode(dataclasses.asdict(obj)), ensure_ascii=False)
