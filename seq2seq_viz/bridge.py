"""From RNN attention to the Transformer: one decoder step of both models, side by side.

The lesson stage "RNN 어텐션에서 트랜스포머로" puts the two computations next to each other:

    RNN (Luong):   e_i = score(s_t, h_i)          a = softmax(e)   c_t = sum_i a_i h_i
    Transformer:   e_i = q_t . k_i / sqrt(d_k)    a = softmax(e)   o   = sum_i a_i v_i   (per head)

To compare them at the same word, the Transformer's trace is decoded with the RNN's output
forced as its prefix (`Translator.trace(text, prefix=rnn.output_tokens)`): at step t both
decoders have read the same previous words. Everything here is read from the two traces (plain
NumPy, no torch), so a notebook gets the same numbers as the page.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .trace import DecodeTrace


@dataclass(frozen=True)
class BridgeStep:
    """Step t of an RNN trace and a Transformer trace (one layer and head of it)."""

    t: int
    layer: int  # 0-based
    head: int  # 0-based
    src_tokens: list[str]
    input_token: str  # y_{t-1}, the same for both (the Transformer is forced)
    rnn_token: str  # each model's own most likely word at t (its top-1)
    transformer_token: str
    rnn_scores: np.ndarray  # (S,) e_i = score(s_t, h_i); masked positions are -inf
    rnn_weights: np.ndarray  # (S,)
    rnn_context: np.ndarray  # (H,) c_t
    scores: np.ndarray  # (S,) q.k_i / sqrt(d_k) of the chosen layer and head
    weights: np.ndarray  # (S,)
    head_output: np.ndarray  # (d_k,) o = sum_i a_i v_i
    d_k: int
    layers: int
    heads: int

    @property
    def rnn_top(self) -> int:
        return int(np.argmax(self.rnn_weights))

    @property
    def top(self) -> int:
        return int(np.argmax(self.weights))


def transformer_record(trace: DecodeTrace, t: int) -> dict:
    """Step t's per-layer, per-head record; ValueError when t is out of range or the trace is
    not a Transformer's."""
    if not 0 <= t < trace.n_steps:
        raise ValueError(f"step {t} is out of range: the trace has {trace.n_steps} steps")
    record = trace.steps[t].extras.get("transformer")
    if record is None:
        raise ValueError("this trace is not a Transformer's (no Transformer record)")
    return record


def shape(trace: DecodeTrace) -> tuple[int, int, int]:
    """(layers, heads, d_k) of a Transformer trace's cross-attention."""
    q = np.asarray(transformer_record(trace, 0)["cross_q"])  # (L, heads, d_k)
    return int(q.shape[0]), int(q.shape[1]), int(q.shape[2])


def compare_step(
    rnn: DecodeTrace, transformer: DecodeTrace, t: int, *, layer: int = -1, head: int = 0
) -> BridgeStep:
    """Step t of both traces; `layer` -1 is the last. ValueError when the traces are not an
    RNN with attention and a Transformer on the same source, or t / layer / head is out of range."""
    if rnn.align_name in ("none", "transformer"):
        raise ValueError(f"the first trace must be an RNN with attention, not {rnn.align_name!r}")
    if list(rnn.src_tokens) != list(transformer.src_tokens):
        raise ValueError("the two traces read different source tokens")
    n = min(rnn.n_steps, transformer.n_steps)
    if not 0 <= t < n:
        raise ValueError(f"step {t} is out of range: both traces have {n} steps")
    L, n_heads, d_k = shape(transformer)
    layer = layer % L if -L <= layer < L else L
    if not (0 <= layer < L and 0 <= head < n_heads):
        raise ValueError(f"layer {layer + 1} / head {head + 1} do not exist ({L} x {n_heads})")
    record = transformer_record(transformer, t)
    r = rnn.steps[t]
    return BridgeStep(
        t=t,
        layer=layer,
        head=head,
        src_tokens=list(rnn.src_tokens),
        input_token=r.input_token,
        rnn_token=r.topk_tokens[0],
        transformer_token=transformer.steps[t].topk_tokens[0],
        rnn_scores=np.where(r.mask, r.scores, -np.inf).astype(np.float64),
        rnn_weights=np.asarray(r.weights, dtype=np.float64),
        rnn_context=np.asarray(r.context, dtype=np.float64),
        scores=np.asarray(record["cross_scores"], dtype=np.float64)[layer, head],
        weights=np.asarray(record["cross_weights"], dtype=np.float64)[layer, head],
        head_output=np.asarray(record["cross_heads"], dtype=np.float64)[layer, head],
        d_k=d_k,
        layers=L,
        heads=n_heads,
    )


def masked_self_attention(trace: DecodeTrace, layer: int = -1) -> np.ndarray:
    """(T,T) the decoder's self-attention of `layer`, mean over heads: row t holds step t's
    weights over target positions 0..t; the look-ahead mask leaves the positions after t out
    (NaN here, never computed)."""
    T = trace.n_steps
    out = np.full((T, T), np.nan)
    for t in range(T):
        w = np.asarray(transformer_record(trace, t)["self_weights"], dtype=np.float64)
        out[t, : t + 1] = w[layer].mean(axis=0)  # (t+1,) mean over heads
    return out


def head_agreement(rnn: DecodeTrace, transformer: DecodeTrace, t: int) -> np.ndarray:
    """(L, heads) total variation distance between the RNN's attention at step t and each
    cross-attention head's (0: the same distribution, 1: no overlap)."""
    rnn_w = np.asarray(rnn.steps[t].weights, dtype=np.float64)
    w = np.asarray(transformer_record(transformer, t)["cross_weights"], dtype=np.float64)
    return 0.5 * np.abs(w - rnn_w).sum(axis=-1)


def sinusoids(length: int, dim: int) -> np.ndarray:
    """The positional encoding the Transformer adds to its embeddings (NumPy, the same formula
    as transformer.sinusoids): PE[pos, 2i] = sin(pos / 10000^(2i/D)), PE[pos, 2i+1] = cos(...)."""
    pos = np.arange(length, dtype=np.float64)[:, None]  # (L,1)
    rate = np.exp(np.arange(0, dim, 2, dtype=np.float64) * (-np.log(10000.0) / dim))  # (D/2,)
    table = np.zeros((length, dim))
    table[:, 0::2] = np.sin(pos * rate)
    table[:, 1::2] = np.cos(pos * rate)
    return table
