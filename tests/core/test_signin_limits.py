"""Guessing passwords is slow and visible: account lockout, one message for every failure, per-address throttling."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from core import passwords
from core.accounts.service import WRONG_DETAILS
from core.extensions import db as _db
from core.models import AuditEntry, AuthSession
from core.timeutil import utcnow
from tests.core.security_helpers import built_app, signed_in_client
from tests.factories import PASSWORD, make_staff, start_session

TYPED_PASSWORD = "Typed-Guess-Never-Stored-42"
REDIS_URL = "redis://127.0.0.1:6379/15"
# Counters of this test run only, so parallel runs sharing the Redis database never count each other's tries.
REDIS_KEY_PREFIX = f"peerworks-test-{os.getpid()}"


def try_sign_in(client: FlaskClient, email: str, password: str):
    return client.post("/login", data={"email": email, "password": password})


def audit_rows(db) -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def test_five_wrong_passwords_lock_the_account_for_15_minutes(client: FlaskClient, db):
    staff = make_staff("peer")
    db.session.commit()
    for attempt in range(1, 6):
        response = try_sign_in(client, staff.email, f"wrong password {attempt}")
        assert response.status_code == 400
        assert WRONG_DETAILS in response.get_data(as_text=True)
        db.session.refresh(staff)
        locked = staff.locked_until is not None
        assert locked == (attempt == 5), f"after {attempt} wrong tries the account is {'' if locked else 'not '}locked"

    assert staff.locked_until is not None
    assert timedelta(minutes=14, seconds=55) < staff.locked_until - utcnow() <= timedelta(minutes=15)

    locked = try_sign_in(client, staff.email, PASSWORD)
    assert locked.status_code == 400, "the right password is refused while the account is locked"
    assert WRONG_DETAILS in locked.get_data(as_text=True)
    assert db.session.scalar(select(AuthSession).where(AuthSession.staff_id == staff.id)) is None
    failures = audit_rows(db)
    assert [(entry.action, entry.outcome) for entry in failures] == [("signin.failed", "denied")] * 6
    assert [entry.detail for entry in failures][-2:] == ["wrong password; locked", "account locked"]

    staff.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert try_sign_in(client, staff.email, PASSWORD).status_code == 302
    assert client.get("/").status_code == 200


def change_password(client: FlaskClient, current: str):
    new = "A-New-Password-For-Testing-77"
    return client.post(
        "/account/password", data={"current_password": current, "new_password": new, "confirm_password": new}
    )


def test_wrong_current_passwords_count_as_wrong_tries(app: Flask, db):
    """Someone at a browser left signed in cannot guess the person's password on the password form without end:
    wrong current passwords count with wrong sign-ins, and the locked account's form refuses even the right one."""
    staff = make_staff("peer")
    browser = signed_in_client(app, start_session(staff))
    for attempt in range(1, 6):
        assert change_password(browser, f"guess number {attempt}").status_code == 400
        db.session.refresh(staff)
        locked = staff.locked_until is not None
        assert locked == (attempt == 5), f"after {attempt} wrong tries the account is {'' if locked else 'not '}locked"

    refused = change_password(browser, PASSWORD)
    assert refused.status_code == 400, "the right password is refused while the account is locked"
    assert "15 minutes" in refused.get_data(as_text=True)
    db.session.refresh(staff)
    assert passwords.check_password(staff.password_hash, PASSWORD), "the password is not changed"
    assert try_sign_in(app.test_client(), staff.email, PASSWORD).status_code == 400, "nor may it sign in"
    details = [entry.detail for entry in audit_rows(db) if entry.action == "password.change"]
    assert details[-2:] == ["current password wrong; locked", "account locked"]

    staff.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert change_password(browser, PASSWORD).status_code == 302


def _comparable(page: bytes, typed_email: str) -> str:
    text = page.decode().replace(typed_email, "TYPED-EMAIL")
    return re.sub(r'nonce="[^"]*"', 'nonce=""', text)


def test_unknown_email_and_wrong_password_look_the_same(client: FlaskClient, db):
    staff = make_staff("peer", email="known.person@example.org")
    db.session.commit()
    unknown = try_sign_in(client, "nobody.here@example.org", TYPED_PASSWORD)
    wrong = try_sign_in(client, staff.email, TYPED_PASSWORD)
    assert unknown.status_code == wrong.status_code == 400
    assert WRONG_DETAILS in unknown.get_data(as_text=True)
    assert _comparable(unknown.data, "nobody.here@example.org") == _comparable(wrong.data, staff.email)


def test_each_failure_is_audited_without_what_was_typed(client: FlaskClient, db):
    staff = make_staff("peer")
    db.session.commit()
    typed_unknown_email = "Typed-Email-Never-Stored@example.org"
    try_sign_in(client, staff.email, TYPED_PASSWORD)
    try_sign_in(client, typed_unknown_email, TYPED_PASSWORD)

    entries = audit_rows(db)
    assert [(entry.action, entry.outcome) for entry in entries] == [
        ("signin.failed", "denied"),
        ("signin.failed", "denied"),
    ]
    assert entries[0].record_id == str(staff.id)
    assert entries[1].actor_id is None
    for entry in entries:
        stored = " ".join(str(getattr(entry, column.key)) for column in AuditEntry.__table__.c)
        assert TYPED_PASSWORD.lower() not in stored.lower()
        assert typed_unknown_email.lower() not in stored.lower(), "a typed unknown email may be a mistyped password"


def _empty_redis_or_skip() -> None:
    """Skip unless Redis answers; then remove this process's counters (another test run may share the database)."""
    redis = pytest.importorskip("redis")
    try:
        connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5)
        connection.ping()
        for key in connection.scan_iter(f"*{REDIS_KEY_PREFIX}*"):
            connection.delete(key)
    except redis.exceptions.RedisError as error:
        pytest.skip(f"Redis does not answer at {REDIS_URL} ({error}): the shared-storage limit was not tested")
    finally:
        connection.close()


@pytest.fixture(params=["memory://", REDIS_URL], ids=["memory", "redis"])
def throttled_app(request: pytest.FixtureRequest, database_url: str, tmp_path: Path) -> Iterator[Flask]:
    storage = request.param
    on_redis = storage.startswith("redis")
    if on_redis:
        _empty_redis_or_skip()
    with built_app(
        database_url,
        tmp_path / "instance",
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=storage,
        RATELIMIT_KEY_PREFIX=REDIS_KEY_PREFIX if on_redis else "",
        LOGIN_RATE_LIMIT="3 per minute",
    ) as application:
        yield application
    if on_redis:
        _empty_redis_or_skip()


def test_too_many_tries_from_one_address_are_throttled(throttled_app: Flask):
    client = throttled_app.test_client()
    for _ in range(3):
        response = try_sign_in(client, "someone@example.org", TYPED_PASSWORD)
        assert response.status_code == 400

    throttled = try_sign_in(client, "someone@example.org", TYPED_PASSWORD)

    assert throttled.status_code == 429
    page = throttled.get_data(as_text=True)
    assert "Too many tries" in page
    assert "Wait a minute, then try again." in page
    assert "Traceback" not in page
    with throttled_app.app_context():
        entries = audit_rows(_db)
    assert [entry.action for entry in entries].count("signin.failed") == 3
    assert entries[-1].action == "signin.throttled"
    assert entries[-1].outcome == "denied"
    assert client.get("/login").status_code == 200, "the page itself still opens; only sending the form is limited"
    elsewhere = throttled_app.test_client().post(
        "/login", data={"email": "someone@example.org", "password": ""}, environ_base={"REMOTE_ADDR": "127.0.0.2"}
    )
    assert elsewhere.status_code == 400, "tries from another address are counted apart"
