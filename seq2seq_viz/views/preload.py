"""The page's HTML asks for plotly.js at once: an ASGI middleware that adds one
``<link rel="modulepreload">`` for Streamlit's plotly.js chunk to the HTML of every page.

Without it the browser asks for plotly.js (4.7 MB, 1.4 MB gzipped) only when the step player
mounts, after Streamlit's frontend has loaded, connected and drawn the first run's elements;
the page then waits for the download and for V8 to compile the file. With the hint the file
arrives and is compiled on a background thread while the frontend is still loading, and the
step player's ``import()`` of the same URL finds the module ready to evaluate. Nothing on the
page changes.

A page's HTML is Streamlit's index.html (about 8 KB, the same for every page), asked for
uncompressed here (its Accept-Encoding is dropped) so the link can be written in; a reply that
is not a plain 200 HTML page passes through unchanged. The phone's poll page (``/join``, or any
URL with ``room=``) gets no hint: a phone in a class poll never draws a chart.
"""

from __future__ import annotations

import re
from pathlib import Path

from seq2seq_viz.views.startup import SKIPPED, is_page_get
from seq2seq_viz.views.static_cache import (
    ASGIApp,
    Message,
    Receive,
    Scope,
    Send,
    reply_parts,
    under_base,
)

CHUNK = "PlotlyChart.*.js"  # Streamlit's chunk for st.plotly_chart; importing it sets Plotly
# the folder of the frontend's own entry script, as index.html writes it ("./static/js/")
_ENTRY = re.compile(rb'<script type="module" crossorigin src="([^"]*static/js/)[^"/]+\.js">')


def plotly_chunk(static_dir: Path | None = None) -> str | None:
    """The file name of Streamlit's plotly.js chunk, if exactly one is found."""
    if static_dir is None:
        from streamlit import file_util

        static_dir = Path(file_util.get_static_dir())
    found = sorted((static_dir / "static" / "js").glob(CHUNK))
    return found[0].name if len(found) == 1 else None


def with_preload(html: bytes, chunk: str) -> bytes | None:
    """`html` with the modulepreload link before ``</head>``, or None where it has no entry
    script or no head to put it in."""
    entry = _ENTRY.search(html)
    if entry is None or b"</head>" not in html:
        return None
    link = b'<link rel="modulepreload" crossorigin href="' + entry.group(1) + chunk.encode() + b'">'
    return html.replace(b"</head>", link + b"</head>", 1)


def _is_phone(scope: Scope) -> bool:
    query = bytes(scope.get("query_string") or b"").decode("latin-1")
    path = str(scope.get("path", "")).rstrip("/")
    return path.endswith("/join") or any(
        part.split("=", 1)[0] == "room" for part in query.split("&")
    )


class PlotlyPreload:
    """ASGI middleware: page GETs get the plotly.js modulepreload link (module docstring)."""

    def __init__(self, app: ASGIApp, base_url: str | None = None, chunk: str | None = None) -> None:
        self.app = app
        self.skipped = under_base(SKIPPED, base_url)
        self.chunk = chunk if chunk is not None else plotly_chunk()

    def _handles(self, scope: Scope) -> bool:
        return self.chunk is not None and is_page_get(scope, self.skipped) and not _is_phone(scope)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._handles(scope):
            await self.app(scope, receive, send)
            return
        assert self.chunk is not None
        plain = dict(
            scope,
            headers=[
                (k, v) for k, v in scope.get("headers") or () if k.lower() != b"accept-encoding"
            ],
        )
        messages: list[Message] = []

        async def capture(message: Message) -> None:
            messages.append(message)

        await self.app(plain, receive, capture)
        start, body = reply_parts(messages)
        fields = {k.lower(): v for k, v in (start or {}).get("headers", ())}
        changed = None
        if (
            start is not None
            and start.get("status") == 200
            and fields.get(b"content-type", b"").startswith(b"text/html")
            and fields.get(b"content-encoding", b"identity") in (b"", b"identity")
        ):
            changed = with_preload(body, self.chunk)
        if changed is None:
            for message in messages:
                await send(message)
            return
        headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(changed)).encode()))
        await send(dict(start, headers=headers))
        await send({"type": "http.response.body", "body": changed})
