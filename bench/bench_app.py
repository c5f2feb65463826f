"""Server-side time of the app's reruns, measured with streamlit.testing's AppTest.

    python bench/bench_app.py [--models DIR] [--model NAME] [--repeats N]

Scenarios, side by side in one run on one machine (moving through steps is not one: the step
player draws every step in the browser, with no rerun):
- "new sentence": a sentence never seen before, so the model decodes it and the step page
  builds every step's figures for the browser (goal: 500 ms), for a short (6-token) and a long
  (25-token) sentence; "(of which the steps)" is the step player's part of it;
- "same sentence again": a rerun with nothing new (another setting's widget, say), so the
  trace and every figure come from the caches.
Without --models, the shipped model is used when pretrained/<model> exists, else a model of the
shipped size (H=256, E=128, 8000-word vocabularies) with random weights is made in a temporary
folder: the time of a decoding step does not depend on what the weights learned.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
GOALS_MS = {
    "new sentence (6 tokens)": 500.0,
    "(of which the steps)": 500.0,
    "new sentence (25 tokens)": 500.0,
    "(of which the steps) ": 500.0,
    "same sentence again": 100.0,
}
WORDS = (
    "cat dog house tree car book girl boy man woman city river red black small big old new "
    "happy sad quickly slowly sleeps runs reads sees"
).split()


def shipped_size_model(folder: Path) -> Path:
    """A random model with the shipped architecture (timing only)."""
    import torch

    from seq2seq_viz.checkpoints import save_model
    from seq2seq_viz.config import ModelConfig
    from seq2seq_viz.decode import Translator
    from seq2seq_viz.model import build_model
    from seq2seq_viz.text import Vocab

    words = [f"w{i}" for i in range(7996)]
    src = Vocab.build([list(WORDS) + words], min_freq=1)
    tgt = Vocab.build([words], min_freq=1)
    torch.manual_seed(0)
    cfg = ModelConfig(len(src), len(tgt), emb_dim=128, hidden_dim=256)
    save_model(folder / "soft-general", Translator(build_model(cfg).eval(), src, tgt))
    return folder


def sentence(i: int, n_tokens: int) -> str:
    """A sentence no earlier run has seen (so its trace is not cached)."""
    words = [WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(n_tokens - 2)]
    return " ".join(["the", *words, str(i)])


def timed(run) -> float:
    start = time.perf_counter()
    run()
    return (time.perf_counter() - start) * 1000


def bench(model: str, repeats: int) -> dict[str, list[float]]:
    from streamlit.testing.v1 import AppTest

    from seq2seq_viz.views.timing import TIMINGS

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["text"] = sentence(0, 8)
    at.query_params["model"] = model
    at.run()
    if at.exception:
        raise SystemExit(f"the app failed: {at.exception[0].value}")
    results: dict[str, list[float]] = {name: [] for name in GOALS_MS}
    for i in range(repeats):
        for n, part in ((6, "(of which the steps)"), (25, "(of which the steps) ")):
            at.session_state["text"] = sentence(1000 * n + i, n)
            results[f"new sentence ({n} tokens)"].append(timed(at.run))
            results[part].append(TIMINGS["step_view"][-1])
        results["same sentence again"].append(timed(at.run))
    return results


def report(results: dict[str, list[float]]) -> None:
    print(f"{'scenario':<30}{'median ms':>11}{'p90 ms':>9}{'goal ms':>9}  ok")
    for name, times in results.items():
        p90 = sorted(times)[max(0, int(len(times) * 0.9) - 1)]
        median, goal = statistics.median(times), GOALS_MS[name]
        print(
            f"{name:<30}{median:>11.1f}{p90:>9.1f}{goal:>9.0f}  {'yes' if median <= goal else 'NO'}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", help="models folder (default: pretrained/ or a random model)")
    parser.add_argument("--model", default="soft-general")
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        models = args.models
        if models is None:
            shipped = ROOT / "pretrained"
            models = shipped if (shipped / args.model / "config.json").is_file() else None
        if models is None:
            models = shipped_size_model(Path(tmp))
            print("using a random model of the shipped size (pretrained model not found)")
        if not (Path(models) / args.model / "config.json").is_file():
            raise SystemExit(f"no model {args.model!r} in {models}")
        os.environ["SEQ2SEQ_VIZ_MODELS"] = str(models)
        print(f"models: {models}, model: {args.model}, repeats: {args.repeats}")
        report(bench(args.model, args.repeats))


if __name__ == "__main__":
    main()
