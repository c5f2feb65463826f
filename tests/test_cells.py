"""Inside the cell: the replayed encoder equals the encoder's own forward pass, and its gates equal
an independent NumPy implementation of the equations in PyTorch's documentation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seq2seq_viz.cells import GATES, cell_trace
from tests.conftest import make_translator

TEXT = "the cat sleeps . you are happy"


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def weights(rnn, layer: int, reverse: bool) -> tuple[np.ndarray, ...]:
    sfx = f"_l{layer}" + ("_reverse" if reverse else "")
    names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    return tuple(getattr(rnn, n + sfx).detach().double().numpy() for n in names)


def numpy_direction(cell, params, xs, reverse):
    """PyTorch's documented equations, written out gate by gate with separate matrices."""
    w_ih, w_hh, b_ih, b_hh = params
    h_units = w_hh.shape[1]
    split = lambda m: [m[k * h_units : (k + 1) * h_units] for k in range(len(m) // h_units)]  # noqa: E731
    Wi, Wh, bi, bh = split(w_ih), split(w_hh), split(b_ih), split(b_hh)
    h, c = np.zeros(h_units), np.zeros(h_units)
    out = {"h": {}, "c": {}, **{g: {} for g in GATES[cell]}}
    order = range(len(xs) - 1, -1, -1) if reverse else range(len(xs))
    for t in order:
        x = xs[t]
        if cell == "rnn":
            h = np.tanh(Wi[0] @ x + bi[0] + Wh[0] @ h + bh[0])
            out["a"][t] = h
        elif cell == "gru":
            r = sigmoid(Wi[0] @ x + bi[0] + Wh[0] @ h + bh[0])
            z = sigmoid(Wi[1] @ x + bi[1] + Wh[1] @ h + bh[1])
            n = np.tanh(Wi[2] @ x + bi[2] + r * (Wh[2] @ h + bh[2]))
            h = (1 - z) * n + z * h
            out["r"][t], out["z"][t], out["n"][t] = r, z, n
        else:
            i = sigmoid(Wi[0] @ x + bi[0] + Wh[0] @ h + bh[0])
            f = sigmoid(Wi[1] @ x + bi[1] + Wh[1] @ h + bh[1])
            g = np.tanh(Wi[2] @ x + bi[2] + Wh[2] @ h + bh[2])
            o = sigmoid(Wi[3] @ x + bi[3] + Wh[3] @ h + bh[3])
            c = f * c + i * g
            h = o * np.tanh(c)
            out["i"][t], out["f"][t], out["g"][t], out["o"][t] = i, f, g, o
            out["c"][t] = c
        out["h"][t] = h
    return {k: np.stack([v[t] for t in range(len(xs))]) for k, v in out.items() if v}


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("layers", [1, 2])
def test_replay_equals_encoder_and_numpy(cell, layers):
    tr = make_translator(seed=3, cell=cell, enc_layers=layers)
    model = tr.model
    trace = cell_trace(tr, TEXT)
    # 1. h_t equal the encoder's actual outputs (both directions of the top layer)
    source = tr.encode_text(TEXT)
    src = torch.tensor([source.ids])
    _, _, rnn_states, _, _ = model.encoder(src, torch.tensor([len(source.ids)]))
    actual = rnn_states[0].detach().double().numpy()  # (S, 2h)
    top = trace.layers[-1]
    h = top[0].h.shape[1]
    np.testing.assert_allclose(top[0].h, actual[:, :h], atol=1e-5)
    np.testing.assert_allclose(top[1].h, actual[:, h:], atol=1e-5)
    assert trace.max_error < 1e-5
    assert [s.direction for s in top] == ["forward", "backward"]
    assert trace.units == model.cfg.hidden_dim // 2
    # 2. gates equal an independent NumPy implementation, layer by layer
    xs = model.encoder.embed(src)[0].detach().double().numpy()
    for layer in range(layers):
        outs = []
        for steps, reverse in zip(trace.layers[layer], (False, True), strict=True):
            ref = numpy_direction(cell, weights(model.encoder.rnn, layer, reverse), xs, reverse)
            for g in GATES[cell]:
                np.testing.assert_allclose(steps.gates[g], ref[g], atol=1e-10, err_msg=g)
            np.testing.assert_allclose(steps.h, ref["h"], atol=1e-10)
            if cell == "lstm":
                np.testing.assert_allclose(steps.c, ref["c"], atol=1e-10)
            outs.append(ref["h"])
        xs = np.concatenate(outs, axis=1)


def test_states_chain_and_parts_add_up():
    """h_prev is the neighbour's h (t-1 forward, t+1 backward); the stored halves recompose the
    gates by the GRU equations, with r_t inside the candidate."""
    tr = make_translator(seed=5, cell="gru")
    trace = cell_trace(tr, TEXT)
    fwd, bwd = trace.steps(0, "forward"), trace.steps(0, "backward")
    np.testing.assert_array_equal(fwd.h_prev[0], 0)
    np.testing.assert_array_equal(fwd.h_prev[1:], fwd.h[:-1])
    np.testing.assert_array_equal(bwd.h_prev[-1], 0)
    np.testing.assert_array_equal(bwd.h_prev[:-1], bwd.h[1:])
    r = fwd.gates["r"]
    np.testing.assert_allclose(r, sigmoid(fwd.x_parts["r"] + fwd.h_parts["r"]), atol=1e-12)
    n = np.tanh(fwd.x_parts["n"] + r * fwd.h_parts["n"])
    np.testing.assert_allclose(fwd.gates["n"], n, atol=1e-12)
    # the textbook variant (r applied to h before the matrix) gives other numbers
    _, w_hh, _, b_hh = weights(tr.model.encoder.rnn, 0, False)
    h3 = trace.units
    textbook = np.tanh(fwd.x_parts["n"] + (r * fwd.h_prev) @ w_hh[2 * h3 :].T + b_hh[2 * h3 :])
    assert np.abs(textbook - fwd.gates["n"]).max() > 1e-4
    z = fwd.gates["z"]
    np.testing.assert_allclose(fwd.h, (1 - z) * n + z * fwd.h_prev, atol=1e-12)
    with pytest.raises(KeyError):
        trace.steps(1, "forward")


def test_lstm_cell_state_chains():
    trace = cell_trace(make_translator(seed=2, cell="lstm"), TEXT)
    fwd = trace.steps(0, "forward")
    np.testing.assert_array_equal(fwd.c_prev[1:], fwd.c[:-1])
    g = fwd.gates
    np.testing.assert_allclose(fwd.c, g["f"] * fwd.c_prev + g["i"] * g["g"], atol=1e-12)
    np.testing.assert_allclose(fwd.h, g["o"] * np.tanh(fwd.c), atol=1e-12)


def test_unidirectional_and_pickle():
    import pickle

    trace = cell_trace(make_translator(seed=1, cell="gru", bidirectional=False), TEXT)
    assert trace.directions == ["forward"]
    assert trace.max_error < 1e-5
    again = pickle.loads(pickle.dumps(trace))
    np.testing.assert_array_equal(again.steps().h, trace.steps().h)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_figures_draw_the_trace_and_equations_print_its_numbers(cell):
    from seq2seq_viz.figures.cells import ROWS, cell_equations, gate_means_figure, gates_figure

    trace = cell_trace(make_translator(seed=4, cell=cell), TEXT)
    steps = trace.steps(0, "backward")
    fig = gates_figure(steps, cell, trace.tokens, units=3, selected=1)
    assert len(fig.data) == len(ROWS[cell])
    first = ROWS[cell][0]
    values = steps.h if first == "h" else steps.gates[first]
    np.testing.assert_allclose(np.asarray(fig.data[0].z), values[:, :3].T)
    means = gate_means_figure(steps, cell, trace.tokens)
    assert len(means.data[0].y) == len(trace.tokens)
    lines = cell_equations(steps, cell, 2, dims=2)
    assert len(lines) == {"rnn": 1, "gru": 4, "lstm": 6}[cell]
    assert f"[{steps.h[2, 0]:.3f}, {steps.h[2, 1]:.3f}, \\dots]" in lines[-1]
    assert "h_{t+1}" in " ".join(lines)
    for block in lines:  # two vectors per line at most: four ran off a laptop's column
        assert max(row.count(r"\dots]") for row in block.split(r" \\ ")) <= 2, block
    with pytest.raises(ValueError, match="out of range"):
        cell_equations(steps, cell, len(trace.tokens))
    with pytest.raises(ValueError, match="tokens"):
        gates_figure(steps, cell, trace.tokens[:-1])
