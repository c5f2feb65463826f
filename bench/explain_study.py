"""The lab's three questions over several test sentences of one model (a study, not a test).

    python bench/explain_study.py [--model soft-dot] [--n 10]

Takes the first --n test sentences of pretrained/examples.json (at most 30 tokens) and prints:
- per attribution method: the share of output steps whose top source word is the attention's
  top word, and the mean Kendall tau-b between attention and |attribution|;
- the fooling tally summed over the sentences: steps that kept their word under an attention
  with JS >= 0.5 bits, for French function words, content words and the rest.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from seq2seq_viz.checkpoints import DEFAULT_MODEL, load_model  # noqa: E402
from seq2seq_viz.explain import MAX_SRC_TOKENS  # noqa: E402
from seq2seq_viz.explain.attribute import attribute  # noqa: E402
from seq2seq_viz.explain.fool import fool_sentence  # noqa: E402
from seq2seq_viz.explain.results import METHODS  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default=DEFAULT_MODEL)
    p.add_argument("--n", type=int, default=10)
    args = p.parse_args()
    torch.set_num_threads(1)
    tr = load_model(args.model, device="cpu")
    examples = json.loads((ROOT / "pretrained" / "examples.json").read_text(encoding="utf-8"))
    texts = [e["src"] for e in examples["test"]]
    texts = [s for s in texts if len(tr.encode_text(s).tokens) <= MAX_SRC_TOKENS][: args.n]
    top = {m: [] for m in METHODS}
    taus = {m: [] for m in METHODS}
    tally = {"function": [0, 0], "content": [0, 0], "other": [0, 0]}
    for text in texts:
        attr = attribute(tr, text)
        for m in METHODS:
            agree = attr.agreement(m)
            top[m] += agree.top_same.tolist()
            taus[m] += [x for x in agree.tau.tolist() if not np.isnan(x)]
        for name, (kept, total) in fool_sentence(tr, text).tally().items():
            tally[name][0] += kept
            tally[name][1] += total
    print(f"model {args.model}, {len(texts)} test sentences, {len(top[METHODS[0]])} output steps")
    print(f"{'method':<22} {'top word agrees':>16} {'mean tau-b':>11}")
    for m in METHODS:
        print(f"{m:<22} {np.mean(top[m]):>15.0%} {np.mean(taus[m]):>11.2f}")
    for name, (kept, total) in tally.items():
        print(f"kept their word under JS >= 0.5: {name:<9} {kept}/{total}")


if __name__ == "__main__":
    main()
