"""Cycle arithmetic on calendar days (the agency's days, from ``core.timeutil.today``), with no database.

A month later is the same day number of the next month, or that month's last day when it has fewer days: a
certification issued on 29 February 2024 for 12 months runs to 28 February 2025 (the day before 1 March would be
wrong in a leap year's February and right in the others, so the clamp is the one rule that never skips a day).
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

ONE_DAY = timedelta(days=1)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, clamped to the last day of a shorter month."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def cycle_end(starts_on: date, months: int) -> date:
    """The last day of a cycle of ``months`` that starts on ``starts_on``: the day before the same day ``months``
    later (a cycle from 1 July 2026 for 24 months ends on 30 June 2028)."""
    return add_months(starts_on, months) - ONE_DAY


def next_cycle(previous_ends_on: date, months: int) -> tuple[date, date]:
    """The cycle after one that ends on ``previous_ends_on``: it starts the next day, so no day is in two cycles."""
    starts_on = previous_ends_on + ONE_DAY
    return starts_on, cycle_end(starts_on, months)


def grace_end(expires_on: date, grace_days: int) -> date:
    """The last day of the grace period: ``grace_days`` after the last day of the cycle (the same day when none)."""
    return expires_on + timedelta(days=max(grace_days, 0))


def provisional_deadline(issued_on: date, months: int | None, expires_on: date) -> date:
    """The last day a provisional holder has to meet the provisional requirements: ``months`` from the day it was
    issued, never after the certification itself expires."""
    if months is None:
        return expires_on
    return min(cycle_end(issued_on, months), expires_on)


def days_between(first: date, last: date) -> int:
    """Days from ``first`` to ``last``, both counted (a cycle's length)."""
    return (last - first).days + 1
