"""The process-wide LRU maps behind the step player's books and figure specs."""

from __future__ import annotations

import threading

from seq2seq_viz.views.figure_cache import LRU


def test_lru_keeps_the_most_recently_used() -> None:
    lru = LRU(2)
    lru.put("a", 1)
    lru.put("b", 2)
    assert lru.get("a") == 1  # "a" is now the most recent
    lru.put("c", 3)  # evicts "b"
    assert lru.get("b") is None
    assert (lru.get("a"), lru.get("c"), len(lru)) == (1, 3, 2)
    assert lru.put("a", 10) == 10 and lru.get("a") == 10
    lru.clear()
    assert len(lru) == 0 and lru.get("a") is None


def test_lru_under_threads_stays_bounded_and_consistent() -> None:
    lru = LRU(50)

    def work(offset: int) -> None:
        for i in range(2000):
            key = (offset + i) % 120
            value = lru.get(key)
            assert value is None or value == key * 2
            lru.put(key, key * 2)

    threads = [threading.Thread(target=work, args=(k * 7,)) for k in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(lru) == 50
