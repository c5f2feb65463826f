"""The chosen language holds through every control, in real Chromium.

Each control is performed in Korean and in English: next, previous, slider, play, teacher
forcing, model and variant switch, presentation mode (clicks and a presenter's keys), every page,
the Compare tabs, what-if. After each one the visible text (text nodes shown on screen, chart
text and tooltips' ``title`` included; Streamlit's own icon ligatures, its hidden "skip to
content" link and KaTeX formulas left out) is collected:

- in Korean, every Latin word of two letters or more must be on an allow-list: model and variant
  names, formula and metric symbols, the tiny models' vocabularies (the sentences and their
  translations), and an English term in brackets right after a Korean one (the notes' style:
  어텐션 분포(attention distribution));
- in English, no Hangul at all, except the language switch's own "한국어".

Controls are found by what a person sees (a button's label, a slider's aria-label) or by their
widget key, so the test works whether the step bar is Streamlit widgets or the step player.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from seq2seq_viz.i18n import strings
from tests.conftest import tiny_vocabs
from tests.e2e import harness, ui
from tests.e2e.conftest import BROKEN, Session
from tests.tiny_models import DEFAULT_TEXT, VARIANTS

pytestmark = pytest.mark.e2e
HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
WORD = re.compile(r"[A-Za-z]+")  # French j'ai: j, ai
# An English gloss in brackets right after a Korean word: 어텐션 스코어(attention score).
GLOSS = re.compile(r"(?<=[\uac00-\ud7a3])\s?\([^()\uac00-\ud7a3]*\)")
# Symbols, names and codes that stay Latin in Korean notes too.
SYMBOLS = """
    softmax tanh exp max argmax log onehot sum sigma min arg sigmoid
    GRU LSTM RNN BLEU chrF PPL AER CPU GPU JSON id nats cuda KB MB PNG
    Seq2Seq Luong Bahdanau et al REINFORCE GNMT Tatoeba Project tatoeba org manythings anki CC BY
    sos eos unk pad dot general concat local hard soft none self attn toy dates reverse small
    English python seq2seq_viz train out pretrained results
    more
""".split()  # "more": Streamlit's own "2 more" of an overflowing page menu (not the app's text)
ALLOWED = {w.lower() for w in SYMBOLS}
for name in [*VARIANTS, BROKEN]:
    ALLOWED |= {part.lower() for part in re.split(r"[-_]", name)}
for vocab in tiny_vocabs():
    ALLOWED |= {w.lower() for token in vocab.itos for w in WORD.findall(token)}
ALLOWED |= {w.lower() for w in WORD.findall(DEFAULT_TEXT)}  # the sentence itself, as tokens
ALLOWED |= {"oov"}  # the glossary's own term: OOV (모델이 학습하지 못한 단어)
# Visible text nodes and title attributes of the app, without icon ligatures ("stairs"),
# Streamlit's skip link, KaTeX (formulas are symbols) and code (commands, error details).
VISIBLE_TEXT_JS = """() => {
  const root = document.querySelector('[data-testid="stApp"]');
  const skip = '[data-testid="stIconMaterial"], [data-testid="stSkipToContent"], .katex,'
    + ' code, pre, script, style';
  const shown = (e) => e && !e.closest(skip)
    && e.checkVisibility({opacityProperty: true, visibilityProperty: true});
  const out = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (n.textContent.trim() && shown(n.parentElement)) out.push(n.textContent);
  }
  for (const e of root.querySelectorAll('[title]')) if (shown(e)) out.push(e.title);
  return out.join('\\n');
}"""


def offending(text: str, lang: str) -> list[str]:
    """The words of `text` that do not belong to `lang`."""
    if lang == "en":
        return sorted({w for w in text.split() if HANGUL.search(w) and w != "한국어"})
    words = WORD.findall(GLOSS.sub(" ", text))
    return sorted({w for w in words if len(w) >= 2 and w.lower() not in ALLOWED})


def settle(page: Page, action: Callable[[], object]) -> None:
    """Do `action` and wait for what it started to be drawn. The step player handles its
    controls in the browser: the step changes in the click's own handler, and the player marks
    the step it finished drawing (harness.wait_charts waits for that). An action that reached
    the server instead (a Streamlit widget) has sent a message by the next frames; then its run
    is waited for too."""
    sent, before = page.evaluate("window.__sent"), harness.runs_finished(page)
    action()
    harness.next_frame(page)
    if page.evaluate("window.__sent") > sent:
        try:
            page.wait_for_function(f"window.__runsFinished > {before}", timeout=20_000)
        except PlaywrightTimeout:
            pass  # the idle state below decides (see harness.rerun)
    harness.wait_ready(page)
    harness.wait_charts(page)


class Checker:
    """Performs actions and records, per action, the words that break the language."""

    def __init__(self, page: Page, lang: str) -> None:
        self.page, self.lang, self.text = page, lang, strings(lang)
        self.found: dict[str, list[str]] = {}

    def check(self, action: str) -> None:
        harness.wait_ready(self.page)
        bad = offending(self.page.evaluate(VISIBLE_TEXT_JS), self.lang)
        if bad:
            self.found[action] = bad

    def do(self, action: str, act: Callable[[], object]) -> None:
        act()
        self.check(action)

    def button(self, key: str) -> Callable[[], None]:
        """Click the main area's button labelled t(key)."""
        main = self.page.locator('[data-testid="stMain"]')
        target = main.get_by_role("button", name=self.text[key], exact=True).first

        def act() -> None:  # a one-step translation has no next step: Next is disabled
            if target.is_enabled():
                settle(self.page, target.click)

        return act

    def press(self, key: str) -> Callable[[], None]:
        """Press a key on the page itself (not in a text field), as a presenter's clicker."""

        def act() -> None:
            self.page.evaluate("() => document.activeElement?.blur()")  # keys go to the page
            settle(self.page, lambda: self.page.keyboard.press(key))

        return act

    def slider(self, press: str) -> Callable[[], None]:
        thumb = ui.main_slider(self.page, self.text["step.slider"]).first
        return lambda: settle(self.page, lambda: (thumb.focus(), thumb.press(press)))


def step_controls(c: Checker) -> None:
    c.do("next", c.button("step.next"))
    c.do("next again", c.button("step.next"))
    c.do("previous", c.button("step.prev"))
    c.do("slider end", c.slider("End"))
    c.do("slider home", c.slider("Home"))
    before = ui.drawn_step(c.page)[0]
    c.do("play", c.button("step.play"))
    played = f"Number(document.querySelector('.s2s-stepper').dataset.drawnStep) > {before}"
    c.page.wait_for_function(played, timeout=20_000)  # at least one step played
    c.check("playing")
    pressed = c.page.get_by_role("button", name=c.text["step.play"], pressed=True)
    if pressed.count():
        c.do("stop", lambda: settle(c.page, pressed.first.click))


def presentation_controls(c: Checker) -> None:
    c.do("presentation", lambda: ui.toggle(c.page, "present"))
    c.do("presentation next", c.button("step.next"))
    c.do("presentation key right", c.press("ArrowRight"))
    c.do("presentation key pagedown", c.press("PageDown"))
    c.do("presentation previous", c.button("step.prev"))
    c.do("presentation exit", lambda: ui.click(c.page, "exit_present"))


def other_pages(c: Checker) -> None:
    page = c.page
    for name in ("nav.beam", "nav.compare", "nav.models"):
        c.do(name, lambda name=name: harness.rerun(page, lambda: nav_link(page, c.text[name])))
        if name == "nav.beam":
            c.do("what-if", lambda: ui.choose_first(page, "whatif_word"))
        if name == "nav.compare":
            assert table_fits(page), "the Compare table scrolls sideways"
            for tab in page.get_by_role("tab").all()[1:]:
                c.do(f"tab {tab.inner_text()}", tab.click)


def table_fits(page: Page) -> bool:
    """The first table's columns all fit its width (no column cut off at the right)."""
    return page.evaluate("""() => {
      const s = document.querySelector('[data-testid="stDataFrame"] .dvn-scroller');
      return !!s && s.scrollWidth <= s.clientWidth + 1;
    }""")


def nav_link(page: Page, title: str) -> None:
    """Open the page `title` from the top menu, through its "N more" list when it overflows."""
    # Streamlit also renders the overflowing links in an inert copy (to measure them): skip it.
    link = page.locator(
        '[data-testid="stTopNavLink"]:visible:not([inert] [data-testid="stTopNavLink"])',
        has_text=title,
    )
    if not link.count():
        page.locator('[data-testid="stTopNavSection"]').first.click()
        link = page.locator('[data-testid="stTopNavDropdownLink"]', has_text=title)
    link.first.click()


def run_every_control(page: Page, lang: str) -> dict[str, list[str]]:
    """Perform every control in order; returns {action: words out of language}."""
    c = Checker(page, lang)
    c.check("open")
    step_controls(c)
    presentation_controls(c)
    c.do("teacher forcing", lambda: ui.toggle(page, "teacher"))
    c.do("teacher next", c.button("step.next"))
    c.do("teacher off", lambda: ui.toggle(page, "teacher"))
    for model in ("hard", "none"):
        c.do(f"model {model}", lambda m=model: ui.choose(page, "model", m))
    c.do("model next", c.button("step.next"))
    other_pages(c)
    return c.found


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_language_holds_through_every_control(
    new_session: Callable[[str], Session], lang: str
) -> None:
    session = new_session("ko-KR" if lang == "ko" else "en-US")
    session.page.set_viewport_size({"width": 1366, "height": 768})
    page = session.open("?" + urlencode({"lang": lang, "text": DEFAULT_TEXT}))  # 3+ steps
    found = run_every_control(page, lang)
    assert not ui.exceptions(page)
    assert not found, found


def test_step_path_and_the_bundled_korean_font(new_session: Callable[[str], Session]) -> None:
    """/step (typed by hand) opens the step page; Hangul is drawn with the bundled font."""
    page = new_session("ko-KR").open("step?lang=ko")
    assert ui.title(page) == strings("ko")["step.title"]
    statuses = page.evaluate(
        """async () => { await document.fonts.ready;
             return [...document.fonts]
               .filter((f) => f.family.replace(/['"]/g, '').startsWith('s2sviz'))
               .map((f) => f.status); }"""
    )
    assert "loaded" in statuses and "error" not in statuses, statuses


def test_offending_words() -> None:
    """The checker itself: what it lets through and what it catches."""
    assert offending("◀ 이전 다음 ▶ 재생 어텐션 분포(attention distribution) soft-dot", "ko") == []
    assert offending("◀ Previous 다음 ▶ Play the cat", "ko") == ["Play", "Previous"]
    assert offending("Next step 한국어 English", "en") == []
    assert offending("Next 단계 t", "en") == ["단계"]
