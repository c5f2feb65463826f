"""Checkpoints: round trip, and every kind of damage fails with a clear CheckpointError."""

from __future__ import annotations

import json
import shutil

import pytest
import torch

from seq2seq_viz.checkpoints import CheckpointError, list_models, load_model, save_model
from seq2seq_viz.config import DecodeConfig

from .conftest import make_translator


@pytest.fixture
def saved(tmp_path):
    tr = make_translator(seed=3, align="local-p", self_attn=True)
    save_model(tmp_path / "m", tr, {"training": {"seconds": 1.0}}, half=False)
    return tr, tmp_path / "m"


def test_round_trip_gives_identical_traces(saved):
    tr, folder = saved
    back = load_model(folder)
    a = tr.trace("the cat sleeps .", DecodeConfig(beam_width=3, max_len=6))
    b = back.trace("the cat sleeps .", DecodeConfig(beam_width=3, max_len=6))
    assert a.output_tokens == b.output_tokens
    torch.testing.assert_close(torch.tensor(a.weights_matrix()), torch.tensor(b.weights_matrix()))
    assert back.meta["training"]["seconds"] == 1.0 and back.name == "m"


def test_fp16_weights_load_close_to_the_original(tmp_path):
    tr = make_translator(seed=3)
    save_model(tmp_path / "h", tr)
    back = load_model(tmp_path / "h")
    for (k, v), w in zip(tr.model.state_dict().items(), back.model.state_dict().values()):
        torch.testing.assert_close(v, w, atol=2e-3, rtol=2e-3, msg=k)


def test_list_models_and_lookup_by_name(saved, tmp_path):
    _, folder = saved
    (tmp_path / "not-a-model").mkdir()
    assert list_models(tmp_path) == ["m"]
    assert load_model("m", root=tmp_path).name == "m"
    with pytest.raises(CheckpointError, match="no model folder"):
        load_model("nope", root=tmp_path)


def damage(folder, how):
    weights, config = folder / "model.safetensors", folder / "config.json"
    if how == "missing weights":
        weights.unlink()
    elif how == "missing config":
        config.unlink()
    elif how == "truncated":
        weights.write_bytes(weights.read_bytes()[:-100])
    elif how == "flipped byte":
        data = bytearray(weights.read_bytes())
        data[len(data) // 2] ^= 0xFF
        weights.write_bytes(bytes(data))
    elif how == "bad json":
        config.write_text("{not json")
    elif how == "wrong shapes":  # a consistent hash, but the config asks for another size
        cfg = json.loads(config.read_text())
        cfg["model"]["emb_dim"] = 10
        config.write_text(json.dumps(cfg))
    elif how == "vocab mismatch":
        cfg = json.loads(config.read_text())
        cfg["tgt_vocab"] = cfg["tgt_vocab"][:-1]
        config.write_text(json.dumps(cfg))
    elif how == "unknown key":
        cfg = json.loads(config.read_text())
        cfg["model"]["evil"] = "__import__('os')"
        config.write_text(json.dumps(cfg))


@pytest.mark.parametrize(
    "how, message",
    [
        ("missing weights", "missing"),
        ("missing config", "missing"),
        ("truncated", "does not match the hash"),
        ("flipped byte", "does not match the hash"),
        ("bad json", "not valid JSON"),
        ("wrong shapes", "shape"),
        ("vocab mismatch", "vocabulary sizes"),
        ("unknown key", "unknown model config keys"),
    ],
)
def test_damaged_checkpoints_fail_clearly(saved, tmp_path, how, message):
    _, folder = saved
    copy = tmp_path / f"broken-{how.replace(' ', '-')}"
    shutil.copytree(folder, copy)
    damage(copy, how)
    with pytest.raises(CheckpointError, match=message) as err:
        load_model(copy)
    assert copy.name in str(err.value)


def test_truncated_weights_with_a_matching_hash_still_fail_clearly(saved):
    _, folder = saved
    weights, config = folder / "model.safetensors", folder / "config.json"
    weights.write_bytes(weights.read_bytes()[:50])
    import hashlib

    cfg = json.loads(config.read_text())
    cfg["weights_sha256"] = hashlib.sha256(weights.read_bytes()).hexdigest()
    config.write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError, match="cannot read"):
        load_model(folder)


def test_no_pickle_anywhere_in_the_package():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "seq2seq_viz"
    for path in root.rglob("*.py"):
        text = path.read_text()
        assert "import pickle" not in text and "torch.load(" not in text, path
