"""The starred teaching examples agree with their notes and with the default model."""

from __future__ import annotations

import json

import pytest

from seq2seq_viz.checkpoints import DEFAULT_MODEL, PRETRAINED_DIR, list_models, load_model
from seq2seq_viz.teaching import (
    DECODES,
    TEACHING,
    missing_expected,
    teaching_json,
    translations,
    write_teaching,
)


def test_examples_json_holds_the_teaching_list_from_code():
    """examples.json is generated from teaching.py; a hand edit would be lost on regeneration."""
    stored = json.loads((PRETRAINED_DIR / "examples.json").read_text("utf-8"))["teaching"]
    assert stored == teaching_json()


@pytest.mark.parametrize("example", TEACHING, ids=lambda e: e.src)
def test_each_note_names_its_expected_words_in_both_languages(example):
    assert example.expect and example.note_en and example.note_ko
    for phrase in example.expect:
        assert phrase in example.note_en and phrase in example.note_ko, phrase
    assert any("\uac00" <= ch <= "\ud7a3" for ch in example.note_ko)  # Hangul


def test_notes_use_the_glossary_terms():
    korean = " ".join(e.note_ko for e in TEACHING)
    assert "빔 탐색" not in korean  # GLOSSARY: 빔 서치
    assert "빔 서치" in korean and "탐욕적 탐색" in korean


def test_missing_expected_reads_whole_words_in_order():
    cat = TEACHING[0].__class__("the black cat .", ("chat noir",), "chat noir", "chat noir 고양이")
    assert missing_expected(cat, "le chat noir.") == []
    assert missing_expected(cat, "le noir chat.") == ["chat noir"]
    assert missing_expected(cat, "le chat noire.") == ["chat noir"]


def test_write_teaching_keeps_the_test_sentences(tmp_path):
    (tmp_path / "examples.json").write_text(json.dumps({"test": [{"src": "a", "refs": ["b"]}]}))
    write_teaching(tmp_path)
    data = json.loads((tmp_path / "examples.json").read_text("utf-8"))
    assert data["test"] == [{"src": "a", "refs": ["b"]}] and data["teaching"] == teaching_json()


@pytest.mark.skipif(DEFAULT_MODEL not in list_models(), reason="the default model is not shipped")
@pytest.mark.parametrize("example", TEACHING, ids=lambda e: e.src)
def test_the_default_model_says_what_each_note_teaches(example):
    """Greedy (the sidebar's default) and beam 5 (the beam page's default) both say the words
    the note names; when a retrained default misses one, replace the example (teaching.py)."""
    outputs = translations(load_model(DEFAULT_MODEL), example)
    assert set(outputs) == set(DECODES)
    missing = {name: missing_expected(example, out) for name, out in outputs.items()}
    assert not any(missing.values()), (outputs, missing)
