"""What the session cookie holds (SECURITY.md, "What the session cookie holds"): encrypted, then signed. These
tests read it with the app's key and pin what is there, and check that without the key nothing of it shows."""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import importlib
import re
import zlib
from pathlib import Path
from typing import Any

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from flask.testing import FlaskClient
from sqlalchemy import select

from core.extensions import login_manager
from core.models import AuthSession, Role
from tests.core.test_two_factor import enrolled
from tests.factories import PASSWORD, make_program, make_staff, make_team

ROOT = Path(__file__).resolve().parents[2]
COOKIE = "peerworks_session"
BROWSER = "Probe/1.0 (a browser)"
PACKAGES = ("core", "caseload", "readiness", "hiring", "training", "supervision")
# Every key the app's own code writes into the session, each named in SECURITY.md.
APP_KEYS = {"second_step", "two_factor_setup", "readiness_link", "readiness_survey", "admin_import_summary",
            "_flashes"}  # core/app.py rewrites Flask's queue of messages without repeats


def cookie(app: Flask, client: FlaskClient) -> dict[str, Any]:
    """The cookie's content, read with the app's key as the app reads it."""
    value = client.get_cookie(COOKIE).value
    return app.session_interface.get_signing_serializer(app).loads(value)  # type: ignore[attr-defined]


def test_signed_in_the_cookie_holds_the_token_flask_logins_hash_and_the_csrf_secret(app: Flask, db):
    staff = make_staff("peer")
    db.session.commit()
    client = app.test_client()
    client.environ_base.update({"REMOTE_ADDR": "192.0.2.7", "HTTP_USER_AGENT": BROWSER})
    assert client.post("/login", data={"email": staff.email, "password": PASSWORD}).status_code == 302
    assert client.get("/account/password").status_code == 200  # a page with a form: its CSRF secret

    held = cookie(app, client)
    assert set(held) == {"_user_id", "_fresh", "_id", "csrf_token"}
    token_hash = hashlib.sha256(held["_user_id"].encode()).hexdigest()
    assert db.session.scalar(select(AuthSession.staff_id).where(AuthSession.token_hash == token_hash)) == staff.id
    # Flask-Login's SHA-512 of the address and the browser's User-Agent at sign-in (not used: session_protection
    # is off, the server-side session is the protection).
    with app.test_request_context(environ_base={"REMOTE_ADDR": "192.0.2.7"}, headers={"User-Agent": BROWSER}):
        assert held["_id"] == login_manager._session_identifier_generator()
    assert re.fullmatch(r"[0-9a-f]{128}", held["_id"])
    assert str(staff.id) != held["_user_id"]


def test_between_password_and_code_it_holds_the_staff_number_and_time(app: Flask, db):
    staff = enrolled(make_staff("supervisor"))
    db.session.commit()
    client = app.test_client()
    assert client.post("/login", data={"email": staff.email, "password": PASSWORD}).status_code == 302

    held = cookie(app, client)
    assert "_user_id" not in held, "half signed in is not signed in"
    step = held["second_step"]
    assert set(step) == {"staff", "step", "since", "fp", "next"}
    assert step["staff"] == staff.id
    assert re.fullmatch(r"[0-9a-f]{16}", step["fp"])
    assert PASSWORD not in str(held)


def test_a_message_for_the_next_page_is_held_until_that_page_shows_it(app: Flask, db, client, login_as):
    """A confirmation can name a client: it is in the cookie from the saved form to the next page only."""
    team = make_team(make_program(code="CRP"))
    login_as(Role.PEER, teams=[team], program=team.program)
    saved = client.post("/caseload/clients/new", data={
        "name": "Maria Lopez", "date_of_birth": "1985-03-15", "program": str(team.program.id), "status": "referred",
        "assign_me": "peer",
    })
    assert saved.status_code == 302
    assert "Maria Lopez" in str(cookie(app, client)["_flashes"])
    assert "Maria" not in readable_without_the_key(client.get_cookie(COOKIE).value)
    client.get(saved.headers["Location"])
    assert "_flashes" not in cookie(app, client)


def test_a_message_already_waiting_is_not_queued_again(app: Flask, db):
    """Pages refused without being shown each queue the same notice: it is kept once, so the cookie (encrypted, no
    longer compressed) cannot outgrow what a browser keeps."""
    client = app.test_client()
    for _ in range(60):
        assert client.get("/caseload/clients").status_code in (302, 401)
    held = cookie(app, client)
    assert len(held.get("_flashes", [])) <= 1
    assert len(client.get_cookie(COOKIE).value) < 1000


def readable_without_the_key(value: str) -> str:
    """Everything a copy of the cookie shows without the key: its text, and each dot-separated part base64-decoded
    (and unzipped, as Flask's own signed cookies are when they start with a dot)."""
    shown = [value]
    for part in value.split("."):
        try:
            raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        except (binascii.Error, ValueError):
            continue
        with contextlib.suppress(zlib.error):
            raw = zlib.decompress(raw)
        shown.append(raw.decode("latin-1"))
    return "\n".join(shown)


def test_without_the_key_the_cookie_shows_nothing_it_holds(app: Flask, db):
    staff = make_staff("peer")
    db.session.commit()
    client = app.test_client()
    assert client.post("/login", data={"email": staff.email, "password": PASSWORD}).status_code == 302
    assert client.get("/account/password").status_code == 200
    held = cookie(app, client)
    shown = readable_without_the_key(client.get_cookie(COOKIE).value)
    for name in ("_user_id", "csrf_token", "_fresh"):
        assert name not in shown
        assert str(held[name]) not in shown
    flask_default = SecureCookieSessionInterface().get_signing_serializer(app)
    assert "_user_id" in readable_without_the_key(flask_default.dumps(held)), "the check can fail: Flask's own shows"


def test_a_cookie_from_before_it_was_encrypted_is_no_session(app: Flask, db):
    """Signed with the right key in Flask's own form (the cookie of a browser from before the change): the person is
    simply signed out, never a server error."""
    staff = make_staff("peer")
    db.session.commit()
    client = app.test_client()
    assert client.post("/login", data={"email": staff.email, "password": PASSWORD}).status_code == 302
    held = cookie(app, client)
    old = SecureCookieSessionInterface().get_signing_serializer(app).dumps(held)
    client.set_cookie(COOKIE, old)
    answer = client.get("/")
    assert answer.status_code == 302
    assert "/login" in answer.headers["Location"]


def test_every_key_the_app_writes_into_the_session_is_one_security_md_names():
    written = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            source = path.read_text(encoding="utf-8")
            module = None
            for key in re.findall(r"(?<![\w.])session\[([A-Za-z_]\w*|\"[^\"]+\")\]\s*=(?!=)", source):
                if key.startswith('"'):
                    written.add(key.strip('"'))
                    continue
                if key == "key":  # core/csrf.py puts back what a refused request found
                    continue
                module = module or importlib.import_module(
                    ".".join(path.relative_to(ROOT).with_suffix("").parts))
                written.add(getattr(module, key))
    assert written == APP_KEYS
    security = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    for key in APP_KEYS | {"_user_id", "_fresh", "_id", "csrf_token", "_flashes"}:
        assert f"`{key}`" in security, key
