"""Data: parallel corpora, length filtering, source-grouped splits, batching.

Parallel text is a list of ``(src, tgt)`` string pairs. A language direction is chosen by the
caller (``reverse=True`` on the readers, or `swap`).

Splits group pairs by their *distinct source sentence* (normalised, lowercased), so every
translation of one source lands in the same split: no source sentence leaks from train into
valid/test, and valid/test become multi-reference sets (`group_references`).

Toy tasks with a known alignment, and the alignment error rate, live in `seq2seq_viz.toy`.
"""

from __future__ import annotations

import gzip
import hashlib
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seq2seq_viz.text import _nlp, normalize

Pair = tuple[str, str]


# ---------------------------------------------------------------------------------- reading
def _open_text(path: str | Path):
    path = Path(path)
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", newline="\n")
    return path.open("r", encoding="utf-8", newline="\n")


def _read_lines(path: str | Path) -> list[str]:
    with _open_text(path) as f:
        return [line.rstrip("\r\n") for line in f]


def swap(pairs: Iterable[Pair]) -> list[Pair]:
    """Exchange source and target: the other translation direction."""
    return [(tgt, src) for src, tgt in pairs]


def read_parallel(
    path: str | Path, src_col: int = 0, tgt_col: int = 1, reverse: bool = False
) -> list[Pair]:
    """Read a tab-separated parallel file (``.gz`` or plain UTF-8); skip lines lacking a column."""
    need = max(src_col, tgt_col) + 1
    pairs = []
    for line in _read_lines(path):
        fields = line.split("\t")
        if len(fields) >= max(need, 2):
            pairs.append((fields[src_col], fields[tgt_col]))
    return swap(pairs) if reverse else pairs


def read_aligned(src_path: str | Path, tgt_path: str | Path, reverse: bool = False) -> list[Pair]:
    """Read two line-aligned files (Multi30k style); line ``k`` of one translates line ``k``."""
    src, tgt = _read_lines(src_path), _read_lines(tgt_path)
    if len(src) != len(tgt):
        raise ValueError(
            f"line counts differ: {src_path} has {len(src)} lines, {tgt_path} has {len(tgt)}"
        )
    pairs = list(zip(src, tgt))
    return swap(pairs) if reverse else pairs


# ----------------------------------------------------------------------- tokenize and filter
def tokenize_many(
    texts: Sequence[str], lang: str, lowercase: bool = False, batch_size: int = 1000
) -> list[list[str]]:
    """`text.tokenize` for many texts at once (spaCy's ``tokenizer.pipe``); identical output."""
    normed = [normalize(t, lowercase) for t in texts]
    nonempty = [t for t in normed if t]
    docs = iter(_nlp(lang).tokenizer.pipe(nonempty, batch_size=batch_size))
    return [[tok.text for tok in next(docs) if not tok.is_space] if t else [] for t in normed]


@dataclass(frozen=True)
class TokenizedPair:
    """One sentence pair: the raw texts and their tokens (normalised, maybe lowercased)."""

    src_text: str
    tgt_text: str
    src: tuple[str, ...]
    tgt: tuple[str, ...]


@dataclass(frozen=True)
class FilterStats:
    """What the length filter did; ``coverage`` is the fraction of pairs kept."""

    total: int
    kept: int
    dropped_empty: int
    dropped_long: int
    max_len: int

    @property
    def coverage(self) -> float:
        return self.kept / self.total if self.total else 0.0


def tokenize_pairs(
    pairs: Sequence[Pair], src_lang: str, tgt_lang: str, lowercase: bool
) -> list[TokenizedPair]:
    """Tokenize both sides of every pair."""
    src_toks = tokenize_many([s for s, _ in pairs], src_lang, lowercase)
    tgt_toks = tokenize_many([t for _, t in pairs], tgt_lang, lowercase)
    return [
        TokenizedPair(s, t, tuple(a), tuple(b)) for (s, t), a, b in zip(pairs, src_toks, tgt_toks)
    ]


def filter_by_length(
    pairs: Sequence[TokenizedPair], max_len: int
) -> tuple[list[TokenizedPair], FilterStats]:
    """Keep pairs whose two sides both have 1..max_len tokens."""
    empty = sum(1 for p in pairs if not p.src or not p.tgt)
    kept = [p for p in pairs if 1 <= len(p.src) <= max_len and 1 <= len(p.tgt) <= max_len]
    stats = FilterStats(len(pairs), len(kept), empty, len(pairs) - len(kept) - empty, max_len)
    return kept, stats


def prepare_pairs(
    pairs: Sequence[Pair], src_lang: str, tgt_lang: str, lowercase: bool, max_len: int
) -> tuple[list[TokenizedPair], FilterStats]:
    """Tokenize, then keep pairs where both sides have 1..max_len tokens."""
    return filter_by_length(tokenize_pairs(pairs, src_lang, tgt_lang, lowercase), max_len)


def length_coverage(token_lengths: Sequence[int], fraction: float = 0.95) -> int:
    """Smallest ``L`` such that at least ``fraction`` of the lengths are ``<= L``."""
    if not token_lengths:
        raise ValueError("no lengths given")
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    ordered = sorted(token_lengths)
    k = max(1, int(np.ceil(fraction * len(ordered) - 1e-9)))  # how many must be covered
    return int(ordered[k - 1])


# ---------------------------------------------------------------------------------- splits
@dataclass(frozen=True)
class Split:
    """Train / valid / test pairs; no source sentence appears in two of them."""

    train: list
    valid: list
    test: list


def source_key(src: str | Sequence[str]) -> str:
    """The grouping key of a source: normalised lowercased text (tokens joined by spaces)."""
    text = src if isinstance(src, str) else " ".join(src)
    return normalize(text, lowercase=True)


def _src_of(pair) -> str | Sequence[str]:
    return pair.src_text if isinstance(pair, TokenizedPair) else pair[0]


def _tgt_of(pair) -> str | Sequence[str]:
    return pair.tgt_text if isinstance(pair, TokenizedPair) else pair[1]


def split_by_source(pairs: Sequence, n_valid: int, n_test: int, seed: int) -> Split:
    """Split pairs by distinct source: ``n_valid``/``n_test`` count *sources*, not pairs.

    Works on ``(src, tgt)`` tuples (strings or token lists) and on `TokenizedPair`. Within each
    split the corpus order is kept.
    """
    keys = sorted({source_key(_src_of(p)) for p in pairs})
    if n_valid < 0 or n_test < 0 or n_valid + n_test > len(keys):
        raise ValueError(f"cannot take {n_valid} + {n_test} sources out of {len(keys)}")
    random.Random(seed).shuffle(keys)
    part = {k: "test" for k in keys[:n_test]}
    part.update({k: "valid" for k in keys[n_test : n_test + n_valid]})
    out: dict[str, list] = {"train": [], "valid": [], "test": []}
    for p in pairs:
        out[part.get(source_key(_src_of(p)), "train")].append(p)
    return Split(**out)


def group_references(pairs: Sequence) -> list[tuple]:
    """``[(src, [tgt, ...]), ...]``: one entry per distinct source, in order of first use."""
    groups: dict[str, tuple] = {}
    for p in pairs:
        key = source_key(_src_of(p))
        if key not in groups:
            groups[key] = (_src_of(p), [])
        groups[key][1].append(_tgt_of(p))
    return list(groups.values())


def _pair_line(pair) -> str:
    src, tgt = _src_of(pair), _tgt_of(pair)
    src = src if isinstance(src, str) else " ".join(src)
    tgt = tgt if isinstance(tgt, str) else " ".join(tgt)
    return f"{src}\t{tgt}\n"


def split_hashes(split: Split) -> dict[str, str]:
    """sha256 of each split's sorted ``src<TAB>tgt`` lines (record these with a model)."""
    return {
        name: hashlib.sha256("".join(sorted(map(_pair_line, part))).encode("utf-8")).hexdigest()
        for name, part in (("train", split.train), ("valid", split.valid), ("test", split.test))
    }


# -------------------------------------------------------------------------------- batching
def bucket_batches(
    lengths: Sequence[int], batch_size: int, seed: int, shuffle: bool = True, pool: int = 50
) -> list[list[int]]:
    """Batches of indices with similar lengths; every index exactly once, fixed by `seed`.

    With `shuffle`, indices are shuffled, cut into pools of ``pool * batch_size``, sorted by
    length inside each pool and cut into batches, and the batch order is shuffled. Without
    it, all indices are sorted by length (stable) and batched in that order.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    order = list(range(len(lengths)))
    rng = random.Random(seed)
    if shuffle:
        rng.shuffle(order)
    size = pool * batch_size if shuffle else max(1, len(order))
    batches = []
    for start in range(0, len(order), size):
        chunk = sorted(order[start : start + size], key=lambda i: lengths[i])
        batches += [chunk[k : k + batch_size] for k in range(0, len(chunk), batch_size)]
    if shuffle:
        rng.shuffle(batches)
    return batches
