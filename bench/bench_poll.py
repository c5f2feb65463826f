"""Class poll under a room of phones: 60 phones join within 20 s and vote on 5 questions; the
projector's tally shows each vote within 1 s (p95); no errors. Run on one app process (the
in-memory store) and on two app processes behind nginx with Redis (docs/deploy/run_replicas.sh),
where one app process is killed in the middle of a question: no vote recorded before is lost,
and its phones reconnect through the proxy to the other process.

    python bench/bench_poll.py [--phones 60] [--questions 5] [--setups single,proxy]

The projector is the real page in headless Chromium (1920x1080, Korean, the lesson page in
presentation mode, the default model's first sentence); a sampler in the page records every
change of the tally it draws (question, total votes, Date.now()). Phones are Python clients of
the app's own websocket protocol (bench/poll_phone.py) that behave like the browser (they join
by the link, run the page's refresh, click a button), each voting once per question 0.3-3 s
after it appears. Latency of the i-th vote of a question (in the order sent): the first time
the projector showed at least i votes, minus the time that vote was sent. Writes the table to
stdout and the numbers to --out (JSON).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from bench.poll_phone import Phone  # noqa: E402
from tests.e2e import harness  # noqa: E402

HOST_JS = "fetch('/_stcore/health').then((r) => r.headers.get('x-upstream'))"
SAMPLER_JS = """() => {
  window.__tally = []; let last = "";
  setInterval(() => {
    const head = [...document.querySelectorAll('h3')].map((e) => e.innerText.trim())
      .find((t) => /^질문 \\d+ \\/ \\d+$/.test(t));
    const caption = [...document.querySelectorAll(
      '.st-key-poll_tally [data-testid="stCaptionContainer"]')].map((e) => e.innerText).join();
    const votes = caption.match(/투표 (\\d+)개/);
    if (!head || !votes) return;
    const key = head + ':' + votes[1];
    if (key !== last) {
      last = key;
      window.__tally.push([Date.now() / 1000, Number(head.match(/\\d+/)[0]) - 1, Number(votes[1])]);
    }
  }, 20);
}"""


@dataclass
class Result:
    setup: str
    phones: int
    joined: int = 0
    join_max_s: float = float("nan")
    votes: int = 0
    latencies: list[float] = field(default_factory=list)
    unseen: int = 0
    errors: list[str] = field(default_factory=list)
    reconnects: int = 0
    killed_note: str = ""
    killed_question: int = -1
    confirmed_at_kill: int = 0  # votes of that question shown back to their phones before
    lost: int = 0  # votes confirmed to their phone but missing from the projector's final tally
    retried: int = 0
    latencies_calm: list[float] = field(default_factory=list)  # questions without a kill

    def row(self) -> dict:
        lat = sorted(self.latencies)
        return {
            "setup": self.setup,
            "phones joined": f"{self.joined}/{self.phones}",
            "slowest join (s)": round(self.join_max_s, 2),
            "votes": self.votes,
            "tally p50 (s)": round(statistics.median(lat), 3) if lat else None,
            "tally p95 (s)": round(_p95(lat), 3),
            "tally max (s)": round(lat[-1], 3) if lat else None,
            "tally p95 other questions (s)": round(_p95(self.latencies_calm), 3),
            "votes never shown": self.unseen,
            "confirmed votes lost": self.lost,
            "errors": len(self.errors),
            "reconnects (votes sent again)": f"{self.reconnects} ({self.retried})",
            "replica stopped": self.killed_note or "-",
        }


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] if ordered else float("nan")


def start_poll(page: Page, url: str) -> str:
    page.goto(f"{url}/lesson?present=true")
    page.get_by_role("button", name="수업 투표 시작").click(timeout=300_000)
    page.get_by_text(re.compile(r"^질문 1 / \d+$")).wait_for(timeout=120_000)
    page.evaluate(SAMPLER_JS)
    return page.locator(".st-key-poll_code p").inner_text().strip()


def wait_until(check, timeout: float, step: float = 0.1) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return True
        time.sleep(step)
    return False


def shown_total(page: Page, qno: int) -> int:
    samples = [s for s in page.evaluate("window.__tally") if s[1] == qno]
    return samples[-1][2] if samples else 0


def run_setup(setup: str, url: str, page: Page, args, kill=None) -> Result:
    result = Result(setup, args.phones)
    code = start_poll(page, url)
    cookies = [_route_cookie(url) if setup == "proxy" else "" for _ in range(args.phones)]
    phones = [Phone(url, code, seed=k, cookie=cookies[k]) for k in range(args.phones)]
    start = time.time()
    for phone in phones:
        phone.start()
    wait_until(lambda: all(p.stats.joined for p in phones), 60)
    joined = [p.stats.joined - start for p in phones if p.stats.joined]
    result.joined, result.join_max_s = len(joined), max(joined, default=float("nan"))
    try:
        for qno in range(args.questions):
            _question(page, phones, qno, args, result, kill)
    except Exception:
        page.screenshot(path="artifacts/bench_poll_failure.png")
        Path("artifacts/bench_poll_failure.html").write_text(page.content())
        raise
    samples = page.evaluate("window.__tally")
    for phone in phones:
        phone.stop.set()
    for phone in phones:
        phone.join(5)
    _score(result, phones, samples, args.questions)
    return result


def _question(page: Page, phones: list[Phone], qno: int, args, result: Result, kill) -> None:
    """Wait for every phone's vote on question `qno` (seen on the projector), reveal, move on."""

    def voted() -> int:
        return sum(qno in p.stats.votes for p in phones)

    if kill is not None and qno == args.questions - 2:  # mid-question: half the votes are in
        wait_until(lambda: voted() >= args.phones // 2, 30)
        result.killed_question = qno
        result.confirmed_at_kill = sum(
            qno in p.stats.votes and p.stats.votes[qno].confirmed is not None for p in phones
        )
        result.killed_note = kill(phones, qno) + f" with {result.confirmed_at_kill} votes confirmed"
    wait_until(lambda: voted() == args.phones, 30)
    wait_until(lambda: shown_total(page, qno) >= voted(), 10)
    page.get_by_role("button", name="정답 공개").click()
    time.sleep(1.0)
    if qno + 1 < args.questions:
        page.get_by_role("button", name="다음 질문").click()
        page.get_by_text(re.compile(rf"^질문 {qno + 2} / \d+$")).wait_for(timeout=30_000)


def _score(result: Result, phones: list[Phone], samples: list, questions: int) -> None:
    for qno in range(questions):
        sent = sorted(p.stats.votes[qno].sent for p in phones if qno in p.stats.votes)
        confirmed = sum(p.stats.votes[qno].confirmed is not None for p in phones
                        if qno in p.stats.votes)  # fmt: skip
        shown = [(t, n) for t, q, n in samples if q == qno]
        result.votes += len(sent)
        result.lost += max(0, confirmed - (shown[-1][1] if shown else 0))
        for i, t_sent in enumerate(sent, start=1):
            first = next((t for t, n in shown if n >= i), None)
            if first is None:
                result.unseen += 1
                continue
            result.latencies.append(max(0.0, first - t_sent))
            if qno != result.killed_question:
                result.latencies_calm.append(max(0.0, first - t_sent))
    for phone in phones:
        result.errors += phone.stats.errors
        result.reconnects += phone.stats.reconnects
        result.retried += phone.stats.retried


def _route_cookie(url: str) -> str:
    """The sticky-session cookie nginx gives a new browser (a phone keeps it, as a browser)."""
    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=10) as reply:
        found = re.search(r"s2s_route=([^;]+)", reply.headers.get("Set-Cookie", ""))
    return f"s2s_route={found[1]}" if found else ""


def single(args, browser) -> Result:
    env_before = os.environ.pop("SEQ2SEQ_VIZ_REDIS_URL", None)
    log = Path(tempfile.mkdtemp()) / "app.log"
    try:
        with harness.running_app(None, log, watch=False) as app:
            page = browser.new_context(viewport={"width": 1920, "height": 1080},
                                       locale="ko-KR").new_page()  # fmt: skip
            return run_setup("1 process, memory store", app.url, page, args)
    finally:
        if env_before is not None:
            os.environ["SEQ2SEQ_VIZ_REDIS_URL"] = env_before


def proxy(args, browser) -> Result:
    from tests.e2e.test_proxy import running_replicas

    run_dir = Path(tempfile.mkdtemp(prefix="bench-poll-"))
    with running_replicas(run_dir, timeout=180, KEEP_SERVING="1",
                          SEQ2SEQ_VIZ_REDIS_URL=None) as (url, first):  # fmt: skip
        page = browser.new_context(viewport={"width": 1920, "height": 1080},
                                   locale="ko-KR").new_page()  # fmt: skip

        def kill(phones: list[Phone], qno: int) -> str:
            host = page.evaluate(
                "fetch('/_stcore/health').then((r) => r.headers.get('x-upstream'))"
            )
            other = [p for p in (first, first + 1) if f":{p}" not in host.split(",")[-1]][0]
            os.kill(_pid_of(other), signal.SIGKILL)
            return f"killed :{other} at question {qno + 1}"

        return run_setup("2 processes + Redis behind nginx", url, page, args, kill)


def _pid_of(app_port: int) -> int:
    from tests.e2e.test_poll_proxy_e2e import _pid_of as find

    return find(app_port)


def table(rows: list[dict]) -> str:
    head = list(rows[0])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(r[h]) for h in head) + " |" for r in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phones", type=int, default=60)
    parser.add_argument("--questions", type=int, default=5)
    parser.add_argument("--setups", default="single,proxy")
    parser.add_argument("--out", type=Path, default=Path("artifacts/bench_poll.json"))
    args = parser.parse_args()
    runs = {"single": single, "proxy": proxy}
    results = []
    with sync_playwright() as pw:
        browser = harness.launch_chromium(pw)
        for name in args.setups.split(","):
            results.append(runs[name](args, browser))
            print(table([results[-1].row()]), flush=True)
        browser.close()
    rows = [r.row() for r in results]
    print("\n" + table(rows))
    for r in results:
        for error in sorted(set(r.errors))[:5]:
            print(f"  {r.setup}: error shown on a phone: {error}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"args": vars(args) | {"out": str(args.out)}, "rows": rows,
                                    "cpus": os.cpu_count()}, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
