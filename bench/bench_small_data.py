"""Small-data benchmark (not a test): our training CLI against a plain GRU baseline, same time.

    python bench/bench_small_data.py [--data FILE] [--minutes 13] [--threads 1]

The data is the PyTorch seq2seq tutorial's slice of the Tatoeba corpus: French -> English, both
sides under 10 words (the tutorial's whitespace count after its normalisation), English starting
with "i am", "he is", "she is", "you are", "we are", "they are" or a contraction of them (about
11.8k pairs). It is written to a temporary TSV and split by distinct source sentence (500 valid,
1,000 test sources), so both systems train and test on exactly the same pairs and tokens.

1. Ours: ``python -m seq2seq_viz.train`` with its default recipe, given ``--max-minutes``.
2. The baseline, written here from the tutorial's description (not its code): a one-layer
   unidirectional GRU encoder (hidden 256), a GRU decoder with additive attention over the
   encoder states, teacher forcing, Adam (lr 1e-3), batches of 32, NLL loss, no regularisation,
   trained for the same wall-clock minutes; the epoch with the best validation loss is kept.

Both are scored with sacrebleu on the test sources against all their references (greedy
decoding for both; ours also at beam 5, the app's search).
"""

from __future__ import annotations

import argparse
import gzip
import random
import re
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

import torch
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from seq2seq_viz import corpus  # noqa: E402
from seq2seq_viz import data as D  # noqa: E402
from seq2seq_viz.checkpoints import load_model  # noqa: E402
from seq2seq_viz.evaluate import bleu, translate_all  # noqa: E402
from seq2seq_viz.text import EOS_ID, SOS_ID, UNK_ID, detokenize, normalize  # noqa: E402
from seq2seq_viz.train import parse_args  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "tatoeba-eng-fra" / "eng-fra.txt.gz"
PREFIXES = (
    "i am ", "i m ", "he is", "he s ", "she is", "she s ",
    "you are", "you re ", "we are", "we re ", "they are", "they re ",
)  # fmt: skip
# the slice's training data options: French -> English, its length limit, the split's sizes
SLICE_ARGS = "--src fr --tgt en --reverse --max-len 12 --min-freq 1 --n-valid 500 --n-test 1000"


def tutorial_normal(text: str) -> str:
    """The tutorial's filter view of a sentence: ASCII, lowercase, letters and .!? only."""
    text = "".join(
        c
        for c in unicodedata.normalize("NFD", text.lower().strip())
        if not unicodedata.combining(c)
    )
    text = re.sub(r"([.!?])", r" \1", text)
    return re.sub(r"[^a-zA-Z!?]+", r" ", text).strip()


def write_slice(src: Path, out: Path) -> int:
    kept = 0
    with gzip.open(src, "rt", encoding="utf-8") as fh, out.open("w", encoding="utf-8") as dst:
        for line in fh:
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 2:
                continue
            en, fr = tutorial_normal(fields[0]), tutorial_normal(fields[1])
            if len(en.split(" ")) < 10 and len(fr.split(" ")) < 10 and en.startswith(PREFIXES):
                dst.write(f"{fields[0]}\t{fields[1]}\n")
                kept += 1
    return kept


# ----------------------------------------------------------------------------- the baseline


class PlainGRU(nn.Module):
    """GRU encoder, GRU decoder with additive attention (Bahdanau et al. 2015), no extras."""

    def __init__(self, n_src: int, n_tgt: int, hidden: int = 256) -> None:
        super().__init__()
        self.src_emb, self.tgt_emb = nn.Embedding(n_src, hidden), nn.Embedding(n_tgt, hidden)
        self.encoder = nn.GRU(hidden, hidden, batch_first=True)
        self.decoder = nn.GRU(2 * hidden, hidden, batch_first=True)
        self.W_q, self.W_k = nn.Linear(hidden, hidden), nn.Linear(hidden, hidden)
        self.v = nn.Linear(hidden, 1)
        self.out = nn.Linear(hidden, n_tgt)

    def encode(self, src: torch.Tensor):
        keys, last = self.encoder(self.src_emb(src))  # (B,S,H), (1,B,H)
        return keys, last, src != 0

    def step(self, y: torch.Tensor, state, keys, mask):
        q = state[-1]  # (B,H)
        e = self.v(torch.tanh(self.W_q(q).unsqueeze(1) + self.W_k(keys))).squeeze(2)  # (B,S)
        a = e.masked_fill(~mask, -1e9).softmax(-1)
        c = torch.bmm(a.unsqueeze(1), keys)  # (B,1,H)
        out, state = self.decoder(torch.cat([self.tgt_emb(y).unsqueeze(1), c], 2), state)
        return self.out(out.squeeze(1)).log_softmax(-1), state


def pad(rows: list[list[int]]) -> torch.Tensor:
    out = torch.zeros(len(rows), max(map(len, rows)), dtype=torch.long)
    for i, r in enumerate(rows):
        out[i, : len(r)] = torch.tensor(r)
    return out


def baseline_loss(model: PlainGRU, batch, sos: int, eos: int) -> torch.Tensor:
    src = pad([s for s, _ in batch])
    tgt = pad([t + [eos] for _, t in batch])
    keys, state, mask = model.encode(src)
    y, losses = torch.full((len(batch),), sos), []
    for t in range(tgt.size(1)):
        logp, state = model.step(y, state, keys, mask)
        losses.append(nn.functional.nll_loss(logp, tgt[:, t], ignore_index=0, reduction="sum"))
        y = tgt[:, t]
    return torch.stack(losses).sum() / (tgt != 0).sum()


def train_baseline(train, valid, n_src, n_tgt, minutes: float, sos: int, eos: int) -> PlainGRU:
    torch.manual_seed(1)
    model, rng = PlainGRU(n_src, n_tgt), random.Random(1)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    best, best_state, start, epoch = float("inf"), None, time.perf_counter(), 0
    while time.perf_counter() - start < minutes * 60:
        order = list(range(len(train)))
        rng.shuffle(order)
        model.train()
        for k in range(0, len(order), 32):
            loss = baseline_loss(model, [train[i] for i in order[k : k + 32]], sos, eos)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if time.perf_counter() - start > minutes * 60:
                break
        model.eval()
        with torch.no_grad():
            val = float(
                sum(
                    baseline_loss(model, valid[k : k + 128], sos, eos) * len(valid[k : k + 128])
                    for k in range(0, len(valid), 128)
                )
                / len(valid)
            )
        epoch += 1
        print(f"  baseline epoch {epoch}: valid nll {val:.3f}", file=sys.stderr, flush=True)
        if val < best:
            best, best_state = val, {k: v.clone() for k, v in model.state_dict().items()}
    model.load_state_dict(best_state)
    return model.eval()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=str(DEFAULT_DATA))
    ap.add_argument("--minutes", type=float, default=13.0)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        tsv = Path(tmp) / "slice.tsv"
        print(f"slice: {write_slice(Path(args.data), tsv):,} pairs")
        common = f"--data {tsv} {SLICE_ARGS}"
        cmd = (
            f"{sys.executable} -m seq2seq_viz.train {common} --max-minutes {args.minutes} "
            f"--epochs 1000 --threads {args.threads} --quiet --out {tmp}/ours --run-dir {tmp}/run"
        )
        # Both at once, one thread each on its own core: neither gets a quieter machine, and a
        # full run takes --minutes, not twice that.
        prepared = corpus.load_for_training(parse_args(common.split() + ["--out", "x"]))
        src_vocab, tgt_vocab = prepared.src_vocab, prepared.tgt_vocab  # what ours builds too
        start = time.perf_counter()
        ours = subprocess.Popen(cmd.split(), cwd=ROOT)
        base = train_baseline(
            prepared.train,
            prepared.valid,
            len(src_vocab),
            len(tgt_vocab),
            args.minutes,
            SOS_ID,
            EOS_ID,
        )
        base_minutes = (time.perf_counter() - start) / 60
        if ours.wait() != 0:
            raise SystemExit(f"training failed: {cmd}")
        tr = load_model(f"{tmp}/ours")
        training = tr.meta.get("training") or {}
        ours_minutes = float(training.get("seconds", 0)) / 60  # its own clock: it may stop early
        assert tr.src_vocab.itos == src_vocab.itos and tr.tgt_vocab.itos == tgt_vocab.itos
        groups = D.group_references(prepared.test)
        sources = [s for s, _ in groups]
        refs = [[normalize(r) for r in rs] for _, rs in groups]
        scores = {}
        for beam in (1, 5):
            toks, _ = translate_all(tr, sources, beam, progress=False)
            scores[f"ours, beam {beam}"] = bleu([detokenize(t, "en") for t in toks], refs)
        hyps = []
        for src in sources:
            source = tr.encode_text(src)
            out = greedy_baseline(base, list(source.ids), SOS_ID, EOS_ID, not any(source.unknown))
            hyps.append(detokenize(tgt_vocab.decode(out), "en"))
        scores["plain GRU baseline, greedy"] = bleu(hyps, refs)
    print(
        f"\ntest: {len(sources):,} sources; both trained at once: ours {ours_minutes:.1f} min, "
        f"{training.get('epochs_run', '?')} epochs (it stops early once its learning rate has "
        f"halved below --min-lr), baseline {base_minutes:.1f} min"
    )
    print("| system | BLEU |\n| --- | --- |")
    for name, value in scores.items():
        print(f"| {name} | {value:.2f} |")
    return 0


@torch.no_grad()
def greedy_baseline(
    model: PlainGRU, ids: list[int], sos: int, eos: int, ban_unk: bool
) -> list[int]:
    keys, state, mask = model.encode(torch.tensor([ids]))
    y, out = torch.tensor([sos]), []
    for _ in range(20):
        logp, state = model.step(y, state, keys, mask)
        logp[0, [0, sos]] = float("-inf")  # never <pad> or <sos>; <unk> as our decoder rules
        if ban_unk:
            logp[0, UNK_ID] = float("-inf")
        y = logp.argmax(-1)
        if int(y) == eos:
            break
        out.append(int(y))
    return out


if __name__ == "__main__":
    raise SystemExit(main())
