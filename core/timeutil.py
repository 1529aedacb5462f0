"""Time helpers. Every stored time is naive UTC, so SQLite and PostgreSQL read back the same value."""

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def long_date(day: date) -> str:
    """A date in words, the way people say it: "Monday 23 November 2026"."""
    return f"{day.strftime('%A')} {day.day} {day.strftime('%B %Y')}"
