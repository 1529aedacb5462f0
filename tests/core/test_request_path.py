"""The signed-in request path: the session, the person (roles, teams, program) and the unread-notification count are
read once per request, in one query, and that saving keeps every check a session makes on every request."""

from __future__ import annotations

import html
import re
from datetime import datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, select, update

from core import sessions
from core.models import AuthSession, Notification, Role, Staff, StaffRole, StaffStatus
from core.timeutil import utcnow
from tests.factories import assign, make_client, make_staff, make_team
from tests.queries import counting_queries

# The home page: one query for the session, the person and the menu; then its to-do list (core/todo.py), one query
# per module with something for a peer specialist (caseload, readiness, hiring's interviews, training, supervision:
# its session records to sign, action items due and role fidelity in one), and, for caseload and supervision, each,
# the caseload visibility rule's look-up of the person's reports (caseload.access.Viewer).
HOME_QUERIES = 8
# Query budgets of other signed-in pages with the data of ``supervised_peer``: they may go down, never up.
PAGE_BUDGETS = {
    "/caseload/clients": 8,
    "/caseload/": 8,
    "/readiness/": 2,
    "/account/password": 4,
    "/notifications/": 3,
}
SESSION_READ = re.compile(r"\bFROM core_auth_session\b", re.IGNORECASE)
ROLES_JOINED = re.compile(r"\bJOIN \(?core_staff_role\b", re.IGNORECASE)
TEAMS_JOINED = re.compile(r"\bJOIN \(?core_staff_team\b", re.IGNORECASE)
UNREAD_COUNT = re.compile(r"\bcount\(\*\).*\bFROM core_notification\b.*\bread_at IS NULL\b", re.IGNORECASE | re.DOTALL)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def supervised_peer(db, login_as) -> Staff:
    """A signed-in peer specialist with a supervisor, a team, a program, an assigned client and unread messages."""
    team = make_team()
    boss = make_staff(Role.SUPERVISOR, teams=[team])
    peer = login_as(Role.PEER, teams=[team], supervisor=boss, program=team.program)
    assign(make_client(program=team.program), peer)
    db.session.add_all(Notification(staff_id=peer.id, text=f"Message {n}", link="/") for n in range(2))
    db.session.commit()
    return peer


def statements_of(client: FlaskClient, url: str) -> list[str]:
    with counting_queries(with_session_touch=True) as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return statements


def test_the_home_page_reads_the_person_once_and_each_module_once(client: FlaskClient, supervised_peer: Staff):
    statements = statements_of(client, "/")
    assert len(statements) == HOME_QUERIES, "\n\n".join(statements)
    page = text(client.get("/"))
    assert "Notifications (2 new)" in page, "the unread count rides along in the session query"
    assert supervised_peer.name in page
    assert "Peer specialist" in page
    assert str(supervised_peer.teams[0]) in page


@pytest.mark.parametrize("url", ["/", *PAGE_BUDGETS])
def test_the_session_and_the_person_are_read_once(client: FlaskClient, supervised_peer: Staff, url: str):
    statements = statements_of(client, url)
    reads = [s for s in statements if SESSION_READ.search(s)]
    assert len(reads) == 1, f"{url} reads the sign-in session {len(reads)} times"
    assert ROLES_JOINED.search(reads[0]), "the roles come with the session"
    assert TEAMS_JOINED.search(reads[0]), "the teams come with the session"
    assert UNREAD_COUNT.search(reads[0]), "the unread count comes with the session"
    alone = [s for s in statements if UNREAD_COUNT.search(s) and not SESSION_READ.search(s)]
    assert not alone, f"{url} counts unread notifications in a query of its own"


@pytest.mark.parametrize(("url", "budget"), PAGE_BUDGETS.items())
def test_signed_in_pages_keep_within_their_query_budget(client: FlaskClient, supervised_peer: Staff, url: str,
                                                        budget: int):
    statements = statements_of(client, url)
    assert len(statements) <= budget, f"{url}: {len(statements)} queries, budget {budget}\n\n" + "\n\n".join(statements)


def test_writing_last_seen_at_does_not_read_the_person_again(app: Flask, client: FlaskClient, db,
                                                             supervised_peer: Staff, frozen_time):
    token = supervised_peer.session_token
    frozen_time.at("2026-11-23 10:05:37.123456")
    db.session.execute(update(AuthSession).values(last_seen_at=datetime(2026, 11, 23, 15, 4)))  # 10:04 in New York
    db.session.commit()
    statements = statements_of(client, "/")
    assert len(statements) == HOME_QUERIES + 1, "\n\n".join(statements)
    # The write is flushed with the page's next query (the to-do list's), not read again.
    writes = [s for s in statements if s.lstrip().upper().startswith("UPDATE")]
    assert len(writes) == 1
    assert writes[0].lstrip().upper().startswith("UPDATE CORE_AUTH_SESSION")
    db.session.expire_all()
    row = db.session.scalar(select(AuthSession).where(AuthSession.token_hash == sessions._digest(token)))
    assert row.last_seen_at == datetime(2026, 11, 23, 15, 5), "the minute it was used in, never the second"


def test_last_seen_at_is_written_only_when_the_minute_changes(client: FlaskClient, db, supervised_peer: Staff,
                                                             frozen_time):
    """One write a minute at most, and never a time finer than the minute: a page within the minute already
    written is no write at all."""
    db.session.execute(update(AuthSession).values(last_seen_at=datetime(2026, 11, 23, 15, 4)))  # 10:04
    db.session.commit()
    writes: list[datetime] = []
    for moment in ("10:05:00", "10:05:01", "10:05:37.5", "10:05:59.999999", "10:06:00", "10:06:30", "10:09:12"):
        frozen_time.at(f"2026-11-23 {moment}")
        statements = statements_of(client, "/")
        if [s for s in statements if s.lstrip().upper().startswith("UPDATE")]:
            db.session.expire_all()
            writes.append(db.session.scalar(select(AuthSession.last_seen_at)))
    assert writes == [datetime(2026, 11, 23, 15, 5), datetime(2026, 11, 23, 15, 6), datetime(2026, 11, 23, 15, 9)]


def test_the_deadlines_on_the_page_follow_the_written_last_seen_at(client: FlaskClient, db, supervised_peer: Staff,
                                                                  frozen_time):
    frozen_time.at("2026-11-23 10:15:20")
    db.session.execute(update(AuthSession).values(last_seen_at=datetime(2026, 11, 23, 15, 5)))  # 10:05
    db.session.commit()
    page = text(client.get("/"))
    assert int(re.search(r'data-idle-seconds="(\d+)"', page).group(1)) == 15 * 60 + 40, "until 10:31:00"


def test_a_role_taken_away_is_gone_on_the_next_request(client: FlaskClient, db, supervised_peer: Staff):
    assert client.get("/caseload/clients").status_code == 200
    assert 'href="/caseload/"' in text(client.get("/"))

    # As an administrator's change would arrive: written by someone else, the person's objects left as they were.
    db.session.execute(delete(StaffRole).where(StaffRole.staff_id == supervised_peer.id))
    db.session.add(StaffRole(staff_id=supervised_peer.id, role=Role.HR))
    db.session.commit()

    assert client.get("/caseload/clients").status_code == 403
    page = text(client.get("/"))
    assert 'href="/caseload/"' not in page
    assert "Human resources" in page


def test_a_role_given_counts_on_the_next_request(client: FlaskClient, db, login_as):
    person = login_as(Role.HR)
    assert client.get("/caseload/clients").status_code == 403
    db.session.add(StaffRole(staff_id=person.id, role=Role.PEER))
    db.session.commit()
    assert client.get("/caseload/clients").status_code == 200


def test_deactivation_alone_ends_the_session(client: FlaskClient, db, supervised_peer: Staff):
    """Even before every session row is marked ended, the person's status is checked on every request."""
    db.session.execute(update(Staff).where(Staff.id == supervised_peer.id).values(status=StaffStatus.DEACTIVATED))
    db.session.commit()
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    db.session.expire_all()
    assert db.session.scalar(select(AuthSession.revoked_at)) is not None


def test_the_unread_count_is_read_again_on_every_request(client: FlaskClient, db, supervised_peer: Staff):
    assert "Notifications (2 new)" in text(client.get("/"))
    db.session.add(Notification(staff_id=supervised_peer.id, text="One more", link="/"))
    db.session.commit()
    assert "Notifications (3 new)" in text(client.get("/"))
    db.session.execute(update(Notification).values(read_at=utcnow()))
    db.session.commit()
    page = text(client.get("/"))
    assert ">Notifications<" in page
    assert "new)" not in page


def test_another_persons_notifications_are_not_counted(client: FlaskClient, db, supervised_peer: Staff):
    someone = make_staff(Role.PEER)
    db.session.add(Notification(staff_id=someone.id, text="Not yours", link="/"))
    db.session.commit()
    assert "Notifications (2 new)" in text(client.get("/"))


def test_a_session_of_one_person_never_shows_another(app: Flask, db, supervised_peer: Staff):
    """What a request keeps of its session is for that session only: two browsers, two people, one after the other."""
    other = make_staff(Role.HR, name="Someone Else")
    other_token = sessions.start(other)
    db.session.commit()
    second = app.test_client()
    with second.session_transaction() as session:
        session["_user_id"] = other_token
    page = text(second.get("/"))
    assert "Welcome, Someone Else" in page
    assert "new)" not in page
    assert supervised_peer.name not in page
