"""The sliced output-layer loss against PyTorch's own cross-entropy with autograd."""

import pytest
import torch
import torch.nn.functional as F

from seq2seq_viz.losses import output_loss, slice_rows


def _inputs(n=7, d=5, v=11, bias=True, seed=3):
    g = torch.Generator().manual_seed(seed)
    x = (torch.randn(n, d, generator=g) * 2).requires_grad_()
    w = torch.randn(v, d, generator=g).requires_grad_()
    b = torch.randn(v, generator=g).requires_grad_() if bias else None
    return x, w, b, torch.randint(0, v, (n,), generator=g)


@pytest.mark.parametrize("rows", [1, 3, 7, 100])
@pytest.mark.parametrize("eps", [0.0, 0.1, 0.3])
@pytest.mark.parametrize("bias", [True, False])
def test_loss_nll_and_gradients_equal_cross_entropy(rows, eps, bias):
    x, w, b, y = _inputs(bias=bias)
    loss, nll = output_loss(x, w, b, y, eps, rows=rows)
    (loss * 0.37).backward()  # any upstream gradient
    mine = [t.grad.clone() for t in (x, w, b) if t is not None]

    refs = [t.detach().clone().requires_grad_() if t is not None else None for t in (x, w, b)]
    logits = F.linear(refs[0], refs[1], refs[2])
    ref_loss = F.cross_entropy(logits, y, label_smoothing=eps, reduction="sum")
    ref_nll = F.cross_entropy(logits, y, reduction="none")
    (ref_loss * 0.37).backward()
    torch.testing.assert_close(loss, ref_loss)
    torch.testing.assert_close(nll, ref_nll)
    for got, ref in zip(mine, [t.grad for t in refs if t is not None], strict=True):
        torch.testing.assert_close(got, ref)
    assert not nll.requires_grad


def test_without_gradients_the_same_numbers_and_no_graph():
    x, w, b, y = _inputs(n=9)
    with torch.no_grad():
        loss, nll = output_loss(x, w, b, y, 0.1, rows=4)
    with_grad, nll2 = output_loss(x, w, b, y, 0.1, rows=4)
    assert not loss.requires_grad and with_grad.requires_grad
    torch.testing.assert_close(loss, with_grad.detach())
    torch.testing.assert_close(nll, nll2)


def test_gradients_add_to_other_uses_of_the_weight():
    """The tied output matrix is also the target embedding: both gradients must add up."""
    x, w, b, y = _inputs()
    emb_use = w[torch.tensor([0, 3, 3])].pow(2).sum()
    loss, _ = output_loss(x, w, b, y, 0.1, rows=2)
    (loss + emb_use).backward()
    ref_w = w.detach().clone().requires_grad_()
    ref = (
        F.cross_entropy(
            F.linear(x.detach(), ref_w, b.detach()), y, label_smoothing=0.1, reduction="sum"
        )
        + ref_w[torch.tensor([0, 3, 3])].pow(2).sum()
    )
    ref.backward()
    torch.testing.assert_close(w.grad, ref_w.grad)


def test_slices_stay_small():
    assert slice_rows(8000) * 8000 <= 1 << 21
    assert slice_rows(5) >= 16


@pytest.mark.parametrize("bias", [True, False])
def test_under_autocast_the_products_run_in_bfloat16_and_the_rest_in_float32(bias):
    """Mixed-precision training: the loss and gradients stay close to float32's (bfloat16 keeps
    8 bits of mantissa: a few parts in a thousand), and come back as float32."""
    x, w, b, y = _inputs(n=40, d=16, v=50, bias=bias)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss, nll = output_loss(x, w, b, y, 0.1, rows=7)
    loss.backward()
    mine = [t.grad.clone() for t in (x, w, b) if t is not None]
    ref_loss, ref_nll = output_loss(
        *(t.detach() if t is not None else None for t in (x, w, b)), y, 0.1
    )
    refs = [t.detach().clone().requires_grad_() if t is not None else None for t in (x, w, b)]
    F.cross_entropy(F.linear(*refs), y, label_smoothing=0.1, reduction="sum").backward()
    assert loss.dtype == nll.dtype == torch.float32
    assert not torch.equal(nll, ref_nll)  # the products did run in bfloat16
    torch.testing.assert_close(loss.detach(), ref_loss, rtol=1e-2, atol=0)
    torch.testing.assert_close(nll, ref_nll, rtol=1e-2, atol=0.01)
    for got, ref in zip(mine, [t.grad for t in refs if t is not None], strict=True):
        assert got.dtype == torch.float32
        torch.testing.assert_close(got, ref, rtol=0, atol=0.03 * float(ref.abs().max()))


def test_float64_inputs_keep_float64():
    x, w, b, y = (t.double() if t.is_floating_point() else t for t in _inputs())
    x, w, b = (t.detach().requires_grad_() for t in (x, w, b))
    loss, nll = output_loss(x, w, b, y, 0.1, rows=3)
    loss.backward()
    ref = F.cross_entropy(F.linear(x.detach(), w.detach(), b.detach()), y, reduction="none")
    assert loss.dtype == nll.dtype == x.grad.dtype == torch.float64
    torch.testing.assert_close(nll, ref)


def test_under_autocast_the_gold_words_gradient_keeps_its_digits():
    """A confident model: p(gold) near 1 - eps, so the gold word's gradient p - (1 - eps) is a
    small difference of two large numbers. The gradient must be formed in float32 before the
    bfloat16 products, whose outputs are rounded: folding the softmax's p into the products and
    subtracting the one-hot part after them (tried for speed: 4 % in float32) rounds sums near
    0.9 and leaves an error of about 0.003 here. Compared with float64 cross-entropy on the very
    logits the bfloat16 products gave."""
    g = torch.Generator().manual_seed(5)
    n, d, v, eps = 24, 64, 40, 0.1
    w = torch.linalg.qr(torch.randn(d, v, generator=g))[0].t()  # (V,D) orthonormal rows
    y = torch.randperm(v, generator=g)[:n]  # one row per gold word: db[y] is that row's
    x = (6.0 * w[y] + 0.3 * torch.randn(n, d, generator=g)).requires_grad_()  # z_gold ~ 6
    b = torch.zeros(v, requires_grad=True)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss, _ = output_loss(x, w, b, y, eps, rows=5)
    loss.backward()
    bf = torch.bfloat16
    z = torch.addmm(b.detach().to(bf), x.detach().to(bf), w.to(bf).t()).double()
    z.requires_grad_()
    F.cross_entropy(z, y, label_smoothing=eps, reduction="sum").backward()
    ref = z.grad.sum(0)  # (V,) db
    p_gold = torch.softmax(z.detach(), 1)[torch.arange(n), y]
    assert float(p_gold.min()) > 0.5  # the case this test is about
    err = (b.grad.double() - ref)[y].abs()
    assert float(err.max()) < 2e-4, float(err.max())
