"""Tests for seq2seq_viz.data (reading, tokenizing, splits, batching) and seq2seq_viz.toy
(toy tasks, AER)."""

from __future__ import annotations

import datetime as dt
import gzip
import re
from collections import Counter

import numpy as np
import pytest

from seq2seq_viz import data, toy
from seq2seq_viz.text import tokenize

LINES = ["Run!\tCours !", "Run!\tCourez !", "bad line", "Hello.\tBonjour.\tattribution", ""]


def _write(path, lines: list[str]) -> None:
    text = "".join(line + "\n" for line in lines)
    if path.suffix == ".gz":
        with gzip.open(path, "wt", encoding="utf-8") as f:
            f.write(text)
    else:
        path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize("name", ["pairs.txt", "pairs.txt.gz"])
def test_read_parallel_plain_and_gzip(tmp_path, name):
    path = tmp_path / name
    _write(path, LINES)
    expected = [("Run!", "Cours !"), ("Run!", "Courez !"), ("Hello.", "Bonjour.")]
    assert data.read_parallel(path) == expected
    assert data.read_parallel(path, reverse=True) == data.swap(expected)
    assert data.read_parallel(path, src_col=1, tgt_col=2) == [("Bonjour.", "attribution")]


def test_read_aligned(tmp_path):
    _write(tmp_path / "a.en.gz", ["A dog.", "Two cats."])
    _write(tmp_path / "a.fr", ["Un chien.", "Deux chats."])
    pairs = data.read_aligned(tmp_path / "a.en.gz", tmp_path / "a.fr")
    assert pairs == [("A dog.", "Un chien."), ("Two cats.", "Deux chats.")]
    _write(tmp_path / "b.fr", ["Un chien."])
    with pytest.raises(ValueError, match="line counts differ"):
        data.read_aligned(tmp_path / "a.en.gz", tmp_path / "b.fr")


TEXTS = [
    "Don't stop!",
    "  Il est l\u2019heure\u00a0: «\u00a0viens\u00a0» ",
    "",
    "C'est-\u00e0-dire 3,5 km.",
    "Aujourd'hui, qu'est-ce que tu fais ?",
    "e-mail: a@b.fr\t(http://x.fr)",
]


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("lowercase", [False, True])
def test_tokenize_many_equals_tokenize(lang, lowercase):
    expected = [tokenize(t, lang, lowercase) for t in TEXTS]
    assert data.tokenize_many(TEXTS, lang, lowercase, batch_size=2) == expected


def test_prepare_pairs_filters_by_length():
    pairs = [("a b c", "x y"), ("a", ""), ("a b c d e", "x"), ("hi", "salut")]
    kept, stats = data.prepare_pairs(pairs, "en", "fr", lowercase=True, max_len=3)
    assert [p.src for p in kept] == [("a", "b", "c"), ("hi",)]
    assert (stats.total, stats.kept, stats.dropped_empty, stats.dropped_long) == (4, 2, 1, 1)
    assert stats.coverage == 0.5


def test_length_coverage():
    lengths = list(range(1, 101))
    assert data.length_coverage(lengths, 0.95) == 95
    assert data.length_coverage(lengths, 1.0) == 100
    assert data.length_coverage([7], 0.5) == 7
    assert data.length_coverage([3, 1, 2, 10], 0.75) == 3


def _corpus() -> list[tuple[str, str]]:
    pairs = []
    for i in range(60):
        for k in range(1 + i % 3):  # 1 to 3 translations per source
            src = f"Sentence {i}." if k != 1 else f"  sentence {i}. "  # same source, other form
            pairs.append((src, f"Phrase {i} v{k}."))
    return pairs


def _sources(pairs) -> set[str]:
    return {data.source_key(s) for s, _ in pairs}


def test_split_groups_by_source():
    pairs = _corpus()
    split = data.split_by_source(pairs, n_valid=10, n_test=12, seed=0)
    train, valid, test = map(_sources, (split.train, split.valid, split.test))
    assert (len(valid), len(test), len(train)) == (10, 12, 38)
    assert not (train & valid or train & test or valid & test)
    assert sorted(split.train + split.valid + split.test) == sorted(pairs)
    per_source = Counter(data.source_key(s) for s, _ in pairs)
    for src, refs in data.group_references(split.test):
        assert len(refs) == per_source[data.source_key(src)]


def test_split_is_deterministic_and_hashed():
    pairs = _corpus()
    a = data.split_by_source(pairs, 10, 12, seed=0)
    b = data.split_by_source(list(reversed(pairs)), 10, 12, seed=0)
    c = data.split_by_source(pairs, 10, 12, seed=1)
    assert _sources(a.test) == _sources(b.test)
    assert data.split_hashes(a) == data.split_hashes(b)  # order of the corpus does not matter
    assert _sources(a.test) != _sources(c.test)
    assert data.split_hashes(a)["test"] != data.split_hashes(c)["test"]
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in data.split_hashes(a).values())
    with pytest.raises(ValueError):
        data.split_by_source(pairs, 50, 50, seed=0)


def test_group_references_keeps_first_order():
    pairs = [("A.", "x"), ("B.", "y"), ("a.", "z")]
    assert data.group_references(pairs) == [("A.", ["x", "z"]), ("B.", ["y"])]


@pytest.mark.parametrize("name", sorted(toy.TOY_TASKS))
def test_toy_tasks_are_deterministic(name):
    make = toy.TOY_TASKS[name]
    assert make(50, seed=3) == make(50, seed=3)
    assert make(50, seed=3) != make(50, seed=4)
    for ex in make(50, seed=3):
        assert len(ex.alignment) == len(ex.tgt)
        assert all(0 <= i < len(ex.src) for links in ex.alignment for i in links)


def test_reversal_alignment():
    for ex in toy.make_reversal(100, seed=0, min_len=2, max_len=6, alphabet="0123456789"):
        assert 2 <= len(ex.src) <= 6 and ex.tgt == ex.src[::-1]
        assert all(ex.tgt[j] == ex.src[i] for j, links in enumerate(ex.alignment) for i in links)


# An independent reading of each template: its strptime pattern (ordinals stripped first).
STRPTIME = {
    "{D} {Month} {YYYY}": "%d %B %Y",
    "{Month} {D}, {YYYY}": "%B %d, %Y",
    "{MM}/{DD}/{YYYY}": "%m/%d/%Y",
    "{D}.{M}.{YY}": "%d.%m.%Y",
    "{Weekday}, {Month} {Dth} {YYYY}": "%A, %B %d %Y",
    "{YYYY} {mon} {DD}": "%Y %b %d",
    "{DD}-{Mon}-{YYYY}": "%d-%b-%Y",
    "the {Dth} of {Month}, {YYYY}": "the %d of %B, %Y",
}
DATES = [dt.date(1950, 1, 1), dt.date(1999, 12, 31), dt.date(2000, 2, 29), dt.date(2021, 3, 3),
         dt.date(2011, 11, 12), dt.date(2049, 12, 31), dt.date(1972, 7, 22)]  # fmt: skip


def _parse(text: str, fmt: str) -> dt.date:
    text = re.sub(r"(\d+)(st|nd|rd|th)\b", r"\1", text)
    if "{YY}" in fmt:  # the documented two-digit window: 50..99 -> 19YY, 00..49 -> 20YY
        yy = int(text.rsplit(".", 1)[1])
        text = text.rsplit(".", 1)[0] + f".{1900 + yy if yy >= 50 else 2000 + yy}"
    return dt.datetime.strptime(text, STRPTIME[fmt]).date()


@pytest.mark.parametrize("fmt", toy.DATE_FORMATS)
def test_dates_parse_back(fmt):
    assert len(toy.DATE_FORMATS) >= 6 and set(STRPTIME) == set(toy.DATE_FORMATS)
    for d in DATES:
        text, ex = toy.date_example(d, fmt)
        assert _parse(text, fmt) == d == dt.date.fromisoformat("".join(ex.tgt))
        assert toy.tokenize_date(text) == ex.src
        if "{Weekday}" in fmt:
            assert ex.src[0] == d.strftime("%A")


def _field_ok(token: str, char_index: int, d: dt.date) -> bool:
    if char_index < 4:
        return d.isoformat()[:4].endswith(token) and len(token) in (2, 4)
    if char_index in (5, 6):
        named = token.isalpha() and toy.MONTHS[d.month - 1].lower().startswith(token.lower())
        return named or token.isdigit() and int(token) == d.month
    return int(re.sub(r"\D", "", token)) == d.day


@pytest.mark.parametrize("fmt", toy.DATE_FORMATS)
def test_dates_gold_alignment(fmt):
    for d in DATES:
        _, ex = toy.date_example(d, fmt)
        for j, links in enumerate(ex.alignment):
            if ex.tgt[j] == "-":
                assert links == [] and j in (4, 7)
            else:
                assert len(links) == 1 and _field_ok(ex.src[links[0]], j, d)


def test_make_dates_covers_formats_and_years():
    examples = toy.make_dates(400, seed=0)
    years = {int("".join(ex.tgt[:4])) for ex in examples}
    assert min(years) >= toy.MIN_YEAR and max(years) <= toy.MAX_YEAR
    assert len({tuple(len(links) > 0 for links in ex.alignment) for ex in examples}) == 1
    assert toy.expand_year(49) == 2049 and toy.expand_year(50) == 1950


def _onehot(picks: list[int], size: int) -> np.ndarray:
    weights = np.full((len(picks), size), 0.01)
    weights[np.arange(len(picks)), picks] = 1.0
    return weights / weights.sum(axis=1, keepdims=True)


def test_alignment_error_rate():
    gold = [[2], [1], [], [0]]
    perfect = _onehot([2, 1, 0, 0], 3)
    wrong = _onehot([0, 0, 2, 1], 3)
    assert toy.alignment_error_rate(perfect, gold) == 0.0
    assert toy.alignment_error_rate(wrong, gold) == 1.0
    half = _onehot([2, 0, 0, 1], 3)
    assert toy.alignment_error_rate(half, gold) == pytest.approx(1 - 2 * 1 / 6)
    eos_row = np.vstack([perfect, np.ones((1, 3)) / 3])  # an extra <eos> row is ignored
    assert toy.alignment_error_rate(eos_row, gold) == 0.0
    with pytest.raises(ValueError):
        toy.alignment_error_rate(perfect[:2], gold)
    assert np.isnan(toy.alignment_error_rate(perfect, [[], [], [], []]))


def test_toy_gold_alignment_scores_zero():
    for ex in toy.make_dates(20, seed=1) + toy.make_reversal(20, seed=1):
        picks = [links[0] if links else 0 for links in ex.alignment]
        assert toy.alignment_error_rate(_onehot(picks, len(ex.src)), ex.alignment) == 0.0


@pytest.mark.parametrize("shuffle", [True, False])
def test_bucket_batches(shuffle):
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 40, size=1003).tolist()
    batches = data.bucket_batches(lengths, batch_size=16, seed=5, shuffle=shuffle, pool=8)
    assert sorted(i for b in batches for i in b) == list(range(1003))
    assert all(1 <= len(b) <= 16 for b in batches)
    assert batches == data.bucket_batches(lengths, 16, seed=5, shuffle=shuffle, pool=8)
    spread = np.mean([max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches])
    assert spread < 8  # random batches of 16 from 1..39 would spread about 30
    if shuffle:
        assert batches != data.bucket_batches(lengths, 16, seed=6, shuffle=True, pool=8)
    assert data.bucket_batches([], 4, seed=0) == []
