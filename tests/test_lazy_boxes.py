"""Boxes whose content is made only while open (AppTest): the step page's "every vector of a
step" section and the sidebar's decoding settings. Closed, they send nothing but their label;
opening one reruns the page and shows its content; what was chosen inside survives closing it;
the decoding settings apply whether their box is open or not."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from seq2seq_viz.checkpoints import load_model
from seq2seq_viz.config import DecodeConfig
from tests.test_app import APP, EN, KO, _ok, models_root  # noqa: F401 (a fixture)

VECTORS = "vectors_open_0"  # the tiny test models are too big to follow by hand: closed
TEXT = "the cat sleeps ."


def _app(locale: str = "en-US", **state: object) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.context["locale"] = locale
    at.session_state["text"] = TEXT
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    _ok(at)
    return at


def _vector_pickers(at: AppTest) -> list:
    return [s for s in at.selectbox if str(s.key).startswith("vectors_")]


def test_the_vectors_box_is_closed_and_empty_until_opened(models_root: Path) -> None:  # noqa: F811
    at = _app()
    box = [e for e in at.expander if e.label == EN["vectors.title"]]
    assert len(box) == 1 and not box[0].children  # its label only
    assert not _vector_pickers(at)
    at.session_state[VECTORS] = True
    at.run()
    _ok(at)
    assert len(_vector_pickers(at)) == 2  # step and source word
    assert any(c.value == EN["vectors.intro"] for c in at.caption)


def test_the_vectors_pickers_keep_their_choice_when_the_box_is_closed_and_opened(
    models_root: Path,  # noqa: F811
) -> None:
    at = _app(**{VECTORS: True})
    step, source = _vector_pickers(at)
    step.set_value(1).run()
    source = next(s for s in _vector_pickers(at) if str(s.key).startswith("vectors_source_"))
    model = load_model(models_root / at.session_state["model"])
    best = int(np.argmax(model.trace(TEXT, DecodeConfig()).steps[1].weights))
    other = (best + 1) % 4
    source.set_value(other).run()
    at.session_state[VECTORS] = False
    at.run()
    assert not _vector_pickers(at)
    at.session_state[VECTORS] = True
    at.run()
    _ok(at)
    step, source = _vector_pickers(at)
    assert (step.value, source.value) == (1, other)


def test_the_decoding_settings_apply_with_their_box_closed(models_root: Path) -> None:  # noqa: F811
    at = _app(max_len=5)
    assert not [s for s in at.slider if s.key == "max_len"]  # the box is closed
    model = load_model(models_root / at.session_state["model"])
    # the page shows the translation decoded with max_len 5 (at 30, the model says more)
    short, full = (model.trace(TEXT, DecodeConfig(max_len=n)) for n in (5, 30))
    assert len(full.output_tokens) > len(short.output_tokens)
    line = next(m.value for m in at.markdown if EN["output.translation"] in m.value)
    words = line.split("→", 1)[1].split()
    assert len(words) <= len(short.output_tokens) < len(full.output_tokens)
    at.session_state["decoding_open"] = True
    at.run()
    _ok(at)
    sliders = {s.key: s.value for s in at.slider}
    assert sliders["max_len"] == 5 and sliders["beam_width"] == 1
    at.slider(key="max_len").set_value(7).run()
    at.session_state["decoding_open"] = False
    at.run()
    assert at.session_state["max_len"] == 7  # kept while its slider is not drawn
    at.session_state["decoding_open"] = True
    at.run()
    assert at.slider(key="max_len").value == 7


def test_both_boxes_opened_speak_korean(models_root: Path) -> None:  # noqa: F811
    at = _app("ko-KR", **{VECTORS: True, "decoding_open": True})
    labels = {e.label for e in at.expander}
    assert {KO["vectors.title"], KO["sidebar.decoding"]} <= labels
    assert {s.label for s in _vector_pickers(at)} == {KO["vectors.step"], KO["vectors.source"]}
    assert KO["decode.max_len"] in {s.label for s in at.slider}
    captions = {c.value for c in at.caption}
    assert KO["vectors.intro"] in captions and EN["vectors.intro"] not in captions
