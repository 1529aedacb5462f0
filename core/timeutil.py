"""Time helpers. Every stored time is naive UTC, so SQLite and PostgreSQL read back the same value."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
