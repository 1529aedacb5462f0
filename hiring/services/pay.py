"""Pay: amounts typed in dollars, kept in whole cents, shown by the hour and by the year.

A year of full-time work is 52 weeks of the posting's hours (40 unless it says otherwise); the living wage is an
hourly amount the administrator enters for the agency's county, shown by the year as 52 weeks of 40 hours.
"""

from __future__ import annotations

from dataclasses import dataclass

from core import settings
from core.money import dollars, parse_dollars, plain
from hiring.models import PayPeriod

__all__ = ["dollars", "parse_dollars", "plain"]

WEEKS = 52
FULL_TIME_HOURS = 40
LIVING_WAGE = "living_wage_hourly"
LIVING_WAGE_AREA = "living_wage_area"


def hourly_cents(cents: int, period: str, hours_per_week: int) -> int:
    if period == PayPeriod.HOUR:
        return cents
    return round(cents / (WEEKS * max(hours_per_week, 1)))


def yearly_cents(cents: int, period: str, hours_per_week: int) -> int:
    if period == PayPeriod.YEAR:
        return cents
    return cents * WEEKS * max(hours_per_week, 1)


@dataclass(frozen=True)
class LivingWage:
    hourly_cents: int
    area: str

    @property
    def yearly_cents(self) -> int:
        return self.hourly_cents * WEEKS * FULL_TIME_HOURS


def living_wage() -> LivingWage | None:
    """The living wage the administrator entered, or None."""
    cents = parse_dollars(settings.get(LIVING_WAGE))
    return LivingWage(cents, settings.get(LIVING_WAGE_AREA)) if cents else None


def describe(low: int | None, high: int | None, period: str, hours_per_week: int) -> str:
    """ "$24.00 to $28.00 per hour ($49,920 to $58,240 per year at 40 hours a week)"."""
    if low is None:
        return ""
    top = high if high is not None else low
    same = top == low
    main = dollars(low) if same else f"{dollars(low)} to {dollars(top)}"
    if period == PayPeriod.HOUR:
        other_low, other_high = yearly_cents(low, period, hours_per_week), yearly_cents(top, period, hours_per_week)
        other = (
            dollars(other_low, whole=True)
            if same
            else (f"{dollars(other_low, whole=True)} to {dollars(other_high, whole=True)}")
        )
        return f"{main} per hour ({other} per year at {hours_per_week} hours a week)"
    other_low, other_high = hourly_cents(low, period, hours_per_week), hourly_cents(top, period, hours_per_week)
    other = dollars(other_low) if same else f"{dollars(other_low)} to {dollars(other_high)}"
    return f"{main} per year ({other} per hour at {hours_per_week} hours a week)"
