"""Hostile and odd sentences, one table for both the AppTest suite and the Chromium suite.

Each case says what the app must show for it (an i18n key of a notice, or nothing special) and
which tokens must appear as literal text in the encoder-states chart. The payloads that would
run script if they were ever rendered as HTML set ``window.__pwned`` or call ``alert``; the
browser tests check that neither happened.
"""

from __future__ import annotations

from dataclasses import dataclass

# Set by any payload that manages to run; the browser tests assert it stays undefined.
SENTINEL = "__pwned"


@dataclass(frozen=True)
class Case:
    """One input. `notice`: i18n key of an info/warning that must be shown (None: none needed).
    `ticks`: substrings that must show up, literally, among the encoder chart's token labels."""

    id: str
    text: str
    notice: str | None = None
    ticks: tuple[str, ...] = ()


CASES: tuple[Case, ...] = (
    Case("empty", "", "input.empty"),
    Case("whitespace", "   \n\t  \n ", "input.empty"),
    Case("10k-chars", "abcdefghij" * 1000, ticks=("abcdefghijabc…",)),
    Case("500-tokens", " ".join(["cat"] * 500), "input.truncated", ticks=("cat",)),
    Case("punctuation", "?!.,;:…", ticks=("?", "!")),
    Case("emoji", "🐈 😺 the cat 🎉", ticks=("🐈", "the")),
    Case("korean", "고양이가 잔다", ticks=("고양이가",)),
    Case("arabic", "القطة نائمة", ticks=("القطة",)),
    Case("script", f"<script>window.{SENTINEL}=1;alert(1)</script>", ticks=("<", "script")),
    Case("img-onerror", f'<img src=x onerror="window.{SENTINEL}=1;alert(1)">', ticks=("onerror",)),
    Case("markdown", "**bold** [x](javascript:alert(1)) _it_ # head", ticks=("*", "bold")),
    Case("latex-frac", r"$\frac{}{}$ and $x^2$", ticks=("$",)),
    Case("latex-align", r"\begin{align} x &= 1 \\ y \end{align}", ticks=("\\begin{align",)),
    Case("latex-display", "$$x$$", ticks=("$",)),
    Case("backslashes", "\\\\", ticks=("\\\\",)),
    Case("plotly-html", "<b>bold</b> <br> &amp; <a href='javascript:alert(1)'>x</a>", ticks=("<",)),
    Case("control-chars", "the\x07cat\x1b[31m sleeps\x08", ticks=("the", "cat")),
    Case("control-only", "\x07\x1b\x08", "input.no_words"),
    Case("nul-byte", "the\x00cat sleeps", ticks=("the", "cat")),
    Case("mixed-newlines", "the cat\r\nsleeps\rnow\n.", ticks=("sleeps", "now")),
    Case("bidi-zero-width", "\u202eevil\u200b cat\ufeff", ticks=("cat",)),
    Case("format-strings", "{name} {0} %s %(x)s {{t}}", ticks=("%",)),
)
