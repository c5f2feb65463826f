r"""The intermediate vectors a trace needs so that every quantity of a step can be shown.

The decoder step records s_t, e_t, a_t, c_t and h~_t (decode.py). To follow e_i from s_t and
h_i, and s_0 from the encoder, the page also needs what the score function and the bridge
compute inside. They are recorded here, from the same weights and the same tensors::

    enc_final (H,)    h_S: the top encoder layer's final state that the bridge reads; for a
                      bidirectional encoder [forward state at the last word ; backward state at
                      the first word] (before self-attention, when the model has it)
    init_state (H,)   s_0 = tanh(W_b h_S + b_b), the top decoder layer's initial state
    score_keys (S,H)  general: W_a h_i;  concat: W_k h_i + b  (the key half of W_a [s_t; h_i],
                      whose bias b sits inside the tanh)
    v_a (H,)          concat only
    query_proj (H,)   per step, concat only: W_q s_t

h~_0 = 0 (Seq2Seq.initial_attn_hidden) is a constant and not recorded. Nothing here changes
what the model computes; `vectors.py` (NumPy) combines these into what the page shows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .model import EncoderOutput, Seq2Seq, StepOutput


def _np(x: torch.Tensor) -> np.ndarray:
    return x.detach().float().cpu().numpy()


@torch.inference_mode()
def trace_vectors(model: Seq2Seq, enc: EncoderOutput) -> dict[str, Any]:
    """Per-sentence vectors of one encoded sentence (batch of one)."""
    init = enc.init_state[0] if isinstance(enc.init_state, tuple) else enc.init_state  # (L,1,H)
    out: dict[str, Any] = {
        "enc_final": _np(enc.summary[0]),  # (H,)
        "init_state": _np(init[-1, 0]),  # (H,) top layer
    }
    attention = model.decoder.attention
    keys = enc.enc_states[0]  # (S,H)
    if attention.align_name == "none":
        return out
    if attention.score_name == "general":
        out["score_keys"] = _np(attention.W_a(keys))  # (S,H) W_a h_i
    elif attention.score_name == "concat":
        out["score_keys"] = _np(attention.W_k(keys))  # (S,H) W_k h_i + b
        out["v_a"] = _np(attention.v_a.weight[0])  # (H,)
    return out


@torch.inference_mode()
def step_vectors(model: Seq2Seq, out: StepOutput) -> dict[str, Any]:
    """Per-step extras: W_q s_t of the concat score (nothing for the other scores)."""
    attention = model.decoder.attention
    if attention.align_name == "none" or attention.score_name != "concat":
        return {}
    return {"query_proj": _np(attention.W_q(out.dec_state[:1])[0])}  # (H,)
