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


def test_readme_is_short_with_both_commands_near_the_top():
    lines = README.splitlines()
    assert len(lines) <= 150, len(lines)
    for marker in ("<!-- app-command -->", "<!-- test-command -->"):
        at = lines.index(marker)
        assert at < 40, (marker, at)  # before the screenshots and the pages
        assert lines[at + 1] == "```bash", marker  # .ci/run reads the block right after it
    assert "streamlit run app.py" in lines[lines.index("<!-- app-command -->") + 2]


DOCS = ("deployment", "training", "benchmarks", "testing", "design")


@pytest.mark.parametrize("page", ["README.md", *(f"docs/{d}.md" for d in DOCS)])
def test_every_relative_link_reaches_a_file(page):
    text = (ROOT / page).read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)#\s]+)\)", text)
    local = [link for link in links if "://" not in link]
    if page == "README.md":
        assert {f"docs/{d}.md" for d in DOCS} <= set(local), local
    for link in local:
        assert ((ROOT / page).parent / link).exists(), (page, link)


def test_the_benchmarks_page_keeps_a_place_for_other_features():
    text = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    assert "<!-- Other features' benchmark tables go below this line" in text


def test_the_stated_model_sizes_are_true():
    """docs/training.md and docs/deployment.md: the largest model file and the folder's total,
    in MB as written there (one decimal for a model, whole MB for the folder)."""
    pretrained = ROOT / "pretrained"
    largest = max(p.stat().st_size for p in pretrained.glob("*/model.safetensors"))
    files = [p for p in pretrained.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    total = sum(p.stat().st_size for p in files)
    for page in ("training", "deployment"):
        text = " ".join((ROOT / "docs" / f"{page}.md").read_text(encoding="utf-8").split())
        assert f"largest model file is {largest / 1e6:.1f} MB" in text, page
        assert f"holds {total / 1e6:.0f} MB in all" in text, page
