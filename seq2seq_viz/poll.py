"""The class poll's store: rooms, the current question, one vote per phone, the tally.

One small interface (:class:`PollStore`), two backends:

- :class:`MemoryStore`: a dict guarded by a lock, inside one app process (the default: one
  process, e.g. Streamlit Community Cloud);
- :class:`RedisStore`: Redis, when ``SEQ2SEQ_VIZ_REDIS_URL`` is set, so that every app process
  behind a proxy sees one room and one tally. Every change is one Lua script (atomic).

:func:`store_from_env` picks one. Nothing here imports streamlit.

A room: ``create_room()`` gives a code (6 characters from :data:`ALPHABET`, which has no
look-alikes such as 0/O, 1/I/L, 2/Z, 5/S, 8/B) for the join link, and a host secret that only the
lecturer's session keeps (never in the link): ``set_question``, ``reveal`` and ``close`` need it.
A phone calls ``join(code)`` once and gets a voter id signed by the room (HMAC-SHA256 with a
per-room random key): a forged id, or one issued by another room, is refused. ``vote`` records
one choice per voter for the current question (a second vote replaces the first) and refuses,
with a :class:`PollError` whose ``key`` is an i18n key and without touching the tally: an
unknown or expired room, a closed room, a question that is not current or already revealed, a
choice out of range, a bad voter id, more than :attr:`Limits.votes_per_second` votes a second
from one voter. Only the current question's votes are kept (the next question clears them).

Bounds (:class:`Limits`): rooms alive at once, voters per room, questions per room, the size of a
question's JSON. A room lives :attr:`Limits.ttl_s` seconds (3 hours) from its creation. Memory
per room is bounded by :meth:`Limits.room_bytes` (one question of at most 4 KB, at most 500
voters' votes and rate counters); tests/test_poll.py measures it in
Redis with ``MEMORY USAGE`` (a full room: about 50 KB) and in-process by walking the objects
(about 115 KB); with the defaults the bound is 134 KB, so 200 rooms stay under 27 MB.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

# Room codes: no characters that read alike on a projector or a phone (0 O Q D, 1 I L, 2 Z,
# 5 S, 6 G, 8 B, U V): 19 ** 6 = 47 million codes.
ALPHABET = "ACEFHJKMNPRTWXY3479"
CODE_LENGTH = 6
ENV_URL = "SEQ2SEQ_VIZ_REDIS_URL"
MAX_ID_CHARS = 64  # a voter id is 12 + 1 + 16 characters; anything longer is refused unread


@dataclass(frozen=True)
class Limits:
    ttl_s: int = 3 * 3600
    max_rooms: int = 200
    max_voters: int = 500
    max_questions: int = 60
    max_choices: int = 8
    max_question_bytes: int = 4096
    votes_per_second: int = 5

    def room_bytes(self) -> int:
        """An upper bound of the bytes one room holds, in either backend: its question (JSON,
        or Python's dicts and strings made from it, about 3 times its size) and per voter an id,
        a choice and a rate counter (Python's dict entries, strings and tuples: about 230 bytes).
        """
        return 1024 + 3 * self.max_question_bytes + self.max_voters * 240


class PollError(Exception):
    """A refused request; ``key`` is the i18n key of the message the view shows."""

    key = "poll.error"

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail or self.key)


class UnknownRoom(PollError):
    key = "poll.error.unknown_room"


class RoomClosed(PollError):
    key = "poll.error.room_closed"


class QuestionClosed(PollError):
    key = "poll.error.question_closed"


class BadChoice(PollError):
    key = "poll.error.bad_choice"


class BadVoter(PollError):
    key = "poll.error.bad_voter"


class RateLimited(PollError):
    key = "poll.error.rate_limited"


class RoomFull(PollError):
    key = "poll.error.room_full"


class TooManyRooms(PollError):
    key = "poll.error.too_many_rooms"


class TooManyQuestions(PollError):
    key = "poll.error.too_many_questions"


class QuestionTooLarge(PollError):
    key = "poll.error.question_too_large"


class NotHost(PollError):
    key = "poll.error.not_host"


class PollUnavailable(PollError):
    """The store cannot be reached (Redis down): the app goes on without polls."""

    key = "poll.error.unavailable"


@dataclass(frozen=True)
class RoomState:
    """What the projector and the phones read. ``answer`` is None until the reveal."""

    code: str
    qno: int  # the current question's number, 0-based; -1 before the first
    question: dict[str, Any] | None
    counts: tuple[int, ...]
    revealed: bool
    answer: int | None
    closed: bool
    voters: int
    expires_at: float

    @property
    def total(self) -> int:
        return sum(self.counts)


class PollStore(Protocol):
    limits: Limits

    def create_room(self) -> tuple[str, str]: ...
    def join(self, code: str) -> str: ...
    def set_question(self, code: str, secret: str, question: dict, n_choices: int,
                     answer: int) -> int: ...  # fmt: skip
    def vote(self, code: str, voter: str, qno: int, choice: int) -> None: ...
    def my_vote(self, code: str, voter: str, qno: int) -> int | None: ...
    def state(self, code: str) -> RoomState: ...
    def reveal(self, code: str, secret: str) -> None: ...
    def close(self, code: str, secret: str) -> None: ...
    def expire(self) -> int: ...


def normalize_code(code: object) -> str:
    """The code as stored (upper case, no spaces or dashes); UnknownRoom when it cannot be one."""
    text = str(code)[: CODE_LENGTH * 4].upper().replace(" ", "").replace("-", "")
    if len(text) != CODE_LENGTH or any(ch not in ALPHABET for ch in text):
        raise UnknownRoom()
    return text


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def hash_secret(secret: object) -> str:
    return hashlib.sha256(str(secret)[:200].encode("utf-8", "replace")).hexdigest()


def sign_voter(room_key: str, code: str) -> str:
    nonce = secrets.token_urlsafe(9)  # 12 characters
    return f"{nonce}.{_signature(room_key, code, nonce)}"


def voter_ok(room_key: str, code: str, voter: object) -> bool:
    text = str(voter)
    if len(text) > MAX_ID_CHARS or text.count(".") != 1:
        return False
    nonce, signature = text.split(".")
    return hmac.compare_digest(signature, _signature(room_key, code, nonce))


def _signature(room_key: str, code: str, nonce: str) -> str:
    message = f"{code}:{nonce}".encode("utf-8", "replace")
    return hmac.new(bytes.fromhex(room_key), message, hashlib.sha256).hexdigest()[:16]


def encode_question(question: dict, n_choices: int, answer: int, limits: Limits) -> str:
    """The question as stored (JSON), after checking its size and its choices."""
    if not 2 <= int(n_choices) <= limits.max_choices or not 0 <= int(answer) < int(n_choices):
        raise BadChoice("a question needs 2..max_choices choices and an answer among them")
    payload = json.dumps(question, ensure_ascii=False, separators=(",", ":"))
    if len(payload.encode("utf-8")) > limits.max_question_bytes:
        raise QuestionTooLarge()
    return payload


def _choice(choice: object, n_choices: int) -> int:
    if isinstance(choice, bool) or not isinstance(choice, int) or not 0 <= choice < n_choices:
        raise BadChoice()
    return choice


# ---------------------------------------------------------------- memory backend


@dataclass
class _Room:
    key: str
    secret: str  # sha256 of the host secret
    expires_at: float
    qno: int = -1
    question: dict | None = None
    n_choices: int = 0
    answer: int = 0
    revealed: bool = False
    closed: bool = False
    voters: int = 0
    votes: dict[str, int] = field(default_factory=dict)
    rate: dict[str, tuple[int, int]] = field(default_factory=dict)  # voter -> (second, count)


class MemoryStore:
    """Rooms in this process's memory (one app process)."""

    def __init__(self, limits: Limits | None = None, clock: Callable[[], float] = time.time):
        self.limits = limits or Limits()
        self._clock = clock
        self._rooms: dict[str, _Room] = {}
        self._lock = threading.Lock()

    def create_room(self) -> tuple[str, str]:
        with self._lock:
            self._sweep()
            if len(self._rooms) >= self.limits.max_rooms:
                raise TooManyRooms()
            code = new_code()
            while code in self._rooms:
                code = new_code()
            secret = secrets.token_urlsafe(24)
            expires = self._clock() + self.limits.ttl_s
            self._rooms[code] = _Room(secrets.token_hex(32), hash_secret(secret), expires)
            return code, secret

    def join(self, code: str) -> str:
        with self._lock:
            code, room = self._room(code)
            if room.closed:
                raise RoomClosed()
            if room.voters >= self.limits.max_voters:
                raise RoomFull()
            room.voters += 1
            return sign_voter(room.key, code)

    def set_question(self, code: str, secret: str, question: dict, n_choices: int,
                     answer: int) -> int:  # fmt: skip
        payload = encode_question(question, n_choices, answer, self.limits)
        with self._lock:
            _, room = self._host(code, secret)
            if room.qno + 1 >= self.limits.max_questions:
                raise TooManyQuestions()
            room.qno += 1
            room.question, room.n_choices, room.answer = json.loads(payload), n_choices, answer
            room.revealed, room.votes, room.rate = False, {}, {}
            return room.qno

    def vote(self, code: str, voter: str, qno: int, choice: int) -> None:
        with self._lock:
            code, room = self._room(code)
            if not voter_ok(room.key, code, voter):
                raise BadVoter()
            self._count_rate(room, voter)
            if room.closed:
                raise RoomClosed()
            if room.question is None or qno != room.qno or room.revealed:
                raise QuestionClosed()
            room.votes[voter] = _choice(choice, room.n_choices)

    def my_vote(self, code: str, voter: str, qno: int) -> int | None:
        with self._lock:
            code, room = self._room(code)
            if qno != room.qno or not voter_ok(room.key, code, voter):
                return None
            return room.votes.get(voter)

    def state(self, code: str) -> RoomState:
        with self._lock:
            code, room = self._room(code)
            counts = [0] * room.n_choices
            for choice in room.votes.values():
                counts[choice] += 1
            return RoomState(code, room.qno, room.question, tuple(counts), room.revealed,
                             room.answer if room.revealed else None, room.closed, room.voters,
                             room.expires_at)  # fmt: skip

    def reveal(self, code: str, secret: str) -> None:
        with self._lock:
            _, room = self._host(code, secret)
            if room.question is None:
                raise QuestionClosed()
            room.revealed = True

    def close(self, code: str, secret: str) -> None:
        with self._lock:
            _, room = self._host(code, secret)
            room.closed = True

    def expire(self) -> int:
        with self._lock:
            return self._sweep()

    def _sweep(self) -> int:
        now = self._clock()
        gone = [code for code, room in self._rooms.items() if room.expires_at <= now]
        for code in gone:
            del self._rooms[code]
        return len(gone)

    def _room(self, code: str) -> tuple[str, _Room]:
        code = normalize_code(code)
        room = self._rooms.get(code)
        if room is None or room.expires_at <= self._clock():
            raise UnknownRoom()
        return code, room

    def _host(self, code: str, secret: str) -> tuple[str, _Room]:
        code, room = self._room(code)
        if not hmac.compare_digest(room.secret, hash_secret(secret)):
            raise NotHost()
        if room.closed:
            raise RoomClosed()
        return code, room

    def _count_rate(self, room: _Room, voter: str) -> None:
        second = int(self._clock())
        last, count = room.rate.get(voter, (second, 0))
        count = count + 1 if last == second else 1
        room.rate[voter] = (second, count)
        if count > self.limits.votes_per_second:
            raise RateLimited()


def store_from_env(limits: Limits | None = None) -> PollStore:
    """Redis when ``SEQ2SEQ_VIZ_REDIS_URL`` is set, else this process's memory."""
    url = os.environ.get(ENV_URL, "").strip()
    if url:
        from seq2seq_viz.poll_redis import RedisStore

        return RedisStore(url, limits)
    return MemoryStore(limits)
