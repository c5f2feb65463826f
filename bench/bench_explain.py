"""Benchmark of the "is attention an explanation?" lab (not a test).

    python bench/bench_explain.py [--model soft-dot] [--repeats 3] [--threads 1]

Prints, for a 12-token sentence on one torch thread (the lab's heavy jobs run on one):
- integrated gradients (50 steps) for every output word, and all four attribution methods;
- fooling one step's attention, and every step of the sentence;
- a nearest-neighbour query in the model's index: NumPy brute force (the method used), and
  scikit-learn's KD-tree and ball tree when scikit-learn is installed; the index's size;
- with --threads 2 as well: integrated gradients on 2 threads (on a loaded 2-core machine the
  threads wait on each other).
Goals: IG < 1.5 s, all attributions < 3 s, one step < 0.5 s, a sentence < 5 s, query < 50 ms,
index <= 4 MB, on one core: judged on the CPU time of this one-thread process (on a loaded
machine the wall time also counts the wait for a core; both are printed, with the load
average). Medians of --repeats runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from seq2seq_viz.checkpoints import DEFAULT_MODEL, load_model, resolve  # noqa: E402
from seq2seq_viz.explain import index as X  # noqa: E402
from seq2seq_viz.explain.attribute import attribute, explained_trace  # noqa: E402
from seq2seq_viz.explain.fool import fool_sentence, fool_step  # noqa: E402

SENTENCE = "i think we should tell tom what happened to the car ."  # 12 tokens


def median_time(fn, repeats: int) -> tuple[float, float]:
    """Median wall-clock and CPU seconds of `repeats` calls. On one torch thread the CPU time
    is the time on one core; the wall time also counts waiting for a core on a loaded machine."""
    walls, cpus = [], []
    for _ in range(repeats):
        start, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def row(name: str, took: tuple[float, float], goal: float | None) -> None:
    wall, cpu = took
    mark = "" if goal is None else ("  ok" if cpu < goal else "  MISSED")
    goal_text = "" if goal is None else f"(goal < {goal:g} s)"
    print(f"{name:<44} wall {wall:8.3f} s  cpu {cpu:8.3f} s {goal_text:>16}{mark}")


def bench_attributions(tr, repeats: int) -> None:
    trace = explained_trace(tr, SENTENCE)
    print(f"sentence: {len(trace.src_tokens)} source tokens, {trace.n_steps} output steps")
    ig = median_time(
        lambda: attribute(tr, SENTENCE, ("integrated_gradients",), trace=trace), repeats
    )
    row("integrated gradients (50 steps), all words", ig, 1.5)
    every = median_time(lambda: attribute(tr, SENTENCE, trace=trace), repeats)
    row("all four attribution methods", every, 3.0)


def bench_fooling(tr, repeats: int) -> None:
    trace = explained_trace(tr, SENTENCE)
    one = median_time(lambda: fool_step(tr, SENTENCE, trace.n_steps // 2, trace=trace), repeats)
    row("fool one step (search + verifying decode)", one, 0.5)
    whole = median_time(lambda: fool_sentence(tr, SENTENCE), max(1, repeats // 2))
    row(f"fool every step ({trace.n_steps} steps)", whole, 5.0)


def bench_index(tr, folder: Path, repeats: int) -> None:
    path = X.index_path(folder)
    if not path.is_file():
        print(f"no index at {path}: build it with python -m seq2seq_viz.explain.index")
        return
    print(f"index {path}: {path.stat().st_size / 1e6:.2f} MB (goal <= 4 MB)")
    idx = X.load_index(folder)
    trace = explained_trace(tr, SENTENCE)
    q = median_time(lambda: X.query(idx, tr, trace, "decoder", 3, k=8), max(repeats, 20))
    row("neighbour query, NumPy brute force (k=8)", q, 0.05)
    vecs = idx.arrays["decoder_vecs"]
    point = idx.project("decoder", trace.steps[3].attn_hidden[None])[0]
    try:
        from sklearn.neighbors import BallTree, KDTree
    except ImportError:
        print("scikit-learn is not installed: KD-tree / ball tree not measured")
        return
    for name, cls in (("KD-tree", KDTree), ("ball tree", BallTree)):
        start = time.perf_counter()
        tree = cls(vecs)
        built = time.perf_counter() - start
        t = median_time(lambda tree=tree: tree.query(point[None], k=40), max(repeats, 20))
        row(f"neighbour query, scikit-learn {name} (k=40)", t, 0.05)
        print(f"{'':<44} (tree built in {built:.3f} s at every start)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default=DEFAULT_MODEL)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(1)
    tr = load_model(args.model, device="cpu")
    print(f"model {args.model}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    attribute(tr, SENTENCE, ("saliency",))  # warm up: Captum's import, first calls
    fool_sentence(tr, "the cat .", iterations=2)  # and spaCy's French stop words
    bench_attributions(tr, args.repeats)
    bench_fooling(tr, args.repeats)
    bench_index(tr, resolve(args.model), args.repeats)
    if args.threads > 1:
        torch.set_num_threads(args.threads)
        trace = explained_trace(tr, SENTENCE)
        ig = median_time(lambda: attribute(tr, SENTENCE, ("integrated_gradients",), trace=trace), 1)
        row(f"integrated gradients on {args.threads} threads", ig, None)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
