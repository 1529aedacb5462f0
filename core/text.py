"""Counting what a person can actually read in a piece of text.

A reason of 20 zero-width spaces is 20 characters long and says nothing. ``visible_length`` counts the characters
left after Unicode normalisation (NFKC), leaving out format characters (Cf: zero-width spaces and joiners, direction
marks), control characters (Cc), every kind of space and line break, and the few letters and symbols that draw
nothing (the Hangul fillers, the blank braille pattern, the combining grapheme joiner).
"""

from __future__ import annotations

import unicodedata

DRAW_NOTHING = frozenset("\u034f\u115f\u1160\u2800\u3164\uffa0")
UNSEEN_CATEGORIES = frozenset({"Cf", "Cc", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"})


def visible_length(text: str) -> int:
    """How many characters of ``text`` a reader sees."""
    normal = unicodedata.normalize("NFKC", text)
    return sum(
        1
        for ch in normal
        if not ch.isspace() and ch not in DRAW_NOTHING and unicodedata.category(ch) not in UNSEEN_CATEGORIES
    )
