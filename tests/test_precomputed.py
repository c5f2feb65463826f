"""Precomputed opening traces: they equal what the model computes now, they are only used for
exactly their text, decode config and weights, and they let the first page skip torch."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from seq2seq_viz import precomputed
from seq2seq_viz.checkpoints import DEFAULT_MODEL, PRETRAINED_DIR, load_model, save_model
from seq2seq_viz.config import DecodeConfig
from seq2seq_viz.trace import DecodeTrace
from seq2seq_viz.views.safe import escape_markdown
from tests.conftest import make_translator
from tests.tiny_models import _rehash

REPO = Path(__file__).resolve().parent.parent
SHIPPED = sorted(p.parent for p in PRETRAINED_DIR.glob(f"*/{precomputed.FILE}"))


def assert_same_trace(stored: DecodeTrace, fresh: DecodeTrace) -> None:
    """Equal tokens, ids and structure; arrays equal up to float32 rounding across CPUs."""

    def compare(a, b, where: str) -> None:
        if isinstance(a, dict):
            assert isinstance(b, dict) and set(a) == set(b), where
            for k in a:
                compare(a[k], b[k], f"{where}.{k}")
        elif isinstance(a, list):
            assert isinstance(b, list) and len(a) == len(b), where
            for i, (x, y) in enumerate(zip(a, b, strict=True)):
                compare(x, y, f"{where}[{i}]")
        elif isinstance(a, float) and not isinstance(b, bool):
            assert np.isclose(a, b, rtol=1e-4, atol=1e-5), (where, a, b)
        else:
            assert a == b, (where, a, b)

    compare(stored.to_data(), fresh.to_data(), "trace")  # arrays as lists, dtype and shape


def test_the_default_model_ships_the_opening_trace():
    teaching = json.loads((PRETRAINED_DIR / "examples.json").read_text("utf-8"))["teaching"]
    stored = precomputed.lookup(PRETRAINED_DIR / DEFAULT_MODEL, teaching[0]["src"], DecodeConfig())
    assert stored is not None, "run: python -m seq2seq_viz.precomputed pretrained/" + DEFAULT_MODEL


@pytest.mark.parametrize("folder", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_traces_equal_a_fresh_computation(folder):
    entries = precomputed.entries(folder)
    assert entries, f"{folder / precomputed.FILE} does not match its weights"
    model = load_model(folder, device="cpu")
    for text, decode, stored in entries:
        assert_same_trace(stored, model.trace(text, decode))


@pytest.fixture()
def tiny_folder(tmp_path):
    folder = save_model(tmp_path / "tiny", make_translator(seed=3))
    precomputed.write(folder, load_model(folder, device="cpu"), ["i am cold .", "you are happy ."])
    return folder


def test_lookup_matches_exactly_text_and_config(tiny_folder):
    fresh = load_model(tiny_folder, device="cpu").trace("you are happy .", DecodeConfig())
    stored = precomputed.lookup(tiny_folder, "you are happy .", DecodeConfig())
    assert stored is not None
    assert_same_trace(stored, fresh)
    assert precomputed.lookup(tiny_folder, "you are happy", DecodeConfig()) is None
    assert precomputed.lookup(tiny_folder, "i am cold .", DecodeConfig(beam_width=2)) is None
    assert precomputed.lookup(tiny_folder, "i am cold .", DecodeConfig(max_len=29)) is None


def test_changed_weights_disable_the_stored_traces(tiny_folder):
    assert precomputed.entries(tiny_folder)
    save_model(tiny_folder, make_translator(seed=4))  # retrained: new weights, new hash
    assert precomputed.entries(tiny_folder) == []


def test_tampered_weights_disable_the_stored_traces(tiny_folder):
    weights = tiny_folder / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 1
    weights.write_bytes(bytes(data))
    assert precomputed.entries(tiny_folder) == []  # hash no longer matches config.json
    _rehash(tiny_folder)  # ... nor after config.json was made to match the new file
    assert precomputed.entries(tiny_folder) == []


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not gzip",
        gzip.compress(b"{ not json"),
        gzip.compress(b'{"format": 3}'),
        gzip.compress(b"[]"),
    ],
    ids=["empty", "not-gzip", "bad-json", "wrong-format", "not-a-dict"],
)
def test_broken_files_are_ignored(tiny_folder, content):
    (tiny_folder / precomputed.FILE).write_bytes(content)
    assert precomputed.entries(tiny_folder) == []
    assert precomputed.lookup(tiny_folder, "i am cold .", DecodeConfig()) is None


def test_the_opening_page_is_drawn_without_torch_then_the_model_loads():
    """In a fresh interpreter: the first run of the app shows the opening sentence's translation
    without importing torch; the background warm-up then loads the model, and the next run says
    which device it runs on."""
    script = textwrap.dedent(
        f"""
        import sys, time
        from streamlit.testing.v1 import AppTest
        from seq2seq_viz.views import state
        warm_up, asked = state.warm_up, []
        state.warm_up = asked.append  # held back until torch's absence is checked
        at = AppTest.from_file({str(REPO / "app.py")!r}, default_timeout=120)
        at.run()
        assert not at.exception, at.exception
        assert "torch" not in sys.modules and "spacy" not in sys.modules
        assert asked == [{DEFAULT_MODEL!r}], asked
        state.WARM_UP_DELAY = 0.0
        warm_up(*asked)
        shown = [str(m.value) for m in at.markdown if "→" in str(m.value)][0]
        print("LOADING" if any("background" in str(c.value) for c in at.sidebar.caption) else "")
        deadline = time.monotonic() + 90
        while not state.is_loaded({DEFAULT_MODEL!r}) and time.monotonic() < deadline:
            time.sleep(0.2)
        at.run()
        assert not at.exception, at.exception
        print("DEVICE" if any("CPU" in str(c.value) for c in at.sidebar.caption) else "")
        print("SHOWN", shown)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=240
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert "LOADING" in out.stdout and "DEVICE" in out.stdout, out.stdout
    teaching = json.loads((PRETRAINED_DIR / "examples.json").read_text("utf-8"))["teaching"]
    expected = load_model(DEFAULT_MODEL).translate(teaching[0]["src"])
    shown = out.stdout.split("SHOWN", 1)[1].strip()
    assert shown.endswith("→ " + escape_markdown(expected)), (expected, shown)
