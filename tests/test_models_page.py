"""Models page and toy models: conclusions compare translation models
only; toys are shown apart with what they read; the sidebar offers a valid toy input; a toy
given an English sentence says what it takes; field names and values are translated."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from seq2seq_viz import toy
from seq2seq_viz.checkpoints import save_model
from seq2seq_viz.config import ModelConfig
from seq2seq_viz.decode import Translator
from seq2seq_viz.i18n import strings
from seq2seq_viz.model import build_model
from seq2seq_viz.text import Vocab, tokenize
from seq2seq_viz.views import toys
from tests.conftest import make_translator
from tests.tiny_models import fake_examples, fake_results

APP = str(Path(__file__).resolve().parent.parent / "app.py")
MODELS = {
    "soft-general": {},
    "none": {"align": "none"},
    "local-m": {"align": "local-m"},
    "hard": {"align": "hard"},
    "toy-dates": {},
}
# two training budgets, as shipped: a 6.8-minute GPU run, and 3.5 GPU minutes then CPU epochs
GPU = {"device": "cuda", "epochs_run": 28, "seconds": 404.0, "tokens_per_second": 83045}
GPU["config"] = {"epochs": 200, "max_minutes": 6.8}
STAGED = {
    "device": "cpu",
    "epochs_run": 23,
    "seconds": 4200.0,
    "stages": [
        {**GPU, "epochs_run": 12, "seconds": 200.0, "config": {"epochs": 200, "max_minutes": 3.5}},
        {"device": "cpu", "epochs_run": 11, "seconds": 4000.0, "config": {"epochs": 11}},
    ],
}
TRAINING = {"soft-general": GPU, "none": GPU, "local-m": STAGED, "hard": STAGED}
EN, KO = strings("en"), strings("ko")


def tiny_dates_model() -> Translator:
    """A random model with the dates task's tokenizer and a vocabulary of date tokens."""
    texts = toys.example_inputs("dates", 8)
    src = Vocab.build([tokenize(x, "dates", lowercase=True) for x in texts], min_freq=1)
    tgt = Vocab.build([list("0123456789-")], min_freq=1)
    cfg = ModelConfig(
        src_vocab_size=len(src),
        tgt_vocab_size=len(tgt),
        emb_dim=8,
        hidden_dim=12,
        src_lang="dates",
        tgt_lang="chars",
    )
    return Translator(build_model(cfg).eval(), src, tgt, name="toy-dates")


@pytest.fixture(scope="module")
def models_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("models")
    for i, (name, overrides) in enumerate(MODELS.items()):
        settings = {"toy": "dates"} if name.startswith("toy-") else {"toy": None}
        meta = {"data": {"settings": settings}, "training": TRAINING.get(name, {})}
        model = tiny_dates_model() if name == "toy-dates" else make_translator(i + 1, **overrides)
        save_model(root / name, model, meta)
    results = fake_results(list(MODELS))
    results["models"]["toy-dates"]["bleu_greedy"] = 100.0  # far above the translation models
    (root / "results.json").write_text(json.dumps(results), encoding="utf-8")
    (root / "examples.json").write_text(json.dumps(fake_examples()), encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SEQ2SEQ_VIZ_MODELS", str(root))
        yield root


def _app(locale: str = "en-US", text: str = "the cat sleeps .", **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.context["locale"] = locale
    at.session_state["text"] = text
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def test_example_inputs_are_what_the_toy_tasks_generate() -> None:
    dates = toys.example_inputs("dates")
    assert dates and all(re.search(r"1998", d) for d in dates)
    for task in ("reverse", "reverse-small"):
        for text in toys.example_inputs(task):
            letters = text.split()
            alphabet = toy.SMALL_ALPHABET if task == "reverse-small" else toy.REVERSAL_ALPHABET
            assert letters and set(letters) <= set(alphabet)
    assert toys.example_inputs("translation") == []
    assert toys.mostly_unknown([True, True, False]) and not toys.mostly_unknown([True, False])


@pytest.mark.parametrize("locale", ["en-US", "ko-KR"])
def test_conclusions_compare_translation_models_only(models_root: Path, locale: str) -> None:
    text = KO if locale == "ko-KR" else EN
    at = _app(locale)
    at.switch_page("seq2seq_viz/views/models_page.py").run()
    assert not at.exception
    sentences = [m.value for m in at.markdown if m.value.startswith("- ")]
    assert sentences, "no conclusions"
    assert not any("toy-dates" in s or "100.0" in s for s in sentences), sentences
    assert text["models.toys"] in [h.value for h in at.subheader]
    assert text["toy.input.dates"] in [m.value for m in at.markdown]
    shown = " ".join(str(df.value.to_dict()) for df in at.dataframe)
    for raw in ("enc_layers", "bleu_greedy", "hidden_dim", "'cell'"):
        assert raw not in shown, raw
    assert text["field.enc_layers"] in shown and text["field.bleu_greedy"] in shown
    captions = [c.value for c in at.caption]
    assert text["models.when_metric"] in captions  # the sentences say which BLEU they quote:
    first = sentences[0]  # soft-general 20.0 greedy (21.0 beam 5) against none 19.0 greedy
    assert "20.0" in first and "19.0" in first and "21.0" not in first, first
    # the shipped models hold more than one cohort: each group of conclusions says whose it is
    cohort_word = "학습 예산" if locale == "ko-KR" else "trained"
    heads = [m.value for m in at.markdown if m.value.startswith("**GRU") and cohort_word in m.value]
    assert len(heads) == 2, heads
    six, staged = (
        ("GPU에서 6.8분", "GPU에서 3.5분 + CPU에서 11 에폭")
        if locale == "ko-KR"
        else ("6.8 min on GPU", "3.5 min on GPU + 11 epochs on CPU")
    )
    assert six in heads[0] and "soft" in heads[0] and "none" in heads[0]
    assert staged in heads[1] and "local" in heads[1] and "hard" in heads[1]
    assert not any("cuda" in c for c in captions)  # devices are "GPU" / "CPU" on every page
    stage_lines = [c for c in captions if c.startswith("2단계" if locale == "ko-KR" else "Stage 2")]
    assert len(stage_lines) == 2  # local-m's and hard's cards: one line per stage
    if locale == "ko-KR":  # the English attribution is not repeated under the Korean one
        assert not any(EN["attribution"] in c for c in captions)


def test_the_sidebar_offers_a_toy_input_and_the_page_says_what_it_takes(models_root: Path) -> None:
    at = _app("ko-KR", text="you are happy", model="toy-dates")
    assert not at.exception
    sidebar = " ".join(c.value for c in at.sidebar.caption)
    assert KO["toy.input.dates"] in sidebar
    hints = [w.value for w in at.warning if w.value.startswith(KO["toy.hint"].split("{")[0])]
    assert hints, "an English sentence given to the toy gets a hint"
    at.sidebar.button(key="toy_example").click().run()
    assert at.session_state["text"] == toys.example_inputs("dates")[0]
    assert not [w for w in at.warning if KO["toy.hint"].split("{")[0] in w.value]
