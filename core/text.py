"""Counting what a person can actually read in a piece of text.

A reason of 20 zero-width spaces is 20 characters long and says nothing. ``visible_length`` counts the characters
left after Unicode normalisation (NFKC), leaving out format characters (Cf: zero-width spaces and joiners, direction
marks), control characters (Cc), every kind of space and line break, and the few letters, symbols and marks that
draw nothing (the Hangul fillers, the blank braille pattern, and the rest of Unicode's default-ignorable code points
that are not format characters: the combining grapheme joiner, the variation selectors, the Khmer inherent vowels
and the Mongolian free variation selectors).

``name_key`` is the one way two typed names are compared ("José  Álvarez" and "jose alvarez" are the same person's
name): the duplicate check at intake, emergency access and the private declaration all use it.
"""

from __future__ import annotations

import unicodedata

DRAW_NOTHING = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180f\u2800\u3164\uffa0"
    + "".join(chr(code) for code in range(0xFE00, 0xFE10))  # variation selectors 1-16
    + "".join(chr(code) for code in range(0xE0100, 0xE01F0))  # variation selectors 17-256
)
UNSEEN_CATEGORIES = frozenset({"Cf", "Cc", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"})


def visible_length(text: str) -> int:
    """How many characters of ``text`` a reader sees."""
    normal = unicodedata.normalize("NFKC", text)
    return sum(
        1
        for ch in normal
        if not ch.isspace() and ch not in DRAW_NOTHING and unicodedata.category(ch) not in UNSEEN_CATEGORIES
    )


def name_key(name: str) -> str:
    """A name as it is compared: compatibility-normalised, accents and other marks taken off, case folded, invisible
    characters dropped and every run of spaces made one space."""
    decomposed = unicodedata.normalize("NFKD", name)
    kept = "".join(
        " " if ch.isspace() else ch
        for ch in decomposed
        if unicodedata.category(ch) not in ("Mn", "Me", "Cf", "Cc") or ch.isspace()
    )
    return " ".join(unicodedata.normalize("NFKC", kept).casefold().split())
