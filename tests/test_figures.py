"""Figures are built from a synthetic, seeded trace: shapes, values, styling and errors."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest

from seq2seq_viz import figures
from seq2seq_viz.config import DecodeConfig
from seq2seq_viz.trace import BeamNode, DecodeTrace, Hypothesis, StepRecord
from tests.conftest import make_translator

S, H, T, K = 6, 8, 4, 3
SRC = ["le", "<b>x</b>", "chat", "&", "noir", "<eos>"]
OUT = ["the", "black", "cat", "<eos>"]
VOCAB = ["<eos>", "the", "black", "cat", "a", "dog"]


def _local_p_fields(rng: np.random.Generator, t: int) -> tuple[dict, np.ndarray]:
    """Local-p alignment fields for one step and the window mask they imply (D = 1)."""
    center = float(min(S - 1, t + 0.5 + rng.random()))
    lo, hi = max(0, round(center) - 1), min(S - 1, round(center) + 1)
    positions = np.arange(S)
    gaussian = np.exp(-((positions - center) ** 2) / (2 * 0.5**2))
    mask = (positions >= lo) & (positions <= hi)
    fields = {"center": center, "window": (lo, hi), "gaussian": gaussian}
    return fields, mask


def _step(rng: np.random.Generator, t: int, enc: np.ndarray) -> StepRecord:
    local_p, mask = _local_p_fields(rng, t)
    scores = rng.normal(size=S)
    exps = np.where(mask, np.exp(scores - scores[mask].max()), 0.0)
    weights = exps / exps.sum() * local_p["gaussian"] * mask
    probs = np.sort(rng.dirichlet(np.ones(len(VOCAB))))[::-1][:K]
    topk_ids = np.array([VOCAB.index(OUT[t]), 4, 5])
    return StepRecord(
        t=t,
        input_token="<sos>" if t == 0 else OUT[t - 1],
        input_id=0,
        dec_state=rng.normal(size=H),
        scores=scores,
        mask=mask,
        weights=weights,
        context=weights @ enc,
        attn_pre=rng.normal(size=H),
        attn_hidden=np.tanh(rng.normal(size=H)),
        topk_ids=topk_ids,
        topk_tokens=[VOCAB[i] for i in topk_ids],
        topk_probs=probs,
        token=OUT[t],
        token_id=int(topk_ids[0]),
        logp=float(np.log(probs[0])),
        **local_p,
    )


def _node(i: int, parent: int, step: int, token: str, status: str, rank: int) -> BeamNode:
    logp = -0.3 * (rank + 1)
    return BeamNode(
        id=i,
        parent=parent,
        step=step,
        token=token,
        token_id=0,
        logp=logp,
        score=logp * (step + 1),
        norm_score=logp,
        status=status,
        rank=rank,
    )


def _beam_nodes() -> list[BeamNode]:
    return [
        _node(0, -1, -1, "<sos>", "kept", 0),
        _node(1, 0, 0, "the", "kept", 0),
        _node(2, 0, 0, "a", "kept", 1),
        _node(3, 0, 0, "<b>", "pruned", 2),
        _node(4, 1, 1, "black", "kept", 0),
        _node(5, 2, 1, "<eos>", "finished", 1),
        _node(6, 1, 1, "dog", "pruned", 2),
        _node(7, 4, 2, "cat", "kept", 0),
        _node(8, 4, 2, "dog", "pruned", 1),
        _node(9, 7, 3, "<eos>", "finished", 0),
    ]


def make_trace(seed: int = 0) -> DecodeTrace:
    rng = np.random.default_rng(seed)
    enc = rng.normal(size=(S, H))
    attn = rng.random((2, S, S))
    return DecodeTrace(
        model_name="toy",
        mode="beam",
        src_text=" ".join(SRC),
        src_tokens=list(SRC),
        src_ids=np.arange(S),
        src_unknown=np.array([False, True, False, False, False, False]),
        truncated_from=S,
        enc_states=enc,
        steps=[_step(rng, t, enc) for t in range(T)],
        output_tokens=OUT[:-1],
        score_name="general",
        align_name="local-p",
        window=1,
        self_attn=attn / attn.sum(axis=-1, keepdims=True),
        beam_nodes=_beam_nodes(),
        hypotheses=[
            Hypothesis(
                tokens=["the", "black", "cat"],
                token_ids=[1, 2, 3],
                score=-2.0,
                norm_score=-1.0,
                node_id=9,
            ),
            Hypothesis(tokens=["a"], token_ids=[4], score=-1.0, norm_score=-0.9, node_id=5),
        ],
        greedy_tokens=["the", "dog", "cat"],
    )


@pytest.fixture(scope="module")
def trace() -> DecodeTrace:
    return make_trace()


def _bars(fig: go.Figure) -> list[go.Bar]:
    return [d for d in fig.data if isinstance(d, go.Bar)]


def _bar_count(fig: go.Figure) -> int:
    return sum(len(b.y) for b in _bars(fig))


def test_plain_escapes_markup() -> None:
    assert figures.plain("<b>x</b> & y") == "&lt;b&gt;x&lt;/b&gt; &amp; y"


def test_encoder_states(trace: DecodeTrace) -> None:
    fig = figures.encoder_states_figure(trace)
    heat = fig.data[0]
    np.testing.assert_allclose(heat.z, trace.enc_states)
    assert heat.zmid == 0
    ticks = list(fig.layout.yaxis.ticktext)
    assert ticks[1] == "&lt;b&gt;x&lt;/b&gt;" + figures.DEFAULT_LABELS["unknown_suffix"]
    assert ticks[3] == "&amp;" and ticks[5] == "&lt;eos&gt;"


def test_encoder_states_rejects_mismatch(trace: DecodeTrace) -> None:
    bad = dataclasses.replace(trace, enc_states=trace.enc_states[:-1])
    with pytest.raises(ValueError, match="enc_states"):
        figures.encoder_states_figure(bad)
    with pytest.raises(ValueError, match="enc_rnn_states"):
        figures.encoder_states_figure(trace, before_self_attn=True)


def test_scores_split_attended_and_masked(trace: DecodeTrace) -> None:
    fig = figures.scores_figure(trace, 1)
    attended, masked = _bars(fig)
    mask = trace.steps[1].mask
    assert len(attended.x) == mask.sum() and len(masked.x) == (~mask).sum()
    assert masked.name == figures.DEFAULT_LABELS["masked"]
    np.testing.assert_allclose(attended.y, trace.steps[1].scores[mask])
    ticks = fig.layout.xaxis.ticktext
    assert all(("color:" in tick) != keep for tick, keep in zip(ticks, mask, strict=True))


def test_weights_local_p_overlays(trace: DecodeTrace) -> None:
    fig = figures.weights_figure(trace, 2)
    assert _bar_count(fig) == S
    np.testing.assert_allclose(_bars(fig)[0].y, trace.steps[2].weights)
    names = {d.name for d in fig.data}
    assert {figures.DEFAULT_LABELS["gaussian"], figures.DEFAULT_LABELS["center"]} <= names
    lo, hi = trace.steps[2].window
    band = fig.layout.shapes[0]
    assert (band.x0, band.x1) == (max(lo, 0) - 0.5, min(hi, S - 1) + 0.5)


def test_weights_hard_highlights_sample(trace: DecodeTrace) -> None:
    step = trace.steps[0]
    soft = np.full(S, 1 / S)
    hard = dataclasses.replace(
        step,
        weights=np.eye(S)[2],
        mask=np.ones(S, bool),
        soft_weights=soft,
        sampled_index=2,
        center=None,
        window=None,
        gaussian=None,
    )
    for drawn, label in ((False, "argmax"), (True, "sampled")):  # the title says which it was
        settings = {**trace.settings, "sample_hard": drawn}
        fig = figures.weights_figure(dataclasses.replace(trace, steps=[hard], settings=settings), 0)
        soft_bars, sampled = _bars(fig)
        assert list(sampled.x) == [2] and len(soft_bars.x) == S - 1
        assert sampled.name == figures.DEFAULT_LABELS[label]


def test_context_rows_sum_to_context(trace: DecodeTrace) -> None:
    fig = figures.context_figure(trace, 3, max_dims=5)
    z = np.asarray(fig.data[0].z, dtype=float)
    assert z.shape == (S + 2, 5) and np.isnan(z[S]).all()
    np.testing.assert_allclose(z[:S].sum(axis=0), z[-1], atol=1e-9)
    np.testing.assert_allclose(z[-1], trace.steps[3].context[:5], atol=1e-5)


def test_context_rejects_inconsistent_context(trace: DecodeTrace) -> None:
    step = dataclasses.replace(trace.steps[0], context=trace.steps[0].context + 0.1)
    with pytest.raises(ValueError, match="context"):
        figures.context_figure(dataclasses.replace(trace, steps=[step]), 0)


def test_output_highlights_chosen(trace: DecodeTrace) -> None:
    bar = figures.output_figure(trace, 0).data[0]
    assert len(bar.x) == K
    assert list(bar.marker.color) == [figures.ORANGE, figures.BLUE, figures.BLUE]


def test_output_appends_forced_word_outside_topk(trace: DecodeTrace) -> None:
    step = dataclasses.replace(trace.steps[0], token="cat", token_id=3, logp=-4.0, forced=True)
    fig = figures.output_figure(dataclasses.replace(trace, steps=[step]), 0)
    assert len(fig.data[0].x) == K + 1
    assert fig.data[0].x[-1] == pytest.approx(np.exp(-4.0))
    assert "forced" in fig.layout.title.text


def test_softmax_parts_and_sum(trace: DecodeTrace) -> None:
    fig = figures.softmax_figure(trace, 1)
    parts, total = trace.steps[1].softmax_parts()
    assert _bar_count(fig) == S
    np.testing.assert_allclose(_bars(fig)[0].y, parts[trace.steps[1].mask])
    assert f"{total:.3f}" in fig.layout.title.text


def test_heatmap_fills_row_by_row(trace: DecodeTrace) -> None:
    fig = figures.heatmap_figure(trace, upto=1, highlight=1)
    z = np.asarray(fig.data[0].z, dtype=float)
    assert z.shape == (T, S)
    np.testing.assert_allclose(z[:2], trace.weights_matrix()[:2])
    assert np.isnan(z[2:]).all()
    rect = [s for s in fig.layout.shapes if s.type == "rect"]
    assert len(rect) == 1 and (rect[0].y0, rect[0].y1) == (0.5, 1.5)
    assert list(fig.layout.yaxis.ticktext) == ["the", "black", "", ""]
    assert fig.layout.xaxis.ticktext[1].startswith("&lt;b&gt;x&lt;/b&gt;")
    names = {d.name for d in fig.data}
    assert figures.DEFAULT_LABELS["window"] in names and figures.DEFAULT_LABELS["center"] in names


def test_heatmap_without_windows_and_full(trace: DecodeTrace) -> None:
    fig = figures.heatmap_figure(trace, show_windows=False)
    assert len(fig.data) == 1 and not fig.layout.shapes
    np.testing.assert_allclose(fig.data[0].z, trace.weights_matrix())
    assert fig.layout.yaxis.ticktext[-1] == "&lt;eos&gt;"


def _status_traces(fig: go.Figure) -> dict[str, go.Scatter]:
    names = {figures.DEFAULT_LABELS[s]: s for s in ("kept", "pruned", "finished")}
    return {names[d.name]: d for d in fig.data if d.name in names}


def test_beam_tree_nodes_and_styles(trace: DecodeTrace) -> None:
    fig = figures.beam_tree_figure(trace)
    status = _status_traces(fig)
    assert set(status) == {"kept", "pruned", "finished"}
    assert sum(len(d.x) for d in status.values()) == len(trace.beam_nodes)
    assert len({d.marker.symbol for d in status.values()}) == 3
    assert "&lt;b&gt;" in status["pruned"].text
    best = next(d for d in fig.data if d.name == figures.DEFAULT_LABELS["best_path"])
    assert list(best.x) == [-1, 0, 1, 2, 3]
    greedy = next(d for d in fig.data if d.name == figures.DEFAULT_LABELS["greedy_path"])
    assert list(greedy.x) == [-1, 0, 1] and greedy.line.dash == "dash"


def test_beam_tree_grows_with_upto_step(trace: DecodeTrace) -> None:
    fig = figures.beam_tree_figure(trace, upto_step=0)
    assert sum(len(d.x) for d in _status_traces(fig).values()) == 4
    best = next(d for d in fig.data if d.name == figures.DEFAULT_LABELS["best_path"])
    assert list(best.x) == [-1, 0]


def test_beam_tree_nodes_stay_put_as_it_grows(trace: DecodeTrace) -> None:
    def positions(fig: go.Figure) -> dict[str, set]:
        return {k: set(zip(d.x, d.y, strict=True)) for k, d in _status_traces(fig).items()}

    full, early = (
        positions(figures.beam_tree_figure(trace)),
        positions(figures.beam_tree_figure(trace, upto_step=1)),
    )
    assert all(early[k] <= full[k] for k in early)


def test_tree_layout_keeps_siblings_apart(trace: DecodeTrace) -> None:
    nodes = {n.id: n for n in trace.beam_nodes}
    y = figures.tree_layout(nodes)
    for step in range(-1, T):
        ys = [y[i] for i, n in nodes.items() if n.step == step]
        assert len(set(ys)) == len(ys)
    assert y[4] == pytest.approx((y[7] + y[8]) / 2)


def test_beam_tree_rejects_missing_tree(trace: DecodeTrace) -> None:
    with pytest.raises(ValueError, match="beam"):
        figures.beam_tree_figure(dataclasses.replace(trace, beam_nodes=[]))
    orphan = [*trace.beam_nodes, _node(10, 99, 1, "x", "kept", 0)]
    with pytest.raises(ValueError, match="parent"):
        figures.beam_tree_figure(dataclasses.replace(trace, beam_nodes=orphan))


def test_self_attention(trace: DecodeTrace) -> None:
    fig = figures.self_attention_figure(trace, 1)
    np.testing.assert_allclose(fig.data[0].z, trace.self_attn[1])
    with pytest.raises(ValueError, match="head"):
        figures.self_attention_figure(trace, 2)
    with pytest.raises(ValueError, match="self-attention"):
        figures.self_attention_figure(dataclasses.replace(trace, self_attn=None), 0)


def test_hard_samples_frequency() -> None:
    fig = figures.hard_samples_figure(np.array([0.5, 0.3, 0.2]), [0, 0, 1, 2], ["a", "<b>", "c"])
    soft, freq = _bars(fig)
    np.testing.assert_allclose(soft.y, [0.5, 0.3, 0.2])
    np.testing.assert_allclose(freq.y, [0.5, 0.25, 0.25])
    assert fig.layout.xaxis.ticktext[1] == "&lt;b&gt;"
    with pytest.raises(ValueError, match="samples"):
        figures.hard_samples_figure(np.array([0.5, 0.5]), [0, 2], ["a", "b"])
    with pytest.raises(ValueError, match="soft_weights"):
        figures.hard_samples_figure(np.array([1.0]), [0], ["a", "b"])


def test_bleu_by_length_lines() -> None:
    rows = [
        {"model": model, "bucket": bucket, "bleu": bleu * scale, "n": 10}
        for model, scale in (("RNNsearch-50", 1.0), ("RNNencdec-50", 0.7))
        for bucket, bleu in (("0-10", 20.0), ("10-20", 25.0), ("20-30", 22.0))
    ]
    fig = figures.bleu_by_length_figure(rows)
    assert [d.name for d in fig.data] == ["RNNsearch-50", "RNNencdec-50"]
    assert list(fig.data[1].y) == pytest.approx([14.0, 17.5, 15.4])
    with pytest.raises(ValueError, match="repeated"):
        figures.bleu_by_length_figure(rows + rows[:1])
    with pytest.raises(ValueError, match="lacks"):
        figures.bleu_by_length_figure([{"model": "m", "bucket": "0-10"}])
    long = [dict(r, model="LSTM · 어텐션 없음 (a<b, GPU에서 3.5분)") for r in rows[:3]]
    wrapped = figures.bleu_by_length_figure(long, legend_width=20).data[0]
    assert wrapped.name == "LSTM · 어텐션 없음<br>(a&lt;b, GPU에서<br>3.5분)"  # escaped, broken
    assert "(a&lt;b, GPU에서 3.5분)" in wrapped.hovertemplate  # the hover keeps one line


STEP_BUILDERS = [
    figures.scores_figure,
    figures.weights_figure,
    figures.context_figure,
    figures.output_figure,
    figures.softmax_figure,
]


@pytest.mark.parametrize("builder", STEP_BUILDERS)
def test_step_builders_check_trace(trace: DecodeTrace, builder) -> None:
    assert isinstance(builder(trace, T - 1), go.Figure)
    with pytest.raises(ValueError, match="out of range"):
        builder(trace, T)
    with pytest.raises(ValueError, match="out of range"):
        builder(trace, -1)
    short = dataclasses.replace(trace.steps[0], weights=trace.steps[0].weights[:-1])
    with pytest.raises(ValueError, match="weights has length"):
        builder(dataclasses.replace(trace, steps=[short]), 0)


def test_heatmap_checks_trace(trace: DecodeTrace) -> None:
    with pytest.raises(ValueError, match="upto"):
        figures.heatmap_figure(trace, upto=T)
    with pytest.raises(ValueError, match="highlight"):
        figures.heatmap_figure(trace, highlight=-1)
    short = dataclasses.replace(trace.steps[2], weights=trace.steps[2].weights[:-1])
    steps = [*trace.steps[:2], short, trace.steps[3]]
    with pytest.raises(ValueError, match="weights has length"):
        figures.heatmap_figure(dataclasses.replace(trace, steps=steps))


def test_labels_translate_titles_and_legends(trace: DecodeTrace) -> None:
    labels = {"weights_title": "{t}단계: 가중치", "window": "창", "center": "중심"}
    fig = figures.weights_figure(trace, 1, labels=labels, template="plotly_dark", height=300)
    assert fig.layout.title.text == "1단계: 가중치"
    assert {"창", "중심"} <= {d.name for d in fig.data} | {s.name for s in fig.layout.shapes}
    assert fig.layout.height == 300 and fig.layout.template.layout.paper_bgcolor is not None


def test_large_trace_builds_everything() -> None:
    """S = T = 50: every builder runs and keeps one tick per token."""
    big = make_trace(1)
    rng = np.random.default_rng(1)
    tokens = [f"w{i}" for i in range(50)]
    enc = rng.normal(size=(50, H))
    steps = []
    for t in range(50):
        w = rng.dirichlet(np.ones(50))
        steps.append(
            dataclasses.replace(
                big.steps[0],
                t=t,
                scores=rng.normal(size=50),
                mask=np.ones(50, bool),
                weights=w,
                context=w @ enc,
                center=None,
                window=None,
                gaussian=None,
            )
        )
    big = dataclasses.replace(
        big,
        src_tokens=tokens,
        src_unknown=np.zeros(50, bool),
        enc_states=enc,
        steps=steps,
        self_attn=None,
    )
    fig = figures.heatmap_figure(big, upto=20, highlight=20)
    assert len(fig.layout.xaxis.ticktext) == 50 and fig.layout.xaxis.tickangle == -90
    for builder in STEP_BUILDERS:
        assert isinstance(builder(big, 49), go.Figure)
    assert isinstance(figures.encoder_states_figure(big), go.Figure)


def test_default_labels_list_every_key_used() -> None:
    """Translators work from DEFAULT_LABELS: every lab["..."] the package reads is listed there."""
    folder = Path(figures.__file__).parent
    source = "".join(p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.py")))
    used = set(re.findall(r"lab\[[\"'](\w+)[\"']\]", source))
    assert used and used <= set(figures.DEFAULT_LABELS)


def test_path_memo_keeps_figures_identical(trace: DecodeTrace, monkeypatch) -> None:
    """figures.fast remembers plotly's property-path parses; every figure must come out the
    same as with plotly's own parser (including after the memo has seen the paths)."""
    import plotly.basedatatypes as bdt
    from plotly.graph_objects import Figure

    memo = bdt._str_to_dict_path_full
    assert hasattr(memo, "cache_info"), "the memo is not installed"

    def build_all() -> list[str]:
        built = [
            figures.encoder_states_figure(trace),
            figures.scores_figure(trace, 1),
            figures.weights_figure(trace, 1),
            figures.context_figure(trace, 1),
            figures.output_figure(trace, 1),
            figures.heatmap_figure(trace, upto=1, highlight=1),
            figures.beam_tree_figure(trace),
        ]
        return [fig.to_json() for fig in built if isinstance(fig, Figure)]

    with_memo = build_all()
    assert memo.cache_info().hits > 0
    monkeypatch.setattr(bdt, "_str_to_dict_path_full", memo.__wrapped__)
    assert build_all() == with_memo


def _decoded(obj):
    """A figure's JSON with plotly's typed arrays decoded to lists (to compare numbers)."""
    import base64

    if isinstance(obj, dict):
        if {"dtype", "bdata"} <= set(obj) <= {"dtype", "bdata", "shape"}:
            values = np.frombuffer(base64.b64decode(obj["bdata"]), dtype=np.dtype(obj["dtype"]))
            if "shape" in obj:
                values = values.reshape([int(n) for n in str(obj["shape"]).split(",")])
            return _decoded(values.tolist())
        return {k: _decoded(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_decoded(v) for v in obj]
    if isinstance(obj, float) and obj != obj:
        return "NaN"  # equal to itself, unlike nan
    return obj


@pytest.mark.parametrize(
    ("variant", "template"),
    [
        ({}, None),  # plotly's own default template (a notebook)
        ({}, "none"),  # the app's
        ({"score": "dot"}, "none"),
        ({"score": "concat"}, "none"),
        ({"align": "local-m"}, "none"),
        ({"align": "local-p"}, "none"),
        ({"align": "hard"}, "none"),
        ({"self_attn": True}, "none"),
    ],
)
def test_fast_figures_equal_plotly_figures(variant: dict, template) -> None:
    """The step player's figures, built as plain dicts inside fast_figures(), are the JSON of
    the validated plotly figures: same data, same layout (typed arrays decoded), for every
    builder the player uses, at the first, second and last step, with masked positions and beam
    search, at both sizes (the presentation enlargement)."""
    import json

    import plotly.io as pio

    from seq2seq_viz.figures.fast import fast_figures
    from seq2seq_viz.views.figure_cache import BUILDERS, enlarge

    tr = make_translator(seed=3, **variant)
    decodes = [DecodeConfig(), DecodeConfig(beam_width=3)]
    if variant.get("align") not in ("hard",):
        decodes.append(DecodeConfig(masked_positions=(1,)))
    before = pio.templates.default
    pio.templates.default = template
    try:
        for decode in decodes:
            trace = tr.trace("the black cat is sleeping .", decode)
            for kind, build in BUILDERS.items():
                for t in sorted({0, 1, trace.n_steps - 1} & set(range(trace.n_steps))):
                    for big in (False, True):
                        slow = build(trace, t, {})
                        with fast_figures():
                            fast = build(trace, t, {})
                        if big:
                            slow, fast = enlarge(slow), enlarge(fast)
                        want = _decoded(json.loads(pio.to_json(slow, validate=False)))
                        got = _decoded(json.loads(fast.to_json()))
                        assert got == want, (kind, t, big, decode)
    finally:
        pio.templates.default = before


def test_wrap_title_breaks_at_spaces_counting_wide_characters_twice_and_tags_never():
    from seq2seq_viz.figures.common import visible_width, wrap_title

    assert visible_width("h<sub>i</sub>") == 2
    assert visible_width("디코더") == 6
    text = "Encoder states h<sub>i</sub> (one row per source token)"
    lines = wrap_title(text, 26).split("<br>")
    assert len(lines) == 2 and " ".join(lines) == text  # nothing lost, only broken
    assert all(visible_width(line) <= 26 for line in lines)
    ko = wrap_title("디코더의 한 시점: S = 6, H = 256", 26).split("<br>")
    assert len(ko) == 2 and all(visible_width(line) <= 26 for line in ko)
    assert wrap_title("short", 26) == "short"
    assert (
        wrap_title("averyveryverylongwordwithoutspaces", 5) == "averyveryverylongwordwithoutspaces"
    )


def test_learning_curves_draw_each_record_and_ring_the_kept_epoch() -> None:
    one = [
        {"epoch": 1, "valid_nll": 2.5, "lr": 0.002},
        {"epoch": 2, "valid_nll": 1.9, "lr": 0.002},
        {"epoch": 3, "valid_nll": 2.0, "lr": 0.002},
    ]
    two = [
        {"epoch": 1, "valid_nll": 2.8, "lr": 0.002},
        {"epoch": 2, "valid_nll": 2.2, "lr": 0.002},
        {"epoch": 3, "valid_nll": 2.3, "lr": 0.002, "stage": 2},
        {"epoch": 4, "valid_nll": 2.1, "lr": 0.001, "stage": 2},
        {"epoch": "x", "valid_nll": 0.1},  # a hand-edited row: left out
        {"epoch": 5, "valid_nll": float("nan")},  # a diverged epoch: left out
    ]
    fig = figures.learning_curves_figure(
        {"a<b": one, "two": two}, {"a<b": 2, "two": 4}, labels={"kept_epoch": "{model} kept"}
    )
    lines = [tr for tr in fig.data if tr.mode == "lines+markers"]
    # model a: one solid line; model two: stage 1 solid, stage 2 dashed from stage 1's end
    assert [(tr.name, tr.line.dash, tuple(tr.x)) for tr in lines] == [
        ("a&lt;b", "solid", (1, 2, 3)),
        ("two", "solid", (1, 2)),
        ("two", "dash", (2, 3, 4)),
    ]
    assert tuple(lines[2].y) == (2.2, 2.3, 2.1)
    assert [row[1] for row in lines[2].customdata] == [1, 2, 2]  # the stage, for the hover
    assert lines[2].customdata[2][0] == "0.001"
    assert [tr.showlegend for tr in lines] == [True, True, False]  # one legend entry a model
    rings = [tr for tr in fig.data if tr.mode == "markers"]
    assert [(tr.name, tr.x[0], tr.y[0]) for tr in rings] == [
        ("a&lt;b kept", 2, 1.9),
        ("two kept", 4, 2.1),
    ]
    low, high = fig.layout.yaxis.range  # the endings in view: lowest point to last + 0.45
    assert low == pytest.approx(1.85) and high == pytest.approx(2.1 + 0.45)
    assert len({tr.line.color for tr in lines[:2]}) == 2


def test_learning_curves_need_a_usable_history() -> None:
    with pytest.raises(ValueError):
        figures.learning_curves_figure({"m": [{"epoch": 1}]})
    many = {f"m{k}": [{"epoch": 1, "valid_nll": 1.0 + k}] for k in range(12)}
    colours = [tr.line.color for tr in figures.learning_curves_figure(many).data]
    assert len(set(colours)) == 12  # twelve models, twelve colours


def test_figure_modules_import_no_private_names() -> None:
    """The figure modules share helpers by their public names only: no ``from .x import _y``."""
    import ast

    folder = Path(figures.__file__).parent
    private = [
        f"{path.name}: {alias.name}"
        for path in sorted(folder.glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom) and node.level > 0
        for alias in node.names
        if alias.name.startswith("_")
    ]
    assert not private, private
