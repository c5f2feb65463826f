"""The Streamlit app through ``streamlit.testing.v1.AppTest``: every page and control, bad
inputs, both languages, the numbers shown against the model's own trace, and the cache (moving
through steps never reruns the model).

Models are tiny random ones saved in a temporary folder (plus two broken folders), pointed to
with SEQ2SEQ_VIZ_MODELS, so nothing here depends on training or ../shared.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from seq2seq_viz.checkpoints import load_model, save_model
from seq2seq_viz.config import DecodeConfig
from seq2seq_viz.i18n import strings
from seq2seq_viz.views.stepper import sent_book
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


def _book(at: AppTest) -> dict:
    """What the step page sent to the browser's step player (views/stepper)."""
    found = [e for e in at.get("bidi_component") if e.proto.component_name.endswith("stepper")]
    assert found, "no step player on the page"
    return sent_book(found[0].proto.json)


def _blocks(book: dict, t: int, section: str, kind: str) -> list[dict]:
    step = book["steps"][t]
    for s in step["head"] + step["stages"]:
        if s["id"] == section:
            return [b for side in ("left", "right") for b in s.get(side, []) if b["type"] == kind]
    raise AssertionError(f"no section {section!r} at step {t}")


def _numbers(book: dict, t: int) -> dict[str, list]:
    (table,) = _blocks(book, t, "softmax", "table")
    return {name: [row[i] for row in table["rows"]] for i, name in enumerate(table["columns"])}


def _source(book: dict) -> dict[str, list]:
    """The token table above the step bar (the same for every step)."""
    (section,) = book["intro"]
    (table,) = [b for b in section["left"] if b["type"] == "table"]
    return {name: [row[i] for row in table["rows"]] for i, name in enumerate(table["columns"])}


def _metrics(book: dict, t: int, section: str) -> dict[str, str]:
    blocks = _blocks(book, t, section, "metrics")
    return {m["label"]: m["value"] for b in blocks for m in b["items"]}


def _array(value: object) -> np.ndarray:
    """A plotly JSON array: a list, or plotly's typed-array encoding {dtype, bdata, shape}."""
    if isinstance(value, dict):
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = value.get("shape")
        return flat.reshape([int(n) for n in str(shape).split(",")]) if shape else flat
    return np.asarray(value, dtype=np.float64)


def test_step_page_shows_the_traces_numbers(models_root: Path) -> None:
    """Every step's numbers go to the browser once, and they are the trace's."""
    at = _app()
    _ok(at)
    assert at.title[0].value == EN["step.title"]
    trace = _reference_trace(models_root)
    book = _book(at)
    assert len(book["steps"]) == trace.n_steps and book["initial_step"] == 0
    for t, step in enumerate(trace.steps):
        table = _numbers(book, t)
        parts, total = step.softmax_parts()
        np.testing.assert_allclose(table[EN["col.score"]], step.scores, rtol=1e-6)
        np.testing.assert_allclose(table[EN["col.exp"]], parts, rtol=1e-6)
        np.testing.assert_allclose(table[EN["col.weight"]], step.weights, rtol=1e-6)
        assert table[EN["col.token"]] == trace.src_tokens
        decoder = _metrics(book, t, "decoder")
        assert decoder[EN["step.input_word"]] == step.input_token
        assert decoder[EN["step.output_word"]] == step.token
        output = _metrics(book, t, "output")
        assert output[EN["step.probability"]] == f"{np.exp(step.logp):.3f}"
        sums = [b["tex"] for b in _blocks(book, t, "softmax", "latex") if "\\max" in b["tex"]]
        assert sums and sums[0].endswith(f"= {total:.4f}")
        (weights,) = [b for b in _blocks(book, t, "softmax", "figure")]
        spec = json.loads(book["figures"][weights["figure"]])
        drawn = _array(spec["data"][0]["y"])
        np.testing.assert_allclose(drawn, step.weights[: len(drawn)], rtol=1e-6)
    source = _source(book)
    assert source[EN["col.id"]] == [int(i) for i in trace.src_ids]
    assert source[EN["col.token"]] == list(trace.src_tokens)
    (encoder,) = [b for b in book["intro"][0]["right"] if b["type"] == "figure"]
    assert encoder["name"] == "encoder"
    assert EN["attribution"] in [c.value for c in at.caption]


def test_the_step_player_speaks_korean(models_root: Path) -> None:
    at = _app(lang="ko")
    _ok(at)
    book = _book(at)
    assert book["labels"]["next"] == KO["step.next"]
    assert KO["step.output_word"] in _metrics(book, 0, "decoder")
    assert KO["col.weight"] in _numbers(book, 0)
    titles = [s.get("title") for s in book["steps"][0]["stages"]]
    assert KO["stage.scores"] in titles


def test_step_in_the_url_reopens_it(models_root: Path) -> None:
    at = _app(step="2")
    _ok(at)
    assert _book(at)["initial_step"] == 2
    at = _app(step="999")  # out of range: clamped, not a crash
    _ok(at)
    assert _book(at)["initial_step"] == len(_book(at)["steps"]) - 1
    at = _app(step="two")
    _ok(at)
    assert _book(at)["initial_step"] == 0


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
    unknown = _source(_book(at))[EN["col.unknown"]]
    assert unknown == ["", "✓", "", ""]


def test_korean_from_the_browser_and_switching(models_root: Path) -> None:
    at = _app(locale="ko-KR")
    _ok(at)
    assert at.title[0].value == KO["step.title"]
    assert KO["col.exp"] in _numbers(_book(at), 0)
    at.get("button_group")[0].set_value("English").run()
    _ok(at)
    assert at.title[0].value == EN["step.title"]
    assert EN["col.exp"] in _numbers(_book(at), 0)


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
    book = _book(at)
    assert book["present"] is True and book["stage_count"] == len(book["steps"][0]["stages"]) == 7
    ids = [s["id"] for s in book["steps"][0]["stages"]]
    assert ids[0] == "ask_attention" and ids.index("ask_word") == ids.index("output") - 1
    question = book["steps"][0]["stages"][0]["left"][0]
    assert question["type"] == "question" and question["choices"][question["answer"]]
    at.toggle(key="present_questions").set_value(False).run()  # the lecturer's switch
    assert _book(at)["stage_count"] == 5 and at.query_params["questions"] == "off"
    at.button(key="exit_present").click().run()
    assert at.session_state["present"] is False
    assert _book(at)["present"] is False


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
    assert EN["col.exp"] in _numbers(_book(at), 0)


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
    """The step player's figures (from the figure cache, whose figures keep their dict) carry
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
        book = _book(at)
        specs = {
            block["name"]: json.loads(book["figures"][block["figure"]])
            for stage in book["steps"][0]["stages"]
            for side in ("left", "right")
            for block in stage.get(side, [])
            if block["type"] == "figure"
        }
        for kind, fig in fresh.items():
            expected = json.loads(plotly.io.to_json(fig.to_dict(), validate=False))
            # the app draws with plotly's "none" template (figure_cache); the test's default
            # template is plotly's own: everything else must be the same
            expected["layout"].pop("template", None)
            drawn = {**specs[kind], "layout": dict(specs[kind]["layout"])}
            drawn["layout"].pop("template", None)
            assert drawn == expected


def test_a_model_card_tells_each_stage_and_why_training_stopped(tmp_path: Path, monkeypatch):
    """A record of three stages, the last one empty (its rule had already stopped it): the card
    has a line per stage, the empty stage said as such, and the reason training ended."""
    from seq2seq_viz.stages import merge

    def stage(ran: int, best: int, command: str, loss: float = 1.0, **config) -> dict:
        rows = [{"epoch": e + 1, "valid_nll": 2.0 - 0.01 * e, "lr": 1e-3} for e in range(ran)]
        conf = {"epochs": 10, "patience": 2, "lr_decay": 0.5, "min_lr": 1e-5, **config}
        return {"command": command, "config": conf, "seconds": 60.0 * ran, "epochs_run": ran,
                "best_epoch": best, "best_valid_nll": loss, "history": rows, "device": "cpu",
                "tokens_per_second": 100}  # fmt: skip

    second = stage(4, 2, "b", loss=0.9)  # beat the first stage at its epoch 2 (epoch 7)
    record = merge(merge(stage(5, 5, "a"), second), stage(0, -1, "--continue-schedule", loss=0.9))
    save_model(tmp_path / "soft-general", make_translator(seed=1), {"training": record})
    monkeypatch.setenv("SEQ2SEQ_VIZ_MODELS", str(tmp_path))
    ko = strings("ko")
    at = _app(locale="ko-KR")
    at.switch_page("seq2seq_viz/views/models_page.py").run()
    _ok(at)
    captions = [c.value for c in at.caption]
    assert ko["models.training_stage_empty"].format(stage=3) in captions
    assert [k for k in (1, 2, 3) if any(c.startswith(f"{k}단계") for c in captions)] == [1, 2, 3]
    assert ko["models.stop.plateau"].format(patience=2, best=7) in captions
