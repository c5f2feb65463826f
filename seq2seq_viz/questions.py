r"""Predict-then-reveal questions made from a trace's own numbers (plain data, no streamlit).

A question asks the learner to predict what the model does at one decoder step before the page
shows it; the answer and a one-sentence reason come from the numbers the trace recorded, so any
sentence a user types gets its questions (nothing is written per sentence). Kinds::

    attention_top  which source word gets the most attention at step t     (argmax_i a_t,i)
    next_word      which word the decoder outputs at step t (top-k, no p)  (y_t)
    sharper        is a_t sharper or flatter than a_{t-1}                  (entropy, nats)
    beam_drop      which hypothesis the beam drops at step t               (beam nodes)

Text is never stored: a question holds i18n keys and their format arguments (``prompt_key`` /
``prompt_args``, ``explain_key`` / ``explain_args``), so the lesson, the presentation mode and the
class poll show it in the reader's language. Choice labels are plain strings (source words,
target words, hypotheses), or i18n keys where ``choice_keys`` is true (sharper / flatter).
Numbers in the arguments are already formatted (strings), so Korean and English show the same
digits. Exercises (kind ``exercise``: a number typed and checked) are made by
:mod:`.exercises` and exported here too (``exercises_for``, ``check_answer``, ``Exercise``).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .trace import BeamNode, DecodeTrace, StepRecord

KINDS: tuple[str, ...] = ("attention_top", "next_word", "sharper", "beam_drop")
SPECIAL_TOKENS = ("<pad>", "<sos>")
NEXT_WORD_CHOICES = 4  # words shown for "which word comes next"
BEAM_DROP_KEPT = 3  # surviving hypotheses shown beside the dropped one
MIN_ENTROPY_GAP = 0.05  # nats: closer than this, "sharper or flatter" has no clear answer
MIN_WEIGHT_GAP = 1e-4  # a top weight must beat the runner-up by this to be an answer


@dataclass(frozen=True)
class Question:
    """One predict-then-reveal question about step `step` of a trace."""

    id: str  # stable: kind, step and a digest of the sentence and model
    kind: str
    step: int  # decoder time step t (0-based, as the pages count)
    prompt_key: str
    prompt_args: Mapping[str, Any]
    choices: tuple[str, ...]
    answer: int  # index into choices
    explain_key: str
    explain_args: Mapping[str, Any]
    values: tuple[float, ...] = ()  # one number per choice for the reveal (weights, p, scores)
    value_key: str = ""  # i18n key naming those numbers
    choice_keys: bool = False  # True: choices are i18n keys, not words
    extra: Mapping[str, Any] = field(default_factory=dict)  # e.g. source position per choice

    def __hash__(self) -> int:  # the args are dicts: a question is named by its id
        return hash(self.id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "step": self.step,
            "prompt_key": self.prompt_key,
            "prompt_args": dict(self.prompt_args),
            "choices": list(self.choices),
            "answer": self.answer,
            "explain_key": self.explain_key,
            "explain_args": dict(self.explain_args),
            "values": list(self.values),
            "value_key": self.value_key,
            "choice_keys": self.choice_keys,
            "extra": dict(self.extra),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Question:
        return cls(
            id=str(data["id"]),
            kind=str(data["kind"]),
            step=int(data["step"]),
            prompt_key=str(data["prompt_key"]),
            prompt_args=dict(data.get("prompt_args", {})),
            choices=tuple(str(c) for c in data["choices"]),
            answer=int(data["answer"]),
            explain_key=str(data["explain_key"]),
            explain_args=dict(data.get("explain_args", {})),
            values=tuple(float(v) for v in data.get("values", ())),
            value_key=str(data.get("value_key", "")),
            choice_keys=bool(data.get("choice_keys", False)),
            extra=dict(data.get("extra", {})),
        )

    def prompt(self, tr) -> str:
        """The prompt in the current language of `tr` (the i18n function)."""
        return tr(self.prompt_key, **self.prompt_args)

    def explanation(self, tr) -> str:
        return tr(self.explain_key, **self.explain_args)

    def labels(self, tr) -> list[str]:
        return [tr(c) for c in self.choices] if self.choice_keys else list(self.choices)


def check(question: Question, choice_index: int) -> bool:
    """Whether `choice_index` is the right answer (IndexError for a choice that does not exist)."""
    if not 0 <= int(choice_index) < len(question.choices):
        raise IndexError(f"choice {choice_index} not in 0..{len(question.choices) - 1}")
    return int(choice_index) == question.answer


def questions_for(
    trace: DecodeTrace,
    *,
    kinds: Iterable[str] = KINDS,
    steps: Iterable[int] | None = None,
) -> list[Question]:
    """Every question of `kinds` the trace can answer at `steps` (default: all its steps), in
    step order, then kind order. A kind is skipped where its answer is not clear (a model
    without attention, a tie, a forced word, no beam)."""
    kinds = tuple(kinds)
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise ValueError(f"unknown question kinds {sorted(unknown)}; choose from {KINDS}")
    wanted = range(trace.n_steps) if steps is None else [int(s) for s in steps]
    digest = trace_digest(trace)
    out = []
    for t in wanted:
        if not 0 <= t < trace.n_steps:
            continue
        for kind in kinds:
            q = _MAKERS[kind](trace, t, digest)
            if q is not None:
                out.append(q)
    return out


def trace_digest(trace: DecodeTrace) -> str:
    """8 hex digits naming the sentence, model and mode (question ids stay apart per sentence)."""
    key = "\x1f".join([trace.model_name, trace.mode, trace.src_text, " ".join(trace.src_tokens)])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:8]


def entropy(weights: np.ndarray) -> float:
    """Entropy in nats of a weight vector, normalised to sum 1 (0 for an all-zero vector)."""
    w = np.asarray(weights, dtype=np.float64)
    total = w.sum()
    if total <= 0:
        return 0.0
    p = w / total
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def attention_distribution(step: StepRecord) -> np.ndarray:
    """The distribution attention draws from at a step: pi_t for hard attention (its used
    weights are one-hot), else the weights used for c_t (same rule as DecodeTrace.entropy)."""
    return np.asarray(step.attention_distribution(), dtype=np.float64)


def source_labels(tokens: list[str]) -> list[str]:
    """Source words as choice labels; a word that occurs twice gets its position: 'the (0)'."""
    counts: dict[str, int] = {}
    for tok in tokens:
        counts[tok] = counts.get(tok, 0) + 1
    return [f"{tok} ({i})" if counts[tok] > 1 else tok for i, tok in enumerate(tokens)]


# no attention, or a Transformer's many heads (its trace's weights are a mean over heads, and
# it has no single score e_i): the attention questions are not asked of these
NO_SINGLE_ATTENTION = ("none", "transformer")


def score_symbol(score_name: str, i: int) -> str:
    """The score function of position i as plain text (what e_i is)."""
    return {
        "dot": f"s_t · h_{i}",
        "general": f"s_t · W_a h_{i}",
        "concat": f"v_a · tanh(W_q s_t + W_k h_{i})",
    }.get(score_name, f"score(s_t, h_{i})")


def _fmt(x: float, digits: int = 2) -> str:
    return f"{float(x):.{digits}f}"


def _qid(kind: str, t: int, digest: str) -> str:
    return f"{kind}-t{t}-{digest}"


def _shuffled(items: list[Any], seed_text: str) -> list[Any]:
    seed = int(hashlib.sha256(seed_text.encode("utf-8")).hexdigest()[:12], 16)
    out = list(items)
    random.Random(seed).shuffle(out)
    return out


def _attention_top(trace: DecodeTrace, t: int, digest: str) -> Question | None:
    if trace.align_name in NO_SINGLE_ATTENTION or not trace.src_tokens:
        return None
    step = trace.steps[t]
    w = np.asarray(step.weights, dtype=np.float64)
    order = np.argsort(-w, kind="stable")
    if len(w) > 1 and w[order[0]] - w[order[1]] < MIN_WEIGHT_GAP:
        return None
    top = int(order[0])
    labels = source_labels(trace.src_tokens)
    args = {"word": labels[top], "weight": _fmt(w[top]), "i": top, "t": t}
    allowed = step.mask.astype(bool)
    best_score = int(np.argmax(np.where(allowed, step.scores, -np.inf)))
    if step.sampled_index is not None:
        key = "q.attention_top.explain_hard"
        args["pi"] = _fmt(attention_distribution(step)[top])
    elif best_score == top:
        key = "q.attention_top.explain"
        args.update(score=_fmt(step.scores[top]), formula=score_symbol(trace.score_name, top))
    else:  # local-p: the Gaussian moved the peak away from the largest score
        key = "q.attention_top.explain_gauss"
        args.update(
            score=_fmt(step.scores[top]),
            best=labels[best_score],
            best_score=_fmt(step.scores[best_score]),
            center=_fmt(float("nan") if step.center is None else step.center, 1),
        )
    return Question(
        id=_qid("attention_top", t, digest),
        kind="attention_top",
        step=t,
        prompt_key="q.attention_top.prompt",
        prompt_args={"t": t, "input": step.input_token},
        choices=tuple(labels),
        answer=top,
        explain_key=key,
        explain_args=args,
        values=tuple(float(x) for x in w),
        value_key="q.value.weight",
        extra={"positions": list(range(len(labels)))},
    )


def _next_word(trace: DecodeTrace, t: int, digest: str) -> Question | None:
    step = trace.steps[t]
    if step.forced:
        return None
    probs = np.asarray(step.topk_probs, dtype=np.float64)
    pairs = [
        (tok, float(p))
        for tok, p in zip(step.topk_tokens, probs)
        if p > 0 and tok not in SPECIAL_TOKENS
    ][:NEXT_WORD_CHOICES]
    words = [tok for tok, _ in pairs]
    if len(words) < 2 or step.token not in words:
        return None
    shown = _shuffled(pairs, _qid("next_word", t, digest))
    answer = [tok for tok, _ in shown].index(step.token)
    p_token = dict(pairs)[step.token]
    top_word, top_p = pairs[0]
    args = {"word": step.token, "p": _fmt(p_token), "k": len(pairs), "t": t}
    if step.token == top_word:
        key = "q.next_word.explain"
        args["second"], args["p2"] = pairs[1][0], _fmt(pairs[1][1])
    else:  # a beam search's best path may take a word that was not the most probable here
        key = "q.next_word.explain_beam"
        args["top"], args["p_top"] = top_word, _fmt(top_p)
    return Question(
        id=_qid("next_word", t, digest),
        kind="next_word",
        step=t,
        prompt_key="q.next_word.prompt",
        prompt_args={"t": t, "input": step.input_token, "k": len(pairs)},
        choices=tuple(tok for tok, _ in shown),
        answer=answer,
        explain_key=key,
        explain_args=args,
        values=tuple(p for _, p in shown),
        value_key="q.value.prob",
    )


def _sharper(trace: DecodeTrace, t: int, digest: str) -> Question | None:
    if trace.align_name in NO_SINGLE_ATTENTION or t < 1:
        return None
    h_now = entropy(attention_distribution(trace.steps[t]))
    h_before = entropy(attention_distribution(trace.steps[t - 1]))
    if abs(h_now - h_before) < MIN_ENTROPY_GAP:
        return None
    sharper = h_now < h_before
    return Question(
        id=_qid("sharper", t, digest),
        kind="sharper",
        step=t,
        prompt_key="q.sharper.prompt",
        prompt_args={"t": t, "prev": t - 1},
        choices=("q.sharper.choice_sharper", "q.sharper.choice_flatter"),
        answer=0 if sharper else 1,
        explain_key="q.sharper.explain_sharper" if sharper else "q.sharper.explain_flatter",
        explain_args={"t": t, "prev": t - 1, "h": _fmt(h_now), "h_prev": _fmt(h_before)},
        values=(h_now, h_before),
        value_key="q.value.entropy",
        choice_keys=True,
    )


def _prefix(nodes: list[BeamNode], node_id: int) -> str:
    words = []
    while node_id > 0:
        words.append(nodes[node_id].token)
        node_id = nodes[node_id].parent
    return " ".join(reversed(words))


def _beam_drop(trace: DecodeTrace, t: int, digest: str) -> Question | None:
    nodes = trace.beam_nodes
    here = sorted((n for n in nodes if n.step == t), key=lambda n: n.rank)
    survivors = [n for n in here if n.status != "pruned"]
    dropped = [n for n in here if n.status == "pruned" and np.isfinite(n.score)]
    if not survivors or not dropped:
        return None
    drop = dropped[0]  # the best-scored candidate that lost its place
    shown = survivors[-BEAM_DROP_KEPT:] + [drop]  # the closest survivors: a fair question
    labels = [_prefix(nodes, n.id) for n in shown]
    if len(set(labels)) < len(labels):
        return None
    order = _shuffled(list(range(len(shown))), _qid("beam_drop", t, digest))
    shown = [shown[i] for i in order]
    labels = [labels[i] for i in order]
    last = survivors[-1]
    return Question(
        id=_qid("beam_drop", t, digest),
        kind="beam_drop",
        step=t,
        prompt_key="q.beam_drop.prompt",
        prompt_args={"t": t, "slots": len(survivors)},
        choices=tuple(labels),
        answer=shown.index(drop),
        explain_key="q.beam_drop.explain",
        explain_args={
            "hyp": _prefix(nodes, drop.id),
            "score": _fmt(drop.score),
            "last": _prefix(nodes, last.id),
            "last_score": _fmt(last.score),
            "slots": len(survivors),
            "t": t,
        },
        values=tuple(float(n.score) for n in shown),
        value_key="q.value.beam_score",
    )


_MAKERS = {
    "attention_top": _attention_top,
    "next_word": _next_word,
    "sharper": _sharper,
    "beam_drop": _beam_drop,
}

# "Your turn" exercises: kind "exercise", made from the same trace (exercises.py)
from .exercises import Exercise, Verdict, check_answer, exercises_for, parse_answer  # noqa: E402

__all__ = [
    "KINDS",
    "Exercise",
    "Question",
    "Verdict",
    "check",
    "check_answer",
    "exercises_for",
    "parse_answer",
    "questions_for",
]
