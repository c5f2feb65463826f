"""Pick the lesson's variants sentence by measurement: a test-split sentence on which the four
attention variants the lesson compares translate differently.

    python bench/pick_variants.py --data /path/eng-fra.txt.gz [--write pretrained/variants.json]

Rebuilds the test split (hashes checked), translates every test source of at least MIN_TOKENS
tokens with each variant under the default search (greedy), scores each output with sentence
chrF against all that source's references (as bench/pick_bottleneck.py), and ranks the
sentences where all four outputs differ by the spread of their chrF (best minus worst), among
those the best variant translates with chrF >= BEST_MIN. With --write the top one is stored.
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

VARIANTS = ("soft-general", "local-m", "local-p", "hard")  # views/lesson_page.VARIANTS
MIN_TOKENS = 8
BEST_MIN = 80.0


def candidates(data: str, only: str | None = None) -> list[dict]:
    models = {name: load_model(name) for name in VARIANTS}
    first = models[VARIANTS[0]]
    split, _, _ = corpus.load_split(dict(first.meta["data"]["settings"], data=data))
    if first.meta["data"]["hashes"] != D.split_hashes(split):
        raise SystemExit("the rebuilt split does not match the recorded hashes")
    rows = []
    for src, refs in D.group_references(split.test):
        text = src if isinstance(src, str) else " ".join(src)
        if only is not None and text != only:
            continue
        n_tokens = len(first.encode_text(text).tokens)
        if n_tokens < MIN_TOKENS:
            continue
        refs = [normalize(r if isinstance(r, str) else " ".join(r)) for r in refs]
        outs = {n: detokenize(m.trace(text).output_tokens, "fr") for n, m in models.items()}
        chrf = {n: sentence_chrf(o, refs) for n, o in outs.items()}
        rows.append({"src": text, "refs": refs, "n_tokens": n_tokens, "outputs": outs,
                     "chrf": chrf})  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True)
    p.add_argument("--write")
    p.add_argument("--top", type=int, default=5)
    p.add_argument("--pick", help="measure and store this test source only (one of the ranking)")
    args = p.parse_args(argv)
    rows = candidates(args.data, args.pick)
    good = [r for r in rows if len(set(r["outputs"].values())) == len(VARIANTS)
            and max(r["chrf"].values()) >= BEST_MIN]  # fmt: skip
    good.sort(key=lambda r: min(r["chrf"].values()) - max(r["chrf"].values()))
    print(f"{len(rows)} test sources of >= {MIN_TOKENS} tokens; {len(good)} where all "
          f"{len(VARIANTS)} variants differ and one reaches chrF {BEST_MIN}")  # fmt: skip
    for r in good[: args.top]:
        print(r["src"], "| ref:", r["refs"][0])
        for name in VARIANTS:
            print(f"   {name:13s} {r['chrf'][name]:6.1f}  {r['outputs'][name]}")
    if args.write and good:
        how = "python bench/pick_variants.py --data FILE --write" + (
            " --pick SRC" * bool(args.pick)
        )
        best = dict(good[0], measured_by=how,
                    min_tokens=MIN_TOKENS, candidates=len(rows))  # fmt: skip
        Path(args.write).write_text(json.dumps(best, ensure_ascii=False, indent=1) + "\n", "utf-8")
        print("wrote", args.write)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
