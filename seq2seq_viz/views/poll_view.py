"""What the projector (poll_host.py) and the phones (join_page.py) share: the store of this
process, the question read back from a room, the tally bars, the join link and its QR code.

The store is :func:`seq2seq_viz.poll.store_from_env` (Redis when ``SEQ2SEQ_VIZ_REDIS_URL`` is
set), made once per process. Every store error is a :class:`~seq2seq_viz.poll.PollError` whose
``key`` names the message shown; Redis being down is one of them, so pages keep working.
Words in questions come from the lecturer's sentence: they are shown through
:func:`escape_markdown` (never as HTML).
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

import segno
import streamlit as st

from seq2seq_viz import poll
from seq2seq_viz.i18n import tr
from seq2seq_viz.questions import Question
from seq2seq_viz.views.safe import escape_markdown

PUBLIC_URL_ENV = "SEQ2SEQ_VIZ_PUBLIC_URL"  # e.g. http://192.168.0.10:8501 for phones on a LAN
JOIN_PATH = "join"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}
# Constant CSS (no user text): tall tally bars that read from the back of a room.
TALLY_CSS = """<style>
.st-key-poll_tally [data-testid="stProgress"] > div > div { height: 2.2rem !important; }
.st-key-poll_tally [data-testid="stProgress"] > div > div > div { height: 2.2rem !important; }
.st-key-poll_tally [data-testid="stProgress"] p { font-size: 1.6rem !important; }
</style>"""


@st.cache_resource(show_spinner=False)
def _store() -> poll.PollStore:
    return poll.store_from_env()


def store() -> poll.PollStore:
    """This process's poll store (PollUnavailable when Redis's URL cannot be used)."""
    return _store()


def show_error(error: poll.PollError) -> None:
    st.error(tr(error.key))


def payload(question: Question) -> dict:
    """The question as a room stores it: its answer is kept apart until the reveal."""
    return {**question.to_dict(), "answer": -1}


def question_of(state: poll.RoomState) -> Question | None:
    """The room's current question (answer -1 before the reveal), or None."""
    if state.question is None:
        return None
    data = dict(state.question)
    data["answer"] = state.answer if state.answer is not None else -1
    return Question.from_dict(data)


def labels(question: Question) -> list[str]:
    return question.labels(tr)


def prompt_markdown(question: Question) -> str:
    return escape_markdown(question.prompt(tr))


def tally(state: poll.RoomState, question: Question) -> None:
    """One tall bar per choice (count and share of the votes); ✓ on the answer once revealed."""
    st.html(TALLY_CSS)
    total = max(state.total, 1)
    with st.container(key="poll_tally"):
        for i, (label, count) in enumerate(zip(labels(question), state.counts)):
            mark = "✓ " if state.answer == i else ""
            share = count / total
            text = f"{mark}{escape_markdown(label)} · {count} ({share:.0%})"
            st.progress(share, text=text)
        st.caption(tr("poll.votes", votes=state.total, voters=state.voters))


def reveal_notes(state: poll.RoomState, question: Question) -> None:
    """After the reveal: the reason and the model's number behind each choice."""
    if state.answer is None:
        return
    st.success(escape_markdown(question.explanation(tr)))
    if question.values and len(question.values) == len(question.choices):
        pairs = zip(labels(question), question.values)
        numbers = " · ".join(f"{escape_markdown(lab)} {value:.2f}" for lab, value in pairs)
        st.caption(f"{escape_markdown(tr(question.value_key))}: {numbers}")


def join_url(code: str) -> str:
    """The link a phone opens: SEQ2SEQ_VIZ_PUBLIC_URL if set, else the address this browser
    reached the app by (the proxy's, behind one), with ``join?room=CODE``."""
    base = os.environ.get(PUBLIC_URL_ENV, "").strip()
    if not base:
        parts = urlsplit(str(getattr(st.context, "url", "") or "http://localhost:8501/"))
        path = parts.path.rsplit("/", 1)[0] + "/"
        base = urlunsplit((parts.scheme, parts.netloc, path, "", ""))
    return f"{base.rstrip('/')}/{JOIN_PATH}?room={code}"


def is_local(url: str) -> bool:
    return (urlsplit(url).hostname or "") in LOCAL_HOSTS


def qr_svg(url: str) -> str:
    """The QR code of `url` as an SVG document (dark modules on white, a 4-module margin)."""
    return segno.make(url, error="m").svg_inline(scale=12, border=4, dark="#000", light="#fff")
