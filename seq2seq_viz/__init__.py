"""seq2seq-viz: attention in RNN encoder-decoders, step by step.

The Python API (the app uses the same)::

    import seq2seq_viz as sv
    tr = sv.load_model("soft-general")            # a shipped model, or a folder path
    tr.translate("I am cold.")                    # greedy decoding -> the French text
    trace = tr.trace("I am cold.", sv.DecodeConfig(beam_width=5))
    trace.weights_matrix()                        # (T, S) numpy attention weights
    trace.steps[0].scores, trace.steps[0].context # every recorded quantity, as numpy
    sv.figures.heatmap_figure(trace).show()       # plotly figures
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .config import DecodeConfig, ModelConfig, TrainConfig

if TYPE_CHECKING:
    from .trace import BeamNode, DecodeTrace, Hypothesis, StepRecord

__all__ = [
    "DecodeConfig",
    "ModelConfig",
    "TrainConfig",
    "DecodeTrace",
    "StepRecord",
    "BeamNode",
    "Hypothesis",
    "load_model",
    "list_models",
    "Translator",
    "figures",
    "CheckpointError",
    "EmptyInputError",
]

_LAZY = {
    "DecodeTrace": "trace",
    "StepRecord": "trace",
    "BeamNode": "trace",
    "Hypothesis": "trace",
    "load_model": "checkpoints",
    "list_models": "checkpoints",
    "CheckpointError": "checkpoints",
    "Translator": "decode",
    "EmptyInputError": "text",
}


def __getattr__(name: str) -> Any:
    """Import the heavy parts on first use (torch; numpy for the trace), so `import
    seq2seq_viz` stays light: the server imports it before it answers (views/startup.py)."""
    if name == "figures":
        return import_module(".figures", __name__)
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'seq2seq_viz' has no attribute {name!r}")
