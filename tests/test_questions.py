"""Predict-then-reveal questions: every answer checked against the trace's numbers recomputed
here with NumPy (argmax, entropy by hand, beam ranks), and a JSON round trip."""

from __future__ import annotations

import json

import numpy as np
import pytest

from seq2seq_viz.config import DecodeConfig
from seq2seq_viz.i18n import set_language, strings, tr
from seq2seq_viz.questions import KINDS, Question, check, questions_for, source_labels
from tests.conftest import make_translator

SENTENCE = "the cat sleeps . i am cold ."


@pytest.fixture(scope="module")
def greedy_trace():
    return make_translator(seed=3).trace(SENTENCE, DecodeConfig(max_len=8))


@pytest.fixture(scope="module")
def real_trace():
    from seq2seq_viz.checkpoints import load_model

    return load_model("pretrained/soft-dot").trace("it is a difficult question .")


@pytest.fixture(scope="module")
def beam_trace():
    return make_translator(seed=3).trace(SENTENCE, DecodeConfig(beam_width=3, max_len=6))


def _entropy(w: np.ndarray) -> float:
    p = np.asarray(w, dtype=np.float64)
    p = p / p.sum()
    return float(sum(-x * np.log(x) for x in p if x > 0))


def test_attention_top_is_the_argmax_of_the_weights(greedy_trace) -> None:
    qs = questions_for(greedy_trace, kinds=["attention_top"])
    assert qs, "a global-attention trace has attention questions"
    for q in qs:
        w = greedy_trace.steps[q.step].weights
        assert q.answer == int(np.argmax(w))
        assert q.choices == tuple(source_labels(greedy_trace.src_tokens))
        assert len(q.choices) == len(greedy_trace.src_tokens)
        assert np.allclose(q.values, w)
        if q.explain_key == "q.attention_top.explain":  # the score was the largest too
            scores = greedy_trace.steps[q.step].scores
            assert int(np.argmax(scores)) == q.answer
            assert q.explain_args["score"] == f"{scores[q.answer]:.2f}"
        assert q.explain_args["weight"] == f"{w[q.answer]:.2f}"
        assert check(q, q.answer) and not check(q, (q.answer + 1) % len(q.choices))


def test_repeated_source_words_get_their_positions() -> None:
    assert source_labels(["the", "cat", "the"]) == ["the (0)", "cat", "the (2)"]


def test_next_word_is_the_emitted_word_among_shuffled_top_k(greedy_trace) -> None:
    qs = questions_for(greedy_trace, kinds=["next_word"])
    assert qs
    for q in qs:
        step = greedy_trace.steps[q.step]
        assert q.choices[q.answer] == step.token
        top = step.topk_tokens[int(np.argmax(step.topk_probs))]
        assert step.token == top  # greedy: the argmax
        assert set(q.choices) <= set(step.topk_tokens[:4])
        by_word = dict(zip(step.topk_tokens, step.topk_probs))
        assert np.allclose(q.values, [by_word[c] for c in q.choices])
        assert q.explain_args["p"] == f"{by_word[step.token]:.2f}"
    again = questions_for(greedy_trace, kinds=["next_word"])
    assert [q.choices for q in again] == [q.choices for q in qs]  # deterministic shuffle
    orders = {tuple(np.argsort(-np.array(q.values))) for q in qs}
    assert len(orders) > 1 or len(qs) == 1, "the shuffle should not always keep p order"


def test_sharper_follows_the_entropy_of_consecutive_steps(real_trace) -> None:
    qs = questions_for(real_trace, kinds=["sharper"])
    assert len(qs) >= 3
    for q in qs:
        h_now = _entropy(real_trace.steps[q.step].weights)
        h_before = _entropy(real_trace.steps[q.step - 1].weights)
        assert abs(h_now - h_before) >= 0.05  # no question where the two are nearly equal
        assert q.answer == (0 if h_now < h_before else 1)
        assert q.explain_args["h"] == f"{h_now:.2f}"
        assert q.explain_args["h_prev"] == f"{h_before:.2f}"
        assert q.choice_keys and all(c in strings("ko") for c in q.choices)


def test_beam_drop_answers_the_best_pruned_candidate(beam_trace) -> None:
    qs = questions_for(beam_trace, kinds=["beam_drop"])
    assert qs, "a beam of 3 over a 10-word vocabulary prunes"
    nodes = beam_trace.beam_nodes
    for q in qs:
        here = [n for n in nodes if n.step == q.step]
        pruned = [n for n in here if n.status == "pruned"]
        survivors = [n for n in here if n.status != "pruned"]
        dropped = max(pruned, key=lambda n: n.score)
        assert float(q.explain_args["score"]) == pytest.approx(dropped.score, abs=0.006)
        assert q.values[q.answer] == pytest.approx(dropped.score)
        worst_kept = min(n.score for n in survivors)
        assert all(v >= worst_kept - 1e-9 for i, v in enumerate(q.values) if i != q.answer)
        assert q.values[q.answer] <= worst_kept
    assert not questions_for(make_translator(seed=3).trace(SENTENCE), kinds=["beam_drop"])


def test_questions_round_trip_through_json(real_trace, beam_trace) -> None:
    qs = questions_for(real_trace) + questions_for(beam_trace)
    assert {q.kind for q in qs} == set(KINDS)
    text = json.dumps([q.to_dict() for q in qs], ensure_ascii=False)
    back = [Question.from_dict(d) for d in json.loads(text)]
    assert back == qs
    assert len({q.id for q in qs}) == len(qs) == len(set(qs))  # ids are unique; hashable


def test_every_question_formats_in_both_languages(real_trace, beam_trace) -> None:
    for lang in ("ko", "en"):
        set_language(lang)
        for q in questions_for(real_trace) + questions_for(beam_trace):
            for text in (q.prompt(tr), q.explanation(tr), *q.labels(tr)):
                assert "{" not in text and "q." not in text[:2]
            assert tr(q.value_key) != q.value_key
    set_language("en")


def test_no_attention_questions_without_attention_and_steps_filter() -> None:
    trace = make_translator(seed=2, align="none").trace(SENTENCE, DecodeConfig(max_len=5))
    kinds = {q.kind for q in questions_for(trace)}
    assert "attention_top" not in kinds and "sharper" not in kinds
    greedy = make_translator(seed=3).trace(SENTENCE, DecodeConfig(max_len=8))
    assert {q.step for q in questions_for(greedy, steps=[1, 99])} == {1}
    with pytest.raises(ValueError):
        questions_for(greedy, kinds=["nonsense"])
    with pytest.raises(IndexError):
        check(questions_for(greedy, kinds=["next_word"])[0], 17)


def test_hard_and_local_p_explain_their_own_rule() -> None:
    hard = make_translator(seed=4, align="hard").trace(SENTENCE, DecodeConfig(max_len=6))
    assert questions_for(hard, kinds=["attention_top"])
    for q in questions_for(hard, kinds=["attention_top"]):
        assert q.explain_key == "q.attention_top.explain_hard"
        assert q.answer == int(np.argmax(hard.steps[q.step].weights))
    local = make_translator(seed=4, align="local-p", window=2).trace(
        SENTENCE, DecodeConfig(max_len=6)
    )
    assert questions_for(local, kinds=["attention_top"])
    for q in questions_for(local, kinds=["attention_top"]):
        step = local.steps[q.step]
        assert q.answer == int(np.argmax(step.weights))
        masked = np.where(step.mask, step.scores, -np.inf)
        same = int(np.argmax(masked)) == q.answer
        assert q.explain_key == (
            "q.attention_top.explain" if same else "q.attention_top.explain_gauss"
        )
