"""The layer rules of docs/design.md, enforced by reading every module's imports (ast).

Relative imports are resolved to absolute module names (``from .figures import x`` inside
``seq2seq_viz/evaluate.py`` is ``seq2seq_viz.figures``), imports inside functions count, and
imports under ``if TYPE_CHECKING:`` do not (they never run). The last tests plant forbidden
imports in a copy of the package and check that each rule catches them.
"""

from __future__ import annotations

import ast
import functools
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PKG = "seq2seq_viz"
DESIGN = ROOT / "docs" / "design.md"

UI = ("streamlit", "plotly")
VIEWS, FIGURES, I18N = f"{PKG}.views", f"{PKG}.figures", f"{PKG}.i18n"
TORCH_DOOR = f"{VIEWS}.state"  # the one view module that reaches torch (models and traces)
# the live-training page runs the trainer in a worker thread: it reaches torch through
# seq2seq_viz.live and nothing else (docs/design.md says why it is not state.py's)
TRAINER_DOOR = (f"{VIEWS}.live_page", f"{PKG}.live")


class Package:
    """The modules of a package folder and what each imports (absolute dotted names)."""

    def __init__(self, root: Path) -> None:
        self.root = root  # the folder holding the package
        self.paths = {self.name_of(p): p for p in sorted((root / PKG).rglob("*.py"))}

    def name_of(self, path: Path) -> str:
        parts = list(path.relative_to(self.root).with_suffix("").parts)
        return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)

    @functools.cache  # noqa: B019 (a few packages per test session)
    def imports(self, module: str, top_level_only: bool = False) -> frozenset[str]:
        """Every module `module` imports: `import a.b` gives a.b; `from a import b` gives a and
        a.b (b may be a submodule); relative imports resolved against the module's package."""
        path = self.paths[module]
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        found: set[str] = set()
        for node in _statements(ast.parse(path.read_text()).body, top_level_only):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = package[: len(package) - node.level + 1] if node.level else []
                source = ".".join(base + ([node.module] if node.module else []))
                found |= {source} | {f"{source}.{alias.name}" for alias in node.names}
        return frozenset(found)

    @functools.cache  # noqa: B019
    def loads_torch(self, module: str) -> bool:
        """Importing `module` imports torch (its top-level imports, followed in the package)."""
        names = self.imports(module, top_level_only=True)
        return any(_is(n, "torch") for n in names) or any(
            self.loads_torch(n) for n in names if n in self.paths and n != module
        )

    def layer(self, module: str) -> str:
        for prefix, layer in ((VIEWS, "views"), (FIGURES, "figures"), (I18N, "i18n")):
            if _is(module, prefix):
                return layer
        return "core"

    def modules(self, layer: str) -> list[str]:
        return [m for m in self.paths if self.layer(m) == layer]


def _statements(body: list[ast.stmt], top_level_only: bool):
    """The import statements of a body, skipping `if TYPE_CHECKING:` blocks; with
    top_level_only, not those inside functions (what runs when the module is imported)."""
    for node in body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from _statements(node.orelse, top_level_only)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
            continue
        if top_level_only and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for field in ("body", "orelse", "finalbody", "handlers"):
            inner = getattr(node, field, None)
            if isinstance(inner, list):
                yield from _statements([n for n in inner if isinstance(n, ast.AST)], top_level_only)


def _is(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


# ----------------------------------------------------------------------------- the rules


def core_violations(pkg: Package) -> list[tuple[str, str]]:
    """Core (every module outside figures/, views/ and i18n/) imports neither views, figures,
    streamlit nor plotly."""
    banned = (VIEWS, FIGURES, *UI)
    return [
        (m, n)
        for m in pkg.modules("core")
        for n in pkg.imports(m)
        if any(_is(n, b) for b in banned)
    ]


def figures_violations(pkg: Package) -> list[tuple[str, str]]:
    """Figures import no streamlit, no views, no torch, and no module whose import loads torch
    (they draw plain data: traces, numpy arrays, dicts)."""
    found = []
    for m in pkg.modules("figures"):
        for n in pkg.imports(m):
            banned = _is(n, "streamlit") or _is(n, VIEWS) or _is(n, "torch")
            if banned or (n in pkg.paths and pkg.layer(n) == "core" and pkg.loads_torch(n)):
                found.append((m, n))
    return found


def views_torch_violations(pkg: Package) -> list[tuple[str, str]]:
    """Views reach torch only through views/state.py: no other view module imports torch or a
    module whose import loads it (the live page's trainer, TRAINER_DOOR, excepted)."""
    found = []
    for m in pkg.modules("views"):
        for n in pkg.imports(m):
            torch_side = _is(n, "torch") or (
                n in pkg.paths and pkg.layer(n) != "views" and pkg.loads_torch(n)
            )
            if torch_side and m != TORCH_DOOR and (m, n) != TRAINER_DOOR:
                found.append((m, n))
    return found


def streamlit_violations(pkg: Package) -> list[tuple[str, str]]:
    """Only views import streamlit."""
    return [
        (m, n)
        for m in pkg.paths
        if pkg.layer(m) != "views"
        for n in pkg.imports(m)
        if _is(n, "streamlit")
    ]


RULES = [core_violations, figures_violations, views_torch_violations, streamlit_violations]


@pytest.fixture(scope="module")
def package() -> Package:
    return Package(ROOT)


def test_the_rules_are_the_design_documents(package):
    text = DESIGN.read_text()
    assert "tests/test_layers.py" in text
    for words in ("core", "figures", "views/state.py", "streamlit", "plotly", "torch"):
        assert words in text, words
    layers = {package.layer(m) for m in package.paths}
    assert layers == {"core", "figures", "views", "i18n"}, layers
    assert len(package.modules("core")) > 15 and len(package.modules("figures")) > 5


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.__name__)
def test_the_package_keeps_its_layers(package, rule):
    assert rule(package) == []


def test_relative_imports_are_resolved(package):
    assert f"{PKG}.decode" in package.imports(f"{PKG}.cells")  # `from .decode import ...`
    assert f"{PKG}.corpus" in package.imports(f"{PKG}.evaluate")  # `from . import corpus`
    assert f"{PKG}.cells" not in package.imports(f"{FIGURES}.cells")  # only for type checking
    assert package.loads_torch(f"{PKG}.decode") and not package.loads_torch(f"{PKG}.trace")


def test_the_plain_data_modules_load_no_torch(package):
    """A trace and its vectors pickle and load where torch is not installed."""
    for name in ("trace", "vectors"):
        assert not package.loads_torch(f"{PKG}.{name}"), name
        assert not any(_is(n, "torch") for n in package.imports(f"{PKG}.{name}")), name


def test_the_views_reach_torch_through_state(package):
    """The door exists: state.py is the view module that imports the torch side."""
    reached = [n for n in package.imports(TORCH_DOOR) if n in package.paths]
    assert any(package.loads_torch(n) for n in reached), reached


PLANTS = [
    # (module file, line planted at its end, the rule that must catch it)
    ("attention.py", "from .figures import heatmap_figure\n", core_violations),
    ("decode.py", "from .views import state\n", core_violations),
    ("trace.py", "import plotly.graph_objects as go\n", core_violations),
    ("model.py", "def _later():\n    from . import figures\n", core_violations),
    ("figures/matrix.py", "import torch\n", figures_violations),
    ("figures/step.py", "from ..decode import Translator\n", figures_violations),
    ("figures/beam.py", "import streamlit as st\n", figures_violations),
    ("views/step_page.py", "from seq2seq_viz.model import build_model\n", views_torch_violations),
    ("views/common.py", "def _later():\n    import torch\n", views_torch_violations),
    ("text.py", "import streamlit\n", streamlit_violations),
]


@pytest.mark.parametrize("where, line, rule", PLANTS, ids=[p[0] for p in PLANTS])
def test_a_planted_forbidden_import_is_caught(tmp_path, package, where, line, rule):
    shutil.copytree(
        ROOT / PKG, tmp_path / PKG, ignore=shutil.ignore_patterns("__pycache__", "*.gz")
    )
    target = tmp_path / PKG / where
    target.write_text(target.read_text() + "\n" + line)
    planted = Package(tmp_path)
    caught = rule(planted)
    assert caught and {m for m, _ in caught} == {planted.name_of(target)}, caught
    assert rule(package) == []  # the same rule passes the package as it is
