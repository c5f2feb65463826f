"""The five stages of one decoder step, in the order of the math, each with its formula and the
real numbers of the trace: (a) scores, (b) softmax, (c) context, (d) output, (e) the heatmap.

Each stage is a *section*: plain data (blocks of formulas, text, metrics, tables and figure
specs) that the browser's step player draws (see ``views/stepper``). :func:`book` makes every
step's sections at once, so moving through steps never reaches the server. To add a section,
write a function ``(ctx, t) -> section`` below and list it in ``SECTIONS`` and ``stages_for``.

Formulas are constant LaTeX (no user text inside); tokens go in text blocks, tables and figures,
which the browser shows literally.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from seq2seq_viz.i18n import get_language, tr
from seq2seq_viz.questions import Question, questions_for
from seq2seq_viz.trace import DecodeTrace, StepRecord
from seq2seq_viz.views import state
from seq2seq_viz.views.figure_cache import LRU, figure_spec
from seq2seq_viz.views.state import TraceKey

Block = dict[str, Any]
Section = dict[str, Any]

OPEN_TABLE_TOKENS = 10  # longer sentences get the numbers table folded
STAGES = ("scores", "softmax", "context", "output", "heatmap")
# presentation mode with questions: each prediction comes before the stage that reveals it
ASK_STAGES = ("ask_attention", "scores", "softmax", "context", "ask_word", "output", "heatmap")
ASK_KINDS = {"ask_attention": ("attention_top", "sharper"), "ask_word": ("next_word",)}
SCORE_LATEX = {
    "dot": r"e_{t,i} = s_t^{\top} h_i",
    "general": r"e_{t,i} = s_t^{\top} W_a\, h_i",
    "concat": r"e_{t,i} = v_a^{\top} \tanh\!\big(W_q\, s_t + W_k\, h_i + b\big)",
}
ALIGN_LATEX = {  # one formula per line: they must fit the narrow left column
    "global": r"a_{t,i} = \frac{\exp(e_{t,i})}{\sum_{j=0}^{S-1} \exp(e_{t,j})}",
    "local-m": r"\begin{gathered} p_t = \min(t,\, S-1) \\ "
    r"a_{t,i} = \begin{cases} \dfrac{\exp(e_{t,i})}"
    r"{\sum_{|j - p_t| \le D} \exp(e_{t,j})} & |i - p_t| \le D \\ 0 & |i - p_t| > D"
    r"\end{cases} \end{gathered}",
    "local-p": r"\begin{gathered} p_t = (S-1)\,\sigma\!\big(v_p^{\top}\tanh(W_p\, s_t)\big) \\ "
    r"a_{t,i} = \underset{|j - p_t| \le D}{\mathrm{softmax}}(e_t)_i \cdot "
    r"\exp\!\Big(-\frac{(i-p_t)^2}{2\sigma^2}\Big) \\ \sigma = D/2 \end{gathered}",
    "hard": r"\begin{gathered} \pi_{t,i} = "
    r"\frac{\exp(e_{t,i})}{\sum_{j=0}^{S-1} \exp(e_{t,j})} \\ "
    r"i^{*} = \arg\max_i \pi_{t,i}, \quad a_t = \mathrm{onehot}(i^{*}) \end{gathered}",
}
CONTEXT_LATEX = r"c_t = \sum_{i=0}^{S-1} a_{t,i}\, h_i"
WINDOW_SUM = r"|j - p_t| \le D"  # local-m / local-p: the softmax runs over the window only


def softmax_sum_latex(align: str, total: float) -> str:
    """The softmax's denominator as the code computes it (max and sum over the allowed
    positions: the window for local-m and local-p, all S positions otherwise)."""
    local = align in ("local-m", "local-p")
    j = WINDOW_SUM if local else r"j=0"
    top = "" if local else r"^{S-1}"
    k = WINDOW_SUM.replace("j", "k") if local else "k"
    return rf"\textstyle\sum_{{{j}}}{top} \exp(e_{{t,j}} - \max_{{{k}}} e_{{t,k}}) = {total:.4f}"


NONE_CONTEXT_LATEX = r"c_t = c \qquad \forall\, t"
ATTN_HIDDEN_LATEX = r"\tilde{h}_t = \tanh\!\big(W_c\,[\,c_t \,;\, s_t\,]\big)"
OUTPUT_LATEX = r"p(y_t \mid y_{<t}, x) = \mathrm{softmax}\big(W_o\, \tilde{h}_t + b_o\big)"
DECODER_LATEX = (
    r"s_t = \mathrm{{{cell}}}\big(s_{{t-1}},\ [\,E\,y_{{t-1}} \,;\, "
    r"\tilde{{h}}_{{t-1}}\,]\big)"
)


@dataclass
class Context:
    """What the sections of one book share: the trace, its cache key, the size, the figures."""

    trace: DecodeTrace
    key: TraceKey
    big: bool
    cell: str
    figures: list[str] = field(default_factory=list)  # plotly JSON text
    _index: dict[tuple[str, int], int] = field(default_factory=dict)

    def figure(self, kind: str, t: int = 0) -> Block:
        """A figure block; each (kind, step) spec is sent once per book."""
        if (kind, t) not in self._index:
            self._index[kind, t] = len(self.figures)
            self.figures.append(figure_spec(kind, self.key, t, self.big, self.trace))
        return {"type": "figure", "figure": self._index[kind, t], "name": kind}


BOOKS = LRU(64)  # a book's own text is small: its figures are the specs SPECS also holds


def book(
    trace: DecodeTrace,
    key: TraceKey,
    cell: str,
    big: bool,
    initial_step: int,
    intro: bool,
    ask: bool = False,
) -> dict:
    """Every step's sections, the bar's labels and the figures: what the step player needs.
    `intro`: the source section (tokens and encoder states) above the step bar. `ask`: the
    presentation mode's prediction questions come before the stages that reveal them.
    Made once per trace, language and size in the process: a class opening the same example
    shares it (the step to open on is set per call)."""
    ask = ask and big
    cache_key = (key, str(state.models_root()), get_language(), big, cell, intro, ask)
    made = BOOKS.get(cache_key)
    if made is None:
        made = BOOKS.put(cache_key, _make_book(trace, key, cell, big, intro, ask))
    return {**made, "initial_step": initial_step}


def _make_book(
    trace: DecodeTrace, key: TraceKey, cell: str, big: bool, intro: bool, ask: bool = False
) -> dict:
    ctx = Context(trace, key, big, cell)
    stages = stages_for(trace, ask)
    steps = [
        {
            "head": [decoder_section(ctx, t_, hide_output=ask)],
            "stages": [SECTIONS[s](ctx, t_) for s in stages],
        }
        for t_ in range(trace.n_steps)
    ]
    return {
        "id": f"{hash(key)}-{get_language()}-{int(big)}-{int(ask)}",
        "labels": player_labels(),
        "initial_step": 0,
        "present": big,
        "stage_count": len(stages),
        "intro": [source_section(ctx)] if intro else [],
        "figures": ctx.figures,
        "steps": steps,
    }


def player_labels() -> dict[str, str]:
    """The step player's own words (its buttons, slider and stage counter)."""
    names = ("prev", "next", "play", "play_help", "slider", "only_one")
    labels = {name: tr(f"step.{name}") for name in names}
    return labels | {"stage": tr("present.stage", n="{n}", total="{total}")}


def word_metrics(ctx: Context, t: int, hide_output: bool = False) -> list[dict[str, str]]:
    """The word fed in at step t and the word it put out (left out while a question asks)."""
    step = ctx.trace.steps[t]
    fed = tr("step.fed_forced") if ctx.trace.mode == "teacher" else tr("step.fed_own")
    chosen = tr("step.forced") if step.forced else tr("step.chosen_help")
    metrics = [
        {"label": tr("step.input_word"), "value": step.input_token, "help": fed},
        {"label": tr("step.output_word"), "value": step.token, "help": chosen},
    ]
    return metrics[: 1 if hide_output else 2]


def output_blocks(ctx: Context, t: int, formulas: list[str], explain_key: str) -> list[Block]:
    """The output stage's left column: its formulas, what they do, the chosen word and its
    probability, and a note when the word was forced."""
    step = ctx.trace.steps[t]
    metrics = [
        {"label": tr("step.output_word"), "value": step.token, "help": ""},
        {
            "label": tr("step.probability"),
            "value": f"{float(np.exp(step.logp)):.3f}",
            "help": tr("step.logp", logp=step.logp),
        },
    ]
    left = [*(_latex(f) for f in formulas), _md(tr(explain_key))]
    left.append({"type": "metrics", "items": metrics})
    if step.forced:
        left.append({"type": "caption", "text": tr("step.forced")})
    return left


def source_section(ctx: Context) -> Section:
    """Tokens with their ids (unknown words flagged) beside the encoder states."""
    trace = ctx.trace
    rows = [
        [i, token, int(token_id), "✓" if unknown else ""]
        for i, (token, token_id, unknown) in enumerate(
            zip(trace.src_tokens, trace.src_ids, trace.src_unknown)
        )
    ]
    columns = [tr("col.position"), tr("col.token"), tr("col.id"), tr("col.unknown")]
    table = {"type": "table", "title": None, "open": True, "columns": columns, "rows": rows}
    return {
        "id": "source",
        "title": tr("source.title"),
        "left": [{"type": "caption", "text": tr("source.tokens_help")}, table],
        "right": [ctx.figure("encoder")],
    }


def stages_for(trace: DecodeTrace, ask: bool = False) -> tuple[str, ...]:
    """The stages that exist for this model (no attention: no scores, weights or heatmap);
    `ask`: with the prediction questions before the stages that reveal them."""
    if trace.align_name == "none":
        return ("context", "ask_word", "output") if ask else ("context", "output")
    return ASK_STAGES if ask else STAGES


def question_block(question: Question) -> Block:
    """A question for the step player: every text made here (i18n, numbers formatted), the
    browser only shows the verdict for the choice clicked. Labels and texts are literal."""
    labels = question.labels(tr)
    answer = labels[question.answer]
    per_choice = question.kind != "sharper"  # sharper's two numbers are H(a_t), H(a_{t-1})
    return {
        "type": "question",
        "id": question.id,
        "title": tr("q.title"),
        "prompt": question.prompt(tr),
        "choices": labels,
        "answer": question.answer,
        "right": tr("q.right", choice=answer),
        "wrong": [tr("q.wrong", choice=label, answer=answer) for label in labels],
        "revealed": tr("q.revealed", answer=answer),
        "explain": question.explanation(tr),
        "reveal": tr("q.reveal"),
        "value_label": tr(question.value_key),
        "values": [float(v) for v in question.values] if per_choice else [],
    }


def ask_section(name: str) -> Callable[[Context, int], Section]:
    def section(ctx: Context, t_: int) -> Section:
        found = questions_for(ctx.trace, kinds=ASK_KINDS[name], steps=[t_])
        blocks = [question_block(q) for q in found]
        return {
            "id": name,
            "title": tr(f"stage.{name}"),
            "left": blocks or [{"type": "caption", "text": tr("q.none_here")}],
        }

    return section


def _md(text: str) -> Block:
    return {"type": "markdown", "text": text}


def _latex(tex: str) -> Block:
    return {"type": "latex", "tex": tex}


def decoder_section(ctx: Context, t: int, hide_output: bool = False) -> Section:
    """What goes into step t: the previous word (or <sos>) and the new decoder state s_t.
    `hide_output`: the output word is left to the output stage (a question asks for it)."""
    return {
        "id": "decoder",
        "left": [_latex(DECODER_LATEX.format(cell=ctx.cell.upper()))],
        "right": [{"type": "metrics", "items": word_metrics(ctx, t, hide_output)}],
    }


def scores_section(ctx: Context, t: int) -> Section:
    trace = ctx.trace
    return {
        "id": "scores",
        "title": tr("stage.scores"),
        "left": [
            _latex(SCORE_LATEX.get(trace.score_name, SCORE_LATEX["general"])),
            _md(tr(f"score.{trace.score_name}")),
        ],
        "right": [ctx.figure("scores", t)],
    }


def softmax_section(ctx: Context, t: int) -> Section:
    trace, step = ctx.trace, ctx.trace.steps[t]
    _, total = step.softmax_parts()
    left = [
        _latex(ALIGN_LATEX.get(trace.align_name, ALIGN_LATEX["global"])),
        _latex(softmax_sum_latex(trace.align_name, total)),
        _md(tr(f"align.{trace.align_name}")),
        *variant_notes(trace, step),
    ]
    columns, rows = numbers_table(trace, step)
    short = len(trace.src_tokens) <= OPEN_TABLE_TOKENS
    table = {
        "type": "table",
        "title": tr("step.numbers"),
        "open": short and not ctx.big,
        "columns": columns,
        "rows": rows,
    }
    return {
        "id": "softmax",
        "title": tr("stage.softmax"),
        "left": left,
        "right": [ctx.figure("weights", t), table],
    }


def numbers_table(trace: DecodeTrace, step: StepRecord) -> tuple[list[str], list[list]]:
    """One row per source token: e_i, exp(e_i - max e), a_i (the trace's own numbers)."""
    parts, _ = step.softmax_parts()
    columns: dict[str, list] = {
        tr("col.position"): list(range(len(trace.src_tokens))),
        tr("col.token"): list(trace.src_tokens),
        tr("col.score"): _floats(step.scores),
        tr("col.exp"): _floats(parts),
        tr("col.weight"): _floats(step.weights),
    }
    if step.soft_weights is not None:
        columns[tr("col.soft_weight")] = _floats(step.soft_weights)
    if step.gaussian is not None:
        columns[tr("col.gaussian")] = _floats(step.gaussian)
    columns[tr("col.attended")] = ["✓" if m else "✗" for m in np.asarray(step.mask, dtype=bool)]
    return list(columns), [list(row) for row in zip(*columns.values())]


def _floats(values: Any) -> list[float]:
    return [float(v) for v in np.asarray(values, dtype=np.float64)]


def variant_notes(trace: DecodeTrace, step: StepRecord) -> list[Block]:
    """Local window and p_t, hard sampled position: the variant's own numbers for this step."""
    notes: list[Block] = []
    if step.window is not None:
        lo, hi = step.window
        center = float(step.center or 0.0)
        text = tr(f"note.{trace.align_name}", center=center, lo=lo, hi=hi, D=trace.window)
        notes.append({"type": "note", "text": text, "tone": "info"})
    if step.sampled_index is not None:
        index = int(step.sampled_index)
        notes.append({"type": "note", "text": tr("note.hard", index=index), "tone": "info"})
        notes.append({"type": "text", "text": f"i* = {index}: {trace.src_tokens[index]}"})
    return notes


def context_section(ctx: Context, t: int) -> Section:
    if ctx.trace.align_name == "none":
        return {
            "id": "context",
            "title": tr("stage.context"),
            "left": [
                _latex(NONE_CONTEXT_LATEX),
                {"type": "note", "text": tr("note.none"), "tone": "warning"},
            ],
        }
    return {
        "id": "context",
        "title": tr("stage.context"),
        "left": [_latex(CONTEXT_LATEX), _md(tr("context.explain"))],
        "right": [ctx.figure("context", t)],
    }


def output_section(ctx: Context, t: int) -> Section:
    return {
        "id": "output",
        "title": tr("stage.output"),
        "left": output_blocks(ctx, t, [ATTN_HIDDEN_LATEX, OUTPUT_LATEX], "output.explain"),
        "right": [ctx.figure("output", t)],
    }


def heatmap_section(ctx: Context, t: int) -> Section:
    return {
        "id": "heatmap",
        "title": tr("stage.heatmap"),
        "left": [{"type": "caption", "text": tr("heatmap.explain")}, ctx.figure("heatmap", t)],
    }


SECTIONS: dict[str, Callable[[Context, int], Section]] = {
    "scores": scores_section,
    "softmax": softmax_section,
    "context": context_section,
    "output": output_section,
    "heatmap": heatmap_section,
    "ask_attention": ask_section("ask_attention"),
    "ask_word": ask_section("ask_word"),
}
