"""Record real spaCy's tokenizations of everything a device run tokenizes (the corpus with the
training settings, the parity sentences) for the stand-in in bench/device/shim/spacy.

    python bench/device/make_shim.py .gpu/eng-fra.txt.gz      # writes .gpu/tokens.json.gz

Compact: a text's tokens are its whitespace-separated pieces, split further at the recorded
offsets (or listed outright where that does not rebuild them); each pipe() call's texts are
identified by their sha256, which the stand-in checks."""

from __future__ import annotations

import gzip
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import cuda_parity  # noqa: E402

import seq2seq_viz.data as D  # noqa: E402
import seq2seq_viz.text as T  # noqa: E402
from seq2seq_viz import corpus  # noqa: E402
from seq2seq_viz.train import parse_args  # noqa: E402

sys.path.insert(0, str(ROOT / "bench" / "device" / "shim"))
from spacy import _rebuild  # noqa: E402  (the stand-in's own rebuild, so both agree)

sys.path.pop(0)
del sys.modules["spacy"]  # the real spaCy records
REAL = T._nlp
TABLE: dict[str, dict] = {"pipe": {}, "call": {}}


def offsets(text: str, toks: list[str]) -> list[int] | None:
    """Where a token starts with no whitespace before it; None when `toks` are not pieces of
    `text` in order."""
    offs, pos = [], 0
    for i, tok in enumerate(toks):
        start = text.find(tok, pos)
        if start < 0 or text[pos:start].strip() or " " in tok:
            return None
        if i and start == pos:
            offs.append(start)
        pos = start + len(tok)
    return None if text[pos:].strip() else offs


def row(text: str, doc) -> list:
    toks = [x.text for x in doc if not x.is_space]
    offs = offsets(text, toks)
    return offs if offs is not None and _rebuild(text, offs) == toks else toks


class Recorder:
    def __init__(self, lang: str) -> None:
        self.lang, self.tokenizer, self.real = lang, self, REAL(lang).tokenizer

    def pipe(self, texts, batch_size: int = 1000):
        texts = list(texts)
        rows: list = []
        sha = hashlib.sha256("\n".join(texts).encode()).hexdigest()
        TABLE["pipe"].setdefault(self.lang, []).append([sha, rows])
        for text, doc in zip(texts, self.real.pipe(texts, batch_size=batch_size)):
            rows.append(row(text, doc))
            yield doc

    def __call__(self, text: str):
        doc = self.real(text)
        TABLE["call"].setdefault(self.lang, {})[text] = [x.text for x in doc if not x.is_space]
        return doc


def main() -> None:
    D._nlp = T._nlp = Recorder
    argv = ["--data", sys.argv[1], "--src", "en", "--tgt", "fr", "--max-len", "15"]
    argv += ["--min-freq", "2", "--src-vocab-size", "8000", "--tgt-vocab-size", "8000"]
    data = corpus.load_for_training(parse_args([*argv, "--out", "/tmp/unused"]))
    for text in cuda_parity.SENTENCES:
        for lowercase in (True, False):
            T.tokenize(text, "en", lowercase)
    out = Path(sys.argv[2] if len(sys.argv) > 2 else ".gpu/tokens.json.gz")
    with gzip.open(out, "wt", compresslevel=9) as f:
        json.dump(TABLE, f, ensure_ascii=False, separators=(",", ":"))
    sizes = {k: [len(r) for _, r in v] for k, v in TABLE["pipe"].items()}
    print(f"{out}: pipe() calls {sizes}; {len(data.train):,} training pairs")


if __name__ == "__main__":
    main()
