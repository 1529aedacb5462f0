"""Deny by default, checked route by route.

The route list is read from ``app.url_map`` when the tests are collected, so a route added by any module is checked
here without editing this file: it must declare a permission, the guard must enforce that permission for anonymous
visitors and for every role, and no GET may change stored data.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Blueprint, Flask
from flask.testing import FlaskClient
from sqlalchemy import Row, select
from werkzeug.routing import Rule

from core import policy
from core.accounts import service as accounts_service
from core.extensions import db
from core.models import AuditEntry, Role, Staff, StaffStatus
from tests import factories
from tests.core.security_helpers import (
    built_app,
    inspection_app,
    real_url,
    routes,
    row_counts,
    signed_in_client,
    writes_recorded,
)

ANONYMOUS = "anonymous"
ROLES = [str(role) for role in Role]
EVERYONE = [ANONYMOUS, *ROLES]
# Tables that legitimately change on a read: the audit log records refusals and views; sign-in sessions are touched.
CHANGES_ON_READ = {"core_audit_entry", "core_audit_head", "core_auth_session"}

INSPECTED = inspection_app()
RULES = routes(INSPECTED)
GET_RULES = routes(INSPECTED, "GET")


def permission_of(endpoint: str) -> str | None:
    return getattr(INSPECTED.view_functions[endpoint], "permission", None)


# The world: one app and one signed-in person per role for the whole module ------------------------------------


@dataclass
class World:
    app: Flask
    people: dict[str, Staff] = field(default_factory=dict)  # detached, roles loaded: enough for policy.can
    tokens: dict[str, str] = field(default_factory=dict)
    real_values: dict[str, Any] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    last_audit_id: int = 0

    def client(self, who: str) -> FlaskClient:
        client = self.app.test_client()
        if who != ANONYMOUS:
            name = self.app.config["SESSION_COOKIE_NAME"]
            if who not in self.cookies:
                self.cookies[who] = signed_in_client(self.app, self.tokens[who]).get_cookie(name).value
            client.set_cookie(name, self.cookies[who])
        return client

    def staff(self, who: str) -> Staff | None:
        return self.people.get(who)

    def url(self, rule: Rule) -> str:
        if rule.rule not in self.urls:
            self.urls[rule.rule] = real_url(self.app, rule, self.real_values)
        return self.urls[rule.rule]

    def new_audit_entries(self) -> list[Row]:
        """Entries written since the last call."""
        with self.app.app_context():
            entries = db.session.execute(
                select(
                    AuditEntry.id,
                    AuditEntry.action,
                    AuditEntry.outcome,
                    AuditEntry.record_type,
                    AuditEntry.record_id,
                    AuditEntry.actor_id,
                )
                .where(AuditEntry.id > self.last_audit_id)
                .order_by(AuditEntry.id)
            ).all()
            db.session.remove()
        if entries:
            self.last_audit_id = entries[-1].id
        return list(entries)

    def changed_tables(self) -> list[str]:
        """Tables whose row count moved since the last call (so one test's change does not fail the next ones)."""
        counts = row_counts(self.app, skip=CHANGES_ON_READ)
        changed = sorted(name for name in counts if counts[name] != self.counts.get(name))
        self.counts = counts
        return changed


def probe_blueprint() -> Blueprint:
    """A module that forgot to mark one of its routes, next to a correctly marked one."""
    probe = Blueprint("routes_probe", __name__, url_prefix="/_probe")

    @probe.get("/unmarked")
    def unmarked() -> str:
        return "the guard let an unmarked route through"

    @probe.get("/marked")
    @policy.public
    def marked() -> str:
        return "marked public"

    return probe


@pytest.fixture(scope="module")
def world(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with built_app(database_url, tmp_path_factory.mktemp("routes-instance")) as application:
        application.register_blueprint(probe_blueprint())
        built = World(application)
        with application.app_context():
            program = factories.make_program()
            team = factories.make_team(program)
            for role in ROLES:
                person = factories.make_staff(role, teams=[team], program=program)
                built.people[role] = person
                built.tokens[role] = factories.start_session(person)
            colleague = factories.make_staff(Role.PEER, teams=[team], program=program)
            hiring_records(built.people[str(Role.HR)], team)
            training_records(built.people[str(Role.HR)], colleague)
            invited = factories.make_staff(Role.PEER, status=StaffStatus.INVITED, teams=[team])
            built.real_values = {
                "staff_id": colleague.id,
                "team_id": team.id,
                "program_id": program.id,
                "number": 1,  # a posting's first version
                "token": accounts_service.invitation_token(invited, application.config["SECRET_KEY"]),
            }
            db.session.commit()
            for person in built.people.values():
                assert person.roles  # loaded before the session lets go of it
                db.session.expunge(person)
            db.session.remove()
        built.counts = row_counts(application, skip=CHANGES_ON_READ)
        built.new_audit_entries()
        yield built


def hiring_records(hr: Staff, team: Any) -> None:
    """A published posting (with a later version, an application with its résumé, its candidate at interview, an
    interview panel of two people outside the walk and one submitted scorecard), an agency template, a phrase and a
    credential, so the hiring routes are walked on real records: HR's pages, the candidate and the résumé by HR
    and the administrator only (the walking peer, clinician, supervisor and privacy officer are not on the
    panel), the careers pages by anyone."""
    from core import credentials, uploads
    from hiring.services import applications, phrases, postings
    from hiring.services import templates as template_service
    from tests.hiring.helpers import COMPETENCIES, moved, published, ready_panel, save, scored

    posting = published(hr, team=team, questions="Why this job?")
    resume = uploads.Checked(b"%PDF-1.4\n%%EOF\n", uploads.PDF, "cv.pdf")
    sent = applications.Sent("Robin Vega", "robin@example.org", "", [("Why this job?", "To help.")], "")
    applications.apply(posting, postings.current_version(posting), sent, resume, "Peer Specialist")
    from hiring.models import Candidate

    candidate = db.session.scalars(select(Candidate)).one()
    interviewer, _other = ready_panel(posting, hr=hr)
    moved(candidate, "interview", hr)
    scored(candidate, interviewer, dict.fromkeys(COMPETENCIES, 4))
    save(posting, hr, title="A change after publishing")
    template_service.copy_sample("Our peer specialist template", hr)
    phrases.add("no felony convictions", "", hr)
    credentials.add("Certified Peer Specialist", "State board", hr)
    assert postings.current_version(posting).number == 3


def training_records(hr: Staff, peer: Staff) -> None:
    """A credential with rules, the colleague's certification (two cycles), a CE entry with its certificate, an
    orientation, a shadowing entry and the curricula with a facilitator, so the training routes are walked on real
    records: the colleague's own pages by nobody but HR here (the walk's supervisor supervises nobody), the
    credentials' rules by HR and the administrator."""
    from datetime import timedelta

    from core import timeutil
    from tests.training.helpers import certify, log, make_credential
    from training.services import certifications, curricula, orientation, shadowing

    credential = make_credential("Walked credential", grace_days=30)
    found = certify(peer, credential, timeutil.today() - timedelta(days=400), actor=hr)
    log(found, peer, taken_on=timeutil.today() - timedelta(days=10))
    certifications.renew(found, None, found.version, hr)
    orientation.assign(peer, hr)
    shadowing.record(shadowing.ShadowingDetails("peer", "A colleague", timeutil.today(), 4, "Useful."), peer)
    for curriculum in curricula.ensure_shipped(hr):
        curricula.add_facilitator(curriculum, peer.id, timeutil.today(), hr)


def sent_to_sign_in(response: Any) -> bool:
    return response.status_code in (302, 303) and urlsplit(response.headers["Location"]).path == "/login"


# (a) every route declares its permission ----------------------------------------------------------------------


def test_the_route_list_is_read_from_the_app():
    endpoints = {rule.endpoint for rule in RULES}
    assert {"home.index", "accounts.login", "accounts.logout", "accounts.accept_invite"} <= endpoints
    assert len(GET_RULES) >= 5


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: f"{rule.rule} {rule.endpoint}")
def test_every_route_declares_a_known_permission(rule: Rule):
    permission = permission_of(rule.endpoint)
    assert permission is not None, f"{rule.endpoint} has neither @requires(...) nor @public"
    assert permission == policy.PUBLIC or permission in policy.PERMISSIONS


def test_requires_refuses_a_permission_that_does_not_exist():
    with pytest.raises(KeyError, match="unknown permission"):
        policy.requires("nothing.at_all")


@pytest.mark.parametrize("who", EVERYONE)
def test_a_route_without_a_permission_is_refused_and_audited(world: World, who: str):
    world.new_audit_entries()
    client = world.client(who)

    response = client.get("/_probe/unmarked")

    assert response.status_code == 403
    assert b"the guard let an unmarked route through" not in response.data
    refusal = [(e.action, e.outcome, e.record_type, e.record_id) for e in world.new_audit_entries()]
    assert refusal == [("access.denied", "denied", "route-without-permission", "routes_probe.unmarked")]
    # the same blueprint's marked route answers, so the refusal above is the guard's doing
    assert client.get("/_probe/marked").status_code == 200


# (b) and (c): for every GET route and every role, the guard follows core.policy.can and nothing is changed --------


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("rule", GET_RULES, ids=lambda rule: rule.rule)
def test_get_route(world: World, rule: Rule, who: str):
    """One request per route and person: access as the policy says, refusals audited, no stored data changed.

    URL variables hold ids of stored rows where the name tells the table (else a value that finds nothing), so a
    person the route is open to may still meet a record rule: that 403 is allowed when it is audited as a refusal
    of the record, not of the route.
    """
    permission = permission_of(rule.endpoint)
    allowed = permission == policy.PUBLIC or policy.can(world.staff(who), permission)
    url = world.url(rule)
    client = world.client(who)
    world.new_audit_entries()

    with writes_recorded(world.app) as written:
        response = client.get(url)

    status = response.status_code
    assert status < 500, f"GET {url} as {who} answered {status}"
    refusals = [e for e in world.new_audit_entries() if e.action == "access.denied"]
    by_guard = [e for e in refusals if e.record_type == "route" and e.record_id == rule.endpoint]
    if allowed:
        assert not sent_to_sign_in(response), f"{who} should reach {url}, not be sent to sign in"
        assert status != 401, f"{who} should reach {url}, got 401"
        assert not by_guard, f"the guard refused {who} on {url}"
        if status == 403:
            assert refusals, f"{url} refused {who} without an audited reason"
    elif who == ANONYMOUS:
        assert sent_to_sign_in(response), f"anonymous should be sent to sign in from {url}, got {status}"
        assert parse_qs(urlsplit(response.headers["Location"]).query)["next"][0].startswith(url)
    else:
        assert status == 403, f"{who} should be refused {url}, got {status}"
        assert [(e.outcome, e.actor_id) for e in by_guard] == [("denied", world.people[who].id)], (
            "a refusal by the guard is audited once"
        )
    changed = sorted({table for table in written if table not in CHANGES_ON_READ})
    assert not changed, f"GET {url} as {who} wrote to {changed}"
    assert not world.changed_tables(), f"GET {url} as {who} changed the number of rows"


def test_the_write_check_notices_a_change(world: World):
    """The checks above can fail: a write is seen, and a new row is counted."""
    world.changed_tables()
    with writes_recorded(world.app) as written, world.app.app_context():
        person = db.session.get(Staff, world.people[str(Role.PEER)].id)
        person.job_title = "changed by a test"
        factories.make_program()
        db.session.commit()
        db.session.remove()
    assert {"core_staff", "core_program"} <= set(written)
    assert world.changed_tables() == ["core_program"]
