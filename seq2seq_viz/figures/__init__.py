"""Pure plotly figures of a decoding trace: one builder per picture, ``*_figure(...) -> go.Figure``.

Every builder is a function of plain data (a :class:`~seq2seq_viz.trace.DecodeTrace` or lists),
so it works the same in Streamlit, in a notebook and in tests. Nothing here imports torch or
streamlit.

Modules: `common` (colours, escaping, shared axes, title layout and trace checks), `labels`
(the default labels), `fast` (the JSON-only figure writer and a speed-up of plotly's own figures),
`step` (bars of one decoder step: scores, softmax, weights, output), `states` (heatmaps of hidden
vectors: encoder states, context), `matrix` (attention matrices: the T x S heatmap,
self-attention), `beam` (the beam-search tree and its layout), `extras` (hard-attention samples,
BLEU by length, the models' learning curves), `sampling` (a sampled step: p(y) beside the
transformed distribution it was drawn from), `cells`, `lesson`, `live`, `vectors`.

Conventions
-----------
- Symbols as in the trace: S source tokens, T decoder steps, H hidden size, K top-k, n heads.
  Step t is 0-based (``trace.steps[t]``).
- Token axes are numeric (0..S-1) with tick labels, so a repeated word keeps its own column.
- Tokens are user text: :func:`plain` escapes ``<``, ``>`` and ``&`` so plotly shows them as
  typed (``<eos>`` would otherwise vanish as an unknown HTML tag). Long tokens are shortened.
- Every human-readable string comes from ``labels`` (merged over :data:`DEFAULT_LABELS`), so the
  app can pass Korean. Some labels hold ``str.format`` fields such as ``{t}``; a translation may
  drop them but must not invent new ones. Unknown keys are ignored.
- ``template=None`` leaves the template alone, so Streamlit's light or dark theme applies. The
  colours used (Okabe-Ito palette, Viridis, RdBu) read on both and for colour-blind viewers.
- A trace that does not fit the request (t out of range, lengths that disagree) raises
  ``ValueError`` with a message saying what disagrees.
"""

from .beam import beam_tree_figure, tree_layout
from .common import BLUE, ORANGE, plain
from .extras import bleu_by_length_figure, hard_samples_figure, learning_curves_figure
from .labels import DEFAULT_LABELS
from .matrix import heatmap_figure, self_attention_figure
from .sampling import sample_figure
from .states import context_figure, encoder_states_figure
from .step import output_figure, scores_figure, softmax_figure, weights_figure

__all__ = [
    "BLUE",
    "DEFAULT_LABELS",
    "ORANGE",
    "beam_tree_figure",
    "bleu_by_length_figure",
    "context_figure",
    "encoder_states_figure",
    "hard_samples_figure",
    "heatmap_figure",
    "learning_curves_figure",
    "output_figure",
    "plain",
    "sample_figure",
    "scores_figure",
    "self_attention_figure",
    "softmax_figure",
    "tree_layout",
    "weights_figure",
]
