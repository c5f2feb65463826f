"""Sentence-level scores that need no model (sacrebleu only, no torch): the lesson page and the
probe set read them without loading the evaluation's model code."""

from __future__ import annotations

import sacrebleu


def sentence_chrf(output: str, refs: tuple[str, ...] | list[str]) -> float:
    """sacrebleu's chrF of one output against all its references, lowercased (0..100)."""
    return round(sacrebleu.sentence_chrf(output.lower(), [r.lower() for r in refs]).score, 2)
