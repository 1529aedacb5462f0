"""No N+1: the compliance view, its CSV, the session list, a session page and the prep sheet run the same number
of queries with a few people and sessions as with many."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from core.models import Role
from supervision.services import hours
from supervision.services.sessions import NewItem
from tests import factories
from tests.queries import fresh_queries_for
from tests.supervision.helpers import log_session, sign_in
from tests.training.helpers import certify, make_credential


def build(supervisor, peers: int, months: int, credential) -> list:  # noqa: ANN001
    people = []
    for n in range(peers):
        person = factories.make_staff(Role.PEER, supervisor=supervisor, name=f"Peer {supervisor.id}-{n}")
        person.created_at = datetime(2024, 1, 1)
        certify(person, credential, date(2024, 1, 1), date(2027, 12, 31))
        people.append(person)
    for back in range(months):
        day = date(2026, 3, 1) - timedelta(days=30 * back)
        log_session(supervisor, people, held_on=day, minutes=60)
        for person in people:
            log_session(supervisor, [person], held_on=day + timedelta(days=1), minutes=60,
                        items=[NewItem("Follow up", f"them:{person.id}", None)])
    return people


@pytest.fixture
def two_teams(db, frozen_time):
    frozen_time.at("2026-03-20 12:00")
    credential = make_credential("Counted credential")
    hours.save_rule(credential.id, 120, 60, factories.make_staff(Role.HR))
    small_boss = factories.make_staff(Role.SUPERVISOR)
    big_boss = factories.make_staff(Role.SUPERVISOR)
    small = build(small_boss, 2, 2, credential)
    big = build(big_boss, 8, 6, credential)
    db.session.commit()
    return small_boss, small, big_boss, big


def counts(client, boss_id: int, person_id: int, meeting_url: str) -> list[int]:  # noqa: ANN001
    from core.extensions import db
    from core.models import Staff

    sign_in(client, db.session.get(Staff, boss_id))
    return [
        fresh_queries_for(client, url)
        for url in ("/supervision/compliance", "/supervision/compliance.csv", "/supervision/sessions",
                    f"/supervision/people/{person_id}/prep", f"/supervision/people/{person_id}/hours",
                    "/supervision/", meeting_url)
    ]


def test_queries_do_not_grow_with_people_or_sessions(client, two_teams):
    small_boss, small, big_boss, big = two_teams
    from core.extensions import db
    from supervision.models import Attendee, Meeting

    def last_group(boss) -> str:  # noqa: ANN001
        found = db.session.scalar(
            db.select(Meeting.id).where(Meeting.supervisor_id == boss.id, Meeting.kind == "group")
            .order_by(Meeting.held_at.desc()).limit(1))
        assert db.session.scalar(db.select(db.func.count()).select_from(Attendee).where(Attendee.meeting_id == found))
        return f"/supervision/sessions/{found}"

    small_url, big_url = last_group(small_boss), last_group(big_boss)
    small_id, big_id = small[0].id, big[0].id
    small_boss_id, big_boss_id = small_boss.id, big_boss.id
    few = counts(client, small_boss_id, small_id, small_url)
    many = counts(client, big_boss_id, big_id, big_url)
    assert few == many


def test_hr_compliance_for_everyone_is_constant(client, two_teams, db):
    hr = factories.make_staff(Role.HR)
    db.session.commit()
    sign_in(client, hr)
    small_boss, _small, big_boss, _big = two_teams
    small_email, big_email = small_boss.email, big_boss.email
    narrowed = fresh_queries_for(client, f"/supervision/compliance?supervisor={small_email}")
    assert narrowed == fresh_queries_for(client, f"/supervision/compliance?supervisor={big_email}")
    # One more than everyone's list: the supervisors the search matches, read once for the list and its count.
    assert narrowed == fresh_queries_for(client, "/supervision/compliance") + 1
    assert fresh_queries_for(client, "/supervision/compliance?supervisor=example.org") == narrowed


def test_hr_compliance_reads_five_statements(client, two_teams, db):
    """The sign-in session, the count for the page numbers, the page's people (with their supervisors' names, as
    columns), their minutes, and the agency's rule with their credentials' rules: no list of supervisors, no roles
    or teams of the people listed."""
    from tests.queries import counting_queries

    hr = factories.make_staff(Role.HR)
    db.session.commit()
    sign_in(client, hr)
    client.get("/supervision/compliance")
    db.session.expunge_all()
    with counting_queries() as statements:
        assert client.get("/supervision/compliance").status_code == 200
    assert len(statements) == 5, statements
    loaded = [s for s in statements[1:] if "core_staff_team" in s or s.startswith("SELECT core_staff_role.")]
    assert not loaded, loaded


def test_the_supervisor_search_does_not_grow_with_supervisors(client, two_teams, db):
    """HR's filter is a search box: 500 more supervisors add nothing to the page, neither a query nor an option
    (it used to list every active supervisor: half the page's time at 1,000 of them)."""
    from sqlalchemy import insert, select

    from core.models import Staff, StaffRole

    hr = factories.make_staff(Role.HR)
    db.session.commit()
    hr_id = hr.id
    sign_in(client, hr)
    before = fresh_queries_for(client, "/supervision/compliance")
    size = len(client.get("/supervision/compliance").data)
    hash_ = db.session.scalar(select(Staff.password_hash).where(Staff.id == hr_id))
    db.session.execute(insert(Staff), [
        {"email": f"boss{n}@example.org", "name": f"Boss {n:03d}", "password_hash": hash_, "status": "active"}
        for n in range(501)
    ])
    new_ids = db.session.scalars(select(Staff.id).where(Staff.email.like("boss%@example.org"))).all()
    db.session.execute(insert(StaffRole), [{"staff_id": staff_id, "role": Role.SUPERVISOR} for staff_id in new_ids])
    db.session.commit()
    page = client.get("/supervision/compliance")
    assert "Boss 500" not in page.get_data(as_text=True)
    assert len(page.data) == size
    assert fresh_queries_for(client, "/supervision/compliance") == before


def test_a_supervisors_compliance_reads_six_statements(client, two_teams):
    """HR's five, and the supervisor's reports (one recursive query) to know whom they may see."""
    small_boss = two_teams[0]
    sign_in(client, small_boss)
    client.get("/supervision/compliance")
    assert fresh_queries_for(client, "/supervision/compliance") == 6
