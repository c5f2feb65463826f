"""Traces computed ahead of time by a model, for the app's first page.

Importing torch and spaCy and loading a model take most of a cold start (docs/benchmarks.md).
The opening sentence is always the same, so the
default model's trace of it is computed once, by that model, and stored next to its weights::

    python -m seq2seq_viz.precomputed pretrained/soft-dot [--examples pretrained/examples.json]

A stored trace is used only for exactly the same text and `DecodeConfig`, and only while the
weights file still has the hash it was computed with (so a retrained or damaged model never shows
stale numbers). tests/test_precomputed.py recomputes every stored trace and compares them, so a
change of the decoding code cannot leave them behind either. Nothing here imports torch.
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .checkpoints import CheckpointError, atomic_write_bytes, read_config, verified_weights
from .config import DecodeConfig
from .trace import DecodeTrace

FILE = "opening_traces.json.gz"
FORMAT = "seq2seq-viz-traces/1"


def write(folder: str | Path, translator: Any, texts: Sequence[str]) -> Path:
    """Trace each text with `translator` (the model saved in `folder`) under the default
    `DecodeConfig` and store the traces with the weights' hash; returns the file."""
    folder = Path(folder)
    config = read_config(folder)
    verified_weights(folder, config)  # the traces belong to exactly these weights
    decode = DecodeConfig()
    entries = [
        {
            "text": text,
            "decode": dataclasses.asdict(decode),
            "trace": translator.trace(text, decode).to_data(),
        }
        for text in texts
    ]
    data = {"format": FORMAT, "weights_sha256": config["weights_sha256"], "traces": entries}
    raw = json.dumps(data, ensure_ascii=False).encode("utf-8")
    atomic_write_bytes(folder / FILE, gzip.compress(raw, mtime=0))
    return folder / FILE


def entries(folder: str | Path) -> list[tuple[str, DecodeConfig, DecodeTrace]]:
    """The stored (text, config, trace) triples, or [] when there are none or they no longer
    match the weights. Never raises: a bad file only costs the app its shortcut."""
    folder = Path(folder)
    try:
        data = json.loads(gzip.decompress((folder / FILE).read_bytes()))
        config = read_config(folder)
        verified_weights(folder, config)
        if data.get("format") != FORMAT or data.get("weights_sha256") != config["weights_sha256"]:
            return []
        return [
            (e["text"], DecodeConfig(**e["decode"]), DecodeTrace.from_data(e["trace"]))
            for e in data["traces"]
        ]
    except (OSError, EOFError, ValueError, TypeError, KeyError, AttributeError, CheckpointError):
        return []


def lookup(folder: str | Path, text: str, decode: DecodeConfig) -> DecodeTrace | None:
    """The stored trace of exactly `text` under exactly `decode`, if there is one."""
    for stored_text, stored_decode, trace in entries(folder):
        if stored_text == text and stored_decode == decode:
            return trace
    return None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Store a model's traces of the opening sentences.")
    p.add_argument("folder", type=Path, help="model folder (model.safetensors + config.json)")
    p.add_argument(
        "--examples",
        type=Path,
        help="examples.json whose first teaching sentences to trace (default: beside the folder)",
    )
    p.add_argument("--count", type=int, default=1, help="how many teaching sentences (default 1)")
    args = p.parse_args(argv)
    from .checkpoints import load_model

    examples_path = args.examples or args.folder.parent / "examples.json"
    teaching = json.loads(examples_path.read_text(encoding="utf-8"))["teaching"]
    texts = [str(e["src"]) for e in teaching[: args.count]]
    path = write(args.folder, load_model(args.folder, device="cpu"), texts)
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KB, {len(texts)} traces)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
