r"""What a Transformer's trace records, and the few places where its decoding state differs
from the RNN's (decode.py asks here instead of branching on the model everywhere).

Per sentence, ``trace.vectors["transformer"]``::

    enc_self_weights (L_e,n,S,S)   the encoder's self-attention per layer and head
    cross_k, cross_v (L_d,n,S,d)   every decoder layer's cross-attention keys k_i = h_i W_k + b_k
                                   and values v_i = h_i W_v + b_v (h: the encoder's output)

Per decoder step t, ``step.extras["transformer"]``::

    cross_q (L_d,n,d)       the step's query q = LN(x) W_q + b_q in each layer and head
    cross_scores (L_d,n,S)  q . k_i / sqrt(d)
    cross_weights (L_d,n,S) softmax of the scores
    cross_heads (L_d,n,d)   o = sum_i a_i v_i
    self_weights (L_d,n,t+1) the masked self-attention over positions 0..t

and the StepRecord's shared fields read: ``weights`` the last layer's cross-attention weights
averaged over its heads (what heatmaps and the unknown-word rule use, said so on the pages);
``scores`` the log of those mean weights (a Transformer has no single score per source word:
the per-head scores are in the extras; softmax(scores) = weights still holds); ``context`` the
last layer's heads concatenated [o_1; ...; o_n]; ``attn_pre`` that layer's cross-attention
output [o_1; ...; o_n] W_o + b_o; ``dec_state`` and ``attn_hidden`` the decoder's final output
z_t, which the tied output layer reads: p(y_t) = softmax(E_y z_t + b).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .config import TransformerConfig
from .transformer import TEncoderOutput, TStepOutput


def is_transformer(model: Any) -> bool:
    return isinstance(getattr(model, "cfg", None), TransformerConfig)


def _np(x: torch.Tensor) -> np.ndarray:
    return x.detach().float().cpu().numpy()


def initial_state(enc: Any) -> Any:
    """The decoder's state before its first step: the RNN's s_0, no cache for a Transformer."""
    return None if isinstance(enc, TEncoderOutput) else enc.init_state


def expand_transformer_encoder(enc: TEncoderOutput, n: int) -> TEncoderOutput:
    """Repeat a one-sentence encoding (and its cross keys and values) for n hypotheses."""
    kv = tuple((k.expand(n, -1, -1, -1), v.expand(n, -1, -1, -1)) for k, v in enc.cross_kv)
    return enc._replace(
        enc_states=enc.enc_states.expand(n, -1, -1),
        mask=enc.mask.expand(n, -1),
        lengths=enc.lengths.expand(n),
        cross_kv=kv,
    )


def reorder_cache(state: Any, rows: torch.Tensor) -> Any:
    """Beam search's surviving rows of a Transformer's self-attention cache (batch first)."""
    if state is None:
        return None
    return tuple((k.index_select(0, rows), v.index_select(0, rows)) for k, v in state)


@torch.inference_mode()
def trace_vectors(enc: TEncoderOutput) -> dict[str, Any]:
    """The per-sentence record (batch of one)."""
    return {
        "transformer": {
            "enc_self_weights": np.stack([_np(a.weights[0]) for a in enc.self_attn]),
            "cross_k": np.stack([_np(k[0]) for k, _ in enc.cross_kv]),
            "cross_v": np.stack([_np(v[0]) for _, v in enc.cross_kv]),
        }
    }


@torch.inference_mode()
def step_fields(out: TStepOutput) -> dict[str, Any]:
    """The StepRecord fields of one Transformer step (batch row 0)."""
    cross = out.cross_attn
    last = cross[-1]
    mean = last.weights[0, :, 0].float().mean(0)  # (S,) over heads
    n, d = last.heads.shape[1], last.heads.shape[3]
    return {
        "dec_state": _np(out.dec_state[0]),
        "scores": np.log(np.maximum(_np(mean), np.finfo(np.float32).tiny)),
        "mask": np.ones(mean.shape[0], dtype=bool),
        "weights": _np(mean),
        "context": _np(last.heads[0, :, 0].reshape(n * d)),
        "attn_pre": _np(last.out[0, 0]),
        "attn_hidden": _np(out.attn_hidden[0]),
        "extras": {
            "transformer": {
                "cross_q": np.stack([_np(a.q[0, :, 0]) for a in cross]),
                "cross_scores": np.stack([_np(a.scores[0, :, 0]) for a in cross]),
                "cross_weights": np.stack([_np(a.weights[0, :, 0]) for a in cross]),
                "cross_heads": np.stack([_np(a.heads[0, :, 0]) for a in cross]),
                "self_weights": np.stack([_np(a.weights[0, :, 0]) for a in out.self_attn]),
            }
        },
    }
