"""Showing text people typed exactly as typed: markdown, HTML and LaTeX specials are escaped.

Streamlit renders markdown (and ``$...$`` as LaTeX) in st.markdown, captions, metric values and
labels. CommonMark lets a backslash escape any ASCII punctuation, so escaping every one of them
shows the text literally; whitespace runs (newlines included) collapse to one space.
"""

from __future__ import annotations

import re

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>$~&:\"'=^%@,;?/])")


def escape_markdown(text: str) -> str:
    """Backslash-escape every markdown, HTML and LaTeX special character (shown literally)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))
