"""The app says where the decoder's unknown-word rule changed the output, in both languages."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest


def _page(lang: str, text: str) -> None:
    import streamlit as st
    import torch

    from seq2seq_viz.config import DecodeConfig
    from seq2seq_viz.i18n import set_language
    from seq2seq_viz.text import UNK_ID
    from seq2seq_viz.views.common import copy_notices
    from tests.conftest import make_translator

    set_language(lang)
    st.session_state["lang"] = lang  # what the app's language source reads
    tr = make_translator(seed=3)
    with torch.no_grad():
        tr.model.decoder.out_bias[UNK_ID] += 50.0  # a model that prefers <unk> by far
    copy_notices(tr.trace(text, DecodeConfig(max_len=3)))


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_copied_word_is_named_with_its_weight(lang):
    at = AppTest.from_function(_page, args=(lang, "the zorblax sleeps ."), default_timeout=60)
    at.run()
    assert not at.exception
    captions = [c.value for c in at.caption]
    assert len(captions) == 3  # one per <unk> step, each copied from a source word
    assert all("Luong" in c for c in captions)
    assert ("복사" in captions[0]) == (lang == "ko")
    assert ("copied" in captions[0]) == (lang == "en")


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_a_banned_unk_is_explained(lang):
    at = AppTest.from_function(_page, args=(lang, "the cat sleeps ."), default_timeout=60)
    at.run()
    assert not at.exception
    captions = [c.value for c in at.caption]
    assert len(captions) == 1 and "<unk>" in captions[0]
    assert ("디코더" in captions[0]) == (lang == "ko")


def _unk_script() -> None:
    from seq2seq_viz.views.common import unk_notice

    unk_notice(["je", "suis", "<unk>", "."])
    unk_notice(["je", "suis", "froid", "."])


def test_unk_in_an_output_is_explained_once() -> None:
    from seq2seq_viz.i18n import strings

    at = AppTest.from_function(_unk_script, default_timeout=30).run()
    assert not at.exception
    assert [c.value for c in at.caption] == [strings("en")["output.unk"]]
