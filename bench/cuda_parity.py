"""Does the GPU path users run compute what the CPU path computes?

For every model folder given (default: every model in pretrained/), the same sentences are traced
on the CPU and on CUDA with the decoding settings the app offers (greedy, beam 5, an edited
attention row with a masked source position, sampling, and the gate-by-gate cell recomputation),
and every number of the two traces is compared: words and ids must be equal, floats within
``--atol`` (absolute) or ``--rtol`` (relative). (Training on CUDA is checked by the training
itself: `python -m seq2seq_viz.train --device cuda`; the live-training page trains on the CPU.)
Prints one line per model and case, and a JSON summary
with ``--json``; exits 1 when anything differs or fails.

    python bench/cuda_parity.py                        # needs a CUDA device
    python bench/cuda_parity.py pretrained/soft-dot --json parity.json
    python bench/cuda_parity.py pretrained/transformer --device cpu   # a smoke run without a GPU

The Transformer gets greedy, beam 5 and sampling (no attention edits, no cells): every per-layer,
per-head number of its trace is compared.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SENTENCES = [
    "I am cold.",
    "The black cat is sleeping.",
    "Where is the train station?",
    "Minji bought three green apples yesterday.",
    "He said that he would come back tomorrow if the weather is good.",
]
TOY_SENTENCES = ["a b c d e", "3 1 4 1 5 9 2 6", "july 4 1999"]


def compare(a: Any, b: Any, atol: float, rtol: float, path: str = "") -> tuple[list[str], float]:
    """Differences between two decoded trace structures, and the largest float gap seen."""
    if isinstance(a, dict) and "__ndarray__" in a and isinstance(b, dict):
        x, y = np.asarray(a["__ndarray__"]), np.asarray(b["__ndarray__"])
        if x.shape != y.shape:
            return [f"{path}: shape {x.shape} vs {y.shape}"], 0.0
        if x.dtype.kind in "fc" or y.dtype.kind in "fc":
            x, y = x.astype(np.float64), y.astype(np.float64)
            finite = np.isfinite(x) & np.isfinite(y)
            if not np.array_equal(np.isfinite(x), np.isfinite(y)):
                return [f"{path}: non-finite values differ"], 0.0
            gap = float(np.abs(x - y)[finite].max()) if finite.any() else 0.0
            ok = np.allclose(x[finite], y[finite], atol=atol, rtol=rtol)
            return ([] if ok else [f"{path}: max |diff| {gap:.3g}"]), gap
        return ([] if np.array_equal(x, y) else [f"{path}: values differ"]), 0.0
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return [f"{path}: keys {sorted(set(a) ^ set(b))}"], 0.0
        out, gap = [], 0.0
        for k in a:
            d, g = compare(a[k], b[k], atol, rtol, f"{path}.{k}")
            out, gap = out + d, max(gap, g)
        return out, gap
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: length {len(a)} vs {len(b)}"], 0.0
        out, gap = [], 0.0
        for i, (x, y) in enumerate(zip(a, b)):
            d, g = compare(x, y, atol, rtol, f"{path}[{i}]")
            out, gap = out + d, max(gap, g)
        return out, gap
    if isinstance(a, float) and isinstance(b, float):
        if math.isfinite(a) and math.isfinite(b):
            gap = abs(a - b)
            return ([] if gap <= atol + rtol * abs(b) else [f"{path}: {a} vs {b}"]), gap
        return ([] if a == b else [f"{path}: {a} vs {b}"]), 0.0
    return ([] if a == b else [f"{path}: {a!r} vs {b!r}"]), 0.0


def cases(n_src: int) -> dict[str, Any]:
    from seq2seq_viz.config import DecodeConfig

    row = tuple(1.0 / n_src for _ in range(n_src))
    return {
        "greedy": DecodeConfig(),
        "beam5": DecodeConfig(beam_width=5),
        "steered": DecodeConfig(attention_override=((0, row),), masked_positions=(n_src - 1,)),
        "sampled": DecodeConfig(n_samples=3, seed=7, sample_temperature=0.8),
    }


def check_model(folder: Path, atol: float, rtol: float, device: str) -> list[dict[str, Any]]:
    from seq2seq_viz.cells import cell_trace
    from seq2seq_viz.checkpoints import load_model

    cpu, gpu = load_model(folder, "cpu"), load_model(folder, device)
    toy = (cpu.meta.get("data") or {}).get("settings", {}).get("toy")
    rows = []
    for text in TOY_SENTENCES if toy else SENTENCES:
        n_src = len(cpu.encode_text(text).ids)
        for name, decode in cases(n_src).items():
            row: dict[str, Any] = {"model": folder.name, "sentence": text, "case": name}
            try:
                if name == "steered" and cpu.model.cfg.align in ("none", "hard", "transformer"):
                    continue  # no single attention row to edit (a Transformer refuses edits)
                a = cpu.trace(text, decode).to_data()
                b = gpu.trace(text, decode).to_data()
                diffs, gap = compare(a, b, atol, rtol)
                row.update(ok=not diffs, max_gap=gap, diffs=diffs[:5])
                row["output"] = " ".join(s["token"] for s in a["steps"])
            except Exception:  # noqa: BLE001 - reported, not hidden
                row.update(ok=False, error=traceback.format_exc(limit=4))
            rows.append(row)
        if cpu.model.cfg.align == "transformer":
            continue  # no recurrent cell to recompute gate by gate
        row = {"model": folder.name, "sentence": text, "case": "cells"}
        try:
            x, y = cell_trace(cpu, text), cell_trace(gpu, text)
            gap = max(float(np.abs(x.layers[0][0].h - y.layers[0][0].h).max()), y.max_error)
            row.update(ok=gap <= atol + 1e-6, max_gap=gap)
        except Exception:  # noqa: BLE001
            row.update(ok=False, error=traceback.format_exc(limit=4))
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("models", nargs="*", help="model folders (default: every one in pretrained/)")
    p.add_argument("--atol", type=float, default=2e-4)
    p.add_argument("--rtol", type=float, default=1e-3)
    p.add_argument("--json", help="write the rows here")
    p.add_argument("--device", default="cuda", help="the device compared with the CPU")
    args = p.parse_args(argv)
    import torch

    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print("no CUDA device: nothing to compare", file=sys.stderr)
        return 2
    torch.backends.cuda.matmul.allow_tf32 = False  # the app keeps full float32 on the GPU
    torch.backends.cudnn.allow_tf32 = False
    folders = [Path(m) for m in args.models] or sorted(
        d for d in (ROOT / "pretrained").iterdir() if (d / "config.json").exists()
    )
    start, rows = time.perf_counter(), []
    for folder in folders:
        try:
            rows += check_model(folder, args.atol, args.rtol, args.device)
        except Exception:  # noqa: BLE001
            rows.append(
                {
                    "model": folder.name,
                    "case": "load",
                    "ok": False,
                    "error": traceback.format_exc(limit=4),
                }
            )
    for r in rows:
        mark = "ok  " if r.get("ok") else "DIFF"
        gap = f"max gap {r['max_gap']:.2e}" if "max_gap" in r else ""
        print(f"{mark} {r['model']:<14} {r['case']:<8} {gap} {r.get('sentence', '')[:40]}")
        for d in r.get("diffs", []):
            print(f"       {d}")
        if "error" in r:
            print("       " + r["error"].strip().replace("\n", "\n       "))
    bad = [r for r in rows if not r.get("ok")]
    gaps = [r["max_gap"] for r in rows if "max_gap" in r]
    summary = {
        "device": torch.cuda.get_device_name(0) if args.device.startswith("cuda") else args.device,
        "torch": torch.__version__,
        "checked": len(rows),
        "differing": len(bad),
        "max_gap": max(gaps) if gaps else None,
        "seconds": round(time.perf_counter() - start, 1),
    }
    print(json.dumps(summary))
    if args.json:
        Path(args.json).write_text(json.dumps({"summary": summary, "rows": rows}, indent=1))
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
