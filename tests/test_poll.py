"""The class poll's store (seq2seq_viz/poll.py, poll_redis.py): every rule on both backends.

The Redis backend runs against a real redis-server started here on a free port (Debian's
/usr/bin/redis-server; the README's test command installs it): the test fails, never skips,
without it. Clocks are injected; the Redis clock starts at the real time because Redis expires
keys by its own clock.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from seq2seq_viz import poll
from seq2seq_viz.poll import Limits, MemoryStore
from seq2seq_viz.poll_redis import RedisStore
from tests.redis_server import running_redis

QUESTION = {"kind": "next_word", "prompt": "poll.test", "choices": ["le", "la", "chat"]}
LIMITS = Limits(max_rooms=5, max_voters=6, max_questions=3, votes_per_second=5)


class Clock:
    def __init__(self) -> None:
        self.now = float(int(time.time()))

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_redis(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture(params=["memory", "redis"])
def make(request: pytest.FixtureRequest):
    """make(limits, clock) -> a fresh store of the backend under test (Redis flushed)."""

    def build(limits: Limits = LIMITS, clock: Clock | None = None):
        clock = clock or Clock()
        if request.param == "memory":
            return MemoryStore(limits, clock)
        url = request.getfixturevalue("redis_url")
        store = RedisStore(url, limits, clock)
        store._redis.flushdb()
        return store

    return build


def _room(store, n_choices: int = 3, answer: int = 2):
    code, secret = store.create_room()
    store.set_question(code, secret, QUESTION, n_choices, answer)
    return code, secret


def test_codes_are_six_unambiguous_characters_and_the_secret_is_not_in_them(make) -> None:
    store = make(Limits(max_rooms=50))
    rooms = [store.create_room() for _ in range(50)]
    codes = {code for code, _ in rooms}
    assert len(codes) == 50
    for code, secret in rooms:
        assert len(code) == 6 and set(code) <= set(poll.ALPHABET)
        assert code not in secret and len(secret) >= 32
    assert not set("0O1IL2Z5S8B") & set(poll.ALPHABET)


def test_a_question_is_voted_tallied_and_revealed(make) -> None:
    store = make()
    code, secret = store.create_room()
    first, second = store.join(code), store.join(code.lower())  # codes are read case-blind
    assert store.state(code).qno == -1 and store.state(code).voters == 2
    qno = store.set_question(code, secret, QUESTION, 3, 2)
    state = store.state(code)
    assert (qno, state.question, state.counts, state.answer) == (0, QUESTION, (0, 0, 0), None)
    store.vote(code, first, 0, 1)
    store.vote(code, second, 0, 1)
    store.vote(code, second, 0, 2)  # a changed vote replaces the earlier one
    assert store.state(code).counts == (0, 1, 1)
    assert (store.my_vote(code, first, 0), store.my_vote(code, second, 0)) == (1, 2)
    store.reveal(code, secret)
    state = store.state(code)
    assert state.revealed and state.answer == 2 and state.counts == (0, 1, 1)
    assert store.set_question(code, secret, QUESTION, 2, 0) == 1
    state = store.state(code)
    assert state.counts == (0, 0) and not state.revealed and state.answer is None
    assert store.my_vote(code, first, 1) is None and store.my_vote(code, first, 0) is None


def _refused(store, code: str, error: type, vote) -> None:
    before = store.state(code)
    with pytest.raises(error) as caught:
        vote()
    assert caught.value.key.startswith("poll.error.")
    assert store.state(code) == before  # the tally did not move


def test_hostile_votes_get_a_clear_error_and_change_no_tally(make) -> None:
    store = make(Limits(votes_per_second=1000))  # the rate limit has its own test
    code, secret = _room(store)
    voter = store.join(code)
    store.vote(code, voter, 0, 0)
    other_code, _ = _room(store)
    foreign = store.join(other_code)  # a real id, issued by another room
    nonce, signature = voter.split(".")
    long = "x" * 10_000
    for bad_code in ("", long, "ABCDEFG", "0O1IL2", "😺😺😺😺😺😺", "<script>", "AAAAAA"):
        _refused(store, code, poll.UnknownRoom, lambda c=bad_code: store.vote(c, voter, 0, 1))
    for bad_id in ("", long, "abc", foreign, f"{nonce}.{'0' * 16}", f"{nonce}x.{signature}",
                   voter + ".", "<img src=x>"):  # fmt: skip
        _refused(store, code, poll.BadVoter, lambda v=bad_id: store.vote(code, v, 0, 1))
    for choice in (-1, 3, 10**9, "1", 1.0, True, None, long):
        _refused(store, code, poll.BadChoice, lambda c=choice: store.vote(code, voter, 0, c))
    for qno in (1, -1, 10**9):
        _refused(store, code, poll.QuestionClosed, lambda q=qno: store.vote(code, voter, q, 1))
    store.reveal(code, secret)
    _refused(store, code, poll.QuestionClosed, lambda: store.vote(code, voter, 0, 1))
    assert store.state(code).counts == (1, 0, 0)


def test_a_vote_before_any_question_or_a_stale_question_is_refused(make) -> None:
    store = make()
    code, secret = store.create_room()
    voter = store.join(code)
    _refused(store, code, poll.QuestionClosed, lambda: store.vote(code, voter, -1, 0))
    store.set_question(code, secret, QUESTION, 3, 0)
    store.set_question(code, secret, QUESTION, 3, 0)
    _refused(store, code, poll.QuestionClosed, lambda: store.vote(code, voter, 0, 0))  # replayed
    store.vote(code, voter, 1, 0)


def test_a_hundred_votes_a_second_from_one_phone_are_cut_at_the_limit(make) -> None:
    clock = Clock()
    store = make(clock=clock)
    code, _ = _room(store)
    spammer, other = store.join(code), store.join(code)
    accepted = refused = 0
    for k in range(100):
        try:
            store.vote(code, spammer, 0, k % 3)
            accepted += 1
        except poll.RateLimited:
            refused += 1
    assert (accepted, refused) == (LIMITS.votes_per_second, 100 - LIMITS.votes_per_second)
    assert store.state(code).counts == (0, 1, 0)  # vote 5 (k = 4) was the last one recorded
    store.vote(code, other, 0, 2)  # another phone is not limited by the spammer
    clock.now += 1
    store.vote(code, spammer, 0, 0)  # the next second it may vote again
    assert store.state(code).counts == (1, 0, 1)


def test_only_the_host_secret_moves_the_room(make) -> None:
    store = make()
    code, secret = _room(store)
    for wrong in ("", "x" * 10_000, secret + "x", secret[:-1]):
        with pytest.raises(poll.NotHost):
            store.reveal(code, wrong)
        with pytest.raises(poll.NotHost):
            store.set_question(code, wrong, QUESTION, 3, 0)
        with pytest.raises(poll.NotHost):
            store.close(code, wrong)
    assert store.state(code).qno == 0 and not store.state(code).revealed
    other, _ = store.create_room()
    with pytest.raises(poll.NotHost):
        store.reveal(other, secret)  # one room's secret does not move another room


def test_a_closed_room_takes_no_joins_votes_or_questions(make) -> None:
    store = make()
    code, secret = _room(store)
    voter = store.join(code)
    store.close(code, secret)
    assert store.state(code).closed
    with pytest.raises(poll.RoomClosed):
        store.join(code)
    _refused(store, code, poll.RoomClosed, lambda: store.vote(code, voter, 0, 1))
    with pytest.raises(poll.RoomClosed):
        store.set_question(code, secret, QUESTION, 3, 0)


def test_rooms_voters_questions_and_question_size_are_bounded(make) -> None:
    store = make()
    code, secret = _room(store)
    for _ in range(LIMITS.max_voters - 0):
        store.join(code)
    with pytest.raises(poll.RoomFull):
        store.join(code)
    for _ in range(LIMITS.max_questions - 1):
        store.set_question(code, secret, QUESTION, 3, 0)
    with pytest.raises(poll.TooManyQuestions):
        store.set_question(code, secret, QUESTION, 3, 0)
    fresh, fresh_secret = store.create_room()
    with pytest.raises(poll.QuestionTooLarge):
        store.set_question(fresh, fresh_secret, {"prompt": "x" * 10_000}, 3, 0)
    for n_choices, answer in ((1, 0), (LIMITS.max_choices + 1, 0), (3, 3), (3, -1)):
        with pytest.raises(poll.BadChoice):
            store.set_question(fresh, fresh_secret, QUESTION, n_choices, answer)
    assert store.state(fresh).qno == -1
    for _ in range(LIMITS.max_rooms - 2):
        store.create_room()
    with pytest.raises(poll.TooManyRooms):
        store.create_room()


def test_rooms_expire_after_their_ttl(make) -> None:
    clock = Clock()
    store = make(Limits(ttl_s=2, max_rooms=1), clock)
    code, _ = _room(store)
    voter = store.join(code)
    clock.now += 1
    store.vote(code, voter, 0, 1)
    clock.now += 2
    time.sleep(max(0.0, clock.now - time.time() + 0.2))  # Redis expires by the real clock
    store.expire()
    with pytest.raises(poll.UnknownRoom):
        store.state(code)
    with pytest.raises(poll.UnknownRoom):
        store.vote(code, voter, 0, 1)
    store.create_room()  # the expired room no longer counts against max_rooms


def test_concurrent_votes_are_all_counted(make) -> None:
    store = make(Limits(max_voters=400, votes_per_second=100))
    code, _ = _room(store, n_choices=4, answer=0)
    voters = [store.join(code) for _ in range(400)]
    errors: list[BaseException] = []

    def cast(chunk: list[tuple[int, str]]) -> None:
        try:
            for k, voter in chunk:
                store.vote(code, voter, 0, k % 4)
                store.vote(code, voter, 0, (k + 1) % 4)  # every voter changes its mind once
        except BaseException as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    numbered = list(enumerate(voters))
    threads = [threading.Thread(target=cast, args=(numbered[i::8],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert store.state(code).counts == (100, 100, 100, 100)


def test_two_redis_clients_see_one_tally(redis_url: str) -> None:
    """Two app processes behind a proxy: each has its own client; the room is one."""
    first, second = RedisStore(redis_url, LIMITS), RedisStore(redis_url, LIMITS)
    first._redis.flushdb()
    code, secret = first.create_room()
    second.set_question(code, secret, QUESTION, 3, 1)  # the host may be served by either
    a, b = first.join(code), second.join(code)
    first.vote(code, b, 0, 1)
    second.vote(code, a, 0, 2)
    assert first.state(code).counts == second.state(code).counts == (0, 1, 1)
    second.reveal(code, secret)
    assert first.state(code).answer == 1


def _deep_size(obj: object, seen: set[int]) -> int:
    if id(obj) in seen:
        return 0
    seen.add(id(obj))
    size = sys.getsizeof(obj)
    if isinstance(obj, dict):
        size += sum(_deep_size(k, seen) + _deep_size(v, seen) for k, v in obj.items())
    elif isinstance(obj, (list, tuple, set)):
        size += sum(_deep_size(x, seen) for x in obj)
    elif hasattr(obj, "__dict__"):
        size += _deep_size(vars(obj), seen)
    return size


def test_a_full_room_stays_under_the_stated_memory_bound(make) -> None:
    """The largest question and every voter voting: Redis's MEMORY USAGE of the room's keys,
    or the in-process room's objects walked one by one, stay under Limits.room_bytes()."""
    limits = Limits()
    store = make(limits)
    code, secret = store.create_room()
    big = {"prompt": "poll.test", "args": {"word": "가" * 1000}, "choices": ["x" * 50] * 8}
    store.set_question(code, secret, big, 8, 0)
    for k in range(limits.max_voters):
        store.vote(code, store.join(code), 0, k % 8)
    if isinstance(store, RedisStore):
        used = store.room_memory(code)
    else:
        used = _deep_size(store._rooms[code], set())
    assert 20_000 < used <= limits.room_bytes() < 140_000, (used, limits.room_bytes())


def test_redis_down_is_a_clear_error(tmp_path: Path) -> None:
    with running_redis(tmp_path / "r") as url:
        store = RedisStore(url, LIMITS)
        code, _ = _room(store)
    for call in (store.create_room, lambda: store.state(code), lambda: store.join(code)):
        with pytest.raises(poll.PollUnavailable) as caught:
            call()
        assert caught.value.key == "poll.error.unavailable"
    with pytest.raises(poll.PollUnavailable):
        RedisStore("not a url")


def test_the_backend_is_chosen_by_the_environment(monkeypatch, redis_url: str) -> None:
    monkeypatch.delenv(poll.ENV_URL, raising=False)
    assert isinstance(poll.store_from_env(), MemoryStore)
    monkeypatch.setenv(poll.ENV_URL, redis_url)
    assert isinstance(poll.store_from_env(), RedisStore)


def test_the_store_is_core_code() -> None:
    """Library first: the poll's store imports no UI and loads no torch (docs/design.md)."""
    from tests.test_layers import ROOT, Package

    package = Package(ROOT)
    for name in ("seq2seq_viz.poll", "seq2seq_viz.poll_redis"):
        assert not {n for n in package.imports(name) if n.split(".")[0] in ("streamlit", "plotly")}
        assert not package.loads_torch(name), name
