"""Text: normalisation, tokenisers, vocabulary, detokenisation."""

from __future__ import annotations

import pytest

from seq2seq_viz.text import EOS_ID, UNK_ID, Vocab, detokenize, encode_text, normalize, tokenize


def test_normalize_unifies_spaces_quotes_and_drops_control_characters():
    assert normalize("Tu\u00a0viens\u202f? \u201cOui\u201d \u2019s") == 'Tu viens ? "Oui" \'s'
    assert normalize("e\u0301t\u00e9") == "\u00e9t\u00e9"  # NFC
    assert normalize("a\x00b\x07c\r\n d\u200b") == "a b c d"
    assert normalize("  Hello  ", lowercase=True) == "hello"


@pytest.mark.parametrize(
    "lang, text, tokens",
    [
        ("en", "I don't know.", ["i", "do", "n't", "know", "."]),
        ("fr", "C'est l'homme.", ["c'", "est", "l'", "homme", "."]),
        ("de", "Ich weiß es nicht.", ["ich", "weiß", "es", "nicht", "."]),
        ("dates", "Wednesday, March 3rd 2021", ["wednesday", ",", "march", "3rd", "2021"]),
        ("chars", "2021-03", ["2", "0", "2", "1", "-", "0", "3"]),
    ],
)
def test_tokenizers(lang, text, tokens):
    assert tokenize(text, lang, lowercase=True) == tokens


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "\x00",
        "😀 🎉",
        "안녕하세요",
        "مرحبا",
        "<script>alert(1)</script>",
        "$\\frac{a}{b}$",
        "x" * 10000,
    ],
)
def test_tokenize_never_fails_on_odd_input(text):
    toks = tokenize(text, "en", lowercase=True)
    assert all(t.strip() for t in toks)


@pytest.mark.parametrize(
    "lang, tokens, text",
    [
        ("fr", ["j'", "ai", "froid", "."], "j'ai froid."),
        ("fr", ["vas", "-tu", "bien", "?"], "vas-tu bien ?"),
        ("fr", ["il", "a", "dit", '"', "non", '"', "."], 'il a dit "non".'),
        ("en", ["i", "do", "n't", "know", ",", "sorry", "!"], "i don't know, sorry!"),
        ("chars", ["2", "0", "-", "1", "<eos>"], "20-1"),
    ],
)
def test_detokenize(lang, tokens, text):
    assert detokenize(tokens, lang) == text


def test_detokenize_shows_unknown_words_except_for_scoring():
    assert detokenize(["le", "<unk>", "dort", ".", "<eos>"], "fr") == "le <unk> dort."
    assert detokenize(["le", "<unk>", "dort", "."], "fr", keep_unk=False) == "le dort."


def test_vocab_build_limits_and_json_round_trip(tmp_path):
    sents = [["a", "b", "b", "c", "c", "c"], ["d"]]
    v = Vocab.build(sents, min_freq=2)
    assert v.itos[4:] == ("c", "b")
    assert len(Vocab.build(sents, min_freq=1, max_size=6)) == 6
    assert v.encode(["c", "zzz"], add_eos=True) == [4, UNK_ID, EOS_ID]
    v.save(tmp_path / "v.json")
    assert Vocab.load(tmp_path / "v.json") == v
    with pytest.raises(ValueError):
        Vocab(("a", "b"))


def test_encode_text_keeps_unknown_surface_forms_and_truncates():
    v = Vocab.build([["the", "cat"]], min_freq=1)
    enc = encode_text("The Zebra cat cat cat", v, "en", lowercase=True, max_len=3)
    assert enc.tokens == ("the", "zebra", "cat")
    assert enc.unknown == (False, True, False)
    assert enc.truncated_from == 5
