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


@pytest.fixture
def translator_factory():
    return make_translator


torch.set_num_threads(1)  # tiny tensors: threads only add overhead (and CI machines are shared)
