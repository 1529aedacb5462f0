"""Deny by default: every supervision route that takes an id is found in the app's url_map (so a route added later
is checked without editing this file) and asked, GET and POST, by people who have nothing to do with the record:
another peer specialist, another supervisor, HR, the administrator, the privacy officer and clinical staff. Each is
refused (403, or 404 where the record's existence is not theirs to know), the refusal is audited, and nothing is
stored. HR and the administrator keep the agency's rules and read hours (never content): those two pages are
theirs."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from core.models import AuditEntry, Role
from supervision.services import hours, sessions
from supervision.services.sessions import NewItem
from tests import factories
from tests.core.security_helpers import inspection_app, routes, row_counts
from tests.supervision.helpers import log_session

INSPECTED = inspection_app()
SUPERVISION_ROUTES = [rule for rule in routes(INSPECTED) if rule.endpoint.startswith("supervision.") and rule.arguments]
OUTSIDERS = [(Role.PEER,), (Role.SUPERVISOR,), (Role.HR,), (Role.ADMIN,), (Role.PRIVACY,), (Role.STAFF,)]
CHANGES_ON_REFUSAL = {"core_audit_entry", "core_audit_head", "core_auth_session"}
# Pages about the agency or about hours (no content) that HR and the administrator are meant to reach.
KEEPERS_PAGES = {"supervision.rule_remove", "supervision.person_hours", "supervision.person_hours_csv"}


def test_the_walk_finds_the_supervision_routes_that_take_an_id():
    endpoints = {rule.endpoint for rule in SUPERVISION_ROUTES}
    assert {"supervision.session", "supervision.private_edit", "supervision.answer", "supervision.session_pdf",
            "supervision.close_item", "supervision.prep_sheet", "supervision.session_edit"} <= endpoints


@pytest.fixture
def record_ids(db, frozen_time):
    frozen_time.at("2026-06-01 10:00")
    supervisor = factories.make_staff(Role.SUPERVISOR)
    peer = factories.make_staff(Role.PEER, supervisor=supervisor)
    meeting = log_session(supervisor, [peer], held_on=date(2026, 5, 1),
                          items=[NewItem("Something to do", f"them:{peer.id}", None)])
    hours.save_rule(None, 120, 60, supervisor)
    db.session.commit()
    from supervision.models import Requirement

    return {
        "meeting_id": meeting.id,
        "attendee_id": meeting.attendees[0].id,
        "action_item_id": sessions.raised_at(meeting)[0].id,
        "staff_id": peer.id,
        "requirement_id": db.session.scalar(select(Requirement.id)),
    }


@pytest.mark.parametrize("roles", OUTSIDERS, ids=lambda roles: "+".join(roles))
def test_an_outsider_is_refused_every_supervision_record(app, client, db, login_as, record_ids, roles):
    outsider = login_as(*roles)
    keeper = outsider.has_role(Role.HR, Role.ADMIN)
    before = row_counts(app, skip=CHANGES_ON_REFUSAL)
    for rule in SUPERVISION_ROUTES:
        if keeper and rule.endpoint in KEEPERS_PAGES:
            continue
        url = rule.build({name: record_ids[name] for name in rule.arguments}, append_unknown=False)[1]
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            denied_before = db.session.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.outcome == "denied")
            )
            response = client.open(url, method=method, data={
                "version": "1", "revision": "1", "note": "Written by an outsider", "answer": "sign"})
            assert response.status_code in (403, 404), f"{method} {url} as {roles}: {response.status_code}"
            denied_after = db.session.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.outcome == "denied")
            )
            assert denied_after == denied_before + 1, f"{method} {url} as {roles}: refusal not audited"
    assert row_counts(app, skip=CHANGES_ON_REFUSAL) == before


def test_a_missing_session_and_a_hidden_one_answer_alike(client, login_as, record_ids):
    login_as(Role.PEER)
    hidden = client.get(f"/supervision/sessions/{record_ids['meeting_id']}")
    missing = client.get("/supervision/sessions/987654")
    assert hidden.status_code == missing.status_code == 404
    def plain(data: bytes) -> bytes:
        return re.sub(rb'nonce="[^"]*"|name="csrf_token" value="[^"]*"', b"", data)

    assert plain(hidden.data) == plain(missing.data)


@pytest.mark.parametrize(("roles", "allowed"), [
    ((Role.PEER,), {"/supervision/"}),
    ((Role.STAFF,), set()),
    ((Role.PRIVACY,), set()),
    ((Role.HR,), {"/supervision/", "/supervision/compliance", "/supervision/rules"}),
])
def test_route_permissions(client, login_as, db, roles, allowed):
    login_as(*roles)
    for url in ("/supervision/", "/supervision/sessions/new", "/supervision/compliance", "/supervision/rules"):
        status = client.get(url).status_code
        assert (status == 200) == (url in allowed), (url, status)
