"""Bounds for the lab's heavy work on a shared server: input length, time, one job at a time.

Every heavy entry point (attributions, fooling, neighbour search) checks the sentence length
before any model work, runs inside :func:`heavy_job` (one per process: a second caller gets
:class:`Busy` at once instead of queueing behind it) and checks a :class:`Deadline` between its
pieces of work. The lock is per process, so other processes (replicas) never wait on it; inside
one process, a Streamlit session's ordinary stepping takes no lock and is never blocked.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

MAX_SRC_TOKENS = 30  # source tokens (the shipped models were trained on <= 15)
MAX_OUT_STEPS = 32  # decoder steps of the translation being explained
TIME_LIMIT_S = 45.0  # one heavy job's wall-clock budget (2 shared cores under load)

Progress = Callable[[float, str], None]  # (fraction done 0..1, what is running)

_LOCK = threading.Lock()


class TooLong(ValueError):
    """The sentence is longer than the lab accepts."""

    def __init__(self, what: str, n: int, limit: int) -> None:
        super().__init__(f"{what} has {n} tokens; the lab takes at most {limit}")
        self.what, self.n, self.limit = what, n, limit


class Busy(RuntimeError):
    """Another heavy job is running in this process."""


class TimeUp(RuntimeError):
    """A job ran past its time limit."""


def check_lengths(n_src: int, n_out: int | None = None) -> None:
    """Raise TooLong for a source or output past the caps."""
    if n_src > MAX_SRC_TOKENS:
        raise TooLong("the source", n_src, MAX_SRC_TOKENS)
    if n_out is not None and n_out > MAX_OUT_STEPS:
        raise TooLong("the translation", n_out, MAX_OUT_STEPS)


@contextmanager
def heavy_job(wait_s: float = 0.0, threads: int = 1) -> Iterator[None]:
    """Hold the process's heavy-job lock (wait at most `wait_s` for it, else raise Busy), with
    torch on `threads` intra-op threads meanwhile (restored afterwards). One thread leaves the
    other cores to other sessions, and on a loaded machine it is also the fastest: with 2
    threads on 2 busy cores, integrated gradients ran over 25 times slower (OpenMP threads
    waiting on each other; measured in docs/explain.md)."""
    import torch

    if not _LOCK.acquire(timeout=wait_s) if wait_s > 0 else not _LOCK.acquire(blocking=False):
        raise Busy("another explanation is running in this process; try again shortly")
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)
        _LOCK.release()


class Deadline:
    """A wall-clock budget: ``check()`` raises TimeUp once it is spent."""

    def __init__(self, seconds: float = TIME_LIMIT_S) -> None:
        self.seconds = seconds
        self.start = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def check(self) -> None:
        if self.elapsed() > self.seconds:
            raise TimeUp(f"stopped after {self.elapsed():.1f} s (limit {self.seconds:.0f} s)")


def no_progress(fraction: float, what: str) -> None:
    """The default progress callback: report nothing."""
