"""The only module that loads models and computes traces.

Models are loaded once per process and folder (a lock-guarded dict shared by every session and
by the background warm-up); traces are cached by model, text, decode config, reference and prefix
(``st.cache_data``), so moving through steps, switching pages or languages never reruns the model.
Shared models are never mutated: decoding returns a fresh trace and keeps nothing on the model.

Cold start: the first page is drawn without torch when the model folder holds a precomputed trace
of the opening sentence (`seq2seq_viz.precomputed`, hash-checked against the weights); the app then
calls `warm_up`, which loads the model in a background thread while the browser draws, so the
first sentence the user types does not wait for torch either.

The models folder is ``$SEQ2SEQ_VIZ_MODELS`` (default: the repository's ``pretrained/``); it also
holds the evaluation's ``results.json`` and ``examples.json`` when they have been written.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import streamlit as st

from seq2seq_viz import precomputed, stages
from seq2seq_viz.checkpoints import PRETRAINED_DIR, CheckpointError, list_models, read_config
from seq2seq_viz.config import DecodeConfig, ModelConfig, TransformerConfig, model_config_from_dict
from seq2seq_viz.i18n import tr
from seq2seq_viz.text import EmptyInputError
from seq2seq_viz.trace import DecodeTrace

if TYPE_CHECKING:
    from seq2seq_viz.cells import CellTrace
    from seq2seq_viz.decode import Translator

ENV_VAR = "SEQ2SEQ_VIZ_MODELS"
RESULTS, EXAMPLES = "results.json", "examples.json"
BOTTLENECK = "bottleneck.json"  # the lesson's measured long sentence (bench/pick_bottleneck.py)
VARIANTS = "variants.json"  # the sentence the variants translate differently (bench/pick_variants)
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
    "toy-by-hand",
)
__all__ = ["CheckpointError", "EmptyInputError"]


def models_root() -> Path:
    return Path(os.environ.get(ENV_VAR) or PRETRAINED_DIR)


def model_names() -> list[str]:
    """Model folders under the models root, shipped variants in teaching order, others after."""
    return sorted(list_models(models_root()), key=_order)


def _order(name: str) -> tuple[int, str]:
    return (ORDER.index(name) if name in ORDER else len(ORDER), name)


_MODELS: dict[tuple[str, str], Translator] = {}
_MODEL_LOCKS: dict[tuple[str, str], threading.Lock] = {}
_LOCKS_LOCK = threading.Lock()
_WARMING: set[tuple[str, str]] = set()
_DRAWN_AHEAD: set[tuple[str, str]] = set()  # models some page was drawn for from a stored trace


def _load(name: str, root: str) -> Translator:
    """Load once per process; a second caller waits for the first instead of loading again.
    Failures are not kept: a repaired folder loads on the next try."""
    key = (name, root)
    with _LOCKS_LOCK:
        lock = _MODEL_LOCKS.setdefault(key, threading.Lock())
    with lock:
        if key not in _MODELS:
            from seq2seq_viz.checkpoints import load_model  # torch: see the module docstring

            _MODELS[key] = load_model(name, root=root)
        return _MODELS[key]


def get_translator(name: str) -> Translator:
    """The loaded model `name` (raises CheckpointError naming it when it cannot be loaded)."""
    return _load(name, str(models_root()))


def is_loaded(name: str) -> bool:
    return (name, str(models_root())) in _MODELS


def drawn_ahead(name: str) -> bool:
    """True while `name` is not loaded but a page showed its precomputed trace."""
    key = (name, str(models_root()))
    return key in _DRAWN_AHEAD and key not in _MODELS


WARM_UP_DELAY = 2.0  # seconds; see warm_up


def warm_up(name: str | None) -> None:
    """Load `name` and its tokenizer in a background thread, once per process, unless loaded.

    It starts `WARM_UP_DELAY` seconds after the page was sent: importing torch holds the GIL
    and a core for about 2 s, and started at once it slowed the server's delivery of the first
    page (bench/bench_cold_start.py: fully drawn at 6.6 s instead of 5.2 s). A user who acts
    sooner simply waits for the load, as without the warm-up. The thread is not a daemon: a
    daemon thread still inside torch when the interpreter exits aborts the process ("terminate
    called without an active exception", exit 134, seen at the end of a pytest run), so an exit
    waits for the load instead (at most the delay plus a few seconds)."""
    key = (name, str(models_root()))
    with _LOCKS_LOCK:
        if name is None or key in _MODELS or key in _WARMING:
            return
        _WARMING.add(key)
    timer = threading.Timer(WARM_UP_DELAY, _warm, args=key)
    # Explicitly not a daemon: a new thread inherits daemon=True from the script thread.
    timer.name, timer.daemon = f"warm-up {name}", False
    timer.start()


def _warm(name: str, root: str) -> None:
    try:
        translator = _load(name, root)
        translator.encode_text("warm up")  # spaCy's import and tokenizer for the source side
    except (CheckpointError, ValueError):
        pass  # the page that needs the model reports it


def model_error(name: str) -> str | None:
    """None when `name` loads, else the loader's message (it names the folder)."""
    try:
        get_translator(name)
    except CheckpointError as err:
        return str(err)
    return None


def device_name(name: str) -> str:
    return str(get_translator(name).device)


@st.cache_data(show_spinner=False, max_entries=64)
def _model_config(folder: str, mtime: float) -> ModelConfig | TransformerConfig:
    try:
        return model_config_from_dict(read_config(folder)["model"])
    except (KeyError, TypeError, ValueError) as err:
        raise CheckpointError(f"{folder}: bad model config ({err})") from err


def model_config(name: str) -> ModelConfig | TransformerConfig:
    """`name`'s architecture from its config.json (no torch; raises CheckpointError)."""
    return _model_config(*_config_file(name))


def _config_file(name: str) -> tuple[str, float]:
    """`name`'s folder and its config.json's mtime (the key of the caches that read it)."""
    folder = models_root() / name
    try:
        return str(folder), (folder / "config.json").stat().st_mtime
    except OSError as err:
        raise CheckpointError(f"{folder}: config.json is missing") from err


@st.cache_data(show_spinner=False, max_entries=256)
def _trace(
    name: str,
    root: str,
    text: str,
    decode: DecodeConfig,
    reference: str | None,
    prefix: tuple[str, ...],
) -> DecodeTrace:
    if reference is None and not prefix and (name, root) not in _MODELS:
        stored = precomputed.lookup(Path(root) / name, text, decode)
        if stored is not None:
            _DRAWN_AHEAD.add((name, root))
            return stored
    return _load(name, root).trace(text, decode, reference=reference, prefix=prefix)


@dataclass(frozen=True)
class TraceKey:
    """What identifies a trace (hashable: it keys the figure cache)."""

    model: str
    text: str
    decode: DecodeConfig
    reference: str | None = None
    prefix: tuple[str, ...] = ()


def get_trace(key: TraceKey) -> DecodeTrace:
    """The trace of `key`, cached: the one way views get a trace. Raises EmptyInputError for
    text without words, CheckpointError when the model cannot be loaded."""
    return _trace(key.model, str(models_root()), *_key_args(key))


def trace_json(key: TraceKey) -> str:
    """`get_trace(key)` as JSON, the download format (cached: a page shows it on every run)."""
    return _trace_json(key.model, str(models_root()), *_key_args(key))


def _key_args(key: TraceKey) -> tuple[str, DecodeConfig, str | None, tuple[str, ...]]:
    return key.text, key.decode, key.reference, tuple(key.prefix)


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


def hard_sample_keys(key: TraceKey, n: int) -> list[TraceKey]:
    """Keys of `n` traces of a hard-attention model sampling its positions (seeds 0..n-1); give
    `key` a reference (the output words) so their steps line up."""
    return [replace(key, decode=replace(key.decode, sample_hard=True, seed=k)) for k in range(n)]


@st.cache_data(show_spinner=False, max_entries=64)
def _cell_trace(name: str, root: str, text: str) -> CellTrace:
    from seq2seq_viz.cells import cell_trace  # torch: see the module docstring

    return cell_trace(_load(name, root), text)


def get_cell_trace(name: str, text: str) -> CellTrace:
    """The encoder of `name` replayed gate by gate over `text` (cached; raises
    EmptyInputError for text without words, CheckpointError)."""
    return _cell_trace(name, str(models_root()), text)


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


def load_measured(filename: str) -> dict[str, Any] | None:
    """A demonstration sentence picked by measurement (BOTTLENECK, VARIANTS: src, refs, ...);
    None when absent or malformed."""
    data = _optional_json(filename)
    ok = isinstance(data, dict) and isinstance(data.get("src"), str) and data.get("refs")
    return data if ok else None


def split_references(text: str) -> list[str]:
    """The references of a test-split example whose source is `text` ([] for any other)."""
    key = " ".join(text.split()).lower()
    for example in load_examples()["test"]:
        if " ".join(str(example["src"]).split()).lower() == key:
            return [str(r) for r in example.get("refs") or []]
    return []


@st.cache_data(show_spinner=False, max_entries=64)
def _card(folder: str, mtime: float) -> dict[str, Any]:
    config = read_config(folder)
    return {k: config.get(k) for k in ("model", "training", "data", "metrics")}


def model_card(name: str) -> dict[str, Any]:
    """The parts of a model's config.json a model card shows (raises CheckpointError)."""
    return _card(*_config_file(name))


def training_budget(name: str) -> tuple[Any, ...] | None:
    """What the model's training was given (`stages.training_budget`: minutes on a device, or
    epochs); None where its config says nothing or cannot be read."""
    try:
        return stages.training_budget(model_card(name).get("training") or {})
    except CheckpointError:
        return None


def budget_label(name: str) -> str:
    """The training budget in words ("6.8 min on GPU", "11 epochs", "until the validation loss
    made no progress for 2 epochs (at most 10) on CPU"), "?" where unknown."""

    def epochs(n: Any, device: str | None) -> str:
        return tr("cell.epochs_on", n=n, device=device) if device else tr("cell.epochs", n=n)

    return stages.budget_text(
        training_budget(name),
        minutes=lambda m, device: tr("cell.minutes", minutes=m, device=device or "?"),
        epochs=epochs,
        plateau=lambda n, patience, device: tr(
            "cell.plateau", n=n, patience=patience, device=device
        ),
        then=tr("cell.then"),
        unknown=tr("cell.epochs", n="?"),
    )


def is_toy(name: str) -> bool:
    """Toy tasks (reverse, dates) read other inputs than English sentences."""
    try:
        settings = (model_card(name).get("data") or {}).get("settings") or {}
    except CheckpointError:
        return name.startswith("toy-")
    return bool(settings.get("toy")) or name.startswith("toy-")


LAB_MODULES = ("attribute", "baselines", "fool", "index")


def lab(name: str) -> Any:
    """A module of the explanation lab (seq2seq_viz/explain/: attributions, baselines,
    fooling, the neighbour index), imported here on first use: they load torch and Captum,
    and the views reach the torch side through this module only."""
    if name not in LAB_MODULES:
        raise ValueError(f"no lab module {name!r}; choose one of {LAB_MODULES}")
    import importlib

    return importlib.import_module(f"seq2seq_viz.explain.{name}")
