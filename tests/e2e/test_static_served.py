"""The real app serves Streamlit's bundle through our static cache (views/static_cache.py):
what `streamlit run app.py` sends a browser is Streamlit's own files, gzipped, read once."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import streamlit

STATIC = Path(streamlit.__file__).parent / "static"


def test_the_bundle_comes_gzipped_and_equal_to_streamlits_files(app):
    page = httpx.get(app.url + "/", timeout=30).text
    scripts = re.findall(r'src="\.?/?(static/js/[^"]+\.js)"', page)
    assert scripts, page[:500]
    for path in scripts[:3]:
        replies = [
            httpx.get(f"{app.url}/{path}", headers={"Accept-Encoding": "gzip"}, timeout=30)
            for _ in range(2)
        ]
        for r in replies:
            assert r.status_code == 200
            assert r.headers["content-encoding"] == "gzip"
            assert r.content == (STATIC / path).read_bytes()
            assert int(r.headers["content-length"]) < len(r.content)
        plain = httpx.get(f"{app.url}/{path}", headers={"Accept-Encoding": "identity"}, timeout=30)
        assert "content-encoding" not in plain.headers
        assert plain.content == replies[0].content


def test_plotly_comes_with_v8s_compile_hint_in_front_of_streamlits_file(app):
    from seq2seq_viz.views.static_cache import COMPILE_HINT
    from seq2seq_viz.views.stepper import streamlit_chunk

    path = f"static/js/{streamlit_chunk('PlotlyChart.*.js')}"
    for encoding in ("gzip", "identity"):
        r = httpx.get(f"{app.url}/{path}", headers={"Accept-Encoding": encoding}, timeout=30)
        assert r.status_code == 200
        assert r.content == COMPILE_HINT + (STATIC / path).read_bytes()


def test_our_font_is_served_as_stored(app):
    font = Path(__file__).resolve().parents[2] / "static/fonts/S2SVizHangul-Regular.woff2"
    r = httpx.get(f"{app.url}/app/static/fonts/{font.name}", timeout=30)
    assert r.status_code == 200 and r.content == font.read_bytes()
    assert "content-encoding" not in r.headers  # woff2 is compressed already


def test_a_made_up_static_url_is_passed_through_not_stored(app):
    """Streamlit answers an unknown /static/ path with its index page, marked no-cache: the
    cache must not keep one copy per made-up URL (a memory leak a script could drive)."""
    for i in range(3):
        r = httpx.get(
            f"{app.url}/static/js/made-up-{i}.js", headers={"Accept-Encoding": "gzip"}, timeout=30
        )
        assert r.status_code in (200, 404)
        assert "no-cache" in r.headers.get("cache-control", "") or r.status_code == 404
        assert "content-encoding" not in r.headers  # Streamlit's own reply, not ours


def test_the_page_asks_for_plotly_at_once_and_the_step_player_uses_that_copy(app, session):
    """The modulepreload link (views/preload.py) names the chunk the step player imports: the
    browser fetches plotly.js once, before the first run, and the step player draws with it."""
    from seq2seq_viz.views.preload import plotly_chunk

    chunk = plotly_chunk()
    html = httpx.get(app.url + "/", headers={"Accept-Encoding": "gzip"}, timeout=30).text
    assert f'<link rel="modulepreload" crossorigin href="./static/js/{chunk}">' in html
    fetched: list[str] = []
    session.page.on("request", lambda r: fetched.append(r.url) if chunk in r.url else None)
    session.open()
    assert len(fetched) == 1, fetched
    drawn = session.page.locator(".s2s-stepper .js-plotly-plot .main-svg")
    assert drawn.count() > 0
