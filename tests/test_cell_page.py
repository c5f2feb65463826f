"""The "Inside the cell" page through AppTest, with tiny RNN, LSTM and GRU models: the equations
show the replayed numbers, the token and direction controls work in both languages, and the BLEU
comparison shows the cells that exist and names the missing ones."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from seq2seq_viz.cells import cell_trace
from seq2seq_viz.checkpoints import load_model, save_model
from seq2seq_viz.figures.cells import vec
from seq2seq_viz.i18n import strings
from seq2seq_viz.views.cell_page import DIMS, comparison
from tests.conftest import make_translator
from tests.tiny_models import fake_examples, fake_results

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGE = "seq2seq_viz/views/cell_page.py"
TEXT = "the cat sleeps ."
MODELS = {
    "soft-general": {"cell": "gru"},
    "none": {"cell": "gru", "align": "none"},
    "rnn-attn": {"cell": "rnn"},
    "lstm-attn": {"cell": "lstm"},
    "lstm-none": {"cell": "lstm", "align": "none"},
    "local-m": {"cell": "gru", "align": "local-m"},  # another recipe: not in the comparison
}
EN, KO = strings("en"), strings("ko")


@pytest.fixture(scope="module")
def models_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("cells")
    for i, (name, overrides) in enumerate(MODELS.items()):
        save_model(root / name, make_translator(seed=i + 1, **overrides))
    results = fake_results(list(MODELS))
    (root / "results.json").write_text(json.dumps(results), encoding="utf-8")
    (root / "examples.json").write_text(json.dumps(fake_examples()), encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SEQ2SEQ_VIZ_MODELS", str(root))
        yield root


def _page(locale: str = "en-US", model: str = "soft-general") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.context["locale"] = locale
    at.session_state["text"] = TEXT
    at.query_params["model"] = model
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_comparison_picks_by_config_and_names_the_gaps() -> None:
    cfg = lambda cell, align="global", **kw: {"cell": cell, "align": align, **kw}  # noqa: E731
    configs = {
        "soft-general": cfg("gru"),
        "soft-dot": cfg("gru"),
        "self-attn": cfg("gru", self_attn=True),
        "my-lstm": cfg("lstm"),
        "none": cfg("gru", "none"),
        "toy-reverse": cfg("rnn"),
        "unscored": cfg("rnn", "none"),
    }
    results = {n: {"bleu_by_length": [{"bucket": "1-4", "bleu": 1.0, "n": 1}]} for n in configs}
    del results["unscored"]["bleu_by_length"]
    chosen, missing = comparison(configs, results)
    assert chosen == {("gru", True): "soft-general", ("gru", False): "none",
                      ("lstm", True): "my-lstm"}  # fmt: skip
    assert set(missing) == {("rnn", True), ("rnn", False), ("lstm", False)}


@pytest.mark.parametrize("model", ["soft-general", "rnn-attn", "lstm-attn"])
def test_equations_show_the_replayed_numbers(models_root: Path, model: str) -> None:
    at = _page(model=model)
    assert at.title[0].value == EN["cell.title"]
    trace = cell_trace(load_model(model, root=models_root), TEXT)
    steps = trace.steps(0, "forward")
    latex = " ".join(e.value for e in at.latex)
    assert vec(steps.h[0], DIMS) in latex  # the first token's h_t, as computed
    at.select_slider(key="cell_token").set_value(2).run()
    latex = " ".join(e.value for e in at.latex)
    assert vec(steps.h[2], DIMS) in latex
    at.radio(key="cell_direction").set_value("backward").run()
    latex = " ".join(e.value for e in at.latex)
    assert vec(trace.steps(0, "backward").h[2], DIMS) in latex
    assert "h_{t+1}" in latex
    assert any(EN["cell.backward_note"] == c.value for c in at.caption)


def test_korean_page_and_missing_cells(models_root: Path) -> None:
    at = _page(locale="ko-KR")
    assert at.title[0].value == KO["cell.title"]
    captions = [c.value for c in at.caption]
    missing = [c for c in captions if c.startswith(KO["cell.missing"].split("{")[0])]
    assert missing and "RNN · " + KO["cell.no_attn"] in missing[0]
    assert "LSTM" not in missing[0] and "GRU" not in missing[0]
    assert KO["cell.explain.gru"] in [m.value for m in at.markdown]


@pytest.mark.parametrize("locale, lang", [("en-US", EN), ("ko-KR", KO)])
def test_the_chart_is_told_in_numbers_and_checked_against_the_notes(
    models_root: Path, locale: str, lang: dict
) -> None:
    """Every compared model keeps 20.0 of its 30.0 BLEU (fake_results): the line lists each at
    67 %, and with equal shares neither claim of the notes is called confirmed."""
    at = _page(locale=locale)
    text = "\n".join(m.value for m in at.markdown)
    head = lang["cell.memory"].split("{budget}")[1].split("{short}")[0]
    assert head in text
    assert lang["cell.memory"].split("{budget}")[0].format(n=1) in text  # the legend's number
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    names = [d.get("name") for spec in specs for d in spec["data"]]
    assert any(str(n).endswith(f"(rnn-attn, {lang['cell.budget_tag'].format(n=1)})") for n in names)
    for name in ("soft-general", "none", "rnn-attn", "lstm-attn", "lstm-none"):
        assert f"{name} 67% (30.0 → 20.0)" in text.replace("\\-", "-")
    assert "local-m 67%" not in text  # another recipe: not in the comparison
    assert lang["cell.memory_attention.disagree"].format(cell="GRU") in text
    assert lang["cell.memory_gates.disagree"].format(gated="GRU, LSTM") in text
    assert lang["cell.memory_attention.agree"].format(cell="LSTM") not in text


def test_budgets_are_numbered_in_the_order_they_first_come(monkeypatch) -> None:
    """The legend names a budget by its number; equal budgets share one."""
    from seq2seq_viz.views import cell_page

    budgets = {"a": "6.8 min", "b": "3.5 min + 11 epochs", "c": "6.8 min"}
    monkeypatch.setattr(cell_page, "_epochs", budgets.__getitem__)
    found = cell_page._budgets(["b", "a", "c"])
    assert {name: number for name, (number, _) in found.items()} == {"b": 1, "a": 2, "c": 2}
    assert {name: label for name, (_, label) in found.items()} == budgets
