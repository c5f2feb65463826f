"""Load benchmark (not a test): a class opening the app at once against one app process, on
127.0.0.1 only, bounded in time and count.

    python bench/bench_load.py [--clients 60] [--arrival 20] [--seconds 60] [--think 2.0]

Each client acts as a browser tab does with the step player (views/stepper): it arrives at a
random moment within `--arrival` seconds, fetches the page and every static file a real
Chromium fetched on its first load (recorded once at the start), opens the Streamlit websocket
and asks for the step page on a sentence with one of the models (clients take the models in
turn, so every model gets loaded), then "clicks" Next about every `--think` seconds (+-50 %).
Those clicks are drawn by the browser from the book the page sent, so they send nothing; at the
last step the client types the next sentence (a server run), until its `--seconds` are up. Like
a browser, it tells the server which large messages it already holds (plotly.js is sent once).
Why not 60 Chromium tabs: on our 2 shared cores 60 renderers would measure Chromium, not the
app (bench/bench_browser.py measures one tab).

Measured: latency of the first page (static files + the first script run) and of a new
sentence (sending it to the server's "script finished"); errors (exceptions shown by the app,
failed runs, a missing or wrong step book, HTTP errors, disconnects, time-outs); bytes received;
the app process's resident memory (VmRSS) before the clients, after every client's first page
(every model loaded), at the end, and its peak (VmHWM).
Goals: 0 errors, first page p95 < 3 s, new sentence p95 < 1 s, peak < 1 GB.

`--model NAME`: every client opens that model (the Transformer as the class's model:
`--model transformer`). `--lab N`: N more clients run the attention-explanation lab at the same
time (its page on the default model, then press "integrated gradients and the others" and "fool
this step" in turn, a think time apart, until their time is up): their runs are reported as
their own rows, and the step-page clients' goals must hold beside them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import httpx
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402

from seq2seq_viz.checkpoints import PRETRAINED_DIR, list_models  # noqa: E402
from seq2seq_viz.views.stepper import sent_book  # noqa: E402
from tests.e2e import harness  # noqa: E402

FINISHED = {0, 3}  # FINISHED_SUCCESSFULLY, FINISHED_FRAGMENT_RUN_SUCCESSFULLY
EARLY = 2  # FINISHED_EARLY_FOR_RERUN: another run follows
REQUEST_TIMEOUT = 60.0
BROWSER_CONNECTIONS = 6
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
    clicks: int = 0  # drawn by the browser: nothing sent
    bytes: dict[str, list[int]] = field(default_factory=dict)  # bytes received per request

    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    def add(self, kind: str, seconds: float, received: int) -> None:
        self.latencies.setdefault(kind, []).append(seconds)
        self.bytes.setdefault(kind, []).append(received)


@dataclass
class RunResult:
    """What one run sent back: widget ids, the step book's size, errors, bytes."""

    ids: dict[str, str] = field(default_factory=dict)  # user key -> widget id
    steps: int = 0  # steps in the step player's book
    initial_step: int = -1
    errors: list[str] = field(default_factory=list)
    received: int = 0


class Client:
    """One browser tab: static files over HTTP, then one Streamlit session over a websocket."""

    def __init__(
        self, url: str, model: str, sentences: list[str], stats: Stats, assets: list[str]
    ) -> None:
        self.url, self.model, self.sentences, self.stats = url, model, sentences, stats
        self.assets = assets
        self.curl_config: Path | None = None  # set by drive(): the assets as a curl config
        self.ids: dict[str, str] = {}
        self.cached: set[str] = set()  # hashes of the large messages this "browser" keeps
        self.messages: dict[str, ForwardMsg] = {}  # ... and the messages themselves

    async def run(self, arrive: float, seconds: float, think: float) -> None:
        await asyncio.sleep(arrive)
        deadline = time.monotonic() + seconds
        start = time.monotonic()
        static_bytes = await self._fetch_static()
        ws_url = self.url.replace("http://", "ws://") + "/_stcore/stream"
        async with websockets.connect(ws_url, subprotocols=["streamlit"], max_size=None) as ws:
            self.ws = ws
            k = random.randrange(len(self.sentences))
            result = await self.request("first page", self._first_page(self.sentences[k]), start)
            self.stats.bytes["first page"][-1] += static_bytes
            self.stats.first_pages += 1
            while await self._step_through(result.steps - 1, deadline, think):
                k = (k + 1) % len(self.sentences)
                await asyncio.sleep(think * random.uniform(0.5, 1.5))
                result = await self.request("new sentence", self._type(self.sentences[k]))

    async def _fetch_static(self) -> int:
        """GET the page and each static file a browser fetched on its first load, six at a
        time (a browser's connections per host), with curl: a browser's network code is native
        and runs on the student's machine, while httpx spent more CPU per file than the app
        (0.5 s a client for 146 files, measured) on the 2 cores the app needs."""
        if not self.curl_config:
            return await self._fetch_static_httpx()
        proc = await asyncio.create_subprocess_exec(
            "curl", "--silent", "--no-progress-meter", "--compressed", "--parallel",
            "--parallel-max",
            str(BROWSER_CONNECTIONS), "--max-time", str(int(REQUEST_TIMEOUT)),
            "--write-out", "%{http_code} %{size_download}\\n", "--config", str(self.curl_config),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        out, _ = await proc.communicate()
        rows = [line.split() for line in out.decode().splitlines() if line.strip()]
        for code, _size in rows:
            if code != "200":
                self.stats.errors.append(f"GET (curl): HTTP {code}")
        if len(rows) != len(self.assets):
            self.stats.errors.append(f"curl fetched {len(rows)} of {len(self.assets)} files")
        return sum(int(size) for _code, size in rows)

    async def _fetch_static_httpx(self) -> int:
        limits = httpx.Limits(max_connections=BROWSER_CONNECTIONS)
        async with httpx.AsyncClient(
            base_url=self.url, timeout=REQUEST_TIMEOUT, limits=limits
        ) as http:
            replies = await asyncio.gather(*(self._get(http, path) for path in self.assets))
        return sum(replies)

    async def _get(self, http: httpx.AsyncClient, path: str) -> int:
        reply = await http.get(path, headers={"Accept-Encoding": "gzip"})
        if reply.status_code != 200:
            self.stats.errors.append(f"GET {path}: HTTP {reply.status_code}")
        return len(reply.content)

    async def _step_through(self, last: int, deadline: float, think: float) -> bool:
        """Click "Next" up to the last step: the browser draws each from the book it holds,
        so a click costs the server nothing. False at the deadline."""
        for _ in range(last):
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(think * random.uniform(0.5, 1.5))
            self.stats.clicks += 1
        return time.monotonic() < deadline

    def _rerun(self) -> BackMsg:
        msg = BackMsg()
        msg.rerun_script.cached_message_hashes.extend(sorted(self.cached))
        return msg

    def _first_page(self, text: str) -> BackMsg:
        msg = self._rerun()
        if self.model:  # "" (the class scenario): the bare link, as the lecturer gave it
            msg.rerun_script.query_string = urlencode({"model": self.model, "text": text})
        info = msg.rerun_script.context_info
        info.timezone, info.locale, info.url = "UTC", "en-US", self.url + "/"
        info.color_scheme = "light"
        return msg

    def _type(self, text: str) -> BackMsg:
        msg = self._rerun()
        widget = msg.rerun_script.widget_states.widgets.add()
        widget.id, widget.string_value = self.ids["text"], text
        return msg

    async def request(
        self, kind: str, msg: BackMsg, start: float | None = None, book: bool = True
    ) -> RunResult:
        start = time.monotonic() if start is None else start
        await self.ws.send(msg.SerializeToString())
        result = await asyncio.wait_for(self._read_run(), REQUEST_TIMEOUT)
        self.stats.add(kind, time.monotonic() - start, result.received)
        self.stats.errors.extend(f"{self.model}: {e}" for e in result.errors)
        if book and (result.steps < 1 or result.initial_step != 0):
            self.stats.errors.append(
                f"{self.model}: {kind}: book of {result.steps} steps opening on step "
                f"{result.initial_step}, not step 0"
            )
        self.ids.update(result.ids)
        return result

    async def _read_run(self) -> RunResult:
        result = RunResult()
        while True:
            data = await self.ws.recv()
            result.received += len(data)
            msg = ForwardMsg()
            msg.ParseFromString(data)
            if msg.metadata.cacheable:
                self.cached.add(msg.hash)
                self.messages[msg.hash] = msg
            kind = msg.WhichOneof("type")
            if kind == "ref_hash":  # a message this "browser" holds: read it from its cache
                if msg.ref_hash not in self.messages:
                    result.errors.append("a reference to a message this client never got")
                    continue
                msg, kind = self.messages[msg.ref_hash], "delta"
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


class LabClient(Client):
    """A tab on the explanation lab: its page, then its two buttons in turn until time is up."""

    BUTTONS = (("lab: attributions", "explain_attr_run"), ("lab: fool a step", "explain_fool_run"))

    def _rerun(self) -> BackMsg:
        """Every run on the lab's page (a run without a page name opens the step page)."""
        msg = super()._rerun()
        msg.rerun_script.page_name = "explain"
        msg.rerun_script.query_string = urlencode({"text": self.sentences[0]})
        return msg

    async def run(self, arrive: float, seconds: float, think: float) -> None:
        await asyncio.sleep(arrive)
        deadline = time.monotonic() + seconds
        ws_url = self.url.replace("http://", "ws://") + "/_stcore/stream"
        async with websockets.connect(ws_url, subprotocols=["streamlit"], max_size=None) as ws:
            self.ws = ws
            await self.request("lab: page", self._first_page(self.sentences[0]), book=False)
            k = 0
            while time.monotonic() < deadline:
                await asyncio.sleep(think * random.uniform(0.5, 1.5))
                kind, key = self.BUTTONS[k % len(self.BUTTONS)]
                if key not in self.ids:
                    self.stats.errors.append(f"lab: no button {key} on the page")
                    return
                press = self._rerun()
                widget = press.rerun_script.widget_states.widgets.add()
                widget.id, widget.trigger_value = self.ids[key], True
                await self.request(kind, press, book=False)
                k += 1


def read_delta(msg: ForwardMsg, result: RunResult) -> None:
    """Collect widget ids, the step player's book, exceptions."""
    element = msg.delta.new_element
    kind = element.WhichOneof("type")
    if kind == "exception":
        result.errors.append(f"exception: {element.exception.message[:200]}")
        return
    if kind == "bidi_component" and element.bidi_component.component_name.endswith("stepper"):
        book = sent_book(element.bidi_component.json)
        result.steps, result.initial_step = len(book["steps"]), int(book["initial_step"])
        return
    widget = getattr(element, kind) if kind else None
    widget_id = getattr(widget, "id", "") if widget is not None else ""
    if widget_id.startswith("$$ID-"):
        result.ids[widget_id.rsplit("-", 1)[-1]] = widget_id


def record_assets(url: str) -> list[str]:
    """The same-origin files Chromium fetches on a first load of the page (paths, in order),
    with the app's HTTP endpoints it calls (health, host config)."""
    from playwright.sync_api import sync_playwright

    seen: list[str] = []
    with sync_playwright() as pw:
        browser = harness.launch_chromium(pw)
        page = harness.prepare_page(
            browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
        )
        page.on(
            "request",
            lambda r: seen.append(r.url) if r.url.startswith(url) and r.method == "GET" else None,
        )
        harness.open_app(page, url)
        browser.close()
    paths = [u[len(url) :] or "/" for u in seen]
    # not the websocket, nor a session's own media files (a download's data): other sessions
    # get their own
    paths = [p for p in paths if not p.startswith(("/_stcore/stream", "/media/"))]
    return list(dict.fromkeys(paths))


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


def _own_cpu() -> float:
    """CPU seconds of this process and of its finished children (curl)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


async def warm_up(url: str, models: list[str], assets: list[str]) -> None:
    """Open each model's page once, one after another (not measured): every model is loaded
    before the class arrives, as on a server that has been up for a while."""
    for model in models:
        client = Client(url, model, inputs_for(model), Stats(), [])
        ws_url = url.replace("http://", "ws://") + "/_stcore/stream"
        async with websockets.connect(ws_url, subprotocols=["streamlit"], max_size=None) as ws:
            client.ws = ws
            await client.request("warm-up", client._first_page(inputs_for(model)[0]))


async def drive(
    url: str, pid: int, models: list[str], assets: list[str], args: argparse.Namespace
) -> dict:
    stats, probe, stop = Stats(), MemoryProbe(pid), asyncio.Event()
    sampler = asyncio.create_task(probe.sample(stop))
    idle, cpu_app, cpu_bench = probe.read(), probe.cpu_seconds(), _own_cpu()
    deadline = time.monotonic() + args.arrival + args.seconds
    if args.scenario == "class":  # every model loaded first, then everyone opens the link
        await warm_up(url, models, assets)
        clients = [Client(url, "", SENTENCES, stats, assets) for _ in range(args.clients)]
    else:
        clients = [
            Client(url, models[i % len(models)], inputs_for(models[i % len(models)]), stats, assets)
            for i in range(args.clients)
        ]
    curl_dir = None
    if assets and shutil.which("curl") and not args.httpx_static:
        curl_dir = tempfile.mkdtemp(prefix="bench-load-")
        config = Path(curl_dir) / "assets.curl"
        config.write_text(
            "".join(f'url = "{url}{path}"\noutput = "/dev/null"\n' for path in assets)
        )
        for c in clients:
            c.curl_config = config
    labs = [LabClient(url, "", SENTENCES[2:3], stats, []) for _ in range(args.lab)]
    tasks = [
        asyncio.create_task(c.run(random.uniform(0, args.arrival), args.seconds, args.think))
        for c in clients + labs
    ]
    warm = await _after_first_pages(stats, args.clients, probe, deadline)
    cpu_warm, requests_warm = probe.cpu_seconds(), stats.requests()
    done = await asyncio.gather(*tasks, return_exceptions=True)
    if curl_dir:
        shutil.rmtree(curl_dir, ignore_errors=True)
    stats.errors += [f"client failed: {e!r}" for e in done if isinstance(e, BaseException)]
    stop.set()
    await sampler
    end = probe.read()
    result = report(stats, idle, warm, end, probe.read("VmHWM"), args)
    result["cpu_app_s"] = probe.cpu_seconds() - cpu_app
    after = max(stats.requests() - requests_warm, 1)
    result["cpu_per_request_s"] = (probe.cpu_seconds() - cpu_warm) / after
    result["cpu_clients_s"] = _own_cpu() - cpu_bench  # curl's included
    result["static_files"] = len(assets)
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
    for kind, received in stats.bytes.items():
        rows[kind]["median_bytes"] = statistics.median(received)
    return {
        "clients": args.clients,
        "arrival_s": args.arrival,
        "seconds": args.seconds,
        "think_s": args.think,
        "clicks_in_browser": stats.clicks,
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
    print(
        f"\n{result['clients']} clients arriving over {result['arrival_s']:.0f} s, each for "
        f"{result['seconds']:.0f} s, a click every {result['think_s']} s on average; "
        f"{result['clicks_in_browser']} clicks drawn in the browser (nothing sent); "
        f"{result['static_files']} static files per first page"
    )
    print(f"{'request':<14}{'n':>6}{'p50 s':>9}{'p95 s':>9}{'max s':>9}{'median MB':>11}")
    for kind, row in result["latency"].items():
        print(
            f"{kind:<14}{row['n']:>6}{row['p50_s']:>9.3f}{row['p95_s']:>9.3f}{row['max_s']:>9.3f}"
            f"{row['median_bytes'] / 1e6:>11.2f}"
        )
    lat = result["latency"]
    first = lat.get("first page", {}).get("p95_s", float("nan"))
    new = lat.get("new sentence", {}).get("p95_s", float("nan"))
    goals: list[tuple[str, str, Callable[[], bool] | None]] = [
        ("errors", f"{result['errors']}", lambda: result["errors"] == 0),
        ("p95 first page", f"{first:.3f} s", lambda: first < 3.0),
        ("p95 new sentence", f"{new:.3f} s", lambda: new < 1.0),
        ("RSS idle / warm / end", _mb(result, "rss_idle_mb", "rss_warm_mb", "rss_end_mb"), None),
        ("memory growth", f"{result['growth_mb']:.0f} MB", None),
        ("peak RSS", f"{result['peak_mb']:.0f} MB", lambda: result["peak_mb"] < 1024),
    ]
    print(f"\n{'measure':<24}{'value':>22}  goal met")
    for name, value, check in goals:
        verdict = "" if check is None else ("yes" if check() else "NO")
        print(f"{name:<24}{value:>22}  {verdict}")
    print(
        f"CPU used: app {result['cpu_app_s']:.0f} s, these clients {result['cpu_clients_s']:.0f} s"
        f" (on {os.cpu_count()} cores, shared with anything else);"
        f" app CPU per request after the first pages: {result['cpu_per_request_s']:.2f} s"
    )
    for sample in result["error_samples"]:
        print("error:", sample)


def _mb(result: dict, *keys: str) -> str:
    return " / ".join(f"{result[k]:.0f}" for k in keys) + " MB"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=60)
    parser.add_argument("--arrival", type=float, default=20.0, help="clients arrive within")
    parser.add_argument("--seconds", type=float, default=60.0, help="each client's time")
    parser.add_argument("--think", type=float, default=2.0, help="mean pause between clicks")
    parser.add_argument(
        "--httpx-static",
        action="store_true",
        help="fetch the static files with httpx in this process (the old client) instead of curl",
    )
    parser.add_argument(
        "--no-static",
        action="store_true",
        help="skip the static files (as when a proxy or CDN serves them): the app's own work",
    )
    parser.add_argument(
        "--scenario",
        choices=("models", "class"),
        default="models",
        help="models: clients take the models in turn (each first page a new model/sentence); "
        "class: every model is loaded first, then every client opens the bare link (the "
        "default model's opening example), as a class told to open it does",
    )
    parser.add_argument(
        "--live-training",
        choices=("reverse", "dates", "corpus"),
        help="first start a live training of this task (the live page's, in the app process), "
        "bounded to outlast the benchmark",
    )
    parser.add_argument("--model", help="every client opens this model (default: all in turn)")
    parser.add_argument("--lab", type=int, default=0, help="clients running the lab meanwhile")
    parser.add_argument("--models-root", type=Path, default=PRETRAINED_DIR)
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--option",
        action="append",
        default=[],
        help="a Streamlit option for the app, e.g. --option=--runner.postScriptGC=false",
    )
    args = parser.parse_args()
    if not 0 <= args.lab <= 20:
        parser.error("keep it bounded: 0-20 lab clients")
    if not 1 <= args.clients <= 100 or not 1 <= args.seconds <= 600 or not 0 <= args.arrival <= 120:
        parser.error("keep it bounded: 1-100 clients, 1-600 seconds, arrival 0-120 s")
    return args


def main() -> None:
    args = parse_args()
    models = list_models(args.models_root)
    if not models:
        sys.exit(f"no models in {args.models_root}")
    if args.model:
        if args.model not in models:
            sys.exit(f"no model {args.model!r} in {args.models_root}")
        models = [args.model]
    print(f"models ({len(models)}): {', '.join(models)}")
    log = harness.REPO / "artifacts" / "bench-load-app.log"
    log.parent.mkdir(exist_ok=True)
    if args.option:
        print("streamlit options:", " ".join(args.option))
    if args.live_training:  # the app reads its bounds from its environment
        os.environ["SEQ2SEQ_VIZ_LIVE_SECONDS"] = str(int(args.arrival + args.seconds + 120))
        os.environ["SEQ2SEQ_VIZ_LIVE_STEPS"] = "1000000"
    with harness.running_app(args.models_root, log, options=tuple(args.option)) as app:
        assets = [] if args.no_static else record_assets(app.url)
        print(f"a first load in Chromium fetched {len(assets)} files from the app")
        if args.live_training:
            from live_training import start_live_training

            start_live_training(app.url, args.live_training)
            print(f"a live training ({args.live_training}) is running in the app process")
        coro = drive(app.url, app.proc.pid, models, assets, args)
        result = asyncio.run(asyncio.wait_for(coro, args.arrival + args.seconds + 300))
    print_table(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
