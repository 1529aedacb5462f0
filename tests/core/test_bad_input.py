"""Bad input never breaks a page: a clear message, status 400, and what the person typed kept (except passwords).

These run on PostgreSQL as well as SQLite whatever SQL they send: PostgreSQL refuses values SQLite stores (a NUL, an
integer past 2^31 - 1, text longer than its column), so the same statement can fail on one database only."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner

from core.accounts.service import WRONG_DETAILS, invitation_token
from core.accounts.views import _safe_next
from core.extensions import db as _db
from core.models import AuthSession, Staff, StaffStatus
from tests import factories
from tests.core.security_helpers import built_app, csrf_token_from

LONG_EMAIL = "a" * 4988 + "@example.org"
LONG_PASSWORD = "p" * 5000
GOOD_NEW_PASSWORD = "river stones under a quiet bridge"


def email_field_value(page: str) -> str | None:
    tag = re.search(r"<input[^>]*\bname=\"email\"[^>]*>", page)
    assert tag is not None, "the sign-in form is shown again"
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return html.unescape(value.group(1)) if value else None


def assert_form_kept(response, typed_email: str, typed_password: str, *messages: str) -> None:
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    for message in messages:
        assert message in page
    assert (email_field_value(page) or "") == typed_email
    if typed_password:
        assert typed_password not in page, "a typed password is never sent back"
    assert "Traceback" not in page


# Sign-in ------------------------------------------------------------------------------------------------------


SIGN_IN_CASES = {
    "wrong password": ("known", "not the right password", [WRONG_DETAILS]),
    "unknown email": ("nobody@example.org", "whatever is typed here", [WRONG_DETAILS]),
    "5,000 characters": (
        LONG_EMAIL,
        LONG_PASSWORD,
        ["An email address is at most 254 characters.", "A password is at most 256 characters."],
    ),
    "empty form": ("", "", ["Enter your work email address.", "Enter your password."]),
}


@pytest.mark.parametrize("case", list(SIGN_IN_CASES))
def test_sign_in_with_bad_input(client: FlaskClient, db, case: str):
    email, password, messages = SIGN_IN_CASES[case]
    if email == "known":
        email = factories.make_staff("peer").email
        db.session.commit()

    response = client.post("/login", data={"email": email, "password": password})

    assert_form_kept(response, email, password, *messages)
    assert db.session.query(AuthSession).count() == 0


@pytest.fixture
def csrf_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    with built_app(database_url, tmp_path / "instance", WTF_CSRF_ENABLED=True) as application:
        yield application


@pytest.mark.parametrize("token", ["missing", "forged", "from another session"])
def test_sign_in_with_a_bad_csrf_token_keeps_the_email(csrf_app: Flask, token: str):
    with csrf_app.app_context():
        staff = factories.make_staff("peer")
        _db.session.commit()
        email = staff.email
    browser = csrf_app.test_client()
    own = csrf_token_from(browser.get("/login").data)
    data = {"email": email, "password": factories.PASSWORD}
    if token == "forged":
        data["csrf_token"] = own[:-4] + ("AAAA" if not own.endswith("AAAA") else "BBBB")
    elif token == "from another session":
        data["csrf_token"] = csrf_token_from(csrf_app.test_client().get("/login").data)

    response = browser.post("/login", data=data)

    assert_form_kept(response, email, factories.PASSWORD, "This form was not sent")
    assert browser.get("/").status_code == 302, "not signed in"
    # The form shown again carries a fresh token of this browser, so sending it again works.
    retry = browser.post("/login", data={**data, "csrf_token": csrf_token_from(response.data)})
    assert retry.status_code == 302


# Accepting an invitation --------------------------------------------------------------------------------------


@pytest.fixture
def invited(app: Flask, db) -> Staff:
    staff = factories.make_staff("peer", status=StaffStatus.INVITED)
    staff.password_hash = None
    db.session.commit()
    return staff


def invite_url(app: Flask, staff: Staff, secret: str | None = None) -> str:
    return f"/invite/{invitation_token(staff, secret or app.config['SECRET_KEY'])}"


PASSWORD_CASES = {
    "too short": ("short one", "short one", "Use at least 12 characters."),
    "common": ("1qaz2wsx3edc", "1qaz2wsx3edc", "This password is on a list of common passwords."),
    "not the same twice": (GOOD_NEW_PASSWORD, GOOD_NEW_PASSWORD + "!", "The two new passwords are not the same."),
    "empty": ("", "", "Enter a new password."),
    "5,000 characters": (LONG_PASSWORD, LONG_PASSWORD, "Use at most 256 characters."),
}


@pytest.mark.parametrize("case", list(PASSWORD_CASES))
def test_invitation_with_an_unusable_password_keeps_the_form(app: Flask, client: FlaskClient, db, invited, case):
    new, again, message = PASSWORD_CASES[case]
    url = invite_url(app, invited)

    response = client.post(url, data={"new_password": new, "confirm_password": again})

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert 'name="new_password"' in page
    assert "Traceback" not in page
    db.session.refresh(invited)
    assert invited.status == StaffStatus.INVITED
    assert client.get(url).status_code == 200, "the link still works after a refused password"


def _expired_token(app: Flask, staff: Staff, monkeypatch: pytest.MonkeyPatch) -> str:
    issued = int(time.time()) - int(app.config["INVITE_MAX_AGE"].total_seconds()) - 60
    with monkeypatch.context() as patch:
        patch.setattr(TimestampSigner, "get_timestamp", lambda self: issued)
        return invitation_token(staff, app.config["SECRET_KEY"])


PROBLEM_CASES = {
    "expired": "This invitation has expired.",
    "forged": "This invitation link is not valid.",
    "cut short": "This invitation link is not valid.",
    "already used": "This invitation was already used or withdrawn.",
}


@pytest.mark.parametrize("case", list(PROBLEM_CASES))
def test_an_unusable_invitation_link_shows_the_problem_page(
    app: Flask, client: FlaskClient, db, invited, monkeypatch: pytest.MonkeyPatch, case: str
):
    if case == "expired":
        url = f"/invite/{_expired_token(app, invited, monkeypatch)}"
    elif case == "forged":
        url = invite_url(app, invited, secret="someone else's secret")
    elif case == "cut short":
        url = invite_url(app, invited)[:-6]
    else:
        url = invite_url(app, invited)
        accepted = client.post(url, data={"new_password": GOOD_NEW_PASSWORD, "confirm_password": GOOD_NEW_PASSWORD})
        assert accepted.status_code == 302
        client.post("/logout")

    another = "another good passphrase"
    for response in (client.get(url), client.post(url, data={"new_password": another, "confirm_password": another})):
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert "This invitation cannot be used" in page
        assert PROBLEM_CASES[case] in page
        assert 'name="new_password"' not in page
        assert "Traceback" not in page
    db.session.refresh(invited)
    assert invited.status == (StaffStatus.ACTIVE if case == "already used" else StaffStatus.INVITED)



# Input made to break things -----------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["person\x00@example.org", "per\tson@example.org"], ids=["NUL", "tab"])
def test_control_characters_in_the_email_get_a_message(client: FlaskClient, db, typed: str):
    """PostgreSQL cannot store U+0000 and fails the whole query: the form says what to fix instead of a 500."""
    response = client.post("/login", data={"email": typed, "password": "any password at all"})
    assert_form_kept(response, typed, "any password at all", "Remove the tabs, line breaks")


def test_a_nul_character_in_the_password_is_just_a_wrong_password(client: FlaskClient, db):
    staff = factories.make_staff("peer")
    db.session.commit()
    response = client.post("/login", data={"email": staff.email, "password": factories.PASSWORD + "\x00"})
    assert_form_kept(response, staff.email, "", WRONG_DETAILS)


def test_a_request_larger_than_allowed_gets_the_plain_page(client: FlaskClient):
    response = client.post("/login", data={"email": "a@example.org", "password": "x" * (5 * 1024 * 1024)})
    assert response.status_code == 413
    assert "The file is too large" in response.get_data(as_text=True)


@pytest.mark.parametrize("referer", ["http://[::1", "http://[", "https://[fe80::1/form"])
def test_a_referer_that_is_no_address_is_never_a_server_error(client: FlaskClient, login_as, referer: str):
    """The pages that offer the way back to the form read the Referer: one that is no address (an unclosed IPv6
    bracket, which urlsplit refuses) means no way back, not a server error."""
    headers = {"Referer": referer}
    signed_out = client.post("/account/password", data={"current_password": "x"}, headers=headers)
    assert signed_out.status_code == 302, "a form sent after the sign-in ended: to the sign-in page"
    assert signed_out.headers["Location"] == "/login"
    too_large = client.post("/login", data={"password": "x" * (5 * 1024 * 1024)}, headers=headers)
    assert too_large.status_code == 413
    login_as("peer")
    no_token = client.post("/account/password", data={"current_password": "x"}, headers=headers)
    assert no_token.status_code == 400


OFF_SITE = [
    "//evil.example/",
    "/\\evil.example/",
    "/\\/evil.example/",
    "/\t/evil.example/",
    "/\n/evil.example/",
    "https://evil.example/",
    "javascript:alert(1)",
    "",
]


@pytest.mark.parametrize("next_url", OFF_SITE)
def test_an_address_off_this_site_is_never_a_place_to_return_to(app: Flask, next_url: str):
    with app.test_request_context():
        assert _safe_next(next_url) == "/"


def test_sign_in_returns_to_the_page_asked_for_and_only_on_this_site(client: FlaskClient, db):
    staff = factories.make_staff("peer")
    db.session.commit()
    form = {"email": staff.email, "password": factories.PASSWORD}

    off_site = client.post("/login", query_string={"next": "/\\evil.example/"}, data=form)
    assert off_site.headers["Location"] == "/"

    client.post("/logout")
    local = client.post("/login", query_string={"next": "/training/?page=2"}, data=form)
    assert local.headers["Location"] == "/training/?page=2"


@pytest.mark.parametrize("url", ["/admin/staff", "/admin/outbox", "/notifications/", "/audit/"])
def test_a_page_number_too_large_for_the_database_is_the_last_page(client: FlaskClient, login_as, url: str):
    login_as("admin", "privacy")
    assert client.get(f"{url}?page=99999999999999999999").status_code == 200
