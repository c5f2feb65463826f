"""Decoding: greedy = beam of width 1, beam search = brute force on a tiny model, the tree."""

from __future__ import annotations

import itertools
import math
from dataclasses import replace

import numpy as np
import pytest
import torch

from seq2seq_viz.config import DecodeConfig
from seq2seq_viz.decode import (
    EmptyInputError,
    ModelStepper,
    banned_ids,
    beam_search,
    length_penalty,
    path_to_root,
)
from seq2seq_viz.text import EOS_ID, PAD_ID, SOS_ID, UNK_ID, Vocab

from .conftest import make_translator

SENTENCE = "the cat sleeps ."


@pytest.mark.parametrize("align", ["global", "local-m", "local-p", "hard", "none"])
def test_beam_of_width_one_equals_greedy(align):
    tr = make_translator(seed=3, align=align, self_attn=align == "global")
    greedy = tr.trace(SENTENCE, DecodeConfig(max_len=12))
    beam = tr.trace(SENTENCE, DecodeConfig(beam_width=1, max_len=12))
    assert greedy.output_tokens == beam.output_tokens
    source = tr.encode_text(SENTENCE)
    nodes, hyps = beam_search(
        ModelStepper(tr.model, tr.encode(source)),
        tr.tgt_vocab.itos,
        width=1,
        max_len=12,
        alpha=0.0,
        banned=banned_ids(source),
    )
    assert hyps[0].tokens == greedy.output_tokens


def test_greedy_picks_the_argmax_every_step():
    tr = make_translator(seed=1)
    trace = tr.trace(SENTENCE, DecodeConfig(max_len=10))
    for step in trace.steps:
        assert step.token == step.topk_tokens[0]
        assert math.isclose(step.logp, math.log(step.topk_probs[0]), rel_tol=1e-5)
        assert np.all(np.diff(step.topk_probs) <= 0)


def test_equal_probabilities_list_in_id_order():
    """Ties in a step's top-k (the banned tokens' zeros here) are ordered by id, so the CPU and
    CUDA list the same tokens (CUDA's topk orders ties its own way)."""
    tr = make_translator(seed=1)
    trace = tr.trace(SENTENCE, DecodeConfig(max_len=4, top_k=len(tr.tgt_vocab.itos)))
    tied = 0
    for step in trace.steps:
        for (p, i), (q, j) in itertools.pairwise(zip(step.topk_probs, step.topk_ids)):
            if p == q:
                tied += 1
                assert i < j
    assert tied > 0  # <pad> and <sos> are banned: two zeros at least


def score_sequence(tr, ids: list[int]) -> float:
    """log p(ids) by teacher forcing, with the same banned ids as decoding."""
    trace_steps = tr._record(
        tr.encode(tr.encode_text(SENTENCE)),
        DecodeConfig(max_len=len(ids)),
        forced=tuple(ids),
        stop_after_forced=True,
    )
    return sum(s.logp for s in trace_steps)


@pytest.mark.parametrize("alpha", [0.0, 1.0])
def test_wide_beam_finds_the_brute_force_best(alpha):
    src = Vocab.build([["the", "cat", "sleeps", "."]], min_freq=1)
    tgt = Vocab.build([["chat", "dort"]], min_freq=1)  # emitable: <unk> <eos> chat dort
    from seq2seq_viz.config import ModelConfig
    from seq2seq_viz.decode import Translator
    from seq2seq_viz.model import build_model

    torch.manual_seed(7)
    cfg = ModelConfig(
        src_vocab_size=len(src), tgt_vocab_size=len(tgt), emb_dim=4, hidden_dim=6, dropout=0.0
    )
    tr = Translator(build_model(cfg).eval(), src, tgt)
    L = 3
    words = [i for i in range(len(tgt)) if i not in (PAD_ID, SOS_ID, EOS_ID)]
    candidates = [
        list(seq) + [EOS_ID] for n in range(L) for seq in itertools.product(words, repeat=n)
    ]
    candidates += [list(seq) for seq in itertools.product(words, repeat=L)]  # cut at max_len
    scored = [
        (score_sequence(tr, ids) / length_penalty(len(ids), alpha), ids) for ids in candidates
    ]
    best_score, best_ids = max(scored)
    enc = tr.encode(tr.encode_text(SENTENCE))
    _, hyps = beam_search(ModelStepper(tr.model, enc), tgt.itos, width=16, max_len=L, alpha=alpha)
    got = hyps[0].token_ids + ([EOS_ID] if len(hyps[0].token_ids) < L else [])
    assert got == best_ids
    assert math.isclose(hyps[0].norm_score, best_score, rel_tol=1e-4, abs_tol=1e-5)


class ScriptedStepper:
    """Log-probabilities fixed by (step, parent token); records reorders."""

    def __init__(self, table: dict[tuple[int, int], dict[int, float]], vocab: int) -> None:
        self.table, self.vocab, self.reorders = table, vocab, []

    def step(self, tokens: torch.Tensor, t: int) -> torch.Tensor:
        out = torch.full((len(tokens), self.vocab), -1e9)
        for row, tok in enumerate(tokens.tolist()):
            for word, p in self.table.get((t, tok), {}).items():
                out[row, word] = math.log(p)
        return out

    def reorder(self, rows: torch.Tensor) -> None:
        self.reorders.append(rows.tolist())


def test_scripted_beam_records_parents_pruning_and_finishing():
    # ids: 0 pad 1 unk 2 sos 3 eos 4 a 5 b 6 c
    itos = ("<pad>", "<unk>", "<sos>", "<eos>", "a", "b", "c")
    table = {
        (0, SOS_ID): {4: 0.5, 5: 0.3, 6: 0.2},
        (1, 4): {EOS_ID: 0.6, 5: 0.4},
        (1, 5): {6: 0.9, EOS_ID: 0.1},
        (2, 6): {EOS_ID: 1.0},
        (2, 5): {EOS_ID: 1.0},
    }
    stepper = ScriptedStepper(table, len(itos))
    nodes, hyps = beam_search(stepper, itos, width=2, max_len=5, alpha=0.0)
    by = {(n.step, n.token, nodes[n.parent].token): n for n in nodes[1:]}
    assert by[(0, "a", "<sos>")].status == "kept" and by[(0, "b", "<sos>")].status == "kept"
    # each live hypothesis proposes only its `slots` best children: c (0.2) is never expanded
    assert (0, "c", "<sos>") not in by
    # step 1: a->eos (0.30), b->c (0.27), a->b (0.20), b->eos (0.03)
    assert by[(1, "<eos>", "a")].status == "finished"
    assert by[(1, "c", "b")].status == "kept"
    assert by[(1, "b", "a")].status == "pruned" and by[(1, "<eos>", "b")].status == "pruned"
    assert [n.status for n in nodes if n.step == 2] == ["finished"]  # one slot left
    assert by[(2, "<eos>", "c")].status == "finished"
    assert [h.tokens for h in hyps] == [["a"], ["b", "c"]]
    assert math.isclose(hyps[0].score, math.log(0.3), rel_tol=1e-6)
    assert math.isclose(hyps[1].score, math.log(0.3 * 0.9), rel_tol=1e-6)
    assert stepper.reorders[0] == [0, 0] or stepper.reorders[0] == [0, 1]
    for node in nodes[1:]:  # every node's cumulative score is its parent's plus its logp
        assert math.isclose(node.score, nodes[node.parent].score + node.logp, abs_tol=1e-5)
    assert [nodes[i].token for i in path_to_root(nodes, hyps[1].node_id)] == ["b", "c", "<eos>"]


def test_beam_trace_records_the_tree_and_replays_the_best():
    tr = make_translator(seed=2)
    trace = tr.trace(SENTENCE, DecodeConfig(beam_width=4, max_len=8, n_best=3))
    assert trace.mode == "beam" and trace.beam_nodes and len(trace.hypotheses) <= 3
    assert trace.output_tokens == trace.hypotheses[0].tokens
    statuses = {n.status for n in trace.beam_nodes[1:]}
    assert "pruned" in statuses and "finished" in statuses
    scores = [h.norm_score for h in trace.hypotheses]
    assert scores == sorted(scores, reverse=True)
    assert math.isclose(sum(s.logp for s in trace.steps), trace.hypotheses[0].score, abs_tol=1e-4)


@pytest.mark.parametrize("max_len", [1, 2, 3])
def test_a_beam_cut_at_max_len_replays_no_eos_it_never_chose(max_len):
    """Hypotheses cut at max_len end on a word: the trace replays exactly the chosen nodes."""
    tr = make_translator(seed=2)
    trace = tr.trace(SENTENCE, DecodeConfig(beam_width=3, max_len=max_len))
    best = trace.hypotheses[0]
    chosen = [trace.beam_nodes[i] for i in path_to_root(trace.beam_nodes, best.node_id)]
    assert [s.token_id for s in trace.steps] == [n.token_id for n in chosen]
    assert len(trace.steps) <= max_len
    for step, node in zip(trace.steps, chosen, strict=True):
        assert math.isclose(step.logp, node.logp, abs_tol=1e-4)
    assert math.isclose(sum(s.logp for s in trace.steps), best.score, abs_tol=1e-4)
    ended = chosen[-1].token_id == EOS_ID
    assert len(trace.steps) == len(best.tokens) + ended


def test_teacher_forced_and_forced_prefix_traces():
    tr = make_translator(seed=4)
    teach = tr.trace(SENTENCE, reference="le chat dort .")
    assert teach.mode == "teacher"
    assert [s.token for s in teach.steps] == ["le", "chat", "dort", ".", "<eos>"]
    assert [s.input_token for s in teach.steps] == ["<sos>", "le", "chat", "dort", "."]
    assert all(s.forced for s in teach.steps)
    forced = tr.trace(SENTENCE, DecodeConfig(max_len=6), prefix=["tu", "es"])
    assert forced.mode == "forced" and forced.output_tokens[:2] == ["tu", "es"]
    assert forced.steps[2].input_token == "es" and not forced.steps[2].forced
    beam = tr.trace(SENTENCE, DecodeConfig(beam_width=3, max_len=6), prefix=["tu"])
    assert all(h.tokens[:1] == ["tu"] for h in beam.hypotheses)
    assert [s.forced for s in beam.steps] == [True] + [False] * (len(beam.steps) - 1)
    plain_beam = tr.trace(SENTENCE, DecodeConfig(beam_width=3, max_len=6))
    assert not any(s.forced for s in plain_beam.steps)  # a replayed best path is not forced


def test_unknown_words_keep_their_surface_form_and_empty_input_fails_clearly():
    tr = make_translator()
    trace = tr.trace("the zebra sleeps")
    assert trace.src_tokens == ["the", "zebra", "sleeps"]
    assert trace.src_unknown.tolist() == [False, True, False]
    for text in ["", "   ", "\n\t"]:
        with pytest.raises(EmptyInputError):
            tr.trace(text)


def test_long_input_is_truncated_and_recorded():
    tr = make_translator(max_src_len=5)
    trace = tr.trace(" ".join(["cat"] * 500))
    assert len(trace.src_tokens) == 5 and trace.truncated_from == 500
    assert trace.enc_states.shape == (5, 12)


def test_hard_attention_sampling_is_seeded():
    tr = make_translator(seed=5, align="hard")
    a = tr.trace(SENTENCE, DecodeConfig(sample_hard=True, seed=1))
    b = tr.trace(SENTENCE, DecodeConfig(sample_hard=True, seed=1))
    assert [s.sampled_index for s in a.steps] == [s.sampled_index for s in b.steps]
    for s in a.steps:
        assert s.weights.sum() == 1.0 and s.weights[s.sampled_index] == 1.0


@pytest.mark.parametrize("align", ["global", "local-p", "hard", "none"])
@pytest.mark.parametrize("width", [1, 4])
def test_best_tokens_equal_the_traced_output(align, width):
    tr = make_translator(seed=6, align=align)
    decode = DecodeConfig(beam_width=width, max_len=10)
    for text in (SENTENCE, "i am cold .", "you are happy"):
        assert tr.best_tokens(text, decode) == tr.trace(text, decode).output_tokens
    sampled = DecodeConfig(sample_hard=True, seed=3, max_len=10)
    assert tr.best_tokens(SENTENCE, sampled) == tr.trace(SENTENCE, sampled).output_tokens


def _unk_loving(seed: int = 3):
    """A tiny model whose output layer prefers <unk> by far."""
    tr = make_translator(seed=seed)
    with torch.no_grad():
        tr.model.decoder.out_bias[UNK_ID] += 50.0
    return tr


@pytest.mark.parametrize("width", [1, 3])
def test_no_unk_is_emitted_when_every_source_word_is_known(width):
    tr = _unk_loving()
    assert not any(tr.encode_text(SENTENCE).unknown)
    trace = tr.trace(SENTENCE, DecodeConfig(beam_width=width, max_len=8))
    assert UNK_ID not in [s.token_id for s in trace.steps]
    assert "<unk>" not in trace.output_tokens
    assert "<unk>" not in tr.best_tokens(SENTENCE, DecodeConfig(beam_width=width, max_len=8))
    sampled = tr.trace(SENTENCE, DecodeConfig(max_len=8, n_samples=3, sample_temperature=1.0))
    assert all(UNK_ID not in x.token_ids for x in sampled.samples)
    for step in trace.steps:  # the model's own p(<unk>) is shown, and the chosen word's log p
        assert step.extras["unk_banned_prob"] > 0.99
        assert UNK_ID not in step.topk_ids.tolist()


def test_an_unknown_source_word_is_copied_where_the_model_says_unk():
    tr = _unk_loving()
    text = "the zorblax sleeps ."  # "zorblax" is not in the vocabulary
    assert tr.encode_text(text).unknown[1]
    trace = tr.trace(text, DecodeConfig(max_len=4))
    assert trace.steps[0].token_id == UNK_ID  # what the model chose
    for step, word in zip(trace.steps, trace.output_tokens):
        i = int(np.argmax(step.weights))  # independent of copy_unknown: the largest weight
        assert word == trace.src_tokens[i]
        assert step.extras["copied_from"] == {
            "index": i,
            "token": trace.src_tokens[i],
            "weight": pytest.approx(float(step.weights[i])),
        }
    assert tr.best_tokens(text, DecodeConfig(max_len=4)) == trace.output_tokens
    plain = tr.trace(text, DecodeConfig(max_len=4, unk_replace=False))
    assert plain.output_tokens == ["<unk>"] * 4


@pytest.mark.parametrize("seed", range(6))
def test_stable_topk_is_the_head_of_a_stable_sort(seed):
    from seq2seq_viz.decode import stable_topk

    g = torch.Generator().manual_seed(seed)
    x = torch.randn(500, generator=g).round(decimals=1)  # many ties
    x[torch.randint(0, 500, (40,), generator=g)] = float("-inf")
    for k in (1, 5, 10, 499, 500, 600):
        vals, ids = stable_topk(x, k)
        ref_vals, ref_ids = x.sort(descending=True, stable=True)
        assert torch.equal(ids, ref_ids[:k]) and torch.equal(vals, ref_vals[:k])


@pytest.mark.parametrize("align", ["global", "hard", "local-p"])
def test_greedy_words_beside_other_modes_equal_the_greedy_trace(align):
    """Beside a beam, teacher-forced or sampled trace, the greedy words come from a run that
    records nothing: they must be the greedy trace's own (hard attention samples its position
    with the same seeded generator)."""
    tr = make_translator(seed=2, align=align)
    for text in ("the cat sleeps .", "the black cat is sleeping .", "the dog ."):
        for decode in (DecodeConfig(), DecodeConfig(sample_hard=True, seed=3)):
            if decode.sample_hard and align != "hard":
                continue
            want = tr.trace(text, decode).greedy_tokens
            assert want == [s.token for s in tr.trace(text, decode).steps if s.token != "<eos>"]
            for other in (replace(decode, beam_width=3), replace(decode, n_samples=2)):
                assert tr.trace(text, other).greedy_tokens == want, (text, other)
            assert tr.trace(text, decode, reference="le chat .").greedy_tokens == want
