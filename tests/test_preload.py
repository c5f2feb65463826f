"""The plotly.js modulepreload link in every page's HTML (views/preload.py), against a fake app
and against Streamlit's own index.html."""

from __future__ import annotations

import asyncio
import gzip
from pathlib import Path

import streamlit

from seq2seq_viz.views import preload
from seq2seq_viz.views.preload import PlotlyPreload, plotly_chunk, with_preload

STATIC = Path(streamlit.__file__).parent / "static"
INDEX = (STATIC / "index.html").read_bytes()
CHUNK = "PlotlyChart.x1.js"
LINK = f'<link rel="modulepreload" crossorigin href="./static/js/{CHUNK}">'.encode()


class FakePages:
    """Answers a page with Streamlit's index.html (gzipped when the request accepts it, as
    Streamlit's own middleware may), anything else with plain text; records what it was asked."""

    def __init__(self) -> None:
        self.scopes: list[dict] = []

    async def __call__(self, scope, receive, send) -> None:
        self.scopes.append(scope)
        if "/static/" in scope["path"] or scope["path"] == "/text":
            body, kind, extra = b"console.log(1)", b"application/javascript", []
        else:
            body, kind, extra = INDEX, b"text/html", []
            accepts = dict(scope["headers"]).get(b"accept-encoding", b"")
            if b"gzip" in accepts:
                body, extra = gzip.compress(body), [(b"content-encoding", b"gzip")]
        headers = [(b"content-type", kind), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers + extra})
        half = len(body) // 2  # in two pieces, as a streamed reply comes
        await send({"type": "http.response.body", "body": body[:half], "more_body": True})
        await send({"type": "http.response.body", "body": body[half:]})


def call(app, path, query=b""):
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "query_string": query,
        "headers": [(b"accept-encoding", b"gzip, deflate, br"), (b"host", b"x")],
    }
    sent = []

    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return dict(start["headers"]), body


def test_streamlits_index_gets_the_link_in_its_head_beside_its_own_entry_script():
    changed = with_preload(INDEX, CHUNK)
    assert changed is not None and changed.count(LINK) == 1
    head, _, rest = changed.partition(b"</head>")
    assert LINK in head and LINK not in rest
    assert changed.replace(LINK, b"") == INDEX  # nothing else changed
    assert b'src="./static/js/index.' in head  # the same folder as the frontend's entry script


def test_html_without_an_entry_script_or_a_head_is_left_alone():
    assert with_preload(b"<html><head></head><body>hi</body></html>", CHUNK) is None
    assert with_preload(INDEX.replace(b"</head>", b""), CHUNK) is None


def test_every_page_gets_the_link_uncompressed_with_its_length():
    fake = FakePages()
    app = PlotlyPreload(fake, base_url="", chunk=CHUNK)
    for path in ("/", "/beam", "/lesson"):
        headers, body = call(app, path)
        assert body.count(LINK) == 1
        assert headers[b"content-length"] == str(len(body)).encode()
        assert b"content-encoding" not in headers
        asked = dict(fake.scopes[-1]["headers"])
        assert b"accept-encoding" not in asked and asked[b"host"] == b"x"


def test_static_files_the_phones_poll_page_and_other_replies_pass_unchanged(monkeypatch):
    fake = FakePages()
    app = PlotlyPreload(fake, base_url="", chunk=CHUNK)
    headers, body = call(app, "/static/js/a.js")
    assert body == b"console.log(1)"
    for path, query in (("/join", b""), ("/", b"room=ab12"), ("/join/", b"room=ab12&lang=ko")):
        headers, body = call(app, path, query)
        assert headers[b"content-encoding"] == b"gzip"  # passed through as Streamlit sent it
        assert gzip.decompress(body) == INDEX
    headers, body = call(app, "/text")  # not HTML
    assert body == b"console.log(1)"
    monkeypatch.setattr(preload, "plotly_chunk", lambda: None)  # a Streamlit without the chunk
    headers, body = call(PlotlyPreload(fake, base_url=""), "/")
    assert gzip.decompress(body) == INDEX


def test_under_a_base_url_its_static_paths_are_left_alone():
    fake = FakePages()
    app = PlotlyPreload(fake, base_url="/course/", chunk=CHUNK)
    headers, body = call(app, "/course/static/js/a.js")
    assert body == b"console.log(1)"
    headers, body = call(app, "/course/beam")
    assert body.count(LINK) == 1


def test_the_installed_streamlit_has_exactly_one_plotly_chunk():
    chunk = plotly_chunk()
    assert chunk is not None and chunk.startswith("PlotlyChart.")
    assert (STATIC / "static" / "js" / chunk).is_file()
