"""Is attention an explanation? Attributions beside attention, fooling the attention, and the
training sentences nearest to a model state. Library first: a notebook gets all of it.

- :mod:`.attribute`: Captum attributions of each output word to each source token.
- :mod:`.fool`: search for a very different attention that keeps the output word.
- :mod:`.baselines`: uniform and permuted attention at every step (and their BLEU).
- :mod:`.index`: nearest training states (an index per model, built once by a command).
- :mod:`.results`: the plain-data results and the rank agreement (Kendall tau-b).
- :mod:`.guard`: input length and time caps, one heavy job at a time per process.
"""

from .guard import MAX_SRC_TOKENS, Busy, Deadline, TimeUp, TooLong, heavy_job
from .results import (
    METHODS,
    Agreement,
    Attributions,
    FoolResult,
    Neighbour,
    NeighbourResult,
    SentenceFool,
    kendall_tau_b,
)

__all__ = [
    "METHODS",
    "MAX_SRC_TOKENS",
    "Agreement",
    "Attributions",
    "Busy",
    "Deadline",
    "FoolResult",
    "Neighbour",
    "NeighbourResult",
    "SentenceFool",
    "TimeUp",
    "TooLong",
    "heavy_job",
    "kendall_tau_b",
]
