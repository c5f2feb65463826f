"""The one-way layering of DESIGN.md, enforced by reading each module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "seq2seq_viz"
NO_UI = {
    "attention",
    "model",
    "decode",
    "data",
    "toy",
    "checkpoints",
    "train",
    "evaluate",
    "probe",
    "teaching",
    "config",
    "text",
    "corpus",
    "trace",
    "steer",
    "vectors",
    "record_vectors",
    "cells",
    "live",
}


def imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_modules_import_neither_streamlit_nor_plotly():
    for name in NO_UI:
        found = imports(PKG / f"{name}.py")
        assert not found & {"streamlit", "plotly"}, (name, found)


def test_trace_imports_neither_torch_nor_streamlit():
    for name in ("trace", "vectors"):
        assert not imports(PKG / f"{name}.py") & {"torch", "streamlit", "plotly"}, name


def test_figures_import_only_plotly_and_numpy():
    modules = sorted((PKG / "figures").glob("*.py"))
    assert len(modules) > 1, modules  # the package and its modules, not an empty folder
    for path in modules:
        found = imports(path)
        assert not found & {"torch", "streamlit"}, (path.name, found)


def test_only_views_import_streamlit():
    for path in PKG.rglob("*.py"):
        if "views" not in path.parts:
            assert "streamlit" not in imports(path), path
