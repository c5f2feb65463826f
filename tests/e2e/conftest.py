"""Fixtures of the end-to-end suite: one app process and one Chromium for the whole session.

The app reads tiny seeded models from a temporary folder (tests/tiny_models.py) plus one broken
folder, so nothing depends on training, ../shared or the network. Every test gets a fresh
browser context (its own Streamlit session), a dialog recorder and a screenshot helper that
writes to ``artifacts/screenshots/``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, Page, sync_playwright

from tests.e2e import harness
from tests.tiny_models import FAULTS, add_broken_models, build_models_folder

ARTIFACTS = harness.REPO / "artifacts"
SHOTS = ARTIFACTS / "screenshots"
FAILURES = ARTIFACTS / "failures"
VIEWPORT = {"width": 1400, "height": 900}
BROKEN = "broken-truncated"


@pytest.fixture(scope="session")
def e2e_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = build_models_folder(tmp_path_factory.mktemp("e2e-models"))
    add_broken_models(root, {BROKEN: FAULTS[BROKEN]})
    return root


@pytest.fixture(scope="session")
def app(e2e_models: Path) -> Iterator[harness.App]:
    ARTIFACTS.mkdir(exist_ok=True)
    with harness.running_app(e2e_models, ARTIFACTS / "e2e-app.log", watch=False) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium for one test module. Not for the session: a running sync Playwright owns the
    thread's event loop, and other test files start their own."""
    with sync_playwright() as pw:
        chromium = harness.launch_chromium(pw)
        yield chromium
        chromium.close()


class Session:
    """One browser tab on the app, with what the tests need around it."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.dialogs: list[str] = []
        page.on("dialog", self._on_dialog)

    def _on_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def open(self, path: str = "") -> Page:
        harness.open_app(self.page, f"{self.base_url}/{path}")
        return self.page

    def rerun(self, action: Callable[[], object]) -> None:
        harness.rerun(self.page, action)

    def screenshot(self, name: str) -> Path:
        return harness.full_screenshot(self.page, SHOTS / f"{name}.png")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Remember each phase's report on the test item (fixtures read it to keep evidence)."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def new_session(
    request: pytest.FixtureRequest, browser: Browser, app: harness.App
) -> Iterator[Callable[[str], Session]]:
    """Open sessions with a browser locale ("en-US", "ko-KR": the app's first language).
    When the test fails, each session's page is saved to ``artifacts/failures/``."""
    sessions: list[Session] = []

    def make(locale: str = "en-US") -> Session:
        context = browser.new_context(viewport=VIEWPORT, locale=locale)
        sessions.append(Session(harness.prepare_page(context.new_page()), app.url))
        return sessions[-1]

    yield make
    report = getattr(request.node, "report_call", None)
    for i, session in enumerate(sessions):
        if report is not None and report.failed:
            name = f"{request.node.name}-{i}".replace("/", "_")
            session.page.screenshot(path=str(FAILURES / f"{name}.png"))
        session.page.context.close()


@pytest.fixture
def session(new_session: Callable[[str], Session]) -> Session:
    """A session in a browser that prefers English."""
    return new_session("en-US")
