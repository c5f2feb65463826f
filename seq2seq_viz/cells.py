r"""Inside the encoder's cell: every gate and state of every token, recomputed from the weights.

The encoder runs ``nn.RNN``, ``nn.GRU`` or ``nn.LSTM`` (cuDNN-style fused kernels that hide their
gates). :func:`cell_trace` replays it one token at a time with the module's own parameters
(``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}``, and ``*_reverse`` for
the backward direction) and the equations of PyTorch's documentation, which are the equations the
fused kernels compute. ``x_t`` is the token's embedding (layer 0) or the previous layer's
``[h_fwd; h_bwd]``; the backward direction reads the sentence from the end, so its "previous" state
is the one of token t+1. Both directions start from h = 0 (and C = 0).

RNN (tanh)::

    h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)

GRU (weights stacked r, z, n; note that r_t multiplies W_hn h_{t-1} + b_hn, bias included)::

    r_t = sigmoid(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
    z_t = sigmoid(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
    n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))
    h_t = (1 - z_t) * n_t + z_t * h_{t-1}

LSTM (weights stacked i, f, g, o)::

    i_t = sigmoid(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)
    f_t = sigmoid(W_if x_t + b_if + W_hf h_{t-1} + b_hf)
    g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)
    o_t = sigmoid(W_io x_t + b_io + W_ho h_{t-1} + b_ho)
    C_t = f_t * C_{t-1} + i_t * g_t
    h_t = o_t * tanh(C_t)

Every gate is kept with its two halves, ``x_parts[g] = W_ig x_t + b_ig`` and
``h_parts[g] = W_hg h_{t-1} + b_hg``, so a page can print the equation with the numbers that went
in. Shapes: S source length, h units per direction (hidden_dim // 2 when bidirectional).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor

from .decode import Translator

GATES = {"rnn": ("a",), "gru": ("r", "z", "n"), "lstm": ("i", "f", "g", "o")}


@dataclass
class CellSteps:
    """One layer and direction of the encoder, token by token (rows in sentence order)."""

    layer: int
    direction: str  # "forward" | "backward"
    x: np.ndarray  # (S,in) the cell's input x_t
    h_prev: np.ndarray  # (S,h) the state the step started from (h_{t-1}, or h_{t+1} backward)
    h: np.ndarray  # (S,h) h_t
    gates: dict[str, np.ndarray]  # name -> (S,h) after the nonlinearity (GRU n: the candidate)
    x_parts: dict[str, np.ndarray]  # name -> (S,h) W_i* x_t + b_i*
    h_parts: dict[str, np.ndarray]  # name -> (S,h) W_h* h_{t-1} + b_h*
    c_prev: np.ndarray | None = None  # (S,h) LSTM C_{t-1}
    c: np.ndarray | None = None  # (S,h) LSTM C_t


@dataclass
class CellTrace:
    """The encoder's recurrence for one sentence (plain numpy; picklable)."""

    cell: str  # "rnn" | "gru" | "lstm"
    nonlinearity: str  # nn.RNN's ("tanh" in our models; "relu" is replayed too)
    tokens: list[str]
    units: int  # h per direction
    layers: list[list[CellSteps]] = field(default_factory=list)  # [layer][direction]
    max_error: float = 0.0  # max |recomputed h_t - the encoder's own output| over the top layer

    def steps(self, layer: int = 0, direction: str = "forward") -> CellSteps:
        for steps in self.layers[layer] if 0 <= layer < len(self.layers) else []:
            if steps.direction == direction:
                return steps
        raise KeyError(f"no {direction} direction in layer {layer}")

    @property
    def directions(self) -> list[str]:
        return [s.direction for s in self.layers[0]]


def _params(rnn: torch.nn.RNNBase, layer: int, reverse: bool) -> tuple[Tensor, ...]:
    suffix = f"_l{layer}" + ("_reverse" if reverse else "")
    names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    out = []
    for name in names:
        p = getattr(rnn, name + suffix, None)
        if p is None:  # bias=False
            p = torch.zeros(getattr(rnn, "weight_ih" + suffix).shape[0])
        out.append(p.detach().cpu().double())
    return tuple(out)


def _one_step(
    cell: str, gx: Tensor, gh: Tensor, h: Tensor, c: Tensor | None, relu: bool = False
) -> tuple[dict[str, Tensor], Tensor, Tensor | None]:
    """Gates, h_t and C_t from the pre-activations gx = W_ih x + b_ih and gh = W_hh h + b_hh."""
    if cell == "rnn":
        h_new = torch.relu(gx + gh) if relu else torch.tanh(gx + gh)
        return {"a": h_new}, h_new, None
    if cell == "gru":
        xr, xz, xn = gx.chunk(3)
        hr, hz, hn = gh.chunk(3)
        r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
        n = torch.tanh(xn + r * hn)
        return {"r": r, "z": z, "n": n}, (1 - z) * n + z * h, None
    xi, xf, xg, xo = (gx + gh).chunk(4)
    i, f, g, o = torch.sigmoid(xi), torch.sigmoid(xf), torch.tanh(xg), torch.sigmoid(xo)
    c_new = f * c + i * g
    return {"i": i, "f": f, "g": g, "o": o}, o * torch.tanh(c_new), c_new


def run_direction(
    cell: str,
    params: tuple[Tensor, ...],
    xs: Tensor,
    reverse: bool,
    layer: int = 0,
    relu: bool = False,
) -> CellSteps:
    """Replay one direction over xs (S,in) from a zero state (float64 throughout)."""
    w_ih, w_hh, b_ih, b_hh = params
    units = w_hh.shape[1]
    S = xs.shape[0]
    h = torch.zeros(units, dtype=torch.float64)
    c = torch.zeros(units, dtype=torch.float64) if cell == "lstm" else None
    names = GATES[cell]
    rows: dict[str, list] = {k: [None] * S for k in ("h", "h_prev", "c", "c_prev")}
    gates = {g: [None] * S for g in names}
    x_parts = {g: [None] * S for g in names}
    h_parts = {g: [None] * S for g in names}
    for t in reversed(range(S)) if reverse else range(S):
        gx = w_ih @ xs[t] + b_ih  # (G*h,)
        gh = w_hh @ h + b_hh  # (G*h,)
        values, h_new, c_new = _one_step(cell, gx, gh, h, c, relu)
        for k, g in enumerate(names):
            gates[g][t] = values[g]
            x_parts[g][t] = gx[k * units : (k + 1) * units]
            h_parts[g][t] = gh[k * units : (k + 1) * units]
        rows["h_prev"][t], rows["h"][t] = h, h_new
        if c is not None:
            rows["c_prev"][t], rows["c"][t] = c, c_new
        h, c = h_new, c_new
    stack = lambda xs_: torch.stack(xs_).numpy()  # noqa: E731
    return CellSteps(
        layer=layer,
        direction="backward" if reverse else "forward",
        x=xs.numpy(),
        h_prev=stack(rows["h_prev"]),
        h=stack(rows["h"]),
        gates={g: stack(v) for g, v in gates.items()},
        x_parts={g: stack(v) for g, v in x_parts.items()},
        h_parts={g: stack(v) for g, v in h_parts.items()},
        c_prev=stack(rows["c_prev"]) if c is not None else None,
        c=stack(rows["c"]) if c is not None else None,
    )


@torch.inference_mode()
def cell_trace(translator: Translator, text: str) -> CellTrace:
    """Recompute the encoder of `translator` over `text` gate by gate (see the module docstring).

    ``max_error`` compares the recomputed top layer with the encoder's own forward pass (the
    packed, fused kernel the app uses), so a page can show that the numbers are the model's."""
    model = translator.model.eval()
    rnn = model.encoder.rnn
    cfg = model.cfg
    source = translator.encode_text(text)
    src = torch.tensor([source.ids], dtype=torch.long, device=translator.device)  # (1,S)
    xs = model.encoder.embed(src)[0].detach().cpu().double()  # (S,E)
    trace = CellTrace(
        cell=cfg.cell,
        nonlinearity=getattr(rnn, "nonlinearity", "tanh"),
        tokens=list(source.tokens),
        units=0,
    )
    dirs = (False, True) if cfg.bidirectional else (False,)
    for layer in range(cfg.enc_layers):
        relu = trace.nonlinearity == "relu"
        steps = [run_direction(cfg.cell, _params(rnn, layer, r), xs, r, layer, relu) for r in dirs]
        trace.layers.append(steps)
        xs = torch.from_numpy(np.concatenate([s.h for s in steps], axis=1))  # (S,dirs*h)
    trace.units = trace.layers[0][0].h.shape[1]
    lengths = torch.tensor([len(source.ids)])
    _, _, rnn_states, _, _ = model.encoder(src, lengths.to(src.device))  # (1,S,H)
    actual = rnn_states[0].double().cpu().numpy()
    trace.max_error = float(np.abs(actual - xs.numpy()).max())
    return trace
