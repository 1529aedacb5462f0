"""Cycle arithmetic on calendar days: months of different lengths, leap days, cycles that never overlap."""

from __future__ import annotations

from datetime import date

import pytest

from training.services.dates import add_months, cycle_end, days_between, grace_end, next_cycle, provisional_deadline


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),  # a shorter month: its last day
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # a leap February
        (date(2024, 2, 29), 12, date(2025, 2, 28)),  # a leap day a year on
        (date(2024, 2, 29), 48, date(2028, 2, 29)),  # and four years on
        (date(2026, 12, 15), 1, date(2027, 1, 15)),  # across a year
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
    ],
)
def test_a_month_later_is_the_same_day_or_the_last_day_of_a_shorter_month(start, months, expected):
    assert add_months(start, months) == expected


def test_a_cycle_ends_the_day_before_the_same_day_months_later():
    assert cycle_end(date(2026, 7, 1), 24) == date(2028, 6, 30)
    assert cycle_end(date(2026, 1, 1), 12) == date(2026, 12, 31)
    assert cycle_end(date(2024, 2, 29), 12) == date(2025, 2, 27)  # 28 February 2025 is the first day after


def test_the_next_cycle_starts_the_day_after_so_no_day_is_in_two():
    starts, ends = next_cycle(date(2028, 2, 29), 24)
    assert starts == date(2028, 3, 1)
    assert ends == date(2030, 2, 28)
    following = next_cycle(ends, 24)
    assert following[0] == date(2030, 3, 1)
    assert days_between(starts, ends) + days_between(*following) == days_between(starts, following[1])


def test_grace_and_provisional_deadlines():
    assert grace_end(date(2026, 12, 31), 90) == date(2027, 3, 31)
    assert grace_end(date(2026, 12, 31), 0) == date(2026, 12, 31)
    assert provisional_deadline(date(2026, 1, 15), 6, date(2027, 12, 31)) == date(2026, 7, 14)
    assert provisional_deadline(date(2026, 1, 15), 36, date(2027, 12, 31)) == date(2027, 12, 31)  # never later
    assert provisional_deadline(date(2026, 1, 15), None, date(2027, 12, 31)) == date(2027, 12, 31)
