"""The cold-start warm-up (views/startup.py): what starts it, and what it loads."""

from __future__ import annotations

import asyncio
import sys

from seq2seq_viz.views import startup


class Fake:
    """A downstream ASGI app that answers every request with its path."""

    async def __call__(self, scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": scope["path"].encode()})


def get(app, path: str, method: str = "GET") -> bytes:
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(message):
        sent.append(message)

    asyncio.run(app({"type": "http", "method": method, "path": path, "headers": []}, receive, send))
    return b"".join(m.get("body", b"") for m in sent)


def test_a_page_request_starts_the_warm_up_and_passes_through(monkeypatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(startup, "prewarm", lambda: calls.append("prewarm"))
    app = startup.PrewarmOnPage(Fake(), base_url="/course/")
    for path in ("/course/static/js/a.js", "/course/_stcore/health", "/course/media/x.json"):
        assert get(app, path) == path.encode()
    assert get(app, "/course/", method="HEAD") == b"/course/"
    assert calls == [], "only a page starts the warm-up"
    assert get(app, "/course/") == b"/course/" and get(app, "/course/beam") == b"/course/beam"
    assert calls == ["prewarm", "prewarm"]


def test_the_warm_up_imports_what_the_first_run_needs(monkeypatch) -> None:
    monkeypatch.setattr(startup, "RUNTIME_WAIT_S", 0.0)  # no Streamlit runtime in a unit test
    startup._prewarm()
    assert all(name in sys.modules for name in startup.MODULES)
