"""A models folder of tiny seeded models for tests that run the whole app (AppTest, Chromium).

One tiny model per attention variant the app compares, saved with the real checkpoint code
(safetensors + config.json), plus ``examples.json`` and ``results.json`` like the evaluation
writes, so every page has something to show. Nothing here reads ../shared or the network, and
building the folder takes well under a second.

Checkpoint faults (missing or truncated weights, wrong shapes, bad JSON, code in a config) are
made by :func:`add_broken_models`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from safetensors.torch import load_file, save_file

from seq2seq_viz.checkpoints import CONFIG, WEIGHTS, save_model, sha256_file
from seq2seq_viz.config import DecodeConfig
from tests.conftest import make_translator

TEXT = "the cat sleeps ."
DEFAULT_TEXT = "the black cat is sleeping ."  # the app's sentence on first start
STEPS = range(3, 13)  # seeds are picked so the default sentence takes 3..12 decoder steps
VARIANTS: dict[str, dict] = {
    "soft-general": {},
    "soft-dot": {"score": "dot"},
    "none": {"align": "none"},
    "local-m": {"align": "local-m"},
    "local-p": {"align": "local-p"},
    "hard": {"align": "hard"},
    "self-attn": {"self_attn": True},
}
# Marker written by a config.json that tries to run code: if it ever exists, the code ran.
PWNED_FILE = "PWNED"


def build_models_folder(root: Path, variants: dict[str, dict] | None = None) -> Path:
    """Save one tiny model per variant under `root` with results.json and examples.json."""
    root.mkdir(parents=True, exist_ok=True)
    variants = VARIANTS if variants is None else variants
    for name, overrides in variants.items():
        translator = make_translator(seed=pick_seed(overrides), **overrides)
        save_model(root / name, translator, _meta(name))
    _write_json(root / "results.json", fake_results(list(variants)))
    _write_json(root / "examples.json", fake_examples())
    return root


def pick_seed(overrides: dict, tries: int = 60) -> int:
    """The first seed whose random model translates the default sentence in 3..12 steps (a
    random model often never emits <eos>; 30 steps of noise make slow, unreadable pages)."""
    for seed in range(1, tries + 1):
        trace = make_translator(seed=seed, **overrides).trace(DEFAULT_TEXT, DecodeConfig())
        if trace.n_steps in STEPS:
            return seed
    return 1


def _meta(name: str) -> dict:
    return {
        "training": {
            "command": f"python -m seq2seq_viz.train --out pretrained/{name}",
            "seconds": 42.0,
            "tokens_per_second": 1000,
            "epochs_run": 1,
            "device": "cpu",
        }
    }


def _write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def rule_record(ran: int, best: int, lr: float = 1e-3, **config: object) -> dict:
    """A training record of `ran` epochs (validation loss 1.0, rate `lr`) whose best epoch is
    `best`, under the plateau rule (10 epochs, patience 2, rate halved, floor 1e-5) unless
    `config` says otherwise."""
    history = [{"epoch": e + 1, "valid_nll": 1.0, "lr": lr} for e in range(ran)]
    conf = {"epochs": 10, "patience": 2, "lr_decay": 0.5, "min_lr": 1e-5, **config}
    return {"epochs_run": ran, "best_epoch": best, "history": history, "config": conf}


def fake_results(names: list[str]) -> dict:
    """A results.json with made-up scores for `names` (the app only displays them)."""
    buckets = [{"bucket": "1-5", "bleu": 30.0, "n": 10}, {"bucket": "6-10", "bleu": 20.0, "n": 8}]
    rows = {
        name: {
            "bleu_greedy": 20.0 - i,
            "bleu_beam5": 21.0 - i,
            "chrf_greedy": 40.0,
            "ppl": 9.5,
            "entropy": 0.5 + i / 10,
            "n_test": 18,
            "bleu_by_length": buckets,
        }
        for i, name in enumerate(names)
    }
    return {"models": rows, "attribution": "Tatoeba, CC BY 2.0"}


def fake_examples() -> dict:
    return {
        "test": [{"src": "you are happy .", "refs": ["tu es heureux ."]}],
        "teaching": [{"src": TEXT, "note_en": "a note", "note_ko": "메모"}],
    }


# --- checkpoint faults -------------------------------------------------------------------------


def _missing_weights(folder: Path) -> None:
    (folder / WEIGHTS).unlink()


def _truncated_weights(folder: Path) -> None:
    data = (folder / WEIGHTS).read_bytes()
    (folder / WEIGHTS).write_bytes(data[: len(data) // 2])


def _truncated_rehashed(folder: Path) -> None:
    """Half a weights file whose hash was updated to match: the safetensors reader must fail."""
    _truncated_weights(folder)
    _rehash(folder)


def _wrong_shapes(folder: Path) -> None:
    """Weights of a bigger model under the same names, with a matching hash: only the shape
    check can catch them."""
    state = load_file(str(folder / WEIGHTS))
    grown = {k: v.repeat(*([2] + [1] * (v.dim() - 1))) if v.dim() else v for k, v in state.items()}
    save_file(grown, str(folder / WEIGHTS), metadata={"format": "seq2seq-viz/1"})
    _rehash(folder)


def _bad_json(folder: Path) -> None:
    (folder / CONFIG).write_text("{ not json", encoding="utf-8")


def _code_in_config(folder: Path) -> None:
    """A config.json whose values are Python that would leave a marker file if evaluated."""
    marker = str((folder / PWNED_FILE).resolve())
    payload = f"__import__('pathlib').Path({marker!r}).write_text('ran')"
    config = json.loads((folder / CONFIG).read_text(encoding="utf-8"))
    config["model"]["cell"] = payload
    config["model"]["hidden_dim"] = payload
    config["src_vocab"] = payload
    (folder / CONFIG).write_text(json.dumps(config), encoding="utf-8")


def _rehash(folder: Path) -> None:
    config = json.loads((folder / CONFIG).read_text(encoding="utf-8"))
    config["weights_sha256"] = sha256_file(folder / WEIGHTS)
    (folder / CONFIG).write_text(json.dumps(config), encoding="utf-8")


FAULTS: dict[str, Callable[[Path], None]] = {
    "broken-missing-weights": _missing_weights,
    "broken-truncated": _truncated_weights,
    "broken-truncated-rehashed": _truncated_rehashed,
    "broken-shapes": _wrong_shapes,
    "broken-json": _bad_json,
    "broken-code": _code_in_config,
}


def add_broken_models(root: Path, faults: dict[str, Callable[[Path], None]] | None = None) -> list:
    """Save a good tiny model under each fault's name, then damage it; returns the names."""
    faults = FAULTS if faults is None else faults
    for name, damage in faults.items():
        save_model(root / name, make_translator(seed=99))
        damage(root / name)
    return list(faults)
