"""Server-side durations of named parts of a rerun, for bench/bench_app.py.

The browser reruns only the step fragment when Next is clicked, but AppTest always reruns the
whole script; timing the fragment's body here lets the benchmark report both. Bounded, cheap
(two clock reads), and holds nothing but numbers.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Iterator
from contextlib import contextmanager

TIMINGS: defaultdict[str, deque[float]] = defaultdict(lambda: deque(maxlen=256))


@contextmanager
def timed(name: str) -> Iterator[None]:
    """Record how long the block took, in milliseconds, under `name`."""
    start = time.perf_counter()
    try:
        yield
    finally:
        TIMINGS[name].append((time.perf_counter() - start) * 1000)
