"""The Korean says what the code does: a decoder time step is 시점 (단계 only names lesson,
presentation and training stages), particles after a placeholder hold for every value (은(는),
이(가), 을(를), 와(과)), 학습 not 훈련, and every text that turns h~_t into probabilities names
the output layer W_o (with its bias b_o, as model.py computes it)."""

from __future__ import annotations

import re

import pytest

from seq2seq_viz.i18n import strings

KO, EN = strings("ko"), strings("en")
# Keys where 단계 names a stage (of the lesson, of the presentation mode, of training)
STAGE_KEYS = {
    "present.stage",
    "lesson.keys_help",
    "q.toggle_help",
    "sidebar.presentation_help",
    "fig.stage",
    "models.training_stage",
    "models.training_stage_empty",
    "models.stop.limit_stage",
    "models.curves_caption",
}
# 단계 in a place where only a decoder step can be meant
STEP_AS_STAGE = re.compile(r"단계 \{t\}|단계 \$?t\$?|디코더 단계|매 단계|출력 단계|단계 \{step\}")
# a particle whose form depends on the last sound of the value: written right after {field}
# (or after its closing quote, or after a parenthesis that follows it) it breaks for some values
PARTICLE = re.compile(r"\}['’”\"]?(?:\([^()]*\))?(은|는|이|가|을|를|와|과|으로|로)(?!\()")
SOFTMAX = re.compile(r"softmax|소프트맥스", re.I)
ATTN_HIDDEN = re.compile(r"h~_t|\\tilde h_t|\\tilde\{h\}_t|h̃")


def test_a_decoder_step_is_never_called_a_stage() -> None:
    for key, text in KO.items():
        assert not STEP_AS_STAGE.search(text), (key, text)
        if "단계" in text:
            assert key in STAGE_KEYS, f"{key}: 단계 for a decoder step? {text}"


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        ("{att}는 BLEU", True),
        ("{base}({bleu:.1f})와 차이", True),
        ("‘{word}’을 입력", True),
        ("{att}은(는) BLEU", False),
        ("‘{input}’을(를) 입력", False),
        ("{n}개의 자리", False),
        ("{stage}단계", False),
    ],
)
def test_the_particle_rule_itself(text: str, bad: bool) -> None:
    assert bool(PARTICLE.search(text)) == bad


def test_no_particle_right_after_a_placeholder() -> None:
    for key, text in KO.items():
        assert not PARTICLE.search(text), (key, text)


def test_training_is_hakseup() -> None:
    for key, text in KO.items():
        assert "훈련" not in text, key


def test_every_softmax_over_the_attentional_state_names_the_output_layer() -> None:
    named = 0
    for lang in (KO, EN):
        for key, text in lang.items():
            if SOFTMAX.search(text) and ATTN_HIDDEN.search(text) and "a_t = softmax" not in text:
                assert "W_o" in text and "b_o" in text, (key, text)
                named += 1
    assert named >= 6  # lesson.output.text, output.explain, q.next_word.explain (x2 languages)
    from seq2seq_viz.views import step_sections

    assert "W_o" in step_sections.OUTPUT_LATEX and "b_o" in step_sections.OUTPUT_LATEX


def test_the_notes_notation_and_the_bridge_are_explained() -> None:
    for lang in (KO, EN):
        concat = lang["lesson.concat.text"]
        assert r"\tilde s_t" in concat and "b_c" in concat and r"\tilde h_t" in concat
        assert r"s_0 = \tanh(W_b h_S + b_b)" in lang["lesson.bottleneck.text"]


def test_the_attentional_layer_has_no_bias_and_the_output_layer_has_one() -> None:
    """What the notes bridge says, checked on the model: W_c without b_c, b_o present."""
    from seq2seq_viz.config import ModelConfig
    from seq2seq_viz.model import build_model

    for tie in (True, False):
        cfg = ModelConfig(src_vocab_size=9, tgt_vocab_size=7, emb_dim=4, hidden_dim=6,
                          tie_output=tie)  # fmt: skip
        decoder = build_model(cfg).decoder
        assert decoder.attention.W_c.bias is None
        _, _, bias = decoder.output_inputs(__import__("torch").zeros(1, 6))
        assert bias is not None and bias.shape == (7,)
