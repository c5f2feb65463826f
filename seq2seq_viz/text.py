"""Text: Unicode normalisation, spaCy tokenisers (blank pipelines, no download), vocabularies.

A token keeps its surface form for display even when the vocabulary maps it to ``<unk>``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PAD, UNK, SOS, EOS = "<pad>", "<unk>", "<sos>", "<eos>"
SPECIALS = (PAD, UNK, SOS, EOS)
PAD_ID, UNK_ID, SOS_ID, EOS_ID = 0, 1, 2, 3
LANGS = ("en", "fr", "de")
# Toy-task "languages": rule-based tokenisers whose output the toy generators use as well.
REGEX_LANGS = {
    "dates": re.compile(r"\d+(?:st|nd|rd|th)|\d+|[^\W\d_]+|[^\w\s]"),
    "chars": re.compile(r"\S"),
}

_TRANSLATE = str.maketrans(
    {
        "\u00a0": " ",
        "\u202f": " ",
        "\u2009": " ",
        "\u2007": " ",
        "\u3000": " ",
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u02bc": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\t": " ",
        "\r": " ",
        "\n": " ",
    }
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")
_SPACES = re.compile(r"\s+")


def normalize(text: str, lowercase: bool = False) -> str:
    """NFC, unify spaces, quotes and dashes, drop control characters, collapse whitespace."""
    text = unicodedata.normalize("NFC", text).translate(_TRANSLATE)
    text = _CONTROL.sub(" ", text)
    text = _SPACES.sub(" ", text).strip()
    return text.lower() if lowercase else text


@lru_cache(maxsize=8)
def _nlp(lang: str):
    import spacy  # imported lazily: spaCy takes a moment to import

    if lang not in LANGS:
        raise ValueError(f"unsupported language {lang!r}; choose one of {LANGS}")
    return spacy.blank(lang)


def tokenize(text: str, lang: str, lowercase: bool = False) -> list[str]:
    """Normalise then split with spaCy's rule-based tokenizer for `lang`."""
    text = normalize(text, lowercase)
    if not text:
        return []
    if lang in REGEX_LANGS:
        return REGEX_LANGS[lang].findall(text)
    return [tok.text for tok in _nlp(lang).tokenizer(text) if not tok.is_space]


_NO_SPACE_BEFORE = {
    ".",
    ",",
    ")",
    "]",
    "}",
    "%",
    "...",
    "'s",
    "n't",
    "'re",
    "'ve",
    "'ll",
    "'d",
    "'m",
    "!",
    "?",
    ";",
    ":",
}
_NO_SPACE_AFTER = {"(", "[", "{", "$", "-"}
_FRENCH_SPACED = {"!", "?", ";", ":"}  # French typography: a space before these


def detokenize(tokens: Sequence[str], lang: str = "fr", keep_unk: bool = True) -> str:
    """Join tokens into text (the inverse of `tokenize` for common cases). <pad>, <sos> and
    <eos> are dropped; <unk> is kept (a reader should see that a word is unknown) unless
    `keep_unk` is False, as for BLEU."""
    drop = set(SPECIALS) - ({UNK} if keep_unk else set())
    if lang == "chars":
        return "".join(t for t in tokens if t not in drop)
    words = [t for t in tokens if t not in drop]
    out: list[str] = []
    quote_open = False
    for i, tok in enumerate(words):
        prev = words[i - 1] if i else ""
        glue = not out or _glues(prev, tok, lang)
        if tok == '"':
            glue = glue or quote_open
            quote_open = not quote_open
        elif prev == '"' and quote_open:
            glue = True
        out.append(tok if glue else " " + tok)
    return "".join(out)


def _glues(prev: str, tok: str, lang: str) -> bool:
    """True when `tok` attaches to the previous token without a space."""
    if lang == "fr" and tok in _FRENCH_SPACED:
        return False
    if tok in _NO_SPACE_BEFORE or prev in _NO_SPACE_AFTER:
        return True
    if tok == "-" or (tok.startswith("-") and len(tok) > 1):  # hyphen: vas -tu, connais - tu
        return True
    return prev.endswith("'") and len(prev) > 1  # elision: l' homme -> l'homme


@dataclass(frozen=True)
class Vocab:
    """Index <-> token maps; ids 0..3 are the specials."""

    itos: tuple[str, ...]

    def __post_init__(self) -> None:
        if tuple(self.itos[:4]) != SPECIALS:
            raise ValueError(f"vocabulary must start with {SPECIALS}")
        if len(set(self.itos)) != len(self.itos):
            raise ValueError("vocabulary has duplicate tokens")
        object.__setattr__(self, "_stoi", {tok: i for i, tok in enumerate(self.itos)})

    @classmethod
    def build(
        cls, sentences: Iterable[Sequence[str]], min_freq: int = 2, max_size: int | None = None
    ) -> Vocab:
        counts = Counter(tok for sent in sentences for tok in sent)
        for special in SPECIALS:
            counts.pop(special, None)
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        words = [w for w, c in ranked if c >= min_freq]
        if max_size is not None:
            words = words[: max(0, max_size - len(SPECIALS))]
        return cls(SPECIALS + tuple(words))

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self._stoi

    def id(self, token: str) -> int:
        return self._stoi.get(token, UNK_ID)

    def encode(self, tokens: Sequence[str], add_eos: bool = False) -> list[int]:
        ids = [self._stoi.get(t, UNK_ID) for t in tokens]
        return ids + [EOS_ID] if add_eos else ids

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self.itos[i] for i in ids]

    def to_json(self) -> list[str]:
        return list(self.itos)

    @classmethod
    def from_json(cls, data: list[str]) -> Vocab:
        if not isinstance(data, list) or not all(isinstance(t, str) for t in data):
            raise ValueError("vocabulary JSON must be a list of strings")
        return cls(tuple(data))

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_json(), ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> Vocab:
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))


class EmptyInputError(ValueError):
    """The text has no tokens after normalisation."""


@dataclass(frozen=True)
class EncodedText:
    """A sentence ready for the encoder, with what the app needs to show about it."""

    tokens: tuple[str, ...]  # surface forms, after normalisation (and lowercasing)
    ids: tuple[int, ...]  # vocabulary ids, <unk> for unknown words (no <eos>)
    unknown: tuple[bool, ...]
    truncated_from: int  # token count before truncation (== len(tokens) when not truncated)


def encode_text(text: str, vocab: Vocab, lang: str, lowercase: bool, max_len: int) -> EncodedText:
    tokens = tokenize(text, lang, lowercase)
    n = len(tokens)
    tokens = tokens[:max_len]
    ids = vocab.encode(tokens)
    return EncodedText(
        tokens=tuple(tokens),
        ids=tuple(ids),
        unknown=tuple(i == UNK_ID for i in ids),
        truncated_from=n,
    )
