"""Make the app's bundled Hangul web fonts: NanumBarunGothic cut down to what Korean text needs.

    pip install fonttools brotli        # tools of this script only, not of the app
    python bench/subset_font.py REGULAR.ttf BOLD.ttf [--out static/fonts]

The full fonts (4.2 and 4.4 MB of TrueType, all 11,172 Hangul syllables) were the largest files
of a first page load, sent to every student of a class. Kept: the 2,350 syllables of KS X 1001
(the set Korean text is written in almost entirely), the compatibility jamo, CJK punctuation and
the halfwidth/fullwidth forms, plus every character of the app's own Korean strings and the
glossary; written as WOFF2. A syllable outside the subset is drawn by the next font of the
theme's stack (the system's), never as an empty box where a Korean system font exists.

The SIL OFL 1.1 reserves the name "NanumBarunGothic" for the original: a modified version
(a subset is one) must be renamed, so the family is called "S2SViz Hangul" here and the licence
file says what was changed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parents[1]
FAMILY = "S2SViz Hangul"
RANGES = [(0x3131, 0x318E), (0x3000, 0x303F), (0xFF01, 0xFFEF), (0x0020, 0x007E)]


def ksx1001_hangul() -> set[str]:
    """The 2,350 precomposed syllables of KS X 1001 (EUC-KR rows 0xB0-0xC8)."""
    out = set()
    for lead in range(0xB0, 0xC9):
        for trail in range(0xA1, 0xFF):
            try:
                out.add(bytes([lead, trail]).decode("euc-kr"))
            except UnicodeDecodeError:
                continue
    return out


def app_text() -> str:
    """Every string the app shows in Korean, and the glossary's terms."""
    parts = []
    for name in ("ko.json", "en.json"):
        data = json.loads((ROOT / "seq2seq_viz" / "i18n" / name).read_text(encoding="utf-8"))
        parts += [v for v in data.values() if isinstance(v, str)]
    glossary = ROOT.parent / "shared" / "GLOSSARY.md"
    if glossary.exists():
        parts.append(glossary.read_text(encoding="utf-8"))
    return "".join(parts)


def characters() -> set[str]:
    chars = ksx1001_hangul() | set(app_text())
    for lo, hi in RANGES:
        chars |= {chr(c) for c in range(lo, hi + 1)}
    return {c for c in chars if c.isprintable() or c == " "}


def rename(font: TTFont, style: str) -> None:
    """Give the subset its own name (the OFL's Reserved Font Name rule)."""
    names = {
        1: FAMILY,
        2: style,
        3: f"{FAMILY.replace(' ', '')}-{style}; subset of NanumBarunGothic",
        4: f"{FAMILY} {style}",
        6: f"{FAMILY.replace(' ', '')}-{style}",
        16: FAMILY,
        17: style,
    }
    table = font["name"]
    table.names = [r for r in table.names if r.nameID not in names]
    for name_id, text in names.items():
        table.setName(text, name_id, 3, 1, 0x409)  # Windows, Unicode BMP, English (US)


def make(src: Path, dest: Path, style: str, chars: set[str]) -> int:
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    font = subset.load_font(str(src), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(chars)))
    subsetter.subset(font)
    rename(font, style)
    subset.save_font(font, str(dest), options)
    return dest.stat().st_size


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("regular", type=Path)
    p.add_argument("bold", type=Path)
    p.add_argument("--out", type=Path, default=ROOT / "static" / "fonts")
    args = p.parse_args()
    chars = characters()
    hangul = sum(0xAC00 <= ord(c) <= 0xD7A3 for c in chars)
    print(f"{len(chars)} characters, {hangul} Hangul syllables", file=sys.stderr)
    for src, style in ((args.regular, "Regular"), (args.bold, "Bold")):
        dest = args.out / f"S2SVizHangul-{style}.woff2"
        size = make(src, dest, style, chars)
        print(f"{dest}: {size / 1e3:.0f} KB (from {src.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
