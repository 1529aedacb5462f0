"""Clients, assignments and consents. Functions take the acting person, flush and audit; the view commits."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, select
from sqlalchemy.orm import aliased

from caseload.access import live_grant, program_conflict, provider_conflict
from caseload.models import Assignment, Client, ClientStatus, Consent, Determination, DualPolicy, SealedAccess
from core import audit, edits, settings
from core.edits import expect_version
from core.errors import RefusalEntry, Refused
from core.extensions import db
from core.models import Staff, StaffStatus
from core.timeutil import utcnow

IDENTITY_FIELDS = ("name", "preferred_name", "pronouns", "date_of_birth", "phone", "program_id", "status")


def record_read(client: Client, actor: Staff, what: str = "record") -> None:
    """Every read of a client record is audited; under an emergency grant the grant is named."""
    grant = live_grant(actor, client) if client.sealed else None
    detail = f"{what}; emergency grant {grant.id}" if grant else what
    audit.record("client.viewed", actor=actor, record_type="client", record_id=client.id, detail=detail)
    if client.sealed:
        db.session.add(SealedAccess(client_id=client.id, staff_id=actor.id, grant_id=grant.id if grant else None,
                                    what=what[:60]))
        db.session.flush()


def create_client(data: Mapping[str, Any], actor: Staff, *, assign_self_as: str | None = None) -> Client:
    """Raises ``Refused`` when the creator may not be assigned; the caller undoes the new record with
    ``core.errors.keep_refusal``. The view has possible duplicates of a protected record checked after the answer
    (``duplicates.check_later``): nothing changes for the person typing, not even the time."""
    client = Client(**{key: data[key] for key in IDENTITY_FIELDS if key in data})
    db.session.add(client)
    db.session.flush()
    audit.record("client.created", actor=actor, record_type="client", record_id=client.id)
    if assign_self_as:
        assign(client, actor, assign_self_as, actor)
    return client


def update_client(client: Client, data: Mapping[str, Any], actor: Staff, *, version: object) -> list[str]:
    """Apply identity changes; returns the names of the fields that changed. ``version`` is the record's version
    when the change was asked for: ``StaleEdit`` when someone else changed it since. When the name or date of birth
    changed (``duplicates.COMPARED``), the view has possible duplicates checked after the answer."""
    expect_version(client, version)
    if "program_id" in data and data["program_id"] != client.program_id:
        problem = program_conflict(client, data["program_id"])
        if problem:
            raise Refused(problem, entry=RefusalEntry("client.program_refused", "client", client.id,
                                                      "conflict: staff member works in that program"))
    changed = [key for key in IDENTITY_FIELDS if key in data and getattr(client, key) != data[key]]
    for key in changed:
        setattr(client, key, data[key])
    if changed:
        edits.flush()
        audit.record("client.updated", actor=actor, record_type="client", record_id=client.id,
                     detail=", ".join(changed))
    return changed


def services_refusal(client: Client) -> str | None:
    """Under the strict policy a staff member may not receive services here at all."""
    if client.sealed and settings.get("dual_relationship_policy") == DualPolicy.STRICT:
        return (
            "Agency policy is strict: staff may not receive services here. Help this person find services "
            "elsewhere, for example another agency or telehealth."
        )
    if client.sealed and not has_recorded_determination(client):
        return (
            "Record a determination for this staff member's care (situation, decision, rationale, who was "
            "consulted, review date) before assigning providers."
        )
    return None


def has_recorded_determination(client: Client) -> bool:
    """Whether the privacy officer has recorded any determination for this client, as the case-by-case policy asks
    before providers are assigned. Neither the decision (free text, for people to read) nor the review date is
    weighed here: an overdue review is shown on the safeguards pages and reminded by ``safeguards remind``."""
    return db.session.scalar(
        select(Determination.id).where(Determination.client_id == client.id).limit(1)
    ) is not None


def assign(client: Client, provider: Staff, kind: str, actor: Staff) -> Assignment:
    problem = services_refusal(client) or provider_conflict(client, provider)
    if problem is None and provider.status != StaffStatus.ACTIVE:
        problem = f"{provider.name} is not an active staff member."
    if problem is None and db.session.scalar(
        select(Assignment.id).where(
            Assignment.client_id == client.id, Assignment.staff_id == provider.id, Assignment.ended_at.is_(None)
        )
    ):
        problem = f"{provider.name} is already assigned to this client."
    if problem:
        raise Refused(problem, entry=RefusalEntry("client.assignment_refused", "client", client.id,
                                                  f"provider {provider.id}: conflict check"))
    assignment = Assignment(client_id=client.id, staff_id=provider.id, kind=kind)
    db.session.add(assignment)
    if client.status == ClientStatus.REFERRED:
        client.status = ClientStatus.ACTIVE
    edits.flush()  # a referred client becomes active: the record's own row changes
    audit.record("client.assigned", actor=actor, record_type="client", record_id=client.id,
                 detail=f"provider {provider.id} as {kind}")
    return assignment


def end_assignment(assignment: Assignment, actor: Staff) -> None:
    if assignment.ended_at is None:
        assignment.ended_at = utcnow()
        db.session.flush()
        audit.record("client.unassigned", actor=actor, record_type="client", record_id=assignment.client_id,
                     detail=f"provider {assignment.staff_id}")


def active_assignments(client_ids: list[int]) -> dict[int, list[Assignment]]:
    """Current providers of many clients in one query."""
    found: dict[int, list[Assignment]] = {client_id: [] for client_id in client_ids}
    if not client_ids:
        return found
    rows = db.session.scalars(
        select(Assignment)
        .where(Assignment.client_id.in_(client_ids), Assignment.ended_at.is_(None))
        .order_by(Assignment.assigned_at)
    )
    for row in rows:
        found[row.client_id].append(row)
    return found


def needs_reassignment_condition() -> ColumnElement[bool]:
    """Active or referred clients with no current assignment to an active staff member."""
    provider = aliased(Staff)
    has_active_provider = exists().where(
        Assignment.client_id == Client.id,
        Assignment.ended_at.is_(None),
        Assignment.staff_id == provider.id,
        provider.status == StaffStatus.ACTIVE,
    )
    return and_(Client.status != ClientStatus.DISCHARGED, ~has_active_provider)


def add_consent(client: Client, data: Mapping[str, Any], actor: Staff) -> Consent:
    consent = Consent(client_id=client.id, recorded_by_id=actor.id, **data)
    db.session.add(consent)
    db.session.flush()
    audit.record("client.consent_recorded", actor=actor, record_type="client", record_id=client.id,
                 detail=consent.kind)
    return consent


def revoke_consent(consent: Consent, actor: Staff, on: date) -> None:
    consent.revoked_on = on
    db.session.flush()
    audit.record("client.consent_revoked", actor=actor, record_type="client", record_id=consent.client_id,
                 detail=consent.kind)
