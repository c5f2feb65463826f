"""Checkpoint averaging (not a test): does averaging the weights of the last epochs help the
trainer's recipe? Issue 9 asked for it "if it helps", measured.

    python bench/bench_average.py [--data FILE] [--minutes 13] [--threads 1] [--keep 2,3,5]
                                  [--train-args "MORE TRAIN OPTIONS"]

One run of ``seq2seq_viz.train``'s recipe (its defaults, the small-data benchmark's slice and
split, see bench_small_data.py), driven one epoch at a time through its resume file, so that the
weights at the end of every epoch can be kept; the run is the one the CLI makes (resuming is
exact, tests/test_train.py). Then, on the same validation and test sets:

- the epoch with the best validation loss (what the CLI ships), and the last epoch;
- the mean of the last K epochs' weights, and of the K epochs up to the best one.

Each is scored by validation NLL (teacher forced, dropout off) and test BLEU (sacrebleu, all
references; greedy and beam 5, the app's search).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch
from safetensors.torch import load_file

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_small_data import DEFAULT_DATA, SLICE_ARGS, write_slice  # noqa: E402

from seq2seq_viz import corpus  # noqa: E402
from seq2seq_viz import data as D  # noqa: E402
from seq2seq_viz.decode import Translator  # noqa: E402
from seq2seq_viz.evaluate import bleu, translate_all  # noqa: E402
from seq2seq_viz.model import build_model  # noqa: E402
from seq2seq_viz.text import detokenize, normalize  # noqa: E402
from seq2seq_viz.train import (  # noqa: E402
    RESUME,
    configs_from_args,
    evaluate_loss,
    parse_args,
    train_model,
)

State = dict[str, torch.Tensor]


def mean_state(states: list[State]) -> State:
    """The element-wise mean of several weight sets of one architecture (float tensors; any
    integer buffers are taken from the last)."""
    out = {}
    for key, last in states[-1].items():
        if last.is_floating_point():
            out[key] = torch.stack([s[key] for s in states]).mean(0)
        else:
            out[key] = last.clone()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=str(DEFAULT_DATA))
    ap.add_argument("--minutes", type=float, default=13.0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--keep", default="2,3,5", help="the K of the averages, comma-separated")
    ap.add_argument(
        "--train-args",
        default="",
        help="more seq2seq_viz.train options, e.g. the shipped models' \"--batch-size 512 "
        '--patience 2 --precision bfloat16"',
    )
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    ks = [int(k) for k in args.keep.split(",")]
    device = torch.device("cpu")
    with tempfile.TemporaryDirectory() as tmp:
        tsv = Path(tmp) / "slice.tsv"
        print(f"slice: {write_slice(Path(args.data), tsv):,} pairs", flush=True)
        argv = (
            f"--data {tsv} {SLICE_ARGS} --max-minutes {args.minutes} --epochs 1000 "
            f"--out {tmp}/ours {args.train_args}"
        ).split()
        cli = parse_args(argv)
        data = corpus.load_for_training(cli)
        tc, cfg = configs_from_args(cli, data)
        torch.manual_seed(tc.seed)
        model = build_model(cfg, device)
        run_dir = Path(tmp) / "run"
        ends: list[State] = []  # the weights at the end of each epoch
        start = time.perf_counter()
        while True:
            loop = train_model(
                model,
                data.train,
                data.valid,
                replace(tc, epochs=len(ends) + 1),
                run_dir,
                device,
                save_every=None,
                progress=False,
            )
            if len(loop.history) <= len(ends):
                break  # no epoch ran: the rule or the minutes had ended the run
            saved = load_file(str(run_dir / RESUME))
            ends.append({k[6:]: v for k, v in saved.items() if k.startswith("model.")})
            row = loop.history[-1]
            print(f"epoch {row['epoch']}: valid nll {row['valid_nll']:.4f} lr {row['lr']:.2e}")
            if loop.done:
                break
        minutes = (time.perf_counter() - start) / 60
        best = loop.best_epoch
        print(f"{len(ends)} epochs in {minutes:.1f} min; best epoch {best}", flush=True)

        variants: dict[str, State] = {
            f"best epoch ({best}, what the CLI ships)": ends[best - 1],
            f"last epoch ({len(ends)})": ends[-1],
        }
        for k in ks:
            if k <= len(ends):
                variants[f"mean of the last {k} epochs"] = mean_state(ends[-k:])
            if k <= best:
                variants[f"mean of the {k} epochs up to the best"] = mean_state(
                    ends[best - k : best]
                )
        groups = D.group_references(data.test)
        sources = [s for s, _ in groups]
        refs = [[normalize(r) for r in rs] for _, rs in groups]
        rows = []
        for name, state in variants.items():
            model.load_state_dict(state)
            model.eval()
            tr = Translator(model, data.src_vocab, data.tgt_vocab, "ours")
            nll = evaluate_loss(model, data.valid, 128, device)
            scores = []
            for beam in (1, 5):
                toks, _ = translate_all(tr, sources, beam, progress=False)
                scores.append(bleu([detokenize(t, "en") for t in toks], refs))
            rows.append((name, nll, *scores))
            print(
                f"{name}: valid nll {nll:.4f}, BLEU {scores[0]:.2f} / {scores[1]:.2f}", flush=True
            )
    print(f"\ntest: {len(sources):,} sources, {len(data.train):,} training pairs; {' '.join(argv)}")
    print("| weights | valid NLL | BLEU greedy | BLEU beam 5 |\n| --- | --- | --- | --- |")
    for name, nll, greedy, beam5 in rows:
        print(f"| {name} | {nll:.4f} | {greedy:.2f} | {beam5:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
