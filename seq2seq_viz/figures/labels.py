"""The figures' default (English) labels; the app passes translated ones (i18n ``fig.*``).

Every human-readable string a builder draws is looked up here under a short key. Some hold
``str.format`` fields such as ``{t}``; a translation may drop them but must not invent new ones.
"""

from __future__ import annotations

from collections.abc import Mapping

DEFAULT_LABELS: dict[str, str] = {
    # axes and hover names
    "source": "source token",
    "target": "output token",
    "hidden_dim": "hidden dimension",
    "dims_shown": "hidden dimension (first {shown} of {total})",
    "value": "value",
    "step": "output position",
    "score": "score e<sub>i</sub>",
    "weight": "weight a<sub>i</sub>",
    "probability": "probability",
    "word": "word",
    "query": "query token (row)",
    "key": "key token (column)",
    "unknown": "unknown word (not in the vocabulary)",
    "unknown_suffix": " ⁇",
    # legend entries
    "attended": "attended",
    "masked": "masked (weight 0)",
    "gaussian": "Gaussian around p<sub>t</sub>",
    "center": "centre p<sub>t</sub>",
    "window": "window",
    "soft_weights": "soft distribution",
    "sampled": "sampled position",
    "argmax": "chosen position (argmax)",
    "chosen": "chosen",
    "not_in_topk": "(not in top-k)",
    "empirical": "sample frequency",
    "exp_part": "exp(e<sub>i</sub> - max e)",
    "share": "share of Σ (= a<sub>i</sub>)",
    "context_row": "c<sub>t</sub> = Σ",
    "kept": "kept",
    "pruned": "pruned",
    "finished": "finished",
    "best_path": "best hypothesis",
    "greedy_path": "greedy path",
    "logp": "log p(token)",
    "cum_score": "score (sum of log p)",
    "norm_score": "length-normalised score",
    "status": "status",
    "rank": "rank",
    "token": "token",
    "model": "model",
    "bleu": "BLEU",
    "sentences": "sentences",
    "length_bucket": "source sentence length (words)",
    "unit": "unit",
    "gate_mean": "mean over units",
    "cell_gates_title": "Gates and states per source token (first {shown} of {total} units)",
    "gate_means_title": "Mean gate value per source token",
    "train_step": "training step",
    "nll": "loss (NLL per token)",
    "train_nll": "training loss",
    "train_nll_mean": "training loss (mean of 20 steps)",
    "valid_nll": "validation loss",
    "epoch": "epoch",
    "learning_rate": "learning rate",
    "stage": "stage",
    "kept_epoch": "{model}: weights kept (lowest validation loss)",
    "curves_title": "Validation loss after each epoch",
    "alignment_score": "alignment score",
    "loss_title": "Loss while training",
    "probe_title": "Attention on the probe sentence at step {step}",
    # titles
    "encoder_title": "Encoder states h<sub>i</sub> (one row per source token)",
    "scores_title": "Step {t}: raw scores e<sub>i</sub>",
    "weights_title": "Step {t}: attention weights a<sub>i</sub>",
    "hard_title": "Step {t}: soft distribution π<sub>t</sub> and the chosen position (argmax)",
    "hard_title_sampled": "Step {t}: soft distribution π<sub>t</sub> and the sampled position",
    "context_title": "Step {t}: context c<sub>t</sub> = Σ a<sub>i</sub>·h<sub>i</sub>",
    "output_title": "Step {t}: most likely next words",
    "forced_note": " (forced: {token})",
    "sample_title": "Step {t}: the model's p(y) and the distribution the word was drawn from",
    "sample_before": "p(y): the model",
    "sample_after": "p̃(y): after T, top-k, top-p",
    "sample_drawn": "drawn",
    "heatmap_title": "Attention weights: output tokens (rows) by source tokens (columns)",
    "beam_title": "Beam-search tree",
    "self_attn_title": "Encoder self-attention, head {head}",
    "hard_samples_title": "Soft distribution vs. frequency in {n} hard samples",
    "bleu_title": "BLEU by sentence length (greedy search)",
    "softmax_title": "Step {t}: exp(e<sub>i</sub> - max e), sum Σ = {total:.3f}",
    "softmax_title_window": "Step {t}: exp(e<sub>i</sub> - max e) inside the window, "
    "sum Σ over the window = {total:.3f}",
    # vectors (figures/vectors.py)
    "dim": "dimension k",
    "vectors_score_title": "Step {t}, source {i} ({token}): e<sub>i</sub> = Σ<sub>k</sub> "
    "of the last row = {total:.4f}",
    "vectors_attn_title": "Step {t}: [c<sub>t</sub> ; s<sub>t</sub>] → W<sub>c</sub> → tanh → "
    "h̃<sub>t</sub>",
    "vectors_init_title": "Decoder start: h<sub>S</sub> → s<sub>0</sub> = tanh(W<sub>b</sub> "
    "h<sub>S</sub> + b<sub>b</sub>), and h̃<sub>0</sub> = 0",
    # the lesson's diagram (figures/lesson.py)
    "diagram_title": "One decoder step: S = {S}, H = {H}, V = {V}",
    "diagram_source": "x<sub>1</sub> … x<sub>S</sub><br>S = {S}",
    "diagram_encoder": "encoder<br>h<sub>i</sub><br>H = {H}",
    "diagram_summary": "one vector<br>h<sub>S</sub>",
    "diagram_decoder": "decoder<br>s<sub>t</sub><br>H = {H}",
    "diagram_score": "scores<br>e",
    "diagram_weights": "softmax<br>→ a",
    "diagram_context": "c<sub>t</sub> =<br>Σ a<sub>i</sub>h<sub>i</sub>",
    "diagram_concat": "[c<sub>t</sub> ; s<sub>t</sub>]<br>{H2}<br>tanh → h̃<sub>t</sub>",
    "diagram_output": "W<sub>o</sub> → softmax<br>V = {V}<br>→ y<sub>t</sub>",
}


# the figures of the explanation lab (explain.py) and of a Transformer's trace (transformer.py)
EXPLAIN_LABELS: dict[str, str] = {
    "attention_title": "attention a_t",
    "tau": "Kendall tau-b",
    "tau_title": "rank agreement per output word",
    "top_same": "same top word",
    "own": "model's attention",
    "fooled": "fooled attention",
    "fool_title": "step {t}: {word}",
    "map_title": "decoder states on the index's first two principal components",
    "this_sentence": "this sentence",
    "neighbours": "training neighbours",
}

TRANSFORMER_LABELS: dict[str, str] = {
    "t_scores_title": "Time step {t}, layer {layer}, head {head}: scores q·k<sub>i</sub>/√d",
    "t_weights_title": "Time step {t}, layer {layer}, head {head}: weights a<sub>i</sub>",
    "t_values_title": "Time step {t}, layer {layer}, head {head}: a<sub>i</sub>·v<sub>i</sub> "
    "and their sum o",
    "t_grid_title": "Time step {t}: cross-attention weights of every layer and head",
    "t_enc_self_title": "Encoder self-attention, layer {layer} (one panel per head)",
    "t_layer_head": "layer {layer} · head {head}",
    "t_head": "head {head}",
    "t_mean_heads": "mean over heads",
    "t_heads_title": "Cross-attention of decoder layer {layer}, head by head (rows: output words)",
    "t_score": "q·k<sub>i</sub>/√d",
    "t_weight": "weight a<sub>i</sub>",
    "t_value_dim": "value dimension",
    "t_sum_row": "o = Σ",
    "bridge_rnn": "RNN ({model})",
    "bridge_title": "Time step {t}: the RNN's attention weights and one Transformer head's",
    "t_masked_title": "Decoder self-attention, layer {layer} (mean over heads)",
    "t_masked_x": "target position (the word read there)",
    "t_masked_y": "time step t",
    "t_positions_title": "Positional encoding PE[pos, i] (first {shown} of {total} dimensions)",
    "t_positions_x": "dimension i",
    "t_positions_y": "position pos",
}
DEFAULT_LABELS.update(EXPLAIN_LABELS)
DEFAULT_LABELS.update(TRANSFORMER_LABELS)


def merge_labels(labels: Mapping[str, str] | None) -> dict[str, str]:
    """The default labels with `labels` (e.g. a translation) laid over them."""
    return {**DEFAULT_LABELS, **(labels or {})}
