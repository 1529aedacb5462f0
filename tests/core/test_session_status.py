"""GET /session/status: what every open tab asks before it warns or leaves a page. It must never keep the sign-in
going (else an open tab would keep it alive for ever) nor mark an ended one as ended (the next page says why)."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy import select

from core import sessions
from core.accounts.views import TIMEOUT_MESSAGES
from core.models import AuthSession
from core.timeutil import utcnow
from tests.core.security_helpers import signed_in_client
from tests.factories import make_staff, start_session


def row_for(db, token: str) -> AuthSession:
    db.session.expire_all()
    return db.session.scalars(select(AuthSession).where(AuthSession.token_hash == sessions._digest(token))).one()


def test_status_tells_the_time_left_without_counting_as_activity(app: Flask, db, frozen_time) -> None:
    frozen_time.at("2026-11-23 10:10:30")
    staff = make_staff("peer")
    token = start_session(staff)
    row = row_for(db, token)
    seen = datetime(2026, 11, 23, 15, 0)  # 10:00 in New York: ten minutes ago, so any other page would move it
    row.last_seen_at = seen
    db.session.commit()
    browser = signed_in_client(app, token)

    answer = browser.get("/session/status")

    assert answer.status_code == 200
    assert answer.json["signedIn"] is True
    assert answer.json["person"] == staff.id
    assert answer.json["idle"] == 5 * 60 + 30, "until 10:16:00"
    assert row_for(db, token).last_seen_at == seen, "asking moved the clock"
    browser.get("/")
    assert row_for(db, token).last_seen_at == datetime(2026, 11, 23, 15, 10), \
        "an ordinary page does count, to the minute (the check above can fail)"


def test_status_of_an_ended_sign_in_leaves_the_reason_for_the_next_page(app: Flask, db) -> None:
    staff = make_staff("peer")
    token = start_session(staff)
    row = row_for(db, token)
    # Used in a minute that ended more than the idle time-out ago.
    row.last_seen_at = sessions.seen_at(utcnow() - app.config["IDLE_TIMEOUT"] - app.config["SESSION_SEEN_STEP"])
    db.session.commit()
    browser = signed_in_client(app, token)

    answer = browser.get("/session/status")

    assert answer.json == {"signedIn": False}
    assert row_for(db, token).revoked_at is None
    page = browser.get("/caseload/", follow_redirects=True)
    assert TIMEOUT_MESSAGES["idle"] in page.get_data(as_text=True)


def test_status_without_a_sign_in(client) -> None:
    answer = client.get("/session/status")
    assert answer.status_code == 200
    assert answer.json == {"signedIn": False}


def test_a_form_sent_after_the_sign_in_ended_returns_to_its_page(app: Flask, db) -> None:
    staff = make_staff("peer")
    token = start_session(staff)
    browser = signed_in_client(app, token)
    sessions.end(token)
    db.session.commit()

    response = browser.post("/caseload/referrals/new", headers={"Referer": "http://localhost/caseload/referrals/new"})

    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert target.path == "/login"
    assert target.query == "next=/caseload/referrals/new"
