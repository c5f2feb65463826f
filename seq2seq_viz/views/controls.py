"""Widgets in, config objects out: the shared sidebar (language, model, sentence, decoding,
presentation mode) and the small widget groups pages reuse.

Widget keys are global here because these widgets are shared by every page; the model, language
and presentation switches are bound to the URL so a link reopens the same view. The sentence is
put in the URL by hand when it is short (a 10,000-character sentence does not belong in a link).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from seq2seq_viz.checkpoints import DEFAULT_MODEL
from seq2seq_viz.config import DecodeConfig
from seq2seq_viz.i18n import (
    LANGUAGES,
    get_language,
    language_from_locale,
    set_language,
    set_language_source,
    tr,
)
from seq2seq_viz.views import questions_view, state, toys
from seq2seq_viz.views.safe import escape_markdown

CONTROLS = "_controls"
LANG_NAMES = {"ko": "한국어", "en": "English"}
LANG_CODES = {name: code for code, name in LANG_NAMES.items()}
URL_TEXT_LIMIT = 200
FALLBACK_TEACHING = [  # used until the evaluation writes examples.json
    {"src": "it is a difficult question .", "note": "example.note.adjective"},
    {"src": "tom has a black dog .", "note": "example.note.adjective"},
    {"src": "she is reading a very interesting book .", "note": "example.note.long"},
]


@dataclass(frozen=True)
class Controls:
    """What every page needs to know, read once per run from the sidebar widgets."""

    lang: str
    model: str | None
    text: str
    decode: DecodeConfig
    presentation: bool


def current() -> Controls:
    """The controls of this run (set by :func:`sidebar`)."""
    return st.session_state[CONTROLS]


def browser_language() -> str:
    """'ko' when the browser prefers Korean (st.context.locale, else Accept-Language)."""
    locale = getattr(st.context, "locale", None)
    if not locale:
        locale = st.context.headers.get("Accept-Language") if st.context.headers else None
    return language_from_locale(locale)


def early_language() -> str:
    """The language of this run, known before its widget is drawn (labels need it first)."""
    for value in (st.session_state.get("lang"), st.query_params.get("lang")):
        code = LANG_CODES.get(str(value), value)
        if code in LANGUAGES:
            return str(code)
    return browser_language()


def session_language() -> str | None:
    """The language every run of this session uses, fragment reruns included (a fragment runs
    in a thread that never ran :func:`sidebar`); None outside a Streamlit session."""
    if get_script_run_ctx(suppress_warning=True) is None:
        return None
    return early_language()


set_language_source(session_language)


def language_control(where: Any) -> None:
    """The language switch (its value was already read by :func:`early_language`)."""
    browser = LANG_NAMES[browser_language()]
    if "lang" not in st.session_state:  # a session's first run: a link's ?lang=ko or ?lang=한국어
        chosen = LANG_NAMES[early_language()]
        if chosen != browser:
            st.session_state["lang"] = chosen
    where.segmented_control(  # options are the names: a bound widget puts its label in the URL
        "Language · 언어",
        [LANG_NAMES[code] for code in LANGUAGES],
        # The browser's language, not the chosen one: a bound widget leaves its default out of
        # the URL, so a chosen language must differ from the default to survive in a link.
        default=browser,
        required=True,
        key="lang",
        bind="query-params",
        label_visibility="collapsed",
    )


def _model_control(names: list[str]) -> str | None:
    if not names:
        st.sidebar.error(tr("error.no_models", root=str(state.models_root())))
        return None
    default = names.index(DEFAULT_MODEL) if DEFAULT_MODEL in names else 0
    return st.sidebar.selectbox(
        tr("sidebar.model"),
        names,
        index=default,
        key="model",
        bind="query-params",
        help=tr("sidebar.model_help"),
    )


def _examples() -> list[dict[str, Any]]:
    """Teaching examples (with their notes) then test sentences with references."""
    data = state.load_examples()
    teaching = data["teaching"] or FALLBACK_TEACHING
    return [{"kind": "teaching", **e} for e in teaching] + [
        {"kind": "test", **e} for e in data["test"][:40]
    ]


def _example_label(example: dict[str, Any]) -> str:
    mark = "★ " if example["kind"] == "teaching" else tr("sidebar.test_mark") + " "
    return mark + str(example["src"])[:80]


def _pick_example() -> None:
    """Callback: copy the picked example into the sentence box and the reference box."""
    picked = st.session_state.get("example")
    if picked is None:
        return
    example = _examples()[picked]
    st.session_state["text"] = str(example["src"])
    refs = example.get("refs") or []
    st.session_state["reference"] = str(refs[0]) if refs else ""


def _sentence_control() -> str:
    examples = _examples()  # the first teaching example opens the app
    if "text" not in st.session_state:
        st.session_state["text"] = str(st.query_params.get("text", examples[0]["src"]))
    st.sidebar.selectbox(
        tr("sidebar.examples"),
        range(len(examples)),
        index=None,
        key="example",
        format_func=lambda i: _example_label(examples[i]),
        placeholder=tr("sidebar.examples_placeholder"),
        on_change=_pick_example,
    )
    text = st.sidebar.text_area(
        tr("sidebar.sentence"), key="text", height=90, help=tr("sidebar.sentence_help")
    )
    _sync_text_param(text)
    note = _example_note(examples, text)
    if note:
        st.sidebar.caption("★ " + note)
    return text


def _example_note(examples: list[dict[str, Any]], text: str) -> str | None:
    """The teaching note of the example in the sentence box, if it is one (plain text)."""
    for example in examples:
        if example["kind"] == "teaching" and str(example["src"]).strip() == text.strip():
            note = example.get(f"note_{get_language()}") or tr(example.get("note", ""))
            return escape_markdown(str(note)) if note else None
    return None


def _toy_input(model: str | None) -> None:
    """A toy model reads dates or letters, not English: say so, with a valid input one click
    away (examples made by the task's own generator)."""
    task = toys.task_of(model) if model else toys.TRANSLATION
    if task == toys.TRANSLATION:
        return
    examples = toys.example_inputs(task)
    listed = escape_markdown(tr("toy.examples", examples=" · ".join(examples)))
    st.sidebar.caption(f"{tr(toys.input_key(task))} {listed}")
    if examples:
        st.sidebar.button(
            tr("toy.use_example"), key="toy_example", on_click=_use_text, args=(examples[0],)
        )


def _use_text(text: str) -> None:
    st.session_state["text"] = text


def _sync_text_param(text: str) -> None:
    if 0 < len(text) <= URL_TEXT_LIMIT and "\x00" not in text:
        if st.query_params.get("text") != text:
            st.query_params["text"] = text
    elif "text" in st.query_params:
        del st.query_params["text"]


MAX_LEN_DEFAULT = 30


def beam_controls(where: Any, key: str = "beam_width", default: int = 1) -> int:
    """Beam width and length penalty: in the sidebar for the other pages (greedy by default),
    on the beam page itself with its own width (5 by default). The penalty is shared."""
    width = where.slider(
        tr("decode.beam_width"),
        1,
        16,
        default,
        key=key,
        persist_state="session",
        help=tr("decode.beam_width_help"),
    )
    where.slider(
        tr("decode.length_penalty"),
        0.0,
        2.0,
        0.6,
        0.1,
        key="length_penalty",
        persist_state="session",
        help=tr("decode.length_penalty_help"),
    )
    return int(width)


def _decode_controls(show_beam: bool) -> DecodeConfig:
    """The decoding settings, in a box whose sliders are made only while it is open (opening it
    reruns the page); their values live in Session State either way (``persist_state``)."""
    box = st.sidebar.expander(
        tr("sidebar.decoding"), expanded=False, key="decoding_open", on_change="rerun"
    )
    with box:
        if box.open is not False:
            if show_beam:
                beam_controls(st)
            st.slider(
                tr("decode.max_len"),
                5,
                60,
                MAX_LEN_DEFAULT,
                key="max_len",
                persist_state="session",
                help=tr("decode.max_len_help"),
            )
    return DecodeConfig(
        beam_width=int(st.session_state.get("beam_width", 1)),
        max_len=int(st.session_state.get("max_len", MAX_LEN_DEFAULT)),
        length_penalty=float(st.session_state.get("length_penalty", 0.6)),
    )


def sidebar(page_path: str) -> Controls:
    """Draw the shared sidebar and remember what it says for this run's page."""
    lang = early_language()
    set_language(lang)
    top = st.sidebar.container()
    model = _model_control(state.model_names())
    text = _sentence_control()
    _toy_input(model)
    decode = _decode_controls(show_beam=page_path != "beam")
    presentation = st.sidebar.toggle(
        tr("sidebar.presentation"),
        key="present",
        bind="query-params",
        help=tr("sidebar.presentation_help"),
    )
    if not presentation:
        language_control(top)
    controls = Controls(lang, model, text, decode, bool(presentation))
    st.session_state[CONTROLS] = controls
    return controls


def sidebar_footer(model: str | None) -> None:
    """The device and the data attribution, drawn after the page: only then is it known
    whether this run needed the model (a precomputed opening page does not). A model that
    failed to load gets neither caption: the page names the error."""
    if model is not None and state.is_loaded(model):
        device = state.device_name(model)
        kind = "GPU" if device.startswith("cuda") else "CPU"
        st.sidebar.caption(tr("sidebar.device", kind=kind, device=device))
    elif model is not None and state.drawn_ahead(model):
        st.sidebar.caption(tr("sidebar.device_loading"))
    st.sidebar.caption(tr("attribution"))


def presentation_bar() -> None:
    """In presentation mode the sidebar is hidden: language and the way out live up here."""
    left, middle, right = st.columns([3, 1.3, 1], vertical_alignment="center")
    with left:
        language_control(st)
    questions_view.toggle(middle, "present_questions")
    right.button(
        tr("present.exit"), key="exit_present", on_click=_exit_presentation, width="stretch"
    )


def _exit_presentation() -> None:
    st.session_state["present"] = False
