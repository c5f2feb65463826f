"""Presenter keys (→ / PageDown / Space next, ← / PageUp previous) for the lesson page: a
Streamlit custom component (``st.components.v2``, no iframe) whose JavaScript lives in
lesson_keys.js beside this file, after the key rule it shares with the step player
(``views/stepper/keys.js``). :func:`pressed` returns +1, -1 or 0 for the current run."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import streamlit as st

from seq2seq_viz.views.stepper import with_keys

HERE = Path(__file__).resolve().parent


@cache
def _component() -> Any:
    js = with_keys((HERE / "lesson_keys.js").read_text(encoding="utf-8"))
    return st.components.v2.component("seq2seq_viz_lesson_keys", js=js)


def pressed(key: str = "lesson_keys") -> int:
    """Mount the listener; the move (+1 next, -1 previous) a key press asked for, else 0."""
    result = _component()(key=key, on_key_change=lambda: None, height=0)
    value = getattr(result, "key", None)
    if isinstance(value, dict) and value.get("move") in (1, -1):
        return int(value["move"])
    return 0
