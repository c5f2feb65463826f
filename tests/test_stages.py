"""A model trained in two stages keeps one training record (seq2seq_viz.stages)."""

from __future__ import annotations

import json
from pathlib import Path

from seq2seq_viz.stages import main, merge
from tests.tiny_models import rule_record


def _record(epochs: int, seconds: float, command: str, best: float) -> dict:
    history = [
        {"epoch": e + 1, "valid_nll": best + 0.1 * (epochs - e - 1), "seconds": 10.0 * (e + 1)}
        for e in range(epochs)
    ]
    return {
        "command": command,
        "config": {"lr": 0.002},
        "seconds": seconds,
        "tokens_per_second": 1000,
        "steps": 100 * epochs,
        "epochs_run": epochs,
        "best_epoch": epochs,
        "best_valid_nll": best,
        "history": history,
        "code_version": "abc",
    }


def test_merge_adds_the_stages_up() -> None:
    first, second = _record(3, 300.0, "stage one", 1.5), _record(2, 200.0, "stage two", 1.2)
    merged = merge(first, second)
    assert merged["epochs_run"] == 5 and merged["best_epoch"] == 5
    assert merged["seconds"] == 500.0 and merged["steps"] == 500
    assert [row["epoch"] for row in merged["history"]] == [1, 2, 3, 4, 5]
    assert [row.get("stage") for row in merged["history"]] == [None, None, None, 2, 2]
    assert [s["command"] for s in merged["stages"]] == ["stage one", "stage two"]
    assert merged["best_valid_nll"] == 1.2
    third = merge(merged, _record(1, 50.0, "stage three", 1.1))
    assert third["epochs_run"] == 6 and len(third["stages"]) == 3
    assert third["history"][-1] == {**third["history"][-1], "epoch": 6, "stage": 3}


def test_the_cli_merges_once_and_ships(tmp_path: Path) -> None:
    old, new, ship = tmp_path / "old", tmp_path / "new", tmp_path / "ship"
    for folder, record in ((old, _record(3, 1.0, "a", 1.5)), (new, _record(2, 1.0, "b", 1.3))):
        folder.mkdir()
        (folder / "config.json").write_text(json.dumps({"training": record, "model": {}}))
        (folder / "model.safetensors").write_bytes(folder.name.encode())
    assert main([str(old), str(new), "--ship", str(ship)]) == 0
    shipped = json.loads((ship / "config.json").read_text())
    assert shipped["training"]["epochs_run"] == 5 and shipped["model"] == {}
    assert (ship / "model.safetensors").read_bytes() == b"new"
    try:
        main([str(old), str(new)])
    except SystemExit as err:
        assert "already merged" in str(err)
    else:
        raise AssertionError("a second merge was allowed")


def test_training_budget_tells_time_budgets_from_epoch_budgets():
    from seq2seq_viz.stages import training_budget

    gpu = {"epochs_run": 28, "device": "cuda", "config": {"epochs": 200, "max_minutes": 6.8}}
    assert training_budget(gpu) == ("minutes", 6.8, "cuda")
    same_budget = dict(gpu, epochs_run=22)  # fewer epochs in the same minutes: same cohort
    assert training_budget(same_budget) == training_budget(gpu)
    capped = {"epochs_run": 3, "config": {"epochs": 3, "max_minutes": 45}}  # the epochs bound
    assert training_budget(capped) == ("epochs", 3)
    assert training_budget({"epochs_run": 11}) == ("epochs", 11)
    assert training_budget({}) is None


def test_a_gpu_stage_then_a_cpu_stage_is_a_budget_of_both():
    """Minutes on one machine and epochs on another do not add up: the budget lists both."""
    from seq2seq_viz.evaluate import budget_words
    from seq2seq_viz.stages import training_budget

    gpu = {**_record(12, 200.0, "gpu", 1.19), "device": "cuda"}
    gpu["config"] = {"epochs": 200, "max_minutes": 3.5}
    cpu = {**_record(11, 4000.0, "cpu", 1.1), "device": "cpu"}
    cpu["config"] = {"epochs": 11, "max_minutes": 0.0}
    merged = merge(gpu, cpu)
    assert [s["device"] for s in merged["stages"]] == ["cuda", "cpu"]
    budget = training_budget(merged)
    assert budget == ("stages", ("minutes", 3.5, "cuda"), ("epochs", 11, "cpu"))
    assert budget_words(budget) == "3.5 minutes on GPU, then 11 epochs on CPU"
    assert budget != training_budget(gpu)  # its own cohort
    # a record merged before stages kept their device still has a budget
    del merged["stages"][0]["device"]
    assert training_budget(merged)[1] == ("minutes", 3.5, "cpu")


def test_the_model_table_lists_each_stage_s_time_on_its_device():
    from seq2seq_viz.evaluate import training_time

    gpu = {**_record(12, 200.0, "gpu", 1.19), "device": "cuda"}
    cpu = {**_record(11, 3000.0, "cpu", 1.1), "device": "cpu"}
    assert training_time(gpu) == "3.3 min (GPU, 12 epochs)"
    assert training_time(merge(gpu, cpu)) == "3.3 min (GPU, 12 epochs) + 50.0 min (CPU, 11 epochs)"


def test_the_model_table_says_why_training_stopped():
    from seq2seq_viz.evaluate import stop_words

    assert (
        stop_words(rule_record(7, 5))
        == "; stopped by its rule (2 epochs without progress), kept epoch 5"
    )
    assert (
        stop_words(rule_record(10, 10))
        == "; stopped at its epoch limit (10), kept epoch 10 (still improving)"
    )
    assert stop_words(rule_record(3, 3, epochs=200, patience=10**6, max_minutes=6.8)) == (
        "; stopped when its time ran out, kept epoch 3 (still improving)"
    )
    assert stop_words({}) == ""


def test_a_stage_that_never_beat_the_earlier_best_keeps_the_earlier_weights(tmp_path: Path):
    """Trained on until the validation loss stopped improving, and it had already stopped:
    the record keeps the whole history and the earlier best epoch, the model its weights."""
    first, second = _record(3, 300.0, "stage one", 1.2), _record(2, 200.0, "stage two", 1.25)
    merged = merge(first, second)
    assert merged["epochs_run"] == 5 and [r["epoch"] for r in merged["history"]] == [1, 2, 3, 4, 5]
    assert merged["best_epoch"] == 3 and merged["best_valid_nll"] == 1.2
    old, new, ship = tmp_path / "old", tmp_path / "new", tmp_path / "ship"
    for folder, record in ((old, first), (new, second)):
        folder.mkdir()
        (folder / "config.json").write_text(json.dumps({"training": record, "model": {}}))
        (folder / "model.safetensors").write_bytes(folder.name.encode())
    assert main([str(old), str(new), "--ship", str(ship)]) == 0
    assert (ship / "model.safetensors").read_bytes() == b"old"
    assert json.loads((ship / "config.json").read_text())["training"]["best_epoch"] == 3


def test_a_patience_rule_is_a_budget_of_its_own():
    """--patience below --epochs: wherever the run stopped, the rule was its budget."""
    from seq2seq_viz.evaluate import budget_words
    from seq2seq_viz.stages import training_budget

    gpu = {**_record(25, 400.0, "gpu", 1.06), "device": "cuda"}
    gpu["config"] = {"epochs": 200, "max_minutes": 6.8, "patience": 2}
    early = {**_record(5, 1500.0, "cpu", 1.2), "device": "cpu"}
    early["config"] = {"epochs": 10, "patience": 2, "max_minutes": 0.0}
    full = {**early, "epochs_run": 10}
    assert training_budget(early) == training_budget(full) == ("plateau", 10, "cpu", 2)
    budget = training_budget(merge(gpu, early))
    assert budget == ("stages", ("minutes", 6.8, "cuda"), ("plateau", 10, "cpu", 2))
    assert budget_words(budget) == (
        "6.8 minutes on GPU, then until the validation loss made no progress for 2 epochs "
        "(at most 10) on CPU"
    )
    fixed = dict(early, config={"epochs": 11, "patience": 1000000})
    assert training_budget(fixed) == ("epochs", 5)  # the rule could not act: epochs


def test_a_stage_that_carries_the_rule_on_is_one_budget_with_the_stage_before():
    """`train --continue-schedule`: the third stage went on with the second stage's rule, so
    the budget reads as one rule with both epoch limits; without the flag it is a stage of its
    own, and a different patience never merges."""
    from seq2seq_viz.evaluate import budget_words
    from seq2seq_viz.stages import training_budget

    gpu = {**_record(25, 400.0, "gpu", 1.06), "device": "cuda"}
    gpu["config"] = {"epochs": 200, "max_minutes": 6.8, "patience": 2}
    second = {**_record(10, 3000.0, "cpu", 1.0), "device": "cpu"}
    second["config"] = {"epochs": 10, "patience": 2, "max_minutes": 0.0}
    third = {**_record(4, 1200.0, "train --continue-schedule", 0.98), "device": "cpu"}
    third["config"] = {"epochs": 12, "patience": 2, "max_minutes": 0.0}
    merged = merge(merge(gpu, second), third)
    assert training_budget(merged) == (
        "stages",
        ("minutes", 6.8, "cuda"),
        ("plateau", 22, "cpu", 2),
    )
    assert budget_words(training_budget(merged)) == (
        "6.8 minutes on GPU, then until the validation loss made no progress for 2 epochs "
        "(at most 22) on CPU"
    )
    fresh = {**third, "command": "train"}  # restarted its schedule: a stage of its own
    assert training_budget(merge(merge(gpu, second), fresh)) == (
        "stages",
        ("minutes", 6.8, "cuda"),
        ("plateau", 10, "cpu", 2),
        ("plateau", 12, "cpu", 2),
    )
    other = {**third, "config": {"epochs": 12, "patience": 3, "max_minutes": 0.0}}
    assert len(training_budget(merge(merge(gpu, second), other))) == 4
    alone = merge(second, third)  # two CPU stages under one rule: one plateau budget
    assert training_budget(alone) == ("plateau", 22, "cpu", 2)


def test_why_a_training_stopped_is_read_from_its_record():
    from seq2seq_viz.stages import stop_reason

    assert stop_reason(rule_record(7, 5)) == ("plateau", 2, 5)  # epochs 6 and 7 made no progress
    assert stop_reason(rule_record(10, 9)) == ("limit", 10, 9)  # one bad epoch, then the limit
    assert stop_reason(rule_record(10, 10)) == ("limit", 10, 10)  # still improving at its limit
    assert stop_reason(rule_record(6, 5, lr=1.5e-5)) == ("rate", 5)  # halved below 1e-5
    assert stop_reason(rule_record(6, 6, lr=1.5e-5)) is None  # improved: the rate was not halved
    timed = rule_record(25, 25, epochs=200, patience=1000000, max_minutes=6.8)
    assert stop_reason(timed) == ("time", 25)
    # records written since "no limit" is None (older ones said 1000000) read the same
    assert stop_reason(rule_record(25, 25, epochs=200, patience=None, max_minutes=6.8)) == (
        "time",
        25,
    )
    assert stop_reason(rule_record(7, 5, patience=None, epochs=None)) is None
    assert stop_reason({"epochs_run": 3}) is None
    # a staged record: the last stage's settings, the whole history's epochs
    first = {**rule_record(25, 25, epochs=200, patience=1000000, max_minutes=6.8), "device": "cuda"}
    second = {**rule_record(10, 9), "command": "train", "device": "cpu"}
    third = {**rule_record(3, 1), "command": "train --continue-schedule", "device": "cpu"}
    assert stop_reason(merge(first, second)) == ("limit", 10, 34)
    assert stop_reason(merge(merge(first, second), third)) == ("plateau", 2, 36)
