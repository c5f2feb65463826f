"""Every formula and label on screen says what the code does: each is
checked against the model's own numbers, recomputed in NumPy from its weights."""

from __future__ import annotations

import numpy as np
import pytest

from seq2seq_viz import figures
from seq2seq_viz.config import DecodeConfig
from seq2seq_viz.i18n import strings
from seq2seq_viz.views import step_sections
from seq2seq_viz.views.step_sections import ALIGN_LATEX, SCORE_LATEX, softmax_sum_latex

from .conftest import make_translator

LONG = "the black cat is sleeping ."  # 6 tokens


def _weights(module) -> tuple[np.ndarray, np.ndarray | None]:
    weight = module.weight.detach().double().numpy()
    bias = None if module.bias is None else module.bias.detach().double().numpy()
    return weight, bias


def test_a_local_m_centre_is_min_t_and_the_last_position() -> None:
    tr = make_translator(seed=5, align="local-m", window=1)
    trace = tr.trace(LONG, DecodeConfig(max_len=12))
    S = len(trace.src_tokens)
    assert trace.n_steps > S, "the test needs steps past the end of the sentence"
    for step in trace.steps:
        assert step.center == min(step.t, S - 1)
    assert r"\min(t,\, S-1)" in ALIGN_LATEX["local-m"]
    for lang in ("en", "ko"):
        assert r"\min(t, S-1)" in strings(lang)["note.local-m"]
        assert r"p_t = t$" not in strings(lang)["align.local-m"]


def test_b_concat_score_has_the_bias_inside_tanh() -> None:
    tr = make_translator(seed=3, score="concat")
    attention = tr.model.decoder.attention
    W_q, no_bias = _weights(attention.W_q)
    W_k, b = _weights(attention.W_k)
    v_a, _ = _weights(attention.v_a)
    assert no_bias is None and b is not None and np.abs(b).max() > 0
    trace = tr.trace(LONG, DecodeConfig(max_len=4))
    h = trace.enc_states.astype(np.float64)  # (S,H)
    for step in trace.steps:
        s = step.dec_state.astype(np.float64)
        e = np.tanh(W_q @ s + h @ W_k.T + b) @ v_a[0]  # (S,)
        np.testing.assert_allclose(step.scores, e, atol=1e-4)
        without = np.tanh(W_q @ s + h @ W_k.T) @ v_a[0]
        assert np.abs(without - e).max() > 1e-3, "the bias matters: the formula must show it"
    assert "W_k\\, h_i + b" in SCORE_LATEX["concat"]


@pytest.mark.parametrize("align", ["local-m", "local-p"])
def test_c_local_softmax_sums_over_the_window_only(align: str) -> None:
    tr = make_translator(seed=5, align=align, window=1)
    trace = tr.trace(LONG, DecodeConfig(max_len=6))
    checked = 0
    for step in trace.steps:
        lo, hi = step.window
        e = step.scores.astype(np.float64)
        inside = np.zeros(len(e), dtype=bool)
        inside[lo : hi + 1] = True
        window_sum = np.exp(e[inside] - e[inside].max()).sum()
        _, total = step.softmax_parts()
        assert total == pytest.approx(window_sum, rel=1e-5)
        soft = step.attention_distribution()
        assert np.asarray(soft)[inside].sum() == pytest.approx(1.0, abs=1e-5)
        if not inside.all():  # then a sum over all j would differ
            checked += 1
            assert np.exp(e - e[inside].max()).sum() > window_sum * (1 + 1e-6)
    assert checked
    assert r"|j - p_t| \le D" in softmax_sum_latex(align, 1.0)
    assert "j=0" in softmax_sum_latex("global", 1.0)
    title = figures.softmax_figure(trace, 0).layout.title.text
    assert "window" in title


def test_d_beam_text_says_what_the_search_does() -> None:
    en, ko = strings("en")["beam.intro"], strings("ko")["beam.intro"]
    for phrase in ("K minus the hypotheses already finished", "raw cumulative score"):
        assert phrase in en
    assert "only the finished hypotheses are ranked, by the length-normalised score" in en
    assert "K에서 이미 완료된 가설 수를 뺀" in ko and "길이 정규화 전의 누적 점수" in ko
    assert "best K of all proposals survive" not in en


@pytest.mark.parametrize("sample", [False, True])
def test_e_hard_attention_chart_says_argmax_unless_sampled(sample: bool) -> None:
    tr = make_translator(seed=4, align="hard")
    trace = tr.trace(LONG, DecodeConfig(max_len=4, sample_hard=sample, seed=1))
    step = trace.steps[0]
    chosen = step.sampled_index
    if not sample:
        assert chosen == int(np.argmax(step.soft_weights))
    fig = figures.weights_figure(trace, 0)
    names = {bar.name for bar in fig.data}
    if sample:
        assert "sampled" in fig.layout.title.text and "sampled position" in names
    else:
        assert "argmax" in fig.layout.title.text and "chosen position (argmax)" in names
        assert "sampled" not in fig.layout.title.text
    ko = strings("ko")
    assert "argmax" in ko["fig.hard_title"] and "샘플" in ko["fig.hard_title_sampled"]


def test_f_step_sections_formulas_count_from_zero() -> None:
    assert r"\sum_{i=0}^{S-1}" in step_sections.CONTEXT_LATEX
    assert r"\sum_{j=0}^{S-1}" in ALIGN_LATEX["global"] and r"j=0" in ALIGN_LATEX["hard"]
    for lang in ("en", "ko"):
        assert r"h_0 \dots h_{S-1}" in strings(lang)["step.intro"]
