"""Watch attention learn: a small model trains live in this session (`seq2seq_viz.live`, the
command line's trainer in a background thread); the page polls it and redraws the loss curve and
the probe sentence's attention, with start, pause and reset. One training runs at a time per
server process; the others see their place in line."""

from __future__ import annotations

import streamlit as st

from seq2seq_viz.i18n import tr
from seq2seq_viz.live import SLOT, TASKS, LiveRun, Progress, page_config
from seq2seq_viz.views.common import chart, labels, page_header
from seq2seq_viz.views.controls import current
from seq2seq_viz.views.safe import escape_markdown

RUN = "live_run"
ACTIVE = ("queued", "running")
POLL_SECONDS = 1.0


def _figures():  # plotly builders, imported with the page
    from seq2seq_viz.figures.live import loss_figure, probe_figure

    return loss_figure, probe_figure


def render() -> None:
    c = current()
    page_header("live.title", "live.intro", c)
    run: LiveRun | None = st.session_state.get(RUN)
    busy = run is not None and run.progress().status in ACTIVE
    task = st.segmented_control(
        tr("live.task"),
        TASKS,
        default=run.cfg.task if run is not None else TASKS[0],
        format_func=lambda k: tr(f"live.task.{k}"),
        required=True,
        key="live_task",
        disabled=busy,
    )
    if run is None or run.cfg.task != task:
        run = _new_run(run, task)
    _buttons(run)
    _live_view(run)


def _new_run(old: LiveRun | None, task: str) -> LiveRun:
    if old is not None:
        old.close()
    with st.spinner(tr("live.preparing")):
        run = LiveRun(page_config(task))
    st.session_state[RUN] = run
    return run


def _buttons(run: LiveRun) -> None:
    status = run.progress().status
    a, b, d, _ = st.columns([1, 1, 1, 3])
    label = tr("live.resume") if status == "paused" else tr("live.start")
    if a.button(label, key="live_start", type="primary", disabled=status not in ("idle", "paused"),
                icon=":material/play_arrow:"):  # fmt: skip
        run.start()
        st.rerun()
    if b.button(tr("live.pause"), key="live_pause", disabled=status not in ACTIVE,
                icon=":material/pause:"):  # fmt: skip
        run.pause()
        run.join(30)
        st.rerun()
    if d.button(tr("live.reset"), key="live_reset", icon=":material/restart_alt:"):
        _new_run(run, run.cfg.task)
        st.rerun()


def _live_view(run: LiveRun) -> None:
    active = run.progress().status in ACTIVE

    @st.fragment(run_every=POLL_SECONDS if active else None)
    def live() -> None:
        p = run.progress()
        _status(p)
        _curves_and_probe(p)
        if active and p.status not in ACTIVE:
            st.rerun(scope="app")  # finished or paused: redraw the buttons, stop polling

    live()


def _status(p: Progress) -> None:
    done = min(max(p.step / p.max_steps, p.seconds / p.max_seconds), 1.0)
    text = tr("live.progress", step=p.step, steps=p.max_steps, seconds=p.seconds,
             limit=p.max_seconds)  # fmt: skip
    st.progress(done, text=text)
    if p.status == "queued":
        st.warning(tr("live.queued", position=p.queue_position, waiting=SLOT.waiting()))
    elif p.status == "error":
        st.error(tr("live.error", error=p.message))
    else:
        st.caption(tr(f"live.status.{p.status}"))


def _curves_and_probe(p: Progress) -> None:
    loss_figure, probe_figure = _figures()
    lab = labels()
    left, right = st.columns([1, 1], gap="large")
    with left:
        scores = [(q.step, q.score) for q in p.probes if q.score is not None]
        chart(loss_figure(p.losses, p.valid, scores, labels=lab), "live_loss")
        st.caption(tr("live.loss_explain"))
    with right:
        probe = p.probes[-1]
        if p.status not in ACTIVE and len(p.probes) > 1:
            steps = [q.step for q in p.probes]
            if st.session_state.get("live_snap") not in steps:
                st.session_state["live_snap"] = steps[-1]
            pick = st.select_slider(tr("live.snapshot"), steps, key="live_snap")
            probe = p.probes[steps.index(pick)]
        fig = probe_figure(probe.weights, p.probe_src, p.probe_ref, probe.step, labels=lab)
        chart(fig, "live_probe")
        output = " ".join(probe.output) or "∅"
        st.markdown(tr("live.probe_output", step=probe.step, output=escape_markdown(output)))
        st.caption(tr("live.probe_ref", ref=escape_markdown(" ".join(p.probe_ref))))
        if probe.score is not None:
            st.metric(tr("live.score"), f"{probe.score:.3f}",
                      help=tr("live.score_help", uniform=1 / len(p.probe_src)))  # fmt: skip


if __name__ == "__main__":  # run as a page by st.navigation
    render()
