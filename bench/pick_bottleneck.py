"""Pick the lesson's bottleneck sentence by measurement: a long test-split sentence the model
without attention gets visibly wrong and the attention model right.

    python bench/pick_bottleneck.py --data /path/eng-fra.txt.gz [--write pretrained/bottleneck.json]

Rebuilds the test split from the models' recorded data settings (hashes checked), translates
every test source of at least MIN_TOKENS tokens with `none` and `soft-dot` under the default
search (greedy, DecodeConfig()), scores each output with sentence chrF against all of that
source's references (sacrebleu, lowercased, as evaluate.py), and ranks by the chrF gap among the
sentences where the attention model scores at least ATTN_MIN. Prints the top candidates; with
--write stores the best one (sentence, references, both outputs and chrF) for the lesson, so the
app and the tests never need the corpus.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from seq2seq_viz import corpus  # noqa: E402
from seq2seq_viz import data as D  # noqa: E402
from seq2seq_viz.checkpoints import load_model  # noqa: E402
from seq2seq_viz.metrics import sentence_chrf  # noqa: E402
from seq2seq_viz.text import detokenize, normalize  # noqa: E402

MIN_TOKENS = 12
ATTN_MIN = 80.0
MODELS = ("none", "soft-dot")


def candidates(data: str) -> list[dict]:
    models = {name: load_model(name) for name in MODELS}
    settings = dict(models["soft-dot"].meta["data"]["settings"], data=data)
    split, _, _ = corpus.load_split(settings)
    if models["soft-dot"].meta["data"]["hashes"] != D.split_hashes(split):
        raise SystemExit("the rebuilt split does not match the recorded hashes")
    rows = []
    for src, refs in D.group_references(split.test):
        text = src if isinstance(src, str) else " ".join(src)
        refs = [normalize(r if isinstance(r, str) else " ".join(r)) for r in refs]
        n_tokens = len(models["soft-dot"].encode_text(text).tokens)
        if n_tokens < MIN_TOKENS:
            continue
        row = {"src": text, "refs": refs, "n_tokens": n_tokens}
        for name, tr in models.items():
            out = detokenize(tr.translate_tokens(text) if hasattr(tr, "translate_tokens")
                             else tr.trace(text).output_tokens, "fr")  # fmt: skip
            row[name] = out
            row[f"chrf_{name}"] = sentence_chrf(out, refs)
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True)
    p.add_argument("--write", help="store the best sentence in this JSON file")
    p.add_argument("--top", type=int, default=10)
    args = p.parse_args(argv)
    rows = candidates(args.data)
    good = [r for r in rows if r["chrf_soft-dot"] >= ATTN_MIN]
    good.sort(key=lambda r: r["chrf_none"] - r["chrf_soft-dot"])
    print(f"{len(rows)} test sources of >= {MIN_TOKENS} tokens; {len(good)} with soft-dot chrF "
          f">= {ATTN_MIN}")  # fmt: skip
    mean = {m: sum(r[f"chrf_{m}"] for r in rows) / max(len(rows), 1) for m in MODELS}
    print("mean sentence chrF over them: " + ", ".join(f"{m} {v:.1f}" for m, v in mean.items()))
    for r in good[: args.top]:
        print(f"{r['chrf_none']:6.1f} {r['chrf_soft-dot']:6.1f}  {r['src']}")
        for name in ("none", "soft-dot"):
            print(f"        {name}: {r[name]}")
        print(f"        ref: {r['refs'][0]}")
    if args.write and good:
        best = dict(good[0], measured_by="python bench/pick_bottleneck.py --data FILE --write",
                    min_tokens=MIN_TOKENS, candidates=len(rows), mean_chrf=mean)  # fmt: skip
        Path(args.write).write_text(json.dumps(best, ensure_ascii=False, indent=1) + "\n", "utf-8")
        print("wrote", args.write)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
