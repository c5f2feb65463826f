"""Record real spaCy's tokenizations of everything the device run will tokenize (the corpus with
the training settings, the parity sentences), for the device-only stand-in in shim/spacy.
Compact: a text's tokens are its whitespace-separated pieces split further at recorded offsets;
the texts of each pipe() call are checked by their sha256 on the device."""

import gzip
import hashlib
import importlib.util
import json
import sys

sys.path.insert(0, ".")
sys.path.insert(0, "bench")
import cuda_parity

import seq2seq_viz.data as D
import seq2seq_viz.text as T
from seq2seq_viz import corpus
from seq2seq_viz.train import parse_args

# the stand-in's own rebuild(), so what is recorded is checked by the code that replays it
_spec = importlib.util.spec_from_file_location(
    "spacy_standin", "bench/device/shim/spacy/__init__.py"
)
standin = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(standin)
rebuild = standin._rebuild

real = T._nlp
table = {"pipe": {}, "call": {}}


def split_info(text, toks):
    """Offsets (into text) where a token starts without whitespace before it; None if the
    tokens are not that simple."""
    offs, pos = [], 0
    for i, t in enumerate(toks):
        start = text.find(t, pos)
        if start < 0 or text[pos:start].strip() or " " in t:
            return None
        if i and start == pos:
            offs.append(start)
        pos = start + len(t)
    return offs if not text[pos:].strip() else None


def info(text, doc):
    toks = [x.text for x in doc if not x.is_space]
    offs = split_info(text, toks)
    if offs is None or rebuild(text, offs) != toks:
        return toks  # explicit
    return offs


class Rec:
    def __init__(self, lang):
        self.lang, self.tokenizer, self.real = lang, self, real(lang).tokenizer

    def pipe(self, texts, batch_size=1000):
        texts = list(texts)
        rows = []
        sha = hashlib.sha256("\n".join(texts).encode()).hexdigest()
        table["pipe"].setdefault(self.lang, []).append([sha, rows])
        for t, doc in zip(texts, self.real.pipe(texts, batch_size=batch_size)):
            rows.append(info(t, doc))
            yield doc

    def __call__(self, text):
        doc = self.real(text)
        table["call"].setdefault(self.lang, {})[text] = [x.text for x in doc if not x.is_space]
        return doc


D._nlp = T._nlp = Rec
args = parse_args(
    [
        "--data",
        sys.argv[1],
        "--src",
        "en",
        "--tgt",
        "fr",
        "--max-len",
        "15",
        "--min-freq",
        "2",
        "--src-vocab-size",
        "8000",
        "--tgt-vocab-size",
        "8000",
        "--out",
        "/tmp/x",
    ]
)
data = corpus.load_for_training(args)
for s in cuda_parity.SENTENCES + cuda_parity.TOY_SENTENCES:
    for low in (True, False):
        T.tokenize(s, "en", low)
with gzip.open(".gpu/tokens.json.gz", "wt", compresslevel=9) as f:
    json.dump(table, f, ensure_ascii=False, separators=(",", ":"))
n_explicit = sum(
    bool(r) and isinstance(r[0], str)
    for calls in table["pipe"].values()
    for _, rows in calls
    for r in rows
)
print(
    {k: [len(r) for _, r in v] for k, v in table["pipe"].items()},
    "explicit",
    n_explicit,
    len(data.train),
)
