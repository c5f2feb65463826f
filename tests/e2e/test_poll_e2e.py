"""The class poll in real Chromium: a projector (1920x1080) and two phones (390x844), three
browser contexts, all preferring Korean. The projector starts a room in presentation mode, the
phones open the join link, vote, the projector's bars count both votes, the reveal reaches the
phones (right / not this time). Hostile inputs: bad room codes, a forged voter id, a burst of
taps. Screenshots of the projector and a phone go to artifacts/screenshots/.

The same class through nginx and two app processes with Redis (docs/deploy/run_replicas.sh
starts them, as tests/e2e/test_proxy.py does) is in test_poll_proxy_e2e.py.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e import harness
from tests.e2e.conftest import SHOTS
from tests.e2e.test_stepper import MODEL, TEXT
from tests.hostile_inputs import SENTINEL

pytestmark = pytest.mark.e2e
PROJECTOR = {"width": 1920, "height": 1080}
PHONE = {"width": 390, "height": 844}
WAIT_MS = 60_000
BAR_P = ".st-key-poll_tally [data-testid='stProgress'] p"  # a bar's label: "word · 3 (25%)"
BAR_TEXT = re.compile(r"^(✓ )?(?P<label>.+) · (?P<count>\d+) \(\d+%\)$")


def new_page(browser: Browser, viewport: dict, locale: str = "ko-KR") -> Page:
    mobile = viewport is PHONE
    context = browser.new_context(viewport=viewport, locale=locale, is_mobile=mobile,
                                  has_touch=mobile)  # fmt: skip
    page = harness.prepare_page(context.new_page())
    page.on("dialog", lambda dialog: dialog.dismiss())
    return page


def start_poll(projector: Page, url: str, page: str = "", timeout: float = WAIT_MS) -> str:
    """Open `page` in presentation mode, start a class poll; the room code."""
    query = urlencode({"model": MODEL, "text": TEXT, "present": "true"})
    projector.goto(f"{url}/{page}?{query}")
    projector.get_by_role("button", name="수업 투표 시작").click(timeout=timeout)
    expect(projector.get_by_text(re.compile(r"^질문 1 / \d+$"))).to_be_visible(timeout=timeout)
    code = projector.locator(".st-key-poll_code p").inner_text().strip()
    assert re.fullmatch(r"[ACEFHJKMNPRTWXY3479]{6}", code), code
    return code


def join(phone: Page, link: str) -> None:
    phone.goto(link)
    expect(phone.locator(".st-key-poll_choices button").first).to_be_visible(timeout=WAIT_MS)
    expect(phone.get_by_text("수업 투표", exact=True)).to_be_visible()


def bars(projector: Page) -> dict[str, int]:
    """Choice label -> count, as the projector's bars read now."""
    found = {}
    for text in projector.locator(
        ".st-key-poll_tally [data-testid='stProgress'] p"
    ).all_inner_texts():
        match = BAR_TEXT.match(text.strip())
        assert match, text
        found[match["label"]] = int(match["count"])
    return found


def wait_counts(projector: Page, expected: dict[str, int], timeout_s: float = 10.0) -> None:
    projector.wait_for_function(
        """([expected, selector]) => {
          const counts = {};
          for (const p of document.querySelectorAll(selector)) {
            const m = p.innerText.trim().match(/^(?:✓ )?(.+) · (\\d+) \\(\\d+%\\)$/);
            if (m) counts[m[1]] = Number(m[2]);
          }
          return Object.entries(expected).every(([k, v]) => counts[k] === v);
        }""",
        arg=[expected, BAR_P],
        timeout=timeout_s * 1000,
    )


def choice(phone: Page, k: int):
    return phone.locator(".st-key-poll_choices button").nth(k)


def run_class(browser: Browser, url: str, shots: str | None = None) -> tuple[Page, list[Page]]:
    """The whole class: a projector and two phones; returns them (still open)."""
    projector = new_page(browser, PROJECTOR)
    code = start_poll(projector, url, "lesson", timeout=180_000)
    link = projector.get_by_text(re.compile(r"/join\?room=")).first.inner_text().strip()
    link = link.replace("\\", "")
    assert link.endswith(f"/join?room={code}"), link
    phones = [new_page(browser, PHONE) for _ in range(2)]
    for phone in phones:
        join(phone, link)
    labels = list(bars(projector))
    choice(phones[0], 0).click()
    choice(phones[1], 1).click()
    expect(choice(phones[0], 0)).to_contain_text("✓", timeout=WAIT_MS)  # the phone saw its vote
    wait_counts(projector, {labels[0]: 1, labels[1]: 1})
    choice(phones[1], 0).click()  # a changed vote replaces the earlier one
    wait_counts(projector, {labels[0]: 2, labels[1]: 0})
    if shots:
        projector.wait_for_timeout(1000)  # the bars' width transition
        projector.screenshot(path=str(SHOTS / f"{shots}_projector.png"))
        phones[0].screenshot(path=str(SHOTS / f"{shots}_phone.png"))
    projector.get_by_role("button", name="정답 공개").click()
    mark = projector.locator(BAR_P, has_text="✓")
    expect(mark).to_have_count(1, timeout=WAIT_MS)
    right = mark.inner_text().startswith(f"✓ {labels[0]} ·")
    verdict = "맞았습니다!" if right else "아쉽네요."
    for phone in phones:
        expect(phone.get_by_text(re.compile(verdict))).to_be_visible(timeout=WAIT_MS)
        expect(choice(phone, 0)).to_be_disabled()
    if shots:
        phones[0].screenshot(path=str(SHOTS / f"{shots}_phone_revealed.png"))
    return projector, phones


def test_a_projector_and_two_phones_run_a_poll_in_korean(browser: Browser, app) -> None:
    projector, phones = run_class(browser, app.url, shots="poll")
    projector.get_by_role("button", name="다음 질문").click()
    expect(projector.get_by_text(re.compile(r"^질문 2 / \d+$"))).to_be_visible(timeout=WAIT_MS)
    for phone in phones:  # the phones follow to the next question by themselves
        expect(phone.get_by_text("질문 2", exact=True)).to_be_visible(timeout=WAIT_MS)
        expect(choice(phone, 0)).to_be_enabled()
    projector.evaluate("document.activeElement && document.activeElement.blur()")
    projector.keyboard.press("PageDown")  # a clicker: reveal ...
    expect(phones[0].get_by_text(re.compile("투표하지 않았습니다"))).to_be_visible(timeout=WAIT_MS)
    projector.keyboard.press("PageDown")  # ... then the next question
    expect(projector.get_by_text(re.compile(r"^질문 3 / \d+$"))).to_be_visible(timeout=WAIT_MS)
    projector.get_by_role("button", name="투표 끝내기").click()
    expect(phones[1].get_by_text(re.compile("수업 투표가 끝났습니다"))).to_be_visible(
        timeout=WAIT_MS
    )
    for page in [projector, *phones]:
        page.context.close()


BAD_CODES = ["<img src=x onerror=\"window.__pwned=1;alert(1)\">", "x" * 10_000, "ZZZZZZ",
             "$$x$$ **b**"]  # fmt: skip


def test_hostile_codes_ids_and_taps_change_nothing(browser: Browser, app) -> None:
    projector = new_page(browser, PROJECTOR)
    code = start_poll(projector, app.url, timeout=180_000)
    phone = new_page(browser, PHONE)
    for bad in BAD_CODES:
        phone.goto(f"{app.url}/join?" + urlencode({"room": bad}))
        expect(phone.get_by_text(re.compile("그런 방이 없습니다"))).to_be_visible(timeout=WAIT_MS)
    phone.goto(f"{app.url}/join?" + urlencode({"room": code, "voter": "forged.0123456789abcdef"}))
    choice(phone, 0).click()
    expect(phone.get_by_text(re.compile("참여 정보가 이 방의 것이 아닙니다"))).to_be_visible(
        timeout=WAIT_MS
    )
    assert sum(bars(projector).values()) == 0
    phone.get_by_role("button", name="다시 참여하기").click()
    expect(choice(phone, 0)).to_be_visible(timeout=WAIT_MS)
    label = list(bars(projector))[1]
    for _ in range(30):  # a burst of taps: one phone, one vote
        choice(phone, 1).dispatch_event("click")
    wait_counts(projector, {label: 1})
    phone.wait_for_timeout(1500)
    assert sum(bars(projector).values()) == 1
    for page in (projector, phone):
        assert page.evaluate(f"typeof window.{SENTINEL}") == "undefined"
        page.context.close()
