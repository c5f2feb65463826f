"""The starred teaching examples: one place for their sentences, notes and expected words.

Each example shows one thing about French that attention has to handle, with a note in Korean
and English, and ``expect``: the French words the note names ("question difficile"). The notes
describe the language, not a model, so the default model must say those words: a test decodes
each example with it, greedy (the sidebar's default) and beam 5 (the beam page's default), and
checks every expected phrase appears (words in order, as :func:`seq2seq_viz.probe.has_phrase`).
When a retrained default model gets one wrong, pick another sentence that shows the same thing
and that the model gets right (``python -m seq2seq_viz.teaching MODEL`` lists what it says).

``pretrained/examples.json`` is written from here: by ``evaluate --examples`` (with the test
sentences) or by ``python -m seq2seq_viz.teaching --write pretrained`` (the teaching list only).
The first example opens the app (its trace is stored by ``seq2seq_viz.precomputed``).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from .checkpoints import DEFAULT_MODEL, PRETRAINED_DIR, atomic_write_bytes, load_model
from .config import DecodeConfig
from .decode import Translator
from .probe import has_phrase, words
from .text import detokenize

DECODES = {"greedy": DecodeConfig(), "beam 5": DecodeConfig(beam_width=5)}


@dataclass(frozen=True)
class TeachingExample:
    src: str
    expect: tuple[str, ...]  # phrases the note names; each appears in the default's output
    note_en: str
    note_ko: str

    def to_json(self) -> dict[str, Any]:
        return {
            "src": self.src,
            "expect": list(self.expect),
            "note_en": self.note_en,
            "note_ko": self.note_ko,
        }


TEACHING = (
    TeachingExample(
        "it is a difficult question .",
        ("question difficile",),
        "Most French adjectives follow the noun: difficult question -> question difficile.",
        "프랑스어 형용사는 대개 명사 뒤에 옵니다: difficult question -> question difficile.",
    ),
    TeachingExample(
        "i know him .",
        ("le connais",),
        "Object pronouns move before the verb: know him -> le connais.",
        "목적격 대명사는 동사 앞으로 이동합니다: know him -> le connais.",
    ),
    TeachingExample(
        "i gave him a book .",
        ("lui ai donné",),
        "The indirect object moves before the verb: gave him -> lui ai donné.",
        "간접 목적어가 동사 앞으로 이동합니다: gave him -> lui ai donné.",
    ),
    TeachingExample(
        "tom has a black dog .",
        ("chien noir",),
        "Colour adjectives follow the noun (chien noir). Compare greedy and beam search here.",
        "색깔 형용사는 명사 뒤에 옵니다 (chien noir). 탐욕적 탐색과 빔 서치를 비교해 보세요.",
    ),
    TeachingExample(
        "we live in a small house .",
        ("petite maison",),
        "A few short adjectives stay before the noun, as in English: petite maison.",
        "몇몇 짧은 형용사는 영어처럼 명사 앞에 남습니다: petite maison.",
    ),
    TeachingExample(
        "i don't like red wine .",
        ("n'aime pas", "vin rouge"),
        "Negation wraps the verb (don't like -> n'aime pas) and the colour adjective follows "
        "the noun (vin rouge).",
        "부정어가 동사를 감싸고 (don't like -> n'aime pas), 색깔 형용사는 명사 뒤에 옵니다 "
        "(vin rouge).",
    ),
    TeachingExample(
        "i'm hungry .",
        ("j'ai faim",),
        "A different construction: I'm hungry -> j'ai faim (literally: I have hunger).",
        "다른 구문: I'm hungry -> j'ai faim (직역: 나는 배고픔을 가진다).",
    ),
    TeachingExample(
        "she is wearing a white dress .",
        ("porte", "robe blanche"),
        "A harder one: the colour adjective follows the noun and agrees with it (robe blanche: "
        "blanc becomes blanche for a feminine noun), and 'is wearing' becomes one verb, porte.",
        "더 어려운 예: 색깔 형용사가 명사 뒤로 가면서 성(性)에 맞게 바뀌고 (robe blanche: 여성 "
        "명사라 blanc -> blanche), 'is wearing'은 동사 하나(porte)가 됩니다.",
    ),
)


def teaching_json() -> list[dict[str, Any]]:
    """The teaching list as examples.json stores it."""
    return [e.to_json() for e in TEACHING]


def translations(tr: Translator, example: TeachingExample) -> dict[str, str]:
    """The model's output for the example under each decoding of :data:`DECODES`."""
    lang = tr.config.tgt_lang
    return {
        name: detokenize(tr.best_tokens(example.src, cfg), lang) for name, cfg in DECODES.items()
    }


def missing_expected(example: TeachingExample, output: str) -> list[str]:
    """The expected phrases that do not appear in `output`."""
    out = words(output)
    return [p for p in example.expect if not has_phrase(out, p)]


def write_teaching(out_dir: Path | str) -> Path:
    """Replace the teaching list of out_dir/examples.json (the test sentences stay)."""
    path = Path(out_dir) / "examples.json"
    data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {"test": []}
    data["teaching"] = teaching_json()
    text = json.dumps(data, ensure_ascii=False, indent=1)
    atomic_write_bytes(path, text.encode("utf-8"))
    return path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m seq2seq_viz.teaching", description=__doc__)
    p.add_argument("model", nargs="?", default=DEFAULT_MODEL, help="model to check")
    p.add_argument("--write", metavar="DIR", help="write the teaching list into DIR/examples.json")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    if args.write:
        print(f"wrote {write_teaching(args.write)}")
    tr = load_model(args.model, root=PRETRAINED_DIR)
    bad = 0
    for example in TEACHING:
        for name, out in translations(tr, example).items():
            missing = missing_expected(example, out)
            bad += bool(missing)
            flag = f"  MISSING {missing}" if missing else ""
            print(f"{'FAIL' if missing else 'ok  '} {name:<7} {example.src} -> {out}{flag}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
