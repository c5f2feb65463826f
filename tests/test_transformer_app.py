"""The app with a Transformer among the models: the step page sends the chosen head's numbers
(the trace's own) to the step player, in Korean too, and every other page either works for it
or says what does not apply (AppTest, tiny random models)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from seq2seq_viz.checkpoints import load_model, save_model
from seq2seq_viz.config import DecodeConfig
from seq2seq_viz.i18n import strings
from seq2seq_viz.views.stepper import sent_book
from tests.conftest import make_translator
from tests.test_transformer import make_transformer
from tests.tiny_models import fake_examples, fake_results

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TEXT = "the cat sleeps ."
PAGES = ("lesson", "beam", "compare", "cell", "steer", "sample", "models", "explain")


@pytest.fixture(scope="module")
def models_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("models-t")
    save_model(root / "soft-general", make_translator(seed=1))
    transformer = make_transformer(seed=3, d_model=16, heads=2, ffn_dim=24, enc_layers=2,
                                   dec_layers=2)  # fmt: skip
    save_model(root / "transformer", transformer)
    names = ["soft-general", "transformer"]
    (root / "results.json").write_text(json.dumps(fake_results(names)), encoding="utf-8")
    (root / "examples.json").write_text(json.dumps(fake_examples()), encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SEQ2SEQ_VIZ_MODELS", str(root))
        yield root


def _app(locale: str = "en-US", **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.context["locale"] = locale
    at.session_state["text"] = TEXT
    at.query_params["model"] = "transformer"
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def _book(at: AppTest) -> dict:
    found = [e for e in at.get("bidi_component") if e.proto.component_name.endswith("stepper")]
    assert found, "no step player on the page"
    return sent_book(found[0].proto.json)


def _section(book: dict, t: int, section: str) -> dict:
    step = book["steps"][t]
    (found,) = [s for s in step["head"] + step["stages"] if s["id"] == section]
    return found


def test_step_page_sends_the_chosen_heads_numbers(models_root: Path) -> None:
    at = _app()
    assert not at.exception, [e.value for e in at.exception]
    trace = load_model("transformer", root=models_root).trace(TEXT, DecodeConfig())
    book = _book(at)
    assert len(book["steps"]) == trace.n_steps
    layer = 1  # the last layer is chosen first
    for head in (0, 1):
        if head:
            at.selectbox(key="step_t_head").set_value(1).run()
            book = _book(at)
        for t in range(trace.n_steps):
            (table,) = [b for b in _section(book, t, "softmax")["right"] if b["type"] == "table"]
            weights = [row[3] for row in table["rows"]]
            scores = [row[2] for row in table["rows"]]
            record = trace.steps[t].extras["transformer"]
            np.testing.assert_allclose(weights, record["cross_weights"][layer][head], atol=1e-6)
            np.testing.assert_allclose(scores, record["cross_scores"][layer][head], atol=1e-6)
    assert [s["id"] for s in book["intro"]] == ["source", "encoder_self"]


def test_step_page_in_korean(models_root: Path) -> None:
    at = _app(locale="ko-KR")
    assert not at.exception
    book = _book(at)
    ko = strings("ko")
    assert _section(book, 0, "scores")["title"] == ko["tstage.scores"]
    assert any(ko["tstep.layer"] == s.label for s in at.selectbox)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_works_or_says_what_does_not_apply(models_root: Path, page: str) -> None:
    at = _app()
    at.switch_page(f"seq2seq_viz/views/{page}_page.py").run()
    assert not at.exception, [e.value for e in at.exception]


def test_lesson_stage_puts_the_rnn_and_the_transformer_side_by_side(models_root: Path) -> None:
    from seq2seq_viz import bridge
    from seq2seq_viz.figures.lesson import LESSON_STAGES

    at = AppTest.from_file(APP, default_timeout=120)
    at.context["locale"] = "ko-KR"
    at.session_state["text"] = TEXT
    at.session_state["ask_questions"] = False
    at.session_state["lesson_stage"] = LESSON_STAGES.index("transformer")
    at.query_params["model"] = "transformer"  # the RNN beside it: the installed soft-general
    at.run()
    at.switch_page("seq2seq_viz/views/lesson_page.py").run()
    assert not at.exception, [e.value for e in at.exception]
    ko = strings("ko")
    assert ko["lesson.transformer.title"] in " ".join(h.value for h in at.subheader)
    assert any("q_t \\cdot k_i" in m.value and "s_t^{\\top} W_a" in m.value for m in at.markdown)
    at.select_slider(key="lesson_step").set_value(1).run()
    at.selectbox(key="lesson_t_layer").set_value(0).run()
    at.selectbox(key="lesson_t_head").set_value(1).run()
    assert not at.exception, [e.value for e in at.exception]
    rnn = load_model("soft-general", root=models_root).trace(TEXT, DecodeConfig())
    forced = [s.token for s in rnn.steps if s.token != "<eos>"]
    other = load_model("transformer", root=models_root).trace(TEXT, DecodeConfig(), prefix=forced)
    b = bridge.compare_step(rnn, other, 1, layer=0, head=1)
    (table,) = at.dataframe
    columns = list(table.value.columns)
    assert columns[0] == ko["lesson.transformer.col_source"]
    np.testing.assert_allclose(table.value[columns[2]].astype(float), b.rnn_weights, atol=1e-3)
    np.testing.assert_allclose(table.value[columns[3]].astype(float), b.scores, atol=1e-3)
    np.testing.assert_allclose(table.value[columns[4]].astype(float), b.weights, atol=1e-3)
    assert any("1층 2번 헤드" in c.value for c in at.caption)


def test_lesson_stage_without_a_transformer_says_so(tmp_path: Path) -> None:
    from seq2seq_viz.figures.lesson import LESSON_STAGES

    save_model(tmp_path / "soft-general", make_translator(seed=1))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SEQ2SEQ_VIZ_MODELS", str(tmp_path))
        at = AppTest.from_file(APP, default_timeout=120)
        at.context["locale"] = "ko-KR"
        at.session_state["text"] = TEXT
        at.session_state["lesson_stage"] = LESSON_STAGES.index("transformer")
        at.run()
        at.switch_page("seq2seq_viz/views/lesson_page.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert strings("ko")["lesson.transformer_missing"] in [i.value for i in at.info]


@pytest.mark.parametrize("text", ["", "x" * 10_000, "word " * 300, "<b>hi</b> $x^2$ 🙂 안녕"])
def test_lesson_stage_takes_hostile_text(models_root: Path, text: str) -> None:
    from seq2seq_viz.figures.lesson import LESSON_STAGES

    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["text"] = text
    at.session_state["ask_questions"] = False
    at.session_state["lesson_stage"] = LESSON_STAGES.index("transformer")
    at.run()
    at.switch_page("seq2seq_viz/views/lesson_page.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not any(m.proto.allow_html and "hi</b>" in m.value for m in at.markdown)


def test_models_page_describes_the_transformer_as_one(models_root: Path) -> None:
    at = _app(locale="ko-KR")
    at.switch_page("seq2seq_viz/views/models_page.py").run()
    assert not at.exception, [e.value for e in at.exception]
    want = strings("ko")["models.summary_transformer"].split("{")[0]  # "트랜스포머 인코더 "
    (line,) = [m.value for m in at.markdown if m.value.startswith(want)]
    assert "16" in line and "?" not in line  # d_model 16 of the tiny model, nothing unknown
