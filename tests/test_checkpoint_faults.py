"""Broken model folders next to good ones, through the whole app (AppTest) and the loader.

Missing weights, truncated weights, weights of the wrong shapes, a config.json that is not JSON,
and a config.json whose values are Python code: the app names the broken model, the good models
keep working, and nothing from a checkpoint is ever executed (weights are safetensors, the
config is JSON; pickle, torch.load and eval are never needed).
"""

from __future__ import annotations

import builtins
import pickle
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from streamlit.testing.v1 import AppTest

from seq2seq_viz.checkpoints import CheckpointError, list_models, load_model
from seq2seq_viz.config import DecodeConfig
from seq2seq_viz.i18n import strings
from seq2seq_viz.views.stepper import sent_book
from tests.tiny_models import FAULTS, PWNED_FILE, add_broken_models, build_models_folder

APP = str(Path(__file__).resolve().parent.parent / "app.py")
EN = strings("en")
GOOD = {"soft-general": {}, "none": {"align": "none"}}


@pytest.fixture(scope="module")
def models_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = build_models_folder(tmp_path_factory.mktemp("faulty-models"), GOOD)
    add_broken_models(root)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SEQ2SEQ_VIZ_MODELS", str(root))
        yield root


def run_app(model: str, page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.context["locale"] = "en-US"
    at.query_params["model"] = model
    at.run()
    if page:
        at.switch_page(page).run()
    return at


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def works(at: AppTest) -> bool:
    """The step page sent the browser's step player a book whose first step has the numbers
    table of the softmax (with its exp column)."""
    for element in at.get("bidi_component"):
        if not element.proto.component_name.endswith("stepper"):
            continue
        book = sent_book(element.proto.json)
        step = book["steps"][0] if book.get("steps") else {"head": [], "stages": []}
        for section in step["head"] + step["stages"]:
            for side in ("left", "right"):
                for block in section.get(side, []):
                    if block["type"] == "table" and EN["col.exp"] in block["columns"]:
                        return True
    return False


@pytest.mark.parametrize("name", list(FAULTS))
def test_a_broken_model_is_named_and_the_others_keep_working(models_root: Path, name: str):
    at = run_app(name)
    assert not at.exception, [e.value for e in at.exception]
    assert any(name in e for e in errors(at)), errors(at)
    assert not works(at)
    at.sidebar.selectbox(key="model").select("soft-general").run()
    assert not at.exception
    assert works(at) and not errors(at)


def test_compare_page_names_every_broken_model(models_root: Path) -> None:
    at = run_app("soft-general", "seq2seq_viz/views/compare_page.py")
    assert not at.exception
    shown = " ".join(errors(at))
    assert all(name in shown for name in FAULTS), shown
    overview = [df.value for df in at.dataframe if EN["col.entropy"] in df.value.columns][0]
    assert set(overview[EN["col.model"]]) == set(GOOD)


def test_models_page_lists_cards_despite_broken_models(models_root: Path) -> None:
    at = run_app("none", "seq2seq_viz/views/models_page.py")
    assert not at.exception
    assert any("broken-json" in e for e in errors(at))
    assert {"soft-general", "none"} <= {s.value for s in at.subheader}


def test_code_in_a_config_is_never_run(models_root: Path) -> None:
    folder = models_root / "broken-code"
    assert "__import__" in (folder / "config.json").read_text()
    with pytest.raises(CheckpointError, match="broken-code"):
        load_model(folder)
    for page in (None, "seq2seq_viz/views/compare_page.py", "seq2seq_viz/views/models_page.py"):
        assert not run_app("broken-code", page).exception
    assert not (folder / PWNED_FILE).exists(), "a value of config.json was executed"


def _forbidden(*_args, **_kwargs):
    raise AssertionError("a checkpoint was unpickled or evaluated")


def test_loading_needs_no_pickle_and_no_eval(models_root: Path, monkeypatch) -> None:
    for module, name in ((pickle, "load"), (pickle, "loads"), (torch, "load"), (builtins, "eval")):
        monkeypatch.setattr(module, name, _forbidden)
    for name in list_models(models_root):
        if name in GOOD:
            trace = load_model(name, root=models_root).trace("the cat sleeps .", DecodeConfig())
            assert trace.n_steps > 0
        else:
            with pytest.raises(CheckpointError, match=name):
                load_model(name, root=models_root)
