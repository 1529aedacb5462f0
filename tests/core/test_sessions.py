"""Sign-in sessions end when they should: sign-out, password change, deactivation, idle and 12-hour time-outs."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from core import sessions
from core.accounts.views import TIMEOUT_MESSAGES
from core.models import AuthSession, Staff, StaffStatus
from core.timeutil import utcnow
from tests.core.security_helpers import signed_in_client
from tests.factories import PASSWORD, make_staff, start_session
from tests.queries import counting_queries

COOKIE = "peerworks_session"
NEW_PASSWORD = "a long new passphrase for the test"


def sign_in_through_the_form(client: FlaskClient, staff: Staff, **kwargs: object):
    response = client.post("/login", data={"email": staff.email, "password": PASSWORD}, **kwargs)
    assert response.status_code == 302, "the sign-in form should accept the right password"
    return response


def is_signed_in(client: FlaskClient) -> bool:
    response = client.get("/")
    if response.status_code == 200:
        return True
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    return False


def session_row(db, token: str) -> AuthSession:
    db.session.expire_all()
    return db.session.scalar(select(AuthSession).where(AuthSession.token_hash == sessions._digest(token)))


def live_sessions(db, staff: Staff) -> int:
    db.session.expire_all()
    rows = db.session.scalars(select(AuthSession).where(AuthSession.staff_id == staff.id)).all()
    return sum(row.revoked_at is None for row in rows)


def test_sign_out_ends_the_session_on_the_server(app: Flask, client: FlaskClient, db):
    staff = make_staff("peer")
    db.session.commit()
    sign_in_through_the_form(client, staff)
    old_cookie = client.get_cookie(COOKIE).value
    assert is_signed_in(client)

    response = client.post("/logout")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert "You are signed out." in client.get("/login").get_data(as_text=True)
    assert live_sessions(db, staff) == 0

    # The cookie from before signing out, replayed, opens nothing.
    replay = app.test_client()
    replay.set_cookie(COOKIE, old_cookie)
    assert not is_signed_in(replay)


def test_password_change_ends_every_other_session_and_keeps_this_one(app: Flask, db):
    staff = make_staff("peer")
    here = signed_in_client(app, start_session(staff))
    elsewhere = signed_in_client(app, start_session(staff))
    assert is_signed_in(here)
    assert is_signed_in(elsewhere)

    response = here.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
    )

    assert response.status_code == 302
    page = here.get("/")
    assert page.status_code == 200, "the browser that changed the password stays signed in"
    assert "You were signed out everywhere else." in page.get_data(as_text=True)
    assert not is_signed_in(elsewhere), "every other browser is signed out"
    assert TIMEOUT_MESSAGES["ended"] in elsewhere.get("/login").get_data(as_text=True)
    assert live_sessions(db, staff) == 1


def test_a_wrong_current_password_changes_nothing(app: Flask, db):
    staff = make_staff("peer")
    here = signed_in_client(app, start_session(staff))
    elsewhere = signed_in_client(app, start_session(staff))
    response = here.post(
        "/account/password",
        data={"current_password": "not the password", "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
    )
    assert response.status_code == 400
    assert "That is not your current password." in response.get_data(as_text=True)
    assert is_signed_in(here)
    assert is_signed_in(elsewhere)


def test_deactivation_signs_the_person_out_everywhere(app: Flask, db):
    staff = make_staff("supervisor")
    browsers = [signed_in_client(app, start_session(staff)) for _ in range(2)]
    assert all(is_signed_in(browser) for browser in browsers)

    staff.status = StaffStatus.DEACTIVATED
    sessions.end_all(staff.id)
    db.session.commit()

    assert not any(is_signed_in(browser) for browser in browsers)
    assert live_sessions(db, staff) == 0


def session_moved_back(app: Flask, db, column: str, moved_back: timedelta) -> tuple[FlaskClient, str]:
    """A signed-in browser whose session's ``column`` is ``moved_back`` in time (``last_seen_at`` kept to its
    minute, as the app keeps it)."""
    staff = make_staff("peer")
    token = start_session(staff)
    browser = signed_in_client(app, token)
    row = session_row(db, token)
    moment = utcnow() - moved_back
    setattr(row, column, sessions.seen_at(moment) if column == "last_seen_at" else moment)
    db.session.commit()
    return browser, token


# The last activity at the start, the middle and the very end of a minute: last_seen_at keeps only the minute, and
# the idle time-out counts from its end, so it is never shorter than 15 minutes and never longer than 16.
LAST_ACTIVITY = ["10:00:00", "10:00:30", "10:00:59.999999"]


@pytest.mark.parametrize("last_activity", LAST_ACTIVITY)
@pytest.mark.parametrize(
    ("column", "moved_back"),
    [("last_seen_at", timedelta(minutes=15)), ("created_at", timedelta(hours=11, minutes=59))],
    ids=["idle-15-min", "signed-in-11h59"],
)
def test_no_time_out_before_the_limit(app: Flask, db, frozen_time, column: str, moved_back: timedelta,
                                      last_activity: str):
    frozen_time.at(f"2026-11-23 {last_activity}")
    frozen_time.advance(seconds=moved_back.total_seconds())
    browser, _token = session_moved_back(app, db, column, moved_back)
    assert browser.get("/account/password").status_code == 200


@pytest.mark.parametrize("last_activity", LAST_ACTIVITY)
@pytest.mark.parametrize(
    ("column", "moved_back", "reason"),
    [("last_seen_at", timedelta(minutes=16), "idle"), ("created_at", timedelta(hours=12, minutes=1), "absolute")],
    ids=["idle-16-min", "signed-in-12h01"],
)
def test_time_outs(app: Flask, db, frozen_time, column: str, moved_back: timedelta, reason: str, last_activity: str):
    frozen_time.at(f"2026-11-23 {last_activity}")
    frozen_time.advance(seconds=moved_back.total_seconds())
    browser, token = session_moved_back(app, db, column, moved_back)

    response = browser.get("/account/password")

    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    assert parse_qs(location.query)["next"][0].startswith("/account/password"), "back to the page after signing in"
    login_page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert TIMEOUT_MESSAGES[reason] in login_page
    assert session_row(db, token).revoked_at is not None
    assert not is_signed_in(browser), "the ended session stays ended"


def test_the_idle_time_out_ends_at_the_deadline_the_page_announced(app: Flask, db, frozen_time):
    """The warning and the time-out read one deadline: the page's seconds left run out exactly when the server
    ends the session."""
    frozen_time.at("2026-11-23 10:00:42")
    staff = make_staff("peer")
    browser = signed_in_client(app, start_session(staff))
    page = browser.get("/").get_data(as_text=True)
    idle = int(re.search(r'data-idle-seconds="(\d+)"', page).group(1))
    assert idle == 15 * 60 + 18, "15 minutes from the end of the minute it was used in (10:01:00 + 15 min)"

    frozen_time.advance(seconds=idle - 1)
    assert browser.get("/session/status").json["idle"] == 1
    assert browser.get("/session/status").json["signedIn"] is True
    frozen_time.advance(seconds=1)
    assert browser.get("/session/status").json == {"signedIn": False}
    assert not is_signed_in(browser)


def test_pages_carry_the_deadlines_and_the_warning_dialog(app: Flask, client: FlaskClient, login_as, frozen_time):
    frozen_time.at("2026-11-23 10:00:30")
    login_as("peer")
    page = client.get("/").get_data(as_text=True)
    idle = int(re.search(r'data-idle-seconds="(\d+)"', page).group(1))
    absolute = int(re.search(r'data-absolute-seconds="(\d+)"', page).group(1))
    assert idle == 15 * 60 + 30, "until 10:16:00: 15 minutes after the end of the minute last used"
    assert absolute == 12 * 3600
    assert 'id="session-warning"' in page
    assert re.search(r"<button[^>]*>\s*Stay signed in\s*</button>", page)
    assert re.search(r'src="/static/js/session-timeout\.js\?v=[0-9a-f]{12}"', page)


def test_signed_out_pages_have_no_warning(client: FlaskClient):
    page = client.get("/login").get_data(as_text=True)
    assert "data-idle-seconds" not in page
    assert 'id="session-warning"' not in page


def test_keepalive_extends_the_idle_deadline(app: Flask, db, frozen_time):
    frozen_time.at("2026-11-23 10:00:20")
    staff = make_staff("peer")
    token = start_session(staff)
    browser = signed_in_client(app, token)
    frozen_time.advance(minutes=10)  # 10:10:20, nothing done since 10:00:20
    assert browser.get("/session/status").json["idle"] == 5 * 60 + 40, "until 10:16:00"

    response = browser.post("/session/keepalive", headers={"Accept": "application/json"})

    assert response.status_code == 200
    assert response.is_json
    assert response.json["idle"] == 15 * 60 + 40, "until 10:26:00"
    assert response.json["absolute"] > 11 * 3600
    assert session_row(db, token).last_seen_at == datetime(2026, 11, 23, 15, 10), "10:10 in New York, to the minute"

    frozen_time.advance(seconds=30)  # 10:10:50: the same minute, nothing to write
    with counting_queries(with_session_touch=True) as statements:
        again = browser.post("/session/keepalive", headers={"Accept": "application/json"})
    assert again.json["idle"] == 15 * 60 + 10
    assert not [s for s in statements if s.lstrip().upper().startswith("UPDATE")], "rewrote the same minute"
    assert session_row(db, token).last_seen_at == datetime(2026, 11, 23, 15, 10)


def test_keepalive_after_the_session_ended_answers_401_json(app: Flask, db):
    staff = make_staff("peer")
    token = start_session(staff)
    browser = signed_in_client(app, token)
    sessions.end(token)
    db.session.commit()
    response = browser.post("/session/keepalive", headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert response.is_json


@pytest.mark.parametrize(("base_url", "secure"), [("http://localhost", False), ("https://localhost", True)])
def test_session_cookie_flags(app: Flask, db, base_url: str, secure: bool):
    staff = make_staff("peer")
    db.session.commit()
    client = app.test_client()
    response = sign_in_through_the_form(client, staff, base_url=base_url)
    cookie = next(value for value in response.headers.getlist("Set-Cookie") if value.startswith(f"{COOKIE}="))
    flags = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")[1:]}
    assert "httponly" in flags
    assert flags["samesite"] == "SameSite=Lax"
    assert ("secure" in flags) is secure
