"""Dual-relationship safeguards: sealing, determinations and declared relationships.

Functions take the acting person, flush and audit; the view commits. Messages here may name the client, so
views show them only to people the policy already lets see the record.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import func, select, update

from caseload.access import provider_conflict
from caseload.models import Assignment, Client, DeclaredRelationship, Determination
from caseload.services.clients import end_assignment
from caseload.services.matching import same_person
from core import audit, edits, settings
from core.edits import expect_version, submitted_version
from core.errors import Refused, StaleEdit
from core.extensions import db
from core.models import Staff
from core.timeutil import utcnow

POLICY = "dual_relationship_policy"  # the agency setting: strict or case by case


def link_staff(client: Client, staff: Staff, actor: Staff, *, version: object) -> list[str]:
    """Seal the record: this client also works here. Ends assignments that now conflict; returns their names.
    ``version`` is the record's version when the privacy officer chose to link it (``StaleEdit`` if changed since)."""
    expect_version(client, version)
    if client.staff_member_id is not None:
        raise Refused("This client is already linked to a staff member.")
    already = db.session.scalar(select(Client.id).where(Client.staff_member_id == staff.id))
    if already is not None:
        raise Refused(f"{staff.name} is already linked to another client record.")
    client.staff_member_id = staff.id
    client.sealed_at = utcnow()
    edits.flush()
    audit.record("client.sealed", actor=actor, record_type="client", record_id=client.id,
                 detail=f"linked to staff {staff.id}")
    ended = []
    current = db.session.scalars(
        select(Assignment).where(Assignment.client_id == client.id, Assignment.ended_at.is_(None))
    ).all()
    for assignment in current:
        if provider_conflict(client, assignment.staff):
            end_assignment(assignment, actor)
            ended.append(assignment.staff.name)
    return ended


def unlink_staff(client: Client, actor: Staff, *, version: object) -> None:
    expect_version(client, version)
    staff_id = client.staff_member_id
    client.staff_member_id = None
    client.sealed_at = None
    edits.flush()
    audit.record("client.unsealed", actor=actor, record_type="client", record_id=client.id,
                 detail=f"unlinked from staff {staff_id}")


def set_policy(value: str, actor: Staff, *, loaded: object) -> bool:
    """Set the agency's dual-relationship policy, if it is still what the form showed (``loaded``, its
    ``settings.snapshot``; raises ``StaleEdit`` otherwise). Returns whether it changed."""
    if not settings.put_all({POLICY: value}, loaded=str(loaded or "")):
        return False
    audit.record("setting.changed", actor=actor, record_type="setting", record_id=POLICY, detail=value)
    return True


def current_determination_id(client: Client) -> int:
    """The id of the client's current (latest) determination, 0 when there is none."""
    latest = db.session.scalar(select(func.max(Determination.id)).where(Determination.client_id == client.id))
    return latest or 0


def record_determination(client: Client, data: Mapping[str, Any], actor: Staff, *, replaces: object) -> Determination:
    """Record a new determination: the privacy officer's review of the current one, which it replaces (that one's
    ``reviewed_at`` is set; all are kept). ``replaces`` is the id of the determination the officer was looking at
    (0 for none): ``StaleEdit`` when another was recorded since, so one review never silently replaces another."""
    current = current_determination_id(client)
    if submitted_version(replaces) != current:
        raise StaleEdit
    now = utcnow()
    if current:
        # Conditional, so of two reviews of the same determination sent at once only one can be recorded.
        reviewed = db.session.execute(
            update(Determination)
            .where(Determination.id == current, Determination.reviewed_at.is_(None))
            .values(reviewed_at=now)
            .execution_options(synchronize_session="fetch")
        )
        if reviewed.rowcount != 1:
            raise StaleEdit
    determination = Determination(client_id=client.id, recorded_by_id=actor.id, recorded_at=now, **data)
    db.session.add(determination)
    db.session.flush()
    detail = f"determination {determination.id}" + (f"; reviews determination {current}" if current else "")
    audit.record("determination.recorded", actor=actor, record_type="client", record_id=client.id, detail=detail)
    return determination


# Declared relationships --------------------------------------------------------------------------------------

def matching_clients(name: str, date_of_birth: date) -> list[Client]:
    """Every client with this name and date of birth, compared as a person types them (``matching.same_person``)."""
    return same_person(name, date_of_birth)


def declare_relationship(actor: Staff, clients: list[Client], relationship: str) -> None:
    """Record that ``actor`` knows these clients personally and end any assignment to them.

    The caller answers the same way whether or not anyone matched, so a declaration reveals nothing.
    """
    for client in clients:
        exists_already = db.session.scalar(
            select(DeclaredRelationship.id).where(
                DeclaredRelationship.staff_id == actor.id, DeclaredRelationship.client_id == client.id
            )
        )
        if exists_already is None:
            db.session.add(DeclaredRelationship(staff_id=actor.id, client_id=client.id, relationship=relationship))
        for assignment in db.session.scalars(
            select(Assignment).where(
                Assignment.client_id == client.id, Assignment.staff_id == actor.id, Assignment.ended_at.is_(None)
            )
        ):
            end_assignment(assignment, actor)
    db.session.flush()
    audit.record("relationship.declared", actor=actor, record_type="staff", record_id=actor.id)
