"""Training-speed benchmark (not a test): the trainer of an earlier commit against today's.

    python bench/bench_train.py [--data FILE] [--baseline 8d2228c] [--batches 60] [--threads 1,2]
                                [--new-batch 512] [--epoch] [--epoch-batch 64]
                                [--epoch-runs baseline,new,bf16] [--no-speed]

Both trainers train the shipped architecture (soft-dot: bidirectional GRU encoder, emb 128,
hidden 256, dot score, global attention, tied output over 8,000 French words) on the real corpus,
over the same batches (64 sentences each, the same order), with the same optimiser settings
(Adam, lr 2e-3, no label smoothing; each code path's own Adam: the new one uses PyTorch's fused
kernel), in one process, alternating in rounds so that a noisy machine slows both alike. The
baseline is the package as it was at ``--baseline`` (extracted with ``git archive`` into a
temporary folder and imported under another name), so "today's code path" is the real earlier
code, not a re-creation. A third column times the new trainer on batches of ``--new-batch``
sentences (the shipped recipe's 512; the same sentences, fewer and larger updates), and a fourth
the same in mixed precision (``--precision bfloat16``: autocast runs the matrix products in
bfloat16, on this CPU's AMX units; weights, Adam, softmax and losses stay float32).

Prints target tokens per second (real target words plus <eos>) for each trainer at each thread
count, and their ratio. Goal: the new trainer >= 3x the baseline at 1 thread. At one thread it
also profiles the new trainer and prints the share of its time spent in matrix products: the
floor no rearrangement removes without changing what is computed (in float32 on this CPU).

With ``--epoch``, each trainer then trains one full epoch (batches of 64) from the same initial
weights at one thread, then the new one again in bfloat16, and the validation losses (float32)
are printed (they must agree within noise: the new code computes the same model; only float
rounding and the order of random draws differ). This takes about 30 minutes. ``--epoch-runs``
picks the runs (``new:8`` is today's trainer with another seed, to see the noise), and
``--epoch-batch 512`` trains them on the recipe's batches.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import importlib
import io
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from seq2seq_viz import corpus  # noqa: E402
from seq2seq_viz import train as new_train  # noqa: E402
from seq2seq_viz.data import bucket_batches  # noqa: E402
from seq2seq_viz.model import build_model as new_build  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "tatoeba-eng-fra" / "eng-fra.txt.gz"


def load_baseline(commit: str, folder: Path):
    """The package at `commit`, importable as `seq2seq_viz_base`."""
    blob = subprocess.run(
        ["git", "archive", "--format=tar", commit, "seq2seq_viz"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        tar.extractall(folder, filter="data")
    (folder / "seq2seq_viz").rename(folder / "seq2seq_viz_base")
    sys.path.insert(0, str(folder))
    return (
        importlib.import_module("seq2seq_viz_base.train"),
        importlib.import_module("seq2seq_viz_base.model"),
        importlib.import_module("seq2seq_viz_base.config"),
    )


class Trainer:
    """One implementation's model, optimiser and batch step."""

    def __init__(self, name, train_mod, build, config_mod, n_src, n_tgt, init=None, bf16=False):
        self.name, self.train_mod = name, train_mod
        cfg = config_mod.ModelConfig(
            src_vocab_size=n_src,
            tgt_vocab_size=n_tgt,
            emb_dim=128,
            hidden_dim=256,
            score="dot",
            align="global",
            max_src_len=40,
        )
        torch.manual_seed(1)
        self.model = build(cfg).train()
        if init is not None:
            self.model.load_state_dict(init)
        options = {"precision": "bfloat16"} if bf16 else {}
        names = {f.name for f in dataclasses.fields(config_mod.TrainConfig)}
        if "label_smoothing" in names:  # the same loss on both sides (older code had none)
            options["label_smoothing"] = 0.0
        self.tc = config_mod.TrainConfig(lr=2e-3, **options)
        # the trainer's own precision context (the baseline's code has none: float32)
        mixed = getattr(train_mod, "mixed_precision", None)
        self.precision = mixed(self.tc, torch.device("cpu")) if mixed else contextlib.nullcontext()
        # each code path's own optimiser (the new one uses PyTorch's fused Adam kernel)
        make = getattr(train_mod, "make_optimizer", None)
        self.opt = (
            make(self.model, self.tc)
            if make
            else torch.optim.Adam(self.model.parameters(), lr=2e-3)
        )
        self.loop = train_mod.LoopState()
        self.tokens, self.seconds = 0, 0.0

    def run(self, batches: list[list[int]], pairs) -> None:
        device = torch.device("cpu")
        start = time.perf_counter()
        for idx in batches:
            batch = self.train_mod.batch_tensors([pairs[i] for i in idx], device)
            with self.precision:
                loss, _, n_tok = self.train_mod.batch_loss(
                    self.model, batch, self.tc, 1.0, self.loop
                )
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
            self.opt.step()
            self.tokens += n_tok
        self.seconds += time.perf_counter() - start

    @property
    def rate(self) -> float:
        return self.tokens / max(self.seconds, 1e-9)


def matmul_share(impl: Trainer, batches: list[list[int]], pairs) -> float:
    """Share of the trainer's CPU time spent in matrix products (torch.profiler, 1 thread):
    the part no rearrangement of the code removes without changing what is computed."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU]) as prof:
        impl.run(batches, pairs)
    events = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in events)
    mm = sum(e.self_cpu_time_total for e in events if e.key in MATMULS)
    return mm / max(total, 1)


MATMULS = {"aten::mm", "aten::addmm", "aten::addmm_", "aten::bmm", "aten::baddbmm", "aten::matmul"}


def epoch_check(args, data, baseline, n_src, n_tgt) -> None:
    """One epoch per listed run from the same initial weights at one thread, each judged by
    today's evaluator (float32): the validation losses must agree within noise (a second seed
    of the same trainer shows how large that noise is)."""
    import seq2seq_viz.config as new_config

    base_train, base_model, base_config = baseline
    code = {
        "baseline": (base_train, base_model.build_model, base_config, False),
        "new": (new_train, new_build, new_config, False),
        "bf16": (new_train, new_build, new_config, True),
    }
    torch.set_num_threads(1)
    init = Trainer("init", new_train, new_build, new_config, n_src, n_tgt).model
    init = {k: v.clone() for k, v in init.state_dict().items()}
    order = bucket_batches([len(s) for s, _ in data.train], args.epoch_batch, seed=1)
    results = []
    for run in args.epoch_runs.split(","):
        name, _, seed = run.partition(":")
        tmod, build, cmod, low = code[name]
        impl = Trainer(name, tmod, build, cmod, n_src, n_tgt, init=init, bf16=low)
        torch.manual_seed(int(seed or 7))
        impl.run(order[: args.epoch_batches or None], data.train)
        # one evaluator for all: the trained weights in a model of today's code
        judged = Trainer("judge", new_train, new_build, new_config, n_src, n_tgt).model
        judged.load_state_dict(impl.model.state_dict())
        val = new_train.evaluate_loss(judged, data.valid, 128, torch.device("cpu"))
        own = tmod.evaluate_loss(impl.model, data.valid, 128, torch.device("cpu"))
        results.append(val)
        print(
            f"one epoch (batches of {args.epoch_batch}), {run}: valid NLL {val:.4f} (its own "
            f"code's evaluator: {own:.4f}; {impl.seconds / 60:.1f} min, {impl.rate:,.0f} tok/s)"
            + ("" if len(results) == 1 else f"; {val - results[0]:+.4f} from the first run")
        )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=str(DEFAULT_DATA))
    ap.add_argument("--baseline", default="8d2228c", help="commit of the earlier trainer")
    ap.add_argument("--batches", type=int, default=60, help="timed batches per trainer and count")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--new-batch", type=int, default=512, help="the recipe's batch size")
    ap.add_argument("--epoch", action="store_true", help="also compare one epoch's valid loss")
    ap.add_argument("--epoch-batches", type=int, default=0, help="(a quick check) fewer batches")
    ap.add_argument(
        "--epoch-runs",
        default="baseline,new,bf16",
        help="the epoch check's runs, each NAME or NAME:SEED (baseline, new, bf16; seed 7)",
    )
    ap.add_argument("--epoch-batch", type=int, default=64, help="sentences per epoch batch")
    ap.add_argument("--no-speed", action="store_true", help="only the epoch check")
    args = ap.parse_args()

    data_args = new_train.parse_args(
        f"--data {args.data} --src en --tgt fr --max-len 15 --min-freq 2 --src-vocab-size 8000 "
        "--tgt-vocab-size 8000 --out /tmp/bench-train".split()
    )
    t0 = time.perf_counter()
    data = corpus.load_for_training(data_args)
    print(f"data: {len(data.train):,} training pairs ({time.perf_counter() - t0:.0f} s to load)")
    n_src, n_tgt = len(data.src_vocab), len(data.tgt_vocab)
    order = bucket_batches([len(s) for s, _ in data.train], 64, seed=1)

    with tempfile.TemporaryDirectory() as tmp:
        base_train, base_model, base_config = load_baseline(args.baseline, Path(tmp))
        import seq2seq_viz.config as new_config

        print(f"baseline: {args.baseline}; machine: {torch.get_num_threads()} threads available")
        big = args.new_batch
        orders = {64: order, big: bucket_batches([len(s) for s, _ in data.train], big, seed=1)}
        thread_counts = [] if args.no_speed else [int(x) for x in args.threads.split(",") if x]
        if thread_counts:
            print(
                f"| threads | baseline tok/s | new tok/s | ratio | new, batch {big}: tok/s "
                f"| ratio | new, batch {big}, bfloat16: tok/s | ratio |"
            )
            print("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for threads in thread_counts:
            torch.set_num_threads(threads)
            impls = [
                Trainer("baseline", base_train, base_model.build_model, base_config, n_src, n_tgt),
                Trainer("new", new_train, new_build, new_config, n_src, n_tgt),
                Trainer(f"new@{big}", new_train, new_build, new_config, n_src, n_tgt),
                Trainer(f"bf16@{big}", new_train, new_build, new_config, n_src, n_tgt, bf16=True),
            ]
            sizes = [64, 64, big, big]
            for impl, size in zip(impls, sizes, strict=True):  # warm-up, not timed
                impl.run(orders[size][:2], data.train)
                impl.tokens, impl.seconds = 0, 0.0
            sentences = max(1, args.batches // args.rounds) * 64  # per trainer and round
            for r in range(args.rounds):
                pairs = list(zip(impls, sizes, strict=True))
                for impl, size in pairs if r % 2 == 0 else pairs[::-1]:
                    n = max(1, sentences // size)
                    impl.run(orders[size][2 + r * n : 2 + (r + 1) * n], data.train)
            base, new, large, low = impls
            print(
                f"| {threads} | {base.rate:,.0f} | {new.rate:,.0f} | {new.rate / base.rate:.2f}x "
                f"| {large.rate:,.0f} | {large.rate / base.rate:.2f}x "
                f"| {low.rate:,.0f} | {low.rate / base.rate:.2f}x |"
            )
            if threads == 1:
                floor = matmul_share(new, orders[64][-8:], data.train)
                print(
                    f"(new, batch 64, 1 thread: {floor:.0%} of its time is matrix products; "
                    f"with everything else free it would make {new.rate / floor:,.0f} tok/s, "
                    f"{new.rate / floor / base.rate:.2f}x the baseline)"
                )

        if args.epoch:
            epoch_check(args, data, (base_train, base_model, base_config), n_src, n_tgt)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
