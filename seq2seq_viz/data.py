"""Data: parallel corpora, length filtering, source-grouped splits, toy tasks, batching.

Parallel text is a list of ``(src, tgt)`` string pairs. A language direction is chosen by the
caller (``reverse=True`` on the readers, or `swap`).

Splits group pairs by their *distinct source sentence* (normalised, lowercased), so every
translation of one source lands in the same split: no source sentence leaks from train into
valid/test, and valid/test become multi-reference sets (`group_references`).

Toy tasks (`TOY_TASKS`) come from a seed and know their true alignment: ``alignment[j]`` lists
the source positions that target position ``j`` should attend to. `alignment_error_rate`
compares attention weights with it (Och & Ney 2003, with sure = possible = gold links)::

    A = {(j, argmax_i w[j, i])}   G = {(j, i) : i in gold[j]}   (only j with gold[j] non-empty)
    AER = 1 - 2 |A & G| / (|A| + |G|)

which is 1 - F1 of the predicted links. A prediction makes one link per target position, so a
position with several gold links caps the achievable score below AER = 0.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import random
import re
from collections.abc import Callable, Iterable, Sequence
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


# ------------------------------------------------------------------------------- toy tasks
@dataclass(frozen=True)
class ToyExample:
    """Source and target tokens with the gold alignment (source positions per target step)."""

    src: list[str]
    tgt: list[str]
    alignment: list[list[int]]


REVERSAL_ALPHABET = tuple("abcdefghijklmnopqrst")


def make_reversal(
    n: int,
    seed: int,
    min_len: int = 3,
    max_len: int = 10,
    alphabet: Sequence[str] = REVERSAL_ALPHABET,
) -> list[ToyExample]:
    """Reverse a random token sequence: target position j aligns to source position S-1-j."""
    rng = random.Random(seed)
    examples = []
    for _ in range(n):
        src = [rng.choice(alphabet) for _ in range(rng.randint(min_len, max_len))]
        size = len(src)
        examples.append(ToyExample(src, src[::-1], [[size - 1 - j] for j in range(size)]))
    return examples


# Dates are written from templates. A placeholder's first letter names the field it carries:
# D day, M month, Y year, W weekday (aligned to nothing). Slashes are US order (month/day/year),
# dots European order (day.month.year). A two-digit year YY reads as 19YY when YY >= 50 and
# 20YY otherwise: the window 1950-2049 is exactly the sampled range, so each YY has one reading.
MIN_YEAR, MAX_YEAR = 1950, 2049
DATE_FORMATS = (
    "{D} {Month} {YYYY}",
    "{Month} {D}, {YYYY}",
    "{MM}/{DD}/{YYYY}",
    "{D}.{M}.{YY}",
    "{Weekday}, {Month} {Dth} {YYYY}",
    "{YYYY} {mon} {DD}",
    "{DD}-{Mon}-{YYYY}",
    "the {Dth} of {Month}, {YYYY}",
)
_DATE_TOKEN = re.compile(r"\d+(?:st|nd|rd|th)|\d+|[^\W\d_]+|[^\w\s]")
_PLACEHOLDER = re.compile(r"(\{\w+\})")
# English names spelled out here: strftime("%B") would follow the process locale.
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")  # fmt: skip
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def expand_year(yy: int) -> int:
    """The four-digit year of a two-digit year (window 1950-2049)."""
    return 1900 + yy if yy >= 50 else 2000 + yy


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _fill(name: str, d: dt.date) -> str:
    month = MONTHS[d.month - 1]
    return {
        "D": str(d.day), "DD": f"{d.day:02d}", "Dth": _ordinal(d.day),
        "M": str(d.month), "MM": f"{d.month:02d}", "Month": month, "Mon": month[:3],
        "mon": month[:3].lower(), "YYYY": str(d.year), "YY": f"{d.year % 100:02d}",
        "Weekday": WEEKDAYS[d.weekday()],
    }[name]  # fmt: skip


def tokenize_date(text: str) -> list[str]:
    """Split a date into numbers (with any ordinal suffix), words and punctuation marks."""
    return _DATE_TOKEN.findall(text)


def date_example(d: dt.date, fmt: str) -> tuple[str, ToyExample]:
    """Write `d` with template `fmt`; return the text and its example (ISO characters as target)."""
    text, src = "", []
    where: dict[str, list[int]] = {"d": [], "m": [], "y": []}
    for part in _PLACEHOLDER.split(fmt):
        field = part[1].lower() if part.startswith("{") else ""
        written = _fill(part[1:-1], d) if field else part
        for tok in tokenize_date(written):
            where.get(field, []).append(len(src))
            src.append(tok)
        text += written
    alignment = [list(where.get(f, [])) for f in "yyyy-mm-dd"]  # "-" aligns to nothing
    return text, ToyExample(src, list(d.isoformat()), alignment)


def make_dates(n: int, seed: int) -> list[ToyExample]:
    """Random valid dates in 1950-2049 written in one of `DATE_FORMATS`; target is ISO 8601."""
    rng = random.Random(seed)
    lo, hi = dt.date(MIN_YEAR, 1, 1).toordinal(), dt.date(MAX_YEAR, 12, 31).toordinal()
    dates = [(dt.date.fromordinal(rng.randint(lo, hi)), rng.choice(DATE_FORMATS)) for _ in range(n)]
    return [date_example(d, fmt)[1] for d, fmt in dates]


TOY_TASKS: dict[str, Callable[..., list[ToyExample]]] = {
    "reverse": make_reversal,
    "dates": make_dates,
}


# ------------------------------------------------------------------------ alignment error
def alignment_counts(
    pred_weights: np.ndarray, gold: Sequence[Sequence[int]]
) -> tuple[int, int, int]:
    """``(|A & G|, |A|, |G|)`` for one sentence; rows past ``len(gold)`` (e.g. <eos>) ignored."""
    weights = np.asarray(pred_weights)
    if weights.ndim != 2 or weights.shape[0] < len(gold):
        raise ValueError(f"weights must be (T, S) with T >= {len(gold)}, got {weights.shape}")
    rows = [j for j, links in enumerate(gold) if links]
    predicted = weights[rows].argmax(axis=1) if rows else np.zeros(0, dtype=int)
    hits = sum(int(i in gold[j]) for j, i in zip(rows, predicted.tolist()))
    return hits, len(rows), sum(len(set(gold[j])) for j in rows)


def alignment_error_rate(pred_weights: np.ndarray, gold: Sequence[Sequence[int]]) -> float:
    """AER = 1 - 2|A&G| / (|A|+|G|) with argmax links A (see module docstring); nan if no gold."""
    return corpus_alignment_error_rate([pred_weights], [gold])


def corpus_alignment_error_rate(
    preds: Sequence[np.ndarray], golds: Sequence[Sequence[Sequence[int]]]
) -> float:
    """AER over many sentences, from summed link counts (not an average of sentence AERs)."""
    counts = np.array([alignment_counts(p, g) for p, g in zip(preds, golds, strict=True)])
    hits, n_pred, n_gold = counts.sum(axis=0) if len(counts) else (0, 0, 0)
    return float("nan") if n_pred + n_gold == 0 else 1.0 - 2.0 * hits / (n_pred + n_gold)


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
