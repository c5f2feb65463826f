"""The lesson's diagram: sized from the trace, the stage's parts lit, every stage drawable."""

from __future__ import annotations

import pytest

from seq2seq_viz.figures.common import ORANGE
from seq2seq_viz.figures.lesson import HIGHLIGHT, LESSON_STAGES, lesson_diagram_figure


def _lit(fig) -> int:
    return sum(1 for shape in fig.layout.shapes if shape.line.color == ORANGE)


@pytest.mark.parametrize("stage", LESSON_STAGES)
def test_every_stage_lights_its_parts(stage):
    fig = lesson_diagram_figure(stage, S=7, H=256, V=8000)
    drawn = {"source", "encoder", "decoder", "output", "concat", "score", "weights", "context"}
    if stage == "bottleneck":
        drawn = drawn - {"score", "weights", "context"} | {"summary"}
    assert len(fig.layout.shapes) == len(drawn)
    assert _lit(fig) == len(HIGHLIGHT[stage] & drawn) > 0
    texts = " ".join(a.text for a in fig.layout.annotations if a.text)
    assert "S = 7" in fig.layout.title.text and "V = 8000" in fig.layout.title.text
    assert "H = 256" in texts


def test_the_bottleneck_has_one_vector_and_no_attention():
    fig = lesson_diagram_figure("bottleneck", S=5, H=6, V=10)
    texts = " ".join(a.text for a in fig.layout.annotations if a.text)
    assert "one vector" in texts and "scores<br>e" not in texts
    plain = lesson_diagram_figure("output", S=5, H=6, V=10, attention=False)
    assert "scores<br>e" not in " ".join(a.text for a in plain.layout.annotations if a.text)
    attn = lesson_diagram_figure("score", S=5, H=6, V=10)
    assert "scores<br>e" in " ".join(a.text for a in attn.layout.annotations if a.text)
    assert "[c<sub>t</sub> ; s<sub>t</sub>]<br>12<br>" in " ".join(
        a.text for a in attn.layout.annotations if a.text
    )


def test_bad_stage_or_sizes_raise():
    with pytest.raises(ValueError, match="stage"):
        lesson_diagram_figure("nope", S=1, H=1, V=1)
    with pytest.raises(ValueError, match="positive"):
        lesson_diagram_figure("score", S=0, H=1, V=1)
