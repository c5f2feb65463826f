"""The step page's "download this trace" in Chromium: the file, made only when the button is
pressed, is the trace the page shows, equal to one the test computes from the same model."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import pytest

from seq2seq_viz.checkpoints import load_model
from seq2seq_viz.config import DecodeConfig
from seq2seq_viz.i18n import strings
from seq2seq_viz.trace import DecodeTrace
from tests.e2e.conftest import Session

pytestmark = pytest.mark.e2e
MODEL, TEXT = "soft-general", "the cat sleeps on the red mat ."


@pytest.mark.parametrize("locale", ["ko-KR", "en-US"])
def test_the_downloaded_trace_is_the_models_trace(new_session, e2e_models: Path, locale: str):
    session: Session = new_session(locale)
    page = session.open("?" + urlencode({"model": MODEL, "text": TEXT}))
    label = strings("ko" if locale == "ko-KR" else "en")["download.trace"]
    with page.expect_download() as pressed:
        page.get_by_role("button", name=label).click()
    download = pressed.value
    assert download.suggested_filename == f"trace-{MODEL}.json"
    got = DecodeTrace.from_json(Path(download.path()).read_text(encoding="utf-8"))
    want = load_model(e2e_models / MODEL).trace(TEXT, DecodeConfig())
    assert got.src_tokens == want.src_tokens and got.output_tokens == want.output_tokens
    assert len(got.steps) == len(want.steps)
    for mine, theirs in zip(got.steps, want.steps, strict=True):
        np.testing.assert_allclose(mine.weights, theirs.weights, atol=1e-6)
        np.testing.assert_allclose(mine.context, theirs.context, atol=1e-5)
    assert json.loads(Path(download.path()).read_text(encoding="utf-8"))  # plain JSON
