"""The class poll's store in Redis (``SEQ2SEQ_VIZ_REDIS_URL``): one room and one tally for every
app process behind the proxy. Same interface and rules as :class:`seq2seq_viz.poll.MemoryStore`.

Keys of room CODE (the ``{CODE}`` hash tag keeps them on one Redis Cluster slot):

- ``s2s:poll:{CODE}``        hash: key (HMAC key, hex), secret (sha256 of the host secret), exp
                             (expiry, Unix seconds), qno, n (choices), answer, revealed, closed,
                             voters, question (JSON);
- ``s2s:poll:{CODE}:votes``  hash voter id -> choice, for the current question only;
- ``s2s:poll:{CODE}:rate``   hash voter id -> "second:count" (the rate limit);
- ``s2s:poll:rooms``         sorted set code -> expiry, to bound the rooms alive at once.

Every key of a room expires at the room's ``exp`` (EXPIREAT). Each change is one Lua script, so
two app processes never interleave inside one (a vote checks the question and records the choice
atomically). A connection or timeout error becomes :class:`PollUnavailable`.
"""

from __future__ import annotations

import json
import math
import secrets
import time
from collections.abc import Callable
from typing import Any

import redis

from seq2seq_viz.poll import (
    BadChoice,
    BadVoter,
    Limits,
    NotHost,
    PollError,
    PollUnavailable,
    QuestionClosed,
    RateLimited,
    RoomClosed,
    RoomFull,
    RoomState,
    TooManyQuestions,
    TooManyRooms,
    UnknownRoom,
    encode_question,
    hash_secret,
    new_code,
    normalize_code,
    sign_voter,
    voter_ok,
)

ROOMS = "s2s:poll:rooms"
ERRORS: dict[str, type[PollError]] = {
    "unknown": UnknownRoom,
    "closed": RoomClosed,
    "full": RoomFull,
    "not_host": NotHost,
    "too_many_rooms": TooManyRooms,
    "too_many_questions": TooManyQuestions,
    "question_closed": QuestionClosed,
    "bad_choice": BadChoice,
    "rate": RateLimited,
}

CREATE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 'too_many_rooms' end
if redis.call('EXISTS', KEYS[2]) == 1 then return 'taken' end
redis.call('HSET', KEYS[2], 'key', ARGV[4], 'secret', ARGV[5], 'exp', ARGV[2], 'qno', -1,
  'n', 0, 'answer', 0, 'revealed', 0, 'closed', 0, 'voters', 0, 'question', '')
redis.call('EXPIREAT', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[6])
return 'ok'
"""
JOIN = """
local r = redis.call('HMGET', KEYS[1], 'key', 'closed', 'voters')
if not r[1] then return {'unknown'} end
if r[2] == '1' then return {'closed'} end
if tonumber(r[3]) >= tonumber(ARGV[1]) then return {'full'} end
redis.call('HINCRBY', KEYS[1], 'voters', 1)
return {'ok', r[1]}
"""
HOST = """
local r = redis.call('HMGET', KEYS[1], 'secret', 'closed', 'qno', 'exp', 'n')
if not r[1] then return {'unknown'} end
if r[1] ~= ARGV[1] then return {'not_host'} end
if r[2] == '1' then return {'closed'} end
"""
SET_QUESTION = (
    HOST
    + """
local qno = tonumber(r[3]) + 1
if qno >= tonumber(ARGV[5]) then return {'too_many_questions'} end
redis.call('HSET', KEYS[1], 'qno', qno, 'question', ARGV[2], 'n', ARGV[3], 'answer', ARGV[4],
  'revealed', 0)
redis.call('DEL', KEYS[2], KEYS[3])
return {'ok', qno}
"""
)
REVEAL = (
    HOST
    + """
if tonumber(r[3]) < 0 then return {'question_closed'} end
redis.call('HSET', KEYS[1], 'revealed', 1)
return {'ok'}
"""
)
CLOSE = (
    HOST
    + """
redis.call('HSET', KEYS[1], 'closed', 1)
return {'ok'}
"""
)
VOTE = """
local r = redis.call('HMGET', KEYS[1], 'qno', 'n', 'revealed', 'closed', 'exp')
if not r[1] then return 'unknown' end
local count = 1
local prev = redis.call('HGET', KEYS[3], ARGV[1])
if prev then
  local second, n = string.match(prev, '^(%d+):(%d+)$')
  if second == ARGV[4] then count = tonumber(n) + 1 end
end
redis.call('HSET', KEYS[3], ARGV[1], ARGV[4] .. ':' .. count)
redis.call('EXPIREAT', KEYS[3], r[5])
if count > tonumber(ARGV[5]) then return 'rate' end
if r[4] == '1' then return 'closed' end
if tonumber(r[1]) < 0 or r[1] ~= ARGV[2] or r[3] == '1' then return 'question_closed' end
local choice = tonumber(ARGV[3])
if choice < 0 or choice >= tonumber(r[2]) then return 'bad_choice' end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('EXPIREAT', KEYS[2], r[5])
return 'ok'
"""


def _keys(code: str) -> list[str]:
    room = f"s2s:poll:{{{code}}}"
    return [room, f"{room}:votes", f"{room}:rate"]


def _raise(status: Any) -> None:
    if status != "ok":
        raise ERRORS.get(str(status), PollError)(str(status))


class RedisStore:
    """Rooms in Redis at `url` (``redis://host:port/db``)."""

    def __init__(
        self, url: str, limits: Limits | None = None, clock: Callable[[], float] = time.time
    ):
        self.limits = limits or Limits()
        self._clock = clock
        try:
            self._redis = redis.Redis.from_url(
                url, decode_responses=True, socket_timeout=2, socket_connect_timeout=2
            )
        except ValueError as error:  # a malformed URL
            raise PollUnavailable(str(error)) from error
        self._scripts = {
            name: self._redis.register_script(source)
            for name, source in {
                "create": CREATE,
                "join": JOIN,
                "set_question": SET_QUESTION,
                "reveal": REVEAL,
                "close": CLOSE,
                "vote": VOTE,
            }.items()
        }

    def _run(self, name: str, keys: list[str], args: list[Any]) -> Any:
        try:
            return self._scripts[name](keys=keys, args=args)
        except redis.RedisError as error:
            raise PollUnavailable(f"{type(error).__name__}: {error}") from error

    def _call(self, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except redis.RedisError as error:
            raise PollUnavailable(f"{type(error).__name__}: {error}") from error

    def ping(self) -> None:
        self._call(self._redis.ping)

    def create_room(self) -> tuple[str, str]:
        secret = secrets.token_urlsafe(24)
        expires = math.ceil(self._clock() + self.limits.ttl_s)
        for _ in range(20):
            code = new_code()
            status = self._run("create", [ROOMS, _keys(code)[0]], [
                int(self._clock()), expires, self.limits.max_rooms, secrets.token_hex(32),
                hash_secret(secret), code])  # fmt: skip
            if status != "taken":
                _raise(status)
                return code, secret
        raise TooManyRooms("no free code")

    def join(self, code: str) -> str:
        code = normalize_code(code)
        reply = self._run("join", _keys(code)[:1], [self.limits.max_voters])
        _raise(reply[0])
        return sign_voter(reply[1], code)

    def set_question(self, code: str, secret: str, question: dict, n_choices: int,
                     answer: int) -> int:  # fmt: skip
        payload = encode_question(question, n_choices, answer, self.limits)
        code = normalize_code(code)
        reply = self._run("set_question", _keys(code), [
            hash_secret(secret), payload, int(n_choices), int(answer),
            self.limits.max_questions])  # fmt: skip
        _raise(reply[0])
        return int(reply[1])

    def vote(self, code: str, voter: str, qno: int, choice: int) -> None:
        code = normalize_code(code)
        if isinstance(choice, bool) or not isinstance(choice, int):
            raise BadChoice()
        key = self._call(lambda: self._redis.hget(_keys(code)[0], "key"))
        if key is None:
            raise UnknownRoom()
        if not voter_ok(key, code, voter):
            raise BadVoter()
        status = self._run("vote", _keys(code), [
            voter, int(qno), choice, int(self._clock()), self.limits.votes_per_second])  # fmt: skip
        _raise(status)

    def my_vote(self, code: str, voter: str, qno: int) -> int | None:
        code = normalize_code(code)
        room, votes, _ = _keys(code)
        key, current = self._call(lambda: self._redis.hmget(room, "key", "qno"))
        if key is None:
            raise UnknownRoom()
        if str(qno) != current or not voter_ok(key, code, voter):
            return None
        choice = self._call(lambda: self._redis.hget(votes, voter))
        return None if choice is None else int(choice)

    def state(self, code: str) -> RoomState:
        code = normalize_code(code)
        room, votes, _ = _keys(code)

        def read() -> list[Any]:
            with self._redis.pipeline(transaction=True) as pipe:
                return pipe.hgetall(room).hvals(votes).execute()

        fields, chosen = self._call(read)
        if not fields:
            raise UnknownRoom()
        counts = [0] * int(fields["n"])
        for choice in chosen:
            if 0 <= int(choice) < len(counts):
                counts[int(choice)] += 1
        revealed = fields["revealed"] == "1"
        return RoomState(
            code,
            int(fields["qno"]),
            json.loads(fields["question"]) if fields["question"] else None,
            tuple(counts),
            revealed,
            int(fields["answer"]) if revealed else None,
            fields["closed"] == "1",
            int(fields["voters"]),
            float(fields["exp"]),
        )

    def reveal(self, code: str, secret: str) -> None:
        code = normalize_code(code)
        _raise(self._run("reveal", _keys(code)[:1], [hash_secret(secret)])[0])

    def close(self, code: str, secret: str) -> None:
        code = normalize_code(code)
        _raise(self._run("close", _keys(code)[:1], [hash_secret(secret)])[0])

    def expire(self) -> int:
        """Forget expired rooms in the room count (their keys expire by themselves)."""
        return int(self._call(lambda: self._redis.zremrangebyscore(ROOMS, "-inf", self._clock())))

    def room_memory(self, code: str) -> int:
        """Bytes Redis uses for this room's keys (``MEMORY USAGE``; tests and the benchmark)."""
        code = normalize_code(code)
        return sum(int(self._redis.memory_usage(key, samples=0) or 0) for key in _keys(code))
