r"""The training loss over the output layer, computed a slice of target tokens at a time.

For the N real target tokens of a batch, with x_n the output layer's input (h~_t after W_p when
the output is tied), W (V,D) its matrix and b its bias::

    z_n     = W x_n + b                                   (logits over the V words)
    nll_n   = log sum_v exp z_nv - z_n,y_n                 (-log p(y_n))
    smooth_n = log sum_v exp z_nv - (1/V) sum_v z_nv       (-mean_v log p(v): uniform cross-entropy)
    loss    = sum_n (1 - eps) nll_n + eps smooth_n         (label smoothing, eps)

and its gradient dloss/dz_n = softmax(z_n) - (1 - eps) onehot(y_n) - eps / V.

The (N,V) logit matrix is the largest thing training touches (a batch of 512 sentences makes
about 4,600 x 8,000 floats, 150 MB). Here it never exists whole: the rows go through in slices
small enough to stay in the CPU's cache, and each slice's gradients with respect to x, W and b
are computed at once, while its logits are still there (one pass instead of a forward pass, a
saved probability matrix and a backward pass). The backward only scales those gradients by the
incoming gradient of the (scalar) loss. Same math as ``F.cross_entropy(..., label_smoothing=eps,
reduction="sum")``; only the order of float additions differs (tests/test_losses.py).
"""

from __future__ import annotations

import torch
from torch import Tensor

# rows per slice: about 2 M floats (8 MB) of logits at a time
SLICE_FLOATS = 1 << 21


def autocast_dtype(device: torch.device) -> torch.dtype | None:
    """The lower precision autocast runs matrix products in on `device`, or None when off."""
    if not torch.is_autocast_enabled(device.type):
        return None
    return torch.get_autocast_dtype(device.type)


def slice_rows(vocab: int) -> int:
    return max(16, SLICE_FLOATS // max(vocab, 1))


def _slice_stats(
    z: Tensor, target: Tensor, mean: Tensor | None = None
) -> tuple[Tensor, Tensor, Tensor]:
    """z (c,V) logits, consumed: becomes exp(z - max) in place. Returns nll, smooth, row sums.
    `mean`: the rows' mean logits when the caller has them cheaper than a pass over z."""
    top = z.amax(dim=1, keepdim=True)  # (c,1)
    mean = z.mean(dim=1) if mean is None else mean  # (c,)
    gold = z.gather(1, target.unsqueeze(1)).squeeze(1)  # (c,)
    z.sub_(top).exp_()  # (c,V) unnormalised probabilities
    total = z.sum(dim=1, keepdim=True)  # (c,1)
    log_z = (top + total.log()).squeeze(1)  # (c,) log sum_v exp z_v
    return log_z - gold, log_z - mean, total


class _OutputLoss(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias, target, eps, rows, low):
        # x (N,D), weight (V,D), bias (V,)|None, target (N,); low: the matrix products' type
        # under autocast (bfloat16), None for float32
        N, V = x.size(0), weight.size(0)
        gx = torch.empty_like(x)  # (N,D)
        gw = torch.zeros_like(weight)  # (V,D) float32: every slice adds to it
        gb = torch.zeros_like(bias) if bias is not None else None  # (V,)
        kind = weight.dtype if low is None else torch.float32  # of the softmax and losses
        nll, smooth = x.new_empty(N, dtype=kind), x.new_empty(N, dtype=kind)
        wl = weight if low is None else weight.to(low)  # cast once for all slices
        bl = bias if low is None or bias is None else bias.to(low)
        # mean_v z_nv = x_n . mean_v(W_v) + mean(b): one (N,D) product, not a pass over z
        means = (x.to(kind) * weight.mean(dim=0).to(kind)).sum(dim=1)
        if bias is not None:
            means += bias.mean()
        # the slice's logits, reused: a fresh 8 MB buffer per slice costs as much as filling it
        z_full = x.new_empty((min(rows, N), V), dtype=kind)
        z_low = None if low is None else z_full.to(low)
        gw_low = None if low is None else torch.empty_like(weight, dtype=low)  # one slice's
        for lo in range(0, N, rows):
            hi = min(N, lo + rows)
            xs, ts, z = x[lo:hi], target[lo:hi], z_full[: hi - lo]
            if low is None:
                if bias is not None:
                    torch.addmm(bias, xs, weight.t(), out=z)
                else:
                    torch.mm(xs, weight.t(), out=z)
            else:  # the product in low precision, the softmax and the losses in float32
                xs, zl = xs.to(low), z_low[: hi - lo]
                if bias is not None:
                    torch.addmm(bl, xs, wl.t(), out=zl)
                else:
                    torch.mm(xs, wl.t(), out=zl)
                z.copy_(zl)
            nll[lo:hi], smooth[lo:hi], total = _slice_stats(z, ts, means[lo:hi])
            z.div_(total)  # softmax(z)
            if eps:
                z.sub_(eps / V)
            z.scatter_add_(1, ts.unsqueeze(1), z.new_full((hi - lo, 1), eps - 1.0))  # dloss/dz
            if gb is not None:
                gb.add_(z.sum(dim=0))
            if low is None:
                torch.mm(z, weight, out=gx[lo:hi])  # (c,D)
                gw.addmm_(z.t(), xs)  # (V,D)
            else:
                zl.copy_(z)
                gx[lo:hi] = zl @ wl
                gw += torch.mm(zl.t(), xs, out=gw_low)
        ctx.grads = (gx, gw, gb)
        ctx.mark_non_differentiable(nll)
        return ((1.0 - eps) * nll + eps * smooth).sum(), nll

    @staticmethod
    def backward(ctx, g_loss, _g_nll):
        gx, gw, gb = ctx.grads
        scaled = [None if g is None else g * g_loss for g in (gx, gw, gb)]
        return (*scaled, None, None, None, None)


def output_loss(
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None,
    target: Tensor,
    eps: float = 0.0,
    rows: int | None = None,
) -> tuple[Tensor, Tensor]:
    """(loss summed over tokens, nll per token (N,), not differentiable) for logits
    x W^T + b and gold words `target` (N,). `rows`: tokens per slice (default: ~8 MB).

    Under autocast (mixed-precision training, `--precision bfloat16`), the three matrix
    products of each slice run in autocast's type and the rest (softmax, losses, the summed
    gradients) in float32."""
    rows = rows or slice_rows(weight.size(0))
    tensors = (x, weight) if bias is None else (x, weight, bias)
    if torch.is_grad_enabled() and any(t.requires_grad for t in tensors):
        low = autocast_dtype(x.device)
        return _OutputLoss.apply(x, weight, bias, target, float(eps), rows, low)
    nll, smooth = x.new_empty(x.size(0)), x.new_empty(x.size(0))
    for lo in range(0, x.size(0), rows):
        xs = x[lo : lo + rows]
        z = torch.addmm(bias, xs, weight.t()) if bias is not None else xs @ weight.t()
        nll[lo : lo + rows], smooth[lo : lo + rows], _ = _slice_stats(z, target[lo : lo + rows])
    return ((1.0 - eps) * nll + eps * smooth).sum(), nll
