"""Are the traces unchanged? Write the traces of a checkout, or compare them with a snapshot.

    python bench/trace_snapshot.py /tmp/before            # on the old code: write the snapshot
    python bench/trace_snapshot.py /tmp/after --compare /tmp/before   # on the new code

Three shipped models (soft-dot, local-p, hard), three sentences (one with an unknown word), and
eight decodings of each: greedy, beam 5, teacher forcing, a forced prefix, an attention edit
with a mask and a temperature, an edit under beam 3, seeded sampling, and hard attention
sampling its position. Each trace is saved as its JSON; a refactoring must leave every file
byte-identical.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import seq2seq_viz as sv  # noqa: E402
from seq2seq_viz.config import DecodeConfig  # noqa: E402

MODELS = ("soft-dot", "local-p", "hard")
SENTENCES = ("I am cold.", "She is reading a book in the garden.", "Tom zzqx runs.")


def decodings(n_src: int) -> dict[str, tuple[DecodeConfig, dict]]:
    last = [0.0] * (n_src - 1) + [1.0]  # all the weight on the last source token
    return {
        "greedy": (DecodeConfig(), {}),
        "beam5": (DecodeConfig(beam_width=5), {}),
        "teacher": (DecodeConfig(), {"reference": "J'ai froid."}),
        "prefix": (DecodeConfig(), {"prefix": ["elle"]}),
        "override": (
            DecodeConfig(attention_override={1: last}, masked_positions=[0], attn_temperature=2.0),
            {},
        ),
        "sample": (DecodeConfig(n_samples=3, sample_temperature=0.8, sample_top_k=5, seed=3), {}),
        "beamsteer": (DecodeConfig(beam_width=3, attention_override={0: last}), {}),
        "hardsample": (DecodeConfig(sample_hard=True, seed=2), {}),
    }


def write(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    count = 0
    for name in MODELS:
        tr = sv.load_model(name)
        for i, text in enumerate(SENTENCES):
            for kind, (cfg, kwargs) in decodings(len(tr.encode_text(text).tokens)).items():
                try:
                    data = tr.trace(text, cfg, **kwargs).to_json()
                except ValueError as err:  # an input the app refuses: its message is the output
                    data = f"ValueError: {err}"
                (out / f"{name}_{i}_{kind}.json").write_text(data)
                count += 1
    return count


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path, help="folder to write the traces to")
    ap.add_argument("--compare", type=Path, help="a snapshot folder to compare them with")
    args = ap.parse_args()
    n = write(args.out)
    print(f"{n} traces written to {args.out}")
    if args.compare is None:
        return 0
    names = sorted(p.name for p in args.out.glob("*.json"))
    differ = [x for x in names if (args.compare / x).read_bytes() != (args.out / x).read_bytes()]
    print(f"{len(names) - len(differ)} of {len(names)} identical; differ: {differ or 'none'}")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
