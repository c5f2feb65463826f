r"""Encoder, Luong decoder with input feeding, and the Seq2Seq wrapper.

One decoder step (Luong et al. 2015, input feeding)::

    s_t   = RNN([emb(y_{t-1}); h~_{t-1}], s_{t-1})
    e_t, a_t, c_t, h~_t = Attention(s_t, h_1..h_S)           (see attention.py)
    p(y_t | y_<t, x) = softmax(W_o h~_t + b_o),   W_o = E_y W_p when the output layer is tied

The model returns everything it computes (named tuples) and stores nothing on ``self``.
Shapes: B batch, S source length, T target length, H hidden, E embedding, V vocabulary, L layers.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .attention import (
    PLAIN_STEP,
    Attention,
    AttentionOutput,
    SelfAttention,
    StepOptions,
    project_keys,
)
from .config import ModelConfig, TransformerConfig
from .losses import autocast_dtype
from .text import PAD_ID
from .transformer import Transformer

RNNS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}
State = Tensor | tuple[Tensor, Tensor]  # (L,B,H), or (h, c) for LSTM


class Dropout(nn.Dropout):
    """nn.Dropout whose mask compares uniform draws with p (keep where u >= p, then scale by
    1/(1-p)): the same Bernoulli(1-p) mask and the same expected value as PyTorch's bernoulli_,
    cheaper to draw on a CPU. The identity in eval mode."""

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.p == 0.0:
            return x
        if self.p >= 1.0:
            return x * 0.0
        keep = torch.rand(x.shape, device=x.device).ge_(self.p)  # float32 draws, any x type
        return x * keep.to(x.dtype).mul_(1.0 / (1.0 - self.p))


class EncoderOutput(NamedTuple):
    enc_states: Tensor  # (B,S,H) what attention reads
    mask: Tensor  # (B,S) bool, True = real token
    lengths: Tensor  # (B,) long
    init_state: State  # decoder's initial state (after the bridge)
    summary: Tensor  # (B,H) final encoder state: the single context vector of align="none"
    rnn_states: Tensor  # (B,S,H) before self-attention (== enc_states without it)
    self_attn: Tensor | None  # (B,n,S,S)


class StepOutput(NamedTuple):
    logp: Tensor | None  # (B,V) log p(y_t), None when projection was skipped
    attn_hidden: Tensor  # (B,H) h~_t, fed to the next step
    dec_state: Tensor  # (B,H) s_t of the top layer
    state: State  # full recurrent state for the next step
    attn: AttentionOutput


class TeacherForced(NamedTuple):
    attn_hidden: Tensor  # (B,T,H) h~_t of every step (project them all at once)
    weights: Tensor  # (B,T,S)
    sampled_logpi: Tensor | None  # (B,T) log pi(i*) of hard attention's sampled positions
    soft_entropy: Tensor | None  # (B,T) entropy of pi_t (hard attention)


class ForwardOutput(NamedTuple):
    logp: Tensor  # (B,T,V)
    weights: Tensor  # (B,T,S)
    sampled_logpi: Tensor | None  # (B,T) log pi(i*) of hard attention's sampled positions
    soft_entropy: Tensor | None  # (B,T) entropy of pi_t (hard attention)


class Encoder(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        per_dir = cfg.hidden_dim // 2 if cfg.bidirectional else cfg.hidden_dim
        self.embed = nn.Embedding(cfg.src_vocab_size, cfg.emb_dim, padding_idx=PAD_ID)
        self.rnn = RNNS[cfg.cell](
            cfg.emb_dim,
            per_dir,
            num_layers=cfg.enc_layers,
            batch_first=True,
            bidirectional=cfg.bidirectional,
            dropout=cfg.dropout if cfg.enc_layers > 1 else 0.0,
        )
        self.drop = Dropout(cfg.dropout)
        self.self_attn = (
            SelfAttention(cfg.hidden_dim, cfg.self_attn_heads, cfg.dropout)
            if cfg.self_attn
            else None
        )

    def forward(
        self, src: Tensor, lengths: Tensor
    ) -> tuple[Tensor, Tensor, Tensor, Tensor | None, Tensor | None]:
        """src (B,S) -> states (B,S,H), final (L,B,H), rnn states, final cell, self-attn."""
        mask = src != PAD_ID  # (B,S)
        emb = self.drop(self.embed(src))  # (B,S,E)
        packed = pack_padded_sequence(emb, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, final = self.rnn(packed)
        rnn_states, _ = pad_packed_sequence(out, batch_first=True, total_length=src.size(1))
        cell = None
        if isinstance(final, tuple):
            final, cell = final[0], self._merge(final[1])
        final = self._merge(final)  # (L,B,H)
        states, weights = rnn_states, None
        if self.self_attn is not None:
            states, weights = self.self_attn(rnn_states, mask)
        return states, final, rnn_states, cell, weights

    def _merge(self, final: Tensor) -> Tensor:
        """(L*dirs,B,h) -> (L,B,dirs*h): concatenate forward and backward final states."""
        if not self.cfg.bidirectional:
            return final
        L2, B, h = final.shape
        return final.view(L2 // 2, 2, B, h).transpose(1, 2).reshape(L2 // 2, B, 2 * h)


class Decoder(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        H = cfg.hidden_dim
        self.embed = nn.Embedding(cfg.tgt_vocab_size, cfg.emb_dim, padding_idx=PAD_ID)
        self.rnn = RNNS[cfg.cell](
            cfg.emb_dim + H,
            H,
            num_layers=cfg.dec_layers,
            batch_first=True,
            dropout=cfg.dropout if cfg.dec_layers > 1 else 0.0,
        )
        self.attention = Attention(H, cfg.score, cfg.align, cfg.window)
        self.drop = Dropout(cfg.dropout)
        if cfg.tie_output:
            self.W_p = nn.Linear(H, cfg.emb_dim, bias=False)
            self.out_bias = nn.Parameter(torch.zeros(cfg.tgt_vocab_size))
        else:
            self.W_o = nn.Linear(H, cfg.tgt_vocab_size)

    def output_inputs(self, attn_hidden: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """h~ (...,H) -> (x, W, b) with logits = x W^T + b: x = W_p h~ (...,E) and W = E_y
        when the output layer is tied, else x = h~ and W = W_o (dropout on h~ in training)."""
        x = self.drop(attn_hidden)
        if self.cfg.tie_output:
            return self.W_p(x), self.embed.weight, self.out_bias
        return x, self.W_o.weight, self.W_o.bias

    def logits(self, attn_hidden: Tensor) -> Tensor:
        """h~ (...,H) -> the output layer's logits W_o h~ + b_o (...,V)."""
        return F.linear(*self.output_inputs(attn_hidden))  # (...,V)

    def project(self, attn_hidden: Tensor) -> Tensor:
        """h~ (...,H) -> log p(y) (...,V)."""
        return self.logits(attn_hidden).log_softmax(dim=-1)

    def teacher_forced(
        self,
        tgt_in: Tensor,
        enc: EncoderOutput,
        *,
        options: StepOptions = PLAIN_STEP,
    ) -> TeacherForced:
        """All decoder steps fed the gold words: the same math as looping `step()`, arranged
        for training speed (tested equal). What does not depend on the previous step is
        computed once for the whole batch: the embeddings of every input word and their part
        of the RNN's input transform (W_ih[:, :E] emb(y_t) + b_ih), and the keys' part of the
        score (W_a h_i, or W_k h_i + b). Only the recurrence stays in the Python loop, with the
        cell's gates written out as PyTorch's nn.GRU / nn.LSTM / nn.RNN define them."""
        if self.cfg.dec_layers != 1:  # the fused cell covers one layer; loop step() otherwise
            return self._teacher_forced_by_steps(tgt_in, enc, options)
        B, T = tgt_in.shape
        E, H = self.cfg.emb_dim, self.cfg.hidden_dim
        rnn = self.rnn
        w_ih, w_hh, b_ih, b_hh = rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, rnn.bias_hh_l0
        # time-major, and unbound once: indexing gi_words[t] in the loop would make autograd
        # write each step's gradient into a zeroed copy of the whole (T,B,G) tensor
        emb = self.drop(self.embed(tgt_in.t()))  # (T,B,E)
        gi_words = F.linear(emb, w_ih[:, :E], b_ih).unbind(0)  # T x (B,G), G = gates * H
        w_feed = w_ih[:, E:]  # (G,H): the input-feeding part h~_{t-1}
        keys_proj = project_keys(self.attention, enc.enc_states)
        state = enc.init_state
        s = state[0][0] if isinstance(state, tuple) else state[0]  # (B,H) s_{t-1}
        c = state[1][0] if isinstance(state, tuple) else None  # (B,H) LSTM cell state
        hidden = torch.zeros(B, H, dtype=emb.dtype, device=emb.device)  # h~_0 = 0
        low = autocast_dtype(tgt_in.device)
        if low is not None:  # mixed precision: cast what every step reads once, not per step
            w_feed, w_hh, hidden = w_feed.to(low), w_hh.to(low), hidden.to(low)
            enc = enc._replace(enc_states=enc.enc_states.to(low))
        hiddens, weights, logpi, entropy = [], [], [], []
        for t in range(T):
            gi = torch.addmm(gi_words[t], hidden, w_feed.t())  # (B,G)
            gh = torch.addmm(b_hh, s, w_hh.t())  # (B,G)
            if self.cfg.cell == "gru":  # gates in the order r, z, n
                (gi_rz, gi_n), (gh_rz, gh_n) = gi.split((2 * H, H), 1), gh.split((2 * H, H), 1)
                r, z = torch.sigmoid(gi_rz + gh_rz).chunk(2, 1)
                n = torch.tanh(gi_n + r * gh_n)
                s = n + z * (s - n)  # (1 - z) n + z s_{t-1}
            elif self.cfg.cell == "lstm":  # gates in the order i, f, g, o
                i, f, g, o = (gi + gh).chunk(4, 1)
                i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
                c = f * c + i * g
                s = o * torch.tanh(c)
            else:
                s = torch.tanh(gi + gh)
            attn = self.attention(
                s,
                enc.enc_states,
                enc.mask,
                enc.lengths,
                t=t,
                summary=enc.summary,
                options=options,
                keys_proj=keys_proj,
            )
            hidden = attn.attn_hidden
            hiddens.append(hidden)
            weights.append(attn.weights)
            _hard_terms(attn, logpi, entropy)
        return _teacher_forced_output(hiddens, weights, logpi, entropy)

    def _teacher_forced_by_steps(
        self, tgt_in: Tensor, enc: EncoderOutput, options: StepOptions
    ) -> TeacherForced:
        B, T = tgt_in.shape
        state = enc.init_state
        hidden = torch.zeros(B, self.cfg.hidden_dim, device=tgt_in.device)
        hiddens, weights, logpi, entropy = [], [], [], []
        for t in range(T):
            out = self.step(tgt_in[:, t], hidden, state, enc, t=t, options=options, project=False)
            state, hidden = out.state, out.attn_hidden
            hiddens.append(hidden)
            weights.append(out.attn.weights)
            _hard_terms(out.attn, logpi, entropy)
        return _teacher_forced_output(hiddens, weights, logpi, entropy)

    def step(
        self,
        y_prev: Tensor,
        prev_attn_hidden: Tensor,
        state: State,
        enc: EncoderOutput,
        *,
        t: int,
        options: StepOptions = PLAIN_STEP,
        project: bool = True,
    ) -> StepOutput:
        """One decoder step t for a batch: y_prev (B,), prev_attn_hidden (B,H). `options`:
        hard attention's sampling and a user's change to the attention (attention.py).
        `project=False` skips the output layer (logp is then None)."""
        emb = self.drop(self.embed(y_prev))  # (B,E)
        rnn_in = torch.cat([emb, prev_attn_hidden], dim=1).unsqueeze(1)  # (B,1,E+H)
        out, state = self.rnn(rnn_in, state)  # (B,1,H)
        dec_state = out.squeeze(1)  # (B,H) s_t
        attn = self.attention(
            dec_state,
            enc.enc_states,
            enc.mask,
            enc.lengths,
            t=t,
            summary=enc.summary,
            options=options,
        )
        logp = self.project(attn.attn_hidden) if project else None
        return StepOutput(
            logp=logp, attn_hidden=attn.attn_hidden, dec_state=dec_state, state=state, attn=attn
        )


class Seq2Seq(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.encoder = Encoder(cfg)
        self.decoder = Decoder(cfg)
        H, L = cfg.hidden_dim, cfg.dec_layers
        self.bridge = nn.Linear(H, H * L)
        self.bridge_cell = nn.Linear(H, H * L) if cfg.cell == "lstm" else None

    def encode(self, src: Tensor, lengths: Tensor) -> EncoderOutput:
        states, final, rnn_states, cell, weights = self.encoder(src, lengths)
        top = final[-1]  # (B,H) top layer's final state
        init = self._bridge(self.bridge, top)
        if self.bridge_cell is not None:
            init = (init, self._bridge(self.bridge_cell, cell[-1]))
        mask = src != PAD_ID  # (B,S)
        return EncoderOutput(
            enc_states=states,
            mask=mask,
            lengths=lengths.to(src.device),
            init_state=init,
            summary=top,
            rnn_states=rnn_states,
            self_attn=weights,
        )

    def _bridge(self, layer: nn.Linear, top: Tensor) -> Tensor:
        B, H = top.shape
        init = torch.tanh(layer(top))  # (B,L*H)
        return init.view(B, self.cfg.dec_layers, H).transpose(0, 1).contiguous()  # (L,B,H)

    def initial_attn_hidden(self, batch: int, device: torch.device) -> Tensor:
        return torch.zeros(batch, self.cfg.hidden_dim, device=device)  # h~_0 = 0

    def forward(
        self,
        src: Tensor,
        lengths: Tensor,
        tgt_in: Tensor,
        *,
        tf_ratio: float = 1.0,
        options: StepOptions = PLAIN_STEP,
    ) -> ForwardOutput:
        """Teacher-forced (with probability tf_ratio per step) forward over tgt_in (B,T).
        `options`: hard attention's sampling (its generator also draws the scheduled sampling),
        or its expected context pi_t (no sampling)."""
        enc = self.encode(src, lengths)
        if tf_ratio >= 1.0:
            tf = self.decoder.teacher_forced(tgt_in, enc, options=options)
            return ForwardOutput(
                logp=self.decoder.project(tf.attn_hidden),
                weights=tf.weights,
                sampled_logpi=tf.sampled_logpi,
                soft_entropy=tf.soft_entropy,
            )
        # Scheduled sampling: each step may feed the model's own previous word.
        B, T = tgt_in.shape
        state, attn_hidden = enc.init_state, self.initial_attn_hidden(B, src.device)
        y_prev = tgt_in[:, 0]
        logps, weights, logpi, entropy = [], [], [], []
        for t in range(T):
            out = self.decoder.step(y_prev, attn_hidden, state, enc, t=t, options=options)
            state, attn_hidden = out.state, out.attn_hidden
            weights.append(out.attn.weights)
            _hard_terms(out.attn, logpi, entropy)
            logps.append(out.logp)
            if t + 1 < T:
                y_prev = self._next_input(tgt_in[:, t + 1], out.logp, tf_ratio, options.generator)
        sampled_logpi, soft_entropy = _stacks(logpi, entropy)
        return ForwardOutput(
            logp=torch.stack(logps, 1),
            weights=torch.stack(weights, 1),
            sampled_logpi=sampled_logpi,
            soft_entropy=soft_entropy,
        )

    @staticmethod
    def _next_input(
        gold: Tensor, logp: Tensor | None, tf_ratio: float, generator: torch.Generator | None
    ) -> Tensor:
        if logp is None or tf_ratio >= 1.0:
            return gold
        use_gold = torch.rand(gold.shape, generator=generator, device=gold.device) < tf_ratio
        return torch.where(use_gold, gold, logp.argmax(-1).detach())


def _hard_terms(attn: AttentionOutput, logpi: list[Tensor], entropy: list[Tensor]) -> None:
    """Hard attention: log pi_t(i*) of the chosen position and the entropy of pi_t."""
    if attn.index is not None:
        soft = attn.soft_weights
        logpi.append(torch.log(soft.gather(1, attn.index[:, None]).squeeze(1) + 1e-12))
        entropy.append(-(soft * torch.log(soft + 1e-12)).sum(1))


def _teacher_forced_output(
    hiddens: list[Tensor], weights: list[Tensor], logpi: list[Tensor], entropy: list[Tensor]
) -> TeacherForced:
    sampled_logpi, soft_entropy = _stacks(logpi, entropy)
    return TeacherForced(
        attn_hidden=torch.stack(hiddens, 1),
        weights=torch.stack(weights, 1),
        sampled_logpi=sampled_logpi,
        soft_entropy=soft_entropy,
    )


def _stacks(logpi: list[Tensor], entropy: list[Tensor]) -> tuple[Tensor | None, Tensor | None]:
    return (torch.stack(logpi, 1) if logpi else None, torch.stack(entropy, 1) if entropy else None)


def build_model(
    cfg: ModelConfig | TransformerConfig, device: torch.device | str | None = None
) -> Seq2Seq | Transformer:
    """The model a config describes: the RNN encoder-decoder, or the Transformer."""
    model = Transformer(cfg) if isinstance(cfg, TransformerConfig) else Seq2Seq(cfg)
    return model.to(device) if device is not None else model


def pick_device(prefer: str | None = None) -> torch.device:
    """CUDA when present (or asked for), else CPU."""
    if prefer:
        return torch.device(prefer)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")
