"""The only module that loads models and computes traces.

Models are loaded once per process and folder (``st.cache_resource``); traces are cached by
model, text, decode config, reference and prefix (``st.cache_data``), so moving through steps,
switching pages or languages never reruns the model. Shared models are never mutated: decoding
returns a fresh trace and keeps nothing on the model.

The models folder is ``$SEQ2SEQ_VIZ_MODELS`` (default: the repository's ``pretrained/``); it also
holds the evaluation's ``results.json`` and ``examples.json`` when they have been written.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import streamlit as st

from seq2seq_viz.checkpoints import PRETRAINED_DIR, CheckpointError, list_models, read_config
from seq2seq_viz.config import DecodeConfig
from seq2seq_viz.decode import EmptyInputError, Translator
from seq2seq_viz.trace import DecodeTrace

ENV_VAR = "SEQ2SEQ_VIZ_MODELS"
RESULTS, EXAMPLES = "results.json", "examples.json"
ORDER = (
    "soft-general",
    "soft-dot",
    "soft-concat",
    "local-m",
    "local-p",
    "hard",
    "self-attn",
    "none",
    "toy-reverse",
    "toy-dates",
)
__all__ = ["CheckpointError", "EmptyInputError"]


def models_root() -> Path:
    return Path(os.environ.get(ENV_VAR) or PRETRAINED_DIR)


def model_names() -> list[str]:
    """Model folders under the models root, shipped variants in teaching order, others after."""
    return sorted(list_models(models_root()), key=_order)


def _order(name: str) -> tuple[int, str]:
    return (ORDER.index(name) if name in ORDER else len(ORDER), name)


@st.cache_resource(show_spinner=False, max_entries=16)
def _load(name: str, root: str) -> Translator:
    from seq2seq_viz.checkpoints import load_model

    return load_model(name, root=root)


def get_translator(name: str) -> Translator:
    """The loaded model `name` (raises CheckpointError naming it when it cannot be loaded)."""
    return _load(name, str(models_root()))


def model_error(name: str) -> str | None:
    """None when `name` loads, else the loader's message (it names the folder)."""
    try:
        get_translator(name)
    except CheckpointError as err:
        return str(err)
    return None


def device_name(name: str) -> str:
    return str(get_translator(name).device)


@st.cache_data(show_spinner=False, max_entries=256)
def _trace(
    name: str,
    root: str,
    text: str,
    decode: DecodeConfig,
    reference: str | None,
    prefix: tuple[str, ...],
) -> DecodeTrace:
    return _load(name, root).trace(text, decode, reference=reference, prefix=prefix)


@dataclass(frozen=True)
class TraceKey:
    """What identifies a trace (hashable: it keys the figure cache)."""

    model: str
    text: str
    decode: DecodeConfig
    reference: str | None = None
    prefix: tuple[str, ...] = ()


def trace_for(key: TraceKey) -> DecodeTrace:
    return get_trace(key.model, key.text, key.decode, key.reference, key.prefix)


def get_trace(
    name: str,
    text: str,
    decode: DecodeConfig,
    reference: str | None = None,
    prefix: tuple[str, ...] = (),
) -> DecodeTrace:
    """A cached trace. Raises EmptyInputError for text without words, CheckpointError."""
    return _trace(name, str(models_root()), text, decode, reference, tuple(prefix))


@st.cache_data(show_spinner=False, max_entries=64)
def _trace_json(
    name: str,
    root: str,
    text: str,
    decode: DecodeConfig,
    reference: str | None,
    prefix: tuple[str, ...],
) -> str:
    return _trace(name, root, text, decode, reference, prefix).to_json()


def get_trace_json(
    name: str,
    text: str,
    decode: DecodeConfig,
    reference: str | None = None,
    prefix: tuple[str, ...] = (),
) -> str:
    return _trace_json(name, str(models_root()), text, decode, reference, tuple(prefix))


def hard_samples(
    name: str, text: str, decode: DecodeConfig, reference: str, n: int
) -> list[DecodeTrace]:
    """`n` traces of a hard-attention model sampling its positions (seeds 0..n-1), each fed the
    same output words (`reference`), so their steps line up."""
    return [
        get_trace(name, text, _with(decode, sample_hard=True, seed=k), reference) for k in range(n)
    ]


def _with(decode: DecodeConfig, **changes: Any) -> DecodeConfig:
    return replace(decode, **changes)


@st.cache_data(show_spinner=False, max_entries=32)
def _read_json(path: str, mtime: float) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _optional_json(filename: str) -> Any | None:
    path = models_root() / filename
    try:
        return _read_json(str(path), path.stat().st_mtime)
    except (OSError, ValueError):
        return None


def load_results() -> dict[str, Any]:
    """results.json's per-model scores ({} before evaluation) and its attribution."""
    data = _optional_json(RESULTS)
    return data if isinstance(data, dict) else {}


def model_results(name: str) -> dict[str, Any] | None:
    models = load_results().get("models")
    row = models.get(name) if isinstance(models, dict) else None
    return row if isinstance(row, dict) else None


def load_examples() -> dict[str, list[dict[str, Any]]]:
    """examples.json ({"test": [...], "teaching": [...]}; empty lists when absent)."""
    data = _optional_json(EXAMPLES)
    data = data if isinstance(data, dict) else {}
    return {
        key: [e for e in data.get(key, []) if isinstance(e, dict) and "src" in e]
        for key in ("test", "teaching")
    }


@st.cache_data(show_spinner=False, max_entries=64)
def _card(folder: str, mtime: float) -> dict[str, Any]:
    config = read_config(folder)
    return {k: config.get(k) for k in ("model", "training", "data", "metrics")}


def model_card(name: str) -> dict[str, Any]:
    """The parts of a model's config.json a model card shows (raises CheckpointError)."""
    folder = models_root() / name
    try:
        mtime = (folder / "config.json").stat().st_mtime
    except OSError as err:
        raise CheckpointError(f"{folder}: config.json is missing") from err
    return _card(str(folder), mtime)


def is_toy(name: str) -> bool:
    """Toy tasks (reverse, dates) read other inputs than English sentences."""
    try:
        settings = (model_card(name).get("data") or {}).get("settings") or {}
    except CheckpointError:
        return name.startswith("toy-")
    return bool(settings.get("toy")) or name.startswith("toy-")
