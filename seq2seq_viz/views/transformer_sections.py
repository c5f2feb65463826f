"""The step player's book for a Transformer: the same stages as the RNN's, for one chosen
cross-attention head (layer, head), with the model's own numbers:

(a) scores e_i = q . k_i / sqrt(d_k), (b) softmax, (c) the weighted sum of values
o = sum_i a_i v_i, then every layer and head at this step, (d) the output distribution
p(y_t) = softmax(E_y z_t + b), (e) the heatmap of the last layer's weights averaged over heads.

The sections are plain data like step_sections.py's (the browser draws them); figures are the
builders of figures/transformer.py, named "t_<what>|<layer>|<head>" in the figure cache.
"""

from __future__ import annotations

from seq2seq_viz.i18n import get_language, tr
from seq2seq_viz.trace import DecodeTrace
from seq2seq_viz.views import state
from seq2seq_viz.views.state import TraceKey
from seq2seq_viz.views.step_sections import (
    BOOKS,
    Context,
    Section,
    _floats,
    _latex,
    _md,
    output_blocks,
    player_labels,
    source_section,
    word_metrics,
)

STAGES = ("scores", "softmax", "context", "heads", "output", "heatmap")
DECODER_LATEX = (
    r"\begin{gathered} x_t^{(0)} = \sqrt{d_{model}}\,E\,y_{t-1} + PE_t \\ "
    r"z_t = \mathrm{LN}\big(x_t^{(N)}\big) \end{gathered}"
)
SCORE_LATEX = (  # one formula per line: they must fit the narrow left column
    r"\begin{gathered} e_{t,i} = \frac{q_t \cdot k_i}{\sqrt{d_k}} \\ "
    r"q_t = \mathrm{LN}(x_t)\,W^Q + b^Q \\ k_i = h_i W^K + b^K \end{gathered}"
)
SOFTMAX_LATEX = r"a_{t,i} = \frac{\exp(e_{t,i})}{\sum_{j=0}^{S-1} \exp(e_{t,j})}"
VALUES_LATEX = (
    r"\begin{gathered} o_t = \sum_{i=0}^{S-1} a_{t,i}\, v_i, \quad v_i = h_i W^V + b^V \\ "
    r"\mathrm{MultiHead} = [\,o^{(1)}; \dots; o^{(n)}\,]\, W^O + b^O \end{gathered}"
)
RESIDUAL_LATEX = r"x \leftarrow x + \mathrm{MultiHead}\big(\mathrm{LN}(x),\ h\big)"
OUTPUT_LATEX = r"p(y_t \mid y_{<t}, x) = \mathrm{softmax}\big(E_y\, z_t + b\big)"


def transformer_book(
    trace: DecodeTrace,
    key: TraceKey,
    big: bool,
    initial_step: int,
    intro: bool,
    layer: int,
    head: int,
) -> dict:
    """Every step's sections for head (layer, head), made once per trace, language, size and
    head in the process (see step_sections.book)."""
    cache_key = ("transformer", key, str(state.models_root()), get_language(), big, intro)
    cache_key += (layer, head)
    made = BOOKS.get(cache_key)
    if made is None:
        made = BOOKS.put(cache_key, _make(trace, key, big, intro, layer, head))
    return {**made, "initial_step": initial_step}


def _make(trace: DecodeTrace, key: TraceKey, big: bool, intro: bool, layer: int, head: int) -> dict:
    ctx = Context(trace, key, big, "transformer")
    which = f"|{layer}|{head}"
    sections = {
        "scores": lambda t_: _scores(ctx, t_, which),
        "softmax": lambda t_: _softmax(ctx, t_, which, layer, head),
        "context": lambda t_: _values(ctx, t_, which),
        "heads": lambda t_: _heads(ctx, t_),
        "output": lambda t_: _output(ctx, t_),
        "heatmap": lambda t_: _heatmap(ctx, t_),
    }
    steps = [
        {"head": [_decoder(ctx, t_)], "stages": [sections[s](t_) for s in STAGES]}
        for t_ in range(trace.n_steps)
    ]
    intro_sections = [source_section(ctx), _encoder_self(ctx)] if intro else []
    return {
        "id": f"t{hash(key)}-{get_language()}-{int(big)}-{layer}-{head}",
        "labels": player_labels(),
        "initial_step": 0,
        "present": big,
        "stage_count": len(STAGES),
        "intro": intro_sections,
        "figures": ctx.figures,
        "steps": steps,
    }


def _encoder_self(ctx: Context) -> Section:
    n_layers = len(ctx.trace.vectors["transformer"]["enc_self_weights"])
    return {
        "id": "encoder_self",
        "title": tr("tstep.enc_self_title"),
        "left": [{"type": "caption", "text": tr("tstep.enc_self_help")}],
        "right": [ctx.figure(f"t_enc_self|{i}|0") for i in range(n_layers)],
    }


def _decoder(ctx: Context, t_: int) -> Section:
    return {
        "id": "decoder",
        "left": [_latex(DECODER_LATEX), _md(tr("tstep.decoder_help"))],
        "right": [{"type": "metrics", "items": word_metrics(ctx, t_)}],
    }


def _scores(ctx: Context, t_: int, which: str) -> Section:
    return {
        "id": "scores",
        "title": tr("tstage.scores"),
        "left": [_latex(SCORE_LATEX), _md(tr("tstep.scores_help"))],
        "right": [ctx.figure("t_scores" + which, t_)],
    }


def _softmax(ctx: Context, t_: int, which: str, layer: int, head: int) -> Section:
    trace = ctx.trace
    record = trace.steps[t_].extras["transformer"]
    scores = record["cross_scores"][layer][head]
    weights = record["cross_weights"][layer][head]
    columns = [tr("col.position"), tr("col.token"), tr("tcol.score"), tr("col.weight")]
    rows = [
        [i, tok, s, w]
        for i, (tok, s, w) in enumerate(zip(trace.src_tokens, _floats(scores), _floats(weights)))
    ]
    table = {
        "type": "table",
        "title": tr("step.numbers"),
        "open": not ctx.big,
        "columns": columns,
        "rows": rows,
    }
    return {
        "id": "softmax",
        "title": tr("tstage.softmax"),
        "left": [_latex(SOFTMAX_LATEX), _md(tr("tstep.softmax_help"))],
        "right": [ctx.figure("t_weights" + which, t_), table],
    }


def _values(ctx: Context, t_: int, which: str) -> Section:
    return {
        "id": "context",
        "title": tr("tstage.values"),
        "left": [_latex(VALUES_LATEX), _latex(RESIDUAL_LATEX), _md(tr("tstep.values_help"))],
        "right": [ctx.figure("t_values" + which, t_)],
    }


def _heads(ctx: Context, t_: int) -> Section:
    return {
        "id": "heads",
        "title": tr("tstage.heads"),
        "left": [{"type": "caption", "text": tr("tstep.heads_help")}],
        "right": [ctx.figure("t_grid|0|0", t_)],
    }


def _output(ctx: Context, t_: int) -> Section:
    return {
        "id": "output",
        "title": tr("tstage.output"),
        "left": output_blocks(ctx, t_, [OUTPUT_LATEX], "tstep.output_help"),
        "right": [ctx.figure("output", t_)],
    }


def _heatmap(ctx: Context, t_: int) -> Section:
    return {
        "id": "heatmap",
        "title": tr("tstage.heatmap"),
        "left": [{"type": "caption", "text": tr("tstep.heatmap_help")}, ctx.figure("heatmap", t_)],
    }
