"""Hostile and odd sentences typed into the real app in Chromium (the same table as the AppTest
suite): no exception, the notice each needs, no script ever runs (no dialog, the sentinel the
payloads would set stays undefined), nothing becomes HTML (no <img>, <script>, onerror or
javascript: link from the payload in the DOM), and the tokens are shown as literal text.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from seq2seq_viz.i18n import strings
from tests.e2e import harness, ui
from tests.e2e.conftest import ARTIFACTS, VIEWPORT, Session
from tests.hostile_inputs import CASES, SENTINEL, Case

pytestmark = pytest.mark.e2e
EN = strings("en")
# Elements a payload would create if it were rendered as HTML anywhere in the page.
INJECTED_JS = """() => [
  ...[...document.querySelectorAll('img')].filter((e) => e.getAttribute('src') === 'x'),
  ...[...document.querySelectorAll('script')].filter((e) => /__pwned|alert\\(1\\)/.test(e.text)),
  ...document.querySelectorAll('[onerror], a[href^="javascript:"]'),
  ...[...document.querySelectorAll('b, strong')].filter((e) => e.textContent === 'bold'),
].map((e) => e.outerHTML.slice(0, 120))"""


@pytest.fixture(scope="module")
def hostile(browser: Browser, app: harness.App) -> Iterator[Session]:
    """One tab for the whole table: each case is typed over the previous one."""
    context = browser.new_context(viewport=VIEWPORT, locale="en-US")
    session = Session(harness.prepare_page(context.new_page()), app.url)
    session.open()
    yield session
    context.close()


def notice_prefix(key: str) -> str:
    return EN[key].split("{")[0].strip()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_sentence(hostile: Session, case: Case) -> None:
    page = hostile.page
    ui.type_sentence(page, case.text)
    assert not ui.exceptions(page)
    assert not hostile.dialogs, hostile.dialogs
    assert page.evaluate(f"typeof window.{SENTINEL}") == "undefined"
    assert page.evaluate(INJECTED_JS) == []
    if case.notice:
        shown = ui.alerts(page, "Info") + ui.alerts(page, "Warning")
        assert any(s.startswith(notice_prefix(case.notice)) for s in shown), shown
    ticks = " ".join(ui.chart_ticks(page, "encoder")) if case.ticks else ""
    for tick in case.ticks:
        assert tick in ticks, (tick, ticks[:300])


def test_the_server_logged_no_traceback(hostile: Session) -> None:
    log = Path(ARTIFACTS / "e2e-app.log").read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log, log[-3000:]
