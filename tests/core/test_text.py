"""The counting rule handed to the browser's live character counters (core.text.counting_rule) is the server's
own: read back as static/js/visible-length.js reads it, it sorts every code point as ``visible_length`` does."""

from __future__ import annotations

import unicodedata

from core.text import counting_rule, visible_length


def read_ranges(written: str) -> list[tuple[int, int]]:
    """The ranges as static/js/visible-length.js reads them ("gap.span" in base 36, separated by spaces)."""
    found, after = [], 0
    for pair in written.split(" "):
        gap, span = (int(part, 36) for part in pair.split("."))
        first = after + gap
        found.append((first, first + span))
        after = first + span + 1
    return found


def code_points(ranges: list[tuple[int, int]]) -> set[int]:
    return {code for first, last in ranges for code in range(first, last + 1)}


def test_the_browser_gets_the_unassigned_and_blank_code_points_of_the_servers_unicode():
    rule = counting_rule()
    unassigned = code_points(read_ranges(rule.unassigned))
    blank = code_points(read_ranges(rule.blank))

    assert not unassigned & blank
    for code in range(0x110000):
        ch = chr(code)
        assert (code in unassigned) == (unicodedata.category(ch) == "Cn"), hex(code)
        # The browser counts a character of normalised text when it is neither unassigned nor blank: exactly when
        # visible_length counts it (a character normalisation changes never reaches that test).
        if unicodedata.normalize("NFKC", ch) == ch:
            assert (code not in unassigned and code not in blank) == (visible_length(ch) == 1), hex(code)

def test_the_invisible_padding_a_counter_must_not_count_is_blank():
    blank = code_points(read_ranges(counting_rule().blank))
    for ch in " \t\n\u00a0\u200b\u200c\u200d\u2060\ufeff\u00ad\u034f\u3164\u2800\ufe0f\u3000\u2028\U000e0020":
        assert ord(ch) in blank, hex(ord(ch))
    for ch in "aé危\u0301\u2764":
        assert ord(ch) not in blank, hex(ord(ch))
