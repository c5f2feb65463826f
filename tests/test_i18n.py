"""Translations (same keys and format fields in Korean and English, every figure label), the
language helpers, the pure view helpers (insights from results, markdown escaping) and the
rule that only views/ and app.py import streamlit."""

from __future__ import annotations

import ast
import re
import threading
from pathlib import Path

import pytest

from seq2seq_viz import i18n
from seq2seq_viz.figures import DEFAULT_LABELS
from seq2seq_viz.i18n import format_fields, language_from_locale, strings
from seq2seq_viz.views.insights import insights
from seq2seq_viz.views.safe import escape_markdown

PACKAGE = Path(i18n.__file__).resolve().parent.parent
FIG = i18n.FIGURE_PREFIX


def _plain(lang: str) -> dict[str, str]:
    return {k: v for k, v in strings(lang).items() if not k.startswith(FIG)}


def test_korean_and_english_have_the_same_keys_and_fields() -> None:
    en, ko = _plain("en"), _plain("ko")
    assert set(en) == set(ko)
    for key in en:
        assert format_fields(en[key]) == format_fields(ko[key]), key


def test_every_figure_label_is_translated_with_its_fields() -> None:
    ko = {k[len(FIG) :]: v for k, v in strings("ko").items() if k.startswith(FIG)}
    assert set(DEFAULT_LABELS) <= set(ko)
    for key, text in ko.items():
        assert format_fields(text) <= format_fields(DEFAULT_LABELS[key]), key


# ../shared/GLOSSARY.md: the terms of the Korean notes, and the words they replaced here.
GLOSSARY_TERMS = (
    "어텐션 스코어",
    "어텐션 분포",
    "어텐션 값",
    "컨텍스트 벡터",
    "빔 서치",
    "글로벌 어텐션",
    "로컬 어텐션",
    "병목현상",
    "토큰화",
    "인코더",
    "디코더",
    "은닉 상태",
    "교사 강요",
    "소프트맥스",
    "단어 집합",
)
REPLACED = ("문맥 벡터", "정렬 가중치", "빔 탐색", "전역", "지역", "참조 가능", "창", "접두어")


def test_the_notes_terms_are_used_in_korean() -> None:
    text = " ".join(strings("ko").values())
    for term in GLOSSARY_TERMS:
        assert term in text, term
    for word in REPLACED:
        assert word not in text, word
    assert re.search(r"어텐션 값\(attention value\)[^.]*컨텍스트 벡터", text), "the link is said"


def test_formulas_count_from_zero_like_the_screen() -> None:
    """Steps and positions on screen start at 0: no formula or text indexes from 1."""
    from seq2seq_viz.views import step_sections

    latex = [
        *step_sections.SCORE_LATEX.values(),
        *step_sections.ALIGN_LATEX.values(),
        step_sections.CONTEXT_LATEX,
    ]
    texts = latex + [v for lang in ("en", "ko") for v in strings(lang).values()]
    for text in texts:
        assert not re.search(r"_\{?[ij]\s*=\s*1\b|h_1\b|\^\{S\}", text), text
    assert "S-1" in step_sections.CONTEXT_LATEX and "j=0" in step_sections.ALIGN_LATEX["global"]


@pytest.mark.parametrize(
    ("locale", "lang"),
    [
        ("ko-KR", "ko"),
        ("ko", "ko"),
        ("ko-KR,ko;q=0.9,en;q=0.8", "ko"),
        ("en-US", "en"),
        ("fr-FR,ko;q=0.5", "en"),
        (None, "en"),
        ("", "en"),
    ],
)
def test_language_from_locale(locale: str | None, lang: str) -> None:
    assert language_from_locale(locale) == lang


def test_t_formats_and_falls_back() -> None:
    i18n.set_language("ko")
    assert i18n.tr("nav.beam") == "빔 서치"
    assert "7" in i18n.tr("input.truncated", total=9, kept=7)
    assert i18n.tr("no.such.key") == "no.such.key"
    assert i18n.figure_labels()["beam_title"] == "빔 서치 트리"
    i18n.set_language("xx")
    assert i18n.get_language() == "en"


def _in_new_thread() -> tuple[str, str]:
    """get_language() and t('step.next') as a thread that never called set_language sees them
    (Streamlit runs every rerun, and every fragment rerun, in such a thread)."""
    seen: list[tuple[str, str]] = []
    worker = threading.Thread(
        target=lambda: seen.append((i18n.get_language(), i18n.tr("step.next")))
    )
    worker.start()
    worker.join()
    return seen[0]


def test_a_new_thread_asks_the_language_source() -> None:
    saved = list(i18n._source)
    try:
        i18n.set_language("ko")
        i18n.set_language_source(None)
        assert _in_new_thread() == ("en", strings("en")["step.next"]), "the bug without a source"
        i18n.set_language_source(lambda: "ko")
        assert _in_new_thread() == ("ko", "다음 ▶")
        i18n.set_language_source(lambda: None)  # no session: the context variable decides
        assert i18n.get_language() == "ko" and _in_new_thread()[0] == "en"
    finally:
        i18n._source[:] = saved
        i18n.set_language("en")


def test_the_app_registers_the_session_language_as_the_source() -> None:
    from seq2seq_viz.views import controls

    assert i18n._source == [controls.session_language]
    assert controls.session_language() is None  # outside a Streamlit session


def _results() -> dict:
    def row(bleu: float, entropy: float, long: float) -> dict:
        buckets = [
            {"bucket": "1-5", "bleu": bleu + 2, "n": 5},
            {"bucket": "11-15", "bleu": long, "n": 5},
        ]
        return {"bleu_greedy": bleu, "entropy": entropy, "bleu_by_length": buckets}

    return {
        "soft-general": row(30.0, 0.9, 25.0),
        "soft-dot": row(28.0, 1.0, 23.0),
        "none": row(20.0, 0.0, 10.0),
        "local-p": row(31.0, 0.5, 27.0),
        "hard": row(30.2, 1.2, 24.0),
    }


def test_insights_are_computed_from_the_results() -> None:
    kinds = {
        "soft-general": "global",
        "soft-dot": "global",
        "none": "none",
        "local-p": "local-p",
        "hard": "hard",
        "broken": "global",
    }
    scores = {
        "soft-general": "general",
        "soft-dot": "dot",
        "none": "general",
        "local-p": "general",
        "hard": "general",
        "broken": "general",
    }
    found = dict(insights(kinds, scores, _results()))
    assert found["insight.none"]["bleu_att"] == 30.0 and found["insight.none"]["bleu_none"] == 20.0
    assert found["insight.none_length"]["gap_long"] == pytest.approx(15.0)
    assert found["insight.none_length"]["gap_short"] == pytest.approx(10.0)
    assert "insight.local-p.better" in found and "insight.hard.same" in found
    assert found["insight.entropy"]["sharp"] == "local-p"
    for lang in ("en", "ko"):
        for key, fields in found.items():
            assert strings(lang)[key].format(**fields)


def test_one_evaluated_model_gets_its_length_trend() -> None:
    results = {"soft-general": _results()["soft-general"]}
    found = dict(insights({"soft-general": "global"}, {"soft-general": "general"}, results))
    assert found["insight.length"]["bleu_short"] == 32.0
    assert found["insight.length"]["bleu_long"] == 25.0


def test_no_insights_before_evaluation() -> None:
    assert insights({"soft-general": "global"}, {"soft-general": "general"}, {}) == []


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        r"$\frac{a}{b}$",
        "**x** _y_ `z`",
        "[link](http://x) # h | t ~ s",
        "a\nb\tc",
        "j'ai :smile:",
    ],
)
def test_escape_markdown_leaves_no_special_character_bare(text: str) -> None:
    escaped = escape_markdown(text)
    bare = re.sub(r"\\.", "", escaped)
    assert not re.search(r"[\\`*_{}\[\]()#+\-.!|<>$~&:]", bare)
    assert re.sub(r"\\(.)", r"\1", escaped) == " ".join(text.split())


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_only_views_import_streamlit() -> None:
    for path in PACKAGE.rglob("*.py"):
        inside_views = "views" in path.relative_to(PACKAGE).parts
        pure = path.name in ("insights.py", "safe.py")
        if not inside_views or pure:
            assert "streamlit" not in _imports(path), path
