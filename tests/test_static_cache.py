"""The static-file cache in front of Streamlit (views/static_cache.py), against a fake app."""

from __future__ import annotations

import asyncio
import gzip

import pytest

from seq2seq_viz.views.static_cache import COMPILE_HINT, StaticCache, accepts_gzip, compile_hinted

JS = b"function f(){return 'attention';}\n" * 400
FONT = bytes(range(256)) * 20


class FakeStatic:
    """A downstream ASGI app that counts its calls and serves a few files in pieces."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def __call__(self, scope, receive, send) -> None:
        self.calls.append(scope["path"])
        await asyncio.sleep(0.01)  # let concurrent requests overlap
        files = {
            "/static/js/a.js": (b"application/javascript", JS),
            "/static/js/PlotlyChart.x1.js": (b"text/javascript; charset=utf-8", JS),
            "/app/static/fonts/f.woff2": (b"font/woff2", FONT),
            "/other": (b"text/plain", b"dynamic " * 300),
        }
        if scope["path"] == "/static/js/made-up.js":  # Streamlit's answer to an unknown path
            headers = [
                (b"content-type", b"text/html; charset=utf-8"),
                (b"cache-control", b"no-cache"),
            ]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": b"<html>index</html>" * 100})
            return
        if scope["path"] not in files:
            await send({"type": "http.response.start", "status": 404, "headers": []})
            await send({"type": "http.response.body", "body": b"missing"})
            return
        kind, body = files[scope["path"]]
        headers = [
            (b"content-type", kind),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"public, immutable, max-age=31536000"),
            (b"etag", b'"abc"'),
            (b"accept-ranges", b"bytes"),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        for i in range(0, len(body), 4096):  # in pieces, as Starlette's FileResponse sends
            await send(
                {"type": "http.response.body", "body": body[i : i + 4096], "more_body": True}
            )
        await send({"type": "http.response.body", "body": b""})


def request(app, path, method="GET", encoding="gzip, deflate, br", extra=()):
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "headers": [(b"accept-encoding", encoding.encode())] + list(extra),
    }
    sent = []

    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(message):
        sent.append(message)

    return scope, receive, send, sent


def reply(sent):
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], dict(start["headers"]), body


def call(app, *args, **kwargs):
    scope, receive, send, sent = request(app, *args, **kwargs)
    asyncio.run(app(scope, receive, send))
    return reply(sent)


def test_a_bundle_file_is_read_once_and_sent_gzipped_from_memory():
    fake = FakeStatic()
    cache = StaticCache(fake, base_url="")
    for _ in range(3):
        status, headers, body = call(cache, "/static/js/a.js")
        assert status == 200 and gzip.decompress(body) == JS
        assert headers[b"content-encoding"] == b"gzip"
        assert headers[b"content-length"] == str(len(body)).encode()
        assert headers[b"cache-control"].startswith(b"public, immutable")
        assert headers[b"vary"] == b"accept-encoding"
        assert b"etag" not in headers  # the stored etag named the uncompressed bytes
        assert b"accept-ranges" not in headers  # so did byte ranges
    assert fake.calls == ["/static/js/a.js"] and cache.hits == 2
    assert len(body) < len(JS) / 10


def test_a_client_without_gzip_gets_the_plain_bytes():
    cache = StaticCache(FakeStatic(), base_url="")
    call(cache, "/static/js/a.js")
    for encoding in ("", "identity", "gzip;q=0, br"):
        status, headers, body = call(cache, "/static/js/a.js", encoding=encoding)
        assert status == 200 and body == JS and b"content-encoding" not in headers


def test_fonts_are_cached_but_not_recompressed():
    fake = FakeStatic()
    cache = StaticCache(fake, base_url="")
    for _ in range(2):
        status, headers, body = call(cache, "/app/static/fonts/f.woff2")
        assert status == 200 and body == FONT and b"content-encoding" not in headers
        assert b"vary" not in headers
    assert fake.calls == ["/app/static/fonts/f.woff2"]


def test_other_paths_errors_ranges_and_posts_go_through_untouched():
    fake = FakeStatic()
    cache = StaticCache(fake, base_url="")
    for _ in range(2):
        assert call(cache, "/other")[2] == b"dynamic " * 300
        assert call(cache, "/static/js/missing.js")[:1] == (404,)
    status, headers, body = call(cache, "/static/js/a.js", extra=[(b"range", b"bytes=0-9")])
    assert body == JS  # the fake ignores ranges: what matters is that it was asked
    assert fake.calls.count("/other") == 2 and fake.calls.count("/static/js/missing.js") == 2
    assert fake.calls.count("/static/js/a.js") == 1 and not cache.entries.get("/other")


def test_head_answers_with_headers_only():
    cache = StaticCache(FakeStatic(), base_url="")
    status, headers, body = call(cache, "/static/js/a.js", method="HEAD")
    assert status == 200 and body == b"" and int(headers[b"content-length"]) > 0
    status, _, body = call(cache, "/static/js/a.js")
    assert gzip.decompress(body) == JS


def test_a_base_url_moves_the_prefixes():
    fake = FakeStatic()
    cache = StaticCache(fake, base_url="/course/")
    assert cache.prefixes == ("/course/static/", "/course/app/static/")
    call(cache, "/static/js/a.js")
    call(cache, "/static/js/a.js")
    assert fake.calls == ["/static/js/a.js"] * 2  # not under the base url: not cached


def test_a_class_arriving_at_once_reads_each_file_once():
    fake = FakeStatic()
    cache = StaticCache(fake, base_url="")

    async def many():
        calls = [request(cache, "/static/js/a.js") for _ in range(20)]
        await asyncio.gather(*(cache(s, r, snd) for s, r, snd, _ in calls))
        return [reply(sent) for *_, sent in calls]

    replies = asyncio.run(many())
    assert fake.calls == ["/static/js/a.js"]
    assert all(s == 200 and gzip.decompress(b) == JS for s, _, b in replies)


@pytest.mark.parametrize(
    ("header", "ok"),
    [("gzip", True), ("br, gzip;q=0.5", True), ("*", True), ("gzip;q=0", False), ("br", False)],
)
def test_accept_encoding(header, ok):
    assert accepts_gzip({"headers": [(b"accept-encoding", header.encode())]}) is ok


def test_a_made_up_path_answered_with_the_index_page_is_never_stored():
    fake = FakeStatic()
    cache = StaticCache(fake, base_url="")
    for _ in range(2):
        status, headers, body = call(cache, "/static/js/made-up.js")
        assert status == 200 and body == b"<html>index</html>" * 100
        assert headers[b"cache-control"] == b"no-cache" and b"content-encoding" not in headers
    assert fake.calls == ["/static/js/made-up.js"] * 2 and not cache.entries


def test_the_store_stops_growing_at_its_bound(monkeypatch):
    from seq2seq_viz.views import static_cache

    fake = FakeStatic()
    cache = StaticCache(fake, base_url="")
    monkeypatch.setattr(static_cache, "MAX_TOTAL_BYTES", len(FONT) + 10)
    assert call(cache, "/app/static/fonts/f.woff2")[2] == FONT  # fits
    for _ in range(2):  # does not fit any more: served right, read again each time
        status, _, body = call(cache, "/static/js/a.js")
        assert status == 200 and gzip.decompress(body) == JS
    assert list(cache.entries) == ["/app/static/fonts/f.woff2"]
    assert cache.stored_bytes == len(FONT)
    assert fake.calls.count("/static/js/a.js") == 2


def test_plotlys_chunk_carries_v8s_compile_hint_and_nothing_else_does():
    """plotly.js (Streamlit's PlotlyChart chunk) is sent with V8's explicit compile hint on its
    first line, so the browser compiles it off the main thread; other files come as they are."""
    assert compile_hinted("/course/static/js/PlotlyChart.x1.js", JS) == COMPILE_HINT + JS
    for path in ("/static/js/a.js", "/static/css/PlotlyChart.x1.css", "/app/static/PlotlyChart.js"):
        assert compile_hinted(path, JS) == JS
    cache = StaticCache(FakeStatic(), base_url="")
    for encoding in ("gzip", ""):
        status, headers, body = call(cache, "/static/js/PlotlyChart.x1.js", encoding=encoding)
        assert headers[b"content-length"] == str(len(body)).encode()
        assert status == 200 and (gzip.decompress(body) if encoding else body) == COMPILE_HINT + JS
    assert call(cache, "/static/js/a.js", encoding="")[2] == JS
