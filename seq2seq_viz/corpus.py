"""Training and evaluation data from the command line: read, tokenise, filter, split, build the
vocabularies, encode. The same arguments (recorded in a model's config.json) rebuild the same
split for evaluation, checked against the recorded hashes.
"""

from __future__ import annotations

import argparse
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import data as D
from . import toy
from .text import Vocab

EncodedPair = tuple[list[int], list[int]]
TOY_LANGS = {"reverse": ("en", "en"), "dates": ("dates", "chars")}


@dataclass
class PreparedData:
    train: list[EncodedPair]
    valid: list[EncodedPair]
    test: list[D.TokenizedPair]
    src_vocab: Vocab
    tgt_vocab: Vocab
    max_len: int
    src_lang: str
    tgt_lang: str
    lowercase: bool
    provenance: dict[str, Any] = field(default_factory=dict)
    test_alignments: list[list[list[int]]] | None = None


def add_data_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("data")
    g.add_argument(
        "--data", help="tab-separated parallel file (.gz or plain), or a Multi30k folder"
    )
    g.add_argument("--format", default="tsv", choices=["tsv", "multi30k"])
    g.add_argument("--toy", choices=sorted(toy.TOY_TASKS), help="generate a toy task instead")
    g.add_argument("--toy-size", type=int, default=20000)
    g.add_argument("--src", default="en", help="source language (column/suffix)")
    g.add_argument("--tgt", default="fr", help="target language")
    g.add_argument("--reverse", action="store_true", help="the file's columns are tgt<TAB>src")
    g.add_argument("--max-len", type=int, default=16, help="keep pairs with both sides <= N tokens")
    g.add_argument("--min-freq", type=int, default=2)
    g.add_argument("--src-vocab-size", type=int, default=8000)
    g.add_argument("--tgt-vocab-size", type=int, default=10000)
    g.add_argument("--n-valid", type=int, default=1000, help="distinct sources in valid")
    g.add_argument("--n-test", type=int, default=2000, help="distinct sources in test")
    g.add_argument("--split-seed", type=int, default=1234)
    g.add_argument("--cased", action="store_true", help="keep case (default: lowercase)")


def data_settings(args: argparse.Namespace) -> dict[str, Any]:
    keys = (
        "data",
        "format",
        "toy",
        "toy_size",
        "src",
        "tgt",
        "reverse",
        "max_len",
        "min_freq",
        "src_vocab_size",
        "tgt_vocab_size",
        "n_valid",
        "n_test",
        "split_seed",
        "cased",
    )
    return {k: getattr(args, k) for k in keys}


def load_split(settings: dict[str, Any]) -> tuple[D.Split, dict[str, Any], list | None]:
    """Tokenised, length-filtered train/valid/test pairs for recorded data settings."""
    s = settings
    if s.get("toy"):
        return _toy_split(s)
    if not s.get("data"):
        raise SystemExit("give --data FILE (or --toy NAME)")
    lower = not s["cased"]
    if s["format"] == "multi30k":
        folder = Path(s["data"])
        parts = {}
        for name, stem in (("train", "train"), ("valid", "val"), ("test", "test_2016_flickr")):
            pairs = D.read_aligned(
                folder / f"{stem}.{s['src']}.gz", folder / f"{stem}.{s['tgt']}.gz"
            )
            parts[name], _ = D.prepare_pairs(pairs, s["src"], s["tgt"], lower, s["max_len"])
        stats = {"format": "multi30k"}
        return D.Split(**parts), stats, None
    pairs = D.read_parallel(s["data"])
    pairs = D.swap(pairs) if s["reverse"] else pairs
    tokenized = D.tokenize_pairs(pairs, s["src"], s["tgt"], lower)
    kept, fstats = D.filter_by_length(tokenized, s["max_len"])
    src_cov = sum(len(p.src) <= s["max_len"] for p in tokenized) / max(len(tokenized), 1)
    stats = {
        "pairs": fstats.total,
        "kept": fstats.kept,
        "coverage": round(fstats.coverage, 4),
        "source_coverage": round(src_cov, 4),
        "src_len_95": D.length_coverage([len(p.src) for p in tokenized if p.src], 0.95),
        "tgt_len_95": D.length_coverage([len(p.tgt) for p in tokenized if p.tgt], 0.95),
    }
    return D.split_by_source(kept, s["n_valid"], s["n_test"], s["split_seed"]), stats, None


def _toy_split(s: dict[str, Any]) -> tuple[D.Split, dict[str, Any], list]:
    examples = toy.TOY_TASKS[s["toy"]](s["toy_size"], seed=s["split_seed"])
    n_test = min(s["n_test"], len(examples) // 10)
    n_valid = min(s["n_valid"], len(examples) // 10)
    case = (
        (lambda toks: tuple(toks)) if s["cased"] else (lambda toks: tuple(t.lower() for t in toks))
    )
    pairs = [
        D.TokenizedPair(" ".join(e.src), " ".join(e.tgt), case(e.src), case(e.tgt))
        for e in examples
    ]
    test, valid, train = (
        pairs[:n_test],
        pairs[n_test : n_test + n_valid],
        pairs[n_test + n_valid :],
    )
    gold = [e.alignment for e in examples[:n_test]]
    return D.Split(train, valid, test), {"toy": s["toy"], "examples": len(examples)}, gold


def load_for_training(args: argparse.Namespace) -> PreparedData:
    settings = data_settings(args)
    split, stats, gold = load_split(settings)
    src_lang, tgt_lang = TOY_LANGS.get(settings["toy"] or "", (args.src, args.tgt))
    min_freq = 1 if settings["toy"] else args.min_freq
    src_vocab = Vocab.build((p.src for p in split.train), min_freq, args.src_vocab_size)
    tgt_vocab = Vocab.build((p.tgt for p in split.train), min_freq, args.tgt_vocab_size)

    def encode(pairs: list[D.TokenizedPair]) -> list[EncodedPair]:
        return [(src_vocab.encode(p.src), tgt_vocab.encode(p.tgt)) for p in pairs]

    provenance = {
        "settings": settings,
        "stats": stats,
        "hashes": D.split_hashes(split),
        "sizes": {k: len(getattr(split, k)) for k in ("train", "valid", "test")},
        "distinct_sources": {
            k: len(D.group_references(getattr(split, k))) for k in ("train", "valid", "test")
        },
    }
    return PreparedData(
        encode(split.train),
        encode(split.valid),
        split.test,
        src_vocab,
        tgt_vocab,
        args.max_len,
        src_lang,
        tgt_lang,
        not args.cased,
        provenance,
        gold,
    )


def code_version() -> str:
    """The git commit of the code that trained a model (or 'unknown')."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            cwd=Path(__file__).parent,
        )
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"
