"""Time helpers: the one place that knows what "now" and "today" are.

Every stored time is naive UTC, so SQLite and PostgreSQL read back the same value. Every day a person sees or
enters ("today", a note's date, a due date, "seen the same day") is a calendar day in the agency's time zone, an
IANA name (``America/New_York``) set on the administrator's settings page, defaulting to ``AGENCY_TIME_ZONE``.
Modules never call ``datetime.now``, ``date.today`` or the database's clock: they call ``utcnow`` and ``today``
here, and turn stored times into the agency's days with ``local_date`` / ``local_time``.

Tests move the clock with ``core.timeutil.clock`` (see the ``frozen_time`` fixture).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask import Flask, current_app, g, has_app_context

DEFAULT_ZONE = "America/New_York"
SETTING = "agency_time_zone"
ENVIRONMENT = "AGENCY_TIME_ZONE"
# Names zoneinfo knows that are no agency's zone: "localtime" is whatever the server is set to (two app servers
# could disagree), "Factory" is a placeholder, "posixrules" a compiler default.
NOT_A_PLACE = frozenset({"localtime", "Factory", "posixrules"})


def _system_clock() -> datetime:
    return datetime.now(UTC)


clock: Callable[[], datetime] = _system_clock  # an aware datetime; tests replace it


def utcnow() -> datetime:
    """Now, as stored: naive UTC."""
    return clock().astimezone(UTC).replace(tzinfo=None)


@cache
def zone_names() -> tuple[str, ...]:
    """Every IANA time-zone name this machine knows that names a place, sorted, for the settings page."""
    return tuple(sorted(available_timezones() - NOT_A_PLACE))


def is_zone_name(name: str) -> bool:
    if not name or name != name.strip() or name not in zone_names():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def configured_zone_name() -> str:
    """The default zone: ``AGENCY_TIME_ZONE`` from the app's config (read from the environment), else the
    environment itself outside an app (a script), else America/New_York."""
    if has_app_context():
        name = str(current_app.config.get(ENVIRONMENT) or DEFAULT_ZONE)
    else:
        name = os.environ.get(ENVIRONMENT) or DEFAULT_ZONE
    return name


def check_configured_zone(name: str) -> str:
    """Refuse to start with an ``AGENCY_TIME_ZONE`` that is no time zone, rather than fail on every page later."""
    if not is_zone_name(name):
        raise ValueError(
            f"{ENVIRONMENT}={name!r} is not a time zone this machine knows. Use an IANA name such as "
            "America/New_York (the list is in /usr/share/zoneinfo; Debian's tzdata package provides it)."
        )
    return name


def agency_zone() -> ZoneInfo:
    """The agency's time zone: the setting, else the configured default. Read once per request (a signed-in
    request reads it with the session: ``remember_zone_setting``)."""
    if not has_app_context():
        return ZoneInfo(configured_zone_name())
    cached = g.get("_agency_zone")
    if cached is None:
        read_setting = current_app.extensions.get(ZONE_SETTING_READER)
        cached = remember_zone_setting(read_setting() if read_setting is not None else "")
    return cached


ZONE_SETTING_READER = "peerworks.zone_setting_reader"


def read_zone_setting_with(app: Flask, read_setting: Callable[[], str]) -> None:
    """How to read the saved zone setting, given by the app factory: core.settings reads it through the models,
    which use this module's clock, so this module must not import it."""
    app.extensions[ZONE_SETTING_READER] = read_setting


def remember_zone_setting(name: str) -> ZoneInfo:
    """Use the saved setting ``name`` ("" when none) for the rest of this request."""
    zone = ZoneInfo(name if is_zone_name(name) else configured_zone_name())
    g._agency_zone = zone
    return zone


def agency_zone_name() -> str:
    return agency_zone().key


def forget_agency_zone() -> None:
    """Read the setting again on the next call (after the setting changed)."""
    if has_app_context():
        g.pop("_agency_zone", None)


ZONE_LISTENERS = "peerworks.zone_listeners"


def when_zone_changes(app: Flask, refill: Callable[[], None]) -> None:
    """A module that stores the agency's local day of a time (e.g. the day a referral came in, so the database
    can group by it) registers here, from its ``register(app)``, how to work those days out again."""
    app.extensions.setdefault(ZONE_LISTENERS, []).append(refill)


def zone_changed() -> None:
    """The agency's zone was just changed (inside the same transaction): refill every stored local day."""
    forget_agency_zone()
    for refill in current_app.extensions.get(ZONE_LISTENERS, []):
        refill()


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


def local_naive(stored: datetime) -> datetime:
    """A stored time as the agency's wall-clock time without a zone, for a date-and-time input box."""
    return local_time(stored).replace(tzinfo=None)


def from_local(day: date, at: time) -> datetime:
    """A day and clock time typed in the agency's time zone, as stored (naive UTC).

    In the hour the clocks go back the earlier of the two moments is taken; a time skipped when the clocks go
    forward is read as if the clocks had not changed yet (Python's ``fold=0``), which lands an hour later."""
    local = datetime.combine(day, at).replace(tzinfo=agency_zone())
    return local.astimezone(UTC).replace(tzinfo=None)


def from_local_moment(typed: datetime) -> datetime:
    """A date and time typed in one box (naive, the agency's wall clock), as stored (naive UTC)."""
    return from_local(typed.date(), typed.time())


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The stored (naive UTC) times where the agency's ``day`` starts and the next day starts: a query for
    "on this day" is ``start <= at < end`` (23 or 25 hours long on the days the clocks change)."""
    return _start_of(day), _start_of(day + timedelta(days=1)) if day < date.max else datetime.max


def _start_of(day: date) -> datetime:
    try:
        return from_local(day, time())
    except OverflowError:  # the first or last day a datetime can hold, typed into a date filter
        return datetime.min if day.year == 1 else datetime.max


def long_date(day: date) -> str:
    """A date in words, the way people say it: "Monday 23 November 2026"."""
    return f"{day.strftime('%A')} {day.day} {day.strftime('%B %Y')}"


# Templates -----------------------------------------------------------------------------------------------------


def _local_filter(stored: datetime | None) -> datetime | None:
    return None if stored is None else local_time(stored)


def _clock_filter(stored: datetime | None) -> str:
    """"18:40", the agency's wall clock."""
    return "" if stored is None else f"{local_time(stored):%H:%M}"


def _local_day_filter(value: date | None) -> date | None:
    """The agency's day of a stored time; a date (already a calendar day) is left as it is."""
    return local_date(value) if isinstance(value, datetime) else value


def _stamp_filter(stored: datetime | None) -> str:
    """The value of a ``<time datetime=…>`` attribute: the moment with the agency's offset."""
    return "" if stored is None else local_time(stored).isoformat(timespec="seconds")


def _forget_before_request() -> None:
    forget_agency_zone()  # read once per request: never one cached outside it (a test's app context outlives it)


def _forget_after_request(_error: BaseException | None) -> None:
    forget_agency_zone()


def register_templates(app: Flask) -> None:
    """Templates show stored times through these: ``{{ note.created_at|local }}`` (the agency's aware time, to
    format), ``|clock`` ("18:40"), ``|local_day`` (the agency's date), ``|stamp`` (for ``<time datetime>``)."""
    # First of all before-request functions: the session loader, run by the guard, reads the zone with the session.
    app.before_request_funcs.setdefault(None, []).insert(0, _forget_before_request)
    app.teardown_request(_forget_after_request)
    app.jinja_env.filters["local"] = _local_filter
    app.jinja_env.filters["clock"] = _clock_filter
    app.jinja_env.filters["local_day"] = _local_day_filter
    app.jinja_env.filters["stamp"] = _stamp_filter
    app.jinja_env.globals["agency_today"] = today
    app.jinja_env.globals["agency_now"] = now_local
    app.jinja_env.globals["agency_zone_name"] = agency_zone_name
    app.jinja_env.globals.setdefault("long_date", long_date)
