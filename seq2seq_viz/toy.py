"""Toy tasks with a known alignment, and the alignment error rate that scores attention on them.

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
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np


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


SMALL_ALPHABET = tuple("abcd")


def make_small_reversal(n: int, seed: int) -> list[ToyExample]:
    """Reversal of 3 to 5 symbols out of four: small enough for a model of hidden size 4-6,
    whose every number a student can check by hand."""
    return make_reversal(n, seed, min_len=3, max_len=5, alphabet=SMALL_ALPHABET)


TOY_TASKS: dict[str, Callable[..., list[ToyExample]]] = {
    "reverse": make_reversal,
    "reverse-small": make_small_reversal,
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
