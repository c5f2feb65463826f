"""Model: teacher-forced forward equals looping step() by hand; training reduces the loss."""

from __future__ import annotations

import pytest
import torch

from seq2seq_viz.config import ModelConfig, TrainConfig
from seq2seq_viz.model import build_model
from seq2seq_viz.train import LoopState, batch_loss, batch_tensors


def batch(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    pairs = [
        (
            [int(x) for x in torch.randint(4, 14, (n,), generator=g)],
            [int(x) for x in torch.randint(4, 12, (m,), generator=g)],
        )
        for n, m in [(5, 4), (3, 6), (7, 2)]
    ]
    return batch_tensors(pairs, torch.device("cpu"))


CONFIGS = [
    dict(cell="gru", score="general", align="global"),
    dict(cell="lstm", score="concat", align="local-p", enc_layers=2, dec_layers=2),
    dict(cell="rnn", score="dot", align="local-m", bidirectional=False),
    dict(cell="gru", score="dot", align="none", self_attn=True, self_attn_heads=2),
    dict(cell="gru", score="general", align="hard"),
    dict(cell="lstm", score="dot", align="global", tie_output=False),
    dict(cell="gru", score="concat", align="local-p"),  # one layer: the fused training path
    dict(cell="rnn", score="general", align="global"),
]


@pytest.mark.parametrize("overrides", CONFIGS, ids=lambda c: f"{c['cell']}-{c['align']}")
def test_teacher_forced_forward_equals_stepping_by_hand(overrides):
    torch.manual_seed(0)
    cfg = ModelConfig(
        src_vocab_size=14, tgt_vocab_size=12, emb_dim=6, hidden_dim=8, dropout=0.0, **overrides
    )
    model = build_model(cfg).eval()
    src, lengths, tgt_in, _ = batch()
    with torch.no_grad():
        fwd = model(src, lengths, tgt_in)
        enc = model.encode(src, lengths)
        state, hidden = enc.init_state, model.initial_attn_hidden(src.size(0), src.device)
        for t in range(tgt_in.size(1)):
            out = model.decoder.step(tgt_in[:, t], hidden, state, enc, t=t)
            state, hidden = out.state, out.attn_hidden
            torch.testing.assert_close(fwd.logp[:, t], out.logp, atol=1e-5, rtol=1e-5)
            torch.testing.assert_close(fwd.weights[:, t], out.attn.weights)


def test_padding_does_not_change_a_sentence():
    torch.manual_seed(0)
    cfg = ModelConfig(
        src_vocab_size=14,
        tgt_vocab_size=12,
        emb_dim=6,
        hidden_dim=8,
        dropout=0.0,
        self_attn=True,
        self_attn_heads=2,
    )
    model = build_model(cfg).eval()
    src, lengths, tgt_in, _ = batch()
    with torch.no_grad():
        full = model(src, lengths, tgt_in).logp
        alone = model(src[1:2, : lengths[1]], lengths[1:2], tgt_in[1:2]).logp
    torch.testing.assert_close(full[1], alone[0], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("align", ["global", "hard", "none"])
def test_overfitting_one_batch_reduces_the_loss(align):
    torch.manual_seed(0)
    cfg = ModelConfig(
        src_vocab_size=14, tgt_vocab_size=12, emb_dim=16, hidden_dim=32, dropout=0.0, align=align
    )
    model = build_model(cfg)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    data, tc, loop = batch(), TrainConfig(), LoopState()
    losses = []
    for _ in range(60):
        loss, nll, _ = batch_loss(model, data, tc, 1.0, loop, torch.Generator().manual_seed(0))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(nll)
    assert losses[-1] < 0.3 * losses[0]


def test_hard_training_mixes_expected_and_sampled_updates():
    torch.manual_seed(0)
    cfg = ModelConfig(src_vocab_size=14, tgt_vocab_size=12, emb_dim=6, hidden_dim=8, align="hard")
    model = build_model(cfg).train()
    gen = torch.Generator().manual_seed(0)
    kinds = []
    for _ in range(40):
        loop = LoopState()
        batch_loss(model, batch(), TrainConfig(hard_expected=0.5), 1.0, loop, gen)
        kinds.append(loop.baseline != 0.0)  # the baseline moves only on sampled updates
    assert 10 <= sum(kinds) <= 30


def test_training_loss_equals_the_stepwise_forward_in_eval_mode():
    """batch_loss projects only real target positions through the fused path: in eval mode it
    must equal the mean NLL read off the step-by-step forward's log-probabilities."""
    torch.manual_seed(0)
    cfg = ModelConfig(src_vocab_size=14, tgt_vocab_size=12, emb_dim=6, hidden_dim=8)
    model = build_model(cfg).eval()
    data = batch()
    _, nll, n_tok = batch_loss(model, data, TrainConfig(label_smoothing=0.3), 1.0, LoopState())
    src, lengths, tgt_in, tgt_out = data
    with torch.no_grad():
        logp = model(src, lengths, tgt_in, tf_ratio=0.999).logp  # the step() path
    mask = tgt_out != 0
    ref = -logp.gather(2, tgt_out[..., None]).squeeze(2)[mask]
    assert n_tok == int(mask.sum())
    assert abs(nll - float(ref.mean())) < 1e-5


@pytest.mark.parametrize("overrides", CONFIGS[:4] + CONFIGS[5:], ids=lambda c: c["align"])
def test_training_gradients_equal_those_of_stepping_by_hand(overrides):
    """The trainer's arranged path (fused cell loop, sliced output loss) must give the same
    gradients as step() looped by hand with PyTorch's own label-smoothed cross-entropy."""
    import torch.nn.functional as F

    torch.manual_seed(0)
    cfg = ModelConfig(
        src_vocab_size=14, tgt_vocab_size=12, emb_dim=6, hidden_dim=8, dropout=0.0, **overrides
    )
    model = build_model(cfg).train()
    data = batch()
    loss, _, _ = batch_loss(model, data, TrainConfig(label_smoothing=0.1), 1.0, LoopState())
    loss.backward()
    mine = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    model.zero_grad()

    src, lengths, tgt_in, tgt_out = data
    enc = model.encode(src, lengths)
    state, hidden = enc.init_state, model.initial_attn_hidden(src.size(0), src.device)
    logps = []
    for t in range(tgt_in.size(1)):
        out = model.decoder.step(tgt_in[:, t], hidden, state, enc, t=t)
        state, hidden = out.state, out.attn_hidden
        logps.append(out.logp)
    mask = tgt_out != 0
    logp = torch.stack(logps, 1)[mask]  # (N,V) log-probabilities: as logits, the same softmax
    F.cross_entropy(logp, tgt_out[mask], label_smoothing=0.1).backward()
    theirs = {n: p.grad for n, p in model.named_parameters() if p.grad is not None}
    assert mine.keys() == theirs.keys()
    for name in mine:
        torch.testing.assert_close(mine[name], theirs[name], atol=1e-5, rtol=1e-4, msg=name)


def test_dropout_keeps_a_share_1_minus_p_and_the_expected_value():
    from seq2seq_viz.model import Dropout

    torch.manual_seed(0)
    x = torch.full((400, 500), 2.0)
    for p in (0.1, 0.2, 0.5):
        drop = Dropout(p).train()
        y = drop(x)
        kept = (y != 0).float().mean().item()
        assert abs(kept - (1 - p)) < 0.005, (p, kept)
        assert torch.allclose(y[y != 0], torch.tensor(2.0 / (1 - p)))
        assert abs(y.mean().item() - 2.0) < 0.02
        with torch.autocast("cpu", dtype=torch.bfloat16):
            assert drop(x.bfloat16()).dtype == torch.bfloat16
        assert torch.equal(drop.eval()(x), x)
    assert torch.equal(Dropout(1.0).train()(x), torch.zeros_like(x))
    assert torch.equal(Dropout(0.0).train()(x), x)
