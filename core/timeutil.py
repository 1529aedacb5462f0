"""Time helpers: the one place that knows what "now" and "today" are.

Every stored time is naive UTC, so SQLite and PostgreSQL read back the same value. Every day a person sees or
enters ("today", a note's date, a due date, "seen the same day") is a calendar day in the agency's time zone, an
IANA name (``America/New_York``) set on the administrator's settings page, defaulting to ``AGENCY_TIME_ZONE``.
Modules never call ``datetime.now``, ``date.today`` or the database's clock: they call ``utcnow`` and ``today``
here, and turn stored times into the agency's days with ``local_date`` / ``local_time``.

Tests move the clock with ``core.timeutil.clock`` (see the ``frozen_time`` fixture).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask import current_app, g, has_app_context

DEFAULT_ZONE = "America/New_York"
SETTING = "agency_time_zone"


def _system_clock() -> datetime:
    return datetime.now(UTC)


clock: Callable[[], datetime] = _system_clock  # an aware datetime; tests replace it


def utcnow() -> datetime:
    """Now, as stored: naive UTC."""
    return clock().astimezone(UTC).replace(tzinfo=None)


@cache
def zone_names() -> tuple[str, ...]:
    """Every IANA time-zone name this machine knows, sorted, for the settings page."""
    return tuple(sorted(available_timezones()))


def is_zone_name(name: str) -> bool:
    if not name or name != name.strip() or name not in zone_names():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def agency_zone() -> ZoneInfo:
    """The agency's time zone: the setting, else the configured default. Read once per request."""
    if not has_app_context():
        return ZoneInfo(DEFAULT_ZONE)
    cached = g.get("_agency_zone")
    if cached is None:
        from core import settings  # settings -> models -> timeutil: import when first needed

        name = settings.get(SETTING)
        cached = ZoneInfo(name if is_zone_name(name) else current_app.config.get("AGENCY_TIME_ZONE", DEFAULT_ZONE))
        g._agency_zone = cached
    return cached


def forget_agency_zone() -> None:
    """Read the setting again on the next call (after the setting changed)."""
    if has_app_context():
        g.pop("_agency_zone", None)


def now_local() -> datetime:
    """Now in the agency's time zone (aware)."""
    return clock().astimezone(agency_zone())


def today() -> date:
    """Today's date where the agency is."""
    return now_local().date()


def local_time(stored: datetime) -> datetime:
    """A stored (naive UTC) time in the agency's time zone (aware), for showing it."""
    return stored.replace(tzinfo=UTC).astimezone(agency_zone())


def local_date(stored: datetime) -> date:
    """The agency's calendar day of a stored (naive UTC) time."""
    return local_time(stored).date()


def from_local(day: date, at: time) -> datetime:
    """A day and clock time typed in the agency's time zone, as stored (naive UTC).

    In the hour the clocks go back the earlier of the two moments is taken; a time skipped when the clocks go
    forward is read as if the clocks had not changed yet (Python's ``fold=0``), which lands an hour later."""
    local = datetime.combine(day, at).replace(tzinfo=agency_zone())
    return local.astimezone(UTC).replace(tzinfo=None)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The stored (naive UTC) times where the agency's ``day`` starts and the next day starts: a query for
    "on this day" is ``start <= at < end`` (23 or 25 hours long on the days the clocks change)."""
    return from_local(day, time()), from_local(day + timedelta(days=1), time())


def long_date(day: date) -> str:
    """A date in words, the way people say it: "Monday 23 November 2026"."""
    return f"{day.strftime('%A')} {day.day} {day.strftime('%B %Y')}"
