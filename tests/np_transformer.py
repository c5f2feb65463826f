"""An independent NumPy recomputation of the Transformer's forward pass from its saved weights
(a state dict of arrays), written from the equations in seq2seq_viz/transformer.py's docstring
and never calling the model code: the reference the trace is checked against."""

from __future__ import annotations

import math

import numpy as np


def layer_norm(x: np.ndarray, w: dict, name: str, eps: float = 1e-5) -> np.ndarray:
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w[f"{name}.weight"] + w[f"{name}.bias"]


def linear(x: np.ndarray, w: dict, name: str) -> np.ndarray:
    return x @ w[f"{name}.weight"].T + w[f"{name}.bias"]


def positions(length: int, dim: int) -> np.ndarray:
    pe = np.zeros((length, dim))
    for pos in range(length):
        for i in range(0, dim, 2):
            angle = pos / (10000.0 ** (i / dim))
            pe[pos, i] = math.sin(angle)
            pe[pos, i + 1] = math.cos(angle)
    return pe


def attention(x_q: np.ndarray, x_kv: np.ndarray, w: dict, name: str, heads: int, causal: bool):
    """x_q (Tq,D), x_kv (Tk,D) -> out (Tq,D) and per head q, k, v, scores, weights, o."""
    D = x_q.shape[1]
    d = D // heads
    q = linear(x_q, w, f"{name}.W_q").reshape(-1, heads, d).transpose(1, 0, 2)  # (n,Tq,d)
    k = linear(x_kv, w, f"{name}.W_k").reshape(-1, heads, d).transpose(1, 0, 2)  # (n,Tk,d)
    v = linear(x_kv, w, f"{name}.W_v").reshape(-1, heads, d).transpose(1, 0, 2)
    scores = q @ k.transpose(0, 2, 1) / math.sqrt(d)  # (n,Tq,Tk)
    if causal:
        Tq, Tk = scores.shape[1:]
        allowed = np.tril(np.ones((Tq, Tk), dtype=bool))
        scores = np.where(allowed, scores, -np.inf)
    e = np.exp(scores - scores.max(-1, keepdims=True))
    weights = e / e.sum(-1, keepdims=True)
    o = weights @ v  # (n,Tq,d)
    out = linear(o.transpose(1, 0, 2).reshape(-1, D), w, f"{name}.W_o")
    return out, {"q": q, "k": k, "v": v, "scores": scores, "weights": weights, "o": o}


def ffn(x: np.ndarray, w: dict, name: str) -> np.ndarray:
    return linear(np.maximum(linear(x, w, f"{name}.W_1"), 0.0), w, f"{name}.W_2")


def forward(w: dict, cfg: dict, src_ids: list[int], tgt_in: list[int]) -> dict:
    """The whole model on one sentence, every target position at once (causal mask):
    encoder output, per-layer attention parts, and log p(y) per position."""
    D, n = cfg["d_model"], cfg["heads"]
    w = {k: np.asarray(v, dtype=np.float64) for k, v in w.items()}
    S, T = len(src_ids), len(tgt_in)
    pe = positions(max(S, T), D)
    x = w["src_embed.weight"][src_ids] * math.sqrt(D) + pe[:S]
    enc_self = []
    for i in range(cfg["enc_layers"]):
        p = f"enc_layers.{i}"
        h = layer_norm(x, w, f"{p}.norm_self")
        out, parts = attention(h, h, w, f"{p}.self_attn", n, causal=False)
        enc_self.append(parts["weights"])
        x = x + out
        x = x + ffn(layer_norm(x, w, f"{p}.norm_ffn"), w, f"{p}.ffn")
    memory = layer_norm(x, w, "enc_norm")
    y = w["decoder.embed.weight"][tgt_in] * math.sqrt(D) + pe[:T]
    selfs, crosses, cross_out = [], [], None
    for i in range(cfg["dec_layers"]):
        p = f"decoder.layers.{i}"
        h = layer_norm(y, w, f"{p}.norm_self")
        out, parts = attention(h, h, w, f"{p}.self_attn", n, causal=True)
        selfs.append(parts)
        y = y + out
        h = layer_norm(y, w, f"{p}.norm_cross")
        cross_out, parts = attention(h, memory, w, f"{p}.cross_attn", n, causal=False)
        crosses.append(parts)
        y = y + cross_out
        y = y + ffn(layer_norm(y, w, f"{p}.norm_ffn"), w, f"{p}.ffn")
    z = layer_norm(y, w, "decoder.norm")  # (T,D)
    logits = z @ w["decoder.embed.weight"].T + w["decoder.out_bias"]
    logits = logits - logits.max(-1, keepdims=True)
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    return {
        "memory": memory,
        "enc_self": np.stack(enc_self),  # (L,n,S,S)
        "self": selfs,
        "cross": crosses,
        "cross_out": cross_out,  # last layer (T,D)
        "z": z,
        "logp": logp,
    }
