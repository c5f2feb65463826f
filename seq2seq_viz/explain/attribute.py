r"""Attributions with Captum: how much each source token matters for each output word.

The function explained, for output step t of the model's own greedy translation y_0..y_{T-1}::

    f_t(E) = log p(y_t | y_<t, x)      E (S,E_dim): the source embeddings emb(x_1..x_S)

computed through the whole model (encoder, bridge, decoder with input feeding, attention,
output layer) under teacher forcing on the model's own output prefix. Every method below is
Captum's; a method's (S,E_dim) answer is reduced to one number per source token i::

    saliency             ||d f_t / d e_i||_2
    input x gradient     sum_d e_id * d f_t / d e_id
    integrated gradients sum_d (e_id - b_id) * (1/m) sum_{k=1..m} d f_t / d e_id at b + k/m (E - b)
                         (Riemann / Gauss-Legendre steps as Captum's default; m = 50)
    occlusion            f_t(E) - f_t(E with e_i replaced by b_i)   (leave one token out)

The baseline b is every source embedding replaced by the <pad> embedding, which is the zero
vector (the embedding table keeps row <pad> at 0); the sentence length and mask are unchanged.
Integrated gradients satisfies completeness: sum_i r_ti = f_t(E) - f_t(b), up to the
integration error that :meth:`Attributions.completeness` reports.

All T output steps go through Captum in one batch: the inputs are the sentence repeated T times
and row t explains step t (the row's step travels as an additional forward argument, which
Captum repeats alongside the inputs).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import torch
from torch import Tensor

from seq2seq_viz.decode import Translator
from seq2seq_viz.model import Seq2Seq
from seq2seq_viz.text import PAD_ID, SOS_ID
from seq2seq_viz.trace import DecodeTrace

from .guard import Deadline, Progress, check_lengths, no_progress
from .results import METHODS, Attributions

GROUPS = 3  # row groups for integrated gradients and occlusion (see _run)
BASELINE = "zero embeddings (the <pad> embedding) at every source position"


def explained_trace(translator: Translator, text: str) -> DecodeTrace:
    """The model's greedy translation of `text` (after the length checks)."""
    from seq2seq_viz.config import DecodeConfig

    source = translator.encode_text(text)
    check_lengths(max(source.truncated_from, len(source.tokens)))
    trace = translator.trace(text, DecodeConfig())
    check_lengths(len(source.tokens), trace.n_steps)
    return trace


class Objective:
    """f(E, rows) -> (N,): log p(y_t | y_<t, x) for each row's output step t = rows[n], with the
    source embeddings E (N,S,E_dim) put in place of the encoder's embedding lookup (a forward
    hook on ``encoder.embed``: the model's own code runs unchanged). Only row n's own step is
    projected onto the vocabulary (the costly part), not all T steps of every row."""

    def __init__(self, model: Seq2Seq, src_ids: Sequence[int], out_ids: Sequence[int]) -> None:
        device = next(model.parameters()).device
        self.model = model
        self.src = torch.tensor([list(src_ids)], device=device)  # (1,S)
        self.lengths = torch.tensor([len(src_ids)], device=device)  # (1,)
        ids = list(out_ids)
        self.tgt_in = torch.tensor([[SOS_ID, *ids[:-1]]], device=device)  # (1,T)
        self.targets = torch.tensor(ids, device=device)  # (T,)

    def embeddings(self) -> Tensor:
        return self.model.encoder.embed(self.src).detach()  # (1,S,E_dim)

    def rows(self) -> Tensor:
        return torch.arange(self.targets.numel(), device=self.src.device)  # (T,)

    def __call__(self, emb: Tensor, rows: Tensor) -> Tensor:
        N = emb.size(0)
        last = int(rows.max()) + 1  # steps after the last asked for are not needed
        hook = self.model.encoder.embed.register_forward_hook(lambda _m, _i, _o: emb)
        try:
            enc = self.model.encode(self.src.expand(N, -1), self.lengths.expand(N))
        finally:
            hook.remove()
        tf = self.model.decoder.teacher_forced(self.tgt_in[:, :last].expand(N, -1), enc)
        pick = torch.arange(N, device=emb.device)  # (N,)
        hidden = tf.attn_hidden[pick, rows]  # (N,H) h~_t of each row's step
        logp = self.model.decoder.project(hidden)  # (N,V)
        return logp.gather(1, self.targets[rows].unsqueeze(1)).squeeze(1)  # (N,)

    def all_steps(self, emb: Tensor) -> Tensor:
        """f_t for every step t of one embedding matrix emb (1,S,E_dim) -> (T,)."""
        T = self.targets.numel()
        return self(emb.expand(T, -1, -1), self.rows())


def _per_token(method: str, raw: Tensor) -> Tensor:
    """A method's (T,S,E_dim) answer -> (T,S) one number per source token."""
    if method == "saliency":
        return raw.norm(dim=2)
    if method == "occlusion":
        return raw[:, :, 0]  # the same value over a token's dimensions
    return raw.sum(dim=2)


def _run(method: str, f: Objective, inputs: Tensor, steps: int) -> tuple[Tensor, Tensor | None]:
    """One Captum method for every step (row t of `inputs` explains step t); returns (T,S) and
    integrated gradients' convergence delta (T,). Integrated gradients and occlusion run their
    rows in GROUPS of consecutive steps: a group's decoder stops at its own last step, so the
    early steps do not pay for the later ones (the same numbers, less work)."""
    T = inputs.size(0)
    if method in ("saliency", "input_x_gradient"):
        return _run_rows(method, f, inputs, f.rows(), steps)
    size = -(-T // GROUPS)  # ceil
    parts = [
        _run_rows(method, f, inputs[a : a + size], f.rows()[a : a + size], steps)
        for a in range(0, T, size)
    ]
    values = torch.cat([v for v, _ in parts])
    deltas = [d for _, d in parts if d is not None]
    return values, torch.cat(deltas) if deltas else None


def _run_rows(
    method: str, f: Objective, inputs: Tensor, rows: Tensor, steps: int
) -> tuple[Tensor, Tensor | None]:
    from captum.attr import FeatureAblation, InputXGradient, IntegratedGradients, Saliency

    base = torch.zeros_like(inputs)  # the <pad> (zero) embedding everywhere
    extra = (rows,)  # additional forward args: Captum repeats them with the inputs
    if method == "saliency":
        raw = Saliency(f).attribute(inputs, additional_forward_args=extra, abs=False)
        return _per_token(method, raw), None
    if method == "input_x_gradient":
        raw = InputXGradient(f).attribute(inputs, additional_forward_args=extra)
        return _per_token(method, raw), None
    if method == "integrated_gradients":
        raw, delta = IntegratedGradients(f).attribute(
            inputs, base, additional_forward_args=extra, n_steps=steps,
            return_convergence_delta=True,
        )  # fmt: skip
        return _per_token(method, raw), delta
    if method == "occlusion":
        n, S, E = inputs.shape
        tokens = torch.arange(S, device=inputs.device).view(1, S, 1).expand(n, S, E)
        raw = FeatureAblation(f).attribute(
            inputs, base, additional_forward_args=extra, feature_mask=tokens,
            perturbations_per_eval=S,
        )  # fmt: skip
        return _per_token(method, raw), None
    raise ValueError(f"unknown attribution method {method!r}; choose from {METHODS}")


def attribute(
    translator: Translator,
    text: str,
    methods: Sequence[str] = METHODS,
    ig_steps: int = 50,
    progress: Progress = no_progress,
    deadline: Deadline | None = None,
    trace: DecodeTrace | None = None,
) -> Attributions:
    """Attributions of every output word of the model's greedy translation of `text`."""
    for m in methods:
        if m not in METHODS:
            raise ValueError(f"unknown attribution method {m!r}; choose from {METHODS}")
    trace = trace if trace is not None else explained_trace(translator, text)
    deadline = deadline or Deadline()
    model = translator.model.eval()
    _check_pad_is_zero(model)
    out_ids = [s.token_id for s in trace.steps]
    f = Objective(model, [int(i) for i in trace.src_ids], out_ids)
    T = len(out_ids)
    inputs = f.embeddings().expand(T, -1, -1).contiguous()  # (T,S,E_dim): one row per step
    result, seconds = {}, {}
    delta = None
    for k, m in enumerate(methods):
        deadline.check()
        progress(k / len(methods), m)
        start = time.perf_counter()
        with frozen(model):
            values, d = _run(m, f, inputs, ig_steps)
        result[m] = values.detach().cpu().double().numpy()
        delta = d if d is not None else delta
        seconds[m] = time.perf_counter() - start
    progress(1.0, "done")
    with torch.no_grad():
        fx = f.all_steps(inputs[:1])  # (T,)
        fb = f.all_steps(torch.zeros_like(inputs[:1]))  # (T,)
    return Attributions(
        model_name=translator.name,
        align=translator.config.align,
        src_tokens=list(trace.src_tokens),
        out_tokens=[s.token for s in trace.steps],
        weights=trace.weights_matrix().astype(float),
        logp=fx.double().cpu().numpy(),
        methods=result,
        baseline=BASELINE,
        ig_steps=ig_steps,
        baseline_logp=fb.double().cpu().numpy(),
        ig_delta=None if delta is None else delta.detach().double().cpu().numpy(),
        seconds=seconds,
    )


@contextmanager
def frozen(model: Seq2Seq) -> Iterator[None]:
    """The model's weights need no gradients while we differentiate with respect to the
    inputs (their backward matmuls would double the cost); restored afterwards."""
    params = list(model.parameters())
    flags = [p.requires_grad for p in params]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, flag in zip(params, flags):
            p.requires_grad_(flag)


def _check_pad_is_zero(model: Seq2Seq) -> None:
    row = model.encoder.embed.weight[PAD_ID]
    if bool(row.abs().max() > 0):
        raise ValueError("this model's <pad> embedding is not zero: the stated baseline is wrong")
