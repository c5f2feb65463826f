"""Draw the BLEU-by-source-length chart of the evaluated models as one HTML file:
``python pretrained/bleu_chart.py [FOLDER]`` reads FOLDER/results.json (default: pretrained/,
written by ``python -m seq2seq_viz.evaluate``) and writes FOLDER/bleu_by_length.html.

A script beside the files it makes, not part of `evaluate`: the evaluation is core code and
draws nothing (docs/design.md); the chart is the same figure the app draws from results.json.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

from seq2seq_viz.checkpoints import atomic_write_bytes  # noqa: E402
from seq2seq_viz.evaluate import chart_rows  # noqa: E402
from seq2seq_viz.figures import bleu_by_length_figure  # noqa: E402


def write_chart(folder: Path) -> Path | None:
    """FOLDER/bleu_by_length.html from FOLDER/results.json; None when no model has rows."""
    rows = chart_rows(json.loads((folder / "results.json").read_text()))
    if not rows:
        return None
    html = bleu_by_length_figure(rows).to_html(include_plotlyjs="cdn", full_html=True)
    out = folder / "bleu_by_length.html"
    atomic_write_bytes(out, html.encode("utf-8"))
    return out


if __name__ == "__main__":
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent)
    written = write_chart(folder)
    print(written or f"{folder}/results.json has no BLEU-by-length rows", file=sys.stderr)
