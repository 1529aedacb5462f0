"""The demo agency's supervision: a year of sessions for Sam's peer specialists, some months overdue, action items
open and closed, a record waiting for a new sign-off after a change, and the pages the demo accounts open answer."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core import demo
from core.models import Staff
from supervision.models import ActionItem, Meeting, Revision
from supervision.services import hours, sessions
from tests import factories


@pytest.fixture(scope="module")
def agency(module_transaction):
    with module_transaction.app_context():
        from core.extensions import db

        demo.load("demo-password-for-tests")
        db.session.commit()
    return module_transaction


def person(db, email: str) -> Staff:
    return db.session.scalar(select(Staff).where(Staff.email == email))


def test_a_year_of_sessions_with_overdue_months(agency, db):
    sam = person(db, "supervisor@example.org")
    held = db.session.scalar(select(func.count()).select_from(Meeting).where(Meeting.supervisor_id == sam.id))
    assert held >= 12 * 4
    peers = [person(db, f"{name}@example.org") for name in ("peer", "jordan", "morgan", "riley")]
    rows = {row.person.email: row for row in hours.rows_for(peers, hours.last_months(12))}
    assert rows["morgan@example.org"].overdue == 2
    assert rows["riley@example.org"].overdue == 1
    assert rows["peer@example.org"].overdue == 0


def test_action_items_open_and_closed(agency, db):
    closed = db.session.scalar(select(func.count()).select_from(ActionItem).where(ActionItem.closed_at.is_not(None)))
    still_open = db.session.scalar(select(func.count()).select_from(ActionItem).where(ActionItem.closed_at.is_(None)))
    assert closed > 20
    assert still_open >= 3


def test_pat_has_a_changed_record_to_sign_again(agency, db):
    pat = person(db, "peer@example.org")
    waiting = sessions.waiting_for(pat.id)
    assert any(meeting.revision == 2 for meeting in waiting)
    assert db.session.scalar(select(func.count()).select_from(Revision).where(Revision.number == 2)) == 1


@pytest.mark.parametrize(
    ("email", "paths"),
    [
        ("supervisor@example.org", ["/supervision/", "/supervision/sessions", "/supervision/compliance"]),
        ("peer@example.org", ["/supervision/", "/supervision/sessions"]),
        ("hr@example.org", ["/supervision/", "/supervision/compliance", "/supervision/rules"]),
        ("admin@example.org", ["/supervision/", "/supervision/compliance", "/supervision/rules"]),
    ],
)
def test_the_demo_accounts_pages_answer(agency, db, client, email, paths):
    who = person(db, email)
    token = factories.start_session(who)
    with client.session_transaction() as session:
        session["_user_id"] = token
    for path in paths:
        assert client.get(path).status_code == 200, path
    for meeting_id in db.session.scalars(select(Meeting.id).limit(20)):
        assert client.get(f"/supervision/sessions/{meeting_id}").status_code in (200, 404)
