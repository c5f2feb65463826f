"""Streamlit's static files from memory, compressed once: what a class opening the link costs.

A first load of the app fetches about 146 files, 10.2 MB, from Streamlit's frontend bundle
(plotly.js alone is 4.7 MB). Streamlit serves them uncompressed, each read from disk in 64 KB
pieces through a worker thread and sent through its whole middleware stack: on our 2-core
machine that cost the app process about 0.3 CPU-seconds per new browser (py-spy: mostly socket
writes), so 60 students arriving within 20 s saturated it (bench/bench_load.py --scenario class:
first page p95 11.6 s). Those files are content-hashed and never change while the process runs,
so this ASGI middleware keeps each one in memory the first time it is asked for, gzip-compressed
once where that pays (JavaScript, CSS, JSON, SVG, text: 10.2 MB become about 3 MB), and answers
later requests from memory in one piece, before Streamlit's own middleware runs.

It is mounted by ``app.py`` through ``st.App`` (``streamlit run app.py`` finds it there). Only
GET and HEAD of paths under ``/static/`` (the frontend bundle) and ``/app/static/`` (our fonts)
are touched; a request with a Range header, a reply other than 200, a reply marked
``no-cache`` or ``no-store`` (Streamlit answers any unknown path under ``/static/`` with its
index page, so marked: a made-up URL is never stored), or a file over ``MAX_FILE_BYTES`` goes
through unchanged. The store holds at most ``MAX_TOTAL_BYTES``; a client that does not accept
gzip gets the stored uncompressed bytes.

One file is sent changed: plotly.js (Streamlit's ``PlotlyChart`` chunk, which the step player
draws with) gets V8's explicit compile hint, the comment ``//# allFunctionsCalledOnLoad``, on
a first line of its own. Chromium then compiles all of its functions on a background thread
while the file streams in, instead of one by one on the main thread as plotly's start-up code
first calls them: evaluating the chunk took about 0.48 s of the main thread instead of
0.70-0.73 s on a cold start, and the first figures drew faster (bench/bench_cold_start.py, our
2-core machine). Other browsers ignore the comment.
"""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PREFIXES = ("/static/", "/app/static/")
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_TOTAL_BYTES = 64 * 1024 * 1024  # Streamlit's whole bundle is about 25 MB uncompressed
COMPRESSIBLE = (
    "text/",
    "application/javascript",
    "application/json",
    "application/x-javascript",
    "image/svg+xml",
)
# length and encoding are set per reply; validators and ranges named the uncompressed bytes
_DROPPED = {
    b"content-length",
    b"content-encoding",
    b"vary",
    b"etag",
    b"last-modified",
    b"accept-ranges",
}


# Streamlit's chunks that V8 compiles whole, off the browser's main thread (module docstring)
COMPILED_WHOLE = ("PlotlyChart.",)
COMPILE_HINT = b"//# allFunctionsCalledOnLoad\n"  # V8's explicit compile hint, on line 1


def compile_hinted(path: str, body: bytes) -> bytes:
    """`body` with V8's compile hint in front if `path` is one of `COMPILED_WHOLE`'s chunks."""
    folder, _, name = path.rpartition("/")
    if folder.endswith("/static/js") and name.startswith(COMPILED_WHOLE) and name.endswith(".js"):
        return COMPILE_HINT + body
    return body


@dataclass(frozen=True)
class Entry:
    """One static file as it will be sent: headers (without length and encoding) and bodies."""

    headers: tuple[tuple[bytes, bytes], ...]
    plain: bytes
    gzipped: bytes | None  # None: not worth compressing (fonts, images)


def compress(body: bytes, content_type: str) -> bytes | None:
    """The gzip of a body whose type compresses, if that saves at least a tenth."""
    if not content_type.startswith(COMPRESSIBLE) or len(body) < 1024:
        return None
    packed = gzip.compress(body, compresslevel=6, mtime=0)
    return packed if len(packed) < 0.9 * len(body) else None


def _header(scope: Scope, name: bytes) -> bytes:
    for key, value in scope.get("headers") or ():
        if key.lower() == name:
            return value
    return b""


def accepts_gzip(scope: Scope) -> bool:
    """Whether the request's Accept-Encoding admits gzip (a bare ``gzip;q=0`` refuses it)."""
    for part in _header(scope, b"accept-encoding").decode("latin-1").lower().split(","):
        name, _, params = part.strip().partition(";")
        if name.strip() in ("gzip", "*"):
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def under_base(paths: tuple[str, ...], base_url: str | None = None) -> tuple[str, ...]:
    """`paths` under the server's base URL (`base_url`; None: Streamlit's own
    ``server.baseUrlPath``, as its routes use it). Our middlewares match paths with these."""
    if base_url is None:
        from streamlit import config

        base_url = config.get_option("server.baseUrlPath") or ""
    base = "/" + base_url.strip("/") if base_url.strip("/") else ""
    return tuple(base + p for p in paths)


def reply_parts(messages: list[Message]) -> tuple[Message | None, bytes]:
    """A captured ASGI reply's start message (None if it sent none) and its whole body."""
    start = next((m for m in messages if m["type"] == "http.response.start"), None)
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return start, body


class StaticCache:
    """ASGI middleware: the static files in memory, each compressed once (module docstring)."""

    def __init__(self, app: ASGIApp, base_url: str | None = None) -> None:
        self.app = app
        self.prefixes = under_base(PREFIXES, base_url)
        self.entries: dict[str, Entry] = {}
        self.stored_bytes = 0
        self._filling: dict[str, asyncio.Future[Entry | None]] = {}
        self.hits = 0

    def _handles(self, scope: Scope) -> bool:
        return (
            scope.get("type") == "http"
            and scope.get("method") in ("GET", "HEAD")
            and str(scope.get("path", "")).startswith(self.prefixes)
            and not _header(scope, b"range")
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._handles(scope):
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        entry = self.entries.get(path)
        if entry is None:
            waiting = self._filling.get(path)
            if waiting is not None:  # another request is reading this file: use its result
                entry = await asyncio.shield(waiting)
            if entry is None:
                entry = await self._fill(path, scope, receive, send)
                if entry is None:
                    return  # answered by Streamlit itself (not a plain 200)
        else:
            self.hits += 1
        await self._answer(entry, scope, send)

    async def _fill(self, path: str, scope: Scope, receive: Receive, send: Send) -> Entry | None:
        """Ask Streamlit for the file; store it if it is a plain 200, else pass its reply on."""
        future: asyncio.Future[Entry | None] = asyncio.get_running_loop().create_future()
        self._filling[path] = future
        messages: list[Message] = []

        async def capture(message: Message) -> None:
            messages.append(message)

        entry = None
        try:
            get = dict(scope, method="GET")  # a HEAD fills the entry with the body too
            await self.app(get, receive, capture)
            entry = await self._entry(messages, path)
            if entry is not None:
                size = len(entry.plain) + len(entry.gzipped or b"")
                if self.stored_bytes + size <= MAX_TOTAL_BYTES:
                    self.entries[path] = entry
                    self.stored_bytes += size
        finally:
            future.set_result(entry)
            self._filling.pop(path, None)
        if entry is None:
            for message in messages:
                if message["type"] == "http.response.body" and scope["method"] == "HEAD":
                    message = dict(message, body=b"")
                await send(message)
        return entry

    @staticmethod
    async def _entry(messages: list[Message], path: str) -> Entry | None:
        start, body = reply_parts(messages)
        if start is None or start.get("status") != 200:
            return None
        headers = [(k.lower(), v) for k, v in start.get("headers", ())]
        fields = dict(headers)
        if (
            len(body) > MAX_FILE_BYTES
            or fields.get(b"content-encoding", b"identity") not in (b"", b"identity")
            or b"no-cache" in fields.get(b"cache-control", b"")
            or b"no-store" in fields.get(b"cache-control", b"")
        ):
            return None
        content_type = fields.get(b"content-type", b"").decode("latin-1").lower()
        body = compile_hinted(path, body)
        packed = await asyncio.to_thread(compress, body, content_type)
        kept = tuple((k, v) for k, v in headers if k not in _DROPPED)
        return Entry(kept, body, packed)

    async def _answer(self, entry: Entry, scope: Scope, send: Send) -> None:
        zipped = entry.gzipped is not None and accepts_gzip(scope)
        body = entry.gzipped if zipped else entry.plain
        assert body is not None
        headers = list(entry.headers) + [(b"content-length", str(len(body)).encode())]
        if entry.gzipped is not None:
            headers.append((b"vary", b"accept-encoding"))
        if zipped:
            headers.append((b"content-encoding", b"gzip"))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send(
            {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body}
        )
