"""The demo data for referrals, groups and resources loads, and respects the sealed record."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from caseload import demo_referrals_groups_resources as demo_data
from caseload.models import Client, GroupSession, PeerGroup, Referral, Resource
from caseload.services import referrals as referral_service
from core import demo, timeutil
from core.models import Staff
from core.timeutil import utcnow
from tests.factories import make_staff


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_the_demo_loads_with_the_demo_agency(db):
    demo.load("demo-password-for-tests")
    db.session.commit()
    assert count(db, Resource) == len(demo_data.RESOURCES)
    assert count(db, PeerGroup) == len(demo_data.GROUPS)
    assert count(db, GroupSession) >= 16
    assert 40 <= count(db, Referral) <= 45
    now = utcnow()
    assert db.session.scalar(select(func.max(Referral.received_at))) <= now
    assert db.session.scalar(select(func.min(Referral.received_at))) >= now - timedelta(days=200)

    peer = db.session.scalar(select(Staff).where(Staff.email == "peer@example.org"))
    today = list(db.session.scalars(referral_service.day_list(peer, timeutil.local_date(now))))
    assert len(today) >= 3
    sealed = db.session.scalar(select(Client).where(Client.staff_member_id.is_not(None)))
    assert sealed is not None
    start, end = referral_service.default_range()
    mine = referral_service.same_day_report(peer, start, end)
    everyone = count(db, Referral)
    assert mine.total.referrals < everyone  # the sealed client's referral is not counted for a co-worker


def test_the_demo_makes_clients_when_there_are_none(db):
    people = {email: make_staff("peer", email=email) for email in ("peer@example.org", "drew@example.org")}
    message = demo_data.load(people)
    db.session.commit()
    assert count(db, Client) == len(demo_data.FALLBACK_CLIENTS)
    assert count(db, Referral) == 40
    assert "40 referrals" in message
