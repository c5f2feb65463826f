r"""A small encoder-decoder Transformer (Vaswani et al. 2017, pre-norm as in Xiong et al. 2020)
that speaks the RNN model's protocol: ``encode``, ``decoder.teacher_forced``,
``decoder.output_inputs`` and one decoder ``step`` at a time, so the same trainer, search and
trace serve both.

Every attention block is the same three lines as the RNN's attention, with learned projections
and several heads::

    q = x W_q,   k_i = m_i W_k,   v_i = m_i W_v                 (per head: d_k = d_model / heads)
    e_i = q . k_i / sqrt(d_k)          a = softmax(e)           o = sum_i a_i v_i
    MultiHead(x, m) = [o_1; ...; o_h] W_o

A pre-norm layer adds each block to the residual stream: ``x <- x + Block(LayerNorm(x))``.
Encoder layer: self-attention, then a feed-forward block ``W_2 relu(W_1 x + b_1) + b_2``.
Decoder layer: masked self-attention (position t sees 1..t), cross-attention (queries from the
decoder, keys and values from the encoder's output), feed-forward. Positions are sinusoidal
(no parameters); embeddings are scaled by sqrt(d_model); the target embedding is the output
layer (tied): p(y_t) = softmax(E_y z_t + b), with z_t the decoder's final LayerNorm output.

Shapes: B batch, S source length, T target length, D d_model, n heads, d = D / n, F ffn size.
The model returns everything it computes (named tuples) and stores nothing on ``self``.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .config import TransformerConfig
from .text import PAD_ID


class AttnOut(NamedTuple):
    """Everything one multi-head attention block computed."""

    out: Tensor  # (B,Tq,D) [o_1; ...; o_n] W_o + b_o, added to the residual stream
    q: Tensor  # (B,n,Tq,d) queries
    k: Tensor  # (B,n,Tk,d) keys
    v: Tensor  # (B,n,Tk,d) values
    scores: Tensor  # (B,n,Tq,Tk) q . k / sqrt(d), masked positions -inf
    weights: Tensor  # (B,n,Tq,Tk) softmax of the scores
    heads: Tensor  # (B,n,Tq,d) sum_i a_i v_i per head


class MultiHeadAttention(nn.Module):
    def __init__(self, d_model: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.W_q = nn.Linear(d_model, d_model)
        self.W_k = nn.Linear(d_model, d_model)
        self.W_v = nn.Linear(d_model, d_model)
        self.W_o = nn.Linear(d_model, d_model)

    def split(self, x: Tensor) -> Tensor:
        """(B,T,D) -> (B,n,T,d)."""
        B, T, D = x.shape
        return x.view(B, T, self.heads, D // self.heads).transpose(1, 2)

    def forward(
        self,
        x: Tensor,
        memory: Tensor,
        mask: Tensor,
        *,
        cache: tuple[Tensor, Tensor] | None = None,
    ) -> AttnOut:
        """x (B,Tq,D) attends over memory (B,Tk,D); mask (B,1|Tq,Tk) True = may attend.
        `cache`: keys and values already projected (a decoder step's earlier positions, or the
        encoder's output for cross-attention), used instead of projecting `memory`."""
        q = self.split(self.W_q(x))  # (B,n,Tq,d)
        if cache is None:
            k, v = self.split(self.W_k(memory)), self.split(self.W_v(memory))  # (B,n,Tk,d)
        else:
            k, v = cache
        scores = q @ k.transpose(-1, -2) / math.sqrt(q.size(-1))  # (B,n,Tq,Tk)
        scores = scores.masked_fill(~mask.unsqueeze(1), float("-inf"))
        weights = torch.softmax(scores.float(), dim=-1).to(q.dtype)  # (B,n,Tq,Tk)
        heads = weights @ v  # (B,n,Tq,d)
        B, n, Tq, d = heads.shape
        out = self.W_o(heads.transpose(1, 2).reshape(B, Tq, n * d))  # (B,Tq,D)
        return AttnOut(out, q, k, v, scores, weights, heads)

    def project_kv(self, memory: Tensor) -> tuple[Tensor, Tensor]:
        return self.split(self.W_k(memory)), self.split(self.W_v(memory))


class FeedForward(nn.Module):
    def __init__(self, d_model: int, ffn_dim: int, dropout: float) -> None:
        super().__init__()
        self.W_1 = nn.Linear(d_model, ffn_dim)
        self.W_2 = nn.Linear(ffn_dim, d_model)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.W_2(self.drop(F.relu(self.W_1(x))))  # (B,T,D)


class EncoderLayer(nn.Module):
    def __init__(self, cfg: TransformerConfig) -> None:
        super().__init__()
        self.norm_self = nn.LayerNorm(cfg.d_model)
        self.self_attn = MultiHeadAttention(cfg.d_model, cfg.heads)
        self.norm_ffn = nn.LayerNorm(cfg.d_model)
        self.ffn = FeedForward(cfg.d_model, cfg.ffn_dim, cfg.dropout)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: Tensor, mask: Tensor) -> tuple[Tensor, AttnOut]:
        h = self.norm_self(x)
        att = self.self_attn(h, h, mask)
        x = x + self.drop(att.out)
        x = x + self.drop(self.ffn(self.norm_ffn(x)))
        return x, att


class DecoderLayer(nn.Module):
    def __init__(self, cfg: TransformerConfig) -> None:
        super().__init__()
        self.norm_self = nn.LayerNorm(cfg.d_model)
        self.self_attn = MultiHeadAttention(cfg.d_model, cfg.heads)
        self.norm_cross = nn.LayerNorm(cfg.d_model)
        self.cross_attn = MultiHeadAttention(cfg.d_model, cfg.heads)
        self.norm_ffn = nn.LayerNorm(cfg.d_model)
        self.ffn = FeedForward(cfg.d_model, cfg.ffn_dim, cfg.dropout)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(
        self,
        x: Tensor,
        self_mask: Tensor,
        cross_kv: tuple[Tensor, Tensor],
        cross_mask: Tensor,
        self_cache: tuple[Tensor, Tensor] | None = None,
    ) -> tuple[Tensor, AttnOut, AttnOut, tuple[Tensor, Tensor]]:
        """One layer over x (B,Tq,D). With `self_cache` (the keys and values of the earlier
        positions), x holds only the new position(s); returns the extended cache."""
        h = self.norm_self(x)
        k, v = self.self_attn.project_kv(h)
        if self_cache is not None:
            k, v = torch.cat([self_cache[0], k], 2), torch.cat([self_cache[1], v], 2)
        self_att = self.self_attn(h, h, self_mask, cache=(k, v))
        x = x + self.drop(self_att.out)
        h = self.norm_cross(x)
        cross = self.cross_attn(h, h, cross_mask, cache=cross_kv)
        x = x + self.drop(cross.out)
        x = x + self.drop(self.ffn(self.norm_ffn(x)))
        return x, self_att, cross, (k, v)


def sinusoids(length: int, dim: int) -> Tensor:
    """PE[pos, 2i] = sin(pos / 10000^(2i/D)), PE[pos, 2i+1] = cos(...) -> (length, D)."""
    pos = torch.arange(length, dtype=torch.float32)[:, None]  # (L,1)
    rate = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    table = torch.zeros(length, dim)
    table[:, 0::2] = torch.sin(pos * rate)
    table[:, 1::2] = torch.cos(pos * rate)
    return table


class TEncoderOutput(NamedTuple):
    enc_states: Tensor  # (B,S,D) the encoder's output after its final LayerNorm
    mask: Tensor  # (B,S) bool, True = real token
    lengths: Tensor  # (B,)
    cross_kv: tuple[tuple[Tensor, Tensor], ...]  # per decoder layer: keys, values (B,n,S,d)
    self_attn: tuple[AttnOut, ...]  # per encoder layer


class TStepOutput(NamedTuple):
    logp: Tensor | None  # (B,V)
    attn_hidden: Tensor  # (B,D) z_t: the decoder's final output at this position
    dec_state: Tensor  # (B,D) the same z_t (what the output layer reads)
    state: tuple[tuple[Tensor, Tensor], ...]  # per layer: self-attention keys, values so far
    self_attn: tuple[AttnOut, ...]  # per layer, this position's masked self-attention
    cross_attn: tuple[AttnOut, ...]  # per layer, this position's cross-attention


class TeacherForcedT(NamedTuple):
    attn_hidden: Tensor  # (B,T,D)
    weights: Tensor  # (B,T,S) last layer's cross-attention, mean over heads
    sampled_logpi: None
    soft_entropy: None


class TDecoder(nn.Module):
    def __init__(self, cfg: TransformerConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.tgt_vocab_size, cfg.d_model, padding_idx=PAD_ID)
        self.layers = nn.ModuleList(DecoderLayer(cfg) for _ in range(cfg.dec_layers))
        self.norm = nn.LayerNorm(cfg.d_model)
        self.out_bias = nn.Parameter(torch.zeros(cfg.tgt_vocab_size))
        self.drop = nn.Dropout(cfg.dropout)
        self.register_buffer("pe", sinusoids(cfg.max_positions, cfg.d_model), persistent=False)

    def inputs(self, ids: Tensor, start: int) -> Tensor:
        """ids (B,T) at positions start.. -> sqrt(D) E[y] + PE (B,T,D), dropout in training."""
        T = ids.size(1)
        x = self.embed(ids) * math.sqrt(self.cfg.d_model) + self.pe[start : start + T]
        return self.drop(x)

    def output_inputs(self, z: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """z (...,D) -> (x, W, b) with logits = x W^T + b: the tied target embedding."""
        return z, self.embed.weight, self.out_bias

    def logits(self, z: Tensor) -> Tensor:
        """x W^T + b (...,V). Decoding (inference mode, z (B,D)) multiplies by a contiguous copy
        of W^T instead: the same sums, but this CPU's matrix-vector product streams the 8 MB
        matrix 2.7x faster that way (bench: 986 -> 367 us cold). The copy is made again whenever
        the weight changes (its storage or its in-place version counter)."""
        x, W, b = self.output_inputs(z)
        if z.dim() != 2 or not torch.is_inference_mode_enabled():
            return F.linear(x, W, b)
        key = (W.data_ptr(), W._version, W.dtype, W.device)
        cached = self.__dict__.get("_w_t")
        if cached is None or cached[0] != key:
            cached = (key, W.t().contiguous())  # (D,V)
            self.__dict__["_w_t"] = cached  # a layout cache, not a parameter nor state
        return torch.addmm(b, x, cached[1])  # (B,V)

    def project(self, z: Tensor) -> Tensor:
        return self.logits(z).log_softmax(dim=-1)

    def teacher_forced(self, tgt_in: Tensor, enc: TEncoderOutput, **_: Any) -> TeacherForcedT:
        """All positions at once under the causal mask: the same math as looping `step()`."""
        z, _, crosses = self.parallel(tgt_in, enc)
        return TeacherForcedT(z, crosses[-1].weights.mean(1), None, None)

    def parallel(
        self, tgt_in: Tensor, enc: TEncoderOutput
    ) -> tuple[Tensor, list[AttnOut], list[AttnOut]]:
        """Every position of tgt_in (B,T) at once under the causal mask: z (B,T,D) and each
        layer's masked self-attention and cross-attention."""
        T = tgt_in.size(1)
        x = self.inputs(tgt_in, 0)  # (B,T,D)
        causal = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()[None]  # (1,T,T)
        cross_mask = enc.mask[:, None, :]  # (B,1,S)
        selfs, crosses = [], []
        for layer, kv in zip(self.layers, enc.cross_kv):
            x, self_att, cross, _ = layer(x, causal, kv, cross_mask)
            selfs.append(self_att)
            crosses.append(cross)
        return self.norm(x), selfs, crosses

    def replay(self, tgt_in: Tensor, enc: TEncoderOutput) -> list[TStepOutput]:
        """Every position of known inputs tgt_in (1,T) at once under the causal mask, cut into
        what `step()` would have returned at each position t (its query row; the self-attention
        over positions 0..t): the same numbers as T calls of `step()` (tested), in one pass that
        reads each weight once instead of T times. `state` is left empty (nothing follows)."""
        z, selfs, crosses = self.parallel(tgt_in, enc)  # z (1,T,D)
        logp = self.project(z[0])  # (T,V)
        return [
            TStepOutput(
                logp[t : t + 1],
                z[:, t],
                z[:, t],
                (),
                tuple(_at(a, t, keys=t + 1) for a in selfs),
                tuple(_at(a, t) for a in crosses),
            )
            for t in range(tgt_in.size(1))
        ]

    def step(
        self,
        y_prev: Tensor,
        prev_attn_hidden: Tensor | None,
        state: tuple[tuple[Tensor, Tensor], ...] | None,
        enc: TEncoderOutput,
        t: int,
        *_: Any,
        project: bool = True,
        **__: Any,
    ) -> TStepOutput:
        """Position t (0-based) for a batch: y_prev (B,) is the word at position t (<sos> at
        0); `state` holds each layer's self-attention keys and values of positions < t."""
        x = self.inputs(y_prev[:, None], t)  # (B,1,D)
        self_mask = torch.ones(1, 1, t + 1, dtype=torch.bool, device=x.device)
        cross_mask = enc.mask[:, None, :]  # (B,1,S)
        caches, selfs, crosses = [], [], []
        for i, (layer, kv) in enumerate(zip(self.layers, enc.cross_kv)):
            cache = state[i] if state else None
            x, self_att, cross, new_cache = layer(x, self_mask, kv, cross_mask, cache)
            caches.append(new_cache)
            selfs.append(self_att)
            crosses.append(cross)
        z = self.norm(x)[:, 0]  # (B,D)
        logp = self.project(z) if project else None
        return TStepOutput(logp, z, z, tuple(caches), tuple(selfs), tuple(crosses))


def _at(a: AttnOut, t: int, keys: int | None = None) -> AttnOut:
    """Query position t of a block run over all positions (keys cut to the first `keys`)."""
    k = slice(None) if keys is None else slice(0, keys)
    return AttnOut(
        a.out[:, t : t + 1],
        a.q[:, :, t : t + 1],
        a.k[:, :, k],
        a.v[:, :, k],
        a.scores[:, :, t : t + 1, k],
        a.weights[:, :, t : t + 1, k],
        a.heads[:, :, t : t + 1],
    )


class Transformer(nn.Module):
    def __init__(self, cfg: TransformerConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.src_embed = nn.Embedding(cfg.src_vocab_size, cfg.d_model, padding_idx=PAD_ID)
        self.enc_layers = nn.ModuleList(EncoderLayer(cfg) for _ in range(cfg.enc_layers))
        self.enc_norm = nn.LayerNorm(cfg.d_model)
        self.decoder = TDecoder(cfg)
        self.drop = nn.Dropout(cfg.dropout)
        self.register_buffer("pe", sinusoids(cfg.max_positions, cfg.d_model), persistent=False)
        for emb in (self.src_embed, self.decoder.embed):
            nn.init.normal_(emb.weight, std=cfg.d_model**-0.5)
            with torch.no_grad():
                emb.weight[PAD_ID].zero_()

    def encode(self, src: Tensor, lengths: Tensor) -> TEncoderOutput:
        """src (B,S) -> the encoder's output, and every decoder layer's cross keys/values."""
        mask = src != PAD_ID  # (B,S)
        S = src.size(1)
        x = self.drop(self.src_embed(src) * math.sqrt(self.cfg.d_model) + self.pe[:S])
        selfs = []
        for layer in self.enc_layers:
            x, att = layer(x, mask[:, None, :])
            selfs.append(att)
        states = self.enc_norm(x)  # (B,S,D)
        cross_kv = tuple(layer.cross_attn.project_kv(states) for layer in self.decoder.layers)
        return TEncoderOutput(states, mask, lengths.to(src.device), cross_kv, tuple(selfs))

    def initial_attn_hidden(self, batch: int, device: torch.device) -> Tensor:
        return torch.zeros(batch, self.cfg.d_model, device=device)  # unused: no input feeding
