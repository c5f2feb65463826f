"""Training: a few seconds on a toy task learns; resuming after an interruption is exact."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from seq2seq_viz import toy
from seq2seq_viz.checkpoints import load_model
from seq2seq_viz.config import ModelConfig, TrainConfig
from seq2seq_viz.model import build_model
from seq2seq_viz.text import EOS_ID, PAD_ID, SOS_ID, Vocab
from seq2seq_viz.train import batch_tensors, evaluate_loss, train_model

CPU = torch.device("cpu")


def toy_data(n: int = 600, seed: int = 0):
    examples = toy.make_reversal(n, seed=seed, min_len=3, max_len=6)
    vocab = Vocab.build([e.src for e in examples], min_freq=1)
    pairs = [(vocab.encode(e.src), vocab.encode(e.tgt)) for e in examples]
    return vocab, pairs[:500], pairs[500:]


def tiny_model(vocab: Vocab, seed: int = 0):
    torch.manual_seed(seed)
    return build_model(
        ModelConfig(
            src_vocab_size=len(vocab),
            tgt_vocab_size=len(vocab),
            emb_dim=16,
            hidden_dim=32,
            dropout=0.1,
            score="dot",
        )
    )


def test_resume_after_interruption_gives_the_same_state(tmp_path):
    vocab, train, valid = toy_data()
    tc = TrainConfig(batch_size=32, epochs=2, lr=5e-3, seed=3)
    straight = tiny_model(vocab)
    train_model(straight, train, valid, tc, tmp_path / "a", CPU, save_every=5, progress=False)
    resumed = tiny_model(vocab)
    loop = train_model(
        resumed, train, valid, tc, tmp_path / "b", CPU, save_every=5, max_steps=23, progress=False
    )  # "killed" in the middle of epoch 2
    assert loop.steps == 23 and not loop.done
    fresh = tiny_model(vocab, seed=99)  # a new process: different initial weights
    train_model(fresh, train, valid, tc, tmp_path / "b", CPU, save_every=5, progress=False)
    for (k, a), b in zip(straight.state_dict().items(), fresh.state_dict().values()):
        assert torch.equal(a, b), k


def test_a_short_toy_run_learns_and_saves_a_loadable_model(toy_model_dir):
    out = toy_model_dir
    tr = load_model(out)
    history = tr.meta["training"]["history"]
    assert history[-1]["valid_nll"] < 0.5 * history[0]["valid_nll"]
    examples = toy.make_reversal(50, seed=12345, min_len=3, max_len=6)
    correct = sum(tr.trace(" ".join(e.src)).output_tokens == e.tgt for e in examples)
    assert correct >= 30, correct  # chance is ~0 for 3-6 random letters out of 20
    untrained_loss = evaluate_loss(tiny_model(toy_data()[0]), toy_data()[2], 32, CPU)
    assert history[-1]["valid_nll"] < untrained_loss


def test_mixed_precision_learns_as_float32_does_and_keeps_float32_weights(tmp_path):
    """--precision bfloat16: the forward runs under autocast, the weights stay float32, and the
    model learns the toy task about as well as in float32 (validation measured in float32)."""
    vocab, train, valid = toy_data()
    losses = {}
    for precision in ("float32", "bfloat16"):
        model = tiny_model(vocab)
        before = evaluate_loss(model, valid, 64, CPU)
        tc = TrainConfig(batch_size=32, epochs=6, lr=1e-2, seed=3, precision=precision)
        train_model(model, train, valid, tc, tmp_path / precision, CPU, progress=False)
        assert all(p.dtype == torch.float32 for p in model.parameters())
        losses[precision] = evaluate_loss(model, valid, 64, CPU)
        assert losses[precision] < 0.6 * before, (precision, before, losses)
    assert abs(losses["bfloat16"] - losses["float32"]) < 0.15 * losses["float32"], losses


def test_an_unknown_precision_is_refused(tmp_path):
    vocab, train, valid = toy_data(n=520)
    tc = TrainConfig(batch_size=32, epochs=1, precision="float16")
    with pytest.raises(ValueError, match="precision"):
        train_model(tiny_model(vocab), train, valid, tc, tmp_path, CPU, progress=False)


def test_batch_tensors_pad_and_shift_each_sentence():
    """Source rows padded; the decoder reads <sos> y_1..y_n and predicts y_1..y_n <eos>."""
    pairs = [([5, 6, 7], [8]), ([9], []), ([10, 11], [12, 13, 14])]
    src, lengths, tgt_in, tgt_out = batch_tensors(pairs, torch.device("cpu"))
    P, S, E = PAD_ID, SOS_ID, EOS_ID
    assert src.tolist() == [[5, 6, 7], [9, P, P], [10, 11, P]]
    assert lengths.tolist() == [3, 1, 2]
    assert tgt_in.tolist() == [[S, 8, P, P], [S, P, P, P], [S, 12, 13, 14]]
    assert tgt_out.tolist() == [[8, E, P, P], [E, P, P, P], [12, 13, 14, E]]
    assert src.dtype == tgt_in.dtype == torch.long


def test_a_continued_schedule_picks_up_the_plateau_rule_where_it_stood():
    from seq2seq_viz.train import continued_schedule

    rows = [{"epoch": 1, "valid_nll": 2.0, "lr": 2e-3}, {"epoch": 2, "valid_nll": 1.5, "lr": 2e-3}]
    improving = {"history": rows, "best_valid_nll": 1.5, "best_epoch": 2, "epochs_run": 2}
    start = continued_schedule(improving, 0.5)
    assert (start.best_valid, start.bad_epochs, start.lr, start.epoch) == (1.5, 0, 2e-3, 0)
    worse = rows + [{"epoch": 3, "valid_nll": 1.6, "lr": 2e-3}]
    stalled = {"history": worse, "best_valid_nll": 1.5, "best_epoch": 2, "epochs_run": 3}
    start = continued_schedule(stalled, 0.5)  # epoch 3 made no progress: the rate is halved
    assert (start.best_valid, start.bad_epochs, start.lr) == (1.5, 1, 1e-3)
    with pytest.raises(ValueError):
        continued_schedule({"history": []}, 0.5)
    unrated = stalled["history"][:-1] + [{"epoch": 3, "valid_nll": 1.6}]  # an older record
    with pytest.raises(ValueError):  # never a rate from an earlier epoch than the last
        continued_schedule({**stalled, "history": unrated}, 0.5)


def test_a_stage_that_cannot_beat_the_earlier_best_stops_on_patience_with_its_start_weights(
    tmp_path,
):
    from seq2seq_viz.train import LoopState

    vocab, train, valid = toy_data()
    model = tiny_model(vocab)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    tc = TrainConfig(batch_size=32, epochs=5, lr=5e-3, seed=3, patience=2)
    start = LoopState(best_valid=0.0, bad_epochs=1, lr=1e-3)  # a loss of 0 cannot be beaten
    loop = train_model(model, train, valid, tc, tmp_path, CPU, progress=False, start=start)
    assert loop.epoch == 1 and loop.done and loop.best_epoch == -1
    assert loop.history[0]["lr"] == 1e-3  # the epoch ran at the continued rate, not tc.lr
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k  # the weights it started from, not the trained ones


def test_going_on_with_a_rule_that_has_already_stopped_runs_no_epoch(tmp_path):
    from seq2seq_viz.train import LoopState

    vocab, train, valid = toy_data()
    tc = TrainConfig(batch_size=32, epochs=5, lr=5e-3, seed=3, patience=2, min_lr=1e-5)
    for start in (LoopState(best_valid=1.0, bad_epochs=2, lr=1e-3), LoopState(lr=5e-6)):
        model = tiny_model(vocab)
        before = {k: v.clone() for k, v in model.state_dict().items()}
        loop = train_model(model, train, valid, tc, tmp_path / str(start.lr), CPU,
                           progress=False, start=start)  # fmt: skip
        assert loop.done and loop.epoch == 0 and loop.steps == 0 and loop.history == []
        assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())


def test_a_run_its_deadline_cut_short_goes_on_under_a_later_deadline(tmp_path):
    """The deadline ends a run mid-epoch (that epoch is kept, marked partial); the same command
    with the same past deadline runs nothing more, with a later one it goes on to its limit."""
    vocab, train, valid = toy_data()
    past = TrainConfig(batch_size=32, epochs=3, lr=5e-3, seed=3, deadline=1.0)
    loop = train_model(tiny_model(vocab), train, valid, past, tmp_path, CPU, progress=False)
    assert loop.done and loop.steps == 1 and [h["partial"] for h in loop.history] == [True]
    again = train_model(tiny_model(vocab), train, valid, past, tmp_path, CPU, progress=False)
    assert again.steps == 1 and len(again.history) == 1
    later = replace(past, deadline=None)  # no deadline: the rest of its epochs
    loop = train_model(tiny_model(vocab), train, valid, later, tmp_path, CPU, progress=False)
    assert loop.epoch == 3 and [h["partial"] for h in loop.history] == [True, False, False]
    assert loop.steps == 1 + 2 * 16  # 500 pairs in batches of 32: 16 an epoch


def test_a_run_the_plateau_rule_stopped_stays_stopped_when_run_again(tmp_path):
    vocab, train, valid = toy_data()
    tc = TrainConfig(batch_size=32, epochs=50, lr=5e-3, seed=3, patience=1, min_lr=1e-3)
    loop = train_model(tiny_model(vocab), train, valid, tc, tmp_path, CPU, progress=False)
    assert loop.done and loop.epoch < 50  # the rate fell below its floor, or an epoch was lost
    again = train_model(tiny_model(vocab), train, valid, tc, tmp_path, CPU, progress=False)
    assert (again.epoch, again.steps, len(again.history)) == (loop.epoch, loop.steps, loop.epoch)


def test_the_training_command_line_takes_its_defaults_from_train_config():
    """No training option given: exactly TrainConfig(), whose defaults are the recipe's
    (patience 3, label smoothing 0.1, rate halved on a plateau down to 1e-5)."""
    import dataclasses

    from seq2seq_viz.train import parse_args, train_config_from_args

    plain = train_config_from_args(parse_args(["--out", "x"]))
    assert plain == TrainConfig()
    assert (plain.patience, plain.label_smoothing, plain.lr_decay, plain.min_lr) == (
        3, 0.1, 0.5, 1e-5,
    )  # fmt: skip
    assert plain.max_minutes is None and plain.deadline is None  # None: no limit
    for f in dataclasses.fields(TrainConfig):  # every field the CLI offers reaches the config
        if not f.metadata.get("cli", True):
            continue
        flag = f.metadata.get("flag") or "--" + f.name.replace("_", "-")
        value = "bfloat16" if f.name == "precision" else "7"
        got = train_config_from_args(parse_args(["--out", "x", flag, value]))
        assert getattr(got, f.name) == type(getattr(got, f.name))(value), f.name


def test_a_time_budget_without_patience_leaves_the_plateau_rule_no_patience():
    from seq2seq_viz.train import parse_args, train_config_from_args

    timed = train_config_from_args(parse_args(["--out", "x", "--max-minutes", "6.8"]))
    assert timed.max_minutes == 6.8 and timed.patience is None
    both = train_config_from_args(parse_args("--out x --deadline 9 --patience 2".split()))
    assert both.patience == 2
    unlimited = train_config_from_args(parse_args("--out x --patience none --epochs none".split()))
    assert unlimited.patience is None and unlimited.epochs is None
    with pytest.raises(ValueError, match="patience"):
        TrainConfig(patience=0)  # "no limit" is None, not a number standing for it
    with pytest.raises(SystemExit):  # the command line says so as a usage error
        parse_args(["--out", "x", "--max-minutes", "0"])
