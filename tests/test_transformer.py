"""The Transformer: its step equals its teacher-forced pass, every traced number equals an
independent NumPy recomputation from the saved weights, and PyTorch's own
scaled_dot_product_attention agrees with the traced heads."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from safetensors.numpy import load_file

from seq2seq_viz.checkpoints import PRETRAINED_DIR, WEIGHTS, load_model, save_model
from seq2seq_viz.config import DecodeConfig, TransformerConfig, model_config_from_dict
from seq2seq_viz.decode import Translator
from seq2seq_viz.model import build_model
from seq2seq_viz.text import EOS_ID
from seq2seq_viz.trace import DecodeTrace
from seq2seq_viz.train import warmup_factor
from tests import np_transformer
from tests.conftest import tiny_vocabs

CONFIGS = [
    dict(d_model=16, heads=2, ffn_dim=24, enc_layers=2, dec_layers=2),
    dict(d_model=12, heads=3, ffn_dim=8, enc_layers=1, dec_layers=3),
]
TEXT = "the black cat is sleeping ."


def make_transformer(seed: int = 0, **overrides) -> Translator:
    src, tgt = tiny_vocabs()
    cfg = TransformerConfig(
        src_vocab_size=len(src), tgt_vocab_size=len(tgt), dropout=0.0, **overrides
    )
    torch.manual_seed(seed)
    model = build_model(cfg).eval()
    with torch.no_grad():  # a random model rarely says <eos>: make it likelier
        model.decoder.out_bias[EOS_ID] = 0.5
    return Translator(model, src, tgt, name="tiny-transformer")


def test_config_round_trip_and_dispatch():
    cfg = TransformerConfig(src_vocab_size=10, tgt_vocab_size=11, d_model=8, heads=2)
    data = cfg.to_dict()
    assert data["arch"] == "transformer" and "align" not in data
    assert model_config_from_dict(data) == cfg
    with pytest.raises(ValueError):
        TransformerConfig(src_vocab_size=10, tgt_vocab_size=11, d_model=10, heads=3)


@pytest.mark.parametrize("overrides", CONFIGS)
def test_step_by_step_equals_teacher_forced(overrides):
    tr = make_transformer(**overrides)
    src = torch.tensor([[5, 6, 7, 8], [9, 10, 11, 0]])
    tgt = torch.tensor([[1, 5, 6, 7, 8], [1, 9, 10, 0, 0]])
    with torch.no_grad():
        enc = tr.model.encode(src, torch.tensor([4, 3]))
        whole = tr.model.decoder.teacher_forced(tgt, enc)
        state, zs = None, []
        for t in range(tgt.size(1)):
            out = tr.model.decoder.step(tgt[:, t], None, state, enc, t)
            state = out.state
            zs.append(out.attn_hidden)
    torch.testing.assert_close(torch.stack(zs, 1), whole.attn_hidden, atol=1e-5, rtol=1e-5)


def _weights_of(folder) -> dict:
    return load_file(str(folder / WEIGHTS))


@pytest.mark.parametrize("overrides", CONFIGS)
@pytest.mark.parametrize("mode", ["greedy", "beam", "teacher"])
def test_trace_equals_numpy_from_saved_weights(tmp_path, overrides, mode):
    saved = save_model(tmp_path / "m", make_transformer(seed=3, **overrides), half=False)
    _check_against_numpy(saved, mode, TEXT, "le chat noir dort .")


@pytest.mark.parametrize("mode", ["greedy", "beam", "teacher"])
def test_the_shipped_transformer_equals_numpy_from_its_weights(mode):
    """The model users meet: its float16 file read by NumPy, a 12-token sentence."""
    _check_against_numpy(
        PRETRAINED_DIR / "transformer",
        mode,
        "I think that Tom is going to be late for the meeting tomorrow.",
        "je pense que tom va être en retard pour la réunion demain.",
    )


def _check_against_numpy(saved, mode: str, text: str, reference: str) -> None:
    tr = load_model(saved)
    if mode == "teacher":
        trace = tr.trace(text, reference=reference)
    else:
        trace = tr.trace(text, DecodeConfig(beam_width=4 if mode == "beam" else 1))
    assert trace.steps
    cfg = tr.config.to_dict()
    tgt_in = [s.input_id for s in trace.steps]
    ref = np_transformer.forward(_weights_of(saved), cfg, list(trace.src_ids), tgt_in)
    close = dict(atol=2e-4, rtol=2e-4)
    vec = trace.vectors["transformer"]
    np.testing.assert_allclose(trace.enc_states, ref["memory"], **close)
    np.testing.assert_allclose(vec["enc_self_weights"], ref["enc_self"], **close)
    np.testing.assert_allclose(vec["cross_k"], np.stack([c["k"] for c in ref["cross"]]), **close)
    np.testing.assert_allclose(vec["cross_v"], np.stack([c["v"] for c in ref["cross"]]), **close)
    for t, step in enumerate(trace.steps):
        x = step.extras["transformer"]
        for name, key in (("cross_q", "q"), ("cross_scores", "scores")):
            want = np.stack([c[key][:, t] for c in ref["cross"]])
            np.testing.assert_allclose(x[name], want, **close)
        want = np.stack([c["weights"][:, t] for c in ref["cross"]])
        np.testing.assert_allclose(x["cross_weights"], want, **close)
        np.testing.assert_allclose(
            x["cross_heads"], np.stack([c["o"][:, t] for c in ref["cross"]]), **close
        )
        np.testing.assert_allclose(
            x["self_weights"], np.stack([s["weights"][:, t, : t + 1] for s in ref["self"]]), **close
        )
        last = ref["cross"][-1]
        np.testing.assert_allclose(step.weights, last["weights"][:, t].mean(0), **close)
        np.testing.assert_allclose(step.context, last["o"][:, t].reshape(-1), **close)
        np.testing.assert_allclose(step.attn_pre, ref["cross_out"][t], **close)
        np.testing.assert_allclose(step.attn_hidden, ref["z"][t], **close)
        np.testing.assert_allclose(step.logp, ref["logp"][t, step.token_id], **close)
        top = np.exp(ref["logp"][t, step.topk_ids])
        np.testing.assert_allclose(step.topk_probs, top, **close)
        e = np.exp(step.scores - step.scores.max())  # softmax(scores) = the mean weights
        np.testing.assert_allclose(e / e.sum(), step.weights, atol=1e-6)


@pytest.mark.parametrize("shipped", [False, True])
def test_sdpa_agrees_with_the_traced_heads(shipped):
    if shipped:
        tr = load_model(PRETRAINED_DIR / "transformer")
        trace = tr.trace("The children are playing in the park while their parents are talking.")
    else:
        trace = make_transformer(seed=5, **CONFIGS[0]).trace(TEXT)
    vec = trace.vectors["transformer"]
    for step in trace.steps:
        x = step.extras["transformer"]
        q = torch.tensor(x["cross_q"])[:, :, None]  # (L,n,1,d)
        k, v = torch.tensor(vec["cross_k"]), torch.tensor(vec["cross_v"])  # (L,n,S,d)
        out = F.scaled_dot_product_attention(q, k, v)[:, :, 0]
        np.testing.assert_allclose(out.numpy(), x["cross_heads"], atol=1e-5, rtol=1e-5)
        scale = 1 / np.sqrt(q.shape[-1])  # its scores: q.k / sqrt(d_k), as traced
        scores = (q @ k.transpose(-1, -2))[:, :, 0] * scale
        np.testing.assert_allclose(scores.numpy(), x["cross_scores"], atol=1e-4, rtol=1e-5)


def test_beam_of_one_is_greedy_and_every_mode_round_trips():
    tr = make_transformer(seed=3, **CONFIGS[0])
    greedy = tr.trace(TEXT)
    beam1 = tr.trace(TEXT, DecodeConfig(beam_width=1))
    assert greedy.output_tokens == beam1.output_tokens
    beam = tr.trace(TEXT, DecodeConfig(beam_width=5))
    assert beam.n_steps > 3 and beam.hypotheses
    best = beam.hypotheses[0]
    assert [s.token_id for s in beam.steps][: len(best.token_ids)] == best.token_ids
    prefix = tr.trace(TEXT, prefix=["le"])
    assert prefix.steps[0].token == "le" and prefix.steps[0].forced
    sample = tr.trace(TEXT, DecodeConfig(n_samples=3, sample_temperature=1.0))
    assert len(sample.samples) == 3
    for trace in (greedy, beam, prefix, sample):
        again = DecodeTrace.from_json(trace.to_json())
        assert again.to_json() == trace.to_json()


def test_attention_edits_say_they_do_not_apply():
    tr = make_transformer(seed=2, **CONFIGS[0])
    with pytest.raises(ValueError, match="Transformer"):
        tr.trace(TEXT, DecodeConfig(masked_positions=(0,)))


def test_warmup_then_inverse_square_root():
    from seq2seq_viz.config import TrainConfig

    tc = TrainConfig(warmup_steps=100)
    assert warmup_factor(tc, 50) == pytest.approx(0.5)
    assert warmup_factor(tc, 100) == pytest.approx(1.0)
    assert warmup_factor(tc, 400) == pytest.approx(0.5)
    assert warmup_factor(TrainConfig(), 7) == 1.0


def test_cli_trains_a_transformer_and_the_loss_falls(tmp_path):
    from seq2seq_viz.train import main

    out = tmp_path / "toy-transformer"
    args = "--toy reverse --toy-size 600 --arch transformer --d-model 32 --heads 2 --ffn 64 "
    args += "--enc-layers 1 --dec-layers 1 --epochs 3 --batch-size 32 --lr 3e-3 --warmup 20 "
    args += "--threads 1 --quiet --patience 5"
    assert main([*args.split(), "--out", str(out), "--run-dir", str(tmp_path / "run")]) == 0
    tr = load_model(out)
    assert isinstance(tr.config, TransformerConfig)
    history = tr.meta["training"]["history"]
    assert history[-1]["valid_nll"] < history[0]["valid_nll"]
    assert tr.trace("1 2 3").steps


def test_transformer_figures_draw_the_traces_numbers():
    from seq2seq_viz.figures import transformer as tfig
    from tests.conftest import make_translator

    tr = make_transformer(seed=3, **CONFIGS[0])
    trace = tr.trace(TEXT)
    x = trace.steps[1].extras["transformer"]
    bars = tfig.head_bars_figure(trace, 1, 1, 0)
    np.testing.assert_allclose(bars.data[0].y, x["cross_scores"][1][0])
    bars = tfig.head_bars_figure(trace, 1, 0, 1, what="weights")
    np.testing.assert_allclose(bars.data[0].y, x["cross_weights"][0][1])
    values = tfig.head_values_figure(trace, 1, 1, 1)
    z = np.asarray(values.data[0].z)
    np.testing.assert_allclose(z[-1], x["cross_heads"][1][1], atol=1e-6)
    np.testing.assert_allclose(z[:-1].sum(0), x["cross_heads"][1][1], atol=1e-5)
    grid = tfig.head_grid_figure(trace, 1)
    np.testing.assert_allclose(np.asarray(grid.data[0].z), x["cross_weights"].reshape(4, -1))
    enc = tfig.encoder_self_figure(trace, 1)
    weights = trace.vectors["transformer"]["enc_self_weights"]
    for h, panel in enumerate(enc.data):
        np.testing.assert_allclose(np.asarray(panel.z), weights[1, h])
    heads = tfig.head_heatmaps_figure(trace, 1)
    mean = np.asarray(heads.data[-1].z)
    np.testing.assert_allclose(mean, trace.weights_matrix(), atol=1e-6)
    with pytest.raises(ValueError, match="layer 3"):
        tfig.head_bars_figure(trace, 0, 2, 0)
    with pytest.raises(ValueError, match="out of range"):
        tfig.head_grid_figure(trace, trace.n_steps)
    with pytest.raises(ValueError, match="not a Transformer"):
        tfig.head_grid_figure(make_translator(seed=1).trace(TEXT), 0)


def test_questions_ask_a_transformer_only_what_its_trace_answers():
    from seq2seq_viz.questions import questions_for

    trace = make_transformer(seed=3, **CONFIGS[0]).trace(TEXT)
    kinds = {q.kind for q in questions_for(trace)}
    assert "next_word" in kinds
    assert not kinds & {"attention_top", "sharper"}  # no single attention to ask about


def test_decoding_logits_equal_the_plain_product_and_follow_weight_changes():
    dec = make_transformer(seed=4, **CONFIGS[0]).model.decoder
    z = torch.randn(3, CONFIGS[0]["d_model"])
    want = F.linear(z, dec.embed.weight, dec.out_bias)
    with torch.inference_mode():
        torch.testing.assert_close(dec.logits(z), want, atol=1e-5, rtol=1e-5)
    with torch.no_grad():
        dec.embed.weight.mul_(2.0)  # an optimizer's in-place update: the copy must follow
    with torch.inference_mode():
        got = dec.logits(z)
    torch.testing.assert_close(got, F.linear(z, dec.embed.weight, dec.out_bias).detach())


@pytest.mark.parametrize("overrides", CONFIGS)
def test_parallel_replay_records_what_the_steps_record(overrides):
    """A beam's best path and a reference are recorded from one parallel pass: every field of
    every step equals the step-by-step loop's (same words, same numbers)."""
    tr = make_transformer(seed=6, **overrides)
    words = tuple(s.token_id for s in tr.trace(TEXT, DecodeConfig(beam_width=3)).steps)
    source = tr.encode_text(TEXT)
    enc = tr.encode(source)
    with torch.inference_mode():
        loop = tr._record(enc, DecodeConfig(), forced=words, imposed=1)  # the step() loop
        fast = tr._record(enc, DecodeConfig(), forced=words, imposed=1, stop_after_forced=True)
    assert [s.token for s in fast] == [s.token for s in loop] and len(fast) == len(words)
    for a, b in zip(loop, fast):
        assert (a.t, a.input_id, a.forced, list(a.topk_ids)) == (b.t, b.input_id, b.forced,
                                                                 list(b.topk_ids))  # fmt: skip
        for name in ("dec_state", "weights", "context", "attn_pre", "attn_hidden", "topk_probs"):
            np.testing.assert_allclose(getattr(b, name), getattr(a, name), atol=1e-5, rtol=1e-5)
        for key, value in a.extras["transformer"].items():
            np.testing.assert_allclose(b.extras["transformer"][key], value, atol=1e-5, rtol=1e-5)
        assert b.logp == pytest.approx(a.logp, abs=1e-5)
