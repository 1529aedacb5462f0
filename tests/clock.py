"""A clock tests can set: ``frozen_time.at("2027-03-14 23:30")`` is that wall-clock time in New York (or
``zone=``), and every ``core.timeutil`` call (now, today, stored defaults) sees it until the test moves it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core import timeutil

NEW_YORK = "America/New_York"


class FrozenClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def at(self, moment: datetime | str, *, zone: str = NEW_YORK, fold: int = 0) -> datetime:
        """Stop the clock at ``moment``: a naive time (or "YYYY-MM-DD HH:MM") read in ``zone``, or an aware one.
        ``fold=1`` picks the second of two equal wall-clock times when the clocks go back."""
        if isinstance(moment, str):
            moment = datetime.fromisoformat(moment)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo(zone), fold=fold)
        self.now = moment.astimezone(UTC)
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now

    def utc(self) -> datetime:
        """Now as stored (naive UTC)."""
        return self.now.replace(tzinfo=None)


@pytest.fixture
def frozen_time(monkeypatch: pytest.MonkeyPatch) -> FrozenClock:
    frozen = FrozenClock()
    monkeypatch.setattr(timeutil, "clock", frozen)
    return frozen
