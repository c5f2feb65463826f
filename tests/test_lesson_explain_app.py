"""The lesson's stage "어텐션은 설명인가? / Is attention an explanation?" (AppTest, tiny seeded
models): nothing is computed until a button is pressed; the numbers shown are the explanation
library's on the same sentence and step, in Korean and English; a model without attention and
a Transformer get a clear message."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from seq2seq_viz.checkpoints import atomic_write_bytes, load_model, save_model
from seq2seq_viz.config import DecodeConfig
from seq2seq_viz.explain import guard
from seq2seq_viz.explain import index as X
from seq2seq_viz.explain.attribute import attribute
from seq2seq_viz.explain.fool import THRESHOLD, fool_step
from seq2seq_viz.figures.lesson import LESSON_STAGES
from seq2seq_viz.i18n import strings
from seq2seq_viz.text import detokenize
from seq2seq_viz.views.explain_near import K
from seq2seq_viz.views.explain_page import RESULTS
from seq2seq_viz.views.safe import escape_markdown
from tests.test_transformer import make_transformer
from tests.tiny_models import DEFAULT_TEXT, build_models_folder

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGE = "seq2seq_viz/views/lesson_page.py"
EN, KO = strings("en"), strings("ko")
STAGE = LESSON_STAGES.index("explain")
PAIRS = [([4, 5, 6, 7], [4, 5, 6]), ([5, 6, 7], [6, 7, 8, 9]), ([4, 7], [5, 4])] * 8
BLEU = {"n_test": 7, "bleu_model": 50.5, "bleu_uniform": 10.25, "bleu_permuted": 5.0}
NUMBERS = {"n": 7, "model": 50.5, "uniform": 10.25, "permuted": 5.0}
STEP = 1


@pytest.fixture(scope="module")
def models_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    variants = {"soft-general": {}, "none": {"align": "none"}}
    root = build_models_folder(tmp_path_factory.mktemp("lesson_explain"), variants)
    save_model(root / "transformer", make_transformer(seed=3, d_model=16, heads=2, ffn_dim=24))
    data, _ = X.build(load_model("soft-general", root=root), PAIRS, dims=4)
    atomic_write_bytes(X.index_path(root / "soft-general"), data)
    (root / "explain_baselines.json").write_text(json.dumps({"soft-general": BLEU}))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SEQ2SEQ_VIZ_MODELS", str(root))
        yield root


def _stage(locale: str = "ko-KR", model: str = "soft-general") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.context["locale"] = locale
    at.session_state["text"] = DEFAULT_TEXT
    at.query_params["model"] = model
    at.run()
    at.session_state["lesson_stage"] = STAGE
    at.switch_page(PAGE).run()
    _ok(at)
    return at


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [m.value for m in at.caption]
    parts += [m.value for kind in ("info", "warning", "success", "error") for m in at.get(kind)]
    return "\n".join(parts)


def _title(at: AppTest) -> str:
    return " ".join(h.value for h in at.subheader)


def _press(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    _ok(at)
    return at


def _library(root: Path, t: int):
    """The explanation library's own numbers for the sentence (one torch thread, as the app)."""
    tr = load_model("soft-general", root=root)
    with guard.heavy_job():
        attr = attribute(tr, DEFAULT_TEXT)
        fooled = fool_step(tr, DEFAULT_TEXT, t)
    return tr, attr, fooled


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_stage_shows_the_librarys_numbers(models_root: Path, lang: str) -> None:
    S = KO if lang == "ko" else EN
    at = _stage("ko-KR" if lang == "ko" else "en-US")
    n = len(LESSON_STAGES)
    assert f"{n} / {n} · {S['lesson.explain.title']}" in _title(at)
    assert at.button(key="lesson_next").disabled  # the last stage
    assert S["lesson.explain.tab.attr"] in [tab.label for tab in at.tabs]
    bleu = S["lesson.explain.bleu"].format(name=escape_markdown("soft-general"), **NUMBERS)
    assert bleu in _text(at)  # the stored baselines of this model
    (link,) = at.page_link
    assert link.value == S["lesson.explain.open_lab"] and link.proto.page.endswith("explain")
    at.select_slider(key="lesson_explain_step").set_value(STEP).run()
    _ok(at)
    assert RESULTS not in at.session_state or not at.session_state[RESULTS]  # nothing computed
    assert S["lesson.explain.press"] in _text(at)
    tr, attr, fooled = _library(models_root, STEP)

    _press(at, "lesson_explain_attr")
    agree = attr.agreement("integrated_gradients")
    summary = S["lesson.explain.attr.summary"].format(
        k=agree.n_top_same, n=attr.n_steps, tau=f"{agree.mean_tau:.2f}"
    )
    assert summary in _text(at)
    ia, ir = int(agree.top_attention[STEP]), int(agree.top_attribution[STEP])
    step_line = S["lesson.explain.attr.step"].format(
        t=STEP, word=escape_markdown(attr.out_tokens[STEP]),
        a_word=escape_markdown(attr.src_tokens[ia]), a=f"{attr.weights[STEP, ia]:.2f}",
        r_word=escape_markdown(attr.src_tokens[ir]),
        r=f"{attr.methods['integrated_gradients'][STEP, ir]:.3f}", tau=f"{agree.tau[STEP]:.2f}",
    )  # fmt: skip
    assert step_line in _text(at)
    assert {"lesson_explain_attn", "lesson_explain_ig"} <= {c.key for c in at.get("plotly_chart")}

    _press(at, "lesson_explain_fool")
    verdict = "fooled" if fooled.js >= THRESHOLD else "close"
    verdict = verdict if fooled.found and fooled.verified else "lost"
    headline = S[f"lesson.explain.fool.{verdict}"].format(
        t=STEP, word=escape_markdown(fooled.token), js=f"{fooled.js:.2f}", threshold=THRESHOLD
    )
    assert headline in _text(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[S["explain.fool.js"]] == f"{fooled.js:.3f}"
    assert metrics[S["explain.fool.p_own"]] == f"{fooled.p_own:.3f}"

    trace = tr.trace(DEFAULT_TEXT, DecodeConfig())
    near = X.query(X.load_index(models_root / "soft-general"), tr, trace, "decoder", STEP, K)
    for n in near.neighbours:  # every neighbour, in the library's order and numbers
        row = S["lesson.explain.near.row"].format(
            word=escape_markdown(n.word), d=f"{n.distance:.2f}",
            src=escape_markdown(detokenize(n.src_tokens, "en")),
            tgt=escape_markdown(detokenize(n.tgt_tokens, "fr")),
        )  # fmt: skip
        assert f"- {row}" in _text(at)
    assert len(near.neighbours) == K


def test_results_are_kept_and_shared_with_the_lab(models_root: Path) -> None:
    at = _press(_stage(), "lesson_explain_attr")
    kept = dict(at.session_state[RESULTS])
    at.button(key="lesson_prev").click().run()  # turn away and back: nothing is recomputed
    at.button(key="lesson_next").click().run()
    _ok(at)
    assert all(at.session_state[RESULTS][k] is v for k, v in kept.items())
    assert any(k[2] == "attr" for k in kept)  # the lab's own key: its page shows this result
    at.switch_page("seq2seq_viz/views/explain_page.py").run()
    _ok(at)
    shown = _text(at)  # the lab shows the result without a press
    assert KO["explain.attr.press"] not in shown
    assert f"어텐션과 {KO['explain.method.integrated_gradients']}은(는)" in shown


@pytest.mark.parametrize(
    ("model", "key"), [("none", "no_attention"), ("transformer", "transformer")]
)
def test_no_attention_or_a_transformer_is_told(models_root: Path, model: str, key: str) -> None:
    for locale, S in (("ko-KR", KO), ("en-US", EN)):
        at = _stage(locale, model)
        assert S[f"lesson.explain.{key}"].format(model=model) in [i.value for i in at.info]
        assert not [b for b in at.button if b.key and b.key.startswith("lesson_explain")]


@pytest.mark.parametrize(
    "text", [" ".join(["cat"] * 500), "🙂 <b>cat</b> $x$ *y*", "고양이가 잔다"]
)
def test_hostile_sentences(models_root: Path, text: str) -> None:
    at = AppTest.from_file(APP, default_timeout=90)
    at.context["locale"] = "ko-KR"
    at.session_state["text"] = text
    at.query_params["model"] = "soft-general"
    at.run()
    at.session_state["lesson_stage"] = STAGE
    at.switch_page(PAGE).run()
    _ok(at)
    if text.startswith("cat cat"):  # the lab's cap, before any model work
        assert KO["explain.too_long_src"].format(n=500, limit=30) in _text(at)
        assert "lesson_explain_attr" not in [b.key for b in at.button]
        return
    _press(at, "lesson_explain_attr")
    assert KO["lesson.explain.attr.summary"].split(":")[0] in _text(at)
    assert not [m for m in at.markdown if m.proto.allow_html and "cat" in m.value]  # as text
