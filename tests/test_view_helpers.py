"""View helpers: the process-wide LRU maps behind the step player's books and figure specs, and
the models page's conclusions (compared within one cohort)."""

from __future__ import annotations

import threading

from seq2seq_viz.views.figure_cache import LRU
from tests.tiny_models import rule_record


def test_lru_keeps_the_most_recently_used() -> None:
    lru = LRU(2)
    lru.put("a", 1)
    lru.put("b", 2)
    assert lru.get("a") == 1  # "a" is now the most recent
    lru.put("c", 3)  # evicts "b"
    assert lru.get("b") is None
    assert (lru.get("a"), lru.get("c"), len(lru)) == (1, 3, 2)
    assert lru.put("a", 10) == 10 and lru.get("a") == 10
    lru.clear()
    assert len(lru) == 0 and lru.get("a") is None


def test_lru_under_threads_stays_bounded_and_consistent() -> None:
    lru = LRU(50)

    def work(offset: int) -> None:
        for i in range(2000):
            key = (offset + i) % 120
            value = lru.get(key)
            assert value is None or value == key * 2
            lru.put(key, key * 2)

    threads = [threading.Thread(target=work, args=(k * 7,)) for k in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(lru) == 50


def test_insights_compare_only_models_of_one_cohort() -> None:
    """The models page's conclusions never set a longer-trained or other-cell model against
    the rest: soft-dot (11 epochs) and lstm-attn are not the 'best attention model' of the
    3-epoch GRUs."""
    from seq2seq_viz.views.insights import insights

    def row(bleu: float) -> dict:
        return {"bleu_greedy": bleu}

    kinds = {"a": "global", "b": "hard", "long": "global", "lstm": "global", "n": "none"}
    scores = {"a": "general", "b": "general", "long": "dot", "lstm": "dot", "n": "general"}
    results = {"a": row(30.0), "b": row(25.0), "long": row(44.0), "lstm": row(40.0), "n": row(20)}
    cohorts = {"a": ("gru", 3), "b": ("gru", 3), "n": ("gru", 3)}
    cohorts |= {"long": ("gru", 11), "lstm": ("lstm", 3)}
    found = insights(kinds, scores, results, cohorts)
    named = {v for _, fields in found for v in fields.values() if isinstance(v, str)}
    assert "a" in named and "b" in named and "n" in named
    assert not named & {"long", "lstm"}
    hard = [fields for key, fields in found if key.startswith("insight.hard")]
    assert hard and hard[0]["base"] == "a"
    # one cohort (no cohorts given): the best global model is the base, as before
    everyone = insights(kinds, scores, results)
    assert [f for k, f in everyone if k.startswith("insight.hard")][0]["base"] == "long"


def test_the_shipped_models_are_grouped_by_their_training_budget() -> None:
    """Two budgets: the first GPU run (6.8 min) continued on the CPU until the validation loss
    made no progress for 2 epochs, at most 30 epochs (soft-dot, soft-concat, soft-general, hard,
    none: one stage of at most 30, or a stage of 10 and stages that went on with its rule); and
    the shorter second GPU run continued on the CPU (3.5 GPU minutes, 11 CPU epochs, then on
    with that schedule until the validation loss made no progress for 2 epochs, at most 30 more:
    local-m, local-p, self-attn and the RNN and LSTM cells; the 11 epochs had no stopping rule,
    so they stay a stage of their own). The labels are what the compare and cell pages print,
    in both languages."""
    from seq2seq_viz.i18n import get_language, set_language
    from seq2seq_viz.views import state

    before = get_language()
    names = ("soft-dot", "soft-concat", "soft-general", "hard", "none", "self-attn", "local-m")
    budgets = {n: state.training_budget(n) for n in names}
    plateau = ("stages", ("minutes", 6.8, "cuda"), ("plateau", 30, "cpu", 2))
    for name in ("soft-dot", "soft-concat", "soft-general", "hard", "none"):  # one budget
        assert budgets[name] == plateau, name
    second = (("minutes", 3.5, "cuda"), ("epochs", 11, "cpu"), ("plateau", 30, "cpu", 2))
    assert budgets["local-m"] == ("stages", *second)
    for name in ("local-p", "self-attn", "lstm-attn", "lstm-none", "rnn-attn"):  # one budget
        assert state.training_budget(name) == budgets["local-m"], name
    try:
        set_language("en")
        assert state.budget_label("local-m") == (
            "3.5 min on GPU + 11 epochs on CPU + until the validation loss made no progress for "
            "2 epochs (at most 30) on CPU"
        )
        assert state.budget_label("hard") == (
            "6.8 min on GPU + until the validation loss made no progress for 2 epochs "
            "(at most 30) on CPU"
        )
        set_language("ko")
        assert state.budget_label("self-attn") == (
            "GPU에서 3.5분 + CPU에서 11 에폭 + CPU에서 검증 손실이 2 에폭 동안 나아지지 않을 "
            "때까지(최대 30 에폭)"
        )
        assert state.budget_label("none") == (
            "GPU에서 6.8분 + CPU에서 검증 손실이 2 에폭 동안 나아지지 않을 때까지(최대 30 에폭)"
        )
    finally:
        set_language(before)


def _by_length(**buckets: float) -> dict:
    return {"bleu_by_length": [{"bucket": b, "bleu": v, "n": 5} for b, v in buckets.items()]}


def test_length_memory_keeps_the_share_of_short_sentence_bleu_on_the_longest() -> None:
    """Numbers of the shipped cells (3.5 GPU minutes): the ratio is long / short over the first
    and last bucket every model has, best keeper first; a claim of the notes is judged from them."""
    from seq2seq_viz.views.insights import length_memory, memory_verdicts

    results = {
        "lstm-attn": _by_length(**{"1-4": 40.73, "5-7": 44.7, "12+": 34.58}),
        "rnn-attn": _by_length(**{"1-4": 36.22, "5-7": 33.57, "12+": 26.51}),
        "lstm-none": _by_length(**{"1-4": 42.66, "12+": 15.73}),  # no 5-7: not needed
        "unscored": {},
    }
    short, long, kept = length_memory(list(results), results)
    assert (short, long) == ("1-4", "12+")
    assert [k[0] for k in kept] == ["lstm-attn", "rnn-attn", "lstm-none"]
    for name, a, b, share in kept:
        rows = {x["bucket"]: x["bleu"] for x in results[name]["bleu_by_length"]}
        assert (a, b) == (rows["1-4"], rows["12+"]) and abs(share - b / a) < 1e-12
    cells = {"lstm-attn": "lstm", "rnn-attn": "rnn", "lstm-none": "lstm"}
    attends = {"lstm-attn": True, "rnn-attn": True, "lstm-none": False}
    assert memory_verdicts(kept, cells, attends) == [
        ("cell.memory_attention.agree", {"cell": "LSTM"}),
        ("cell.memory_gates.agree", {"gated": "LSTM"}),
    ]
    # an RNN that keeps more than the LSTM: the numbers, not the notes, decide
    results["rnn-attn"] = _by_length(**{"1-4": 30.0, "12+": 29.0})
    verdicts = dict(memory_verdicts(length_memory(list(results), results)[2], cells, attends))
    assert "cell.memory_gates.disagree" in verdicts and "cell.memory_attention.agree" in verdicts
    # nothing to compare: one model, or no two buckets in common
    assert length_memory(["lstm-attn"], results) is None
    assert length_memory(["x", "y"], {"x": _by_length(a=1.0), "y": _by_length(b=2.0)}) is None


def test_the_none_length_sentence_says_what_the_gap_does() -> None:
    """Attention vs none by length: 'the gap grows' only when it does; when the model without
    attention keeps up on short sentences, or the gap does not grow, the sentence says that."""
    from seq2seq_viz.i18n import strings
    from seq2seq_viz.views.insights import insights

    kinds = {"att": "global", "plain": "none"}
    scores = {"att": "dot", "plain": "dot"}
    cases = {  # (attention 1-4, 12+), (none 1-4, 12+) -> key
        ((40.0, 35.0), (30.0, 15.0)): "insight.none_length",
        ((47.5, 39.5), (48.2, 19.9)): "insight.none_length_short",  # the shipped LSTM pair
        ((40.0, 30.0), (30.0, 25.0)): "insight.none_length_flat",
    }
    for (att, plain), key in cases.items():
        results = {
            "att": {"bleu_greedy": 40.0, **_by_length(**{"1-4": att[0], "12+": att[1]})},
            "plain": {"bleu_greedy": 30.0, **_by_length(**{"1-4": plain[0], "12+": plain[1]})},
        }
        found = dict(insights(kinds, scores, results))
        keys = {k for k in found if k.startswith("insight.none_length")}
        assert keys == {key}, (att, plain, keys)
        for lang in ("en", "ko"):
            text = strings(lang)[key].format(**found[key])
            assert f"{att[1] - plain[1]:.1f}" in text, text


def test_the_model_card_says_why_training_stopped_in_both_languages() -> None:
    from seq2seq_viz.i18n import get_language, set_language
    from seq2seq_viz.views.models_page import stop_text

    before = get_language()
    try:
        set_language("en")
        assert stop_text(rule_record(7, 5)) == (
            "Why it stopped: the validation loss made no progress for 2 epochs (its stopping "
            "rule). It keeps the weights of epoch 5."
        )
        assert stop_text(rule_record(10, 10)) == (
            "Why it stopped: it ran all 10 epochs it was given. It keeps the weights of epoch "
            "10. Its last epoch still improved the validation loss: it had not converged."
        )
        assert stop_text(rule_record(10, 9)).endswith("weights of epoch 9.")  # not "still improved"
        assert stop_text({"epochs_run": 3}) == ""
        set_language("ko")
        assert stop_text(rule_record(7, 5)) == (
            "멈춘 이유: 검증 손실이 2 에폭 동안 나아지지 않았습니다(멈춤 규칙). "
            "5 에폭의 가중치를 씁니다."
        )
        timed = rule_record(25, 25, epochs=200, patience=1000000, max_minutes=6.8)
        assert stop_text(timed) == (
            "멈춘 이유: 주어진 학습 시간이 끝났습니다. 25 에폭의 가중치를 씁니다. "
            "마지막 에폭에서도 검증 손실이 나아졌습니다: 아직 수렴하지 않았습니다."
        )
    finally:
        set_language(before)
