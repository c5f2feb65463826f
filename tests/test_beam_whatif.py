"""The beam page's what-if controls through AppTest: the chosen step starts afresh for a new
sentence."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.tiny_models import build_models_folder

APP = str(Path(__file__).resolve().parent.parent / "app.py")
BEAM = "seq2seq_viz/views/beam_page.py"


@pytest.fixture(scope="module")
def models_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = build_models_folder(tmp_path_factory.mktemp("models"), {"soft-general": {}})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SEQ2SEQ_VIZ_MODELS", str(root))
        yield root


def _beam_page(text: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state["text"] = text
    at.run()
    return at.switch_page(BEAM).run()


def test_the_what_if_step_resets_for_a_new_sentence(models_root: Path) -> None:
    at = _beam_page("the black cat is sleeping .")
    assert not at.exception
    steps = at.selectbox(key="whatif_step")
    assert len(steps.options) >= 3
    steps.select(steps.options[2]).run()
    at.selectbox(key="whatif_word").select(at.selectbox(key="whatif_word").options[0]).run()
    assert at.selectbox(key="whatif_step").index == 2
    at.sidebar.text_area(key="text").input("you are happy .").run()
    assert not at.exception
    assert at.selectbox(key="whatif_step").index == 0
    assert at.selectbox(key="whatif_word").value is None
