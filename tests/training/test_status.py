"""A certification's status, from its dates and its credential's rules, in the agency's time zone: the boundary
days, leap days, the hour before and after midnight where the agency is, and HR's holds."""

from __future__ import annotations

from datetime import date

import pytest

from core import settings, timeutil
from core.models import Role
from tests import factories
from tests.training.helpers import certify, make_credential
from training.models import CertStatus, Hold
from training.services import status


@pytest.fixture
def peer(db):
    return factories.make_staff(Role.PEER)


def at(day: date) -> CertStatus:
    """The status of the only certification on ``day``."""
    return next(iter(status.statuses(_all(), day).values()))


def _all() -> list[int]:
    from sqlalchemy import select

    from core.extensions import db
    from training.models import Certification

    return list(db.session.scalars(select(Certification.id)))


def test_active_through_the_last_day_then_in_grace_through_its_last_day_then_expired(peer):
    credential = make_credential(grace_days=30)
    certify(peer, credential, date(2025, 1, 1), date(2026, 12, 31))
    assert at(date(2025, 1, 1)) == CertStatus.ACTIVE
    assert at(date(2026, 12, 31)) == CertStatus.ACTIVE
    assert at(date(2027, 1, 1)) == CertStatus.IN_GRACE
    assert at(date(2027, 1, 30)) == CertStatus.IN_GRACE
    assert at(date(2027, 1, 31)) == CertStatus.EXPIRED


def test_without_a_grace_period_it_expires_the_next_day(peer):
    certify(peer, make_credential(grace_days=0), date(2025, 1, 1), date(2026, 12, 31))
    assert at(date(2026, 12, 31)) == CertStatus.ACTIVE
    assert at(date(2027, 1, 1)) == CertStatus.EXPIRED


def test_the_expiry_date_follows_the_cycle_and_a_leap_day(peer):
    found = certify(peer, make_credential(cycle_months=12, grace_days=0), date(2024, 2, 29))
    assert found.expires_on == date(2025, 2, 27)
    assert at(date(2025, 2, 27)) == CertStatus.ACTIVE
    assert at(date(2025, 2, 28)) == CertStatus.EXPIRED


def test_grace_over_a_leap_day(peer):
    certify(peer, make_credential(grace_days=1), date(2026, 1, 1), date(2028, 2, 28))
    assert at(date(2028, 2, 29)) == CertStatus.IN_GRACE
    assert at(date(2028, 3, 1)) == CertStatus.EXPIRED


def test_provisional_until_its_deadline_then_expired_unless_met(db, peer):
    credential = make_credential(provisional_months=6, grace_days=30)
    found = certify(peer, credential, date(2026, 1, 15), provisional=True)
    assert found.provisional_until == date(2026, 7, 14)
    assert at(date(2026, 7, 14)) == CertStatus.PROVISIONAL
    assert at(date(2026, 7, 15)) == CertStatus.EXPIRED  # no grace for an unmet provisional deadline
    found.provisional = False  # HR records the requirements as met
    from training.services.certifications import derive_dates

    derive_dates(found, credential)
    assert at(date(2026, 7, 15)) == CertStatus.ACTIVE


def test_a_hold_wins_over_the_dates(db, peer):
    found = certify(peer, make_credential(), date(2026, 1, 1))
    found.hold = Hold.SUSPENDED
    assert at(date(2026, 6, 1)) == CertStatus.SUSPENDED
    assert at(date(2030, 6, 1)) == CertStatus.SUSPENDED
    found.hold = Hold.RETIRED
    assert at(date(2026, 6, 1)) == CertStatus.RETIRED


def test_today_is_the_agencys_day_not_utcs(db, peer, frozen_time):
    found = certify(peer, make_credential(grace_days=0), date(2025, 1, 1), date(2026, 12, 31))
    frozen_time.at("2026-12-31 23:30")  # New York; in UTC it is already 1 January
    assert timeutil.utcnow().date() == date(2027, 1, 1)
    assert status.status_of(found) == CertStatus.ACTIVE
    frozen_time.at("2027-01-01 00:30")
    assert status.status_of(found) == CertStatus.EXPIRED


def test_an_agency_far_ahead_of_utc_expires_before_utc_midnight(db, peer, frozen_time):
    found = certify(peer, make_credential(grace_days=0), date(2025, 1, 1), date(2026, 12, 31))
    settings.put(timeutil.SETTING, "Pacific/Auckland")
    timeutil.forget_agency_zone()
    frozen_time.at("2026-12-31 12:30", zone="UTC")  # 01:30 on 1 January in Auckland
    assert status.status_of(found) == CertStatus.EXPIRED


def test_holds_expression_picks_exactly_the_active_and_provisional(db, peer):
    """The plain comparisons the dashboard's lists use agree with the one status expression on every boundary day
    of every case: holds, suspended, retired, grace, provisional before and after its deadline."""
    from datetime import timedelta

    from sqlalchemy import select

    from core.extensions import db as database
    from training.models import Certification

    credential = make_credential(grace_days=30, provisional_months=6, name="Another credential")
    plain = certify(factories.make_staff(Role.PEER), credential, date(2025, 1, 1), date(2026, 1, 31))
    early = certify(factories.make_staff(Role.PEER), credential, date(2025, 11, 1), provisional=True)
    held = certify(factories.make_staff(Role.PEER), credential, date(2025, 1, 1), date(2026, 3, 31))
    held.hold = Hold.SUSPENDED
    gone = certify(factories.make_staff(Role.PEER), credential, date(2025, 1, 1), date(2026, 3, 31))
    gone.hold = Hold.RETIRED
    database.session.flush()
    ids = [plain.id, early.id, held.id, gone.id]
    edges = {plain.expires_on, plain.grace_ends_on, early.provisional_until, early.expires_on, held.expires_on}
    days = sorted({day + timedelta(days=shift) for day in edges if day for shift in (-1, 0, 1)})
    for day in days:
        by_status = set(database.session.scalars(select(Certification.id).where(
            Certification.id.in_(ids), status.status_expression(day).in_(["active", "provisional"]))))
        by_plain = set(database.session.scalars(select(Certification.id).where(
            Certification.id.in_(ids), status.holds_expression(day))))
        assert by_status == by_plain, day
    assert any(status.statuses(ids, day)[plain.id] == CertStatus.IN_GRACE for day in days)
