"""Configuration objects: frozen dataclasses saved beside the weights as JSON.

`ModelConfig` fully determines the architecture (so a checkpoint folder rebuilds its model
from `config.json` alone); `DecodeConfig` determines a decoding run (so it can key a cache).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Literal

Cell = Literal["rnn", "gru", "lstm"]
Score = Literal["dot", "general", "concat"]
Align = Literal["global", "local-m", "local-p", "hard", "none"]

CELLS: tuple[str, ...] = ("rnn", "gru", "lstm")
SCORE_NAMES: tuple[str, ...] = ("dot", "general", "concat")
ALIGN_NAMES: tuple[str, ...] = ("global", "local-m", "local-p", "hard", "none")


@dataclass(frozen=True)
class ModelConfig:
    """Architecture of an attentional encoder-decoder (Luong et al. 2015, input feeding)."""

    src_vocab_size: int
    tgt_vocab_size: int
    emb_dim: int = 128
    hidden_dim: int = 256  # H: size of enc_states, dec_state, context and attn_hidden
    cell: Cell = "gru"
    enc_layers: int = 1
    dec_layers: int = 1
    bidirectional: bool = True  # each direction gets hidden_dim // 2 units
    score: Score = "general"
    align: Align = "global"
    window: int = 3  # D of local attention: window [p - D, p + D]
    self_attn: bool = False  # one multi-head self-attention block over the encoder states
    self_attn_heads: int = 4
    tie_output: bool = True  # W_o = E_tgt W_p (a factorised, tied output layer)
    dropout: float = 0.2
    max_src_len: int = 40  # longer inputs are truncated (with a visible notice in the app)
    src_lang: str = "en"
    tgt_lang: str = "fr"
    lowercase: bool = True

    def __post_init__(self) -> None:
        _check_choice("cell", self.cell, CELLS)
        _check_choice("score", self.score, SCORE_NAMES)
        _check_choice("align", self.align, ALIGN_NAMES)
        if self.bidirectional and self.hidden_dim % 2:
            raise ValueError("hidden_dim must be even for a bidirectional encoder")
        if self.self_attn and self.hidden_dim % self.self_attn_heads:
            raise ValueError("hidden_dim must be divisible by self_attn_heads")
        for name in (
            "src_vocab_size",
            "tgt_vocab_size",
            "emb_dim",
            "hidden_dim",
            "enc_layers",
            "dec_layers",
            "window",
            "max_src_len",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown model config keys: {sorted(unknown)}")
        return cls(**data)


@dataclass(frozen=True)
class TransformerConfig:
    """Architecture of the encoder-decoder Transformer (saved as config.json's "model")."""

    src_vocab_size: int
    tgt_vocab_size: int
    d_model: int = 256
    heads: int = 4
    ffn_dim: int = 512
    enc_layers: int = 3
    dec_layers: int = 3
    dropout: float = 0.1
    max_src_len: int = 40
    max_positions: int = 256  # sinusoidal table length (source and target)
    src_lang: str = "en"
    tgt_lang: str = "fr"
    lowercase: bool = True
    arch: str = "transformer"

    # what the RNN's config answers, so shared code can ask any model
    align = "transformer"
    window = 0
    score = "scaled-dot"
    cell = "transformer"
    self_attn = False

    def __post_init__(self) -> None:
        if self.arch != "transformer":
            raise ValueError(f"arch must be 'transformer', got {self.arch!r}")
        if self.d_model % self.heads:
            raise ValueError("d_model must be divisible by heads")
        for name in ("src_vocab_size", "tgt_vocab_size", "d_model", "heads", "ffn_dim",
                     "enc_layers", "dec_layers", "max_src_len", "max_positions"):  # fmt: skip
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError("dropout must be in [0, 1)")

    @property
    def hidden_dim(self) -> int:
        return self.d_model

    @property
    def head_dim(self) -> int:
        return self.d_model // self.heads

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TransformerConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown transformer config keys: {sorted(unknown)}")
        return cls(**data)


def model_config_from_dict(data: dict[str, Any]) -> ModelConfig | TransformerConfig:
    """The architecture a config.json's "model" describes: a Transformer when it says
    ``"arch": "transformer"``, else the RNN encoder-decoder."""
    if isinstance(data, dict) and data.get("arch") == "transformer":
        return TransformerConfig.from_dict(data)
    return ModelConfig.from_dict(data)


Override = tuple[tuple[int, tuple[float, ...]], ...]  # ((step, weights), ...) sorted by step


@dataclass(frozen=True)
class DecodeConfig:
    """How to decode: greedy is beam search of width 1 (tested equal).

    Steering and sampling (all off by default, and then decoding is unchanged):
    ``attention_override`` {step: a_t} replaces the attention weights at those decoder steps;
    ``masked_positions`` are source positions no step may attend to; ``attn_temperature`` T_a
    divides the attention scores before their softmax; ``n_samples`` > 0 draws that many
    translations (seeds seed, seed+1, ...) from p_T(y) proportional to p(y)^(1/T), restricted
    to the ``sample_top_k`` most likely words (0: all) and then to the nucleus ``sample_top_p``,
    renormalised; ``sample_temperature`` 0 takes the argmax (greedy). A dict or list given for
    the override or the mask is stored as a sorted tuple (the config stays hashable)."""

    beam_width: int = 1
    max_len: int = 30
    length_penalty: float = 0.6  # GNMT alpha; 0 means raw cumulative log-probability
    n_best: int = 5
    top_k: int = 10  # how many output words each step records
    sample_hard: bool = False  # hard attention: sample a position instead of the argmax
    unk_replace: bool = True  # each output <unk> becomes the source word it attends to most
    seed: int = 0
    attention_override: Override = ()
    masked_positions: tuple[int, ...] = ()
    attn_temperature: float = 1.0
    n_samples: int = 0
    sample_temperature: float = 1.0
    sample_top_k: int = 0
    sample_top_p: float = 1.0

    def __post_init__(self) -> None:
        if not 1 <= self.beam_width <= 16:
            raise ValueError(f"beam_width must be in 1..16, got {self.beam_width}")
        if not 1 <= self.max_len <= 200:
            raise ValueError(f"max_len must be in 1..200, got {self.max_len}")
        if self.length_penalty < 0:
            raise ValueError("length_penalty must be >= 0")
        if self.n_best < 1 or self.top_k < 1:
            raise ValueError("n_best and top_k must be >= 1")
        object.__setattr__(self, "attention_override", _override(self.attention_override))
        object.__setattr__(self, "masked_positions", _positions(self.masked_positions))
        _check_sampling(self)

    @property
    def steered(self) -> bool:
        """True when the attention is changed by an override, a mask or a temperature."""
        return bool(self.attention_override or self.masked_positions) or (
            self.attn_temperature != 1.0
        )


def _override(raw: Any) -> Override:
    items = raw.items() if isinstance(raw, dict) else raw
    out = []
    for step, weights in items:
        w = tuple(float(x) for x in weights)
        if isinstance(step, bool) or int(step) != step or step < 0:
            raise ValueError(f"attention_override: step must be an integer >= 0, got {step!r}")
        if not w or any(not math.isfinite(x) or x < 0 for x in w) or sum(w) <= 0:
            raise ValueError(
                f"attention_override at step {step}: weights must be finite, >= 0 and not all 0"
            )
        out.append((int(step), w))
    steps = [s for s, _ in out]
    if len(set(steps)) != len(steps):
        raise ValueError("attention_override: a step is given twice")
    return tuple(sorted(out))


def _positions(raw: Any) -> tuple[int, ...]:
    out = sorted({int(i) for i in raw})
    if any(i < 0 for i in out) or any(int(i) != i for i in raw):
        raise ValueError(f"masked_positions must be integers >= 0, got {raw!r}")
    return tuple(out)


def _check_sampling(cfg: DecodeConfig) -> None:
    if not (math.isfinite(cfg.attn_temperature) and 0 < cfg.attn_temperature <= 1000):
        raise ValueError(f"attn_temperature must be in (0, 1000], got {cfg.attn_temperature}")
    if not 0 <= cfg.n_samples <= 100:
        raise ValueError(f"n_samples must be in 0..100, got {cfg.n_samples}")
    if not (math.isfinite(cfg.sample_temperature) and 0 <= cfg.sample_temperature <= 1000):
        raise ValueError(f"sample_temperature must be in [0, 1000], got {cfg.sample_temperature}")
    if cfg.sample_top_k < 0:
        raise ValueError(f"sample_top_k must be >= 0 (0: no limit), got {cfg.sample_top_k}")
    if not (0 < cfg.sample_top_p <= 1):
        raise ValueError(f"sample_top_p must be in (0, 1], got {cfg.sample_top_p}")


PRECISIONS = ("float32", "bfloat16")  # training's forward pass (train.mixed_precision)


@dataclass(frozen=True)
class TrainConfig:
    """Training hyper-parameters (saved with the model for provenance)."""

    batch_size: int = 64
    lr: float = 2e-3
    clip: float = 1.0
    epochs: int = 10
    max_minutes: float = 0.0  # 0 = no time budget (training time, validation not counted)
    deadline: float = 0.0  # 0 = none; else a Unix time (wall clock) after which training stops
    patience: int = 2  # early stopping on validation loss
    teacher_forcing: float = 1.0  # ratio at the start
    teacher_forcing_min: float = 1.0  # linear schedule down to this by the last epoch
    seed: int = 1
    reinforce_weight: float = 1.0
    entropy_weight: float = 0.01
    hard_expected: float = 0.0  # share of hard-attention updates made with the expected context
    baseline_decay: float = 0.9
    label_smoothing: float = 0.0  # eps: share of the target mass spread uniformly
    weight_decay: float = 0.0  # AdamW's decoupled weight decay
    lr_decay: float = 1.0  # multiply the learning rate by this after an epoch without progress
    min_lr: float = 0.0  # stop once the decayed rate falls below this
    # "bfloat16": mixed precision (autocast: matrix products in bfloat16, weights, optimiser,
    # softmax and losses in float32); validation is always measured in float32
    precision: str = "float32"
    # > 0: the rate rises linearly over this many updates, then decays as 1/sqrt(step)
    # (Vaswani et al. 2017); the plateau rule still multiplies it by lr_decay
    warmup_steps: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
