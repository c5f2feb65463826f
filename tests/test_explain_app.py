"""The explain page ("Is attention an explanation?") through AppTest, on tiny seeded models."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from seq2seq_viz.checkpoints import atomic_write_bytes, load_model
from seq2seq_viz.explain import index as X
from seq2seq_viz.explain.attribute import attribute
from seq2seq_viz.i18n import strings
from tests.tiny_models import DEFAULT_TEXT, build_models_folder

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGE = "seq2seq_viz/views/explain_page.py"
EN, KO = strings("en"), strings("ko")
VARIANTS = {"soft-general": {}, "none": {"align": "none"}, "local-m": {"align": "local-m"}}
PAIRS = [([4, 5, 6, 7], [4, 5, 6]), ([5, 6, 7], [6, 7, 8, 9]), ([4, 7], [5, 4])] * 8


@pytest.fixture(scope="module")
def models_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = build_models_folder(tmp_path_factory.mktemp("explain_models"), VARIANTS)
    tr = load_model("soft-general", root=root)
    data, _ = X.build(tr, PAIRS, dims=4)
    atomic_write_bytes(X.index_path(root / "soft-general"), data)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SEQ2SEQ_VIZ_MODELS", str(root))
        yield root


def _page(text: str = DEFAULT_TEXT, locale: str = "ko-KR", model: str = "soft-general") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.context["locale"] = locale
    at.session_state["text"] = text
    at.query_params["model"] = model
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _button(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [m.value for m in at.caption]
    parts += [m.value for kind in ("info", "warning", "success", "error") for m in at.get(kind)]
    return "\n".join(parts)


def test_attributions_summary_matches_the_library(models_root: Path) -> None:
    at = _button(_page(), "explain_attr_run")
    tr = load_model("soft-general", root=models_root)
    attr = attribute(tr, DEFAULT_TEXT)
    for method in ("integrated_gradients", "saliency"):
        label = KO[f"explain.method.{method}"]
        at.segmented_control(key="explain_method_ko").set_value(label).run()
        agree = attr.agreement(method)
        expected = KO["explain.summary"].format(
            method=KO[f"explain.method.{method}"], k=agree.n_top_same, n=attr.n_steps,
            tau=f"{agree.mean_tau:.2f}",
        )  # fmt: skip
        assert expected in _text(at)


def test_fool_one_step_and_the_sentence(models_root: Path) -> None:
    at = _button(_page(), "explain_fool_run")
    assert "step()" in _text(at)
    assert at.get("success") or at.get("info")  # verified, or nothing kept the word
    at = _button(at, "explain_fool_all")
    assert at.dataframe, "the per-step table"
    at = _button(at, "explain_base_run")
    assert KO["explain.base.uniform"] in _text(at)
    assert KO["explain.base.no_bleu"] in _text(at)  # no stored BLEU for the tiny models
    row = {"n_test": 7, "bleu_model": 50.5, "bleu_uniform": 10.25, "bleu_permuted": 5.0}
    (models_root / "explain_baselines.json").write_text(json.dumps({"soft-general": row}))
    try:
        at = _button(_page(), "explain_fool_run")
        expected = KO["explain.base.bleu"].format(n=7, model=50.5, uniform=10.25, permuted=5.0)
        assert expected in _text(at)
    finally:
        (models_root / "explain_baselines.json").unlink()


def test_neighbours_with_and_without_an_index(models_root: Path) -> None:
    at = _page()
    table = [df.value for df in at.dataframe if KO["explain.col.distance"] in df.value.columns]
    assert table and len(table[0]) > 0
    assert np.all(np.diff(table[0][KO["explain.col.distance"]].to_numpy()) >= 0)
    at = _page(model="local-m")
    assert KO["explain.near.missing"].format(model="local-m") in _text(at)


def test_no_attention_model(models_root: Path) -> None:
    at = _button(_page(model="none", locale="en-US"), "explain_attr_run")
    assert EN["explain.no_attention"] in _text(at)
    assert EN["explain.no_attention_fool"] in _text(at)


@pytest.mark.parametrize(
    "text", [" ".join(["cat"] * 500), "🙂 <b>cat</b> $x$", "고양이가 잔다", "", "x" * 10000]
)
def test_hostile_inputs(models_root: Path, text: str) -> None:
    at = _page(text=text)
    if len(text.split()) == 500:
        assert KO["explain.too_long_src"].format(n=500, limit=30) in _text(at)
