"""The page middleware that preloads the step player's chunks (views/preload.py), on a fake app."""

from __future__ import annotations

import asyncio
import gzip

from seq2seq_viz.views.preload import (
    CHUNKS,
    ChunkPreload,
    add_links,
    preload_links,
    streamlit_chunk,
)

PAGE = b"<!DOCTYPE html><html><head><title>t</title></head><body>app</body></html>"


class FakeStreamlit:
    """Serves the page (gzipped when asked, as Streamlit does), a script and a health check."""

    def __init__(self) -> None:
        self.encodings: list[bytes] = []

    async def __call__(self, scope, receive, send) -> None:
        headers = dict(scope["headers"])
        self.encodings.append(headers.get(b"accept-encoding", b""))
        path = scope["path"]
        kind, body = (b"text/html; charset=utf-8", PAGE)
        if path.startswith("/static/"):
            kind, body = b"application/javascript", b"let x = 1;"
        elif path == "/_stcore/health":
            kind, body = b"text/plain", b"ok"
        extra = []
        if b"gzip" in headers.get(b"accept-encoding", b""):
            body, extra = gzip.compress(body), [(b"content-encoding", b"gzip")]
        start = [(b"content-type", kind), (b"content-length", str(len(body)).encode()), *extra]
        await send({"type": "http.response.start", "status": 200, "headers": start})
        await send({"type": "http.response.body", "body": body, "more_body": True})
        await send({"type": "http.response.body", "body": b""})


def get(app, path: str, encoding: bytes = b"gzip") -> tuple[dict, bytes]:
    headers = [(b"accept-encoding", encoding)]
    scope = {"type": "http", "method": "GET", "path": path, "headers": headers}
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    headers = dict(sent[0]["headers"])
    body = b"".join(m.get("body", b"") for m in sent[1:])
    if headers.get(b"content-encoding") == b"gzip":
        body = gzip.decompress(body)
    assert int(headers[b"content-length"]) == len(b"".join(m.get("body", b"") for m in sent[1:]))
    return headers, body


def test_the_links_name_streamlits_own_chunks() -> None:
    names = [streamlit_chunk(pattern) for pattern in CHUNKS]
    assert all(names), "Streamlit's plotly.js or KaTeX chunk was not found"
    links = preload_links(tuple(names))
    assert links.count(b'rel="modulepreload"') == 2 and all(n.encode() in links for n in names)
    assert add_links(PAGE, links) == PAGE.replace(b"</head>", links + b"</head>")
    assert add_links(b"<p>no head</p>", links) == b"<p>no head</p>"


def test_pages_get_the_links_and_nothing_else_changes() -> None:
    calls: list[int] = []
    fake = FakeStreamlit()
    app = ChunkPreload(fake, base_url="", on_page=lambda: calls.append(1))
    for encoding in (b"gzip", b"identity"):
        headers, body = get(app, "/beam", encoding)
        assert body == add_links(PAGE, app.links) != PAGE
        assert (headers.get(b"content-encoding") == b"gzip") == (encoding == b"gzip")
    assert fake.encodings == [b"", b""], "the page is asked for uncompressed"
    assert calls == [1, 1]
    for path in ("/static/js/a.js", "/_stcore/health"):
        headers, body = get(app, path)
        assert headers[b"content-encoding"] == b"gzip" and b"modulepreload" not in body
    assert calls == [1, 1] and fake.encodings[2:] == [b"gzip", b"gzip"]
