"""CSRF: with protection on (as in production), every POST route refuses a missing token and another session's token.

The POST routes are read from ``app.url_map``, so routes added later are checked too. The request carries real row
ids and a plausible form, so a route that skipped the check would write to the database, which the test watches.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.routing import Rule

from core.accounts import service as accounts_service
from core.extensions import db
from core.models import AuthSession, Role, StaffStatus
from core.timeutil import utcnow
from tests import factories
from tests.core.security_helpers import (
    built_app,
    csrf_token_from,
    inspection_app,
    real_url,
    routes,
    row_counts,
    signed_in_client,
    writes_recorded,
)

ANONYMOUS = "anonymous"
ADMIN = "admin"
# The start of both answers: the plain page's title and the sentence above a form shown again (core/csrf.py).
PLAIN_MESSAGE = "This form was not sent"
NEW_PASSWORD = "a completely new passphrase for csrf"

POST_RULES = routes(inspection_app(), "POST")


@dataclass
class World:
    app: Flask
    tokens: dict[str, str] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)
    real_values: dict[str, Any] = field(default_factory=dict)
    foreign_token: str = ""
    urls: dict[str, str] = field(default_factory=dict)

    def client(self, who: str) -> FlaskClient:
        """A browser with a CSRF secret of its own in its session, as after opening any page with a form."""
        client = self.app.test_client() if who == ANONYMOUS else signed_in_client(self.app, self.tokens[who])
        with client.session_transaction() as session:
            session["csrf_token"] = secrets.token_hex(20)
        return client

    def url(self, rule: Rule) -> str:
        if rule.rule not in self.urls:
            self.urls[rule.rule] = real_url(self.app, rule, self.real_values)
        return self.urls[rule.rule]

    def form(self) -> dict[str, str]:
        """Answers that would sign in, change a password or accept an invitation if the token were not checked."""
        return {
            "email": self.emails[ADMIN],
            "password": factories.PASSWORD,
            "current_password": factories.PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
            "name": "Changed without a token",
            "confirm": "y",
        }


@pytest.fixture(scope="module")
def world(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    instance = tmp_path_factory.mktemp("csrf-instance")
    with built_app(database_url, instance, WTF_CSRF_ENABLED=True) as application:
        built = World(application)
        with application.app_context():
            program = factories.make_program()
            team = factories.make_team(program)
            admin = factories.make_staff(Role.ADMIN, teams=[team], program=program)
            colleague = factories.make_staff(Role.PEER, teams=[team], program=program)
            invited = factories.make_staff(Role.PEER, status=StaffStatus.INVITED, teams=[team])
            built.tokens[ADMIN] = factories.start_session(admin)
            built.emails[ADMIN] = admin.email
            # Seen "in the future": the sign-in check never touches it, so a keep-alive that got through would show.
            row = db.session.scalar(select(AuthSession).where(AuthSession.staff_id == admin.id))
            row.last_seen_at = utcnow() + timedelta(hours=1)
            built.real_values = {
                "staff_id": colleague.id,
                "team_id": team.id,
                "program_id": program.id,
                "token": accounts_service.invitation_token(invited, application.config["SECRET_KEY"]),
            }
            db.session.commit()
            db.session.remove()
        other_browser = application.test_client()
        built.foreign_token = csrf_token_from(other_browser.get("/login").data)
        yield built


def test_every_post_route_is_listed():
    endpoints = {rule.endpoint for rule in POST_RULES}
    assert {"accounts.login", "accounts.logout", "accounts.keepalive", "accounts.accept_invite"} <= endpoints


@pytest.mark.parametrize("token", ["missing", "from-another-session"])
@pytest.mark.parametrize("who", [ANONYMOUS, ADMIN])
@pytest.mark.parametrize("rule", POST_RULES, ids=lambda rule: rule.rule)
def test_post_without_its_own_token_is_refused(world: World, rule: Rule, who: str, token: str):
    client = world.client(who)
    form = world.form()
    if token == "from-another-session":
        form["csrf_token"] = world.foreign_token
    url = world.url(rule)
    counts = row_counts(world.app)

    with writes_recorded(world.app) as written:
        response = client.post(url, data=form)

    assert response.status_code == 400, f"POST {url} as {who} with a {token} token answered {response.status_code}"
    page = response.get_data(as_text=True)
    assert PLAIN_MESSAGE in page
    assert "Traceback" not in page
    # Not even the audit log: a refused request changes nothing at all (core/csrf.py).
    assert not written, f"POST {url} without a valid token wrote to {sorted(set(written))}"
    assert row_counts(world.app) == counts


# The same requests with the browser's own token go through: the refusals above are about the token.


def test_sign_in_with_own_token_works(world: World):
    client = world.app.test_client()
    token = csrf_token_from(client.get("/login").data)
    response = client.post("/login", data={**world.form(), "csrf_token": token})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_signing_in_gives_a_new_token_and_the_old_one_stops_working(world: World):
    """A token someone saw before sign-in (a shared computer's sign-in page) is no use afterwards."""
    client = world.app.test_client()
    before = csrf_token_from(client.get("/login").data)
    assert client.post("/login", data={**world.form(), "csrf_token": before}).status_code == 302

    after = csrf_token_from(client.get("/").data)

    assert after != before
    assert client.post("/logout", data={"csrf_token": before}).status_code == 400
    assert client.get("/").status_code == 200, "still signed in: the old token did nothing"
    assert client.post("/logout", data={"csrf_token": after}).status_code == 302


def test_sign_out_with_own_token_works(world: World):
    with world.app.app_context():
        token = factories.start_session(factories.make_staff(Role.PEER))
        db.session.remove()
    client = signed_in_client(world.app, token)
    own = csrf_token_from(client.get("/").data)
    response = client.post("/logout", data={"csrf_token": own})
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_keepalive_takes_the_token_from_a_header_as_the_script_sends_it(world: World):
    with world.app.app_context():
        token = factories.start_session(factories.make_staff(Role.PEER))
        db.session.remove()
    client = signed_in_client(world.app, token)
    own = csrf_token_from(client.get("/").data)
    headers = {"Accept": "application/json"}
    assert client.post("/session/keepalive", headers=headers).status_code == 400
    response = client.post("/session/keepalive", headers={**headers, "X-CSRFToken": own})
    assert response.status_code == 200
    assert response.is_json
