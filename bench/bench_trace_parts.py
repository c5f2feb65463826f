"""Where a trace's time goes (not a test): encoding, the decoder steps alone, a greedy trace and a
beam-5 trace of the same 12-token sentence, for one model, one thread, median of 15.

    python bench/bench_trace_parts.py transformer [soft-dot ...]

"steps only" runs the decoder over the greedy trace's own words without recording anything, so
"greedy trace" minus "steps only" minus "encode" is what recording costs (docs/benchmarks.md).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from seq2seq_viz import transformer_record as trec  # noqa: E402
from seq2seq_viz.checkpoints import load_model  # noqa: E402
from seq2seq_viz.config import DecodeConfig  # noqa: E402
from seq2seq_viz.text import SOS_ID  # noqa: E402

TEXT = "i think that tom is going to be late for the meeting ."


def median_ms(run, n: int = 15) -> float:
    for _ in range(3):
        run()
    times = []
    for _ in range(n):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return sorted(times)[n // 2] * 1000


def parts(name: str) -> dict[str, float]:
    tr = load_model(name)
    enc = tr.encode(tr.encode_text(TEXT))
    ids = [s.token_id for s in tr.trace(TEXT).steps]

    @torch.inference_mode()
    def steps_only() -> None:
        state, hidden, y = (
            trec.initial_state(enc),
            tr.model.initial_attn_hidden(1, tr.device),
            SOS_ID,
        )
        for t, token in enumerate(ids):
            out = tr.model.decoder.step(torch.tensor([y]), hidden, state, enc, t=t)
            state, hidden, y = out.state, out.attn_hidden, token

    return {
        "encode": median_ms(lambda: tr.encode(tr.encode_text(TEXT))),
        f"steps only ({len(ids)})": median_ms(steps_only),
        "greedy trace": median_ms(lambda: tr.trace(TEXT)),
        "beam-5 trace": median_ms(lambda: tr.trace(TEXT, DecodeConfig(beam_width=5)), 7),
    }


def main() -> None:
    torch.set_num_threads(1)
    for name in sys.argv[1:] or ["transformer", "soft-dot"]:
        row = parts(name)
        print(name + ": " + ", ".join(f"{k} {v:.1f} ms" for k, v in row.items()))


if __name__ == "__main__":
    main()
