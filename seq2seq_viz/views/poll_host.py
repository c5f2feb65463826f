"""The class poll on the projector (presentation mode, step page and lesson): the lecturer starts
a room, the projector shows its code, the QR code of the join link, the current question and the
live tally; one click (or →, PageDown, Space, a clicker) reveals, the next one moves on.

Questions are :func:`seq2seq_viz.questions.questions_for` of the lecturer's trace (which source
word gets the most attention, which word comes next) and of its beam-5 trace (which hypothesis
is dropped), in step order from the step on screen. The host secret stays in this session
(``poll_host``), never in a link. The tally redraws every :data:`REFRESH_S` seconds (a
fragment), so a vote shows within it.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from seq2seq_viz import poll
from seq2seq_viz.i18n import tr
from seq2seq_viz.questions import KINDS, Question, questions_for
from seq2seq_viz.views import lesson_keys
from seq2seq_viz.views import poll_view as pv
from seq2seq_viz.views.common import fetch_trace
from seq2seq_viz.views.controls import Controls
from seq2seq_viz.views.safe import escape_markdown

PAGES = {"", "home", "step", "lesson"}  # presentation pages that can host a poll
HOST, SHOWN, ERROR = "poll_host", "poll_shown", "poll_host_error"
REFRESH_S = 0.5
POLL_KINDS = ("attention_top", "next_word")  # asked of the trace shown; beam_drop of beam 5
QR_WIDTH = 380  # px at 1920x1080: about 10 px per module for a link (QR version 3 to 5)
CODE_CSS = """<style>
.st-key-poll_code p { font-size: 4.2rem !important; font-weight: 700; letter-spacing: 0.4rem;
  line-height: 1.1; margin: 0; font-family: "Source Code Pro", monospace; }
</style>"""


def bar(c: Controls) -> bool:
    """The poll's button row under the presentation bar; True when the poll takes the screen
    (the page is then not drawn)."""
    room = st.session_state.get(HOST)
    if room is None:
        if st.button(tr("poll.start"), key="poll_start", help=tr("poll.start_help")):
            _start(c)
        return False
    if not st.session_state.get(SHOWN, True):
        st.button(tr("poll.resume"), key="poll_resume", on_click=_show, args=(True,))
        return False
    _panel(room)
    return True


def _start(c: Controls) -> None:
    questions = _questions(c)
    if not questions:
        st.info(tr("poll.no_questions"))
        return
    try:
        store = pv.store()
        questions = questions[: store.limits.max_questions]
        code, secret = store.create_room()
        _ask(store, code, secret, questions[0])
    except poll.PollError as error:
        pv.show_error(error)
        return
    st.session_state[HOST] = {"code": code, "secret": secret, "questions": questions, "index": 0}
    st.session_state[SHOWN] = True
    st.rerun()


def _questions(c: Controls) -> list[Question]:
    trace = fetch_trace(c, notices=False)
    if trace is None:
        return []
    found = questions_for(trace, kinds=POLL_KINDS)
    beam = fetch_trace(c, decode=replace(c.decode, beam_width=5), notices=False)
    if beam is not None:
        found += questions_for(beam, kinds=("beam_drop",))
    found.sort(key=lambda q: (q.step, KINDS.index(q.kind)))
    here = _current_step()  # the step on screen first, then the later ones, then the earlier
    return [q for q in found if q.step >= here] + [q for q in found if q.step < here]


def _current_step() -> int:
    """The decoder step the page shows: the step page's ``?step=``, the lesson's slider."""
    value = st.session_state.get("lesson_step") if "step" not in st.query_params else None
    try:
        return max(int(value if value is not None else st.query_params.get("step", 0)), 0)
    except (TypeError, ValueError):
        return 0


def _ask(store: poll.PollStore, code: str, secret: str, question: Question) -> None:
    store.set_question(code, secret, pv.payload(question), len(question.choices), question.answer)


def _panel(room: dict) -> None:
    if lesson_keys.pressed("poll_keys") == 1:
        _advance()
    error = st.session_state.pop(ERROR, None)
    if error:
        st.error(tr(error))
    left, right = st.columns([1, 2.1], gap="large")
    with left:
        _join_box(room["code"])
        _buttons(room, _revealed(room["code"]))
    with right:  # the live fragment comes last: under load, Streamlit's frontend dropped
        # elements drawn after a fragment when a full run and the fragment's refresh overlapped
        n, total = room["index"] + 1, len(room["questions"])
        st.subheader(tr("poll.question_of", n=n, total=total))
        _live(room["code"])


def _join_box(code: str) -> None:
    url = pv.join_url(code)
    st.image(pv.qr_svg(url), width=QR_WIDTH)
    st.html(CODE_CSS)
    st.caption(tr("poll.code"))
    with st.container(key="poll_code"):
        st.markdown(code)  # only characters of poll.ALPHABET
    st.caption(escape_markdown(url))
    if pv.is_local(url):
        st.caption(tr("poll.local_hint", env=pv.PUBLIC_URL_ENV))


@st.fragment(run_every=REFRESH_S)
def _live(code: str) -> None:
    """The question and its tally, read from the store at every refresh."""
    try:
        state = pv.store().state(code)
    except poll.PollError as error:
        pv.show_error(error)
        return
    question = pv.question_of(state)
    if question is None:
        return
    st.markdown(pv.prompt_markdown(question))
    pv.tally(state, question)
    pv.reveal_notes(state, question)


def _revealed(code: str) -> bool:
    try:
        return pv.store().state(code).revealed
    except poll.PollError:  # the live part below says why
        return False


def _buttons(room: dict, revealed: bool) -> None:
    """Reveal, then next: the button to press next is the highlighted one."""
    last = room["index"] + 1 >= len(room["questions"])
    reveal, nxt = st.columns(2)
    reveal.button(tr("poll.reveal"), key="poll_reveal", on_click=_reveal, disabled=revealed,
                  type="secondary" if revealed else "primary", width="stretch")  # fmt: skip
    nxt.button(tr("poll.next"), key="poll_next", on_click=_next, disabled=last, width="stretch",
               type="primary" if revealed else "secondary")  # fmt: skip
    back, end = st.columns(2)
    back.button(tr("poll.back"), key="poll_back", on_click=_show, args=(False,), width="stretch")
    end.button(tr("poll.end"), key="poll_end", on_click=_end, width="stretch")
    st.caption(tr("poll.keys_help"))


def _guard(action) -> None:
    """Run a store action for the host; its error is shown on the next draw."""
    room = st.session_state.get(HOST)
    if room is None:
        return
    try:
        action(pv.store(), room)
    except poll.PollError as error:
        st.session_state[ERROR] = error.key


def _reveal() -> None:
    _guard(lambda store, room: store.reveal(room["code"], room["secret"]))


def _next() -> None:
    def step(store: poll.PollStore, room: dict) -> None:
        if room["index"] + 1 < len(room["questions"]):
            _ask(store, room["code"], room["secret"], room["questions"][room["index"] + 1])
            room["index"] += 1

    _guard(step)


def _advance() -> None:
    """The presenter key: reveal the question, or when it is revealed, ask the next one."""
    room = st.session_state[HOST]
    try:
        revealed = pv.store().state(room["code"]).revealed
    except poll.PollError as error:
        st.session_state[ERROR] = error.key
        return
    _next() if revealed else _reveal()


def _show(shown: bool) -> None:
    st.session_state[SHOWN] = shown


def _end() -> None:
    _guard(lambda store, room: store.close(room["code"], room["secret"]))
    st.session_state.pop(HOST, None)
    st.session_state[SHOWN] = False
