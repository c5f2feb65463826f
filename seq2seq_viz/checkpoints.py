"""Model folders: ``model.safetensors`` (weights, no pickle) + ``config.json`` (architecture,
vocabularies, training provenance, metrics, and the sha256 of the weights file).

Loading checks the JSON, the weights' hash, and every tensor's name and shape before use, and
raises `CheckpointError` naming the folder and what is wrong.

Listing folders, reading configs and hashing files need no torch: the app's first page is drawn
from them (and a precomputed trace) while torch is still being imported, so torch, safetensors'
torch API and the model code are imported inside the functions that build or save a model.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

    from .decode import Translator

FORMAT = "seq2seq-viz/1"
WEIGHTS, CONFIG = "model.safetensors", "config.json"
PRETRAINED_DIR = Path(__file__).resolve().parent.parent / "pretrained"
# The best soft global-attention model on the test split (pretrained/README.md): soft-dot, BLEU
# 34.25 beam 5 (soft-concat 33.75, soft-general 33.33); it also passes tests/test_pretrained.py's
# known sentences, which soft-concat misses ("I am cold." -> "je suis <unk>.").
DEFAULT_MODEL = "soft-dot"


class CheckpointError(RuntimeError):
    """A model folder is missing, unreadable, tampered with or does not match its config."""


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write via a temporary file in the same folder + rename: never a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def save_model(
    folder: str | Path,
    translator: Translator,
    meta: dict[str, Any] | None = None,
    half: bool = True,
) -> Path:
    """Save weights (fp16 by default) and config.json; returns the folder."""
    from safetensors.torch import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    state = {
        k: (v.half() if half and v.is_floating_point() else v).detach().cpu().contiguous()
        for k, v in translator.model.state_dict().items()
    }
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    os.close(fd)
    save_file(state, tmp, metadata={"format": FORMAT})
    os.replace(tmp, folder / WEIGHTS)
    config = {
        **(meta or {}),
        "format": FORMAT,
        "model": translator.config.to_dict(),
        "src_vocab": translator.src_vocab.to_json(),
        "tgt_vocab": translator.tgt_vocab.to_json(),
        "weights_sha256": sha256_file(folder / WEIGHTS),
    }
    text = json.dumps(config, ensure_ascii=False, indent=1)
    atomic_write_bytes(folder / CONFIG, text.encode("utf-8"))
    return folder


def read_config(folder: str | Path) -> dict[str, Any]:
    path = Path(folder) / CONFIG
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise CheckpointError(f"{folder}: {CONFIG} is missing") from err
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise CheckpointError(f"{folder}: {CONFIG} is not valid JSON ({err})") from err
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise CheckpointError(f"{folder}: {CONFIG} is not a {FORMAT} model config")
    return config


def load_model(
    name_or_path: str | Path,
    device: torch.device | str | None = None,
    root: str | Path | None = None,
) -> Translator:
    """Load a model folder, or a pretrained model by name from `root` (default pretrained/)."""
    from .config import model_config_from_dict
    from .decode import Translator
    from .model import build_model, pick_device
    from .text import Vocab

    folder = resolve(name_or_path, root)
    config = read_config(folder)
    try:
        cfg = model_config_from_dict(config["model"])
        src_vocab = Vocab.from_json(config["src_vocab"])
        tgt_vocab = Vocab.from_json(config["tgt_vocab"])
    except (KeyError, TypeError, ValueError) as err:
        raise CheckpointError(f"{folder}: bad model config ({err})") from err
    if (len(src_vocab), len(tgt_vocab)) != (cfg.src_vocab_size, cfg.tgt_vocab_size):
        raise CheckpointError(f"{folder}: vocabulary sizes do not match the model config")
    device = pick_device(str(device) if device else None)
    model = build_model(cfg)
    model.load_state_dict(_load_weights(folder, config, model.state_dict()))
    model.to(device).eval()
    return Translator(model, src_vocab, tgt_vocab, Path(folder).name, config)


def _load_weights(
    folder: Path, config: dict[str, Any], expected: dict[str, torch.Tensor]
) -> dict[str, torch.Tensor]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = verified_weights(folder, config)
    try:
        state = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as err:
        raise CheckpointError(f"{folder}: cannot read {WEIGHTS} ({err})") from err
    if set(state) != set(expected):
        missing, extra = set(expected) - set(state), set(state) - set(expected)
        raise CheckpointError(
            f"{folder}: weights do not fit the architecture "
            f"(missing {sorted(missing)[:3]}, unexpected {sorted(extra)[:3]})"
        )
    for key, tensor in state.items():
        if tensor.shape != expected[key].shape:
            raise CheckpointError(
                f"{folder}: {key} has shape {tuple(tensor.shape)}, the config "
                f"needs {tuple(expected[key].shape)}"
            )
    return {k: v.to(expected[k].dtype) for k, v in state.items()}


def verified_weights(folder: Path, config: dict[str, Any]) -> Path:
    """The weights file, after checking it exists and matches the hash recorded in `config`."""
    path = Path(folder) / WEIGHTS
    if not path.is_file():
        raise CheckpointError(f"{folder}: {WEIGHTS} is missing")
    if config.get("weights_sha256") != sha256_file(path):
        raise CheckpointError(
            f"{folder}: {WEIGHTS} does not match the hash in {CONFIG} "
            "(truncated, corrupt or replaced)"
        )
    return path


def resolve(name_or_path: str | Path, root: str | Path | None = None) -> Path:
    path = Path(name_or_path)
    if path.is_dir():
        return path
    candidate = Path(root or PRETRAINED_DIR) / str(name_or_path)
    if candidate.is_dir():
        return candidate
    raise CheckpointError(f"no model folder named {str(name_or_path)!r}")


def list_models(root: str | Path | None = None) -> list[str]:
    """Names of the folders under `root` that look like models (have a config.json)."""
    base = Path(root or PRETRAINED_DIR)
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if (p / CONFIG).is_file())
