"""Decoding: greedy, batched beam search (with its whole tree), teacher-forced and forced-prefix
runs. The one place that turns the model's tensors into a plain-data trace.

Beam search keeps K hypotheses as one batch: one decoder step per output position for all live
hypotheses. Each live hypothesis proposes its K best children (no other child of it can survive),
the best ``slots`` of all proposals survive, where slots = K minus the hypotheses already finished
(a shrinking beam). Survivors ending in <eos> are finished; the others stay live; the rest are
pruned. Hypotheses are ranked by the GNMT length-normalised score
``score / lp(n)``, ``lp(n) = ((5 + n) / 6) ** alpha`` (Wu et al. 2016), n counting <eos>.

Unknown words (one rule for greedy, beam, sampling, traces and evaluation): <pad> and <sos> are
never emitted; <unk> is never emitted for a source whose words are all in the vocabulary (it is
banned: its probability is set to 0 before choosing, so the model's next-best word is taken).
When the source has an unknown word, the model may emit <unk>, and each <unk> in the output is
replaced by the source word that step attends to most (Luong et al. 2015, "unk replacement";
the step records ``extras["copied_from"]``). The model's own numbers (scores, weights,
probabilities) are recorded unchanged; only the choice and the output text follow this rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import torch
from torch import Tensor

from . import transformer_record as trec
from .attention import AttentionOutput, StepOptions
from .config import DecodeConfig, ModelConfig
from .model import EncoderOutput, Seq2Seq, StepOutput
from .record_vectors import step_vectors, trace_vectors
from .steer import SteerPlan, TokenSampler
from .text import (
    EOS,
    EOS_ID,
    PAD_ID,
    SOS,
    SOS_ID,
    UNK_ID,
    EmptyInputError,
    EncodedText,
    Vocab,
    detokenize,
    encode_text,
    tokenize,
)
from .trace import BeamNode, DecodeTrace, Hypothesis, Sample, StepRecord
from .transformer import TEncoderOutput, TStepOutput

BANNED_IDS = (PAD_ID, SOS_ID)  # never emitted


def banned_ids(source: EncodedText) -> tuple[int, ...]:
    """Words the decoder may not emit for this source: <unk> too when every word is known."""
    return BANNED_IDS if any(source.unknown) else (*BANNED_IDS, UNK_ID)


def copy_unknown(steps: list[StepRecord], src_tokens: list[str], attends: bool) -> list[str]:
    """The output words, each <unk> replaced by the source word its step attends to most
    (marked on the step as extras["copied_from"]). A model without attention keeps <unk>."""
    words = []
    for step in steps:
        if step.token_id == EOS_ID:
            continue
        if step.token_id == UNK_ID and attends and float(step.weights.sum()) > 0:
            i = int(np.argmax(step.weights))
            step.extras["copied_from"] = {
                "index": i,
                "token": src_tokens[i],
                "weight": float(step.weights[i]),
            }
            words.append(src_tokens[i])
        else:
            words.append(step.token)
    return words


def stable_topk(x: Tensor, k: int) -> tuple[Tensor, Tensor]:
    """The first k entries of `x.sort(descending=True, stable=True)` (ties in id order) without
    sorting all of x: every entry at least the k-th largest value, in id order, then a stable
    sort of those few (a full stable sort of 8,000 log-probabilities took 1.8 ms a step)."""
    k = min(k, x.numel())
    kth = x.topk(k).values[-1]
    ids = (x >= kth).nonzero().squeeze(1)  # ascending ids
    vals, order = x[ids].sort(descending=True, stable=True)
    return vals[:k], ids[order[:k]]


def length_penalty(n: int, alpha: float) -> float:
    return ((5.0 + n) / 6.0) ** alpha


# ----------------------------------------------------------------------------- beam search


class Stepper(Protocol):
    """What beam search needs from a model: log-probs for live rows, and reordering of rows."""

    def step(self, tokens: Tensor, t: int) -> Tensor: ...  # (n,) -> (n,V)

    def reorder(self, rows: Tensor) -> None: ...


@dataclass
class _Beam:
    node_ids: list[int]
    scores: Tensor  # (n,)
    tokens: Tensor  # (n,) last token of each live hypothesis
    nodes: list[BeamNode] = field(default_factory=list)
    finished: list[int] = field(default_factory=list)


@torch.inference_mode()
def beam_search(
    stepper: Stepper,
    itos: tuple[str, ...] | list[str],
    *,
    width: int,
    max_len: int,
    alpha: float = 0.6,
    prefix: tuple[int, ...] = (),
    banned: tuple[int, ...] = BANNED_IDS,
) -> tuple[list[BeamNode], list[Hypothesis]]:
    """Run a shrinking beam; return every expanded node and all complete hypotheses, best first.
    `alpha`: the length penalty's exponent; `prefix`: token ids forced first; `banned`: words
    never chosen (see `banned_ids`)."""
    root = BeamNode(
        id=0,
        parent=-1,
        step=-1,
        token=SOS,
        token_id=SOS_ID,
        logp=0.0,
        score=0.0,
        norm_score=0.0,
        status="kept",
        rank=0,
    )
    beam = _Beam(node_ids=[0], scores=torch.zeros(1), tokens=torch.tensor([SOS_ID]), nodes=[root])
    for t in range(max_len):
        logp = stepper.step(beam.tokens, t).float().cpu()  # (n,V); the bookkeeping runs on the CPU
        logp[:, list(banned)] = float("-inf")
        slots = width - len(beam.finished)
        forced = prefix[t] if t < len(prefix) else None
        rows = _expand_select(
            beam,
            logp,
            slots=slots,
            t=t,
            alpha=alpha,
            itos=itos,
            forced=forced,
            last=t == max_len - 1,
            n_banned=len(banned),
        )
        if not rows:
            break
        stepper.reorder(torch.tensor(rows))
    return beam.nodes, _hypotheses(beam.nodes, beam.finished)


def _expand_select(
    beam: _Beam,
    logp: Tensor,
    *,
    slots: int,
    t: int,
    alpha: float,
    itos: tuple[str, ...] | list[str],
    forced: int | None,
    last: bool,
    n_banned: int = len(BANNED_IDS),
) -> list[int]:
    """Expand each live row, keep the best `slots`, record nodes; returns surviving parent rows."""
    n, V = logp.shape
    if forced is not None:  # a forced prefix: the only child is the forced word
        cand_logp, cand_tok = logp[:, forced : forced + 1], torch.full((n, 1), forced)
        slots = 1
    else:
        cand_logp, cand_tok = logp.topk(min(slots, V - n_banned), dim=1)  # (n,k)
    total = beam.scores.unsqueeze(1) + cand_logp  # (n,k)
    order = total.flatten().argsort(descending=True).tolist()
    k = cand_tok.size(1)
    lp = length_penalty(t + 1, alpha)
    flat_tok, flat_logp, flat_total = (x.flatten().tolist() for x in (cand_tok, cand_logp, total))
    keep: list[tuple[int, int, float, int]] = []  # (parent row, node id, score, token)
    for rank, j in enumerate(order):
        row, tok = j // k, flat_tok[j]
        survives = rank < slots and flat_total[j] > float("-inf")
        status = "pruned" if not survives else ("finished" if tok == EOS_ID or last else "kept")
        node = BeamNode(
            id=len(beam.nodes),
            parent=beam.node_ids[row],
            step=t,
            token=itos[tok],
            token_id=tok,
            logp=flat_logp[j],
            score=flat_total[j],
            norm_score=flat_total[j] / lp,
            status=status,
            rank=rank,
        )
        beam.nodes.append(node)
        if status == "finished":
            beam.finished.append(node.id)
        elif status == "kept":
            keep.append((row, node.id, flat_total[j], tok))
    beam.node_ids = [node_id for _, node_id, _, _ in keep]
    beam.scores = torch.tensor([score for _, _, score, _ in keep])
    beam.tokens = torch.tensor([tok for _, _, _, tok in keep], dtype=torch.long)
    return [row for row, _, _, _ in keep]


def _hypotheses(nodes: list[BeamNode], finished: list[int]) -> list[Hypothesis]:
    hyps = []
    for node_id in finished:
        path = path_to_root(nodes, node_id)
        ids = [nodes[i].token_id for i in path]
        toks = [nodes[i].token for i in path]
        if ids and ids[-1] == EOS_ID:
            ids, toks = ids[:-1], toks[:-1]
        node = nodes[node_id]
        hyps.append(
            Hypothesis(
                tokens=toks,
                token_ids=ids,
                score=node.score,
                norm_score=node.norm_score,
                node_id=node_id,
            )
        )
    return sorted(hyps, key=lambda h: -h.norm_score)


def chosen_ids(nodes: list[BeamNode], hyp: Hypothesis) -> tuple[int, ...]:
    """The token ids of `hyp` as the search chose them, <eos> included only where the search
    chose it: a hypothesis cut at max_len ends on a word (replaying an <eos> after it would
    show a step the search never took)."""
    ended = nodes[hyp.node_id].token_id == EOS_ID
    return tuple(hyp.token_ids) + ((EOS_ID,) if ended else ())


def path_to_root(nodes: list[BeamNode], node_id: int) -> list[int]:
    """Node ids from the first output word to `node_id` (the root excluded)."""
    path = []
    while node_id > 0:
        path.append(node_id)
        node_id = nodes[node_id].parent
    return path[::-1]


class ModelStepper:
    """Batched stepper: all live hypotheses of one sentence go through the decoder together."""

    def __init__(self, model: Seq2Seq, enc: EncoderOutput, plan: SteerPlan | None = None) -> None:
        self.model, self.enc, self.plan = model, enc, plan
        self.state = trec.initial_state(enc)
        self.attn_hidden = model.initial_attn_hidden(1, enc.enc_states.device)

    @torch.inference_mode()
    def step(self, tokens: Tensor, t: int) -> Tensor:
        enc = expand_encoder(self.enc, tokens.size(0))
        steer = None if self.plan is None else self.plan.at(t, tokens.size(0))
        out = self.model.decoder.step(
            tokens.to(self.attn_hidden.device),
            self.attn_hidden,
            self.state,
            enc,
            t=t,
            options=StepOptions(steer=steer),
        )
        self.state, self.attn_hidden = out.state, out.attn_hidden
        return out.logp

    def reorder(self, rows: Tensor) -> None:
        rows = rows.to(self.attn_hidden.device)
        self.attn_hidden = self.attn_hidden.index_select(0, rows)
        if isinstance(self.enc, TEncoderOutput):
            self.state = trec.reorder_cache(self.state, rows)
        elif isinstance(self.state, tuple):
            self.state = tuple(s.index_select(1, rows) for s in self.state)
        else:
            self.state = self.state.index_select(1, rows)


def expand_encoder(enc: EncoderOutput, n: int) -> EncoderOutput:
    """Repeat a one-sentence encoding for n hypotheses (views, no copies)."""
    if enc.enc_states.size(0) == n:
        return enc
    if isinstance(enc, TEncoderOutput):
        return trec.expand_transformer_encoder(enc, n)
    return enc._replace(
        enc_states=enc.enc_states.expand(n, -1, -1),
        mask=enc.mask.expand(n, -1),
        lengths=enc.lengths.expand(n),
        summary=enc.summary.expand(n, -1),
    )


# ----------------------------------------------------------------------------- translator


@dataclass
class Translator:
    """A model with its vocabularies: the object the Python API and the app use."""

    model: Seq2Seq
    src_vocab: Vocab
    tgt_vocab: Vocab
    name: str = "model"
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def config(self) -> ModelConfig:
        return self.model.cfg

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def encode_text(self, text: str) -> EncodedText:
        cfg = self.config
        enc = encode_text(text, self.src_vocab, cfg.src_lang, cfg.lowercase, cfg.max_src_len)
        if not enc.tokens:
            raise EmptyInputError("the text has no words to translate")
        return enc

    def target_ids(self, text: str) -> list[int]:
        cfg = self.config
        return self.tgt_vocab.encode(tokenize(text, cfg.tgt_lang, cfg.lowercase))

    @torch.inference_mode()
    def encode(self, source: EncodedText) -> EncoderOutput:
        self.model.eval()
        src = torch.tensor([source.ids], dtype=torch.long, device=self.device)  # (1,S)
        return self.model.encode(src, torch.tensor([len(source.ids)], device=self.device))

    def translate(self, text: str, beam_width: int = 1, **kwargs: Any) -> str:
        tokens = self.best_tokens(text, DecodeConfig(beam_width=beam_width, **kwargs))
        return detokenize(tokens, self.config.tgt_lang)

    @torch.inference_mode()
    def best_tokens(self, text: str, decode: DecodeConfig) -> list[str]:
        """The output of `trace(text, decode)` without recording it: one search, no greedy
        comparison pass and no replay (what translation and evaluation need)."""
        if decode.sample_hard or decode.n_samples:  # sampling is decoded by the recorder
            return self.trace(text, decode).output_tokens
        source = self.encode_text(text)
        plan = self.steer_plan(decode, len(source.ids))
        stepper = ModelStepper(self.model, self.encode(source), plan)
        _, hyps = beam_search(
            stepper,
            self.tgt_vocab.itos,
            width=decode.beam_width,
            max_len=decode.max_len,
            alpha=decode.length_penalty,
            banned=banned_ids(source),
        )
        if hyps and UNK_ID in hyps[0].token_ids and decode.unk_replace:
            return self.trace(text, decode).output_tokens  # the replacement reads the weights
        return hyps[0].tokens if hyps else []

    @torch.inference_mode()
    def trace(
        self,
        text: str,
        decode: DecodeConfig | None = None,
        reference: str | None = None,
        prefix: list[str] | tuple[str, ...] = (),
    ) -> DecodeTrace:
        """Decode `text` and record everything. With `reference`: a teacher-forced trace.
        With `prefix` (target words): those words are forced first, the model continues."""
        decode = decode or DecodeConfig()
        source = self.encode_text(text)
        enc = self.encode(source)
        prefix_ids = tuple(self.tgt_vocab.id(w) for w in prefix)
        banned = banned_ids(source)
        plain = reference is None and decode.n_samples == 0 and decode.beam_width <= 1
        if plain:  # the greedy (or forced-prefix) trace itself
            greedy = self._record(enc, decode, forced=prefix_ids, banned=banned)
            greedy_ids = [s.token_id for s in greedy]
        else:  # only its words, beside the trace of another mode: nothing recorded
            greedy_ids = self._greedy_ids(enc, decode, prefix_ids, banned)
        trace = self._new_trace(text, source, enc, decode)
        itos = self.tgt_vocab.itos
        trace.greedy_tokens = [itos[i] for i in greedy_ids if i != EOS_ID]
        if reference is not None:
            ref_ids = tuple(self.target_ids(reference)) + (EOS_ID,)
            trace.mode, trace.reference_tokens = "teacher", self.tgt_vocab.decode(ref_ids[:-1])
            trace.steps = self._record(
                enc, decode, forced=ref_ids, stop_after_forced=True, banned=banned
            )
        elif decode.n_samples > 0:
            trace.mode = "sample"
            trace.steps, trace.samples = self._samples(enc, decode, prefix_ids, banned)
        elif decode.beam_width > 1:
            stepper = ModelStepper(self.model, enc, self.steer_plan(decode, len(source.ids)))
            trace.beam_nodes, hyps = beam_search(
                stepper,
                self.tgt_vocab.itos,
                width=decode.beam_width,
                max_len=decode.max_len,
                alpha=decode.length_penalty,
                prefix=prefix_ids,
                banned=banned,
            )
            trace.hypotheses = hyps[: decode.n_best]
            best = chosen_ids(trace.beam_nodes, hyps[0]) if hyps else ()
            trace.mode = "beam"
            trace.steps = self._record(
                enc,
                decode,
                forced=best,
                stop_after_forced=True,
                imposed=len(prefix_ids),
                banned=banned,
            )
        else:
            trace.mode, trace.steps = ("forced" if prefix_ids else "greedy"), greedy
        if decode.unk_replace:
            attends = self.config.align != "none"
            trace.output_tokens = copy_unknown(trace.steps, trace.src_tokens, attends)
        else:
            trace.output_tokens = [s.token for s in trace.steps if s.token_id != EOS_ID]
        return trace

    def _new_trace(
        self, text: str, source: EncodedText, enc: EncoderOutput, decode: DecodeConfig
    ) -> DecodeTrace:
        cfg = self.config
        transformer = isinstance(enc, TEncoderOutput)
        self_attn = None
        if not transformer and enc.self_attn is not None:
            self_attn = enc.self_attn[0].float().cpu().numpy()
        return DecodeTrace(
            model_name=self.name,
            mode="greedy",
            src_text=text,
            src_tokens=list(source.tokens),
            src_ids=np.array(source.ids),
            src_unknown=np.array(source.unknown, dtype=bool),
            truncated_from=source.truncated_from,
            enc_states=enc.enc_states[0].float().cpu().numpy(),
            steps=[],
            output_tokens=[],
            score_name=cfg.score,
            align_name=cfg.align,
            window=cfg.window,
            self_attn=self_attn,
            enc_rnn_states=None
            if transformer or enc.self_attn is None
            else enc.rnn_states[0].cpu().numpy(),
            vectors=trec.trace_vectors(enc) if transformer else trace_vectors(self.model, enc),
            settings={
                "beam_width": decode.beam_width,
                "max_len": decode.max_len,
                "length_penalty": decode.length_penalty,
                "sample_hard": decode.sample_hard,
                "seed": decode.seed,
                **steer_settings(decode),
            },
        )

    def steer_plan(self, decode: DecodeConfig, n_src: int) -> SteerPlan:
        """The attention changes of `decode` for a sentence of n_src tokens (ValueError when
        they do not fit it)."""
        if trec.is_transformer(self.model) and decode.steered:
            raise ValueError(
                "attention edits apply to the RNN models' single attention; a Transformer "
                "has one per layer and head"
            )
        return SteerPlan(decode, n_src, self.config.align, self.device)

    def _samples(
        self,
        enc: EncoderOutput,
        decode: DecodeConfig,
        prefix: tuple[int, ...],
        banned: tuple[int, ...] = BANNED_IDS,
    ) -> tuple[list[StepRecord], list[Sample]]:
        """`decode.n_samples` sampled runs (seeds seed, seed+1, ...); the first one's steps."""
        runs, samples = [], []
        for k in range(decode.n_samples):
            sampler = TokenSampler(decode, decode.seed + k, banned)
            steps = self._record(enc, decode, forced=prefix, sampler=sampler, banned=banned)
            runs.append(steps)
            tokens = [s.token for s in steps if s.token_id != EOS_ID]
            logp = float(sum(s.logp for s in steps))
            ids = [s.token_id for s in steps]
            samples.append(
                Sample(
                    tokens=tokens,
                    token_ids=ids,
                    logp=logp,
                    sample_logp=sampler.sample_logp,
                    seed=sampler.seed,
                )
            )
        return runs[0], samples

    @torch.inference_mode()
    def _greedy_ids(
        self,
        enc: EncoderOutput,
        decode: DecodeConfig,
        forced: tuple[int, ...],
        banned: tuple[int, ...] = BANNED_IDS,
    ) -> list[int]:
        """The word ids `_record` would choose greedily (after the `forced` ones), stepping the
        decoder the same way (same steer plan, same generator) but recording nothing: argmax
        returns the first of equal maxima, as the stable sort lists ties in id order."""
        gen = torch.Generator(device=self.device).manual_seed(decode.seed)
        plan = self.steer_plan(decode, enc.enc_states.size(1))
        state = trec.initial_state(enc)
        attn_hidden = self.model.initial_attn_hidden(1, self.device)
        y_prev, ids, ban = SOS_ID, [], list(banned)
        for t in range(decode.max_len):
            y = torch.tensor([y_prev], device=self.device)
            options = StepOptions(sample=decode.sample_hard, generator=gen, steer=plan.at(t))
            out = self.model.decoder.step(y, attn_hidden, state, enc, t=t, options=options)
            state, attn_hidden = out.state, out.attn_hidden
            if t < len(forced):
                y_prev = forced[t]
            else:
                logp = out.logp[0].float().cpu().clone()
                logp[ban] = float("-inf")
                y_prev = int(logp.argmax())
            ids.append(y_prev)
            if y_prev == EOS_ID:
                break
        return ids

    @torch.inference_mode()
    def _record(
        self,
        enc: EncoderOutput,
        decode: DecodeConfig,
        *,
        forced: tuple[int, ...] = (),
        stop_after_forced: bool = False,
        imposed: int | None = None,
        sampler: TokenSampler | None = None,
        banned: tuple[int, ...] = BANNED_IDS,
    ) -> list[StepRecord]:
        """Run the decoder one step at a time for one sentence, recording every quantity.
        The first `imposed` of the `forced` tokens (default: all) are marked as forced by the
        user or a reference; the rest replay the model's own choices (a beam's best path).
        With a `sampler`, the words after the forced ones are drawn instead of the argmax."""
        imposed = len(forced) if imposed is None else imposed
        if stop_after_forced and sampler is None and trec.is_transformer(self.model):
            return self._replay(enc, decode, forced, imposed, banned)
        gen = torch.Generator(device=self.device).manual_seed(decode.seed)
        plan = self.steer_plan(decode, enc.enc_states.size(1))
        state = trec.initial_state(enc)
        attn_hidden = self.model.initial_attn_hidden(1, self.device)
        y_prev, records = SOS_ID, []
        limit = len(forced) if stop_after_forced else decode.max_len
        for t in range(limit):
            y = torch.tensor([y_prev], device=self.device)
            options = StepOptions(sample=decode.sample_hard, generator=gen, steer=plan.at(t))
            out = self.model.decoder.step(y, attn_hidden, state, enc, t=t, options=options)
            state, attn_hidden = out.state, out.attn_hidden
            token = forced[t] if t < len(forced) else None
            drawn = sampler if token is None and sampler is not None else None
            token = drawn.choose(out.logp[0]) if drawn is not None else token
            records.append(
                self._step_record(
                    out,
                    t=t,
                    y_prev=y_prev,
                    forced=token,
                    top_k=decode.top_k,
                    imposed=t < imposed,
                    banned=banned,
                )
            )
            _mark(records[-1], out, drawn)
            y_prev = records[-1].token_id
            if y_prev == EOS_ID:
                break
        return records

    def _replay(
        self,
        enc: EncoderOutput,
        decode: DecodeConfig,
        forced: tuple[int, ...],
        imposed: int,
        banned: tuple[int, ...],
    ) -> list[StepRecord]:
        """A Transformer's steps over known words (a beam's best path, a reference) from one
        parallel pass (TDecoder.replay), recorded as `_record` records them: up to the first
        <eos>, which ends the loop there too."""
        self.steer_plan(decode, enc.enc_states.size(1))  # edits do not apply: it says so
        words = list(forced[: forced.index(EOS_ID) + 1] if EOS_ID in forced else forced)
        if not words:
            return []
        tgt_in = torch.tensor([[SOS_ID, *words[:-1]]], device=self.device)  # (1,T)
        outs = self.model.decoder.replay(tgt_in, enc)
        return [
            self._step_record(out, t=t, y_prev=int(tgt_in[0, t]), forced=word,
                              top_k=decode.top_k, imposed=t < imposed, banned=banned)
            for t, (out, word) in enumerate(zip(outs, words))
        ]  # fmt: skip

    def _step_record(
        self,
        out: StepOutput,
        *,
        t: int,
        y_prev: int,
        forced: int | None,
        top_k: int,
        imposed: bool,
        banned: tuple[int, ...] = BANNED_IDS,
    ) -> StepRecord:
        own = out.logp[0].float()  # the model's log p(y_t)
        logp = own.clone()
        logp[list(banned)] = float("-inf")
        # A stable sort on the CPU: equal probabilities (the banned tokens' zeros, a hand-set toy's
        # ties) list in id order on every device (CUDA's topk orders ties its own way).
        top_logp, top_ids = stable_topk(logp.cpu(), top_k)
        token = int(top_ids[0]) if forced is None else forced
        itos = self.tgt_vocab.itos
        shared = dict(
            t=t,
            input_token=itos[y_prev] if y_prev != SOS_ID else SOS,
            input_id=y_prev,
            topk_ids=top_ids.cpu().numpy(),
            topk_tokens=[itos[i] for i in top_ids.tolist()],
            topk_probs=top_logp.exp().cpu().numpy(),
            token=itos[token] if token != EOS_ID else EOS,
            token_id=token,
            logp=float(own[token]),
            forced=imposed,
        )
        unk_shown = UNK_ID in banned and float(own[UNK_ID]) >= float(top_logp[-1])
        if isinstance(out, TStepOutput):
            fields = trec.step_fields(out)
            if unk_shown:
                fields["extras"]["unk_banned_prob"] = float(own[UNK_ID].exp())
            return StepRecord(**shared, **fields)
        a = out.attn
        np_ = lambda x: x[0].float().cpu().numpy()  # noqa: E731
        extras: dict[str, Any] = step_vectors(self.model, out)
        if unk_shown:
            extras["unk_banned_prob"] = float(own[UNK_ID].exp())  # <unk> would have been shown
        return StepRecord(
            **shared,
            dec_state=np_(out.dec_state),
            scores=np_(a.scores),
            mask=a.mask[0].cpu().numpy(),
            weights=np_(a.weights),
            context=np_(a.context),
            attn_pre=np_(a.attn_pre),
            attn_hidden=np_(a.attn_hidden),
            extras=extras,
            **_alignment_fields(a),
        )


def _alignment_fields(a: AttentionOutput) -> dict[str, Any]:
    """StepRecord's alignment fields (p_t, window, Gaussian, pi_t, sampled position) for batch
    row 0; those the variant does not compute are left out (None on the record)."""
    row = lambda x: x[0].float().cpu().numpy()  # noqa: E731
    fields: dict[str, Any] = {}
    if a.soft_weights is not None:
        fields["soft_weights"] = row(a.soft_weights)
    if a.center is not None:
        fields["center"] = float(a.center[0])
        fields["window"] = (int(a.window[0][0]), int(a.window[0][1]))
    if a.gaussian is not None:
        fields["gaussian"] = row(a.gaussian)
    if a.index is not None:
        fields["sampled_index"] = int(a.index[0])
    return fields


def _mark(record: StepRecord, out: StepOutput, sampler: TokenSampler | None) -> None:
    """Record a user's attention edit (and the model's own weights) and a sampled step's p~."""
    own = None if isinstance(out, TStepOutput) else out.attn.own_weights
    if own is not None:
        record.edited = True
        record.extras["model_weights"] = own[0].float().cpu().numpy()
    if sampler is not None:
        record.extras.update(sampler.extras(record.topk_ids))


def steer_settings(decode: DecodeConfig) -> dict[str, Any]:
    """The steering and sampling settings that differ from their defaults (a plain run's
    settings stay exactly as before)."""
    out: dict[str, Any] = {}
    if decode.attention_override:
        out["attention_override"] = {str(t): list(w) for t, w in decode.attention_override}
    if decode.masked_positions:
        out["masked_positions"] = list(decode.masked_positions)
    if decode.attn_temperature != 1.0:
        out["attn_temperature"] = decode.attn_temperature
    if decode.n_samples:
        out.update(
            n_samples=decode.n_samples,
            sample_temperature=decode.sample_temperature,
            sample_top_k=decode.sample_top_k,
            sample_top_p=decode.sample_top_p,
        )
    return out
