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


class SavedConfig:
    """A model configuration saved as config.json's "model": its fields as a dict, and back
    (a key the class does not know is refused, never ignored)."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Any:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown model config keys: {sorted(unknown)}")
        return cls(**data)


@dataclass(frozen=True)
class ModelConfig(SavedConfig):
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


@dataclass(frozen=True)
class TransformerConfig(SavedConfig):
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


def _option(default: Any, help: str = "", flag: str | None = None, **extra: Any) -> Any:
    """A TrainConfig field with what its command-line option says (train.add_train_args):
    `help`, the `flag` when it is not --field-name, `cli=False` to leave it off the CLI."""
    return field(default=default, metadata={"help": help, "flag": flag, **extra})


@dataclass(frozen=True)
class TrainConfig:
    """Training hyper-parameters: the one source of the defaults (the training command line is
    generated from these fields) and saved with the model for provenance. None: no limit."""

    batch_size: int = _option(64)
    lr: float = _option(2e-3, "the learning rate at the start")
    clip: float = _option(1.0, "clip the gradient norm to this")
    epochs: int | None = _option(10, "at most N epochs")
    max_minutes: float | None = _option(
        None, "time budget: minutes of training (validation not counted)"
    )
    deadline: float | None = _option(
        None, "stop as when out of time at this Unix time (wall clock, validation included)"
    )
    patience: int | None = _option(
        3,
        "stop after N epochs without a better valid loss (with --max-minutes or --deadline and "
        "no --patience: none, the time budget decides; the rate keeps decaying on plateaus "
        "until --min-lr)",
    )
    teacher_forcing: float = _option(1.0, "teacher forcing ratio at the start", flag="--tf")
    teacher_forcing_min: float | None = _option(
        None, "ratio at the last epoch, a linear schedule (none: --tf throughout)", flag="--tf-min"
    )
    seed: int = _option(1)
    reinforce_weight: float = _option(1.0, cli=False)
    entropy_weight: float = _option(0.01, "hard attention: weight of the entropy bonus")
    hard_expected: float = _option(
        0.0, "hard attention: share of updates with the expected context (Xu et al.)"
    )
    baseline_decay: float = _option(0.9, cli=False)
    label_smoothing: float = _option(0.1, "eps: share of the target mass spread uniformly")
    weight_decay: float = _option(0.0, "AdamW's decoupled weight decay (0: Adam)")
    lr_decay: float = _option(
        0.5, "multiply the learning rate by this after each epoch without progress"
    )
    min_lr: float = _option(1e-5, "stop when the rate decays below")
    precision: str = _option(
        "float32",
        "bfloat16: mixed precision (matrix products in bfloat16), float32 weights and validation",
        choices=PRECISIONS,
    )
    warmup_steps: int = _option(
        0,
        "updates of linear warm-up, then 1/sqrt(step) decay (Vaswani et al. 2017; the plateau "
        "rule still multiplies the rate by --lr-decay; 0: a constant rate)",
        flag="--warmup",
    )
    extra: dict[str, Any] = field(default_factory=dict, metadata={"cli": False})

    def __post_init__(self) -> None:
        for name in ("epochs", "max_minutes", "patience"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"{name} must be > 0 or None (no limit), got {value}")


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
