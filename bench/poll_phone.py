"""A phone for the class poll benchmark: a Streamlit client in Python (no browser) that speaks
the app's websocket protocol the way the browser does, so 60 of them fit on a laptop.

It opens ``/join?room=CODE`` (a ``rerun_script`` back message with that query string and page
``join``), reads the elements the app sends (the choice buttons, keyed
``poll_choice_{question}_{choice}``, and error alerts), keeps the query string the app sets (its
voter id, as the browser keeps it in the URL), runs the page's fragment every time the app's
``auto_rerun`` asks (as the browser's timer does), and clicks a button by sending its trigger.
When the connection drops it reconnects (through the proxy: to another app process) with the
same URL, as the browser does. Timestamps are ``time.time()`` (the projector's clock too).
"""

from __future__ import annotations

import random
import re
import threading
import time
from dataclasses import dataclass, field

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.exceptions import WebSocketException
from websockets.sync.client import connect

CHOICE_ID = re.compile(r"-poll_choice_(\d+)_(\d+)$")
ERROR_FORMAT = 1  # Alert.ERROR


@dataclass
class Vote:
    qno: int
    choice: int
    sent: float
    confirmed: float | None = None  # when the phone's own ✓ came back from the app


@dataclass
class PhoneStats:
    started: float = 0.0
    joined: float | None = None  # first question's buttons on screen
    votes: dict[int, Vote] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    reconnects: int = 0
    retried: int = 0  # votes sent again after a reconnection (never confirmed before)


class Phone(threading.Thread):
    """One phone: joins `room` at `base` (http://host:port), votes once on every question it
    sees, `delay` seconds (random in the range) after the question appears."""

    def __init__(self, base: str, room: str, seed: int, delay=(0.3, 3.0), cookie: str = ""):
        super().__init__(daemon=True)
        self.ws_url = base.replace("http", "ws", 1) + "/_stcore/stream"
        self.query = f"room={room}"
        self.cookie = cookie
        self.rng = random.Random(seed)
        self.delay = delay
        self.stats = PhoneStats()
        self.stop = threading.Event()
        self._buttons: dict[tuple[int, int], tuple[str, str, bool]] = {}  # (q, c): id, label, off
        self._fragment = ""
        self._interval = 0.0
        self._next_auto = float("inf")
        self._plan: tuple[int, int, float] | None = None  # (qno, choice, when)

    def run(self) -> None:
        self.stats.started = time.time()
        while not self.stop.is_set():
            try:
                self._session()
            except (OSError, WebSocketException, TimeoutError) as error:
                if self.stop.is_set():
                    return
                self.stats.reconnects += 1
                self._forget_unconfirmed()
                if self.stats.reconnects > 20:
                    self.stats.errors.append(f"gave up: {error!r}")
                    return
                time.sleep(0.5)

    def _forget_unconfirmed(self) -> None:
        """A vote sent but never shown back (its process died first) was not recorded: the
        phone taps again once it sees the question (a student would, seeing no ✓)."""
        for qno in [q for q, vote in self.stats.votes.items() if vote.confirmed is None]:
            del self.stats.votes[qno]
            self.stats.retried += 1
        self._plan = None

    def _session(self) -> None:
        headers = {"Cookie": self.cookie} if self.cookie else None
        with connect(self.ws_url, subprotocols=["streamlit"], additional_headers=headers,
                     open_timeout=20, max_size=2**24) as ws:  # fmt: skip
            self._send(ws, fragment="")
            while not self.stop.is_set():
                try:
                    data = ws.recv(timeout=0.05)
                    self._read(data)
                except TimeoutError:
                    pass
                self._act(ws)

    def _send(self, ws, fragment: str, widget: str | None = None) -> None:
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = self.query
        state.page_name = "join"
        state.context_info.locale = "ko-KR"
        state.fragment_id = fragment
        state.is_auto_rerun = bool(fragment) and widget is None
        if widget is not None:
            state.widget_states.widgets.add(id=widget, trigger_value=True)
        ws.send(msg.SerializeToString())

    def _read(self, data: bytes) -> None:
        msg = ForwardMsg()
        msg.ParseFromString(data)
        kind = msg.WhichOneof("type")
        if kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string
        elif kind == "auto_rerun":
            self._fragment, self._interval = msg.auto_rerun.fragment_id, msg.auto_rerun.interval
            self._next_auto = time.time() + self._interval
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            self._element(msg.delta.new_element)
        elif kind == "script_finished":
            self._decide()

    def _element(self, element) -> None:
        kind = element.WhichOneof("type")
        if kind == "alert" and element.alert.format == ERROR_FORMAT:
            self.stats.errors.append(element.alert.body)
        elif kind == "button":
            match = CHOICE_ID.search(element.button.id)
            if match:
                qno, choice = int(match[1]), int(match[2])
                button = element.button
                self._buttons[(qno, choice)] = (button.id, button.label, button.disabled)
                self._seen(qno, choice, button.label, button.disabled)

    def _seen(self, qno: int, choice: int, label: str, disabled: bool) -> None:
        now = time.time()
        if self.stats.joined is None:
            self.stats.joined = now
        vote = self.stats.votes.get(qno)
        if vote is not None and vote.choice == choice and label.startswith("✓"):
            vote.confirmed = vote.confirmed or now

    def _decide(self) -> None:
        """After a run: plan a vote on the newest open question this phone has not voted on."""
        if not self._buttons:
            return
        qno = max(q for q, _ in self._buttons)
        choices = [c for q, c in self._buttons if q == qno]
        open_ = not self._buttons[(qno, choices[0])][2]
        if open_ and qno not in self.stats.votes and (self._plan is None or self._plan[0] != qno):
            when = time.time() + self.rng.uniform(*self.delay)
            self._plan = (qno, self.rng.choice(choices), when)

    def _act(self, ws) -> None:
        now = time.time()
        if self._plan is not None and now >= self._plan[2]:
            qno, choice, _ = self._plan
            button = self._buttons.get((qno, choice))
            self._plan = None
            if button is not None and not button[2] and qno not in self.stats.votes:
                self.stats.votes[qno] = Vote(qno, choice, time.time())
                self._send(ws, fragment=self._fragment, widget=button[0])
                return
        if self._fragment and now >= self._next_auto:
            self._next_auto = now + self._interval
            self._send(ws, fragment=self._fragment)
