"""Decoding benchmark (not a test): batched vs naive beam search, and trace times.

    python bench/bench_decode.py [--model soft-dot] [--repeats 20]

Prints, measured side by side in one run on this machine:
- beam search with all live hypotheses batched in one decoder call per step vs a naive loop that
  calls the decoder once per hypothesis (same search, same tree), at widths 5 and 10;
- the time to produce a full greedy trace and a width-5 beam trace of a 12-token sentence.
Goals: batched >= 3x faster at width 10; greedy trace < 10 ms, beam-5 trace < 30 ms (2-core CPU);
for a Transformer (``--model runs/.../transformer``): greedy < 30 ms, beam 5 < 100 ms (the
batched-vs-naive table is for the RNN models' state only).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from functools import partial
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from seq2seq_viz.checkpoints import DEFAULT_MODEL, list_models, load_model  # noqa: E402
from seq2seq_viz.config import DecodeConfig  # noqa: E402
from seq2seq_viz.decode import ModelStepper, beam_search, expand_encoder  # noqa: E402
from seq2seq_viz.transformer_record import is_transformer  # noqa: E402

SENTENCE = "i think we should tell tom what happened to the car ."  # 12 tokens


class NaiveStepper(ModelStepper):
    """The same search, but one decoder call per live hypothesis."""

    @torch.inference_mode()
    def step(self, tokens: torch.Tensor, t: int) -> torch.Tensor:
        logps, states, hiddens = [], [], []
        enc = expand_encoder(self.enc, 1)
        for row in range(tokens.size(0)):
            state = (
                tuple(s[:, row : row + 1] for s in self.state)
                if isinstance(self.state, tuple)
                else self.state[:, row : row + 1]
            )
            out = self.model.decoder.step(
                tokens[row : row + 1], self.attn_hidden[row : row + 1], state, enc, t=t
            )
            logps.append(out.logp)
            states.append(out.state)
            hiddens.append(out.attn_hidden)
        self.attn_hidden = torch.cat(hiddens)
        self.state = (
            tuple(torch.cat(parts, 1) for parts in zip(*states))
            if isinstance(states[0], tuple)
            else torch.cat(states, 1)
        )
        return torch.cat(logps)


def timed(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default=None)
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--threads", type=int, default=0)
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    name = args.model or (DEFAULT_MODEL if DEFAULT_MODEL in list_models() else list_models()[0])
    tr = load_model(name)
    enc = tr.encode(tr.encode_text(SENTENCE))
    itos = tr.tgt_vocab.itos
    print(
        f"model {name}, sentence of {len(tr.encode_text(SENTENCE).tokens)} tokens, "
        f"torch threads {torch.get_num_threads()}, median of {args.repeats} runs\n"
    )
    transformer = is_transformer(tr.model)
    if not transformer:  # the naive stepper slices the RNN's state
        batched_vs_naive(tr, enc, itos, args.repeats)
    greedy = timed(lambda: tr.trace(SENTENCE, DecodeConfig()), args.repeats)
    beam5 = timed(lambda: tr.trace(SENTENCE, DecodeConfig(beam_width=5)), args.repeats)
    goals = (30, 100) if transformer else (10, 30)
    print("\n| full trace | time (ms) | goal |\n| --- | --- | --- |")
    print(
        f"| greedy | {greedy:.1f} | < {goals[0]} |\n"
        f"| beam 5 (tree + replayed best) | {beam5:.1f} | < {goals[1]} |"
    )


def batched_vs_naive(tr, enc, itos, repeats: int) -> None:
    print("| beam width | batched (ms) | naive per-hypothesis (ms) | speed-up | same tree |")
    print("| --- | --- | --- | --- | --- |")
    for width in (5, 10):
        search = {"width": width, "max_len": 30, "alpha": 0.6}
        batched_tree = beam_search(ModelStepper(tr.model, enc), itos, **search)
        naive_tree = beam_search(NaiveStepper(tr.model, enc), itos, **search)
        same = _close(batched_tree, naive_tree)
        batched = timed(
            partial(beam_search, _Fresh(ModelStepper, tr, enc), itos, **search), repeats
        )
        naive = timed(partial(beam_search, _Fresh(NaiveStepper, tr, enc), itos, **search), repeats)
        print(f"| {width} | {batched:.1f} | {naive:.1f} | {naive / batched:.1f}x | {same} |")


class _Fresh:
    """A stepper that starts over for every search (timed() reruns the same call)."""

    def __init__(self, cls, tr, enc) -> None:
        self.cls, self.tr, self.enc, self.inner = cls, tr, enc, None

    def step(self, tokens: torch.Tensor, t: int) -> torch.Tensor:
        if t == 0:
            self.inner = self.cls(self.tr.model, self.enc)
        return self.inner.step(tokens, t)

    def reorder(self, rows: torch.Tensor) -> None:
        self.inner.reorder(rows)


def _close(a, b) -> bool:
    """Same tokens and statuses, scores equal to float tolerance (batched matmuls round apart)."""
    return all(
        x.token == y.token and x.status == y.status and abs(x.score - y.score) < 1e-4
        for x, y in zip(a[0], b[0])
    ) and len(a[0]) == len(b[0])


if __name__ == "__main__":
    main()
