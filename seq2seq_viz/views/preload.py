"""Tell the browser, in the page itself, to fetch the two script chunks the step player needs.

The step player (views/stepper) draws with Streamlit's own plotly.js chunk (4.7 MB, the one
st.plotly_chart uses) and KaTeX chunk (st.latex's). It can only ask for them once its data has
arrived, at the end of the first script run, so on a cold start the browser used to wait for the
run, then fetch and compile plotly.js, then draw. This ASGI middleware adds
``<link rel="modulepreload">`` for both chunks to the HTML page Streamlit serves, so the browser
fetches and compiles them while the server runs the script; the player's own ``import()`` then
finds them ready. Nothing on the page changes.

Only GET requests for pages (not ``/_stcore/``, ``/static/``, ``/app/static/``, components or
media) are touched, and only a plain 200 ``text/html`` reply is rewritten: Streamlit is asked for
it uncompressed, the links go in front of ``</head>``, and it is gzip-compressed again when the
browser accepts that. Everything else passes through unchanged. `on_page` (if given) is called
at every page request before Streamlit answers it: app.py starts its warm-up there
(views/startup.py), when a browser arrives and the server has finished starting.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from seq2seq_viz.views.static_cache import ASGIApp, Message, Receive, Scope, Send, accepts_gzip

SKIPPED = ("/_stcore/", "/static/", "/app/static/", "/component/", "/media/")
PLOTLY_CHUNK, KATEX_CHUNK = "PlotlyChart.*.js", "katex.*.js"  # the step player's (stepper.mount)
CHUNKS = (PLOTLY_CHUNK, KATEX_CHUNK)


def streamlit_js() -> Path:
    import streamlit as st

    return Path(st.__file__).resolve().parent / "static" / "static" / "js"


@cache
def streamlit_chunk(pattern: str) -> str | None:
    """The file name of one of Streamlit's own script chunks, if there is exactly one."""
    found = sorted(streamlit_js().glob(pattern))
    return found[0].name if len(found) == 1 else None


def preload_links(chunks: tuple[str | None, ...]) -> bytes:
    """The ``<link rel="modulepreload">`` tags for the chunk files found (relative to the page,
    as Streamlit's own script tags are)."""
    tag = '<link rel="modulepreload" crossorigin href="./static/js/{}" />'
    return b"".join(tag.format(name).encode() for name in chunks if name)


def add_links(html: bytes, links: bytes) -> bytes:
    """`html` with `links` just before ``</head>`` (unchanged without one)."""
    at = html.find(b"</head>")
    return html if at < 0 or not links else html[:at] + links + html[at:]


class ChunkPreload:
    """ASGI middleware: modulepreload links for the step player's chunks (module docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        base_url: str | None = None,
        on_page: Callable[[], object] | None = None,
    ) -> None:
        self.app, self.on_page = app, on_page
        if base_url is None:  # Streamlit's own setting, as its routes use it
            from streamlit import config

            base_url = config.get_option("server.baseUrlPath") or ""
        base = "/" + base_url.strip("/") if base_url.strip("/") else ""
        self.skipped = tuple(base + p for p in SKIPPED)
        self.links = preload_links(tuple(streamlit_chunk(p) for p in CHUNKS))

    def _handles(self, scope: Scope) -> bool:
        return (
            scope.get("type") == "http"
            and scope.get("method") == "GET"
            and bool(self.links)
            and not str(scope.get("path", "")).startswith(self.skipped)
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._handles(scope):
            await self.app(scope, receive, send)
            return
        if self.on_page is not None:
            self.on_page()
        plain = [(k, v) for k, v in scope.get("headers") or () if k.lower() != b"accept-encoding"]
        start: Message | None = None
        body: list[bytes] = []
        passing = False

        async def capture(message: Message) -> None:
            nonlocal start, passing
            if message["type"] == "http.response.start":
                start = message
                passing = not _is_plain_html(message)
                if passing:
                    await send(message)
            elif passing:
                await send(message)
            elif message["type"] == "http.response.body":
                body.append(message.get("body", b""))
            else:
                await send(message)

        await self.app(dict(scope, headers=plain), receive, capture)
        if passing or start is None:
            return
        await self._answer(start, add_links(b"".join(body), self.links), accepts_gzip(scope), send)

    @staticmethod
    async def _answer(start: Message, html: bytes, zipped: bool, send: Send) -> None:
        if zipped:
            html = gzip.compress(html, compresslevel=6, mtime=0)
        dropped = (b"content-length", b"content-encoding", b"etag", b"accept-ranges", b"vary")
        headers = [(k, v) for k, v in start.get("headers", ()) if k.lower() not in dropped]
        headers.append((b"content-length", str(len(html)).encode()))
        headers.append((b"vary", b"accept-encoding"))
        if zipped:
            headers.append((b"content-encoding", b"gzip"))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": html})


def _is_plain_html(start: Message) -> bool:
    fields: dict[Any, Any] = {k.lower(): v for k, v in start.get("headers", ())}
    return (
        start.get("status") == 200
        and fields.get(b"content-type", b"").lower().startswith(b"text/html")
        and fields.get(b"content-encoding", b"identity") in (b"", b"identity")
    )
