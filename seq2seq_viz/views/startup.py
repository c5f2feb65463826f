"""Work the first page's script run would wait for, done while the first browser loads.

The first browser spends about a second loading Streamlit's frontend before it asks for a script
run. The views cannot be imported before the run (their caches need Streamlit's runtime, see
app.py), but what they import can: :func:`prewarm`, called at the first page request (by the
:class:`PrewarmOnPage` middleware app.py mounts, so after the server has finished starting and
never slowing the start), starts a thread that imports plotly and the figure builders, reads
plotly's default template, loads Streamlit's emoji list (``st.set_page_config`` checks the page
icon against it) and lets Streamlit make its once-per-process check of whether it runs in a REPL
from this thread's short stack (at the first element of the first run it walks the script
runner's deep stack with source lines). The first run then finds all of it done; what it shows
is unchanged. (pandas is not imported: the first page does not need it, and a core spent on it
is a core the browser lacks while it draws the page.)
"""

from __future__ import annotations

import email
import re
import threading
import time
from email.message import Message
from functools import cache
from importlib import import_module
from importlib.metadata import Distribution
from typing import Any

from seq2seq_viz.views.static_cache import ASGIApp, Receive, Scope, Send, under_base

SKIPPED = ("/_stcore/", "/static/", "/app/static/", "/component/", "/media/")  # not pages
RUNTIME_WAIT_S = 5.0  # the runtime exists before the server answers a page
# in the order the first run needs them: set_page_config, the step page's imports
MODULES = ("streamlit.emojis", "plotly.graph_objects", "seq2seq_viz.figures")
IMPORT_WAIT_S = 60.0
_imported = threading.Event()  # set once the warm-up thread's imports are done


@cache
def prewarm() -> threading.Thread:
    """Start the warm-up thread, once per process. Not a daemon, like state.warm_up's: an exit
    waits for its imports (a second or two) instead of cutting one off inside a C extension."""
    thread = threading.Thread(target=_prewarm, name="prewarm", daemon=False)
    thread.start()
    return thread


def _prewarm() -> None:
    try:
        for name in MODULES:
            import_module(name)
        import plotly.io as pio

        if pio.templates.default:
            pio.templates[pio.templates.default]
    finally:
        _imported.set()
    from streamlit import delta_generator, runtime

    deadline = time.monotonic() + RUNTIME_WAIT_S
    while not runtime.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    if runtime.exists():  # under the runtime the check finds no REPL and warns of nothing
        delta_generator._maybe_print_use_warning()


def await_imports() -> None:
    """Called by a script run before its own imports: while the warm-up thread is importing,
    wait for it. Two threads importing pandas and plotly at once can meet in the middle of a
    circular import, and one of them then sees a partly made module ("partially initialized
    module 'pandas' has no attribute 'Series'"). The run would import the same modules itself,
    so waiting costs it nothing."""
    if prewarm.cache_info().currsize:  # the warm-up was started
        _imported.wait(IMPORT_WAIT_S)


class PrewarmOnPage:
    """ASGI middleware: a GET of a page (not of a static file, the websocket, a health check,
    a component or a media file) calls :func:`prewarm`; every request passes through as is."""

    def __init__(self, app: ASGIApp, base_url: str | None = None) -> None:
        self.app = app
        self.skipped = under_base(SKIPPED, base_url)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if is_page_get(scope, self.skipped):
            prewarm()
        await self.app(scope, receive, send)


def is_page_get(scope: Scope, skipped: tuple[str, ...]) -> bool:
    """Whether `scope` is a GET of a page: not of a path under `skipped` (``under_base(SKIPPED)``:
    static files, the websocket, health checks, components, media)."""
    return (
        scope.get("type") == "http"
        and scope.get("method") == "GET"
        and not str(scope.get("path", "")).startswith(skipped)
    )


_HEADERS_END = re.compile(r"\r?\n\r?\n")


def metadata_headers(dist: Distribution) -> Message:
    """The header block of a distribution's metadata (name, summary, requirements), without
    parsing its long description, which is most of the text."""
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or ""
    return email.message_from_string(_HEADERS_END.split(text, maxsplit=1)[0])


def likely_component_package(dist: Any) -> bool:
    """Streamlit's test of whether an installed distribution may hold custom components (its
    name, summary or requirements name streamlit), on the metadata's headers read once."""
    headers = metadata_headers(dist)
    name = (headers["Name"] or "").lower()
    if not name:
        return False
    summary = (headers["Summary"] or "").lower()
    requires = headers.get_all("Requires-Dist") or []
    return (
        "streamlit" in name
        or "streamlit" in summary
        or any(r and "streamlit" in r.lower() for r in requires)
        or name.startswith(("streamlit-", "streamlit_", "st-", "st_"))
    )


def quick_component_scan() -> bool:
    """Make Streamlit's start-up scan for custom-component packages read only the headers of
    each distribution's metadata. Streamlit parses every installed distribution's whole
    metadata file, four times each: 0.09 s against 0.02 s for the ~100 distributions torch,
    spaCy and the rest bring here, and the server answers about 60 ms sooner
    (docs/benchmarks.md). The answer is the same (tests/test_startup_scan.py compares both on
    every installed distribution). Called before the server starts; returns False, changing
    nothing, where this Streamlit has no such filter."""
    try:
        from streamlit.components.v2 import manifest_scanner
    except ImportError:
        return False
    if not callable(getattr(manifest_scanner, "_is_likely_streamlit_component_package", None)):
        return False
    manifest_scanner._is_likely_streamlit_component_package = likely_component_package
    return True
