"""Shared fixtures: tiny seeded models and vocabularies (no files from ../shared, no network)."""

from __future__ import annotations

import pytest
import torch

from seq2seq_viz.config import ModelConfig
from seq2seq_viz.decode import Translator
from seq2seq_viz.model import build_model
from seq2seq_viz.text import Vocab

SRC_WORDS = ["i", "am", "cold", ".", "you", "are", "happy", "the", "cat", "sleeps"]
TGT_WORDS = ["j'", "ai", "froid", ".", "tu", "es", "heureux", "le", "chat", "dort"]


def tiny_vocabs() -> tuple[Vocab, Vocab]:
    return Vocab.build([SRC_WORDS], min_freq=1), Vocab.build([TGT_WORDS], min_freq=1)


def make_translator(seed: int = 0, **overrides) -> Translator:
    src, tgt = tiny_vocabs()
    kwargs = dict(
        src_vocab_size=len(src),
        tgt_vocab_size=len(tgt),
        emb_dim=8,
        hidden_dim=12,
        dropout=0.0,
        self_attn_heads=3,
    )
    kwargs.update(overrides)
    torch.manual_seed(seed)
    model = build_model(ModelConfig(**kwargs)).eval()
    return Translator(model, src, tgt, name=f"tiny-{kwargs.get('align', 'global')}")


@pytest.fixture(scope="session")
def toy_model_dir(tmp_path_factory):
    """A sequence-reversal model trained for a few seconds by the real command line."""
    from seq2seq_viz.train import main

    root = tmp_path_factory.mktemp("toy")
    args = "--toy reverse --toy-size 3000 --emb 32 --hidden 64 --score dot --epochs 4 "
    args += "--batch-size 32 --lr 5e-3 --threads 1 --quiet"
    out = root / "toy-reverse"
    assert main([*args.split(), "--out", str(out), "--run-dir", str(root / "run")]) == 0
    return out


torch.set_num_threads(1)  # tiny tensors: threads only add overhead (and CI machines are shared)
