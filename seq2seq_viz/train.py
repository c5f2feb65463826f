"""Train a model: ``python -m seq2seq_viz.train --data FILE --out pretrained/NAME [options]``.

Batches are bucketed by source length, packed, and masked (no loss on padding). Adam with gradient
clipping, dropout, teacher forcing with a linear schedule, early stopping on validation loss, a
fixed seed, CUDA when present. Hard attention is trained with REINFORCE (Xu et al. 2015): the
reward of a sentence is its mean target log-likelihood R = (1/T) sum_t log p(y_t | i*_<=t, x); the
sampled positions' log-probabilities get the gradient (R - b) * grad sum_t log pi_t(i*_t), where b
is a moving average of R (variance reduction), plus an entropy bonus on pi_t. With
``--hard-expected P`` a share P of the updates uses the expected context sum_i pi_ti h_i instead of
a sample (Xu et al. 2015, section 4.1), which lowers the variance further.

Resuming: ``--run-dir`` holds ``resume.safetensors`` (model, optimiser and RNG tensors; the loop's
counters as JSON metadata), written atomically (temporary file + rename) every ``--save-every``
batches and at every epoch end. Rerunning the same command continues where it stopped.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from tqdm import tqdm

from . import corpus
from .attention import StepOptions
from .checkpoints import atomic_write_bytes, load_model, save_model
from .config import PRECISIONS, ModelConfig, TrainConfig, TransformerConfig
from .data import bucket_batches
from .decode import Translator
from .losses import output_loss
from .model import Seq2Seq, build_model, pick_device
from .text import EOS_ID, PAD_ID, SOS_ID

RESUME = "resume.safetensors"


@dataclass
class LoopState:
    """Everything about the loop that is not a tensor (saved as JSON)."""

    epoch: int = 0
    batch: int = 0  # batches done within the epoch
    steps: int = 0
    seconds: float = 0.0
    tokens: int = 0
    best_valid: float = math.inf
    best_epoch: int = -1
    bad_epochs: int = 0
    baseline: float = 0.0
    lr: float = 0.0  # the learning rate now (decayed on plateaus)
    done: bool = False
    history: list[dict[str, float]] = field(default_factory=list)


def continued_schedule(training: dict[str, Any], lr_decay: float) -> LoopState:
    """Where an earlier stage's plateau rule stood when it ended, for a stage that goes on from
    its best weights (`--continue-schedule`): its best validation loss is the one to beat, the
    epochs it ran since that best count towards the patience, and the learning rate is the one
    its next epoch would have used (its last epoch's rate, times `lr_decay` if that epoch made
    no progress). A stage that never beats the earlier best ends with the weights it started
    from; one whose rule had already stopped (patience used up, or the rate below `min_lr`) runs
    no epoch, so models offered the same larger limit stay comparable."""
    history = training.get("history") or []
    best, best_epoch = training.get("best_valid_nll"), training.get("best_epoch")
    epochs = training.get("epochs_run")
    last = history[-1].get("lr") if history else None  # the rate of its last epoch
    if not all(isinstance(v, (int, float)) for v in (best, best_epoch, epochs, last)):
        raise ValueError("the earlier record lacks its last rate, best loss or epoch count")
    bad = max(0, int(epochs) - int(best_epoch))
    lr = float(last) * (lr_decay if bad else 1.0)
    return LoopState(best_valid=float(best), bad_epochs=bad, lr=lr)


def batch_tensors(
    pairs: list[tuple[list[int], list[int]]], device: torch.device
) -> tuple[torch.Tensor, ...]:
    """(src ids, tgt ids) pairs -> src (B,S), lengths (B,), tgt_in (B,T), tgt_out (B,T).

    Each row is written through a mask in one assignment (row-major, as the ids are listed),
    not one tensor per sentence."""
    lengths = torch.tensor([len(s) for s, _ in pairs])
    steps = torch.tensor([len(t) + 1 for _, t in pairs])  # target words + <eos> (or <sos>)
    S, T = int(lengths.max()), int(steps.max())
    src = torch.full((len(pairs), S), PAD_ID, dtype=torch.long)
    tgt_in = torch.full((len(pairs), T), PAD_ID, dtype=torch.long)
    tgt_out = torch.full((len(pairs), T), PAD_ID, dtype=torch.long)
    src[torch.arange(S) < lengths.unsqueeze(1)] = _longs([i for s, _ in pairs for i in s])
    rows = torch.arange(T) < steps.unsqueeze(1)
    tgt_in[rows] = _longs([i for _, t in pairs for i in (SOS_ID, *t)])
    tgt_out[rows] = _longs([i for _, t in pairs for i in (*t, EOS_ID)])
    return src.to(device), lengths.to(device), tgt_in.to(device), tgt_out.to(device)


def _longs(values: list[int]) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.long)


def batch_loss(
    model: Seq2Seq,
    batch: tuple[torch.Tensor, ...],
    tc: TrainConfig,
    tf_ratio: float,
    state: LoopState,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, float, int]:
    """Loss to minimise, the mean NLL per target token, and the token count.

    Loss = (1 - eps) NLL + eps * (cross-entropy with the uniform distribution) per real target
    token (label smoothing, eps = tc.label_smoothing), plus REINFORCE terms for hard attention.
    With full teacher forcing, only the real (non-padding) positions are projected onto the
    vocabulary, a slice of them at a time, with their gradients (losses.py)."""
    src, lengths, tgt_in, tgt_out = batch
    hard = model.cfg.align == "hard" and model.training
    expected = hard and float(torch.rand((), generator=generator)) < tc.hard_expected
    options = StepOptions(sample=hard and not expected, generator=generator, expected=expected)
    mask = tgt_out != PAD_ID  # (B,T)
    gold = tgt_out[mask]  # (N,)
    eps = tc.label_smoothing if model.training else 0.0
    if tf_ratio >= 1.0:
        enc = model.encode(src, lengths)
        tf = model.decoder.teacher_forced(tgt_in, enc, options=options)
        x, weight, bias = model.decoder.output_inputs(tf.attn_hidden[mask])
        loss_sum, nll_tok = output_loss(x, weight, bias, gold, eps)
        sampled_logpi, soft_entropy = tf.sampled_logpi, tf.soft_entropy
    else:
        out = model(
            src,
            lengths,
            tgt_in,
            tf_ratio=tf_ratio,
            options=options,
        )
        logp = out.logp[mask]  # (N,V)
        nll_tok = -logp.gather(1, gold.unsqueeze(1)).squeeze(1)
        smooth_tok = -logp.mean(dim=1)
        loss_sum = ((1 - eps) * nll_tok + eps * smooth_tok).sum()
        sampled_logpi, soft_entropy = out.sampled_logpi, out.soft_entropy
    n_tok = int(gold.numel())
    loss = loss_sum / n_tok
    nll_sum = float(nll_tok.detach().sum())
    if hard and sampled_logpi is not None:
        nll = torch.zeros(mask.shape, dtype=nll_tok.dtype, device=nll_tok.device)
        nll = nll.masked_scatter(mask, nll_tok.detach())  # (B,T)
        reward = -(nll.sum(1) / mask.sum(1))  # (B,) mean log-likelihood per sentence
        advantage = reward - state.baseline
        state.baseline = tc.baseline_decay * state.baseline + (1 - tc.baseline_decay) * float(
            reward.mean()
        )
        logpi = (sampled_logpi * mask).sum(1)  # (B,)
        entropy = (soft_entropy * mask).sum() / n_tok
        loss = loss - tc.reinforce_weight * (advantage * logpi).mean() / mask.sum(1).float().mean()
        loss = loss - tc.entropy_weight * entropy
    return loss, nll_sum / n_tok, n_tok


@torch.no_grad()
def evaluate_loss(
    model: Seq2Seq, data: list[tuple[list[int], list[int]]], batch_size: int, device: torch.device
) -> float:
    """Mean NLL per target token (teacher forced; argmax positions for hard attention)."""
    model.eval()
    total, count = 0.0, 0
    for idx in bucket_batches([len(s) for s, _ in data], batch_size, seed=0, shuffle=False):
        batch = batch_tensors([data[i] for i in idx], device)
        _, nll, n = batch_loss(model, batch, TrainConfig(), 1.0, LoopState())
        total, count = total + nll * n, count + n
    model.train()
    return total / max(count, 1)


def mixed_precision(tc: TrainConfig, device: torch.device) -> torch.autocast:
    """The forward pass's precision: autocast to bfloat16 when tc.precision asks for it (on a
    CPU with AMX or AVX-512 BF16, or a GPU), otherwise a no-op. The backward pass follows the
    types the forward chose; the weights and Adam's state stay float32."""
    if tc.precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {tc.precision!r}")
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=tc.precision == "bfloat16")


def warmup_factor(tc: TrainConfig, step: int) -> float:
    """The share of the rate at update `step` (1-based): min(step / w, sqrt(w / step)) with
    w = tc.warmup_steps (linear warm-up, then inverse square-root decay), 1 without warm-up."""
    w = tc.warmup_steps
    if w <= 0:
        return 1.0
    step = max(step, 1)
    return min(step / w, math.sqrt(w / step))


def tf_ratio_for(tc: TrainConfig, epoch: int) -> float:
    """The teacher forcing ratio of an epoch: tc.teacher_forcing at the start, linearly down to
    tc.teacher_forcing_min at the last epoch (no schedule without both)."""
    if tc.teacher_forcing_min is None or tc.epochs is None or tc.epochs <= 1:
        return tc.teacher_forcing
    frac = min(epoch / (tc.epochs - 1), 1.0)
    return tc.teacher_forcing + frac * (tc.teacher_forcing_min - tc.teacher_forcing)


# ----------------------------------------------------------------------------- resume files


def save_resume(
    run_dir: Path,
    model: Seq2Seq,
    opt: torch.optim.Optimizer,
    loop: LoopState,
    best: dict[str, torch.Tensor],
) -> None:
    tensors = {f"model.{k}": v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    tensors.update({f"best.{k}": v.cpu().contiguous() for k, v in best.items()})
    for i, st in enumerate(opt.state_dict()["state"].values()):
        for k, v in st.items():
            tensors[f"opt.{i}.{k}"] = torch.as_tensor(v).detach().cpu().contiguous()
    tensors["rng.torch"] = torch.get_rng_state()
    meta = {"loop": json.dumps(asdict(loop))}
    run_dir.mkdir(parents=True, exist_ok=True)
    tmp = run_dir / f".{RESUME}.tmp"
    save_file(tensors, str(tmp), metadata=meta)
    os.replace(tmp, run_dir / RESUME)


def load_resume(
    run_dir: Path, model: Seq2Seq, opt: torch.optim.Optimizer
) -> tuple[LoopState, dict[str, torch.Tensor]] | None:
    path = run_dir / RESUME
    if not path.is_file():
        return None
    with safe_open(str(path), "pt") as fh:
        loop = LoopState(**json.loads(fh.metadata()["loop"]))
    tensors = load_file(str(path))
    model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
    best = {k[5:]: v for k, v in tensors.items() if k.startswith("best.")}
    opt_state = opt.state_dict()
    for i, pid in enumerate(opt_state["param_groups"][0]["params"]):
        keys = [k for k in tensors if k.startswith(f"opt.{i}.")]
        if keys:
            opt_state["state"][pid] = {k.split(".", 2)[2]: tensors[k] for k in keys}
    opt.load_state_dict(opt_state)
    torch.set_rng_state(tensors["rng.torch"])
    return loop, best


# ----------------------------------------------------------------------------- the loop


def train_model(
    model: Seq2Seq,
    train: list,
    valid: list,
    tc: TrainConfig,
    run_dir: Path,
    device: torch.device,
    *,
    save_every: int | None = 200,
    max_steps: int | None = None,
    progress: bool = True,
    on_step: Callable[[LoopState, float], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    start: LoopState | None = None,
) -> LoopState:
    """Train (resuming from run_dir if possible); leaves the best weights loaded in `model`.

    The resume file is written every `save_every` updates (None: only at epoch ends and
    stops); `max_steps` (None: no limit) ends the run after that many updates, resumable.
    `on_step(loop, nll)` is called after every update (the live-training page records its
    curves there). When `should_stop()` turns true after an update, the trainer saves its resume
    file and returns like at `max_steps` (the model keeps its current weights); calling it again
    with the same run_dir continues, as does calling it again with a later `deadline` (or more
    `max_minutes`) after the budget ended the run (the cut epoch stays in the history, marked
    partial; once the plateau rule has stopped a run, it holds). `start` is where a new run's
    loop begins (default: epoch 0 at `tc.lr`, nothing to beat; see `continued_schedule`); a
    resume file wins over it."""
    torch.manual_seed(tc.seed)
    opt = make_optimizer(model, tc)
    precision = mixed_precision(tc, device)  # checked once; entered for every batch
    loop, best = _start_loop(model, opt, tc, run_dir, start)
    hooks = _Hooks(
        save_every=save_every,
        max_steps=max_steps,
        progress=progress,
        on_step=on_step,
        should_stop=should_stop,
    )
    model.train()
    while not loop.done and _epochs_left(tc, loop):
        order = bucket_batches(
            [len(s) for s, _ in train], tc.batch_size, seed=tc.seed * 1000 + loop.epoch
        )
        _run_epoch(model, opt, train, order, tc, loop, best, run_dir, device, precision, hooks)
        if hooks.interrupted(loop) and loop.batch < len(order):
            save_resume(run_dir, model, opt, loop, best)
            return loop
        best = _end_epoch(
            model, valid, tc, loop, best, device, opt, finished=loop.batch >= len(order)
        )
        save_resume(run_dir, model, opt, loop, best)
    model.load_state_dict(best)
    return loop


@dataclass
class _Hooks:
    """What the caller of train_model asks of the loop besides the training itself."""

    save_every: int | None
    max_steps: int | None
    progress: bool
    on_step: Callable[[LoopState, float], None] | None
    should_stop: Callable[[], bool] | None

    def interrupted(self, loop: LoopState) -> bool:
        """The caller's step limit is reached or it asks to stop (resumable either way)."""
        asked = self.should_stop is not None and self.should_stop()
        return asked or (self.max_steps is not None and loop.steps >= self.max_steps)

    def save_due(self, loop: LoopState) -> bool:
        return self.save_every is not None and loop.steps % self.save_every == 0


def _start_loop(
    model: Seq2Seq,
    opt: torch.optim.Optimizer,
    tc: TrainConfig,
    run_dir: Path,
    start: LoopState | None,
) -> tuple[LoopState, dict[str, torch.Tensor]]:
    """The loop to go on with and the best weights so far: the resume file's, else `start`'s
    (or a fresh loop at tc.lr); the optimiser set to the loop's learning rate."""
    resumed = load_resume(run_dir, model, opt)
    loop, best = resumed if resumed else (start or LoopState(lr=tc.lr), _copy_state(model))
    if not resumed and start is not None:  # the rule it goes on with may have stopped already
        loop.done = loop.done or _rule_stopped(tc, loop)
    if resumed and loop.done:  # a run its deadline cut short goes on under a later one
        loop.done = _rule_stopped(tc, loop) or _out_of_time(tc, loop)
    loop.lr = loop.lr or tc.lr  # resume files written before the rate was kept
    for group in opt.param_groups:
        group["lr"] = loop.lr
    return loop, best


def _epochs_left(tc: TrainConfig, loop: LoopState) -> bool:
    return tc.epochs is None or loop.epoch < tc.epochs


def _run_epoch(
    model: Seq2Seq,
    opt: torch.optim.Optimizer,
    train: list,
    order: list[list[int]],
    tc: TrainConfig,
    loop: LoopState,
    best: dict[str, torch.Tensor],
    run_dir: Path,
    device: torch.device,
    precision: torch.autocast,
    hooks: _Hooks,
) -> None:
    """The rest of the epoch's batches (from loop.batch), until it ends, the budget is spent or
    the caller interrupts."""
    bar = _progress_bar(len(order), tc, loop, hooks.progress)
    start = time.perf_counter() - loop.seconds
    for idx in order[loop.batch :]:
        batch = batch_tensors([train[i] for i in idx], device)
        nll, n_tok = _train_step(model, opt, batch, tc, loop, precision)
        loop.batch, loop.steps, loop.tokens = loop.batch + 1, loop.steps + 1, loop.tokens + n_tok
        loop.seconds = time.perf_counter() - start
        bar.set_postfix(loss=f"{nll:.3f}", tok_s=f"{loop.tokens / loop.seconds:.0f}")
        bar.update()
        if hooks.on_step is not None:
            hooks.on_step(loop, nll)
        out_of_time = _out_of_time(tc, loop)
        if hooks.save_due(loop) or out_of_time:
            save_resume(run_dir, model, opt, loop, best)
        if out_of_time or hooks.interrupted(loop):
            break
    bar.close()


def _train_step(
    model: Seq2Seq,
    opt: torch.optim.Optimizer,
    batch: tuple[torch.Tensor, ...],
    tc: TrainConfig,
    loop: LoopState,
    precision: torch.autocast,
) -> tuple[float, int]:
    """One update: loss, gradients clipped to tc.clip, optimiser step; the batch's mean NLL
    per target token and its token count."""
    with precision:
        loss, nll, n_tok = batch_loss(model, batch, tc, tf_ratio_for(tc, loop.epoch), loop)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), tc.clip)
    if tc.warmup_steps:
        for group in opt.param_groups:
            group["lr"] = loop.lr * warmup_factor(tc, loop.steps + 1)
    opt.step()
    return nll, n_tok


def _progress_bar(total: int, tc: TrainConfig, loop: LoopState, shown: bool) -> tqdm:
    of = "" if tc.epochs is None else f"/{tc.epochs}"
    return tqdm(
        total=total,
        initial=loop.batch,
        disable=not shown,
        leave=False,
        desc=f"epoch {loop.epoch + 1}{of}",
        file=sys.stderr,
        mininterval=0.1 if sys.stderr.isatty() else 20.0,
    )


def _end_epoch(
    model: Seq2Seq,
    valid: list,
    tc: TrainConfig,
    loop: LoopState,
    best: dict[str, torch.Tensor],
    device: torch.device,
    opt: torch.optim.Optimizer,
    finished: bool,
) -> dict[str, torch.Tensor]:
    val = evaluate_loss(model, valid, 128, device)
    loop.history.append(
        {
            "epoch": loop.epoch + 1,
            "valid_nll": val,
            "seconds": loop.seconds,
            "steps": loop.steps,
            "partial": not finished,
            "lr": loop.lr,
        }
    )
    print(
        f"epoch {loop.epoch + 1}: valid nll {val:.4f} ppl {math.exp(val):.2f} "
        f"({loop.seconds / 60:.1f} min)",
        file=sys.stderr,
        flush=True,
    )
    if val < loop.best_valid:
        loop.best_valid, loop.best_epoch, loop.bad_epochs = val, loop.epoch + 1, 0
        best = _copy_state(model)
    else:
        loop.bad_epochs += 1
        loop.lr *= tc.lr_decay  # decay on a plateau (1.0: keep the rate, stop on patience)
        for group in opt.param_groups:
            group["lr"] = loop.lr
    loop.epoch, loop.batch = loop.epoch + 1, 0
    out_of_time = _out_of_time(tc, loop)
    loop.done = bool(_rule_stopped(tc, loop) or out_of_time or not finished)
    return best


def _rule_stopped(tc: TrainConfig, loop: LoopState) -> bool:
    """The plateau rule has ended the training: `patience` epochs without progress, or the
    rate decayed below `min_lr` (decayed to nothing)."""
    out_of_patience = tc.patience is not None and loop.bad_epochs >= tc.patience
    return out_of_patience or loop.lr < tc.min_lr


def _out_of_time(tc: TrainConfig, loop: LoopState) -> bool:
    """The budget is spent: `max_minutes` of training, or the wall-clock `deadline` passed."""
    over_budget = tc.max_minutes is not None and loop.seconds > tc.max_minutes * 60
    return over_budget or (tc.deadline is not None and time.time() > tc.deadline)


def make_optimizer(model: Seq2Seq, tc: TrainConfig) -> torch.optim.Optimizer:
    """Adam, or AdamW with decoupled weight decay; the fused kernel where PyTorch has one."""
    kind = torch.optim.AdamW if tc.weight_decay else torch.optim.Adam
    kwargs = {"lr": tc.lr, "weight_decay": tc.weight_decay}
    try:
        return kind(model.parameters(), fused=True, **kwargs)
    except (RuntimeError, TypeError):
        return kind(model.parameters(), **kwargs)


def _copy_state(model: Seq2Seq) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


# ----------------------------------------------------------------------------- command line


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m seq2seq_viz.train",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    corpus.add_data_args(p)
    p.add_argument("--out", required=True, help="model folder to write (e.g. pretrained/NAME)")
    p.add_argument("--run-dir", help="resume folder (default: runs/<name of --out>)")
    m = p.add_argument_group("model")
    m.add_argument(
        "--arch",
        default="rnn",
        choices=["rnn", "transformer"],
        help="rnn: the attentional RNN encoder-decoder; transformer: an encoder-decoder "
        "Transformer (--d-model, --heads, --ffn, --enc-layers, --dec-layers, --dropout)",
    )
    m.add_argument("--d-model", type=int, default=256, help="transformer: model width")
    m.add_argument("--ffn", type=int, default=512, help="transformer: feed-forward width")
    m.add_argument("--cell", default="gru", choices=["rnn", "gru", "lstm"])
    m.add_argument("--emb", type=int, default=128)
    m.add_argument("--hidden", type=int, default=256)
    m.add_argument("--enc-layers", type=int, default=1)
    m.add_argument("--dec-layers", type=int, default=1)
    m.add_argument("--unidirectional", action="store_true")
    m.add_argument("--score", default="general", choices=["dot", "general", "concat"])
    m.add_argument(
        "--align", default="global", choices=["global", "local-m", "local-p", "hard", "none"]
    )
    m.add_argument("--window", type=int, default=3)
    m.add_argument("--self-attn", action="store_true")
    m.add_argument("--heads", type=int, default=4)
    m.add_argument("--dropout", type=float, default=0.2)
    m.add_argument("--untied", action="store_true", help="separate output matrix W_o")
    m.add_argument("--init-from", help="start from this model folder's weights (same shapes)")
    m.add_argument(
        "--continue-schedule",
        action="store_true",
        help="with --init-from: go on with that model's plateau rule (its best validation loss "
        "to beat, its epochs without progress, its next learning rate) instead of --lr",
    )
    t = p.add_argument_group("training")
    add_train_args(t)
    t.add_argument("--threads", type=int, default=0, help="torch threads (0 = CPU count)")
    t.add_argument("--save-every", type=int, default=200, help="write the resume file every N")
    t.add_argument("--max-steps", type=int, default=None, help="stop after N batches (testing)")
    t.add_argument("--device", default=None)
    t.add_argument("--quiet", action="store_true")
    args = p.parse_args(argv)
    try:
        train_config_from_args(args)  # a setting TrainConfig refuses is a usage error
    except ValueError as err:
        p.error(str(err))
    return args


def add_train_args(group: argparse._ArgumentGroup) -> None:
    """One option per TrainConfig field (its metadata: help, flag; `cli=False` leaves it out).
    An option not given stays unset (train_config_from_args then keeps the field's default);
    "none" gives None (no limit) to the fields that take it."""
    for f in dataclasses.fields(TrainConfig):
        if not f.metadata.get("cli", True):
            continue
        kind, optional = _field_type(f)
        default = "none" if f.default is None else f.default
        flag = f.metadata.get("flag") or "--" + f.name.replace("_", "-")
        group.add_argument(
            flag,
            dest=f.name,
            metavar=None if "choices" in f.metadata else flag[2:].upper().replace("-", "_"),
            type=_optional(kind) if optional else kind,
            choices=f.metadata.get("choices"),
            default=argparse.SUPPRESS,
            help=f"{f.metadata.get('help') or ''} (default {default})".lstrip(),
        )


def _field_type(f: dataclasses.Field) -> tuple[type, bool]:
    """A field's base type and whether it takes None, from its annotation ("int | None")."""
    names = [part.strip() for part in str(f.type).split("|")]
    kinds = {"int": int, "float": float, "str": str}
    return kinds[next(n for n in names if n != "None")], "None" in names


def _optional(kind: type) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        return None if text.strip().lower() == "none" else kind(text)

    parse.__name__ = kind.__name__  # argparse names the type in its error messages
    return parse


def train_config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The TrainConfig of the options given (the others keep TrainConfig's defaults). Without
    --patience, a time budget (--max-minutes or --deadline) decides alone: patience None."""
    given = {f.name: getattr(args, f.name) for f in dataclasses.fields(TrainConfig)
             if hasattr(args, f.name)}  # fmt: skip
    budget = given.get("max_minutes") is not None or given.get("deadline") is not None
    if "patience" not in given and budget:
        given["patience"] = None
    return TrainConfig(**given)


def configs_from_args(
    args: argparse.Namespace, data: corpus.PreparedData
) -> tuple[TrainConfig, ModelConfig | TransformerConfig]:
    """The training settings and the architecture the command line asks for, with the vocabulary
    sizes and languages of the prepared `data` (`corpus.load_for_training`)."""
    tc = train_config_from_args(args)
    data_fields = dict(  # what the prepared data fixes, whatever the architecture
        src_vocab_size=len(data.src_vocab),
        tgt_vocab_size=len(data.tgt_vocab),
        max_src_len=max(40, data.max_len),
        src_lang=data.src_lang,
        tgt_lang=data.tgt_lang,
        lowercase=data.lowercase,
    )
    shared = dict(enc_layers=args.enc_layers, dec_layers=args.dec_layers, dropout=args.dropout)
    if args.arch == "transformer":
        return tc, TransformerConfig(
            d_model=args.d_model, heads=args.heads, ffn_dim=args.ffn, **shared, **data_fields
        )
    cfg = ModelConfig(
        emb_dim=args.emb,
        hidden_dim=args.hidden,
        cell=args.cell,
        bidirectional=not args.unidirectional,
        score=args.score,
        align=args.align,
        window=args.window,
        self_attn=args.self_attn,
        self_attn_heads=args.heads,
        tie_output=not args.untied,
        **shared,
        **data_fields,
    )
    return tc, cfg


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads or os.cpu_count() or 1)
    device = pick_device(args.device)
    data = corpus.load_for_training(args)
    tc, cfg = configs_from_args(args, data)
    torch.manual_seed(tc.seed)
    model = build_model(cfg, device)
    start = None
    if args.init_from:
        earlier = load_model(args.init_from, device)
        model.load_state_dict(earlier.model.state_dict())
        if args.continue_schedule:  # its record, as load_model read it
            try:
                start = continued_schedule(earlier.meta.get("training") or {}, tc.lr_decay)
            except ValueError as err:
                raise SystemExit(f"{args.init_from}: {err}") from err
            tc = replace(tc, lr=start.lr)
    elif args.continue_schedule:
        raise SystemExit("--continue-schedule needs --init-from")
    out = Path(args.out)
    run_dir = Path(args.run_dir or Path("runs") / out.name)
    print(
        f"{out.name}: {sum(p.numel() for p in model.parameters()):,} parameters, "
        f"{len(data.train):,} training pairs, device {device}",
        file=sys.stderr,
        flush=True,
    )
    loop = train_model(
        model,
        data.train,
        data.valid,
        tc,
        run_dir,
        device,
        save_every=args.save_every,
        max_steps=args.max_steps,
        progress=not args.quiet,
        start=start,
    )
    if args.max_steps is not None and not loop.done and _epochs_left(tc, loop):
        print(f"stopped after {loop.steps} steps (resumable from {run_dir})", file=sys.stderr)
        return 0
    meta = {
        "training": {
            "command": "python -m seq2seq_viz.train "
            + " ".join(argv if argv is not None else sys.argv[1:]),
            "config": asdict(tc),
            "seconds": round(loop.seconds, 1),
            "tokens_per_second": round(loop.tokens / max(loop.seconds, 1e-9)),
            "steps": loop.steps,
            "epochs_run": loop.epoch,
            "best_epoch": loop.best_epoch,
            "best_valid_nll": loop.best_valid,
            "history": loop.history,
            "device": str(device),
            "code_version": corpus.code_version(),
        },
        "data": data.provenance,
    }
    save_model(out, Translator(model.eval(), data.src_vocab, data.tgt_vocab, out.name), meta)
    atomic_write_bytes(run_dir / "done.json", json.dumps({"out": str(out)}).encode())
    print(f"saved {out} (best valid nll {loop.best_valid:.4f})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
