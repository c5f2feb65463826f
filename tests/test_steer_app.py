"""The 'Edit the attention' and 'Temperature & sampling' pages: the URL edit parser (every kind
of bad input gives a translated message and no edit), the pages through AppTest against the
library's own traces, and the sampling figure against the trace it draws."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from seq2seq_viz import figures
from seq2seq_viz.checkpoints import load_model
from seq2seq_viz.config import DecodeConfig
from seq2seq_viz.i18n import set_language, strings
from seq2seq_viz.text import detokenize
from seq2seq_viz.views.common import escape_markdown
from seq2seq_viz.views.steer_params import format_edit, parse_edit
from tests.conftest import make_translator
from tests.tiny_models import build_models_folder

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TEXT = "the cat sleeps ."  # 4 source tokens
STEER, SAMPLE = "seq2seq_viz/views/steer_page.py", "seq2seq_viz/views/sample_page.py"
EN, KO = strings("en"), strings("ko")


# ----------------------------------------------------------------------------- the parser

BAD = {
    "format": ("0.5,0.5", None, "steer.err.format"),
    "step-word": ("x:1,0,0,0", None, "steer.err.step_not_number"),
    "step-negative": ("-1:1,0,0,0", None, "steer.err.step_range"),
    "step-range": ("9:1,0,0,0", None, "steer.err.step_range"),
    "word": ("1:1,abc,0,0", None, "steer.err.not_number"),
    "nan": ("1:nan,1,0,0", None, "steer.err.not_finite"),
    "inf": ("1:inf,1,0,0", None, "steer.err.not_finite"),
    "huge": ("1:1e999,1,0,0", None, "steer.err.not_finite"),
    "negative": ("1:-0.5,1,0,0", None, "steer.err.negative"),
    "all-zero": ("1:0,0,0,0", None, "steer.err.all_zero"),
    "too-short": ("1:1,0", None, "steer.err.length"),
    "too-long": ("1:1,0,0,0,0", None, "steer.err.length"),
    "empty-weight": ("1:1,,0,0", None, "steer.err.not_number"),
    "mask-word": (None, "1,b", "steer.err.mask_not_number"),
    "mask-range": (None, "4", "steer.err.mask_range"),
    "mask-negative": (None, "-1", "steer.err.mask_range"),
    "mask-all": (None, "0,1,2,3", "steer.err.mask_all"),
    "only-masked": ("1:1,0,0,0", "0", "steer.err.only_masked"),
    "bad-edit-good-mask": ("1:nan,0,0,0", "2", "steer.err.not_finite"),
}


@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("raw_edit, raw_mask, key", BAD.values(), ids=list(BAD))
def test_bad_edits_give_a_translated_message_and_no_edit(raw_edit, raw_mask, key, lang):
    set_language(lang)
    try:
        edit = parse_edit(raw_edit, raw_mask, n_src=4, n_steps=5)
    finally:
        set_language("en")
    assert not edit.active and edit.override() == {} and edit.masked == ()
    assert len(edit.errors) == 1
    expected = strings(lang)[key].split("{")[0]
    assert edit.errors[0].startswith(expected), (edit.errors, expected)


def test_good_edits_parse_and_format_round_trips():
    edit = parse_edit("2:0.2, 0.6,0,0.2", "3,1", n_src=4, n_steps=5)
    assert edit.errors == () and edit.step == 2 and edit.masked == (1, 3)
    assert edit.override() == {2: (0.2, 0.6, 0.0, 0.2)}
    assert parse_edit(None, None, 4, 5).active is False
    assert parse_edit("", " ", 4, 5).errors == ()
    text = format_edit(1, [2.0, 0.0, 1.0, 1.0])
    assert text == "1:0.5,0,0.25,0.25"
    assert parse_edit(text, None, 4, 5).override() == {1: (0.5, 0.0, 0.25, 0.25)}


# ----------------------------------------------------------------------------- the pages


@pytest.fixture(scope="module")
def models_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = build_models_folder(
        tmp_path_factory.mktemp("steer-models"),
        {"soft-general": {}, "local-m": {"align": "local-m"}, "none": {"align": "none"}},
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SEQ2SEQ_VIZ_MODELS", str(root))
        yield root


def _page(page: str, locale: str = "en-US", **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.context["locale"] = locale
    at.session_state["text"] = TEXT
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _shown(at: AppTest) -> list[str]:
    return [str(m.value).split("→ ", 1)[1] for m in at.markdown if "→" in str(m.value)]


def _expected(root: Path, model: str, decode: DecodeConfig) -> str:
    tr = load_model(root / model, device="cpu")
    return escape_markdown(detokenize(tr.trace(TEXT, decode).output_tokens, "fr"))


def test_an_edit_in_the_url_is_decoded_and_shown_beside_the_original(models_root: Path):
    at = _page(STEER, model="soft-general", edit="0:0,0,1,0", mask="3")
    want = DecodeConfig(attention_override={0: [0, 0, 1, 0]}, masked_positions=[3])
    assert _shown(at) == [
        _expected(models_root, "soft-general", DecodeConfig()),
        _expected(models_root, "soft-general", want),
    ]
    assert not at.warning
    assert at.multiselect(key="steer_mask").value == [3]


@pytest.mark.parametrize(
    "params",
    [
        {"edit": "0:nan,0,1,0"},
        {"edit": "0:1,0"},
        {"edit": "77:1,0,0,0"},
        {"edit": "0:-1,0,2,0"},
        {"edit": "0:0,0,0,0"},
        {"mask": "0,1,2,3"},
        {"mask": "9"},
        {"edit": "🙂:<b>x</b>"},
    ],
)
def test_a_bad_edit_in_the_url_shows_a_message_and_the_unedited_run(models_root, params):
    at = _page(STEER, locale="ko-KR", model="soft-general", **params)
    assert len(at.warning) == 1 and at.warning[0].value.endswith("바꾸지 않은 실행을 보여 줍니다.")
    assert _shown(at) == [_expected(models_root, "soft-general", DecodeConfig())]
    assert at.info[0].value == KO["steer.no_edit"]


def test_clicking_a_word_edits_the_chosen_step_and_writes_the_url(models_root: Path):
    at = _page(STEER, model="local-m")
    at.selectbox(key="steer_step").set_value(1).run()
    at.button(key="steer_word_0").click().run()
    assert not at.exception
    assert at.query_params["edit"] == "1:1,0,0,0"
    want = DecodeConfig(attention_override={1: [1, 0, 0, 0]})
    assert _shown(at)[1] == _expected(models_root, "local-m", want)
    at.button(key="steer_reset").click().run()
    assert "edit" not in at.query_params and len(_shown(at)) == 1


def test_a_model_without_attention_says_there_is_nothing_to_edit(models_root: Path):
    at = _page(STEER, model="none")
    assert at.info[0].value == EN["steer.no_attention"]


def test_sampling_page_shows_samples_greedy_and_beam_with_the_librarys_numbers(models_root):
    at = _page(SAMPLE, model="soft-general")
    at.slider(key="sample_T").set_value(0.0).run()  # T = 0: every sample is the greedy output
    table = at.dataframe[0].value
    tr = load_model(models_root / "soft-general", device="cpu")
    greedy = tr.trace(TEXT, DecodeConfig())
    beam = tr.trace(TEXT, DecodeConfig(beam_width=5))
    words = detokenize(greedy.output_tokens, "fr") or EN["output.empty"]
    assert (
        list(table.iloc[:, 1])
        == [words, detokenize(beam.output_tokens, "fr") or words] + [words] * 5
    )
    logp = table.iloc[:, 2].tolist()
    assert logp[0] == pytest.approx(sum(s.logp for s in greedy.steps), abs=1e-3)
    assert logp[1] == pytest.approx(beam.hypotheses[0].score, abs=1e-3)
    assert all(math.isclose(x, logp[0], abs_tol=1e-3) for x in logp[2:])
    assert table.iloc[:, 3].tolist() == ["–", "–"] + ["0.000"] * 5  # log p~ of a one-hot p~


def test_sampling_page_in_korean_with_attention_temperature(models_root: Path):
    at = _page(SAMPLE, locale="ko-KR", model="soft-general")
    at.slider(key="sample_T").set_value(1.5).run()
    at.select_slider(key="sample_Ta").set_value(0.05).run()
    assert not at.exception
    assert at.subheader[0].value == KO["sample.step_title"]
    shown = _shown(at)  # T_a = 1 and T_a = 0.05, greedy
    tr = load_model(models_root / "soft-general", device="cpu")
    cold = tr.trace(TEXT, DecodeConfig(attn_temperature=0.05))
    assert shown[1] == escape_markdown(detokenize(cold.output_tokens, "fr"))


def test_sample_figure_draws_p_and_the_transformed_distribution():
    tr = make_translator(seed=3)
    cfg = DecodeConfig(max_len=6, n_samples=2, sample_temperature=0.7, sample_top_k=3)
    trace = tr.trace(TEXT, cfg)
    for t, step in enumerate(trace.steps):
        fig = figures.sample_figure(trace, t)
        before, after = fig.data
        n = len(step.topk_tokens)
        assert np.allclose(before.x[:n], step.topk_probs)
        assert np.allclose(after.x[:n], step.extras["sample_probs"])
        assert np.isclose(sum(after.x[:n]), 1.0) and sum(np.asarray(after.x) > 0) <= 3
    with pytest.raises(ValueError, match="not sampled"):
        figures.sample_figure(tr.trace(TEXT, DecodeConfig(max_len=6)), 0)
