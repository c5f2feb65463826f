"""Evaluate models on their test split: ``python -m seq2seq_viz.evaluate --data FILE MODEL...``.

The split is rebuilt from the data settings recorded in each model's config.json and checked
against the recorded hashes. Metrics: sacrebleu BLEU (multi-reference, 13a tokenisation,
case-insensitive because our models are lowercased) and chrF on detokenised output, greedy and
beam 5; perplexity (teacher forced); BLEU by source-length bucket; mean attention entropy; for toy
tasks exact-match accuracy and the alignment error rate against the known alignment.

Writes ``results.json``, each model's ``metrics`` into its config.json and the model table
``README.md`` in the output folder (default: pretrained/). The chart ``bleu_by_length.html`` is
drawn from results.json by ``python pretrained/bleu_chart.py`` (a plotly figure: the library
itself draws nothing, see docs/design.md).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import sacrebleu
import torch
from tqdm import tqdm

from . import corpus, toy
from . import data as D
from .checkpoints import CONFIG, WEIGHTS, atomic_write_bytes, load_model, read_config
from .config import DecodeConfig
from .decode import Translator
from .stages import (
    budget_text,
    device_word,
    stage_records,
    still_improving,
    stop_reason,
    training_budget,
)
from .teaching import teaching_json
from .text import UNK, detokenize, normalize
from .train import evaluate_loss

BUCKETS = ((1, 4), (5, 7), (8, 11), (12, 99))
ATTRIBUTION = (
    "English–French sentence pairs from the Tatoeba Project (tatoeba.org), via "
    "manythings.org/anki, licensed CC BY 2.0."
)


def bucket_name(lo: int, hi: int) -> str:
    return f"{lo}+" if hi >= 99 else f"{lo}-{hi}"


def bleu(hyps: list[str], refs: list[list[str]]) -> float:
    """Corpus BLEU with a varying number of references per sentence (None pads the streams)."""
    if not hyps:
        return float("nan")
    width = max(len(r) for r in refs)
    streams = [[r[k] if k < len(r) else None for r in refs] for k in range(width)]
    return round(sacrebleu.corpus_bleu(hyps, streams, lowercase=True).score, 2)


def chrf(hyps: list[str], refs: list[list[str]]) -> float:
    width = max(len(r) for r in refs)
    lower = [[(r[k].lower() if k < len(r) else None) for r in refs] for k in range(width)]
    return round(sacrebleu.corpus_chrf([h.lower() for h in hyps], lower).score, 2)


def translate_all(
    tr: Translator,
    sources: list[str],
    beam: int,
    max_len: int = 40,
    progress: bool = True,
    unk_replace: bool = True,
) -> tuple[list[list[str]], list[float]]:
    """Output tokens for every source sentence, and (greedy only, else empty) the attention
    entropy of each, which needs the recorded trace."""
    outs, entropies = [], []
    cfg = DecodeConfig(beam_width=beam, max_len=max_len, n_best=1, top_k=1, unk_replace=unk_replace)
    for src in tqdm(
        sources,
        desc=f"{tr.name} beam {beam}",
        disable=not progress,
        leave=False,
        file=sys.stderr,
        mininterval=5,
    ):
        if beam > 1:
            outs.append(tr.best_tokens(src, cfg))
            continue
        trace = tr.trace(src, cfg)
        outs.append(trace.output_tokens)
        entropies.append(trace.entropy())
    return outs, entropies


def evaluate_model(
    tr: Translator, data_path: str | None, limit: int = 0, progress: bool = True
) -> dict[str, Any]:
    settings = dict(tr.meta["data"]["settings"])
    if data_path:
        settings["data"] = data_path
    split, _, gold = corpus.load_split(settings)
    recorded = tr.meta["data"].get("hashes", {})
    if recorded and recorded != D.split_hashes(split):
        raise SystemExit(f"{tr.name}: the rebuilt split does not match the recorded hashes")
    groups = D.group_references(split.test)[: limit or None]
    sources = [s for s, _ in groups]
    lang = tr.config.tgt_lang
    refs = [
        [normalize(r) if lang != "chars" else r.replace(" ", "") for r in rs] for _, rs in groups
    ]
    start = time.perf_counter()
    result: dict[str, Any] = {"n_test": len(sources), "n_test_pairs": len(split.test)}
    for beam in (1, 5):
        toks, ent = translate_all(tr, sources, beam, progress=progress)
        hyps = [detokenize(t, lang, keep_unk=False) for t in toks]  # <unk> never matches
        key = "greedy" if beam == 1 else "beam5"
        result[f"bleu_{key}"], result[f"chrf_{key}"] = bleu(hyps, refs), chrf(hyps, refs)
        if beam == 5:  # the same search without unknown-word replacement (Luong et al. 2015)
            unknown = [i for i, src in enumerate(sources) if any(tr.encode_text(src).unknown)]
            plain, _ = translate_all(
                tr, [sources[i] for i in unknown], beam, progress=progress, unk_replace=False
            )
            kept = list(toks)
            for i, out in zip(unknown, plain):
                kept[i] = out
            plain_hyps = [detokenize(t, lang, keep_unk=False) for t in kept]
            result["bleu_beam5_no_unk_replace"] = bleu(plain_hyps, refs)
            result["sources_with_unknown_words"] = len(unknown)
            result["outputs_with_unk_no_replace"] = sum(UNK in t for t in kept)
            result["outputs_with_unk"] = sum(UNK in t for t in toks)
            result["bleu_by_length_beam5"] = by_length(tr, sources, hyps, refs)
        if beam == 1:
            result["entropy"] = round(float(np.mean(ent)), 4)
            result["bleu_by_length"] = by_length(tr, sources, hyps, refs)
            result["samples"] = [
                {"src": s, "hyp": h, "refs": r[:3]}
                for s, h, r in list(zip(sources, hyps, refs))[:10]
            ]
            if gold is not None:
                gold_groups = gold_for_groups(split.test, gold, sources)
                result.update(toy_metrics(tr, sources, toks, groups, gold_groups))
    test_pairs = [(tr.src_vocab.encode(p.src), tr.tgt_vocab.encode(p.tgt)) for p in split.test]
    result["ppl"] = round(math.exp(evaluate_loss(tr.model, test_pairs, 128, tr.device)), 3)
    tr.model.eval()
    result["eval_seconds"] = round(time.perf_counter() - start, 1)
    return result


def by_length(
    tr: Translator, sources: list[str], hyps: list[str], refs: list[list[str]]
) -> list[dict[str, Any]]:
    lengths = [len(tr.encode_text(s).tokens) for s in sources]
    rows = []
    for lo, hi in BUCKETS:
        idx = [i for i, n in enumerate(lengths) if lo <= n <= hi]
        if idx:
            rows.append(
                {
                    "bucket": bucket_name(lo, hi),
                    "n": len(idx),
                    "bleu": bleu([hyps[i] for i in idx], [refs[i] for i in idx]),
                }
            )
    return rows


def gold_for_groups(pairs: list, gold: list, sources: list[str]) -> list:
    """The true alignment of each (deduplicated) test source: `gold` is per pair, and repeated
    sources collapse into one group, so match by source rather than by position."""
    by_source = {D.source_key(p.src_text): g for p, g in zip(pairs, gold)}
    return [by_source[D.source_key(s)] for s in sources]


def toy_metrics(
    tr: Translator,
    sources: list[str],
    toks: list[list[str]],
    groups: list,
    gold: list[list[list[int]]],
) -> dict[str, float]:
    """Exact match of the greedy output; AER of teacher-forced attention vs the true alignment."""
    exact = np.mean(
        ["".join(t) == r[0].replace(" ", "").lower() for t, (_, r) in zip(toks, groups)]
    )
    weights = [tr.trace(s, reference=r[0]).weights_matrix() for s, (_, r) in zip(sources, groups)]
    return {
        "exact_match": round(float(exact), 4),
        "aer": round(toy.corpus_alignment_error_rate(weights, gold), 4),
    }


# ----------------------------------------------------------------------------- examples


def write_examples(out_dir: Path, tr: Translator, data_path: str | None, n: int = 40) -> None:
    """Test sentences stratified by length (with their references) and teaching examples."""
    settings = dict(tr.meta["data"]["settings"], **({"data": data_path} if data_path else {}))
    split, _, _ = corpus.load_split(settings)
    groups = D.group_references(split.test)
    rng = np.random.default_rng(0)
    lengths = [len(tr.encode_text(src).tokens) for src, _ in groups]  # tokenise each once
    picked = []
    for lo, hi in BUCKETS:
        inside = [g for g, n in zip(groups, lengths) if lo <= n <= hi]
        take = rng.choice(len(inside), size=min(n // len(BUCKETS), len(inside)), replace=False)
        picked += [inside[i] for i in sorted(take)]
    examples = {
        "test": [{"src": src, "refs": refs} for src, refs in picked],
        "teaching": teaching_json(),  # sentences, notes and expected words: teaching.py
        "attribution": ATTRIBUTION,
    }
    text = json.dumps(examples, ensure_ascii=False, indent=1)
    atomic_write_bytes(out_dir / "examples.json", text.encode("utf-8"))


# ----------------------------------------------------------------------------- reports


def model_row(name: str, config: dict[str, Any], metrics: dict[str, Any], folder: Path) -> str:
    training = config.get("training", {})
    size_mb = (folder / WEIGHTS).stat().st_size / 1e6
    scores = (
        f"{metrics.get('bleu_greedy', 'n/a')} / {metrics.get('bleu_beam5', 'n/a')}"
        if "bleu_greedy" in metrics
        else "n/a"
    )
    extra = (
        f"exact {metrics['exact_match']:.1%}, AER {metrics['aer']:.3f}"
        if "exact_match" in metrics
        else f"chrF {metrics.get('chrf_beam5', 'n/a')}, ppl {metrics.get('ppl', 'n/a')}"
    )
    return (
        f"| `{name}` | {data_summary(config.get('data', {}))} | {scores} | {extra} | "
        f"{training_time(training)}{stop_words(training)} | {size_mb:.1f} MB | "
        f"`{training.get('command', '?')}` |"
    )


def stop_words(training: dict[str, Any]) -> str:
    """Why the training ended (`stages.stop_reason`) for the training column, e.g. "; stopped
    by its rule (2 epochs without progress), kept epoch 40"; "" when the record does not say."""
    reason = stop_reason(training)
    if reason is None:
        return ""
    kind, best = reason[0], reason[-1]
    said = {
        "plateau": f"by its rule ({reason[1]} epochs without progress)",
        "rate": "when the learning rate decayed below its floor",
        "limit": f"at its epoch limit ({reason[1]})",
        "time": "when its time ran out",
    }[kind]
    still = " (still improving)" if still_improving(training) else ""
    return f"; stopped {said}, kept epoch {best}{still}"


def training_time(training: dict[str, Any]) -> str:
    """The training time column, e.g. 6.7 min (GPU, 28 epochs); a staged model's stages are
    joined with " + " (minutes on different machines are not added up)."""
    return " + ".join(
        f"{(row.get('seconds') or 0) / 60:.1f} min ({device_word(row.get('device') or 'cpu')}, "
        f"{row.get('epochs_run', '?')} epochs)"
        for row in stage_records(training)
    )


def data_summary(data: dict[str, Any]) -> str:
    """Which data a model saw: corpus or toy task, direction, split sizes, the split's hash."""
    settings, sizes = data.get("settings", {}), data.get("sizes", {})
    split = (
        f"{sizes.get('train', '?'):,} / {sizes.get('valid', '?'):,} / {sizes.get('test', '?'):,}"
    )
    if settings.get("toy"):
        return f"toy task `{settings['toy']}` (seed {settings.get('split_seed')}), {split} pairs"
    corpus_name = Path(str(settings.get("data", "?"))).name
    test_hash = data.get("hashes", {}).get("test", "")[:12]
    stats = data.get("stats", {})
    return (
        f"{corpus_name} {settings.get('src')}→{settings.get('tgt')}, pairs ≤ "
        f"{settings.get('max_len')} tokens ({stats.get('coverage', 0):.1%} of the corpus; 95% "
        f"of sources ≤ {stats.get('src_len_95')}, of targets ≤ {stats.get('tgt_len_95')}), "
        f"train/valid/test {split}, test sha256 {test_hash}"
    )


def write_reports(out_dir: Path, results: dict[str, Any], folders: dict[str, Path]) -> None:
    """The model table (README.md), from results and configs."""
    rows, budgets, kinds = [], {}, {}
    for name, metrics in results["models"].items():
        folder = folders.get(name, out_dir / name)
        if (folder / CONFIG).is_file():
            config = read_config(folder)
            rows.append(model_row(name, config, metrics, folder))
            model = config.get("model") or {}
            if model.get("arch") == "transformer":
                kinds[name] = ("transformer", "transformer")
            else:
                kinds[name] = (model.get("cell", "gru"), model.get("align", "global"))
            if not (config.get("data") or {}).get("settings", {}).get("toy"):
                budget = training_budget(config.get("training") or {})
                budgets.setdefault(budget_words(budget), []).append(name)
    budget = (
        f"the same budget: {next(iter(budgets))}"
        if len(budgets) == 1
        else "these training budgets: "
        + "; ".join(f"{words} ({', '.join(names)})" for words, names in budgets.items())
    )
    text = README_TEMPLATE.format(
        rows="\n".join(rows),
        attribution=ATTRIBUTION,
        goals=goals_section(results["models"], kinds),
        budget=budget,
    )
    atomic_write_bytes(out_dir / "README.md", text.encode("utf-8"))


def chart_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of the BLEU-by-source-length chart: one per model (toy tasks left out) and
    length bucket, greedy (the rows `figures.bleu_by_length_figure` draws)."""
    return [
        {"model": n, **row}
        for n, m in results["models"].items()
        for row in m.get("bleu_by_length", [])
        if "exact_match" not in m
    ]


def budget_words(budget: tuple[Any, ...] | None) -> str:
    """A training budget (`stages.training_budget`) in words: "6.8 minutes on GPU", "3 epochs",
    "3.5 minutes on GPU, then 11 epochs on CPU" (the app's labels say the same)."""

    def on(device: str | None) -> str:
        return f" on {device}" if device else ""

    return budget_text(
        budget,
        minutes=lambda m, device: f"{m} minutes{on(device)}",
        epochs=lambda n, device: f"{n} epochs{on(device)}",
        plateau=lambda n, patience, device: (
            f"until the validation loss made no progress for "
            f"{patience} epochs (at most {n}){on(device)}"
        ),
        then=", then ",
        unknown="an unrecorded budget",
    )


def _bleu_long(metrics: dict[str, Any], key: str = "bleu_by_length") -> float | None:
    """BLEU on the longest sources (12+ tokens), greedy (`bleu_by_length`) or beam 5
    (`bleu_by_length_beam5`); None when the record does not have it."""
    last = bucket_name(*BUCKETS[-1])
    rows = [r for r in metrics.get(key, []) if r["bucket"] == last]
    return rows[0]["bleu"] if rows else None


def goals_section(
    models: dict[str, dict[str, Any]], kinds: dict[str, tuple[str, str]] | None = None
) -> str:
    """The recipe's goals, checked against the numbers above (beam 5; by length too, where every
    model has its beam-5 buckets, else greedy, and the table says which):
    every attention model beats `none` by 10 BLEU and by 15 on 12+-token sources, hard attention
    is within 3 BLEU of the best soft global model, the best model reaches 45, the default 42.
    `kinds` (model -> (cell, align)): the attention variants are the GRU models; the other cells
    get their own table."""
    from .checkpoints import DEFAULT_MODEL

    kinds = kinds or {}
    every = {n: m for n, m in models.items() if "exact_match" not in m}
    real = {n: m for n, m in every.items() if kinds.get(n, ("gru",))[0] == "gru"}
    if "none" not in real:
        return "Goals: not checked yet (the `none` model has not been evaluated)."
    key, search = "bleu_by_length_beam5", "beam 5"
    if not all(m.get(key) for m in every.values()):
        key, search = "bleu_by_length", "greedy"
    base, base_long = real["none"]["bleu_beam5"], _bleu_long(real["none"], key)
    lines = [
        f"| model | BLEU beam 5 | vs none (goal +10) | BLEU 12+ tokens ({search}) | "
        "vs none (goal +15) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, m in real.items():
        if name == "none":
            continue
        long_ = _bleu_long(m, key)
        d_all = m["bleu_beam5"] - base
        d_long = None if long_ is None or base_long is None else long_ - base_long
        lines.append(
            f"| `{name}` | {m['bleu_beam5']:.2f} | {d_all:+.2f} {mark(d_all >= 10)} | {long_} | "
            + ("n/a |" if d_long is None else f"{d_long:+.2f} {mark(d_long >= 15)} |")
        )
    best = max(real.items(), key=lambda kv: kv[1]["bleu_beam5"])
    lines.append(
        f"\nBest model: `{best[0]}` with {best[1]['bleu_beam5']:.2f} BLEU "
        f"(goal 45+: {mark(best[1]['bleu_beam5'] >= 45)})."
    )
    if DEFAULT_MODEL in real:
        d = real[DEFAULT_MODEL]["bleu_beam5"]
        lines.append(f"The default model `{DEFAULT_MODEL}`: {d:.2f} (goal 42+: {mark(d >= 42)}).")
    soft = [m["bleu_beam5"] for n, m in real.items() if n.startswith("soft-")]
    if "hard" in real and soft:
        gap = max(soft) - real["hard"]["bleu_beam5"]
        lines.append(
            f"Hard attention is {gap:.2f} BLEU below the best soft global model (goal within 3: "
            f"{mark(gap <= 3)})."
        )
    transformers = [n for n in every if kinds.get(n, ("",))[0] == "transformer"]
    lines += [transformer_goal(n, every, transformers, key) for n in transformers]
    cells = [n for n in every if n not in real and n not in transformers]
    if cells:
        lines += [
            "\nThe cells of the lecture notes (RNN and LSTM beside the GRU models above):\n",
            f"| model | cell | attention | BLEU beam 5 | BLEU 12+ tokens ({search}) |",
            "| --- | --- | --- | --- | --- |",
        ]
        for name in cells:
            cell, align = kinds[name]
            m = every[name]
            lines.append(
                f"| `{name}` | {cell.upper()} | {align} | {m['bleu_beam5']:.2f} | "
                f"{_bleu_long(m, key)} |"
            )
        lines.append("")
    lines.append(
        f"`none` scores {base:.2f} overall and {base_long} on 12+ tokens. Where the budgets "
        "differ (the table above), so do the comparisons: only the models trained for the "
        "same budget compare the variants themselves."
    )
    return "\n".join(lines)


def mark(ok: bool) -> str:
    """A goal's verdict as the model table writes it."""
    return "met" if ok else "MISSED"


def transformer_goal(name: str, every: dict, transformers: list[str], key: str) -> str:
    """A Transformer against the best RNN (beam 5): at least its BLEU, and above the best RNN's
    BLEU on 12+-token sources."""
    rnns = {n: m for n, m in every.items() if n not in transformers}
    if not rnns:
        return f"The Transformer `{name}`: no RNN model to compare with."
    best, best_m = max(rnns.items(), key=lambda kv: kv[1]["bleu_beam5"])
    longs = {n: _bleu_long(m, key) for n, m in rnns.items()}
    long_name = max(
        (n for n in longs if longs[n] is not None), key=lambda n: longs[n], default=None
    )
    m, own_long = every[name], _bleu_long(every[name], key)
    text = (
        f"The Transformer `{name}`: {m['bleu_beam5']:.2f} BLEU beam 5 against the best RNN "
        f"`{best}`'s {best_m['bleu_beam5']:.2f} (goal at least: "
        f"{mark(m['bleu_beam5'] >= best_m['bleu_beam5'])})"
    )
    if long_name is not None and own_long is not None:
        text += (
            f"; {own_long} on 12+ tokens against the best RNN there, `{long_name}`'s "
            f"{longs[long_name]} (goal above: {mark(own_long > longs[long_name])})"
        )
    return text + "."


README_TEMPLATE = """# Shipped models

Every model here was trained by `seq2seq_viz.train` and evaluated by `seq2seq_viz.evaluate` (this
file and `results.json` are written by it: do not edit by hand). All Tatoeba models share one
split (same settings, same hashes) and {budget}.
BLEU is sacrebleu corpus BLEU, multi-reference (all translations of a test source), 13a
tokenisation, case-insensitive (the models are lowercased); greedy / beam 5. chrF is beam 5.
Toy tasks report exact-match accuracy of the greedy output and the alignment error rate of the
teacher-forced attention against the known alignment.

| model | data | BLEU greedy / beam 5 | other scores | training time | size | training command |
| --- | --- | --- | --- | --- | --- | --- |
{rows}

## Goals

{goals}

`bleu_by_length.html` is the interactive BLEU-by-source-length chart (it loads plotly.js from its
CDN when opened in a browser; the app draws the same chart from `results.json`).

## Data
{attribution} The export contains some errors (see the Tatoeba terms of use and the manythings
ABOUT file). The toy tasks (sequence reversal, date normalisation) are generated by our own code
from a seed.
"""


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m seq2seq_viz.evaluate",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("models", nargs="+", help="model folders")
    p.add_argument("--data", help="the corpus file (when its recorded path moved)")
    p.add_argument("--out-dir", default="pretrained", help="where results.json etc. go")
    p.add_argument("--limit", type=int, default=0, help="evaluate on the first N test sources")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--examples", action="store_true", help="also write examples.json (first model)")
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads or torch.get_num_threads())
    out_dir = Path(args.out_dir)
    path = out_dir / "results.json"
    results = json.loads(path.read_text()) if path.is_file() else {"models": {}}
    folders = {Path(f).name: Path(f) for f in args.models}
    for folder in args.models:
        tr = load_model(folder)
        data_path = args.data if not tr.meta["data"]["settings"].get("toy") else None
        metrics = evaluate_model(tr, data_path, args.limit, progress=not args.quiet)
        print(
            f"{tr.name}: {json.dumps({k: v for k, v in metrics.items() if k != 'samples'})}",
            file=sys.stderr,
            flush=True,
        )
        results["models"][tr.name] = metrics
        config = read_config(folder)
        config["metrics"] = metrics
        atomic_write_bytes(
            Path(folder) / CONFIG, json.dumps(config, ensure_ascii=False, indent=1).encode("utf-8")
        )
        results["attribution"] = ATTRIBUTION
        atomic_write_bytes(path, json.dumps(results, ensure_ascii=False, indent=1).encode())
    if args.examples:
        write_examples(out_dir, load_model(args.models[0]), args.data)
    write_reports(out_dir, results, folders)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
