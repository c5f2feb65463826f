"""'Your turn' exercises: each answer checked against the trace recomputed with NumPy, the
worked solution uses the numbers shown, hostile answers get an error key, JSON round trip."""

from __future__ import annotations

import json

import numpy as np
import pytest

from seq2seq_viz.checkpoints import load_model
from seq2seq_viz.config import DecodeConfig
from seq2seq_viz.i18n import set_language, strings, tr
from seq2seq_viz.questions import Exercise, check_answer, exercises_for, parse_answer

SENTENCE = "it is a difficult question ."


@pytest.fixture(scope="module", params=["soft-dot", "toy-by-hand", "soft-general"])
def trace(request):
    model = load_model(f"pretrained/{request.param}")
    text = "1 2 3" if request.param == "toy-by-hand" else SENTENCE
    if request.param == "toy-by-hand":
        text = " ".join(model.src_vocab.itos[4:7])  # three words the toy knows
    return model.trace(text, DecodeConfig())


def _softmax(e: np.ndarray) -> np.ndarray:
    x = np.exp(e - e.max())
    return x / x.sum()


def test_every_quantity_matches_numpy_and_the_model(trace) -> None:
    step = min(1, trace.n_steps - 1)
    found = {ex.quantity: ex for ex in exercises_for(trace, step)}
    assert set(found) == {"score", "weight", "context", "attn_hidden", "prob"}
    rec = trace.steps[step]
    i = int(np.argmax(rec.weights))
    H = trace.enc_states.shape[1]
    ex = found["score"]
    assert ex.sliced == (H > 8)
    s, key = np.asarray(rec.dec_state, float), np.asarray(trace.enc_states[i], float)
    if trace.score_name == "general":
        key = np.asarray(trace.vectors["score_keys"][i], float)
    ks = slice(0, 4) if H > 8 else slice(0, H)
    assert ex.answer == pytest.approx(float(s[ks] @ key[ks]), abs=ex.tolerance)
    if not ex.sliced:
        assert ex.answer == pytest.approx(float(rec.scores[i]), abs=ex.tolerance)
    ex = found["weight"]
    assert ex.answer == pytest.approx(_softmax(np.asarray(rec.scores, float))[i], abs=1e-3)
    assert ex.model_value == pytest.approx(float(rec.weights[i]), abs=1e-6)
    ex = found["context"]
    k = int(ex.prompt_args["k"])
    by_hand = float(np.asarray(rec.weights, float) @ np.asarray(trace.enc_states, float)[:, k])
    assert ex.answer == pytest.approx(by_hand, abs=ex.tolerance)
    assert ex.answer == pytest.approx(float(rec.context[k]), abs=ex.tolerance)
    ex = found["attn_hidden"]
    k = int(ex.prompt_args["k"])
    assert ex.answer == pytest.approx(float(np.tanh(rec.attn_pre[k])), abs=1e-3)
    assert ex.answer == pytest.approx(float(rec.attn_hidden[k]), abs=ex.tolerance)
    ex = found["prob"]
    assert ex.answer == pytest.approx(float(np.exp(rec.logp)), abs=ex.tolerance)
    for ex in found.values():  # the solution shows the shown numbers and ends on the answer
        assert f"= {ex.answer:.4f}" in ex.work
        assert abs(ex.answer - ex.model_value) <= ex.tolerance or ex.quantity == "score"
        assert check_answer(ex, f"{ex.answer:.4f}").ok is True
        assert check_answer(ex, f"{ex.answer + 3 * ex.tolerance:.4f}").ok is False


@pytest.mark.parametrize(
    ("text", "value", "error"),
    [
        ("0.25", 0.25, None),
        ("0,25", 0.25, None),
        (" −1,5 ", -1.5, None),
        ("1,234.5", 1234.5, None),
        ("０．５", 0.5, None),
        ("", None, "ex.err.empty"),
        ("   ", None, "ex.err.empty"),
        ("abc", None, "ex.err.not_number"),
        ("😀", None, "ex.err.not_number"),
        ("<b>1</b>", None, "ex.err.not_number"),
        ("$\\frac{1}{2}$", None, "ex.err.not_number"),
        ("NaN", None, "ex.err.not_finite"),
        ("inf", None, "ex.err.not_finite"),
        ("-Infinity", None, "ex.err.not_finite"),
        ("9" * 10_000, None, "ex.err.too_long"),
        (None, None, "ex.err.empty"),
    ],
)
def test_answers_are_parsed_robustly(text, value, error) -> None:
    got, err = parse_answer(text)
    assert err == error
    assert (got is None) if value is None else got == pytest.approx(value)


def test_a_hostile_answer_gets_a_message_in_both_languages(trace) -> None:
    ex = exercises_for(trace, 0)[0]
    for lang in ("ko", "en"):
        set_language(lang)
        for text in ("abc", "nan", "9" * 10_000, ""):
            verdict = check_answer(ex, text)
            assert verdict.ok is None
            message = tr(verdict.key, **verdict.args)
            assert message != verdict.key and "{" not in message
            assert verdict.key in strings(lang)
        assert tr(ex.prompt_key, **ex.prompt_args) != ex.prompt_key
    set_language("en")


def test_exercises_round_trip_through_json(trace) -> None:
    found = exercises_for(trace, 0)
    back = [Exercise.from_dict(d) for d in json.loads(json.dumps([e.to_dict() for e in found]))]
    assert back == found and all(e.kind == "exercise" for e in back)
    assert len(set(found)) == len(found)  # hashable, by id
    assert exercises_for(trace, 999) == []
