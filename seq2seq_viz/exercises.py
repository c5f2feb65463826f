r"""'Your turn' exercises (직접 계산해 보기) made from a trace: the learner computes one number of a
decoder step from numbers shown, types it, and the answer is checked (plain data, no streamlit).

Quantities, one per computing stage of the lesson::

    score        e_{t,i} = sum_k x[k] y[k]            (dot: s_t, h_i; general: s_t, W_a h_i;
                                                      concat: v_a, tanh(W_q s_t + W_k h_i + b))
    weight       a_{t,i} = exp(e_i - max e) / sum_j exp(e_j - max e)   (over the allowed j)
    context      c_t[k]  = sum_i a_{t,i} h_i[k]
    attn_hidden  h~_t[k] = tanh(z_k),  z = W_c [c_t ; s_t]   (z from the model: W_c is H x 2H)
    prob         p(y_t)  = exp(u_y) / sum_w exp(u_w),  u = W_o h~_t + b_o minus its value for the
                 most likely word; the sum over all V words is given (it is 1 / p of that word)

A model of hidden size H <= 8 shows whole vectors; a larger one a 4-number slice (k = 0..3), and
the exercise says so: the score is then the slice's part of the sum, with the full e_{t,i}
in the worked solution. The shown numbers are rounded to 4 decimals, the answer is computed from
exactly those numbers (the worked solution shows them), and ``model_value`` is what the model
computed, for comparison. Answers are parsed with :func:`parse_answer` (a comma as decimal point,
a Unicode minus); text, NaN, infinities, empty or overlong answers get an error key, never an
exception.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .trace import DecodeTrace
from .vectors import score_terms

QUANTITIES = ("score", "weight", "context", "attn_hidden", "prob")
DIGITS = 4  # decimals of every number shown
SLICE = 4  # dimensions shown of a vector longer than FULL_MAX
FULL_MAX = 8
MAX_ANSWER_CHARS = 40
PROB_WORDS = 4
FACTORS = {
    "dot": ("s_t", "h_i"),
    "general": ("s_t", "W_a h_i"),
    "concat": ("v_a", "tanh(W_q s_t + W_k h_i + b)"),
}


@dataclass(frozen=True)
class Exercise:
    id: str
    quantity: str
    step: int
    prompt_key: str  # i18n key; args hold numbers already formatted
    prompt_args: Mapping[str, Any]
    givens: tuple[tuple[str, tuple[float, ...]], ...]  # (label, numbers shown), labels literal
    answer: float  # computed from the numbers shown
    model_value: float  # the model's own number (the trace)
    tolerance: float
    work: str  # the worked solution: the arithmetic with the numbers shown
    sliced: bool = False  # a 4-number slice of longer vectors
    kind: str = "exercise"

    def __hash__(self) -> int:  # the args are a dict: an exercise is named by its id
        return hash(self.id)

    def to_dict(self) -> dict[str, Any]:
        data = {f: getattr(self, f) for f in self.__dataclass_fields__}
        data["prompt_args"] = dict(self.prompt_args)
        data["givens"] = [[label, list(values)] for label, values in self.givens]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Exercise:
        fields = dict(data)
        fields["prompt_args"] = dict(fields.get("prompt_args", {}))
        fields["givens"] = tuple(
            (str(label), tuple(float(v) for v in values)) for label, values in fields["givens"]
        )
        return cls(**fields)


@dataclass(frozen=True)
class Verdict:
    ok: bool | None  # None: the answer could not be read as a number
    key: str  # i18n key of the message
    args: Mapping[str, Any]


def exercises_for(trace: DecodeTrace, step: int, quantities=QUANTITIES) -> list[Exercise]:
    """The exercises step `step` of the trace supports (a model without attention has no score,
    weight or context; local-p's Gaussian is left out of the weight)."""
    if not 0 <= step < trace.n_steps:
        return []
    out = []
    for quantity in quantities:
        made = _MAKERS[quantity](trace, step)
        if made is not None:
            out.append(made)
    return out


def parse_answer(text: object) -> tuple[float | None, str | None]:
    """(number, None) or (None, error key): a comma works as decimal point ("0,71"), a comma
    beside a point as thousands separator ("1,234.5"); "−" and full-width digits are read."""
    raw = "" if text is None else str(text)
    if len(raw) > MAX_ANSWER_CHARS:
        return None, "ex.err.too_long"
    s = raw.strip().replace("\u2212", "-").replace("\uff0c", ",").replace(" ", "")
    s = s.translate({0xFF10 + d: str(d) for d in range(10)} | {0xFF0E: "."})
    if not s:
        return None, "ex.err.empty"
    s = s.replace(",", "") if "." in s else s.replace(",", ".")
    try:
        value = float(s)
    except ValueError:
        return None, "ex.err.not_number"
    if not math.isfinite(value):
        return None, "ex.err.not_finite"
    return value, None


def check_answer(exercise: Exercise, text: object) -> Verdict:
    value, error = parse_answer(text)
    args = {"answer": _f(exercise.answer), "tol": _f(exercise.tolerance, 3)}
    if error is not None:
        return Verdict(None, error, {**args, "max": MAX_ANSWER_CHARS})
    args["value"] = _f(value)
    right = abs(value - exercise.answer) <= exercise.tolerance
    return Verdict(right, "ex.right" if right else "ex.wrong", args)


def tolerance(answer: float) -> float:
    """What the 4-decimal rounding of the shown numbers and of a calculator allows: 0.005, or
    1% of a larger answer."""
    return max(0.005, 0.01 * abs(answer))


def _f(x: float, digits: int = DIGITS) -> str:
    return f"{float(x):.{digits}f}"


def _r(values) -> tuple[float, ...]:
    return tuple(round(float(v), DIGITS) for v in np.asarray(values, dtype=np.float64).ravel())


def _dims(n: int) -> range:
    return range(n) if n <= FULL_MAX else range(SLICE)


def _id(trace: DecodeTrace, quantity: str, step: int) -> str:
    key = "\x1f".join([trace.model_name, trace.mode, trace.src_text])
    return f"exercise-{quantity}-t{step}-{hashlib.sha256(key.encode()).hexdigest()[:8]}"


def _exercise(trace, quantity, step, args, givens, answer, model_value, work, sliced=False):
    return Exercise(
        id=_id(trace, quantity, step),
        quantity=quantity,
        step=step,
        prompt_key=f"ex.{quantity}.prompt" + ("_slice" if sliced else ""),
        prompt_args={"t": step, "tol": _f(tolerance(answer), 3), **args},
        givens=givens,
        answer=float(answer),
        model_value=float(model_value),
        tolerance=tolerance(answer),
        work=work,
        sliced=sliced,
    )


def _top(trace: DecodeTrace, step: int) -> int:
    return int(np.argmax(trace.steps[step].weights))


def _score(trace: DecodeTrace, step: int) -> Exercise | None:
    if trace.align_name == "none" or trace.score_name not in FACTORS:
        return None
    i = _top(trace, step)
    terms = score_terms(trace, trace.steps[step], i)
    rows = dict(terms.rows)
    names = FACTORS[trace.score_name]
    x, y = (np.asarray(rows[n], dtype=np.float64) for n in names)
    ks = _dims(len(x))
    xs, ys = _r(x[list(ks)]), _r(y[list(ks)])
    answer = sum(a * b for a, b in zip(xs, ys))
    sliced = len(ks) < len(x)
    exact = float(terms.products[list(ks)].sum())
    work = " + ".join(f"({a:.4f})({b:.4f})" for a, b in zip(xs, ys)) + f" = {answer:.4f}"
    if sliced:
        work += f"   [e_{i}: k = 0..{len(x) - 1} → {terms.score:.4f}]"
    dims = f"k = 0..{len(ks) - 1}"
    labels = tuple(f"{n}[{dims}]".replace("_i", f"_{i}") for n in names)
    args = {"i": i, "word": trace.src_tokens[i], "dims": dims, "H": len(x)}
    return _exercise(
        trace, "score", step, args, tuple(zip(labels, (xs, ys))), answer, exact, work, sliced
    )


def _weight(trace: DecodeTrace, step: int) -> Exercise | None:
    if trace.align_name in ("none", "local-p"):
        return None
    rec = trace.steps[step]
    allowed = [j for j, m in enumerate(np.asarray(rec.mask, dtype=bool)) if m]
    if not allowed:
        return None
    soft = np.asarray(rec.attention_distribution(), dtype=np.float64)
    i = int(np.argmax(soft))
    scores = _r(np.asarray(rec.scores)[allowed])
    top = max(scores)
    exps = [math.exp(e - top) for e in scores]
    answer = exps[allowed.index(i)] / sum(exps)
    label = f"e_j (j = {allowed[0]}..{allowed[-1]})"
    e_i = scores[allowed.index(i)]
    work = (
        f"exp({e_i:.4f} − {top:.4f}) / Σ_j exp(e_j − {top:.4f}) = "
        f"{exps[allowed.index(i)]:.4f} / {sum(exps):.4f} = {answer:.4f}"
    )
    args = {"i": i, "word": trace.src_tokens[i]}
    return _exercise(trace, "weight", step, args, ((label, scores),), answer, soft[i], work)


def _context(trace: DecodeTrace, step: int) -> Exercise | None:
    if trace.align_name == "none":
        return None
    rec = trace.steps[step]
    k = int(np.argmax(np.abs(np.asarray(rec.context))[: min(len(rec.context), SLICE)]))
    a = _r(rec.weights)
    h = _r(np.asarray(trace.enc_states, dtype=np.float64)[:, k])
    answer = sum(x * y for x, y in zip(a, h))
    work = " + ".join(f"({x:.4f})({y:.4f})" for x, y in zip(a, h)) + f" = {answer:.4f}"
    S = len(a)
    givens = ((f"a_i (i = 0..{S - 1})", a), (f"h_i[{k}] (i = 0..{S - 1})", h))
    return _exercise(trace, "context", step, {"k": k}, givens, answer, rec.context[k], work)


def _attn_hidden(trace: DecodeTrace, step: int) -> Exercise | None:
    rec = trace.steps[step]
    pre = np.asarray(rec.attn_pre, dtype=np.float64)
    k = int(np.argmax(np.abs(pre[: min(len(pre), SLICE)])))
    (z,) = _r([pre[k]])
    answer = math.tanh(z)
    work = f"tanh({z:.4f}) = {answer:.4f}"
    givens = ((f"z_{k} = (W_c [c_t ; s_t])[{k}]", (z,)),)
    args = {"k": k}
    return _exercise(trace, "attn_hidden", step, args, givens, answer, rec.attn_hidden[k], work)


def _prob(trace: DecodeTrace, step: int) -> Exercise | None:
    rec = trace.steps[step]
    probs = np.asarray(rec.topk_probs, dtype=np.float64)
    words = [(w, p) for w, p in zip(rec.topk_tokens, probs) if p > 0][:PROB_WORDS]
    if not words or rec.token not in [w for w, _ in words]:
        return None
    p_top = words[0][1]
    u = _r([math.log(p / p_top) for _, p in words])
    (total,) = _r([1.0 / p_top])
    j = [w for w, _ in words].index(rec.token)
    answer = math.exp(u[j]) / total
    work = f"exp({u[j]:.4f}) / {total:.4f} = {answer:.4f}"
    labels = ", ".join(w for w, _ in words)
    givens = ((f"u_w ({labels})", u), ("Σ_w exp(u_w) (V)", (total,)))
    args = {"word": rec.token, "n": len(words)}
    return _exercise(trace, "prob", step, args, givens, answer, math.exp(rec.logp), work)


_MAKERS = {
    "score": _score,
    "weight": _weight,
    "context": _context,
    "attn_hidden": _attn_hidden,
    "prob": _prob,
}
