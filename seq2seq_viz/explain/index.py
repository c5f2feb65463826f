"""The sentences the model is thinking of: nearest training states, one small index per model.

Built once by a command, stored beside the weights as ``explain_index.npz`` (NumPy arrays only,
loaded without pickle)::

    python -m seq2seq_viz.explain.index pretrained/soft-dot --data PATH/eng-fra.txt.gz

It rebuilds the model's own training split (corpus.load_split with the settings recorded in its
config.json, checked against the recorded hashes), samples ``--sentences`` training pairs, runs
them through the model under teacher forcing, and keeps for every target position its
attentional state h~_t (and the model's top word there) and for every source token its encoder
state h_i. Each kind of state is reduced by PCA to ``--dims`` dimensions (fitted on the sample)
and stored as float16 with its sentence and position; the sentences are stored as token ids.
The file stays under ``--max-bytes`` (default 3.5 MB; fewer sentences when needed).

A query projects a state of the user's sentence (from its trace: ``attn_hidden`` or
``enc_states``) with the same PCA and finds the nearest stored states by brute-force Euclidean
distance in NumPy (the method chosen by measurement: bench/bench_explain.py), keeping one state
per training sentence. The first two principal components give the 2-D map.
"""

from __future__ import annotations

import argparse
import io
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from seq2seq_viz.decode import Translator
from seq2seq_viz.text import EOS, EOS_ID, PAD_ID, SOS_ID
from seq2seq_viz.trace import DecodeTrace

from .results import Neighbour, NeighbourResult

INDEX_FILE = "explain_index.npz"
MAX_BYTES = 3_500_000
KINDS = ("decoder", "encoder")


class IndexMissing(FileNotFoundError):
    """No (usable) index beside the model's weights."""


@dataclass
class StateIndex:
    arrays: dict[str, np.ndarray]
    meta: dict

    def project(self, kind: str, states: np.ndarray) -> np.ndarray:
        """States (n,H) -> their coordinates (n,d) on the index's principal components."""
        a = self.arrays
        return (np.asarray(states, np.float32) - a[f"{kind}_mean"]) @ a[f"{kind}_comp"].T

    def nearest(self, kind: str, point: np.ndarray, k: int) -> list[tuple[float, int]]:
        """(distance, row) of the k nearest stored states, one per training sentence."""
        vecs = self.arrays[f"{kind}_vecs"]  # (N,d) float32
        d2 = ((vecs - point[None]) ** 2).sum(axis=1)  # (N,)
        take = min(len(d2), max(4 * k, k + 20))
        rows = np.argpartition(d2, take - 1)[:take]
        rows = rows[np.argsort(d2[rows], kind="stable")]
        out, seen = [], set()
        for r in rows:
            s = int(self.arrays[f"{kind}_sent"][r])
            if s not in seen:
                seen.add(s)
                out.append((float(np.sqrt(d2[r])), int(r)))
            if len(out) == k:
                break
        return out

    def sentence(self, s: int) -> tuple[np.ndarray, np.ndarray]:
        a = self.arrays
        src = a["src_ids"][a["src_off"][s] : a["src_off"][s + 1]]
        tgt = a["tgt_ids"][a["tgt_off"][s] : a["tgt_off"][s + 1]]
        return src, tgt


def index_path(folder: str | Path) -> Path:
    return Path(folder) / INDEX_FILE


def load_index(folder: str | Path, weights_sha256: str | None = None) -> StateIndex:
    """The model's index; IndexMissing when there is none or it was built for other weights."""
    path = index_path(folder)
    if not path.is_file():
        raise IndexMissing(f"no nearest-neighbour index at {path}")
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(str(arrays.pop("meta")))
    if weights_sha256 and meta.get("weights_sha256") not in (None, weights_sha256):
        raise IndexMissing(f"{path} was built for other weights; build it again")
    for kind in KINDS:
        arrays[f"{kind}_vecs"] = arrays[f"{kind}_vecs"].astype(np.float32)
    return StateIndex(arrays, meta)


def query(
    index: StateIndex, translator: Translator, trace: DecodeTrace, kind: str, i: int, k: int = 8
) -> NeighbourResult:
    """The k training states nearest to decoder step i (h~_i) or source token i (h_i)."""
    start = time.perf_counter()
    states = _trace_states(trace, kind)
    if not 0 <= i < len(states):
        raise ValueError(f"position {i} is out of range (0..{len(states) - 1})")
    points = index.project(kind, states)  # (n,d)
    found = index.nearest(kind, points[i], k)
    src_itos, tgt_itos = translator.src_vocab.itos, translator.tgt_vocab.itos
    out = []
    for dist, r in found:
        s = int(index.arrays[f"{kind}_sent"][r])
        pos = int(index.arrays[f"{kind}_pos"][r])
        src, tgt = index.sentence(s)
        src_tok = [src_itos[j] for j in src]
        tgt_tok = [tgt_itos[j] for j in tgt]
        if kind == "decoder":
            word = tgt_tok[pos] if pos < len(tgt_tok) else EOS
            pred = int(index.arrays["decoder_pred"][r])
            predicted = EOS if pred == EOS_ID else tgt_itos[pred]
        else:
            word, predicted = src_tok[pos], ""
        xy = index.arrays[f"{kind}_vecs"][r, :2].astype(float)
        out.append(Neighbour(dist, s, pos, src_tok, tgt_tok, word, predicted, xy))
    words = [st.token for st in trace.steps] if kind == "decoder" else trace.src_tokens
    return NeighbourResult(kind, words[i], points[i, :2].astype(float), out,
                           time.perf_counter() - start)  # fmt: skip


def sentence_map(index: StateIndex, trace: DecodeTrace, kind: str = "decoder") -> np.ndarray:
    """(n,2): the sentence's own states on the index's first two principal components."""
    return index.project(kind, _trace_states(trace, kind))[:, :2].astype(float)


def _trace_states(trace: DecodeTrace, kind: str) -> np.ndarray:
    if kind == "decoder":
        return np.stack([s.attn_hidden for s in trace.steps])  # (T,H)
    if kind == "encoder":
        return np.asarray(trace.enc_states)  # (S,H)
    raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")


# ----------------------------------------------------------------------------- building


def collect(
    translator: Translator, pairs: list[tuple[list[int], list[int]]], batch: int = 64
) -> dict[str, np.ndarray]:
    """Teacher-forced states of every pair: decoder h~_t (+ top word) and encoder h_i."""
    model, dev = translator.model.eval(), translator.device
    parts: dict[str, list] = {k: [] for k in ("dh", "ds", "dp", "dw", "eh", "es", "ep")}
    for b in range(0, len(pairs), batch):
        chunk = pairs[b : b + batch]
        S = max(len(s) for s, _ in chunk)
        T = max(len(t) for _, t in chunk) + 1
        src = torch.full((len(chunk), S), PAD_ID, dtype=torch.long)
        tgt_in = torch.full((len(chunk), T), PAD_ID, dtype=torch.long)
        for r, (s, t) in enumerate(chunk):
            src[r, : len(s)] = torch.tensor(s)
            tgt_in[r, : len(t) + 1] = torch.tensor([SOS_ID, *t])
        lengths = torch.tensor([len(s) for s, _ in chunk])
        with torch.inference_mode():
            enc = model.encode(src.to(dev), lengths.to(dev))
            tf = model.decoder.teacher_forced(tgt_in.to(dev), enc)
            pred = model.decoder.project(tf.attn_hidden).argmax(-1).cpu()  # (B,T)
        hid, es = tf.attn_hidden.float().cpu().numpy(), enc.enc_states.float().cpu().numpy()
        for r, (s, t) in enumerate(chunk):
            n = len(t) + 1  # target words and <eos>
            parts["dh"].append(hid[r, :n])
            parts["ds"].append(np.full(n, b + r))
            parts["dp"].append(np.arange(n))
            parts["dw"].append(pred[r, :n].numpy())
            parts["eh"].append(es[r, : len(s)])
            parts["es"].append(np.full(len(s), b + r))
            parts["ep"].append(np.arange(len(s)))
    return {k: np.concatenate(v) for k, v in parts.items()}


def pca(x: np.ndarray, dims: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Mean (H,), components (d,H) by SVD, and the share of variance they keep."""
    mean = x.mean(axis=0)
    _, sv, vt = np.linalg.svd(x - mean, full_matrices=False)
    var = sv**2
    return (
        mean.astype(np.float32),
        vt[:dims].astype(np.float32),
        float(var[:dims].sum() / var.sum()),
    )


def build(
    translator: Translator,
    pairs: list[tuple[list[int], list[int]]],
    dims: int = 32,
    max_bytes: int = MAX_BYTES,
) -> tuple[bytes, dict]:
    """The index file's bytes for these training pairs (dropping pairs from the end until it
    fits `max_bytes`; ValueError when even 10 do not fit), and its metadata."""
    while True:
        data, meta = _build_once(translator, pairs, dims)
        if len(data) <= max_bytes:
            return data, meta
        fewer = int(len(pairs) * max_bytes / len(data) * 0.97)
        if fewer < 10 or fewer >= len(pairs):
            raise ValueError(f"an index of 10 sentences does not fit in {max_bytes} bytes")
        pairs = pairs[:fewer]


def _build_once(translator: Translator, pairs: list, dims: int) -> tuple[bytes, dict]:
    st = collect(translator, pairs)
    small = (
        np.int16 if max(len(translator.src_vocab), len(translator.tgt_vocab)) < 32767 else np.int32
    )
    meta = {
        "sentences": len(pairs),
        "dims": dims,
        "method": "numpy brute force, Euclidean",
        "weights_sha256": translator.meta.get("weights_sha256"),
        "model": translator.name,
    }
    arrays: dict[str, np.ndarray] = {}
    for kind, h, s, p in (("decoder", "dh", "ds", "dp"), ("encoder", "eh", "es", "ep")):
        mean, comp, kept = pca(st[h], min(dims, st[h].shape[1]))
        arrays[f"{kind}_mean"], arrays[f"{kind}_comp"] = mean, comp
        arrays[f"{kind}_vecs"] = ((st[h] - mean) @ comp.T).astype(np.float16)
        arrays[f"{kind}_sent"] = st[s].astype(small if len(pairs) < 32767 else np.int32)
        arrays[f"{kind}_pos"] = st[p].astype(np.uint8)
        meta[f"{kind}_states"], meta[f"{kind}_variance_kept"] = len(st[h]), round(kept, 4)
    arrays["decoder_pred"] = st["dw"].astype(small)
    for side, k in (("src", 0), ("tgt", 1)):
        seqs = [pair[k] for pair in pairs]
        arrays[f"{side}_ids"] = np.concatenate([np.asarray(q, dtype=small) for q in seqs])
        arrays[f"{side}_off"] = np.cumsum([0] + [len(q) for q in seqs]).astype(np.int32)
    arrays["meta"] = np.array(json.dumps(meta))
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue(), meta


def shrink(data: bytes, max_bytes: int) -> tuple[bytes, dict]:
    """An index file cut to its first sentences until it fits `max_bytes` (the sample is in
    random order, so this is a smaller random sample); the principal components stay those
    fitted on the whole sample (meta "pca_sentences"). No model or corpus needed."""
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        full = {k: npz[k] for k in npz.files}
    meta = json.loads(str(full.pop("meta")))
    n, size = int(meta["sentences"]), len(data)
    while size > max_bytes:
        n = int(n * max_bytes / size * 0.98)
        if n < 10:
            raise ValueError(f"an index of 10 sentences does not fit in {max_bytes} bytes")
        arrays = dict(full)
        for kind in KINDS:
            keep = full[f"{kind}_sent"] < n  # (N,)
            for field in ("vecs", "sent", "pos") + (("pred",) if kind == "decoder" else ()):
                arrays[f"{kind}_{field}"] = full[f"{kind}_{field}"][keep]
            meta[f"{kind}_states"] = int(keep.sum())
        for side in ("src", "tgt"):
            off = full[f"{side}_off"][: n + 1]
            arrays[f"{side}_off"], arrays[f"{side}_ids"] = off, full[f"{side}_ids"][: off[-1]]
        meta.setdefault("pca_sentences", int(meta["sentences"]))
        meta["sentences"] = n
        arrays["meta"] = np.array(json.dumps(meta))
        buf = io.BytesIO()
        np.savez_compressed(buf, **arrays)
        data, size = buf.getvalue(), buf.tell()
    return data, meta


def training_pairs(translator: Translator, data: str | None, n: int, seed: int = 0) -> list:
    """n pairs (source ids, target ids) drawn from the model's own training split."""
    from seq2seq_viz import corpus
    from seq2seq_viz import data as D

    settings = dict(translator.meta["data"]["settings"], **({"data": data} if data else {}))
    split, _, _ = corpus.load_split(settings)
    recorded = translator.meta["data"].get("hashes", {})
    if recorded and recorded != D.split_hashes(split):
        raise SystemExit(f"{translator.name}: the rebuilt split does not match the recorded one")
    rng = np.random.default_rng(seed)
    take = rng.choice(len(split.train), size=min(n, len(split.train)), replace=False)
    src_v, tgt_v = translator.src_vocab, translator.tgt_vocab
    return [(src_v.encode(split.train[i].src), tgt_v.encode(split.train[i].tgt)) for i in take]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m seq2seq_viz.explain.index", description=__doc__.split("\n\n")[0]
    )
    p.add_argument("models", nargs="+", help="model folders (e.g. pretrained/soft-dot)")
    p.add_argument("--data", help="the parallel file the models were trained on")
    p.add_argument("--sentences", type=int, default=3000)
    p.add_argument("--dims", type=int, default=32)
    p.add_argument("--max-bytes", type=int, default=MAX_BYTES)
    p.add_argument("--seed", type=int, default=0)
    shrink_help = "cut each model's existing index to --max-bytes (no corpus needed)"
    p.add_argument("--shrink", action="store_true", help=shrink_help)
    args = p.parse_args(argv)
    from seq2seq_viz.checkpoints import atomic_write_bytes, load_model

    if args.shrink:
        for folder in args.models:
            data, meta = shrink(index_path(folder).read_bytes(), args.max_bytes)
            atomic_write_bytes(index_path(folder), data)
            print(f"{folder}: {len(data) / 1e6:.2f} MB, {meta}")
        return 0

    torch.set_num_threads(1)
    for folder in args.models:
        start = time.perf_counter()
        tr = load_model(folder, device="cpu")
        pairs = training_pairs(tr, args.data, args.sentences, args.seed)
        data, meta = build(tr, pairs, args.dims, args.max_bytes)
        atomic_write_bytes(index_path(folder), data)
        took = time.perf_counter() - start
        print(f"{folder}: {len(data) / 1e6:.2f} MB, {meta} ({took:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
