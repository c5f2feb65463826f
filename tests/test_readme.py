"""The README's promises: its Python API example runs as written; CI runs its test command."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_python_api_example_runs(tmp_path, monkeypatch):
    from seq2seq_viz.checkpoints import DEFAULT_MODEL, list_models

    if DEFAULT_MODEL not in list_models():
        pytest.fail(f"the README example needs the shipped {DEFAULT_MODEL} model")
    block = re.search(r"```python\n(import seq2seq_viz as sv\n.*?)```", README, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    scope: dict = {}
    exec(compile(block, "README.md", "exec"), scope)  # noqa: S102 - our own documentation
    assert scope["trace"].weights_matrix().shape[0] == len(scope["trace"].steps)
    assert (tmp_path / "trace.json").stat().st_size > 0


def test_ci_runs_the_readme_test_command():
    script = (ROOT / ".ci" / "run").read_text()
    extract = re.search(r"cmd=\$\((awk .*?README\.md)\)", script, re.S).group(1)
    cmd = subprocess.run(["bash", "-c", extract], cwd=ROOT, capture_output=True, text=True)
    assert "pip install -r requirements.txt" in cmd.stdout and "pytest" in cmd.stdout
    assert cmd.stdout.strip() in README
