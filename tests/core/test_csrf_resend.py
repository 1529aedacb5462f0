"""A form refused for its CSRF token (sent after signing out and in again in another tab) comes back as the same
form, input kept (passwords aside), with a new token and one sentence saying to send it again; nothing changes.

The walk below sends every POST route of ``app.url_map``, as a person whose role may use it, in the demo agency
(so records exist and views really run), with a token from another sign-in and answers that look real. Every row of
every table, audit log included, must be the same afterwards, and the answer must be the form again or the plain
400 page. The last tests prove the walk can fail: the same kind of request with the page's own token changes data.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.routing import Rule

from caseload.models import Client, Referral
from core import policy
from core.csrf import PLAIN_TITLE, SEND_AGAIN
from core.extensions import db
from core.models import AuditEntry, Role, Staff
from tests import factories
from tests.core.security_helpers import (
    built_app,
    csrf_token_from,
    inspection_app,
    real_url,
    routes,
    signed_in_client,
    snapshot,
)

POST_RULES = routes(inspection_app(), "POST")
DEMO_EMAIL = {
    Role.ADMIN: "admin@example.org",
    Role.HR: "hr@example.org",
    Role.SUPERVISOR: "supervisor@example.org",
    Role.PEER: "peer@example.org",
    Role.STAFF: "clinician@example.org",
    Role.PRIVACY: "privacy@example.org",
}
TYPED = "Typed before the sign-in changed in another tab"
SECRET = "a password typed into the form"
# Answers shaped like the app's forms: a view that ignored the refusal would save them.
ANSWERS = {
    "name": TYPED,
    "title": TYPED,
    "topic": TYPED,
    "reason": TYPED,
    "summary": TYPED,
    "description": TYPED,
    "strengths": TYPED,
    "wave": TYPED,
    "text": TYPED,
    "email": "someone.new@example.org",
    "password": SECRET,
    "current_password": SECRET,
    "new_password": SECRET,
    "confirm_password": SECRET,
    "confirm": "y",
    "minutes": "30",
}
# Forms a person fills in on their own page: these must come back as the form, not the plain page. (A page that
# shows a client record, such as the recovery plan, must write the read to the audit log, which a refused request
# may not: it answers the plain page, and the browser offers the typed text back on the form, see
# tests/browser/test_tabs_and_sessions.py.)
FORMS_SHOWN_AGAIN = {
    "accounts.password",
    "admin.staff_invite",
    "caseload.client_new",
    "caseload.referral_new",
    "caseload.group_new",
    "caseload.resource_new",
    "caseload.indirect_note_new",
    "readiness.campaign_new",
    "readiness.instrument_new",
    "readiness.settings_page",
}


@dataclass
class World:
    app: Flask
    tokens: dict[Role, str] = field(default_factory=dict)
    known: dict[str, int] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)

    def client(self, role: Role) -> FlaskClient:
        """A browser signed in now, whose page still holds the token of its sign-in before (another secret)."""
        client = signed_in_client(self.app, self.tokens[role])
        with client.session_transaction() as session:
            session["csrf_token"] = secrets.token_hex(20)
        return client

    def url(self, rule: Rule) -> str:
        if rule.rule not in self.urls:
            self.urls[rule.rule] = real_url(self.app, rule, self.known)
        return self.urls[rule.rule]


@pytest.fixture(scope="module")
def world(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from core import demo

    with built_app(database_url, tmp_path_factory.mktemp("resend"), WTF_CSRF_ENABLED=True) as application:
        built = World(application)
        with application.app_context():
            demo.load(password=factories.PASSWORD)
            for role, email in DEMO_EMAIL.items():
                staff = db.session.scalars(select(Staff).where(Staff.email == email)).one()
                built.tokens[role] = factories.start_session(staff)
            # Marcus Bell: a client of Pat Delgado (peer@), so the caseload forms open for the peer.
            built.known["client_id"] = db.session.scalars(select(Client.id).where(Client.name == "Marcus Bell")).one()
            db.session.commit()
            db.session.remove()
        yield built


def role_for(app: Flask, endpoint: str) -> Role | None:
    permission = getattr(app.view_functions[endpoint], "permission", None)
    if permission is None or permission == policy.PUBLIC:
        return Role.ADMIN
    allowed = policy.PERMISSIONS[permission]
    return next((role for role in DEMO_EMAIL if role in allowed), None)


def unchanged_except_sign_ins(before: dict[str, list[str]], after: dict[str, list[str]]) -> list[str]:
    """Tables that differ; a sign-in's "last seen" moves on any request, so only its row count is compared."""
    changed = []
    for table, rows in before.items():
        if table == "core_auth_session":
            if len(rows) != len(after[table]):
                changed.append(table)
        elif rows != after[table]:
            changed.append(table)
    return changed


def test_every_post_route_refuses_a_stale_token_and_changes_nothing(world: World) -> None:
    shown_again: set[str] = set()
    problems: list[str] = []
    # One snapshot after each POST, which is also the next POST's "before": nothing else writes in between (a URL
    # and a client are made by reading), so each POST is still compared with the database just before it, at half
    # the cost of reading the whole demo agency twice a route.
    before = snapshot(world.app)
    for rule in POST_RULES:
        if rule.endpoint == "accounts.login":  # checks its own token (csrf.exempt): test_bad_input covers it
            continue
        role = role_for(world.app, rule.endpoint)
        assert role is not None, f"no demo person may use {rule.endpoint}"
        url = world.url(rule)
        response = world.client(role).post(url, data={**ANSWERS, "csrf_token": "stale-token-of-an-old-sign-in"})
        after = snapshot(world.app)
        changed = unchanged_except_sign_ins(before, after)
        before = after
        page = response.get_data(as_text=True)
        if changed:
            problems.append(f"POST {url} as {role} with a stale token changed {changed}")
        if response.status_code != 400:
            problems.append(f"POST {url} as {role} answered {response.status_code}, not 400")
        elif SEND_AGAIN in unescape(page):
            shown_again.add(rule.endpoint)
            if SECRET in page:
                problems.append(f"POST {url}: the form came back with the password in it")
            if PLAIN_TITLE in page.split("</title>")[0] or 'id="form-not-sent"' not in page:
                problems.append(f"POST {url}: not the form with its sentence")
        elif PLAIN_TITLE not in unescape(page):
            problems.append(f"POST {url} as {role} answered neither the form nor the plain page")
    assert not problems, "\n".join(problems)
    missing = FORMS_SHOWN_AGAIN - shown_again
    assert not missing, f"these forms did not come back with the input kept: {sorted(missing)}"


def test_the_refused_form_keeps_the_input_and_its_new_token_sends_it(world: World) -> None:
    """A referral typed in tab A, sent after signing out and in again in tab B: shown again, then sent."""
    client = world.client(Role.PEER)
    page = client.get("/caseload/referrals/new").get_data(as_text=True)
    program = re.search(r'<select[^>]*name="program".*?<option[^>]*value="(\d+)"', page, re.DOTALL)
    received = re.search(r'name="received_at"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="received_at"', page)
    assert program is not None, "the referral form lists programs"
    assert received is not None, "the referral form has the time it came in"
    data = {
        "source": "self",
        "name": "Resend Example",
        "reason": TYPED,
        "urgency": "routine",
        "received_at": received.group(1) or received.group(2),
        "program": program.group(1),
        "csrf_token": csrf_token_from(page.encode()) + "-stale",
    }
    with world.app.app_context():
        referrals = db.session.scalar(select(func.count()).select_from(Referral))
        audit = db.session.scalar(select(func.max(AuditEntry.id)))
        db.session.remove()

    refused = client.post("/caseload/referrals/new", data=data)

    assert refused.status_code == 400
    text = unescape(refused.get_data(as_text=True))
    assert SEND_AGAIN in text
    assert 'value="Resend Example"' in text
    assert TYPED in text
    assert "usa-error-message" not in text, "no field is blamed: the person did nothing wrong"
    new_token = csrf_token_from(refused.data)
    assert new_token != data["csrf_token"]
    with world.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Referral)) == referrals
        assert db.session.scalar(select(func.max(AuditEntry.id))) == audit
        db.session.remove()

    sent = client.post("/caseload/referrals/new", data={**data, "csrf_token": new_token})

    assert sent.status_code == 302, unescape(sent.get_data(as_text=True))[-3000:]
    with world.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Referral)) == referrals + 1
        db.session.remove()


def test_a_bare_button_with_its_own_token_changes_data(world: World) -> None:
    """The walk's check can fail: "mark as seen" with the page's own token writes, with a stale one it does not."""
    with world.app.app_context():
        referral = db.session.scalars(select(Referral).where(Referral.seen_at.is_(None)).order_by(Referral.id)).first()
        assert referral is not None, "the demo has an unseen referral"
        referral_id, version = referral.id, str(referral.version)
        db.session.remove()
    client = world.client(Role.PEER)
    own = csrf_token_from(client.get("/caseload/").data)
    before = snapshot(world.app)

    stale = client.post(f"/caseload/referrals/{referral_id}/seen", data={"csrf_token": own + "x", "version": version})
    assert stale.status_code == 400
    assert not unchanged_except_sign_ins(before, snapshot(world.app))

    client.post(f"/caseload/referrals/{referral_id}/seen", data={"csrf_token": own, "version": version})
    assert unchanged_except_sign_ins(before, snapshot(world.app)), "with its own token the button changes data"
