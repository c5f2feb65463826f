"""Load benchmark (not a test): many concurrent sessions stepping through sentences against one
app process, on 127.0.0.1 only, bounded in time and count.

    python bench/bench_load.py [--clients 20] [--seconds 60] [--think 1.0]

Each client is a raw Streamlit websocket session speaking the app's own protocol (the protobuf
BackMsg / ForwardMsg messages a browser exchanges): it opens the step page on a sentence with
one of the models (clients take the models in turn, so every model gets loaded), clicks "Next"
until the last decoder step, then types the next sentence, until the time is up. A person
thinks between clicks (`--think` seconds, +-50 %). Why not 20 Chromium tabs: on our 2 shared
cores twenty renderers drawing a dozen plotly charts per click would measure Chromium, not the
app; the server's work per click is the same either way (tests/e2e covers the browser).

Measured: latency from sending a click (or a sentence) to the server's "script finished", per
kind (first load, step, new sentence); errors (exceptions shown by the app, failed runs,
disconnects, time-outs); the app process's resident memory (VmRSS) before the clients, after
every client's first page (every model loaded), at the end, and its peak (VmHWM).
Goals: 0 errors, p95 step < 1 s, growth < 100 MB, peak < 700 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402

from seq2seq_viz.checkpoints import PRETRAINED_DIR, list_models  # noqa: E402
from tests.e2e import harness  # noqa: E402

FINISHED = {0, 3}  # FINISHED_SUCCESSFULLY, FINISHED_FRAGMENT_RUN_SUCCESSFULLY
EARLY = 2  # FINISHED_EARLY_FOR_RERUN: another run follows
REQUEST_TIMEOUT = 60.0
SENTENCES = [
    "the black cat is sleeping .",
    "i have a red car .",
    "she is reading a very interesting book .",
    "we are going to the beach tomorrow .",
    "he does not like cold coffee .",
    "my brother lives in a big house .",
]
TOY_INPUTS = {
    "toy-reverse": ["h e l l o", "a b c d e f g h", "s t r e a m"],
    "toy-dates": ["march 12 , 1999", "the 3 of may 2005", "12/10/2005"],
}


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    first_pages: int = 0

    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    def add(self, kind: str, seconds: float) -> None:
        self.latencies.setdefault(kind, []).append(seconds)


@dataclass
class RunResult:
    """What one run sent back: widget ids, the step slider's range, the fragment of "Next"."""

    ids: dict[str, str] = field(default_factory=dict)  # user key -> widget id
    step_max: int = 0
    fragment: str = ""
    step: int = -1  # the step slider's value as drawn by this run
    errors: list[str] = field(default_factory=list)


class Client:
    """One Streamlit session over a websocket, as a browser tab would hold it."""

    def __init__(self, url: str, model: str, sentences: list[str], stats: Stats) -> None:
        self.url, self.model, self.sentences, self.stats = url, model, sentences, stats
        self.ids: dict[str, str] = {}
        self.fragment = ""

    async def run(self, deadline: float, think: float) -> None:
        ws_url = self.url.replace("http://", "ws://") + "/_stcore/stream"
        async with websockets.connect(ws_url, subprotocols=["streamlit"], max_size=None) as ws:
            self.ws = ws
            k = random.randrange(len(self.sentences))
            result = await self.request("first page", self._first_page(self.sentences[k]))
            self.stats.first_pages += 1
            while await self._step_through(result.step_max, deadline, think):
                k = (k + 1) % len(self.sentences)
                await asyncio.sleep(think * random.uniform(0.5, 1.5))
                result = await self.request("new sentence", self._type(self.sentences[k]))

    async def _step_through(self, last: int, deadline: float, think: float) -> bool:
        """Click "Next" up to the last step, checking each step is shown; False at deadline."""
        for step in range(1, last + 1):
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(think * random.uniform(0.5, 1.5))
            shown = (await self.request("step", self._click("step_next"))).step
            if shown != step:
                self.stats.errors.append(f"{self.model}: showed step {shown}, not {step}")
        return time.monotonic() < deadline

    def _first_page(self, text: str) -> BackMsg:
        msg = BackMsg()
        msg.rerun_script.query_string = urlencode({"model": self.model, "text": text})
        info = msg.rerun_script.context_info
        info.timezone, info.locale, info.url = "UTC", "en-US", self.url + "/"
        info.color_scheme = "light"
        return msg

    def _click(self, key: str) -> BackMsg:
        msg = BackMsg()
        widget = msg.rerun_script.widget_states.widgets.add()
        widget.id, widget.trigger_value = self.ids[key], True
        msg.rerun_script.fragment_id = self.fragment
        return msg

    def _type(self, text: str) -> BackMsg:
        msg = BackMsg()
        widget = msg.rerun_script.widget_states.widgets.add()
        widget.id, widget.string_value = self.ids["text"], text
        return msg

    async def request(self, kind: str, msg: BackMsg) -> RunResult:
        start = time.monotonic()
        await self.ws.send(msg.SerializeToString())
        result = await asyncio.wait_for(self._read_run(), REQUEST_TIMEOUT)
        self.stats.add(kind, time.monotonic() - start)
        self.stats.errors.extend(f"{self.model}: {e}" for e in result.errors)
        self.ids.update(result.ids)
        self.fragment = result.fragment or self.fragment
        return result

    async def _read_run(self) -> RunResult:
        result = RunResult()
        while True:
            msg = ForwardMsg()
            msg.ParseFromString(await self.ws.recv())
            kind = msg.WhichOneof("type")
            if kind == "delta":
                read_delta(msg, result)
            elif kind == "session_event" and msg.session_event.HasField(
                "script_compilation_exception"
            ):
                result.errors.append("script compilation exception")
            elif kind == "script_finished" and msg.script_finished != EARLY:
                if msg.script_finished not in FINISHED:
                    result.errors.append(f"run finished with status {msg.script_finished}")
                return result


def read_delta(msg: ForwardMsg, result: RunResult) -> None:
    """Collect widget ids, the step slider's maximum, the step buttons' fragment, exceptions."""
    element = msg.delta.new_element
    kind = element.WhichOneof("type")
    if kind == "exception":
        result.errors.append(f"exception: {element.exception.message[:200]}")
        return
    widget = getattr(element, kind) if kind else None
    widget_id = getattr(widget, "id", "") if widget is not None else ""
    if not widget_id.startswith("$$ID-"):
        return
    key = widget_id.rsplit("-", 1)[-1]
    result.ids[key] = widget_id
    if key == "step" and kind == "slider":
        result.step_max = int(widget.max)
        result.step = int((widget.value or widget.default)[0])
    if key == "step_next":
        result.fragment = msg.delta.fragment_id


class MemoryProbe:
    """The app process's VmRSS / VmHWM from /proc, sampled twice a second."""

    def __init__(self, pid: int) -> None:
        self.path = Path(f"/proc/{pid}/status")
        self.samples: list[float] = []

    def cpu_seconds(self) -> float:
        """User + system CPU time the app process has used so far."""
        fields = self.path.with_name("stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def read(self, field_name: str = "VmRSS") -> float:
        for line in self.path.read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) / 1024  # kB -> MB
        raise RuntimeError(f"{field_name} not in {self.path}")

    async def sample(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.samples.append(self.read())
            await asyncio.sleep(0.5)


def inputs_for(model: str) -> list[str]:
    return TOY_INPUTS.get(model, SENTENCES)


async def drive(url: str, pid: int, models: list[str], args: argparse.Namespace) -> dict:
    stats, probe, stop = Stats(), MemoryProbe(pid), asyncio.Event()
    sampler = asyncio.create_task(probe.sample(stop))
    idle, cpu_app, cpu_bench = probe.read(), probe.cpu_seconds(), time.process_time()
    deadline = time.monotonic() + args.seconds
    clients = [
        Client(url, models[i % len(models)], inputs_for(models[i % len(models)]), stats)
        for i in range(args.clients)
    ]
    tasks = [asyncio.create_task(c.run(deadline, args.think)) for c in clients]
    warm = await _after_first_pages(stats, args.clients, probe, deadline)
    cpu_warm, requests_warm = probe.cpu_seconds(), stats.requests()
    done = await asyncio.gather(*tasks, return_exceptions=True)
    stats.errors += [f"client failed: {e!r}" for e in done if isinstance(e, BaseException)]
    stop.set()
    await sampler
    end = probe.read()
    result = report(stats, idle, warm, end, probe.read("VmHWM"), args)
    result["cpu_app_s"] = probe.cpu_seconds() - cpu_app
    after = max(stats.requests() - requests_warm, 1)
    result["cpu_per_request_s"] = (probe.cpu_seconds() - cpu_warm) / after
    result["cpu_clients_s"] = time.process_time() - cpu_bench
    return result


async def _after_first_pages(stats: Stats, n: int, probe: MemoryProbe, deadline: float) -> float:
    """RSS once every client has its first page (every model loaded), or at the deadline."""
    while stats.first_pages < n and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    return probe.read()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def report(stats: Stats, idle: float, warm: float, end: float, peak: float, args) -> dict:
    rows = {
        kind: {
            "n": len(v),
            "p50_s": statistics.median(v),
            "p95_s": percentile(v, 0.95),
            "max_s": max(v),
        }
        for kind, v in stats.latencies.items()
    }
    return {
        "clients": args.clients,
        "seconds": args.seconds,
        "think_s": args.think,
        "latency": rows,
        "errors": len(stats.errors),
        "error_samples": stats.errors[:5],
        "rss_idle_mb": idle,
        "rss_warm_mb": warm,
        "rss_end_mb": end,
        "growth_mb": end - warm,
        "peak_mb": peak,
    }


def print_table(result: dict) -> None:
    print(f"\n{result['clients']} clients, {result['seconds']} s, think {result['think_s']} s")
    print(f"{'request':<14}{'n':>6}{'p50 s':>9}{'p95 s':>9}{'max s':>9}")
    for kind, row in result["latency"].items():
        print(
            f"{kind:<14}{row['n']:>6}{row['p50_s']:>9.3f}{row['p95_s']:>9.3f}{row['max_s']:>9.3f}"
        )
    step_p95 = result["latency"].get("step", {}).get("p95_s", float("nan"))
    goals: list[tuple[str, str, Callable[[], bool]]] = [
        ("errors", f"{result['errors']}", lambda: result["errors"] == 0),
        ("p95 step", f"{step_p95:.3f} s", lambda: step_p95 < 1.0),
        ("RSS idle / warm / end", _mb(result, "rss_idle_mb", "rss_warm_mb", "rss_end_mb"), None),
        ("memory growth", f"{result['growth_mb']:.0f} MB", lambda: result["growth_mb"] < 100),
        ("peak RSS", f"{result['peak_mb']:.0f} MB", lambda: result["peak_mb"] < 700),
    ]
    print(f"\n{'measure':<24}{'value':>22}  goal met")
    for name, value, check in goals:
        verdict = "" if check is None else ("yes" if check() else "NO")
        print(f"{name:<24}{value:>22}  {verdict}")
    print(
        f"CPU used: app {result['cpu_app_s']:.0f} s, these clients {result['cpu_clients_s']:.0f} s"
        f" (in {result['seconds']:.0f} s on {os.cpu_count()} cores, shared with anything else);"
        f" app CPU per request after the first pages: {result['cpu_per_request_s']:.2f} s"
    )
    for sample in result["error_samples"]:
        print("error:", sample)


def _mb(result: dict, *keys: str) -> str:
    return " / ".join(f"{result[k]:.0f}" for k in keys) + " MB"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--think", type=float, default=1.0, help="mean pause between clicks")
    parser.add_argument("--models-root", type=Path, default=PRETRAINED_DIR)
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--option",
        action="append",
        default=[],
        help="a Streamlit option for the app, e.g. --option=--runner.postScriptGC=false",
    )
    args = parser.parse_args()
    if not 1 <= args.clients <= 100 or not 1 <= args.seconds <= 600:
        parser.error("keep it bounded: 1-100 clients, 1-600 seconds")
    return args


def main() -> None:
    args = parse_args()
    models = list_models(args.models_root)
    if not models:
        sys.exit(f"no models in {args.models_root}")
    print(f"models ({len(models)}): {', '.join(models)}")
    log = harness.REPO / "artifacts" / "bench-load-app.log"
    log.parent.mkdir(exist_ok=True)
    if args.option:
        print("streamlit options:", " ".join(args.option))
    with harness.running_app(args.models_root, log, options=tuple(args.option)) as app:
        coro = drive(app.url, app.proc.pid, models, args)
        result = asyncio.run(asyncio.wait_for(coro, args.seconds + 300))
    print_table(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
