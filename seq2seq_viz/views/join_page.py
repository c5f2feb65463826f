"""The class poll on a student's phone (``/join?room=CODE``, the QR code's link): big buttons for
the current question, then whether the answer was right once the lecturer reveals it.

Opening the link joins the room: the store issues a voter id signed by the room, kept in the
URL (``&voter=``) so that a reload, or a reconnection through the proxy to another app process,
keeps the same vote. The page rereads the room every :data:`REFRESH_S` seconds (a fragment).
No sidebar, no model: a phone only talks to the poll's store. Korean when the phone prefers it.
"""

from __future__ import annotations

import streamlit as st

from seq2seq_viz import poll
from seq2seq_viz.i18n import tr
from seq2seq_viz.views import controls
from seq2seq_viz.views import poll_view as pv
from seq2seq_viz.views.safe import escape_markdown

REFRESH_S = 2.0  # a phone learns of the reveal and the next question within this
MAX_PARAM = 100  # longer room / voter parameters are cut (the store refuses them anyway)
ERROR, BAD_VOTER = "poll_phone_error", "poll_bad_voter"
# Constant CSS (no user text): thumb-sized choices on a 390 px wide phone.
PHONE_CSS = """<style>
[data-testid="stMainBlockContainer"] { padding-left: 1rem; padding-right: 1rem; }
.st-key-poll_choices button { min-height: 4.2rem; }
.st-key-poll_choices button p { font-size: 1.35rem !important; }
[data-testid="stMainBlockContainer"] p { font-size: 1.1rem; }
</style>"""


def render() -> None:
    st.html(PHONE_CSS)
    controls.language_control(st)
    st.subheader(tr("poll.phone.title"))
    code = str(st.query_params.get("room", ""))[:MAX_PARAM]
    voter = str(st.query_params.get("voter", ""))[:MAX_PARAM]
    if code and not voter:
        voter = _join(code)
    if not code or not voter:
        _join_form(code)
        return
    _live(code, voter)


def _join(code: str) -> str:
    try:
        voter = pv.store().join(code)
    except poll.PollError as error:
        pv.show_error(error)
        return ""
    st.query_params["room"] = poll.normalize_code(code)
    st.query_params["voter"] = voter
    return voter


def _join_form(code: str) -> None:
    with st.form("poll_join", border=False):
        typed = st.text_input(tr("poll.phone.code_label"), value=code[:12], max_chars=12)
        if st.form_submit_button(tr("poll.phone.join"), type="primary", width="stretch"):
            st.query_params.pop("voter", None)
            st.query_params["room"] = typed.strip()[:12]
            st.rerun()


@st.fragment(run_every=REFRESH_S)
def _live(code: str, voter: str) -> None:
    error = st.session_state.pop(ERROR, None)
    try:
        state = pv.store().state(code)
        mine = pv.store().my_vote(code, voter, state.qno)
    except poll.PollError as caught:
        pv.show_error(caught)
        _rejoin()
        return
    question = pv.question_of(state)
    if state.closed:
        st.info(tr("poll.ended"))
    elif question is None:
        st.info(tr("poll.waiting"))
    else:
        _question(code, voter, state, question, mine)
    if error:
        st.error(tr(error))
    if error == poll.BadVoter.key or st.session_state.get(BAD_VOTER):
        st.session_state[BAD_VOTER] = True  # until the phone joins again
        _rejoin()


def _question(code: str, voter: str, state: poll.RoomState, question, mine: int | None) -> None:
    st.caption(tr("poll.phone.question", n=state.qno + 1))
    st.markdown(pv.prompt_markdown(question))
    names = pv.labels(question)
    if state.revealed:  # the verdict first: a phone shows only the top of a long list
        _verdict(state, names, mine)
    with st.container(key="poll_choices"):
        for i, label in enumerate(names):
            st.button(f"{_mark(state, mine, i)}{escape_markdown(label)}",
                      key=f"poll_choice_{state.qno}_{i}",
                      type="primary" if mine == i else "secondary", width="stretch",
                      disabled=state.revealed, on_click=_vote,
                      args=(code, voter, state.qno, i))  # fmt: skip
    if state.revealed:
        pv.reveal_notes(state, question)
    elif mine is not None:
        st.caption(tr("poll.phone.voted", choice=escape_markdown(names[mine])))


def _mark(state: poll.RoomState, mine: int | None, i: int) -> str:
    """✓ on this phone's vote before the reveal; after it ✓ on the answer, ✗ on a wrong vote."""
    if not state.revealed:
        return "✓ " if mine == i else ""
    return "✓ " if state.answer == i else ("✗ " if mine == i else "")


def _verdict(state: poll.RoomState, names: list[str], mine: int | None) -> None:
    answer = escape_markdown(names[state.answer])
    if mine is None:
        st.info(tr("poll.phone.no_vote", answer=answer))
    elif mine == state.answer:
        st.success(tr("poll.phone.right"))
    else:
        st.warning(tr("poll.phone.wrong", answer=answer))


def _vote(code: str, voter: str, qno: int, choice: int) -> None:
    try:
        pv.store().vote(code, voter, qno, choice)
    except poll.PollError as error:
        st.session_state[ERROR] = error.key


def _rejoin() -> None:
    """Join again (a new voter id): a full rerun, since a fragment keeps its arguments."""
    if st.button(tr("poll.phone.rejoin"), key="poll_rejoin"):
        st.query_params.pop("voter", None)
        st.session_state.pop(BAD_VOTER, None)
        st.rerun(scope="app")


if __name__ == "__main__":  # run as a page by st.navigation
    render()
