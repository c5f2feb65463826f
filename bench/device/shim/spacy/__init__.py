"""Device-only stand-in for spaCy's blank tokenizers: it replays the tokenizations recorded on the
CPU machine with real spaCy 3.8 (bench/device/make_shim.py; the table is .gpu/tokens.json.gz);
spaCy's wheels do not fit the device's 64 MiB working tree. Each pipe() call's texts must hash
to what was recorded; an unrecorded text is an error, never a guess."""

import gzip
import hashlib
import json
import os

_TABLE = None
_NEXT = {}


def _table():
    global _TABLE
    if _TABLE is None:
        with gzip.open(
            os.environ.get("SPACY_STANDIN_TABLE")
            or os.path.join(os.path.dirname(__file__), "tokens.json.gz"),
            "rt",
        ) as f:
            _TABLE = json.load(f)
    return _TABLE


def _rebuild(text, offs):
    cuts = set(offs)
    out, cur = [], ""
    for i, ch in enumerate(text):
        if ch.isspace():
            if cur:
                out.append(cur)
            cur = ""
            continue
        if i in cuts and cur:
            out.append(cur)
            cur = ""
        cur += ch
    if cur:
        out.append(cur)
    return out


class _Tok:
    is_space = False

    def __init__(self, text):
        self.text = text


class _Tokenizer:
    def __init__(self, lang):
        self.lang = lang

    def __call__(self, text):
        toks = _table()["call"].get(self.lang, {}).get(text)
        if toks is None:
            raise KeyError(f"spaCy stand-in: no recorded tokenization of {text!r}")
        return [_Tok(t) for t in toks]

    def pipe(self, texts, batch_size=1000):
        texts = list(texts)
        sha = hashlib.sha256("\n".join(texts).encode()).hexdigest()
        recorded = dict((rec_sha, rows) for rec_sha, rows in _table()["pipe"].get(self.lang, []))
        if sha not in recorded:
            raise KeyError(f"spaCy stand-in: no recorded pipe() of these {len(texts)} texts")
        rows = recorded[sha]
        for text, row in zip(texts, rows):
            words = row if row and isinstance(row[0], str) else _rebuild(text, row)
            yield [_Tok(t) for t in words]


class _Blank:
    def __init__(self, lang):
        self.tokenizer = _Tokenizer(lang)


def blank(lang):
    return _Blank(lang)
