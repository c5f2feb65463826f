"""Live training: the CLI's trainer run in a background thread lowers the loss and makes the probe's
attention align; one training at a time with a line; pause resumes exactly; reset discards."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from seq2seq_viz import live
from seq2seq_viz.live import LiveConfig, LiveRun, TrainingSlot, alignment_score


def wait_for(condition, timeout: float = 60.0) -> None:
    """Poll until `condition()` (a generous bound for a loaded machine, not a timing test)."""
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "condition not reached"
        time.sleep(0.02)


def small(**kw) -> LiveConfig:
    base = dict(task="reverse", max_steps=300, max_seconds=600, probe_every=50, n_train=1500)
    return LiveConfig(**{**base, **kw})


def test_alignment_score_uniform_and_perfect():
    gold = [[2], [1], [0], []]  # the last row (e.g. <eos>) has no link
    assert alignment_score(np.full((4, 3), 1 / 3), gold) == pytest.approx(1 / 3)
    assert alignment_score(np.eye(4, 3)[[2, 1, 0, 0]], gold) == pytest.approx(1.0)
    assert np.isnan(alignment_score(np.eye(2), [[], []]))


def test_live_training_lowers_the_loss_and_aligns_the_probe():
    run = LiveRun(small(), slot=TrainingSlot())
    try:
        assert run.start()
        run.join(600)
        p = run.progress()
        assert p.status == "finished", p.message
        assert p.step == 300 and [s for s, _ in p.losses] == list(range(1, 301))
        first = np.mean([x for _, x in p.losses[:10]])
        last = np.mean([x for _, x in p.losses[-10:]])
        assert last < 0.3 * first, (first, last)
        scores = [q.score for q in p.probes]
        assert [q.step for q in p.probes] == list(range(0, 301, 50))
        assert scores[0] < 0.35 and scores[-1] > 0.6, scores  # from near 1/S to the anti-diagonal
        w = p.probes[-1].weights
        assert w.shape == (len(p.probe_ref) + 1, len(p.probe_src))  # teacher forced, with <eos>
        np.testing.assert_allclose(w.sum(1), 1, atol=1e-5)
        assert p.probe_ref == p.probe_src[::-1]
        assert p.valid and all(np.isfinite(v) for _, v in p.valid)
        assert not run.start()  # a finished run does not start again
    finally:
        run.close()


def test_the_slot_admits_one_training_at_a_time_in_order():
    slot = TrainingSlot()
    never = threading.Event()
    assert slot.acquire("a", never)
    got: list[str] = []
    cancel_c = threading.Event()
    b = threading.Thread(target=lambda: slot.acquire("b", never) and got.append("b"))
    c = threading.Thread(target=lambda: got.append(str(slot.acquire("c", cancel_c))))
    b.start()
    wait_for(lambda: slot.position("b") == 1)
    c.start()
    wait_for(lambda: slot.position("c") == 2)
    assert slot.holder == "a" and got == []
    cancel_c.set()  # c leaves the line
    c.join(10)
    assert got == ["False"] and slot.position("c") == 0
    slot.release("b")  # only the holder can release
    assert slot.holder == "a"
    slot.release("a")
    b.join(10)
    assert got == ["False", "b"] and slot.holder == "b" and slot.waiting() == 0


def test_a_second_run_waits_in_line_with_its_place():
    slot = TrainingSlot()
    never = threading.Event()
    assert slot.acquire("someone else", never)
    run = LiveRun(small(max_steps=20), slot=slot)
    try:
        run.start()
        wait_for(lambda: run.progress().status == "queued" and run.progress().queue_position == 1)
        assert run.progress().step == 0
        slot.release("someone else")
        run.join(600)
        assert run.progress().status == "finished" and run.progress().step == 20
        assert slot.holder is None
    finally:
        run.close()


def test_pause_frees_the_slot_and_resumes_exactly():
    """30 steps, pause, 30 more equal 60 uninterrupted steps (the trainer's resume file)."""
    straight = LiveRun(small(max_steps=60), slot=TrainingSlot())
    straight.start()
    straight.join(600)
    expected = straight.progress().losses
    straight.close()

    slot = TrainingSlot()
    run = LiveRun(small(max_steps=60), slot=slot)
    on_step = run._on_step

    def pause_at_30(loop, nll):
        on_step(loop, nll)
        if loop.steps == 30:
            run.pause()

    run._on_step = pause_at_30
    try:
        run.start()
        run.join(600)
        p = run.progress()
        assert p.status == "paused" and p.step == 30 and slot.holder is None
        assert (run._run_dir / "resume.safetensors").is_file()
        assert run.start()
        run.join(600)
        p = run.progress()
        assert p.status == "finished" and [s for s, _ in p.losses] == list(range(1, 61))
        np.testing.assert_allclose([x for _, x in p.losses], [x for _, x in expected], rtol=1e-5)
    finally:
        run.close()


def test_pausing_while_queued_leaves_the_line_and_reset_removes_the_files():
    slot = TrainingSlot()
    never = threading.Event()
    assert slot.acquire("other", never)
    run = LiveRun(small(), slot=slot)
    run.start()
    wait_for(lambda: slot.position(run.id) == 1)
    run.pause()
    run.join(30)
    assert run.progress().status == "idle" and slot.waiting() == 0
    folder = run._run_dir
    assert folder.is_dir()
    run.close()
    assert not folder.exists()


@pytest.mark.parametrize("task", ["dates", "corpus"])
def test_tasks_probe_and_bundled_slice(task):
    run = LiveRun(small(task=task, max_steps=2), slot=TrainingSlot())
    try:
        p = run.progress()
        assert p.status == "idle" and len(p.probes) == 1 and p.probes[0].step == 0
        if task == "dates":
            assert p.probe_ref == list("1987-03-21")
            assert p.probes[0].score is not None
        else:
            assert p.probe_src == ["i", "am", "very", "happy", "."]
            assert "<unk>" not in p.probe_ref and p.probes[0].score is None
            assert len(live.read_slice()) == 3000
            assert "CC BY 2.0" in (live.SLICE.parent / "SOURCE.md").read_text()
        run.start()
        run.join(600)
        assert run.progress().status == "finished"
    finally:
        run.close()
