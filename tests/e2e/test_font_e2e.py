"""Chromium loads the bundled Hangul font (a WOFF2 subset) and draws Korean text with it: its
sanitizer accepts the files and the theme's font face is in use on a Korean page."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.e2e.conftest import Session

pytestmark = pytest.mark.e2e

FACES_JS = """async () => {
  await document.fonts.ready;
  return [...document.fonts]
    .filter((f) => f.family.replace(/['"]/g, '') === 's2sviz-hangul')
    .map((f) => [String(f.weight), f.status]);
}"""


def test_the_korean_font_loads_in_chromium(new_session: Callable[[str], Session]) -> None:
    session = new_session("ko-KR")
    page = session.open("")
    faces = page.evaluate(FACES_JS)
    assert faces, "the theme's Hangul font face is not on the page"
    assert ["400", "loaded"] in faces, faces  # the body text's weight was fetched and accepted
    assert not [f for f in faces if f[1] == "error"], faces
    # the title's Hangul is measured with the bundled face, not a fallback
    drawn = page.evaluate("() => document.fonts.check('16px s2sviz-hangul', '어텐션 단계별 보기')")
    assert drawn
