r"""Can you fool the attention? A very different attention that keeps the same output word.

At decoder step t of the model's own greedy translation, with its decoder state s_t fixed, we
search over attention distributions a = softmax(z) (z: free logits over the S source
positions) for one as far as possible from the model's own a_t while the output word stays::

    maximise   JS(a, a_t)                                     (Jensen-Shannon, bits: 0..1)
    subject to p(y_t | a) >= p(y_t | a_t) - margin   and   y_t = argmax_y p(y | a)
    where      c = sum_i a_i h_i,  h~ = tanh(W_c [c; s_t]),  p(. | a) = softmax(W_o h~ + b_o)

c, h~ and p are the model's own attention layer and output layer given the weights a (a
:class:`~seq2seq_viz.attention.Steer`). The search is Adam on z (a few hundred iterations,
several starts in one batch) on the penalised objective

    loss = -JS(a, a_t) + lam * ( relu(p(y_t|a_t) - margin - p(y_t|a))
                                 + relu(max_{y != y_t} l_y - l_{y_t} + 0.05) )

with l the log-probabilities, keeping the farthest a that meets the constraint exactly (and
stopping once that distance has not grown for PATIENCE iterations). The
answer is then checked by decoding the sentence again with the model's full step() and
``DecodeConfig.attention_override = {t: a}`` (the model's own words forced before t): the
stated word must come out at t. Because of input feeding (h~_t is an input of step t + 1), the
words after t may change: ``continued`` is that decode from the edited step on.

"Function words" are spaCy's French stop words (``spacy.lang.fr.stop_words``); punctuation and
<eos> are counted apart ("other").
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from seq2seq_viz.attention import Steer, StepOptions
from seq2seq_viz.config import DecodeConfig
from seq2seq_viz.decode import Translator, banned_ids, expand_encoder
from seq2seq_viz.model import EncoderOutput
from seq2seq_viz.text import EOS, SOS_ID
from seq2seq_viz.trace import DecodeTrace

from .attribute import explained_trace, frozen
from .guard import Deadline, Progress, no_progress
from .results import FoolResult, SentenceFool

MARGIN = 0.05  # p(y_t) may fall by at most this much (absolute)
THRESHOLD = 0.5  # "very different": JS >= 0.5 bits
ITERATIONS = 200
STARTS = 4
PATIENCE = 60  # stop when the best distance has not grown for this many iterations
PENALTY = 20.0


def js_bits(p: Tensor, q: Tensor) -> Tensor:
    """Jensen-Shannon divergence of distributions along the last axis, in bits (0..1)."""
    m = 0.5 * (p + q)
    tiny = 1e-12

    def kl(a: Tensor) -> Tensor:
        return (a * (a.clamp_min(tiny).log2() - m.clamp_min(tiny).log2())).sum(-1)

    return 0.5 * kl(p) + 0.5 * kl(q)


def tv_distance(p: np.ndarray, q: np.ndarray) -> float:
    return float(0.5 * np.abs(np.asarray(p) - np.asarray(q)).sum())


@dataclass
class StepContext:
    """What step t's search needs from the model's own run: s_t, a_t, y_t and p(y_t)."""

    t: int
    query: Tensor  # (1,H) s_t
    own: Tensor  # (S,) a_t
    token_id: int
    p_own: float


def replay(translator: Translator, trace: DecodeTrace) -> tuple[EncoderOutput, list[StepContext]]:
    """Run the decoder again on the trace's own words and keep each step's s_t and a_t."""
    model = translator.model.eval()
    source = translator.encode_text(trace.src_text)
    src = torch.tensor([source.ids], device=translator.device)  # (1,S)
    with torch.no_grad():  # not inference mode: the search differentiates through these
        enc = model.encode(src, torch.tensor([len(source.ids)], device=translator.device))
        state, hidden = enc.init_state, model.initial_attn_hidden(1, translator.device)
        y_prev, out = SOS_ID, []
        for step in trace.steps:
            y = torch.tensor([y_prev], device=translator.device)
            o = model.decoder.step(y, hidden, state, enc, t=step.t)
            state, hidden = o.state, o.attn_hidden
            p = float(o.logp[0, step.token_id].exp())
            out.append(StepContext(step.t, o.dec_state, o.attn.weights[0], step.token_id, p))
            y_prev = step.token_id
    return enc, out


def _starts(own: Tensor, n: int, seed: int) -> Tensor:
    """Initial logits (n,S): uniform, the model's attention turned upside down, random."""
    gen = torch.Generator().manual_seed(seed)
    S = own.numel()
    z = torch.randn(n, S, generator=gen) * 2.0  # (n,S)
    z[0] = 0.0
    if n > 1:
        z[1] = -4.0 * own.float().cpu()
    return z


@dataclass
class Found:
    """The search's answer for one step."""

    weights: np.ndarray  # (S,) the farthest a meeting the constraint (the model's own if none)
    js: float
    p: float  # p(y_t | a)
    found: bool


def search(
    translator: Translator,
    enc: EncoderOutput,
    steps: list[StepContext],
    banned: tuple[int, ...],
    margin: float = MARGIN,
    iterations: int = ITERATIONS,
    starts: int = STARTS,
    seed: int = 0,
    deadline: Deadline | None = None,
) -> tuple[list[Found], int]:
    """The search for several steps of one sentence at once (rows: steps x starts), and the
    iterations run. Steps share the batch: with the weights given, the attention layer's
    output no longer depends on t (t only places the model's own local window, replaced here),
    so every row runs with the first step's t."""
    model, n = translator.model, len(steps)
    B = n * starts
    encB = expand_encoder(enc, B)
    query = torch.cat([c.query for c in steps]).repeat_interleave(starts, 0)  # (B,H)
    own = torch.stack([c.own for c in steps]).repeat_interleave(starts, 0)  # (B,S)
    token = torch.tensor([c.token_id for c in steps], device=query.device)
    token = token.repeat_interleave(starts).unsqueeze(1)  # (B,1)
    floor = torch.tensor([c.p_own - margin for c in steps], device=query.device)
    floor = floor.repeat_interleave(starts)  # (B,)
    z = torch.cat([_starts(c.own, starts, seed + k) for k, c in enumerate(steps)])  # (B,S)
    z = z.to(query.device).requires_grad_(True)
    opt = torch.optim.Adam([z], lr=0.1)
    best_w = torch.stack([c.own for c in steps]).detach().clone()  # (n,S)
    best_js = torch.zeros(n, device=query.device)  # (n,)
    best_p = torch.tensor([c.p_own for c in steps], device=query.device)  # (n,)
    found = torch.zeros(n, dtype=torch.bool, device=query.device)  # (n,)
    i = last_gain = 0
    for i in range(iterations + 1):
        attn = model.decoder.attention(
            query, encB.enc_states, encB.mask, encB.lengths, t=steps[0].t, summary=encB.summary,
            options=StepOptions(steer=Steer(weights=z.softmax(-1))),
        )  # fmt: skip
        logp = model.decoder.project(attn.attn_hidden)  # (B,V)
        ly = logp.gather(1, token).squeeze(1)  # (B,)
        others = logp.scatter(1, token, float("-inf"))  # (B,V)
        others[:, list(banned)] = float("-inf")
        rival = others.max(dim=1).values  # (B,)
        js = js_bits(attn.weights, own)  # (B,)
        with torch.no_grad():
            ok = (ly.exp() >= floor) & (ly > rival)  # (B,)
            cand = torch.where(ok, js, torch.full_like(js, -1.0)).view(n, starts)
            top, k = cand.max(dim=1)  # (n,)
            better = top > best_js
            if bool(better.any()):
                if bool((top > best_js + 1e-3).any()):
                    last_gain = i
                rows = torch.arange(n, device=z.device) * starts + k  # (n,)
                best_w[better] = attn.weights[rows][better]
                best_p[better] = ly[rows][better].exp()
                best_js[better], found[better] = top[better], True
        if i == iterations or bool((best_js > 0.999).all()) or i - last_gain > PATIENCE:
            break
        if deadline is not None and i % 25 == 0:
            deadline.check()
        hinge = torch.relu(floor - ly.exp()) + torch.relu(rival - ly + 0.05)
        loss = (-js + PENALTY * hinge).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    out = [
        Found(best_w[j].cpu().double().numpy(), float(best_js[j]), float(best_p[j]), bool(found[j]))
        for j in range(n)
    ]
    return out, i


def fool_step(
    translator: Translator,
    text: str,
    t: int,
    margin: float = MARGIN,
    iterations: int = ITERATIONS,
    trace: DecodeTrace | None = None,
    deadline: Deadline | None = None,
) -> FoolResult:
    """Search step t of the greedy translation of `text`, then verify with the full decoder."""
    _check_attends(translator)
    start = time.perf_counter()
    trace = trace if trace is not None else explained_trace(translator, text)
    if not 0 <= t < trace.n_steps:
        raise ValueError(f"step {t} is out of range: the translation has {trace.n_steps} steps")
    enc, contexts = replay(translator, trace)
    banned = banned_ids(translator.encode_text(trace.src_text))
    with frozen(translator.model):
        (answer,), iters = search(
            translator, enc, [contexts[t]], banned, margin, iterations, deadline=deadline
        )
    return _checked(translator, trace, contexts[t], answer, margin, iters, start)


def _check_attends(translator: Translator) -> None:
    if translator.config.align == "none":
        raise ValueError("this model has no attention (align='none'): there is nothing to fool")


def _checked(
    translator: Translator,
    trace: DecodeTrace,
    ctx: StepContext,
    answer: Found,
    margin: float,
    iterations: int,
    start: float,
) -> FoolResult:
    """The search's answer for step ctx.t, checked by decoding again with it as an override."""
    check = verify(translator, trace, ctx.t, answer.weights)
    own = ctx.own.detach().cpu().double().numpy()
    step = check.steps[ctx.t]
    kept = step.token_id == ctx.token_id
    return FoolResult(
        t=ctx.t,
        token=trace.steps[ctx.t].token,
        token_id=ctx.token_id,
        weights=own,
        fooled=answer.weights,
        found=answer.found,
        js=answer.js,
        tv=tv_distance(answer.weights, own),
        p_own=ctx.p_own,
        p_fooled=answer.p,
        margin=margin,
        verified=kept,
        p_verified=float(np.exp(step.logp)) if kept else 0.0,
        continued=list(check.output_tokens),
        iterations=iterations,
        seconds=time.perf_counter() - start,
    )


def verify(translator: Translator, trace: DecodeTrace, t: int, weights: np.ndarray) -> DecodeTrace:
    """Decode again with `weights` as step t's attention (the model's words forced before t)."""
    decode = DecodeConfig(attention_override=((t, tuple(float(w) for w in weights)),))
    prefix = [s.token for s in trace.steps[:t]]
    return translator.trace(trace.src_text, decode, prefix=prefix)


def word_class(token: str) -> str:
    """'function' (spaCy's French stop words), 'content', or 'other' (punctuation, <eos>)."""
    from spacy.lang.fr.stop_words import STOP_WORDS

    if token == EOS or not any(ch.isalpha() for ch in token):
        return "other"
    return "function" if token.lower() in STOP_WORDS else "content"


def fool_sentence(
    translator: Translator,
    text: str,
    margin: float = MARGIN,
    iterations: int = ITERATIONS,
    threshold: float = THRESHOLD,
    progress: Progress = no_progress,
    deadline: Deadline | None = None,
) -> SentenceFool:
    """The search at every step of the greedy translation, with its tally by word class."""
    _check_attends(translator)
    start = time.perf_counter()
    trace = explained_trace(translator, text)
    enc, contexts = replay(translator, trace)
    banned = banned_ids(translator.encode_text(trace.src_text))
    progress(0.0, "search")
    with frozen(translator.model):  # every step in one batch
        answers, iters = search(
            translator, enc, contexts, banned, margin, iterations, deadline=deadline
        )
    results = []
    for ctx, answer in zip(contexts, answers):
        progress(0.5 + 0.5 * ctx.t / len(contexts), trace.steps[ctx.t].token)
        results.append(_checked(translator, trace, ctx, answer, margin, iters, start))
    progress(1.0, "done")
    tokens = [s.token for s in trace.steps]
    return SentenceFool(
        model_name=translator.name,
        src_tokens=list(trace.src_tokens),
        out_tokens=tokens,
        steps=results,
        classes=[word_class(tok) for tok in tokens],
        threshold=threshold,
        seconds=time.perf_counter() - start,
    )
