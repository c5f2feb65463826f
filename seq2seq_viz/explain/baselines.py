"""Baselines for "does the attention matter?": decode with an attention that ignores the model's.

- uniform:  a_t = 1/S at every step (``DecodeConfig.attention_override`` at every step).
- permuted: a_t = the model's own weights at that step, shuffled over the source positions by a
            random permutation drawn per step (seeded), as Jain & Wallace 2019 permute them.

Both decode greedily and change every step (input feeding carries each change on). The BLEU of
each on a slice of the test split, per model, is computed once by::

    python -m seq2seq_viz.explain.baselines pretrained/soft-dot ... --data PATH --limit 300

which writes ``pretrained/explain_baselines.json`` (the app only reads it).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from seq2seq_viz.attention import Steer, StepOptions
from seq2seq_viz.config import DecodeConfig
from seq2seq_viz.decode import Translator, banned_ids
from seq2seq_viz.text import EOS_ID, SOS_ID, detokenize

OUT_FILE = "explain_baselines.json"


def uniform_tokens(translator: Translator, text: str, max_len: int = 40) -> list[str]:
    """Greedy output with a_t = 1/S at every step."""
    n = len(translator.encode_text(text).ids)
    override = tuple((t, (1.0,) * n) for t in range(max_len))
    return translator.best_tokens(text, DecodeConfig(attention_override=override, max_len=max_len))


@torch.inference_mode()
def permuted_tokens(
    translator: Translator, text: str, seed: int = 0, max_len: int = 40
) -> list[str]:
    """Greedy output with the model's own a_t shuffled over the source at every step."""
    model, dev = translator.model.eval(), translator.device
    source = translator.encode_text(text)
    enc = translator.encode(source)
    banned = list(banned_ids(source))
    gen = np.random.default_rng(seed)
    state, hidden, y_prev, out = enc.init_state, model.initial_attn_hidden(1, dev), SOS_ID, []
    for t in range(max_len):
        y = torch.tensor([y_prev], device=dev)
        own = model.decoder.step(y, hidden, state, enc, t=t).attn.weights  # (1,S)
        shuffled = own[:, torch.as_tensor(gen.permutation(own.size(1)), device=dev)]
        step = model.decoder.step(
            y, hidden, state, enc, t=t, options=StepOptions(steer=Steer(weights=shuffled))
        )
        state, hidden = step.state, step.attn_hidden
        logp = step.logp[0].clone()
        logp[banned] = float("-inf")
        y_prev = int(logp.argmax())
        if y_prev == EOS_ID:
            break
        out.append(translator.tgt_vocab.itos[y_prev])
    return out


def sentence_baselines(translator: Translator, text: str) -> dict[str, str]:
    """The model's translation, and the uniform and permuted ones, as text."""
    lang = translator.config.tgt_lang
    return {
        "model": translator.translate(text),
        "uniform": detokenize(uniform_tokens(translator, text), lang),
        "permuted": detokenize(permuted_tokens(translator, text), lang),
    }


def bleu_table(translator: Translator, data: str | None, limit: int) -> dict:
    """BLEU of greedy, uniform and permuted attention on the first `limit` test sources."""
    from seq2seq_viz import corpus
    from seq2seq_viz import data as D
    from seq2seq_viz.evaluate import bleu
    from seq2seq_viz.text import normalize

    settings = dict(translator.meta["data"]["settings"], **({"data": data} if data else {}))
    split, _, _ = corpus.load_split(settings)
    groups = D.group_references(split.test)[:limit]
    refs = [[normalize(r) for r in rs] for _, rs in groups]
    lang = translator.config.tgt_lang
    runs = {
        "model": lambda i, s: translator.best_tokens(s, DecodeConfig()),
        "uniform": lambda i, s: uniform_tokens(translator, s),
        "permuted": lambda i, s: permuted_tokens(translator, s, seed=i),
    }
    row: dict = {"n_test": len(groups)}
    for name, run in runs.items():
        hyps = [detokenize(run(i, src), lang, keep_unk=False) for i, (src, _) in enumerate(groups)]
        row[f"bleu_{name}"] = bleu(hyps, refs)
    return row


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m seq2seq_viz.explain.baselines", description=__doc__.split("\n\n")[0]
    )
    p.add_argument("models", nargs="+", help="model folders (e.g. pretrained/soft-dot)")
    p.add_argument("--data", help="the parallel file the models were trained on")
    p.add_argument("--limit", type=int, default=300, help="test sources to translate")
    p.add_argument("--out", default=f"pretrained/{OUT_FILE}")
    args = p.parse_args(argv)
    from seq2seq_viz.checkpoints import load_model

    torch.set_num_threads(1)
    out_path = Path(args.out)
    table = json.loads(out_path.read_text()) if out_path.is_file() else {}
    for folder in args.models:
        tr = load_model(folder, device="cpu")
        if tr.config.align == "none":
            continue  # no attention to replace
        start = time.perf_counter()
        table[tr.name] = {**bleu_table(tr, args.data, args.limit), "limit": args.limit}
        print(tr.name, table[tr.name], f"{time.perf_counter() - start:.0f} s", flush=True)
        out_path.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
