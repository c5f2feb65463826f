"""The attention-as-explanation lab (seq2seq_viz.explain) on tiny seeded models."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
import torch

from seq2seq_viz.attention import Steer, StepOptions
from seq2seq_viz.config import DecodeConfig
from seq2seq_viz.decode import banned_ids
from seq2seq_viz.explain import guard
from seq2seq_viz.explain.attribute import Objective, attribute, explained_trace
from seq2seq_viz.explain.fool import fool_sentence, fool_step, js_bits, replay, word_class
from seq2seq_viz.explain.results import (
    METHODS,
    Attributions,
    FoolResult,
    SentenceFool,
    kendall_tau_b,
)
from seq2seq_viz.text import SOS_ID
from tests.conftest import make_translator
from tests.test_layers import ROOT, Package, core_violations

TEXT = "the cat sleeps ."


@pytest.fixture(scope="module")
def tiny():
    return make_translator(seed=3)


def _double_objective(tr, trace) -> Objective:
    """The objective on a float64 copy of the model (finite differences need the precision)."""
    import copy

    model = copy.deepcopy(tr.model).double().eval()
    return Objective(model, [int(i) for i in trace.src_ids], [s.token_id for s in trace.steps])


def test_attributions_match_finite_differences(tiny):
    trace = explained_trace(tiny, TEXT)
    f = _double_objective(tiny, trace)
    emb = f.embeddings()  # (1,S,E)
    S, E = emb.shape[1:]
    eps = 1e-6
    grad = np.zeros((trace.n_steps, S, E))  # d f_t / d e_id by central differences
    for i, d in itertools.product(range(S), range(E)):
        bump = torch.zeros_like(emb)
        bump[0, i, d] = eps
        with torch.no_grad():
            up, down = f.all_steps(emb + bump), f.all_steps(emb - bump)
        grad[:, i, d] = ((up - down) / (2 * eps)).numpy()
    e = emb[0].numpy()
    with torch.no_grad():
        fx = f.all_steps(emb).numpy()
        loo = np.stack([fx - f.all_steps(emb * _keep_all_but(S, i)).numpy() for i in range(S)], 1)
    import copy

    tr64 = copy.copy(tiny)
    tr64.model = f.model
    attr = attribute(tr64, TEXT, trace=trace)
    np.testing.assert_allclose(attr.methods["saliency"], np.linalg.norm(grad, axis=2), atol=1e-6)
    ixg = (grad * e[None]).sum(axis=2)
    np.testing.assert_allclose(attr.methods["input_x_gradient"], ixg, atol=1e-6)
    np.testing.assert_allclose(attr.methods["occlusion"], loo, atol=1e-9)
    np.testing.assert_allclose(attr.logp, fx, atol=1e-9)
    assert np.abs(ixg).max() > 1e-3  # not a trivially zero model


def _keep_all_but(S: int, i: int) -> torch.Tensor:
    keep = torch.ones(1, S, 1, dtype=torch.float64)
    keep[0, i] = 0.0
    return keep


def test_objective_equals_the_recorded_trace(tiny):
    trace = explained_trace(tiny, TEXT)
    f = Objective(tiny.model, [int(i) for i in trace.src_ids], [s.token_id for s in trace.steps])
    with torch.no_grad():
        got = f.all_steps(f.embeddings()).numpy()
    np.testing.assert_allclose(got, [s.logp for s in trace.steps], atol=1e-5)


@pytest.mark.parametrize("variant", [{}, {"align": "local-p"}, {"self_attn": True}])
def test_integrated_gradients_completeness(variant):
    tr = make_translator(seed=5, **variant)
    attr = attribute(tr, TEXT, methods=("integrated_gradients",), ig_steps=100)
    c = attr.completeness()
    big = np.abs(c["change"]) > 1e-3
    assert big.any()
    assert (c["relative_gap"][big] < 0.01).all(), c
    np.testing.assert_allclose(c["gap"], attr.ig_delta, atol=1e-4)  # Captum's own delta


def test_no_attention_model_still_gets_attributions():
    tr = make_translator(seed=2, align="none")
    attr = attribute(tr, TEXT, methods=("saliency",))
    assert not attr.has_attention and attr.agreement("saliency") is None
    assert attr.methods["saliency"].shape == (attr.n_steps, len(attr.src_tokens))
    with pytest.raises(ValueError, match="no attention"):
        fool_step(tr, TEXT, 0)


def test_kendall_tau_b_against_a_reference():
    rng = np.random.default_rng(0)
    for _ in range(20):
        x = rng.integers(0, 4, size=7).astype(float)  # ties on purpose
        y = rng.integers(0, 4, size=7).astype(float)
        assert kendall_tau_b(x, y) == pytest.approx(_tau_b_by_hand(x, y), nan_ok=True)
    assert kendall_tau_b(np.arange(5.0), np.arange(5.0)) == pytest.approx(1.0)
    assert kendall_tau_b(np.arange(5.0), -np.arange(5.0)) == pytest.approx(-1.0)
    assert np.isnan(kendall_tau_b(np.ones(4), np.arange(4.0)))


def _tau_b_by_hand(x, y) -> float:
    c = d = tx = ty = 0
    for i in range(len(x)):
        for j in range(i + 1, len(x)):
            sx, sy = np.sign(x[i] - x[j]), np.sign(y[i] - y[j])
            if sx == 0 and sy == 0:
                tx, ty = tx + 1, ty + 1
            elif sx == 0:
                tx += 1
            elif sy == 0:
                ty += 1
            elif sx == sy:
                c += 1
            else:
                d += 1
    n0 = len(x) * (len(x) - 1) / 2
    denom = np.sqrt((n0 - tx) * (n0 - ty))
    return (c - d) / denom if denom else float("nan")


def test_agreement_counts_top_words(tiny):
    attr = attribute(tiny, TEXT, methods=("saliency",))
    agree = attr.agreement("saliency")
    expected = [
        np.argmax(a) == np.argmax(np.abs(r)) for a, r in zip(attr.weights, attr.methods["saliency"])
    ]
    assert agree.top_same.tolist() == expected
    assert agree.n_top_same == sum(expected)
    for t, (a, r) in enumerate(zip(attr.weights, attr.methods["saliency"])):  # the words named
        assert a[agree.top_attention[t]] == a.max()
        assert abs(r[agree.top_attribution[t]]) == np.abs(r).max()


def test_attributions_json_round_trip(tiny):
    attr = attribute(tiny, TEXT, methods=METHODS, ig_steps=10)
    back = Attributions.from_json(attr.to_json())
    assert back.out_tokens == attr.out_tokens
    for m in METHODS:
        np.testing.assert_array_equal(back.methods[m], attr.methods[m])
    np.testing.assert_array_equal(back.weights, attr.weights)


@pytest.mark.parametrize("variant", [{}, {"align": "local-m"}, {"align": "hard"}])
def test_fooled_attention_rerun_through_step_gives_the_stated_word(variant):
    tr = make_translator(seed=4, **variant)
    trace = explained_trace(tr, TEXT)
    t = trace.n_steps // 2
    res = fool_step(tr, TEXT, t, iterations=120)
    assert res.verified and res.found
    assert res.p_fooled >= res.p_own - res.margin - 1e-6
    # independently: replay the prefix, then one Decoder.step with the found weights
    enc, ctx = replay(tr, trace)
    state, hidden = enc.init_state, tr.model.initial_attn_hidden(1, tr.device)
    y_prev = SOS_ID
    with torch.no_grad():
        for step in trace.steps[:t]:
            out = tr.model.decoder.step(torch.tensor([y_prev]), hidden, state, enc, t=step.t)
            state, hidden, y_prev = out.state, out.attn_hidden, step.token_id
        steer = Steer(weights=torch.as_tensor(np.asarray(res.fooled)[None], dtype=torch.float32))
        out = tr.model.decoder.step(
            torch.tensor([y_prev]), hidden, state, enc, t=t, options=StepOptions(steer=steer)
        )
    logp = out.logp[0].clone()
    logp[list(banned_ids(tr.encode_text(TEXT)))] = float("-inf")
    assert int(logp.argmax()) == res.token_id
    assert float(logp[res.token_id].exp()) == pytest.approx(res.p_fooled, abs=1e-4)
    js = float(js_bits(torch.tensor(res.fooled), torch.tensor(res.weights)))
    assert js == pytest.approx(res.js, abs=1e-4)
    assert FoolResult.from_json(res.to_json()).fooled.tolist() == res.fooled.tolist()


def test_fool_sentence_tallies_every_step(tiny):
    out = fool_sentence(tiny, TEXT, iterations=40)
    assert len(out.steps) == len(out.classes) == len(out.out_tokens)
    tally = out.tally()
    assert sum(n for _, n in tally.values()) == len(out.steps)
    assert sum(k for k, _ in tally.values()) == int(out.kept().sum())
    back = SentenceFool.from_json(out.to_json())
    assert back.tally() == tally


def test_word_classes():
    assert word_class("le") == "function" and word_class("l'") == "function"
    assert word_class("chat") == "content"
    assert word_class(".") == "other" and word_class("<eos>") == "other"


def test_caps_and_lock(tiny):
    with pytest.raises(guard.TooLong) as err:
        explained_trace(tiny, " ".join(["cat"] * 500))
    assert err.value.n == 500
    with guard.heavy_job():
        with pytest.raises(guard.Busy):
            with guard.heavy_job():
                pass
    with guard.heavy_job():  # released again
        pass
    deadline = guard.Deadline(0.0)
    with pytest.raises(guard.TimeUp):
        attribute(tiny, TEXT, deadline=deadline)


def test_explain_modules_import_neither_streamlit_nor_plotly():
    """The lab is core: tests/test_layers.py's rule, for its modules by name."""
    package = Package(ROOT)
    modules = [n for n in package.paths if n.startswith("seq2seq_viz.explain")]
    assert len(modules) > 3
    assert not [v for v in core_violations(package) if v[0] in modules]


def test_decode_config_accepts_the_fooled_weights(tiny):
    res = fool_step(tiny, TEXT, 0, iterations=30)
    DecodeConfig(attention_override=((0, tuple(res.fooled)),))  # valid as an override


# ----------------------------------------------------------------------------- the index

PAIRS = [([4, 5, 6, 7], [4, 5, 6]), ([5, 6, 7], [6, 7, 8, 9]), ([4, 7], [5, 4]), ([6, 5], [7])]


def test_index_finds_a_stored_state_and_stays_under_its_bound(tiny, tmp_path):
    from seq2seq_viz.explain import index as X

    pairs = PAIRS * 30
    data, meta = X.build(tiny, pairs, dims=6)
    assert len(data) <= X.MAX_BYTES and meta["sentences"] == len(pairs)
    (tmp_path / X.INDEX_FILE).write_bytes(data)
    idx = X.load_index(tmp_path)
    states = X.collect(tiny, pairs[:1])  # the first pair's own states
    point = idx.project("decoder", states["dh"][1:2])[0]
    dist, row = idx.nearest("decoder", point, 3)[0]
    assert dist < 1e-2  # float16 storage
    assert int(idx.arrays["decoder_pos"][row]) == 1
    assert tuple(idx.sentence(int(idx.arrays["decoder_sent"][row]))[1]) == tuple(pairs[0][1])
    ranked = idx.nearest("encoder", idx.project("encoder", states["eh"][:1])[0], 5)
    assert [d for d, _ in ranked] == sorted(d for d, _ in ranked)
    sents = [int(idx.arrays["encoder_sent"][r]) for _, r in ranked]
    assert len(set(sents)) == len(sents)  # one state per training sentence


def test_index_size_bound_drops_sentences(tiny):
    from seq2seq_viz.explain import index as X

    big, _ = X.build(tiny, PAIRS * 50, dims=6)
    bound = int(len(big) * 0.85)
    small, meta = X.build(tiny, PAIRS * 50, dims=6, max_bytes=bound)
    assert len(small) <= bound and meta["sentences"] < 200
    with pytest.raises(ValueError, match="does not fit"):
        X.build(tiny, PAIRS * 50, dims=6, max_bytes=1000)


def test_shrinking_an_index_keeps_its_first_sentences_exactly(tiny, tmp_path):
    from seq2seq_viz.explain import index as X

    rng = np.random.default_rng(0)
    n_src, n_tgt = len(tiny.src_vocab), len(tiny.tgt_vocab)
    pairs = [([int(i) for i in rng.integers(4, n_src, rng.integers(2, 7))],
              [int(i) for i in rng.integers(4, n_tgt, rng.integers(2, 7))])
             for _ in range(200)]  # fmt: skip
    big, _ = X.build(tiny, pairs, dims=6)
    small, meta = X.shrink(big, int(len(big) * 0.6))
    n = meta["sentences"]
    assert len(small) <= len(big) * 0.6 and 10 <= n < 200 and meta["pca_sentences"] == 200
    (tmp_path / X.INDEX_FILE).write_bytes(big)
    full = X.load_index(tmp_path)
    (tmp_path / X.INDEX_FILE).write_bytes(small)
    cut = X.load_index(tmp_path)
    for kind in X.KINDS:
        keep = full.arrays[f"{kind}_sent"] < n
        assert meta[f"{kind}_states"] == int(keep.sum()) == len(cut.arrays[f"{kind}_vecs"])
        np.testing.assert_array_equal(cut.arrays[f"{kind}_vecs"], full.arrays[f"{kind}_vecs"][keep])
        np.testing.assert_array_equal(cut.arrays[f"{kind}_pos"], full.arrays[f"{kind}_pos"][keep])
        np.testing.assert_array_equal(cut.arrays[f"{kind}_comp"], full.arrays[f"{kind}_comp"])
    for s in (0, n // 2, n - 1):  # the kept sentences read back as built
        assert [tuple(x) for x in cut.sentence(s)] == [tuple(x) for x in pairs[s]]
    states = X.collect(tiny, pairs[:1])  # a kept sentence's own state is still found
    dist, row = cut.nearest("decoder", cut.project("decoder", states["dh"][1:2])[0], 1)[0]
    assert dist < 1e-2 and int(cut.arrays["decoder_sent"][row]) == 0
    with pytest.raises(ValueError, match="does not fit"):
        X.shrink(big, 1000)


def test_missing_or_stale_index_says_so(tiny, tmp_path):
    from seq2seq_viz.explain import index as X

    with pytest.raises(X.IndexMissing, match="no nearest-neighbour index"):
        X.load_index(tmp_path)
    tiny.meta["weights_sha256"] = "abc"
    data, _ = X.build(tiny, PAIRS, dims=4)
    (tmp_path / X.INDEX_FILE).write_bytes(data)
    with pytest.raises(X.IndexMissing, match="other weights"):
        X.load_index(tmp_path, "def")
    tiny.meta.pop("weights_sha256")


def test_query_against_a_trace(tiny, tmp_path):
    from seq2seq_viz.explain import index as X

    data, _ = X.build(tiny, PAIRS * 10, dims=4)
    (tmp_path / X.INDEX_FILE).write_bytes(data)
    idx = X.load_index(tmp_path)
    trace = explained_trace(tiny, TEXT)
    res = X.query(idx, tiny, trace, "decoder", 0, k=3)
    assert len(res.neighbours) == 3 and res.query_word == trace.steps[0].token
    back = type(res).from_json(res.to_json())
    assert back.neighbours[0].tgt_tokens == res.neighbours[0].tgt_tokens
    assert X.sentence_map(idx, trace).shape == (trace.n_steps, 2)


def test_shipped_indexes_stay_under_4_mb():
    """Every index stored beside a shipped model: at most 4 MB, loadable without pickle."""
    from seq2seq_viz.explain import index as X

    root = Path(__file__).resolve().parent.parent / "pretrained"
    for path in sorted(root.glob(f"*/{X.INDEX_FILE}")):
        assert path.stat().st_size <= 4_000_000, path
        idx = X.load_index(path.parent)
        assert idx.arrays["decoder_vecs"].shape[1] == idx.meta["dims"], path


def test_baselines_change_nothing_for_a_one_word_source():
    """With one source token every attention is [1]: uniform and shuffled attention must give
    the model's own translation; with more tokens, uniform attention is a real change."""
    from seq2seq_viz.explain.baselines import permuted_tokens, uniform_tokens

    tr = make_translator(seed=4)
    own = tr.trace("cat", DecodeConfig(max_len=40)).output_tokens  # the baselines' max_len
    assert uniform_tokens(tr, "cat") == own
    assert permuted_tokens(tr, "cat") == own
    override = tuple((t, (1.0,) * 4) for t in range(40))
    uniform = DecodeConfig(attention_override=override, max_len=40)
    assert uniform_tokens(tr, TEXT) == tr.trace(TEXT, uniform).output_tokens
