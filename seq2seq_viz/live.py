r"""Watch attention learn: train a small model live, with the command line's own trainer.

A :class:`LiveRun` trains one small attentional GRU in a background thread by calling
`seq2seq_viz.train.train_model` (the loop, loss, optimiser and resume files of
``python -m seq2seq_viz.train``; never a copy), on one of :data:`TASKS`: the reversal or dates toy
task (`seq2seq_viz.toy`) or a small bundled slice of the Tatoeba corpus (:data:`SLICE`).

Every ``probe_every`` steps it records a :class:`Probe` of a fixed probe sentence: the
teacher-forced attention weights (T x S), the greedy translation, and for the toy tasks, whose
alignment is known, the **alignment score**::

    score = (1/|J|) sum_{j in J} sum_{i in gold_j} a_{j,i}    (J: positions with a gold link)

the attention mass on the true source positions: 1/S for uniform attention, 1 for a perfect one.

Bounds, because the hosted demo's CPU is shared: one training at a time per process
(:data:`SLOT`, first come first served; the others wait and know their place in line), one torch
thread in the worker, at most ``max_seconds`` of training and ``max_steps`` steps per run, small
data (a few thousand pairs) and a small model (about 50k parameters for the toys). Pausing stops
the trainer, which writes its resume file and frees the slot; starting again resumes from that
file (the command line's resume path). Reset discards the run.

This module imports neither streamlit nor plotly; the page (`views/live_page.py`) polls
:meth:`LiveRun.progress`, a plain-data copy.
"""

from __future__ import annotations

import datetime as dt
import gzip
import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from . import toy
from .config import ModelConfig, TrainConfig
from .decode import Translator
from .model import build_model
from .text import Vocab, tokenize
from .train import LoopState, train_model

TASKS = ("reverse", "dates", "corpus")
SLICE = Path(__file__).resolve().parent / "live_data" / "tatoeba-en-fr-3k.tsv.gz"
PROBES = {  # fixed probe sentences (not in the training data) and their references
    "reverse": ("e c h a t b g", "g b t a h c e"),
    "dates": ("the 21st of March, 1987", "1987-03-21"),
    "corpus": ("i am very happy .", "je suis très heureux ."),
}
STATUSES = ("idle", "queued", "running", "paused", "finished", "error")


@dataclass(frozen=True)
class LiveConfig:
    """One live training: the task, the model's size and the run's bounds."""

    task: str = "reverse"
    max_steps: int = 1500
    max_seconds: float = 60.0
    probe_every: int = 25
    n_train: int = 3000
    n_valid: int = 200
    batch_size: int = 32
    emb: int = 32
    hidden: int = 64
    lr: float = 5e-3
    seed: int = 1

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"unknown task {self.task!r}; choose one of {TASKS}")
        if self.max_steps < 1 or self.max_seconds <= 0 or self.probe_every < 1:
            raise ValueError("max_steps, max_seconds and probe_every must be positive")


def page_config(task: str) -> LiveConfig:
    """The app's bounds: `LiveConfig`'s defaults, or $SEQ2SEQ_VIZ_LIVE_SECONDS and
    $SEQ2SEQ_VIZ_LIVE_STEPS where the server's operator set them."""
    seconds = float(os.environ.get("SEQ2SEQ_VIZ_LIVE_SECONDS") or LiveConfig.max_seconds)
    steps = int(os.environ.get("SEQ2SEQ_VIZ_LIVE_STEPS") or LiveConfig.max_steps)
    return LiveConfig(task=task, max_seconds=seconds, max_steps=steps)


@dataclass
class Probe:
    """The probe sentence at one training step."""

    step: int
    weights: np.ndarray  # (T,S) teacher-forced attention weights (T includes <eos>)
    output: list[str]  # greedy translation
    score: float | None  # alignment score (toy tasks), see the module docstring


@dataclass
class Progress:
    """What the page shows (a copy: safe to read while training goes on)."""

    status: str
    task: str
    step: int
    max_steps: int
    seconds: float
    max_seconds: float
    losses: list[tuple[int, float]]  # (step, training NLL per token)
    valid: list[tuple[int, float]]  # (step, validation NLL per token) at epoch ends
    probes: list[Probe]
    probe_src: list[str]
    probe_ref: list[str]
    queue_position: int  # 0: training now or not queued; k: k-th in line
    message: str = ""


# ----------------------------------------------------------------------------- the slot


class TrainingSlot:
    """One training at a time: a first-come-first-served line of run ids."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._line: list[str] = []
        self.holder: str | None = None

    def position(self, who: str) -> int:
        """0 when `who` holds the slot or is not waiting; k when k-th in line."""
        with self._cond:
            return self._line.index(who) + 1 if who in self._line else 0

    def waiting(self) -> int:
        with self._cond:
            return len(self._line)

    def acquire(self, who: str, cancelled: threading.Event, poll: float = 0.1) -> bool:
        """Wait in line until the slot is free and `who` is first; False if cancelled."""
        with self._cond:
            self._line.append(who)
            while self.holder is not None or self._line[0] != who:
                if cancelled.is_set():
                    self._line.remove(who)
                    self._cond.notify_all()
                    return False
                self._cond.wait(poll)
            self._line.pop(0)
            self.holder = who
            return True

    def release(self, who: str) -> None:
        with self._cond:
            if self.holder == who:
                self.holder = None
                self._cond.notify_all()


SLOT = TrainingSlot()


# ----------------------------------------------------------------------------- data


@dataclass
class TaskData:
    src_vocab: Vocab
    tgt_vocab: Vocab
    train: list[tuple[list[int], list[int]]]
    valid: list[tuple[list[int], list[int]]]
    src_lang: str
    tgt_lang: str
    probe: tuple[str, str]
    gold: list[list[int]] | None  # the probe's alignment (toy tasks)


def _toy_tokens(cfg: LiveConfig) -> tuple[list[tuple[list[str], list[str]]], str, str]:
    n = cfg.n_train + cfg.n_valid
    if cfg.task == "reverse":
        examples = toy.make_reversal(n, seed=cfg.seed)
        langs = ("en", "en")
    else:
        examples = toy.make_dates(n, seed=cfg.seed)
        langs = ("dates", "chars")
    lower = lambda toks: [t.lower() for t in toks]  # noqa: E731
    return [(lower(e.src), lower(e.tgt)) for e in examples], *langs


def read_slice(path: Path = SLICE) -> list[tuple[list[str], list[str]]]:
    """The bundled pairs' tokens: columns 3 and 4 hold the English and French text tokenised
    by `seq2seq_viz.text.tokenize` (lowercased, space-separated; spaCy is slow to run here)."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        rows = [line.rstrip("\n").split("\t") for line in fh]
    return [(r[2].split(" "), r[3].split(" ")) for r in rows if len(r) == 4]


def load_task(cfg: LiveConfig) -> TaskData:
    """Tokenised pairs, vocabularies and the probe of `cfg.task` (the probe is never trained on)."""
    probe = PROBES[cfg.task]
    if cfg.task == "corpus":
        src_lang, tgt_lang = "en", "fr"
        pairs = read_slice()[: cfg.n_train + cfg.n_valid]
    else:
        pairs, src_lang, tgt_lang = _toy_tokens(cfg)
    probe_src = tokenize(probe[0], src_lang, True)
    pairs = [p for p in pairs if p[0] != probe_src]
    valid_pairs, train_pairs = pairs[: cfg.n_valid], pairs[cfg.n_valid :]
    min_freq = 2 if cfg.task == "corpus" else 1
    src_vocab = Vocab.build([s for s, _ in train_pairs], min_freq=min_freq)
    tgt_vocab = Vocab.build([t for _, t in train_pairs], min_freq=min_freq)
    ids = lambda ps: [(src_vocab.encode(s), tgt_vocab.encode(t)) for s, t in ps]  # noqa: E731
    gold = None
    if cfg.task == "reverse":
        gold = [[len(probe_src) - 1 - j] for j in range(len(probe_src))]
    elif cfg.task == "dates":
        gold = toy.date_example(_PROBE_DATE, "the {Dth} of {Month}, {YYYY}")[1].alignment
    return TaskData(src_vocab, tgt_vocab, ids(train_pairs), ids(valid_pairs), src_lang, tgt_lang,
                    probe, gold)  # fmt: skip


_PROBE_DATE = dt.date(1987, 3, 21)


def alignment_score(weights: np.ndarray, gold: list[list[int]]) -> float:
    """Mean attention mass on the gold source positions (rows past len(gold) are ignored)."""
    rows = [j for j, links in enumerate(gold) if links]
    if not rows:
        return float("nan")
    w = np.asarray(weights)
    return float(np.mean([w[j, gold[j]].sum() for j in rows]))


# ----------------------------------------------------------------------------- the run


@dataclass
class _State:
    status: str = "idle"
    losses: list[tuple[int, float]] = field(default_factory=list)
    valid: list[tuple[int, float]] = field(default_factory=list)
    probes: list[Probe] = field(default_factory=list)
    step: int = 0
    seconds: float = 0.0
    message: str = ""


class LiveRun:
    """One user's live training (see the module docstring). Thread-safe."""

    MAX_PROBES = 80  # probes kept (older ones are thinned out): bounded memory

    def __init__(self, cfg: LiveConfig, slot: TrainingSlot = SLOT) -> None:
        self.cfg = cfg
        self.slot = slot
        self.id = f"run-{id(self):x}-{time.monotonic_ns()}"
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._run_dir = Path(tempfile.mkdtemp(prefix="seq2seq-viz-live-"))
        self.data = load_task(cfg)
        torch.manual_seed(cfg.seed)
        self.model = build_model(self._model_config())
        self.translator = Translator(self.model, self.data.src_vocab, self.data.tgt_vocab, "live")
        self._state = _State()
        self._probe_src = list(self.translator.encode_text(self.data.probe[0]).tokens)
        self._probe_ref = self.data.tgt_vocab.decode(self.translator.target_ids(self.data.probe[1]))
        self._probe_now(0)

    def _model_config(self) -> ModelConfig:
        d = self.data
        return ModelConfig(
            src_vocab_size=len(d.src_vocab),
            tgt_vocab_size=len(d.tgt_vocab),
            emb_dim=self.cfg.emb,
            hidden_dim=self.cfg.hidden,
            score="dot" if self.cfg.task == "reverse" else "general",
            dropout=0.0,
            src_lang=d.src_lang,
            tgt_lang=d.tgt_lang,
        )

    def train_config(self) -> TrainConfig:
        return TrainConfig(
            batch_size=self.cfg.batch_size,
            lr=self.cfg.lr,
            epochs=None,  # bounded by steps and seconds instead
            patience=None,
            label_smoothing=0.0,  # the plain NLL the page plots is what it minimises
            lr_decay=1.0,
            min_lr=0.0,
            seed=self.cfg.seed,
        )

    # ---- controls
    def start(self) -> bool:
        """Queue for the slot and train (resuming a paused run); False if already going."""
        with self._lock:
            if self._state.status in ("queued", "running", "finished"):
                return False
            if self._thread is not None and self._thread.is_alive():
                return False  # a pause is still being written
            self._stop.clear()
            self._state.status, self._state.message = "queued", ""
            self._thread = threading.Thread(target=self._work, name=f"live {self.id}", daemon=True)
            self._thread.start()
            return True

    def pause(self) -> None:
        """Stop after the current step (the trainer saves its resume file) or leave the line."""
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def close(self) -> None:
        """Stop and remove the run's files (the page calls it on reset)."""
        self.pause()
        self.join(30)
        shutil.rmtree(self._run_dir, ignore_errors=True)

    # ---- what the page reads
    def progress(self) -> Progress:
        with self._lock:
            s = self._state
            return Progress(
                status=s.status,
                task=self.cfg.task,
                step=s.step,
                max_steps=self.cfg.max_steps,
                seconds=s.seconds,
                max_seconds=self.cfg.max_seconds,
                losses=list(s.losses),
                valid=list(s.valid),
                probes=list(s.probes),
                probe_src=list(self._probe_src),
                probe_ref=list(self._probe_ref),
                queue_position=self.slot.position(self.id) if s.status == "queued" else 0,
                message=s.message,
            )

    # ---- the worker
    def _work(self) -> None:
        if not self.slot.acquire(self.id, self._stop):
            self._set(status="paused" if self._state.step else "idle")
            return
        try:
            torch.set_num_threads(1)
            self._set(status="running")
            self.model.train()
            train_model(
                self.model,
                self.data.train,
                self.data.valid,
                self.train_config(),
                self._run_dir,
                torch.device("cpu"),
                save_every=None,
                progress=False,
                on_step=self._on_step,
                should_stop=self._should_stop,
            )
            done = self._state.step >= self.cfg.max_steps or (
                self._state.seconds >= self.cfg.max_seconds
            )
            if self._state.probes[-1].step != self._state.step:
                self._probe_now(self._state.step)
            self._set(status="finished" if done else "paused")
        except Exception as err:  # shown on the page; the slot is freed below
            self._set(status="error", message=f"{type(err).__name__}: {err}")
        finally:
            self.slot.release(self.id)

    def _should_stop(self) -> bool:
        s = self._state
        return (
            self._stop.is_set() or s.step >= self.cfg.max_steps or s.seconds >= self.cfg.max_seconds
        )

    def _on_step(self, loop: LoopState, nll: float) -> None:
        with self._lock:
            self._state.step, self._state.seconds = loop.steps, loop.seconds
            self._state.losses.append((loop.steps, nll))
            seen = {st for st, _ in self._state.valid}
            for h in loop.history:
                if h["steps"] not in seen:
                    self._state.valid.append((int(h["steps"]), float(h["valid_nll"])))
        if loop.steps % self.cfg.probe_every == 0:
            self._probe_now(loop.steps)
            self.model.train()  # the probe switched it to eval mode

    def _probe_now(self, step: int) -> None:
        src, ref = self.data.probe
        trace = self.translator.trace(src, reference=ref)
        weights = np.stack([s.weights for s in trace.steps]).astype(np.float32)  # (T,S)
        gold = self.data.gold
        score = alignment_score(weights, gold) if gold is not None else None
        probe = Probe(step, weights, list(trace.greedy_tokens), score)
        with self._lock:
            probes = self._state.probes
            probes.append(probe)
            if len(probes) > self.MAX_PROBES:  # keep the first and the last, thin the rest
                probes[:] = probes[:-1][::2] + probes[-1:]

    def _set(self, **changes: object) -> None:
        with self._lock:
            self._state = replace(self._state, **changes)


# ----------------------------------------------------------------------------- the bundled slice
SLICE_PREFIX = r"^(i am|i'm|he is|he's|she is|she's|you are|you're|we are|we're|they are|they're) "


def make_slice(source: Path, out: Path = SLICE, n: int = 3000, seed: int = 0) -> int:
    """Write `n` random pairs of the Tatoeba file `source` whose English side starts like the
    PyTorch tutorial's subset (7 words at most, French 9 at most), gzipped; returns the count.
    ``python -m seq2seq_viz.live ../shared/data/tatoeba-eng-fra/eng-fra.txt.gz``"""
    import random
    import re

    start = re.compile(SLICE_PREFIX, re.IGNORECASE)
    with gzip.open(source, "rt", encoding="utf-8") as fh:
        pairs = [line.rstrip("\n").split("\t") for line in fh]
    keep = [
        p for p in pairs
        if len(p) == 2 and start.match(p[0]) and len(p[0].split()) <= 7 and len(p[1].split()) <= 9
    ]  # fmt: skip
    random.Random(seed).shuffle(keep)
    out.parent.mkdir(parents=True, exist_ok=True)
    tok = lambda s, lang: " ".join(tokenize(s, lang, True))  # noqa: E731
    rows = [f"{s}\t{t}\t{tok(s, 'en')}\t{tok(t, 'fr')}\n" for s, t in keep[:n]]
    with gzip.GzipFile(out, "wb", mtime=0) as fh:
        fh.write("".join(rows).encode("utf-8"))
    return min(n, len(keep))


if __name__ == "__main__":
    import sys

    print(make_slice(Path(sys.argv[1])), "pairs written to", SLICE)
