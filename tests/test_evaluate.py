"""Evaluation on a toy task trained for a few seconds: metrics, reports, goals."""

from __future__ import annotations

import json
import shutil

import pytest
import sacrebleu

from seq2seq_viz.checkpoints import load_model, read_config
from seq2seq_viz.evaluate import bleu, goals_section, main


def test_bleu_with_uneven_reference_counts_matches_sacrebleu():
    hyps = ["le chat dort .", "il fait froid ."]
    refs = [["le chat dort ."], ["il fait très froid .", "Il fait froid ."]]
    streams = [["le chat dort .", "il fait très froid ."], [None, "il fait froid ."]]
    expect = sacrebleu.corpus_bleu(hyps, streams).score
    assert bleu(hyps, refs) == pytest.approx(expect, abs=0.01)  # case-insensitive
    assert bleu(hyps, [[h] for h in hyps]) == 100.0


def test_goals_are_checked_from_the_numbers():
    models = {
        "none": {"bleu_beam5": 20.0, "bleu_by_length": [{"bucket": "12+", "bleu": 5.0}]},
        "soft-dot": {"bleu_beam5": 46.0, "bleu_by_length": [{"bucket": "12+", "bleu": 21.0}]},
        "soft-weak": {"bleu_beam5": 29.0, "bleu_by_length": [{"bucket": "12+", "bleu": 19.0}]},
        "hard": {"bleu_beam5": 44.0, "bleu_by_length": [{"bucket": "12+", "bleu": 9.0}]},
    }
    text = goals_section(models)
    assert "| `soft-dot` | 46.00 | +26.00 met | 21.0 | +16.00 met |" in text
    assert "| `soft-weak` | 29.00 | +9.00 MISSED | 19.0 | +14.00 MISSED |" in text
    assert "goal 45+: met" in text
    assert "2.00 BLEU below the best soft global model (goal within 3: met)" in text
    models["hard"]["bleu_beam5"] = 42.5
    assert "(goal within 3: MISSED)" in goals_section(models)
    assert "BLEU 12+ tokens (greedy)" in text  # not every model has its beam-5 buckets


def test_the_long_source_goal_uses_beam_5_where_every_model_has_its_buckets():
    def row(beam: float, greedy_long: float, beam_long: float) -> dict:
        greedy = [{"bucket": "1-4", "bleu": 50.0}, {"bucket": "12+", "bleu": greedy_long}]
        return {
            "bleu_beam5": beam,
            "bleu_by_length": greedy,
            "bleu_by_length_beam5": [{"bucket": "12+", "bleu": beam_long}],
        }

    models = {"none": row(40.0, 20.0, 22.0), "soft-dot": row(50.0, 36.0, 36.5)}
    text = goals_section(models)
    assert "BLEU 12+ tokens (beam 5)" in text and "(greedy)" not in text
    assert "| `soft-dot` | 50.00 | +10.00 met | 36.5 | +14.50 MISSED |" in text
    del models["none"]["bleu_by_length_beam5"]  # an older record: all greedy, said so
    text = goals_section(models)
    assert "| `soft-dot` | 50.00 | +10.00 met | 36.0 | +16.00 met |" in text
    assert "BLEU 12+ tokens (greedy)" in text


def test_toy_evaluation_writes_metrics_and_reports(toy_model_dir, tmp_path):
    folder = tmp_path / "models" / "toy-reverse"
    shutil.copytree(toy_model_dir, folder)
    assert (
        main(
            [
                str(folder),
                "--out-dir",
                str(tmp_path / "models"),
                "--limit",
                "40",
                "--threads",
                "1",
                "--quiet",
            ]
        )
        == 0
    )
    results = json.loads((tmp_path / "models" / "results.json").read_text())
    m = results["models"]["toy-reverse"]
    assert m["n_test"] == 40 and 0.5 <= m["exact_match"] <= 1.0
    assert 0.0 <= m["aer"] < 0.3  # a reversal model attends to the mirrored position
    assert m["bleu_greedy"] > 50 and m["ppl"] < 2.0
    assert {r["bucket"] for r in m["bleu_by_length"]} <= {"1-4", "5-7", "8-11", "12+"}
    for key in ("bleu_by_length", "bleu_by_length_beam5"):  # every source in one bucket
        assert sum(r["n"] for r in m[key]) == m["n_test"], key
    beam = {r["bucket"]: r["bleu"] for r in m["bleu_by_length_beam5"]}
    assert [r["bucket"] for r in m["bleu_by_length"]] == list(beam)
    assert all(0.0 <= b <= 100.0 for b in beam.values())
    assert read_config(folder)["metrics"]["aer"] == m["aer"]
    load_model(folder)  # still loads: the weights' hash is untouched by adding metrics
    readme = (tmp_path / "models" / "README.md").read_text()
    assert "| `toy-reverse` |" in readme and "CC BY 2.0" in readme


def test_gold_alignments_follow_their_source_when_duplicates_collapse():
    from seq2seq_viz.data import TokenizedPair, group_references
    from seq2seq_viz.evaluate import gold_for_groups

    pairs = [
        TokenizedPair(s, t, tuple(s.split()), tuple(t.split()))
        for s, t in [("a b", "b a"), ("c d e", "e d c"), ("a b", "b a"), ("f g", "g f")]
    ]
    gold = [[[1], [0]], [[2], [1], [0]], [[1], [0]], [[1], [0]]]
    sources = [src for src, _ in group_references(pairs)]
    assert sources == ["a b", "c d e", "f g"]
    assert gold_for_groups(pairs, gold, sources) == [gold[0], gold[1], gold[3]]


def test_other_cells_get_their_own_table_not_the_attention_goals():
    models = {
        "none": {"bleu_beam5": 20.0, "bleu_by_length": [{"bucket": "12+", "bleu": 5.0}]},
        "soft-dot": {"bleu_beam5": 46.0, "bleu_by_length": [{"bucket": "12+", "bleu": 21.0}]},
        "rnn-attn": {"bleu_beam5": 15.0, "bleu_by_length": [{"bucket": "12+", "bleu": 4.0}]},
        "lstm-none": {"bleu_beam5": 25.0, "bleu_by_length": [{"bucket": "12+", "bleu": 8.0}]},
    }
    kinds = {"none": ("gru", "none"), "soft-dot": ("gru", "global")}
    kinds |= {"rnn-attn": ("rnn", "global"), "lstm-none": ("lstm", "none")}
    text = goals_section(models, kinds)
    assert "| `soft-dot` | 46.00 | +26.00 met |" in text
    assert "| `rnn-attn` | 15.00 |" not in text and "vs none" in text
    assert "| `rnn-attn` | RNN | global | 15.00 | 4.0 |" in text
    assert "| `lstm-none` | LSTM | none | 25.00 | 8.0 |" in text


def test_a_transformer_is_checked_against_the_best_rnn_not_against_none():
    def scores(beam5: float, long_: float) -> dict:
        return {"bleu_beam5": beam5, "bleu_by_length": [{"bucket": "12+", "bleu": long_}]}

    models = {"none": scores(20.0, 5.0), "soft-dot": scores(46.0, 21.0),
              "soft-general": scores(45.0, 23.0), "transformer": scores(47.0, 22.0)}  # fmt: skip
    kinds = {"none": ("gru", "none"), "soft-dot": ("gru", "global"),
             "soft-general": ("gru", "global")}  # fmt: skip
    kinds["transformer"] = ("transformer", "transformer")
    text = goals_section(models, kinds)
    assert "| `transformer` |" not in text  # neither the variants' table nor the cells'
    expected = (
        "`transformer`: 47.00 BLEU beam 5 against the best RNN `soft-dot`'s 46.00 (goal at "
        "least: met); 22.0 on 12+ tokens against the best RNN there, `soft-general`'s 23.0 (goal "
        "above: MISSED)."
    )
    assert expected in text
    models["transformer"] = scores(45.5, 23.5)
    text = goals_section(models, kinds)
    assert "(goal at least: MISSED)" in text and "(goal above: met)" in text


def test_budget_words_name_what_each_model_was_given():
    from seq2seq_viz.evaluate import budget_words

    assert budget_words(("minutes", 6.8, "cuda")) == "6.8 minutes on GPU"
    assert budget_words(("epochs", 3)) == "3 epochs"
    assert budget_words(None) == "an unrecorded budget"


def test_the_bleu_chart_script_draws_the_evaluated_models_but_no_toy(tmp_path):
    """pretrained/bleu_chart.py: the chart evaluate no longer draws (core code draws nothing)."""
    import runpy
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "pretrained" / "bleu_chart.py"
    write_chart = runpy.run_path(str(script), run_name="bleu_chart")["write_chart"]  # no .pyc
    rows = [{"bucket": "1-4", "bleu": 30.0, "n": 3}, {"bucket": "12+", "bleu": 10.0, "n": 2}]
    results = {"models": {"soft-dot": {"bleu_by_length": rows},
                          "toy-dates": {"exact_match": 1.0, "bleu_by_length": rows}}}  # fmt: skip
    (tmp_path / "results.json").write_text(json.dumps(results))
    html = write_chart(tmp_path).read_text()
    assert "soft-dot" in html and "toy-dates" not in html
    (tmp_path / "results.json").write_text(json.dumps({"models": {}}))
    assert write_chart(tmp_path) is None
