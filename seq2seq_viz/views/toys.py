"""What a toy model reads: its task (from config.json), a sentence of what it takes, and valid
example inputs made by the task's own generator (seq2seq_viz.toy), so an example always fits.

The translation models read English sentences; a toy model given one reads unknown words only,
and the pages say so (:func:`toy_hint`).
"""

from __future__ import annotations

import datetime as dt

from seq2seq_viz import toy
from seq2seq_viz.views import state

TRANSLATION = "translation"
EXAMPLE_DATE = dt.date(1998, 3, 14)


def task_of(name: str) -> str:
    """'translation', or the toy task of model `name` ('dates', 'reverse', ...)."""
    try:
        settings = (state.model_card(name).get("data") or {}).get("settings") or {}
    except state.CheckpointError:
        return TRANSLATION
    return str(settings.get("toy") or TRANSLATION)


def example_inputs(task: str, n: int = 3) -> list[str]:
    """`n` inputs the task's generator writes (empty for translation and unknown tasks)."""
    if task == "dates":
        formats = toy.DATE_FORMATS[:n]
        return [toy.date_example(EXAMPLE_DATE, fmt)[0] for fmt in formats]
    make = toy.TOY_TASKS.get(task)
    if make is None or task == TRANSLATION:
        return []
    return [" ".join(example.src) for example in make(n, 11)]


def input_key(task: str) -> str:
    """The i18n key of the sentence that says what `task` reads."""
    return f"toy.input.{task}" if task in toy.TOY_TASKS else "toy.input.other"


def mostly_unknown(unknown: list[bool]) -> bool:
    """More than half of the tokens are outside the model's vocabulary."""
    return bool(unknown) and sum(bool(u) for u in unknown) * 2 > len(unknown)
