"""One model trained in stages: ``python -m seq2seq_viz.stages PREVIOUS NEW [--ship DEST]``.

A second stage (``train --init-from PREVIOUS --out NEW``) starts from the previous stage's
weights, so the model's true training record is both: this writes NEW/config.json's
``training`` as the sum (epochs, seconds and steps added, the history continued with its epochs
renumbered and marked ``"stage": 2``, each stage's command and settings kept under ``stages``),
then with ``--ship DEST`` copies config.json and the weights into DEST (e.g. pretrained/hard):
the new stage's weights, or the earlier ones when its best validation loss did not beat theirs
(the record then keeps the earlier best epoch: the model had stopped improving).
The app's model cards and the comparisons (same cell, same epochs) read these numbers.
"""

from __future__ import annotations

import argparse
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .checkpoints import CONFIG, WEIGHTS, atomic_write_bytes

STAGE_KEYS = (
    "command",
    "config",
    "seconds",
    "epochs_run",
    "tokens_per_second",
    "code_version",
    "device",
)


def stage_records(training: dict[str, Any]) -> list[dict[str, Any]]:
    """The stages a training record holds (a single-stage record is one stage), each with its
    command, settings, seconds, epochs, tokens/s, code version and device."""
    if training.get("stages"):
        return list(training["stages"])
    return [{k: training.get(k) for k in STAGE_KEYS}]


def device_word(device: str) -> str:
    """The word for a device: GPU for any CUDA device, else CPU (the app and the reports)."""
    return "GPU" if str(device).startswith("cuda") else "CPU"


def training_budget(training: dict[str, Any]) -> tuple[Any, ...] | None:
    """What a model's training was given, for comparing like with like: ("minutes", M, device)
    when a wall-clock budget ended it (`--max-minutes` set and its epoch limit not reached: every
    model of one `train_gpu.sh` run); ("plateau", N, device, P) when it was to stop after P
    epochs without progress on the validation loss, at most N epochs (`--patience` below
    `--epochs`: wherever it stopped, the rule was its budget); else ("epochs", N). A model
    trained in stages gets ("stages", part, part, ...), each part one of those with its device;
    a stage that went on with the previous stage's rule (`train --continue-schedule`) is one
    part with it, its epoch limits added. None when the record says nothing."""
    stages = training.get("stages") or []
    if len(stages) > 1:
        parts: list[tuple[Any, ...] | None] = []
        for stage in stages:
            part = _stage_budget(stage, with_device=True)
            last = parts[-1] if parts else None
            if _continues(stage, last, part):  # one rule over both stages: its limits add up
                parts[-1] = ("plateau", last[1] + part[1], *last[2:])  # type: ignore[index]
            else:
                parts.append(part)
        if all(part is not None for part in parts):
            return ("stages", *parts) if len(parts) > 1 else parts[0]
    return _stage_budget(training)


def _continues(stage: dict[str, Any], last: Any, part: Any) -> bool:
    """A stage run with `--continue-schedule` after a stage with the same plateau rule (same
    patience, same device) carried that rule on (its best loss, bad epochs and rate)."""
    carried = "--continue-schedule" in str(stage.get("command") or "")
    same = last is not None and part is not None and last[0] == part[0] == "plateau"
    return carried and same and last[2:] == part[2:]


def budget_text(
    budget: tuple[Any, ...] | None,
    minutes: Callable[[str, str | None], str],
    epochs: Callable[[Any, str | None], str],
    plateau: Callable[[Any, Any, str], str],
    then: str,
    unknown: str,
) -> str:
    """A budget of `training_budget` in words, one reading for every language and report:
    `minutes(M, device word or None)`, `epochs(N, device word or None)` and `plateau(N,
    patience, device word)` say one part, `then` joins the stages, `unknown` stands for None."""
    if budget is None:
        return unknown
    if budget[0] == "stages":
        parts = budget[1:]
        return then.join(budget_text(p, minutes, epochs, plateau, then, unknown) for p in parts)
    device = device_word(budget[2]) if len(budget) > 2 else None
    if budget[0] == "minutes":
        return minutes(f"{budget[1]:g}", device)
    if budget[0] == "plateau":
        return plateau(budget[1], budget[3], device or "CPU")
    return epochs(budget[1], device)


def _stage_budget(training: dict[str, Any], with_device: bool = False) -> tuple[Any, ...] | None:
    config = training.get("config") or {}
    epochs = training.get("epochs_run")
    device = str(training.get("device") or "cpu")
    minutes = config.get("max_minutes") or 0
    limit, patience = int(config.get("epochs") or 0), config.get("patience")
    if minutes and isinstance(epochs, int) and epochs < limit:
        return ("minutes", float(minutes), device)
    if isinstance(patience, int) and 0 < patience < limit:
        return ("plateau", limit, device, patience)
    if epochs is None:
        return None
    return ("epochs", epochs, device) if with_device else ("epochs", epochs)


def stop_reason(training: dict[str, Any]) -> tuple[Any, ...] | None:
    """Why a training record ended, from its last stage's settings and the whole history:
    ("plateau", P, best) when its last P epochs (or more) made no progress and its rule stops
    after P; ("rate", best) when the learning rate had decayed below `min_lr`; ("limit", N,
    best) when the last stage ran all N epochs it was allowed; ("time", best) when its minutes
    or its deadline ran out. `best` is the epoch whose weights are kept (the last epoch: still
    improving when it stopped). None when the record does not say."""
    total, best = training.get("epochs_run"), training.get("best_epoch")
    history = training.get("history") or []
    if not isinstance(total, int) or not isinstance(best, int) or not history:
        return None
    stage = stage_records(training)[-1]
    config = stage.get("config") or {}
    patience, limit = config.get("patience"), config.get("epochs")
    bad = total - best
    if isinstance(patience, int) and 0 < patience <= bad:
        return ("plateau", patience, best)
    lr, decay, floor = history[-1].get("lr"), config.get("lr_decay"), config.get("min_lr")
    numbers = all(isinstance(v, (int, float)) for v in (lr, decay, floor))
    if bad and numbers and lr * decay < floor:
        return ("rate", best)
    ran = stage.get("epochs_run")
    if isinstance(limit, int) and isinstance(ran, int) and ran >= limit:
        return ("limit", limit, best)
    if config.get("max_minutes") or config.get("deadline"):
        return ("time", best)
    return None


def still_improving(training: dict[str, Any]) -> bool:
    """Whether the epoch a record keeps is its last one: the training ended while its
    validation loss was still falling (never after a plateau, which ends on bad epochs)."""
    best = training.get("best_epoch")
    return isinstance(best, int) and best == training.get("epochs_run")


def improved(previous: dict[str, Any], new: dict[str, Any]) -> bool:
    """Whether a later stage's best validation loss beat the earlier stages' (True when a
    record does not say)."""
    before, after = previous.get("best_valid_nll"), new.get("best_valid_nll")
    numbers = all(isinstance(v, (int, float)) for v in (before, after))
    return not numbers or after < before


def merge(previous: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The training record of `previous` followed by `new` (both config.json "training")."""
    done = int(previous.get("epochs_run") or 0)
    stage = len(stage_records(previous)) + 1
    history = list(previous.get("history") or [])
    for row in new.get("history") or []:  # its seconds stay the stage's own
        history.append({**row, "epoch": done + int(row["epoch"]), "stage": stage})
    return {
        **new,
        "command": f"{previous.get('command')}  # stage {stage}, from its weights: "
        f"{new.get('command')}",
        "seconds": round(float(previous.get("seconds") or 0) + float(new.get("seconds") or 0), 1),
        "steps": int(previous.get("steps") or 0) + int(new.get("steps") or 0),
        "epochs_run": done + int(new.get("epochs_run") or 0),
        # a stage that never beat the earlier best keeps the earlier weights (see main)
        **(
            {"best_epoch": done + int(new.get("best_epoch") or 0)}
            if improved(previous, new)
            else {k: previous.get(k) for k in ("best_epoch", "best_valid_nll")}
        ),
        "history": history,
        "stages": [*stage_records(previous), {k: new.get(k) for k in STAGE_KEYS}],
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("previous", type=Path, help="the model folder the stage started from")
    p.add_argument("new", type=Path, help="the model folder the stage wrote")
    p.add_argument("--ship", type=Path, help="then copy the merged model into this folder")
    args = p.parse_args(argv)
    old = json.loads((args.previous / CONFIG).read_text(encoding="utf-8"))
    config = json.loads((args.new / CONFIG).read_text(encoding="utf-8"))
    if "stages" in config.get("training", {}) and len(config["training"]["stages"]) > len(
        stage_records(old["training"])
    ):
        raise SystemExit(f"{args.new}: already merged")
    better = improved(old["training"], config["training"])
    config["training"] = merge(old["training"], config["training"])
    text = json.dumps(config, indent=1, ensure_ascii=False)
    atomic_write_bytes(args.new / CONFIG, text.encode("utf-8"))
    if args.ship:
        args.ship.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(args.new / CONFIG, args.ship / CONFIG)
        if args.ship.resolve() != args.previous.resolve() or better:
            shutil.copyfile((args.new if better else args.previous) / WEIGHTS, args.ship / WEIGHTS)
    t = config["training"]
    print(f"{args.new}: {t['epochs_run']} epochs in {len(t['stages'])} stages, {t['seconds']} s")
    if not better:
        print(f"the last stage did not beat epoch {t['best_epoch']}: the earlier weights are kept")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
