"""The trace: plain data (numpy arrays, floats, strings) of every computation of a decoding run.

No torch and no streamlit here: a trace pickles (for ``st.cache_data``) and round-trips through
JSON (for downloads and test fixtures). Symbols: S source length, T output steps, H hidden size,
K top-k kept per step, n heads.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

TRACE_VERSION = 2  # 2: the alignment extras are typed StepRecord fields (1: in `extras`)
READABLE_VERSIONS = (1, 2)
# StepRecord's typed alignment fields, which version 1 kept under these keys in `extras`
ALIGNMENT_FIELDS = ("soft_weights", "center", "window", "gaussian", "sampled_index")
NODE_STATUSES = ("kept", "pruned", "finished")


@dataclass(kw_only=True)
class StepRecord:
    """One decoder step t: s_t -> e_t -> a_t -> c_t -> h~_t -> p(y_t)."""

    t: int
    input_token: str  # y_{t-1} fed to the decoder (<sos> at t = 0)
    input_id: int
    dec_state: np.ndarray  # (H,) s_t, top decoder layer
    scores: np.ndarray  # (S,) raw e_t before masking (the score function's output)
    mask: np.ndarray  # (S,) bool, True = position may be attended (real token, inside window)
    weights: np.ndarray  # (S,) a_t actually used for c_t (exactly 0 where mask is False)
    context: np.ndarray  # (H,) c_t
    attn_pre: np.ndarray  # (H,) W_c [c_t; s_t] before tanh
    attn_hidden: np.ndarray  # (H,) h~_t
    topk_ids: np.ndarray  # (K,) int
    topk_tokens: list[str]
    topk_probs: np.ndarray  # (K,) p(y_t = w)
    token: str  # y_t emitted (chosen, or forced by teacher forcing / a prefix)
    token_id: int
    logp: float  # log p(y_t = token)
    forced: bool = False
    extras: dict[str, Any] = field(default_factory=dict)
    # other extras by key: concat score: "query_proj" (H,) W_q s_t;
    # an output <unk> replaced by a source word: "copied_from" {"index", "token", "weight"};
    # <unk> banned (every source word known) where the model ranked it in the top-k:
    # "unk_banned_prob" its probability;
    # an edited step: "model_weights" (S,) the a_t the model would have used;
    # a sampled step: "sample_probs" (K,) p_T of topk_ids after temperature / top-k / top-p,
    # "sample_support" int (how many words p_T keeps), "sample_token_prob" p_T(token).
    edited: bool = False  # the user set this step's attention weights (DecodeConfig override)
    # What the alignment computed beyond a_t (None where the variant has no such thing):
    soft_weights: np.ndarray | None = None  # (S,) softmax before local-p's Gaussian / hard's pick
    center: float | None = None  # local p_t
    window: tuple[int, int] | None = None  # local [lo, hi] around p_t (inclusive)
    gaussian: np.ndarray | None = None  # (S,) local-p's exp(-(i - p_t)^2 / (2 sigma^2))
    sampled_index: int | None = None  # hard: the position attended (drawn, or argmax of pi_t)

    def attention_distribution(self) -> np.ndarray:
        """The distribution attention draws from: pi_t for hard attention (its weights are
        one-hot), the softmax before the Gaussian for local-p, else a_t itself."""
        return self.weights if self.soft_weights is None else self.soft_weights

    def softmax_parts(self) -> tuple[np.ndarray, float]:
        """exp(e_i - max e) over allowed positions (0 elsewhere) and their sum."""
        allowed = self.mask.astype(bool)
        if not allowed.any():
            return np.zeros_like(self.scores, dtype=np.float64), 0.0
        shift = np.max(self.scores[allowed])
        exps = np.where(allowed, np.exp(np.where(allowed, self.scores - shift, 0.0)), 0.0)
        return exps.astype(np.float64), float(exps.sum())


@dataclass(kw_only=True)
class BeamNode:
    """One expanded hypothesis in the beam-search tree."""

    id: int
    parent: int  # -1 for the root (<sos>)
    step: int  # output position of `token` (root: -1)
    token: str
    token_id: int
    logp: float  # log p(token | prefix)
    score: float  # cumulative log-probability of the prefix including token
    norm_score: float  # score / GNMT length penalty
    status: str  # kept | pruned | finished
    rank: int  # rank among the candidates of its step (0 = best)


@dataclass(kw_only=True)
class Hypothesis:
    tokens: list[str]
    token_ids: list[int]
    score: float
    norm_score: float
    node_id: int  # its last node in the tree


@dataclass(kw_only=True)
class Sample:
    """One translation drawn from the (temperature / top-k / top-p transformed) distribution."""

    tokens: list[str]  # without <eos>
    token_ids: list[int]  # with <eos> when it was drawn
    logp: float  # sum of log p(y_t) under the model (the untransformed distribution)
    sample_logp: float  # sum of log p_T(y_t): the probability of drawing exactly this
    seed: int


@dataclass(kw_only=True)
class DecodeTrace:
    """Everything one decoding run computed, per decoder step."""

    model_name: str
    mode: str  # greedy | beam | teacher | forced
    src_text: str
    src_tokens: list[str]  # surface forms (unknown words kept as typed)
    src_ids: np.ndarray  # (S,)
    src_unknown: np.ndarray  # (S,) bool
    truncated_from: int  # source token count before truncation
    enc_states: np.ndarray  # (S, H) h_1..h_S (after self-attention when the model has it)
    steps: list[StepRecord]
    output_tokens: list[str]  # the emitted translation without <eos>
    score_name: str
    align_name: str
    window: int
    self_attn: np.ndarray | None = None  # (n, S, S) per-head encoder self-attention weights
    enc_rnn_states: np.ndarray | None = None  # (S, H) before self-attention, when it exists
    beam_nodes: list[BeamNode] = field(default_factory=list)
    hypotheses: list[Hypothesis] = field(default_factory=list)  # n best, best first
    greedy_tokens: list[str] = field(default_factory=list)
    reference_tokens: list[str] = field(default_factory=list)  # teacher forcing
    settings: dict[str, Any] = field(default_factory=dict)
    # inner vectors of the bridge and the score function (record_vectors.py): "enc_final" (H,)
    # h_S, "init_state" (H,) s_0; general/concat "score_keys" (S, H); concat "v_a" (H,)
    vectors: dict[str, Any] = field(default_factory=dict)
    version: int = TRACE_VERSION
    samples: list[Sample] = field(default_factory=list)  # mode "sample": all draws, seed order

    @property
    def n_steps(self) -> int:
        return len(self.steps)

    def weights_matrix(self) -> np.ndarray:
        """(T, S) attention weights, one row per decoder step."""
        if not self.steps:
            return np.zeros((0, len(self.src_tokens)))
        return np.stack([s.weights for s in self.steps])

    def step_tokens(self) -> list[str]:
        return [s.token for s in self.steps]

    def entropy(self) -> float:
        """Mean entropy (nats) over steps of the distribution attention draws from: pi_t for
        hard attention (its weights are one-hot), a_t renormalised for local-p; 0 for none."""
        rows = [s.attention_distribution() for s in self.steps]
        if not rows:
            return 0.0
        w = np.stack(rows).astype(np.float64)
        total = w.sum(axis=1, keepdims=True)
        p = np.divide(w, total, out=np.zeros_like(w), where=total > 0)
        logs = np.log(np.where(p > 0, p, 1.0))
        return float(np.mean(-(p * logs).sum(axis=1)))

    def to_data(self) -> dict[str, Any]:
        """JSON-ready nested dicts and lists (arrays keep their dtype and shape). Optional fields
        are left out while they hold their defaults (no samples, no edited step, no alignment
        extras), so a plain run encodes compactly and stored traces stay comparable."""
        data = dataclasses.asdict(self)
        if not data["samples"]:
            del data["samples"]
        for step in data["steps"]:
            if not step["edited"]:
                del step["edited"]
            for name in ALIGNMENT_FIELDS:
                if step[name] is None:
                    del step[name]
        return _encode(data)

    def to_json(self) -> str:
        return json.dumps(self.to_data(), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> DecodeTrace:
        return cls.from_data(json.loads(text))

    @classmethod
    def from_data(cls, raw: dict[str, Any]) -> DecodeTrace:
        data = _decode(raw)
        if data.get("version") not in READABLE_VERSIONS:
            raise ValueError(f"unsupported trace version {data.get('version')!r}")
        if data["version"] == 1:
            data["steps"] = [_alignment_out_of_extras(s) for s in data["steps"]]
        data["version"] = TRACE_VERSION
        data["steps"] = [_step_from_data(s) for s in data["steps"]]
        data["beam_nodes"] = [BeamNode(**n) for n in data["beam_nodes"]]
        data["hypotheses"] = [Hypothesis(**h) for h in data["hypotheses"]]
        data["samples"] = [Sample(**x) for x in data.get("samples", [])]
        return cls(**data)


def _alignment_out_of_extras(step: dict[str, Any]) -> dict[str, Any]:
    """A version-1 step: its alignment extras move from `extras` to their own fields."""
    extras = dict(step.get("extras") or {})
    moved = {name: extras.pop(name) for name in ALIGNMENT_FIELDS if name in extras}
    return {**step, **moved, "extras": extras}


def _step_from_data(step: dict[str, Any]) -> StepRecord:
    if step.get("window") is not None:
        lo, hi = step["window"]
        step = {**step, "window": (int(lo), int(hi))}
    return StepRecord(**step)


def _encode(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        return {"__ndarray__": obj.tolist(), "dtype": str(obj.dtype), "shape": list(obj.shape)}
    if isinstance(obj, dict):
        return {k: _encode(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_encode(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return {"__float__": repr(obj)}
    return obj


def _decode(obj: Any) -> Any:
    if isinstance(obj, dict):
        if "__ndarray__" in obj:
            arr = np.array(_decode(obj["__ndarray__"]), dtype=obj["dtype"])
            return arr.reshape(obj["shape"])
        if "__float__" in obj:
            return float(obj["__float__"])
        return {k: _decode(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_decode(v) for v in obj]
    return obj
