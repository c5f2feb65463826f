"""The Streamlit app through ``streamlit.testing.v1.AppTest``: every page and control, bad
inputs, both languages, the numbers shown against the model's own trace, and the cache (moving
through steps never reruns the model).

Models are tiny random ones saved in a temporary folder (plus two broken folders), pointed to
with SEQ2SEQ_VIZ_MODELS, so nothing here depends on training or ../shared.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from seq2seq_viz.checkpoints import load_model, save_model
from seq2seq_viz.config import DecodeConfig
from seq2seq_viz.decode import Translator
from seq2seq_viz.i18n import strings
from seq2seq_viz.views.common import escape_markdown
from tests.conftest import make_translator
from tests.tiny_models import fake_examples, fake_results

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TEXT = "the cat sleeps ."
VARIANTS = {
    "soft-general": {},
    "none": {"align": "none"},
    "local-m": {"align": "local-m"},
    "local-p": {"align": "local-p"},
    "hard": {"align": "hard"},
    "self-attn": {"self_attn": True},
}
EN, KO = strings("en"), strings("ko")


@pytest.fixture(scope="module")
def models_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("models")
    for i, (name, overrides) in enumerate(VARIANTS.items()):
        save_model(
            root / name,
            make_translator(seed=i + 1, **overrides),
            {
                "training": {
                    "command": f"python -m seq2seq_viz.train --out {name}",
                    "seconds": 60.0,
                    "tokens_per_second": 1000,
                    "epochs_run": 1,
                    "device": "cpu",
                }
            },
        )
    broken = root / "broken"
    save_model(broken, make_translator(seed=9))
    (broken / "model.safetensors").write_bytes(b"not weights")
    (root / "badjson").mkdir()
    (root / "badjson" / "config.json").write_text("{ not json", encoding="utf-8")
    (root / "results.json").write_text(json.dumps(fake_results(list(VARIANTS))), encoding="utf-8")
    (root / "examples.json").write_text(json.dumps(fake_examples()), encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SEQ2SEQ_VIZ_MODELS", str(root))
        yield root


def _app(text: str = TEXT, locale: str = "en-US", **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.context["locale"] = locale
    at.session_state["text"] = text
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _table(at: AppTest, column: str) -> pd.DataFrame:
    found = [df.value for df in at.dataframe if column in df.value.columns]
    assert found, f"no table with a column {column!r}"
    return found[0]


def _reference_trace(root: Path, text: str = TEXT, **decode) -> object:
    return load_model("soft-general", root=root).trace(text, DecodeConfig(**decode))


def test_step_page_shows_the_traces_numbers(models_root: Path) -> None:
    at = _app()
    _ok(at)
    assert at.title[0].value == EN["step.title"]
    trace = _reference_trace(models_root)
    table = _table(at, EN["col.exp"])
    step = trace.steps[0]
    parts, _ = step.softmax_parts()
    np.testing.assert_allclose(table[EN["col.score"]], step.scores, rtol=1e-6)
    np.testing.assert_allclose(table[EN["col.exp"]], parts, rtol=1e-6)
    np.testing.assert_allclose(table[EN["col.weight"]], step.weights, rtol=1e-6)
    assert list(table[EN["col.token"]]) == trace.src_tokens
    tokens = _table(at, EN["col.id"])
    assert list(tokens[EN["col.id"]]) == [int(i) for i in trace.src_ids]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[EN["step.output_word"]] == escape_markdown(step.token)
    assert metrics[EN["step.probability"]] == f"{np.exp(step.logp):.3f}"
    assert any(len(e.value) > 0 for e in at.latex)
    assert EN["attribution"] in [c.value for c in at.caption]


def test_next_and_previous_never_rerun_the_model(models_root: Path, monkeypatch) -> None:
    trace = _reference_trace(models_root, "i am cold .")
    calls = []
    original = Translator.trace

    def counting(self, *args, **kwargs):
        calls.append(args[:1])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Translator, "trace", counting)
    at = _app("i am cold .")
    _ok(at)
    before = len(calls)
    at.button(key="step_next").click().run()
    _ok(at)
    assert at.slider(key="step").value == 1
    np.testing.assert_allclose(
        _table(at, EN["col.weight"])[EN["col.weight"]], trace.steps[1].weights, rtol=1e-6
    )
    at.button(key="step_prev").click().run()
    at.slider(key="step").set_value(2).run()
    _ok(at)
    assert at.slider(key="step").value == 2
    assert len(calls) == before, "moving through steps reran the model"


def test_step_in_the_url_reopens_it(models_root: Path) -> None:
    at = _app(step="2")
    _ok(at)
    assert at.slider(key="step").value == 2
    at = _app(step="999")  # out of range: ignored, not a crash
    _ok(at)


def test_play_advances_one_step(models_root: Path) -> None:
    at = _app()
    at.toggle(key="playing").set_value(True).run()
    _ok(at)
    assert at.slider(key="step").value == 1


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "word " * 2000,
        "🐈 😺 the cat 🎉",
        "<script>alert(1)</script>",
        r"$\frac{a}{b}$",
        "고양이가 잔다",
        "القطة نائمة",
        "the\x00cat\x07 \x1b[31m sleeps",
    ],
    ids=["empty", "whitespace", "10k", "emoji", "script", "latex", "korean", "arabic", "control"],
)
def test_bad_inputs_do_not_crash(models_root: Path, text: str) -> None:
    at = _app(text)
    _ok(at)
    infos = [i.value for i in at.info]
    if not text.strip():
        assert EN["input.empty"] in infos
    if len(text) > 1000:
        assert any("first 40" in w.value for w in at.warning)
    for md in at.markdown:
        assert "<script>" not in md.value and r"$\frac" not in md.value


def test_unknown_words_are_flagged(models_root: Path) -> None:
    at = _app("the zebra sleeps .")
    _ok(at)
    unknown = _table(at, EN["col.unknown"])[EN["col.unknown"]]
    assert list(unknown) == [False, True, False, False]


def test_korean_from_the_browser_and_switching(models_root: Path) -> None:
    at = _app(locale="ko-KR")
    _ok(at)
    assert at.title[0].value == KO["step.title"]
    assert _table(at, KO["col.exp"]) is not None
    at.get("button_group")[0].set_value("English").run()
    _ok(at)
    assert at.title[0].value == EN["step.title"]


def test_language_from_the_url(models_root: Path) -> None:
    for value in ("ko", "한국어"):
        at = _app(lang=value)
        _ok(at)
        assert at.title[0].value == KO["step.title"]
    at = _app(lang="ko", present="true")
    assert at.get("button_group")[0].value == "한국어"


def test_presentation_mode_reveals_one_stage_per_click(models_root: Path) -> None:
    at = _app(present="true")
    _ok(at)
    assert at.session_state["present"] is True
    assert len([s for s in at.subheader if s.value.startswith("(")]) == 1
    at.button(key="step_next").click().run()
    _ok(at)
    assert at.slider(key="step").value == 0 and at.session_state["stage"] == 1
    at.button(key="exit_present").click().run()
    assert at.session_state["present"] is False


def test_teacher_forcing_side_by_side(models_root: Path) -> None:
    at = _app()
    at.toggle(key="teacher").set_value(True).run()
    assert EN["teacher.need_reference"] in [i.value for i in at.info]
    at.text_input(key="reference").set_value("le chat dort .").run()
    _ok(at)
    table = _table(at, EN["teacher.col_train_in"])
    assert list(table[EN["teacher.col_train_in"]])[:3] == ["<sos>", "le", "chat"]


def test_picking_an_example_fills_the_reference(models_root: Path) -> None:
    at = _app()
    at.sidebar.selectbox(key="example").select_index(1).run()
    _ok(at)
    assert at.session_state["text"] == "you are happy ."
    assert at.session_state["reference"] == "tu es heureux ."


def test_beam_page_tree_nbest_and_what_if(models_root: Path) -> None:
    at = _app()
    at.switch_page("seq2seq_viz/views/beam_page.py").run()
    _ok(at)
    assert at.title[0].value == EN["beam.title"]
    assert at.get("plotly_chart"), "no beam tree"
    at.slider(key="beam_page_width").set_value(1).run()
    assert EN["beam.width_one"] in [i.value for i in at.info]
    at.slider(key="beam_page_width").set_value(4).run()
    _ok(at)
    trace = _reference_trace(models_root, beam_width=4)
    nbest = _table(at, EN["col.norm_score"])
    np.testing.assert_allclose(
        nbest[EN["col.norm_score"]], [round(h.norm_score, 4) for h in trace.hypotheses], atol=1e-4
    )
    at.slider(key="beam_step").set_value(0).run()
    word = at.selectbox(key="whatif_word")
    at.selectbox(key="whatif_word").select(word.options[0]).run()
    _ok(at)
    forced = _table(at, EN["col.forced"])[EN["col.forced"]]
    assert bool(forced.iloc[0])


def test_compare_page_all_variants(models_root: Path) -> None:
    at = _app()
    at.switch_page("seq2seq_viz/views/compare_page.py").run()
    _ok(at)
    overview = _table(at, EN["col.entropy"])
    assert set(overview[EN["col.model"]]) == set(VARIANTS)
    assert any("broken" in e.value for e in at.error)
    assert any("badjson" in e.value for e in at.error)
    at.slider(key="cmp_step").set_value(1).run()
    _ok(at)


def test_models_page_cards_scores_and_insights(models_root: Path) -> None:
    at = _app(locale="ko-KR")
    at.switch_page("seq2seq_viz/views/models_page.py").run()
    _ok(at)
    assert KO["attribution"] in [i.value for i in at.info]
    assert any("badjson" in e.value for e in at.error)
    assert any(m.value.startswith("- ") for m in at.markdown), "no insight sentences"


def test_a_broken_model_names_itself_and_the_others_keep_working(models_root: Path) -> None:
    at = _app(model="broken")
    _ok(at)
    assert any("broken" in e.value for e in at.error)
    captions = [c.value for c in at.sidebar.caption]
    assert EN["sidebar.device_loading"] not in captions  # it will never load
    assert not any(c.startswith("Running on") for c in captions)
    at.sidebar.selectbox(key="model").select("soft-general").run()
    _ok(at)
    assert _table(at, EN["col.exp"]) is not None


def test_no_models_folder(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SEQ2SEQ_VIZ_MODELS", str(tmp_path / "nothing"))
    at = _app()
    _ok(at)
    assert at.sidebar.error


def test_download_button_holds_the_trace(models_root: Path) -> None:
    at = _app()
    _ok(at)
    assert at.get("download_button"), "no download button"


def test_before_evaluation_scores_say_not_evaluated(tmp_path: Path, monkeypatch) -> None:
    save_model(tmp_path / "soft-general", make_translator(seed=1))
    monkeypatch.setenv("SEQ2SEQ_VIZ_MODELS", str(tmp_path))
    at = _app()
    _ok(at)
    assert at.sidebar.selectbox(key="example").options  # built-in teaching examples
    at.switch_page("seq2seq_viz/views/models_page.py").run()
    _ok(at)
    assert EN["results.not_evaluated"] in [i.value for i in at.info]
    at.switch_page("seq2seq_viz/views/compare_page.py").run()
    _ok(at)
    assert set(_table(at, EN["col.model"])[EN["col.bleu_greedy"]]) == {EN["results.none"]}


def test_cached_figures_draw_like_fresh_ones(models_root: Path) -> None:
    """The step page's charts (drawn from the figure cache, whose figures keep their dict) carry
    exactly the spec a freshly built figure of the same trace would, on the first draw and when
    drawn again from the cache."""
    import plotly.io

    from seq2seq_viz import figures
    from seq2seq_viz.i18n import figure_labels

    trace = _reference_trace(models_root)
    fresh = {
        "scores": figures.scores_figure(trace, 0, labels=figure_labels()),
        "weights": figures.weights_figure(trace, 0, labels=figure_labels()),
        "heatmap": figures.heatmap_figure(trace, upto=0, highlight=0, labels=figure_labels()),
    }
    for _ in range(2):
        at = _app()
        _ok(at)
        specs = {
            chart.proto.id.rsplit("-", 1)[-1]: json.loads(chart.proto.spec)
            for chart in at.get("plotly_chart")
        }
        for kind, fig in fresh.items():
            assert specs[kind] == json.loads(plotly.io.to_json(fig.to_dict(), validate=False))
