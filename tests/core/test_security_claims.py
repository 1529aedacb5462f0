"""Claims of SECURITY.md that no other test made: checked the way a skeptic would, from the raw database and from
separate processes.

- A copy of the database holds no password and no sign-in token: every stored value of every table is read after a
  sign-in through the form and a password change, and neither password nor the cookie's token is in any of them
  (only the token's SHA-256 is).
- Sign-in limits hold across app instances when they share Redis: an instance in the test's process and one in a
  process of its own (one process cannot prove it: the limiter is one object for every app in it) count one
  address's tries together; with their own memory they do not (so the check can fail).
- Production marks cookies Secure and sign-in limits have their stated defaults; pages load nothing from another site.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from core import config
from core.extensions import db as _db
from tests.core.security_helpers import built_app
from tests.factories import PASSWORD, make_staff

ROOT = Path(__file__).resolve().parents[2]
COOKIE = "peerworks_session"
NEW_PASSWORD = "an unusual new passphrase nobody stores"
REDIS_URL = "redis://127.0.0.1:6379/15"
# Fixed windows: a day, so a slow machine's tries never straddle two windows.
LIMIT = "3 per day"
ADDRESS = "192.0.2.7"


def every_stored_value() -> str:
    """Every value of every row of every table, as one text (a database reader's view)."""
    parts = []
    for table in _db.metadata.sorted_tables:
        for row in _db.session.execute(select(table)):
            parts.extend(str(value) for value in row)
    return "\n".join(parts)


def cookie_token(app: Flask, value: str) -> str:
    """The sign-in token the session cookie carries (Flask-Login's user id, in Flask's signed cookie)."""
    data = app.session_interface.get_signing_serializer(app).loads(value)  # type: ignore[attr-defined]
    return str(data["_user_id"])


def test_the_database_holds_no_password_and_no_sign_in_token(app: Flask, db):
    staff = make_staff("peer")
    db.session.commit()
    client = app.test_client()
    signed_in = client.post("/login", data={"email": staff.email, "password": PASSWORD})
    assert signed_in.status_code == 302
    changed = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
    )
    assert changed.status_code == 302
    assert client.get("/").status_code == 200, "still signed in after the change"
    token = cookie_token(app, client.get_cookie(COOKIE).value)
    assert len(token) >= 40, "a random token of 32 bytes"

    db.session.expire_all()
    stored = every_stored_value()

    assert hashlib.sha256(token.encode()).hexdigest() in stored, "the check reads the session table"
    assert token not in stored
    assert PASSWORD not in stored
    assert NEW_PASSWORD not in stored
    assert staff.email in stored, "the check reads the staff table"


# Two instances, one Redis --------------------------------------------------------------------------------------

INSTANCE = textwrap.dedent(
    """
    import json, os, sys
    from core.app import create_app
    from core.extensions import db
    storage, prefix, tries, database, LIMIT, ADDRESS = sys.argv[1:7]
    app = create_app({
        "TESTING": True, "SECRET_KEY": "two-instances", "SQLALCHEMY_DATABASE_URI": "sqlite:///" + database,
        "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": storage,
        "RATELIMIT_KEY_PREFIX": prefix, "LOGIN_RATE_LIMIT": LIMIT,
    })
    with app.app_context():
        db.create_all()
    client = app.test_client()
    answers = [
        client.post("/login", data={"email": "nobody@example.org", "password": "not the password"},
                    environ_base={"REMOTE_ADDR": ADDRESS}).status_code
        for _ in range(int(tries))
    ]
    print(json.dumps(answers))
    """
)


def instance_tries(storage: str, prefix: str, tries: int, tmp_path: Path, name: str) -> list[int]:
    """Sign-in tries from one address sent to a new app instance in a process of its own; their status codes."""
    environment = {**os.environ, "PEERWORKS_INSTANCE": str(tmp_path / name), "PEERWORKS_TEMPLATE_CACHE": ""}
    environment.pop("DATABASE_URL", None)
    done = subprocess.run(  # noqa: S603  our own interpreter and script
        [sys.executable, "-c", INSTANCE, storage, prefix, str(tries), str(tmp_path / f"{name}.sqlite3"), LIMIT,
         ADDRESS],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    redis = pytest.importorskip("redis")
    prefix = f"peerworks-two-instances-{os.getpid()}"
    try:
        connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5)
        connection.ping()
    except redis.exceptions.RedisError as error:
        pytest.skip(f"Redis does not answer at {REDIS_URL} ({error}): limits across instances were not tested")
    for key in connection.scan_iter(f"*{prefix}*"):
        connection.delete(key)
    yield prefix
    for key in connection.scan_iter(f"*{prefix}*"):
        connection.delete(key)
    connection.close()


def tries_here(storage: str, prefix: str, tries: int, database_url: str, tmp_path: Path) -> list[int]:
    """The same tries sent to an app instance in this process."""
    with built_app(database_url, tmp_path / "here", RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=storage,
                   RATELIMIT_KEY_PREFIX=prefix, LOGIN_RATE_LIMIT=LIMIT) as application:
        client = application.test_client()
        return [
            client.post("/login", data={"email": "nobody@example.org", "password": "not the password"},
                        environ_base={"REMOTE_ADDR": ADDRESS}).status_code
            for _ in range(tries)
        ]


def test_two_instances_sharing_redis_count_sign_in_tries_together(redis_prefix: str, database_url: str,
                                                                  tmp_path: Path):
    assert tries_here(REDIS_URL, redis_prefix, 3, database_url, tmp_path) == [400, 400, 400]
    assert instance_tries(REDIS_URL, redis_prefix, 1, tmp_path, "other") == [429], (
        "the other instance knows of this one's tries"
    )


def test_two_instances_with_their_own_memory_count_apart(database_url: str, tmp_path: Path):
    """The control: without a shared store each instance counts on its own, so the test above can fail."""
    assert tries_here("memory://", "", 3, database_url, tmp_path) == [400, 400, 400]
    assert instance_tries("memory://", "", 1, tmp_path, "other") == [400]


# Defaults an agency relies on -----------------------------------------------------------------------------------


def test_production_makes_cookies_secure_and_sign_in_limits_have_defaults(monkeypatch, tmp_path: Path):
    monkeypatch.delenv("SECURE_COOKIES", raising=False)
    monkeypatch.delenv("LOGIN_RATE_LIMIT", raising=False)
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    monkeypatch.setenv("PEERWORKS_ENV", "production")
    production = config.from_environment(tmp_path)
    monkeypatch.setenv("PEERWORKS_ENV", "development")
    development = config.from_environment(tmp_path)

    assert production["SECURE_COOKIES"] is True
    assert development["SECURE_COOKIES"] is False, "over plain HTTP on one's own machine; HTTPS still marks them"
    assert production["LOGIN_RATE_LIMIT"] == "10 per minute;100 per hour"
    assert production["RATELIMIT_STORAGE_URI"] == "memory://", "Redis only when set: SECURITY.md says to set it"


def test_pages_load_nothing_from_another_site(client):
    """Every source the Content-Security-Policy allows is the app itself (or an inline image, or the page's nonce)."""
    header = client.get("/login").headers["Content-Security-Policy"]
    sources = [word for part in header.split(";") for word in part.split()[1:]]
    assert sources
    allowed = {"'self'", "'none'", "data:"}
    assert [s for s in sources if s not in allowed and not s.startswith("'nonce-")] == []
