r"""Every vector of one decoder step, taken from a trace (NumPy only: no torch, no plotly).

For the selected source position i the score e_{t,i} is written as a sum over the hidden
dimensions k, so a page can show the terms that add up to the number the model computed::

    dot:      e_i = sum_k  s_t[k] * h_i[k]
    general:  e_i = sum_k  s_t[k] * (W_a h_i)[k]
    concat:   e_i = sum_k  v_a[k] * tanh(W_q s_t + W_k h_i + b)[k]      (b: W_k's bias)

Then [c_t ; s_t] (2H) goes through W_c and tanh into h~_t; s_0 = tanh(W_b h_S + b_b) comes from
the bridge, and h~_0 = 0. The inner vectors (W_a h_i, W_k h_i + b, W_q s_t, v_a, h_S, s_0) are
recorded by the model itself (record_vectors.py); here they are only sliced and multiplied.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .trace import DecodeTrace, StepRecord


@dataclass(frozen=True)
class ScoreTerms:
    """The rows that make e_{t,i}: named vectors (H,) and their element-wise product."""

    rows: tuple[tuple[str, np.ndarray], ...]  # (symbol, vector) shown one above the other
    products: np.ndarray  # (H,) the terms of the sum
    total: float  # sum of the products (float64)
    score: float  # e_{t,i} as the model computed it (the trace)


def score_terms(trace: DecodeTrace, step: StepRecord, i: int) -> ScoreTerms:
    """The vectors behind e_{t,i} of `step` for source position `i` (ValueError if missing)."""
    if trace.align_name == "none":
        raise ValueError("a model without attention has no scores")
    if not 0 <= i < len(trace.src_tokens):
        raise ValueError(f"source position {i} outside 0..{len(trace.src_tokens) - 1}")
    s = np.asarray(step.dec_state, dtype=np.float64)
    h = np.asarray(trace.enc_states[i], dtype=np.float64)
    if trace.score_name == "dot":
        rows = (("s_t", s), ("h_i", h))
        products = s * h
    elif trace.score_name == "general":
        key = _vector(trace.vectors, "score_keys", i)
        rows = (("s_t", s), ("h_i", h), ("W_a h_i", key))
        products = s * key
    elif trace.score_name == "concat":
        hidden = np.tanh(
            _vector(step.extras, "query_proj") + _vector(trace.vectors, "score_keys", i)
        )
        v_a = _vector(trace.vectors, "v_a")
        rows = (
            ("s_t", s),
            ("h_i", h),
            ("W_q s_t", _vector(step.extras, "query_proj")),
            ("W_k h_i + b", _vector(trace.vectors, "score_keys", i)),
            ("tanh(W_q s_t + W_k h_i + b)", hidden),
            ("v_a", v_a),
        )
        products = v_a * hidden
    else:
        raise ValueError(f"unknown score function {trace.score_name!r}")
    return ScoreTerms(
        rows=rows, products=products, total=float(products.sum()), score=float(step.scores[i])
    )


def product_label(score_name: str) -> str:
    return {"dot": "s_t ⊙ h_i", "general": "s_t ⊙ W_a h_i"}.get(score_name, "v_a ⊙ tanh(·)")


def concat_input(step: StepRecord) -> np.ndarray:
    """[c_t ; s_t] (2H,), the input of W_c."""
    return np.concatenate([np.asarray(step.context), np.asarray(step.dec_state)])


def initial_vectors(trace: DecodeTrace) -> dict[str, np.ndarray]:
    """h_S (what the bridge reads), s_0 and h~_0 = 0 (empty when the trace did not record them)."""
    if "enc_final" not in trace.vectors:
        return {}
    final = np.asarray(trace.vectors["enc_final"])
    return {
        "h_S": final,
        "s_0": np.asarray(trace.vectors["init_state"]),
        "h~_0": np.zeros_like(final),
    }


def final_state_halves(trace: DecodeTrace) -> tuple[np.ndarray, np.ndarray] | None:
    """For a bidirectional encoder: h_S = [forward state at the last word ; backward state at the
    first word]. Returns the two halves, or None when h_S is not recorded."""
    if "enc_final" not in trace.vectors:
        return None
    final = np.asarray(trace.vectors["enc_final"])
    half = final.shape[0] // 2
    return final[:half], final[half:]


def _vector(store: dict, name: str, row: int | None = None) -> np.ndarray:
    if name not in store:
        raise ValueError(f"the trace has no {name!r} (trace it again with this version)")
    value = np.asarray(store[name], dtype=np.float64)
    return value if row is None else value[row]


BY_HAND_MAX_H = 8  # a model this small gets every sum written out


def _num(x: float) -> str:
    return f"{x:.3f}"


def _terms(a: np.ndarray, b: np.ndarray) -> str:
    return " + ".join(f"({_num(x)})({_num(y)})" for x, y in zip(a, b, strict=True))


def by_hand_lines(trace: DecodeTrace, step: StepRecord) -> list[str]:
    """Every sum of one step written out with 3 decimals, for a calculator: e_i (from the score
    terms), a_i (global softmax), each c_t[k], each h~_t[k] = tanh(W_c [c_t ; s_t])[k].
    Numbers are rounded for reading; the results are the model's own (not the rounded sums)."""
    if trace.align_name == "none":
        return []
    lines, name = [], product_label(trace.score_name).split(" ⊙ ")
    for i in range(len(trace.src_tokens)):
        terms = score_terms(trace, step, i)
        rows = dict(terms.rows)
        left, right = (rows[n.replace("tanh(·)", "tanh(W_q s_t + W_k h_i + b)")] for n in name)
        lines.append(f"e_{i} = {_terms(left, right)} = {_num(terms.score)}")
    if trace.align_name == "global":
        exps, total = step.softmax_parts()
        top = float(np.max(step.scores))
        lines.append(f"max e = {_num(top)},  Σ_j exp(e_j - max e) = {_num(total)}")
        for i, e in enumerate(step.scores):
            lines.append(
                f"a_{i} = exp({_num(e)} - {_num(top)}) / {_num(total)} = {_num(exps[i])} / "
                f"{_num(total)} = {_num(float(step.weights[i]))}"
            )
    weights = np.asarray(step.weights, dtype=np.float64)
    for k, value in enumerate(np.asarray(step.context)):
        column = np.asarray(trace.enc_states)[:, k]
        lines.append(f"c_t[{k}] = {_terms(weights, column)} = {_num(float(value))}")
    for k, (pre, out) in enumerate(zip(step.attn_pre, step.attn_hidden, strict=True)):
        lines.append(f"h~_t[{k}] = tanh({_num(float(pre))}) = {_num(float(out))}")
    return lines
