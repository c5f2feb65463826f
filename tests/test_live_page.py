"""The "Watch attention learn" page through AppTest: start, the line, pause/continue, reset, both
languages; and its figures. Runs are bounded by $SEQ2SEQ_VIZ_LIVE_STEPS (the server's setting)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from seq2seq_viz.figures.live import loss_figure, probe_figure
from seq2seq_viz.i18n import strings
from seq2seq_viz.live import SLOT
from tests.tiny_models import build_models_folder

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGE = "seq2seq_viz/views/live_page.py"
EN, KO = strings("en"), strings("ko")


@pytest.fixture(scope="module")
def models_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = build_models_folder(tmp_path_factory.mktemp("live"), {"soft-general": {}})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SEQ2SEQ_VIZ_MODELS", str(root))
        mp.setenv("SEQ2SEQ_VIZ_LIVE_STEPS", "40")
        yield root


def _page(locale: str = "en-US") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.context["locale"] = locale
    at.run()
    at.switch_page(PAGE).run()
    _ok(at)
    return at


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _run(at: AppTest):
    return at.session_state["live_run"]


def test_start_trains_to_the_bound_and_shows_the_probe(models_root: Path) -> None:
    at = _page()
    assert at.title[0].value == EN["live.title"]
    assert EN["live.status.idle"] in [c.value for c in at.caption]
    at.button(key="live_start").click().run()
    _ok(at)
    run = _run(at)
    run.join(300)
    at.run()
    _ok(at)
    p = run.progress()
    assert p.status == "finished" and p.step == 40
    assert EN["live.status.finished"] in [c.value for c in at.caption]
    assert at.button(key="live_start").disabled and at.button(key="live_pause").disabled
    metric = at.metric[0]
    assert metric.label == EN["live.score"] and metric.value == f"{p.probes[-1].score:.3f}"
    at.select_slider(key="live_snap").set_value(0).run()  # look back at the untrained model
    _ok(at)
    assert at.metric[0].value == f"{p.probes[0].score:.3f}"
    run.close()


def test_the_line_pause_continue_and_reset(models_root: Path, monkeypatch) -> None:
    monkeypatch.setenv("SEQ2SEQ_VIZ_LIVE_STEPS", "100000")
    at = _page(locale="ko-KR")
    assert at.title[0].value == KO["live.title"]
    never = threading.Event()
    assert SLOT.acquire("someone else", never)
    try:
        at.button(key="live_start").click().run()
        _ok(at)
        warning = KO["live.queued"].format(position=1, waiting=1)
        assert warning in [w.value for w in at.warning]
        at.button(key="live_pause").click().run()  # leaves the line
        _ok(at)
        assert _run(at).progress().status == "idle" and SLOT.waiting() == 0
    finally:
        SLOT.release("someone else")
    at.button(key="live_start").click().run()
    run = _run(at)
    at.button(key="live_pause").click().run()
    _ok(at)
    p = run.progress()
    assert p.status == "paused" and SLOT.holder is None
    assert at.button(key="live_start").label == KO["live.resume"]
    at.button(key="live_reset").click().run()
    _ok(at)
    fresh = _run(at)
    assert fresh is not run and fresh.progress().status == "idle" and fresh.progress().step == 0
    assert not run._run_dir.exists()
    fresh.close()


def test_figures_draw_the_numbers_given() -> None:
    losses = [(s, 3.0 / s) for s in range(1, 41)]
    fig = loss_figure(losses, [(20, 0.5)], [(0, 0.2), (40, 0.9)])
    assert list(fig.data[0].y) == [v for _, v in losses]
    assert fig.data[1].y[-1] == pytest.approx(np.mean([v for _, v in losses[-20:]]))
    assert fig.data[3].yaxis == "y2" and list(fig.data[3].y) == [0.2, 0.9]
    w = np.full((3, 2), 0.5)
    heat = probe_figure(w, ["a", "<b>"], ["x", "y"], 7)
    np.testing.assert_array_equal(np.asarray(heat.data[0].z), w)
    assert list(heat.layout.xaxis.ticktext) == ["a", "&lt;b&gt;"]
    assert "7" in heat.layout.title.text
    with pytest.raises(ValueError, match="expected"):
        probe_figure(np.ones((2, 2)), ["a", "b"], ["x", "y"], 0)
