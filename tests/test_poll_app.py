"""The class poll's pages in Streamlit's AppTest: the projector in presentation mode starts a
room from the lecturer's trace, shows the tally the store holds, reveals and moves on; the phone
page joins by the link's code, votes, and says whether it was right; bad codes and a Redis that
is down get a clear message while the rest of the app keeps working."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from seq2seq_viz import poll
from seq2seq_viz.views import poll_view
from tests.test_app import APP, EN, KO, TEXT, _ok, models_root  # noqa: F401 (a fixture)

JOIN = "seq2seq_viz/views/join_page.py"


@pytest.fixture(autouse=True)
def fresh_store(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test gets its own in-memory store (the store is cached per process)."""
    monkeypatch.delenv(poll.ENV_URL, raising=False)
    poll_view._store.clear()
    yield
    poll_view._store.clear()


def _host(locale: str = "en-US", **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.context["locale"] = locale
    at.session_state["text"] = TEXT
    at.query_params["present"] = "true"
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [e.value for kind in ("error", "info", "success", "warning") for e in at.get(kind)]
    parts += [str(p.proto.text) for p in at.get("progress")]
    return "\n".join(parts)


def _started(at: AppTest) -> dict:
    at.button(key="poll_start").click().run()
    _ok(at)
    return at.session_state["poll_host"]


def test_the_projector_runs_a_poll_from_the_lecturers_trace(models_root: Path) -> None:  # noqa: F811
    at = _host()
    _ok(at)
    room = _started(at)
    store = poll_view.store()
    state = store.state(room["code"])
    first = room["questions"][0]
    assert state.qno == 0 and state.question["id"] == first.id and state.answer is None
    assert state.question["answer"] == -1  # the answer stays out of the stored question
    assert "1 / " in " ".join(h.value for h in at.subheader)
    a, b = store.join(room["code"]), store.join(room["code"])
    store.vote(room["code"], a, 0, 0)
    store.vote(room["code"], b, 0, 1)
    at.run()
    bars = [str(p.proto.text) for p in at.get("progress")]
    assert len(bars) == len(first.choices)
    assert "· 1 (50%)" in bars[0] and "· 1 (50%)" in bars[1], bars
    assert not at.button(key="poll_reveal").disabled
    at.button(key="poll_reveal").click().run()
    assert store.state(room["code"]).revealed and at.button(key="poll_reveal").disabled
    assert any(p.startswith("✓") for p in (str(x.proto.text) for x in at.get("progress")))
    at.button(key="poll_next").click().run()
    assert store.state(room["code"]).qno == 1 and at.session_state["poll_host"]["index"] == 1
    at.button(key="poll_back").click().run()
    _ok(at)
    assert at.get("plotly_chart") or at.session_state["poll_shown"] is False  # the page is back
    at.button(key="poll_resume").click().run()
    at.button(key="poll_end").click().run()
    _ok(at)
    assert store.state(room["code"]).closed and "poll_host" not in at.session_state


def test_the_poll_starts_at_the_step_on_screen(models_root: Path) -> None:  # noqa: F811
    at = _host(step="2")
    questions = _started(at)["questions"]
    steps = [q.step for q in questions]
    assert steps[0] == 2  # the step shown first, then the later ones, then (room left) earlier
    assert steps == sorted(s for s in steps if s >= 2) + sorted(s for s in steps if s < 2)
    assert len(steps) <= poll_view.store().limits.max_questions
    assert {q.kind for q in questions} >= {"attention_top", "next_word"}


def test_the_join_link_is_not_the_host(models_root: Path) -> None:  # noqa: F811
    at = _host()
    room = _started(at)
    assert room["secret"] not in poll_view.join_url(room["code"])
    with pytest.raises(poll.NotHost):  # what a phone could try: the room code as a secret
        poll_view.store().reveal(room["code"], room["code"])


def _phone(room: str | None, locale: str = "ko-KR", **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.context["locale"] = locale
    if room is not None:
        at.query_params["room"] = room
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(JOIN).run()
    return at


def test_a_phone_joins_votes_and_sees_the_verdict_in_korean(models_root: Path) -> None:  # noqa: F811
    host = _host()
    room = _started(host)
    question = room["questions"][0]
    at = _phone(room["code"])
    _ok(at)
    voter = at.query_params["voter"]
    assert voter and poll_view.store().state(room["code"]).voters == 1
    assert KO["poll.phone.title"] in " ".join(h.value for h in at.subheader)
    choices = [b for b in at.button if b.key and b.key.startswith("poll_choice_0_")]
    assert len(choices) == len(question.choices)
    wrong = (question.answer + 1) % len(question.choices)
    choices[wrong].click().run()
    _ok(at)
    assert poll_view.store().my_vote(room["code"], voter, 0) == wrong
    host.button(key="poll_reveal").click().run()
    at.run()
    shown = _texts(at)
    assert KO["poll.phone.wrong"].split("{")[0] in shown
    assert all(b.disabled for b in at.button if b.key and b.key.startswith("poll_choice_"))


@pytest.mark.parametrize(
    "code",
    ["ZZZZZZ", "x" * 10_000, "<script>alert(1)</script>", "😺😺😺😺😺😺", "$\\frac{1}{2}$"],
)
def test_a_bad_room_code_gets_a_clear_message(models_root: Path, code: str) -> None:  # noqa: F811
    at = _phone(code, locale="en-US")
    _ok(at)
    assert EN["poll.error.unknown_room"] in _texts(at)
    assert "voter" not in at.query_params


def test_a_forged_voter_id_is_refused_and_can_join_again(models_root: Path) -> None:  # noqa: F811
    host = _host()
    room = _started(host)
    at = _phone(room["code"], locale="en-US", voter="forged.0123456789abcdef")
    choices = [b for b in at.button if b.key and b.key.startswith("poll_choice_0_")]
    choices[0].click().run()
    _ok(at)
    assert EN["poll.error.bad_voter"] in _texts(at)
    assert poll_view.store().state(room["code"]).total == 0
    at.button(key="poll_rejoin").click().run()
    assert at.query_params["voter"] != "forged.0123456789abcdef"


def test_redis_down_leaves_the_app_working(models_root: Path, monkeypatch) -> None:  # noqa: F811
    monkeypatch.setenv(poll.ENV_URL, "redis://127.0.0.1:1/0")  # nothing listens on port 1
    poll_view._store.clear()
    at = _host()
    at.button(key="poll_start").click().run()
    _ok(at)
    assert EN["poll.error.unavailable"] in _texts(at)
    assert "poll_host" not in at.session_state
    phone = _phone("ACEFHJ", locale="en-US")
    _ok(phone)
    assert EN["poll.error.unavailable"] in _texts(phone)
