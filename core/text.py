"""Counting what a person can actually read in a piece of text.

A reason of 20 zero-width spaces is 20 characters long and says nothing. ``visible_length`` counts the characters
left after Unicode normalisation (NFKC), leaving out format characters (Cf: zero-width spaces and joiners, direction
marks), control characters (Cc), every kind of space and line break, and the few letters, symbols and marks that
draw nothing (the Hangul fillers, the blank braille pattern, and the rest of Unicode's default-ignorable code points
that are not format characters: the combining grapheme joiner, the variation selectors, the Khmer inherent vowels
and the Mongolian free variation selectors).

``counting_rule`` hands the same rule to the browser, for the live character counters
(static/js/visible-length.js), so a counter never says "enough" for a reason the server then refuses.

``name_key`` is the one way two typed names are compared ("José  Álvarez" and "jose alvarez" are the same person's
name): the duplicate check at intake, emergency access and the private declaration all use it.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache
from itertools import groupby

DRAW_NOTHING = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180f\u2800\u3164\uffa0"
    + "".join(chr(code) for code in range(0xFE00, 0xFE10))  # variation selectors 1-16
    + "".join(chr(code) for code in range(0xE0100, 0xE01F0))  # variation selectors 17-256
)
UNSEEN_CATEGORIES = frozenset({"Cf", "Cc", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"})


def visible_length(text: str) -> int:
    """How many characters of ``text`` a reader sees."""
    return sum(1 for ch in unicodedata.normalize("NFKC", text) if _seen(ch))


def _seen(ch: str) -> bool:
    """Whether one character of normalised text is one a reader sees."""
    return not ch.isspace() and ch not in DRAW_NOTHING and unicodedata.category(ch) not in UNSEEN_CATEGORIES


@dataclass(frozen=True)
class CountingRule:
    """``visible_length`` as data for the browser, both sets read from this Python's Unicode database:

    * ``unassigned``: the code points it does not know (category Cn). The browser's Unicode is usually newer: a
      character it knows but the server does not would otherwise be normalised and counted there, never here. The
      browser puts U+FFFF (a code point never assigned) in place of each before normalising, so the rest is
      normalised exactly as here (Unicode's normalisation stability: text in characters of one version is
      normalised the same by every later version);
    * ``blank``: the assigned ones ``visible_length`` does not count (spaces, line breaks, format, control,
      surrogate and private-use characters, and those that draw nothing).

    Each is a list of ranges of code points, written ``gap.span`` in base 36 and separated by spaces: a range's first
    code point is ``gap`` past the code point that follows the range before (past 0 for the first range), and its
    last is ``span`` past its first."""

    unassigned: str
    blank: str


@cache
def counting_rule() -> CountingRule:
    """The counting rule of this Python's Unicode database, built on first use (0.3 s; 3 kB)."""
    runs: dict[str, list[tuple[int, int]]] = {"unassigned": [], "blank": [], "seen": []}
    first = 0
    for kind, run in groupby(range(0x110000), _kind):
        last = first + sum(1 for _ in run) - 1
        runs[kind].append((first, last))
        first = last + 1
    return CountingRule(unassigned=_ranges(runs["unassigned"]), blank=_ranges(runs["blank"]))


def _kind(code: int) -> str:
    ch = chr(code)
    return "unassigned" if unicodedata.category(ch) == "Cn" else "seen" if _seen(ch) else "blank"


def _ranges(ranges: list[tuple[int, int]]) -> str:
    parts, after = [], 0
    for first, last in ranges:
        parts.append(f"{_base36(first - after)}.{_base36(last - first)}")
        after = last + 1
    return " ".join(parts)


def _base36(number: int) -> str:
    digits = ""
    while True:
        number, digit = divmod(number, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[digit] + digits
        if not number:
            return digits


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
