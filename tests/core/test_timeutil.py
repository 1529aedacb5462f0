"""The agency's calendar, not UTC's: core.timeutil at 23:30 in New York (already tomorrow in UTC), on both days the
clocks change, on leap day and at year end; and proof that no app code asks anyone else what time it is."""

from __future__ import annotations

import ast
import re
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from core import settings, timeutil
from core.app import ROOT

APP_PACKAGES = ("core", "caseload", "readiness", "hiring", "training", "supervision")


def hours(span: tuple[datetime, datetime]) -> float:
    return (span[1] - span[0]).total_seconds() / 3600


# Evening in New York ---------------------------------------------------------------------------------------


def test_at_half_past_eleven_at_night_it_is_still_today(app, frozen_time):
    frozen_time.at("2026-12-08 23:30")
    assert timeutil.utcnow() == datetime(2026, 12, 9, 4, 30)  # UTC is already tomorrow
    assert timeutil.today() == date(2026, 12, 8)
    assert timeutil.local_date(timeutil.utcnow()) == date(2026, 12, 8)
    assert f"{timeutil.local_time(timeutil.utcnow()):%H:%M %Z}" == "23:30 EST"
    assert timeutil.day_bounds(date(2026, 12, 8)) == (datetime(2026, 12, 8, 5), datetime(2026, 12, 9, 5))


def test_a_typed_evening_time_is_stored_in_utc_and_shown_back_as_typed(app):
    stored = timeutil.from_local(date(2026, 7, 1), time(19, 45))
    assert stored == datetime(2026, 7, 1, 23, 45)  # EDT is UTC-4
    assert timeutil.local_naive(stored) == datetime(2026, 7, 1, 19, 45)
    assert timeutil.from_local_moment(datetime(2026, 7, 1, 20, 30)) == datetime(2026, 7, 2, 0, 30)


# The clocks change ------------------------------------------------------------------------------------------


def test_spring_forward_is_a_23_hour_day_and_a_skipped_time_lands_an_hour_later(app, frozen_time):
    day = date(2027, 3, 14)  # 02:00 EST becomes 03:00 EDT
    assert hours(timeutil.day_bounds(day)) == 23
    typed = timeutil.from_local(day, time(2, 30))  # no such wall-clock time that night
    assert typed == datetime(2027, 3, 14, 7, 30)
    assert f"{timeutil.local_time(typed):%H:%M %Z}" == "03:30 EDT"
    frozen_time.at("2027-03-14 23:30")
    assert timeutil.today() == day
    assert timeutil.utcnow() == datetime(2027, 3, 15, 3, 30)


def test_fall_back_is_a_25_hour_day_and_the_repeated_hour_reads_as_the_first(app, frozen_time):
    day = date(2027, 11, 7)  # 02:00 EDT becomes 01:00 EST
    assert hours(timeutil.day_bounds(day)) == 25
    assert timeutil.from_local(day, time(1, 30)) == datetime(2027, 11, 7, 5, 30)  # the first 01:30 (EDT)
    frozen_time.at("2027-11-07 01:30", fold=1)  # the second 01:30 (EST), an hour later
    assert timeutil.utcnow() == datetime(2027, 11, 7, 6, 30)
    assert f"{timeutil.now_local():%H:%M %Z}" == "01:30 EST"
    assert timeutil.today() == day
    frozen_time.at("2027-11-07 23:30")
    assert timeutil.today() == day
    assert timeutil.utcnow() == datetime(2027, 11, 8, 4, 30)


# Calendar edges ---------------------------------------------------------------------------------------------


def test_leap_day_evening(app, frozen_time):
    frozen_time.at("2028-02-29 23:30")
    assert timeutil.utcnow().date() == date(2028, 3, 1)
    assert timeutil.today() == date(2028, 2, 29)
    assert hours(timeutil.day_bounds(date(2028, 2, 29))) == 24
    assert timeutil.long_date(timeutil.today()) == "Tuesday 29 February 2028"


def test_new_years_eve(app, frozen_time):
    frozen_time.at("2026-12-31 23:30")
    assert timeutil.utcnow() == datetime(2027, 1, 1, 4, 30)
    assert timeutil.today() == date(2026, 12, 31)
    assert timeutil.day_bounds(date(2026, 12, 31))[1] == datetime(2027, 1, 1, 5)


def test_the_first_and_last_days_a_date_box_can_hold_do_not_break_a_day_filter(app):
    assert timeutil.day_bounds(date.min)[0] <= datetime(1, 1, 2)
    assert timeutil.day_bounds(date.max)[1] == datetime.max


# Which zone -------------------------------------------------------------------------------------------------


def test_the_saved_setting_wins_over_the_environment(app, db, frozen_time):
    frozen_time.at(datetime(2026, 12, 9, 4, 30, tzinfo=UTC))
    assert timeutil.agency_zone_name() == app.config["AGENCY_TIME_ZONE"] == "America/New_York"
    settings.put(timeutil.SETTING, "America/Los_Angeles")
    assert timeutil.agency_zone_name() == "America/Los_Angeles"
    assert timeutil.today() == date(2026, 12, 8)
    settings.put(timeutil.SETTING, "Asia/Tokyo")
    assert timeutil.today() == date(2026, 12, 9)


def test_a_saved_name_the_machine_does_not_know_falls_back_to_the_environment(app, db):
    settings.put(timeutil.SETTING, "Mars/Olympus_Mons")
    assert timeutil.agency_zone_name() == "America/New_York"


@pytest.mark.parametrize("name", ["localtime", "Factory", "posixrules", "Mars/Base", " America/New_York", ""])
def test_names_that_are_no_agencys_zone_are_refused(name):
    assert not timeutil.is_zone_name(name)
    with pytest.raises(ValueError, match="AGENCY_TIME_ZONE"):
        timeutil.check_configured_zone(name)


def test_outside_an_app_the_environment_decides(monkeypatch):
    monkeypatch.setenv("AGENCY_TIME_ZONE", "America/Chicago")
    assert timeutil.agency_zone_name() == "America/Chicago"


# Nobody goes around the helper ------------------------------------------------------------------------------

CLOCK_CALLS = {
    ("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today"),
    ("time", "time"), ("time", "localtime"), ("time", "gmtime"),
}
DATABASE_CLOCKS = {"now", "current_date", "current_timestamp", "current_time", "localtime", "localtimestamp",
                   "sysdate", "date", "datetime", "julianday", "date_trunc", "timezone"}
DATABASE_CLOCK_WORDS = re.compile(r"\b(current_date|current_timestamp|localtimestamp|now\s*\(\))", re.IGNORECASE)


def clock_calls(source: str) -> list[str]:
    """Every place ``source`` asks for the time or the date other than through core.timeutil."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute):
            owner = node.value.attr if isinstance(node.value, ast.Attribute) else getattr(node.value, "id", "")
            if (owner, node.attr) in CLOCK_CALLS:
                found.append(f"line {node.lineno}: {owner}.{node.attr}")
            if owner == "func" and node.attr.lower() in DATABASE_CLOCKS:
                found.append(f"line {node.lineno}: func.{node.attr} (the database's clock or calendar)")
        elif isinstance(node, ast.ImportFrom) and node.module in {"datetime", "time"}:
            for alias in node.names:
                if (node.module, alias.name) in {("time", "time"), ("time", "localtime")}:
                    found.append(f"line {node.lineno}: from {node.module} import {alias.name}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and DATABASE_CLOCK_WORDS.search(node.value):
            found.append(f"line {node.lineno}: SQL text asking the database for the time")
    return found


def app_files() -> list[Path]:
    files = [ROOT / "wsgi.py"]
    for package in APP_PACKAGES:
        files += sorted((ROOT / package).rglob("*.py"))
    return [path for path in files if path != ROOT / "core" / "timeutil.py"]


def test_no_app_code_reads_a_clock_other_than_core_timeutil():
    files = app_files()
    assert len(files) > 60, "the walk found the app's files"
    strays = {str(path.relative_to(ROOT)): found for path in files if (found := clock_calls(path.read_text()))}
    assert strays == {}, "use core.timeutil (utcnow, today, now_local, local_date, from_local) instead"


@pytest.mark.parametrize(
    "source",
    [
        "from datetime import datetime\nx = datetime.now()",
        "import datetime\nx = datetime.datetime.utcnow()",
        "from datetime import date\nx = date.today()",
        "from sqlalchemy import func\nx = func.current_date()",
        "from sqlalchemy import func\nx = func.now()",
        "from sqlalchemy import func\nx = func.date(column)",
        "from sqlalchemy import text\nx = text('SELECT CURRENT_DATE')",
        "import time\nx = time.time()",
    ],
)
def test_the_walk_would_notice_a_clock(source):
    assert clock_calls(source), "the check above can fail"


def test_no_template_formats_a_stored_time_without_the_agency_zone():
    """A stored time (a ``…_at`` column, naive UTC) is shown through ``|local``, ``|clock``, ``|local_day`` or
    ``|stamp``, never formatted directly (which would print the UTC wall clock)."""
    raw = re.compile(r"\b\w+_at\s*\.\s*(strftime|isoformat|date|day|hour|minute|month|year)\b")
    strays = {
        str(path.relative_to(ROOT)): raw.findall(path.read_text())
        for path in sorted((ROOT / "templates").rglob("*.html"))
        if raw.search(path.read_text())
    }
    assert strays == {}
    assert raw.search("{{ note.created_at.strftime('%H:%M') }}"), "the check above can fail"


# Exports that keep the stored UTC time on purpose, with the zone in their header or file name.
UTC_EXPORTS = {"core/auditlog/service.py"}


def utc_formatting(source: str) -> list[str]:
    """Where ``source`` formats a stored time (``…_at``, naive UTC) as text without converting it first."""

    def stored(node: ast.AST) -> bool:
        return isinstance(node, ast.Attribute) and (node.attr.endswith("_at") or node.attr == "at")

    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FormattedValue) and node.format_spec is not None and stored(node.value):
            found.append(f"line {node.lineno}: f-string formats a UTC time")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in {"strftime", "isoformat", "date"} and stored(node.func.value)):
            found.append(f"line {node.lineno}: .{node.func.attr}() of a UTC time")
    return found


def test_no_app_code_shows_a_stored_time_in_utc():
    strays = {
        name: found for path in app_files()
        if (name := str(path.relative_to(ROOT))) not in UTC_EXPORTS and (found := utc_formatting(path.read_text()))
    }
    assert strays == {}, "convert with core.timeutil.local_time / local_date first"
    assert utc_formatting("x = f'{grant.expires_at:%H:%M}'"), "the check above can fail"
    assert utc_formatting("x = referral.received_at.date()")
    assert not utc_formatting("x = f'{local_time(grant.expires_at):%H:%M}'")
