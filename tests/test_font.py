"""The bundled Korean font: Streamlit serves static/fonts and the theme names it; the
files are small WOFF2 subsets of NanumBarunGothic (bench/subset_font.py), renamed as the OFL's
Reserved Font Name rule asks, that draw every Hangul syllable the app's Korean text uses, with
their licence beside them; nothing in them trips Chromium's font sanitizer (it rejected
NanumGothic.ttf for an empty table). tests/e2e/test_language.py sees the browser load them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

REPO = Path(__file__).resolve().parent.parent
CONFIG = REPO / ".streamlit" / "config.toml"
MAX_BYTES = 600_000  # each; the full TrueType fonts were 4.2 and 4.4 MB


def _faces() -> list[dict]:
    config = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    assert config["server"]["enableStaticServing"] is True
    return config["theme"]["fontFaces"]


def _path(face: dict) -> Path:
    assert face["url"].startswith("app/static/")
    return REPO / "static" / face["url"].removeprefix("app/static/")


def test_the_theme_names_the_served_korean_font() -> None:
    config = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    faces = _faces()
    families = {face["family"] for face in faces}
    assert config["theme"]["font"].split(",")[0].strip() in families
    assert {int(face["weight"]) for face in faces} == {400, 700}
    for face in faces:
        assert "AC00" in face["unicodeRange"], "Hangul syllables are drawn by it"
        path = _path(face)
        assert path.read_bytes()[:4] == b"wOF2", f"{path.name} is not WOFF2"
        assert path.stat().st_size < MAX_BYTES


@pytest.mark.parametrize("weight", [400, 700])
def test_the_subset_draws_the_apps_korean_and_is_renamed(weight: int) -> None:
    face = next(f for f in _faces() if int(f["weight"]) == weight)
    font = TTFont(_path(face))
    tables = {tag: font.reader[tag] for tag in font.reader.keys()}
    assert {"cmap", "glyf", "head", "name"} <= set(tables)
    assert not [tag for tag, data in tables.items() if not data], "OTS rejects empty tables"
    cmap = font.getBestCmap()
    korean = json.loads((REPO / "seq2seq_viz" / "i18n" / "ko.json").read_text(encoding="utf-8"))
    used = {c for v in korean.values() if isinstance(v, str) for c in v if "가" <= c <= "힣"}
    assert len(used) > 300
    assert not sorted(c for c in used if ord(c) not in cmap)
    assert sum(0xAC00 <= code <= 0xD7A3 for code in cmap) >= 2350  # KS X 1001's syllables
    names = {str(record) for record in font["name"].names if record.nameID in (1, 4, 6, 16)}
    assert names and not [n for n in names if "nanum" in n.lower() or "나눔" in n]


def test_the_licence_is_beside_the_font() -> None:
    licence = (REPO / "static" / "fonts" / "OFL-NanumBarunGothic.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE" in licence and "NAVER Corporation" in licence
    assert "Modified Version" in licence and "S2SViz Hangul" in licence
