"""No training record opens by changing a number in its address (IDOR): every training route that takes an id is
found in the app's url_map (so a route added later is checked without editing this file) and asked, GET and POST,
by people who may use training but have nothing to do with the record: another peer specialist, a supervisor of
someone else, the privacy officer, the administrator and clinical staff. Each is refused (403, or 404 where the
record's existence is not theirs to know), the refusal is audited, and nothing is stored."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import func, select

from core import policy
from core.models import AuditEntry, Role
from tests import factories
from tests.core.security_helpers import inspection_app, routes, row_counts
from tests.training.helpers import certify, log, make_credential
from training.models import Cycle
from training.services import curricula, orientation, sessions, shadowing

INSPECTED = inspection_app()
TRAINING_ROUTES = [rule for rule in routes(INSPECTED) if rule.endpoint.startswith("training.") and rule.arguments]
OUTSIDERS = [(Role.PEER,), (Role.SUPERVISOR,), (Role.PRIVACY,), (Role.ADMIN,), (Role.STAFF,)]
AGENCY_WIDE = {"training.session", "training.session_of_attendance"}
CHANGES_ON_REFUSAL = {"core_audit_entry", "core_audit_head", "core_auth_session"}


def test_the_walk_finds_the_training_routes_that_take_an_id():
    endpoints = {rule.endpoint for rule in TRAINING_ROUTES}
    assert {"training.certification", "training.entry", "training.entry_approve", "training.cycle"} <= endpoints


@pytest.fixture
def record_ids(db):
    supervisor = factories.make_staff(Role.SUPERVISOR)
    peer = factories.make_staff(Role.PEER, supervisor=supervisor)
    found = certify(peer, make_credential(), date(2025, 1, 1), date(2026, 12, 31), actor=supervisor)
    entry = log(found, peer, taken_on=date(2025, 6, 1))
    checklist = orientation.assign(peer, supervisor, date(2025, 6, 1))
    shadowed = shadowing.record(shadowing.ShadowingDetails("peer", "A colleague", date(2025, 6, 2), 4, ""), peer)
    [curriculum] = [c for c in curricula.ensure_shipped(None) if c.builtin_key == "wrap"]
    facilitator = curricula.add_facilitator(curriculum, peer.id, date(2025, 1, 1), supervisor)
    session = sessions.plan(
        sessions.SessionDetails("WRAP refresher", curriculum.id, "", date(2025, 6, 3), time(9), 8, "", "in_person",
                                (peer.id,), "recovery", "State network", "A-1"),
        supervisor,
    )
    attended = sessions.record_attendance(session, peer.id, 8, session.version, supervisor)
    db.session.commit()
    return {
        "training_session_id": session.id,
        "attendance_id": attended.id,
        "orientation_item_id": orientation.items_of(checklist)[0].id,
        "orientation_template_item_id": orientation.existing_template().items[0].id,
        "shadowing_id": shadowed.id,
        "curriculum_id": curriculum.id,
        "facilitator_id": facilitator.id,
        "staff_id": peer.id,
        "certification_id": found.id,
        "cycle_id": db.session.scalar(select(Cycle.id).where(Cycle.certification_id == found.id)),
        "ce_entry_id": entry.id,
        "credential_type_id": found.credential_type_id,
        "upload_id": entry.evidence_id,
    }


@pytest.mark.parametrize("roles", OUTSIDERS, ids=lambda roles: "+".join(roles))
def test_an_outsider_is_refused_every_training_record(app, client, db, login_as, record_ids, roles, frozen_time):
    frozen_time.at("2026-06-01 10:00")
    outsider = login_as(*roles)
    before = row_counts(app, skip=CHANGES_ON_REFUSAL)
    for rule in TRAINING_ROUTES:
        if rule.arguments == {"credential_type_id"} and policy.can(outsider, "training.rules"):
            continue  # the agency's rules, not a person's record: the administrator keeps them with HR
        if rule.arguments & {"training_session_id", "attendance_id"} and (
            rule.endpoint in AGENCY_WIDE or policy.can(outsider, "training.sessions")
        ):
            continue  # staff training sessions are the agency's: everyone reads them, HR and supervisors run them
        url = rule.build({name: record_ids[name] for name in rule.arguments}, append_unknown=False)[1]
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            denied_before = db.session.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.outcome == "denied")
            )
            response = client.open(
                url, method=method, data={"version": "1", "reason": "A reason long enough here", "text": "An item"}
            )
            assert response.status_code in (403, 404), f"{method} {url} as {roles}: {response.status_code}"
            denied_after = db.session.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.outcome == "denied")
            )
            assert denied_after == denied_before + 1, f"{method} {url} as {roles}: refusal not audited"
    assert row_counts(app, skip=CHANGES_ON_REFUSAL) == before
    assert client.get(f"/files/{record_ids['upload_id']}").status_code == 404
    assert outsider.id
