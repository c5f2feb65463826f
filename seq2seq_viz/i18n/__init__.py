"""Translated strings: ``tr(key, **fmt)`` looks a key up in the current language (Korean or
English), falling back to English and then to the key itself, so a missing string never crashes.

The language is held in a :class:`contextvars.ContextVar`, so each thread sees its own choice.
A Streamlit app also registers a *language source* (:func:`set_language_source`): a function
that reads the session's chosen language. Streamlit runs every rerun, and every fragment rerun,
in a new thread that never ran the code calling :func:`set_language`; the source makes those
runs use the session's language too (a step-fragment rerun fell back to English). Outside a
session the source returns None and the context variable decides. Nothing here imports streamlit.
"""

from __future__ import annotations

import json
import string
from collections.abc import Callable
from contextvars import ContextVar
from functools import cache
from pathlib import Path

LANGUAGES: tuple[str, ...] = ("ko", "en")
DEFAULT_LANGUAGE = "en"
FIGURE_PREFIX = "fig."
_HERE = Path(__file__).resolve().parent
_current: ContextVar[str] = ContextVar("seq2seq_viz_language", default=DEFAULT_LANGUAGE)
_source: list[Callable[[], str | None]] = []  # at most one: the app's session language


@cache
def strings(lang: str) -> dict[str, str]:
    """All strings of one language (read once per process)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; choose one of {LANGUAGES}")
    return json.loads((_HERE / f"{lang}.json").read_text(encoding="utf-8"))


def set_language(lang: str) -> None:
    """Use `lang` for the following tr() calls in this context (thread)."""
    _current.set(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)


def set_language_source(source: Callable[[], str | None] | None) -> None:
    """Ask `source` first for the language (None: no source). It returns a code of
    :data:`LANGUAGES`, or None where it has no answer (e.g. outside a Streamlit session)."""
    _source.clear()
    if source is not None:
        _source.append(source)


def get_language() -> str:
    if _source:
        lang = _source[0]()
        if lang in LANGUAGES:
            return str(lang)
    return _current.get()


def tr(key: str, **fmt: object) -> str:
    """The string for `key` in the current language, formatted with `fmt` when given."""
    text = strings(get_language()).get(key)
    if text is None:
        text = strings(DEFAULT_LANGUAGE).get(key, key)
    return text.format(**fmt) if fmt else text


def figure_labels() -> dict[str, str]:
    """The labels dict for seq2seq_viz.figures builders (keys without the ``fig.`` prefix)."""
    merged = {**strings(DEFAULT_LANGUAGE), **strings(get_language())}
    n = len(FIGURE_PREFIX)
    return {k[n:]: v for k, v in merged.items() if k.startswith(FIGURE_PREFIX)}


def language_from_locale(locale: str | None) -> str:
    """'ko' when a browser locale (e.g. 'ko-KR' or an Accept-Language header) prefers Korean."""
    if not locale:
        return DEFAULT_LANGUAGE
    first = locale.split(",")[0].strip().lower()
    return "ko" if first.startswith("ko") else "en"


def format_fields(text: str) -> set[str]:
    """The ``str.format`` field names used in `text` (for checking translations)."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}
