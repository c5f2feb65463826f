"""The probe set: everyday sentences a student would type, checked against a model.

    python -m seq2seq_viz.probe pretrained/soft-dot [--json out.json] [--threads 1]

``tests/probe_sentences.json`` holds English sentences (greetings, numbers, names, questions,
negation, adjective order, time, food, family, places and 12-20-word sentences), each with our
own French references and the French words a correct translation must contain. Each sentence is
translated as the app's beam page does by default (beam 5, length penalty 0.6, at most 30 words,
unknown-word rule of :mod:`seq2seq_viz.decode`: a copied source word replaces an output <unk>).

A translation **passes** when all three hold:

* per-sentence chrF (sacrebleu ``sentence_chrf``, lowercased, best of the references) is at
  least ``PASS_CHRF`` = 45. Measured on hand-made pairs: wrong translations score 8-39
  ("je suis froide." for "j'ai froid." 32.3, "je suis faim." 35.4, "le noir est en train de
  dormir." for "le chat noir dort." 23.5), while right ones phrased unlike their one reference
  score 40-90 ("où se trouve la gare ?" 49.1, "je ne peux pas nager." for "je ne sais pas
  nager." 54.5); with several references per sentence the right phrasings mostly match one;
* every required word appears (words are compared lowercased, split at anything that is not a
  letter or digit, so "j'ai froid" is the words j, ai, froid; "a|b" accepts either; words
  written together must appear together, in that order);
* the output does not stutter: no run of two or more words is repeated back to back
  ("où est la gare la gare ?"), which chrF alone does not catch (it scores 88.6).

Outputs with <unk> (before replacement) are counted apart: *spontaneous* when every source word
is in the vocabulary (the decoder bans it, so this should stay 0), else *for an unknown word*.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import torch

from .checkpoints import load_model
from .config import DecodeConfig
from .decode import Translator
from .metrics import sentence_chrf
from .text import UNK, detokenize

PASS_CHRF = 45.0
PROBES_PATH = Path(__file__).resolve().parent.parent / "tests" / "probe_sentences.json"
PROBE_DECODE = DecodeConfig(beam_width=5)  # the beam page's default; the rest as the sidebar's


@dataclass(frozen=True)
class Probe:
    kind: str
    en: str
    refs: tuple[str, ...]
    must: tuple[str, ...]  # one entry per required word: "a|b" alternatives, "a b" together


@dataclass(frozen=True)
class ProbeResult:
    probe: Probe
    output: str  # what the app shows (each <unk> replaced by a copied source word)
    chrf: float
    missing: tuple[str, ...]  # required entries not found in the output
    stutter: str  # the first repeated run of words, "" when none
    unk: int  # <unk> in the output before replacement
    unknown_src: tuple[str, ...]  # source words outside the vocabulary

    @property
    def passed(self) -> bool:
        return self.chrf >= PASS_CHRF and not self.missing and not self.stutter

    @property
    def spontaneous_unk(self) -> bool:
        return self.unk > 0 and not self.unknown_src


def load_probes(path: Path | str = PROBES_PATH) -> list[Probe]:
    rows = json.loads(Path(path).read_text(encoding="utf-8"))["probes"]
    return [Probe(r["kind"], r["en"], tuple(r["refs"]), tuple(r["must"])) for r in rows]


def words(text: str) -> list[str]:
    """Lowercased words: runs of letters and digits (apostrophes and hyphens split)."""
    return re.findall(r"\w+", unicodedata.normalize("NFC", text.lower()))


def has_phrase(out: list[str], phrase: str) -> bool:
    """Whether the words of `phrase` appear in `out` together and in order."""
    want = words(phrase)
    return bool(want) and any(out[i : i + len(want)] == want for i in range(len(out)))


def missing_words(output: str, must: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The required entries none of whose alternatives ("a|b") appear in `output`."""
    out = words(output)
    return tuple(m for m in must if not any(has_phrase(out, alt) for alt in m.split("|")))


def stutter(output: str) -> str:
    """The first run of 2+ words repeated right after itself ("la gare la gare"), else ""."""
    out = words(output)
    for n in range(2, len(out) // 2 + 1):
        for i in range(len(out) - 2 * n + 1):
            if out[i : i + n] == out[i + n : i + 2 * n]:
                return " ".join(out[i : i + n])
    return ""


def score(
    probe: Probe, output: str, unk: int = 0, unknown_src: tuple[str, ...] = ()
) -> ProbeResult:
    return ProbeResult(
        probe,
        output,
        sentence_chrf(output, probe.refs),
        missing_words(output, probe.must),
        stutter(output),
        unk,
        unknown_src,
    )


def translate_probe(tr: Translator, probe: Probe, decode: DecodeConfig) -> ProbeResult:
    """Decode once without replacement to count <unk>; replace only when there is one."""
    source = tr.encode_text(probe.en)
    unknown = tuple(w for w, u in zip(source.tokens, source.unknown) if u)
    raw = tr.best_tokens(probe.en, replace(decode, unk_replace=False))
    n_unk = raw.count(UNK)
    tokens = tr.best_tokens(probe.en, decode) if n_unk and decode.unk_replace else raw
    return score(probe, detokenize(tokens, tr.config.tgt_lang), n_unk, unknown)


def run_probes(
    tr: Translator, probes: list[Probe] | None = None, decode: DecodeConfig = PROBE_DECODE
) -> list[ProbeResult]:
    return [translate_probe(tr, p, decode) for p in (probes or load_probes())]


def summary(results: list[ProbeResult]) -> dict[str, Any]:
    n = len(results)
    passed = sum(r.passed for r in results)
    kinds = Counter(r.probe.kind for r in results)
    kind_pass = Counter(r.probe.kind for r in results if r.passed)
    return {
        "n": n,
        "passed": passed,
        "pass_rate": round(passed / n, 4) if n else float("nan"),
        "threshold_chrf": PASS_CHRF,
        "mean_chrf": round(sum(r.chrf for r in results) / n, 2) if n else float("nan"),
        "unk_spontaneous": sum(r.spontaneous_unk for r in results),
        "unk_unknown_source": sum(r.unk > 0 and bool(r.unknown_src) for r in results),
        "failed_chrf": sum(r.chrf < PASS_CHRF for r in results),
        "failed_words": sum(bool(r.missing) for r in results),
        "failed_stutter": sum(bool(r.stutter) for r in results),
        "by_kind": {k: f"{kind_pass[k]}/{kinds[k]}" for k in kinds},
    }


def table(results: list[ProbeResult]) -> str:
    """One line per sentence: mark, chrF, kind, source -> output, and why it failed."""
    lines = []
    for r in results:
        why = []
        if r.chrf < PASS_CHRF:
            why.append(f"chrF<{PASS_CHRF:g}")
        if r.missing:
            why.append("missing " + ", ".join(r.missing))
        if r.stutter:
            why.append(f"repeats '{r.stutter}'")
        if r.unk:
            why.append(f"<unk> x{r.unk}" + ("" if r.unknown_src else " SPONTANEOUS"))
        mark = "ok  " if r.passed else "FAIL"
        lines.append(
            f"{mark} {r.chrf:6.1f}  {r.probe.kind:<9} {r.probe.en} -> {r.output}"
            + (f"   [{'; '.join(why)}]" if why else "")
        )
    return "\n".join(lines)


def report(tr: Translator, results: list[ProbeResult], decode: DecodeConfig) -> dict[str, Any]:
    return {
        "model": tr.name,
        "decode": {
            "beam_width": decode.beam_width,
            "length_penalty": decode.length_penalty,
            "max_len": decode.max_len,
        },
        **summary(results),
        "sentences": [
            {
                **asdict(r.probe),
                "output": r.output,
                "chrf": r.chrf,
                "missing": list(r.missing),
                "stutter": r.stutter,
                "unk": r.unk,
                "unknown_src": list(r.unknown_src),
                "passed": r.passed,
            }
            for r in results
        ],
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m seq2seq_viz.probe",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("model", help="model folder or shipped model name")
    p.add_argument("--probes", default=str(PROBES_PATH), help="the probe set (JSON)")
    p.add_argument("--beam", type=int, default=PROBE_DECODE.beam_width, help="beam width")
    p.add_argument("--json", help="write the full report here")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    args = p.parse_args(argv)
    torch.set_num_threads(max(1, args.threads))
    tr = load_model(args.model)
    decode = replace(PROBE_DECODE, beam_width=args.beam)
    results = run_probes(tr, load_probes(args.probes), decode)
    print(table(results))
    rep = report(tr, results, decode)
    s = {k: v for k, v in rep.items() if k != "sentences"}
    print(
        f"\n{tr.name} (beam {decode.beam_width}): {s['passed']}/{s['n']} pass "
        f"({s['pass_rate']:.1%}; chrF >= {PASS_CHRF:g}, required words, no repeats), "
        f"mean chrF {s['mean_chrf']}; failed on chrF {s['failed_chrf']}, words "
        f"{s['failed_words']}, repeats {s['failed_stutter']}; outputs with <unk>: "
        f"{s['unk_spontaneous']} spontaneous, {s['unk_unknown_source']} for an unknown word\n"
        f"by kind: {s['by_kind']}"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(rep, ensure_ascii=False, indent=1), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
