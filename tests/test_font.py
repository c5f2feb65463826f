"""The bundled Korean font (issue 11): Streamlit serves static/fonts and the theme names it, the
files are the unmodified OFL fonts with their licence beside them, and nothing in them trips
Chromium's font sanitizer (it rejected NanumGothic.ttf for an empty TSI3 table)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

REPO = Path(__file__).resolve().parent.parent
CONFIG = REPO / ".streamlit" / "config.toml"


def _tables(path: Path) -> dict[str, int]:
    """The sfnt table directory of a TrueType file: tag -> length."""
    data = path.read_bytes()
    assert data[:4] in (b"\x00\x01\x00\x00", b"true"), f"{path.name} is not a TrueType font"
    (count,) = struct.unpack(">H", data[4:6])
    entries = (struct.unpack(">4sIII", data[12 + 16 * i : 28 + 16 * i]) for i in range(count))
    return {tag.decode("latin1"): length for tag, _, _, length in entries}


def test_the_theme_names_the_served_korean_font() -> None:
    config = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    assert config["server"]["enableStaticServing"] is True
    faces = config["theme"]["fontFaces"]
    families = {face["family"] for face in faces}
    assert config["theme"]["font"].split(",")[0].strip() in families
    assert {int(face["weight"]) for face in faces} == {400, 700}
    for face in faces:
        assert face["url"].startswith("app/static/")
        path = REPO / "static" / face["url"].removeprefix("app/static/")
        tables = _tables(path)
        assert {"cmap", "glyf", "head", "name"} <= set(tables)
        assert not [tag for tag, length in tables.items() if length == 0], "OTS rejects these"
        assert "AC00" in face["unicodeRange"], "Hangul syllables are drawn by it"


def test_the_licence_is_beside_the_font() -> None:
    licence = (REPO / "static" / "fonts" / "OFL-NanumBarunGothic.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE" in licence and "NAVER Corporation" in licence
