"""Dual-relationship safeguards: sealing, determinations, declared relationships and emergency access.

Functions take the acting person, flush and audit; the view commits. Messages here may name the client, so
views show them only to people the policy already lets see the record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from caseload.access import PROVIDER_ROLES, provider_conflict
from caseload.models import Assignment, Client, DeclaredRelationship, Determination, EmergencyGrant
from caseload.services.clients import ConflictError, end_assignment
from core import audit, notify, settings
from core.accounts.service import confirm_password
from core.extensions import db
from core.models import Role, Staff
from core.timeutil import utcnow

GRANT_HOURS = 4
MIN_REASON = 20


def link_staff(client: Client, staff: Staff, actor: Staff) -> list[str]:
    """Seal the record: this client also works here. Ends assignments that now conflict; returns their names."""
    if client.staff_member_id is not None:
        raise ConflictError("This client is already linked to a staff member.")
    already = db.session.scalar(select(Client.id).where(Client.staff_member_id == staff.id))
    if already is not None:
        raise ConflictError(f"{staff.name} is already linked to another client record.")
    client.staff_member_id = staff.id
    client.sealed_at = utcnow()
    db.session.flush()
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


def unlink_staff(client: Client, actor: Staff) -> None:
    staff_id = client.staff_member_id
    client.staff_member_id = None
    client.sealed_at = None
    db.session.flush()
    audit.record("client.unsealed", actor=actor, record_type="client", record_id=client.id,
                 detail=f"unlinked from staff {staff_id}")


def set_policy(value: str, actor: Staff) -> None:
    settings.put("dual_relationship_policy", value)
    audit.record("setting.changed", actor=actor, record_type="setting", record_id="dual_relationship_policy",
                 detail=value)


def record_determination(client: Client, data: Mapping[str, Any], actor: Staff) -> Determination:
    determination = Determination(client_id=client.id, recorded_by_id=actor.id, **data)
    db.session.add(determination)
    db.session.flush()
    audit.record("determination.recorded", actor=actor, record_type="client", record_id=client.id,
                 detail=f"determination {determination.id}")
    return determination


def determinations_due(today: date, within_days: int = 14) -> list[Determination]:
    """The latest determination of each sealed client whose review date is near or past."""
    latest = (
        select(Determination.client_id, func.max(Determination.id).label("id"))
        .group_by(Determination.client_id)
        .subquery()
    )
    return list(
        db.session.scalars(
            select(Determination)
            .join(latest, latest.c.id == Determination.id)
            .where(Determination.review_on <= today + timedelta(days=within_days))
            .order_by(Determination.review_on)
        )
    )


# Declared relationships --------------------------------------------------------------------------------------

def matching_clients(name: str, date_of_birth: date) -> list[Client]:
    return list(
        db.session.scalars(
            select(Client).where(
                func.lower(func.trim(Client.name)) == name.strip().lower(),
                Client.date_of_birth == date_of_birth,
            )
        )
    )


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


# Emergency access ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GrantRequest:
    name: str
    date_of_birth: date
    purpose: str
    reason: str
    password: str


def may_request_emergency(actor: Staff) -> bool:
    return actor.has_role(*PROVIDER_ROLES) and not actor.has_role(Role.HR)


def start_emergency_access(actor: Staff, request: GrantRequest, *, review_link: str) -> EmergencyGrant:
    """Break the glass. Raises ConflictError with a plain message when refused; every attempt is audited."""
    def refuse(message: str, why: str) -> ConflictError:
        audit.record("emergency.refused", actor=actor, outcome=audit.DENIED, detail=why)
        return ConflictError(message)

    if not may_request_emergency(actor):
        raise refuse("Emergency access is for staff who work with clients.", "role")
    if not confirm_password(actor, request.password):
        raise refuse("That is not your password. Emergency access needs you to sign in again.", "re-authentication")
    if len(request.reason.strip()) < MIN_REASON:
        raise refuse(f"Write a reason of at least {MIN_REASON} characters.", "reason too short")
    found = [c for c in matching_clients(request.name, request.date_of_birth) if c.staff_member_id != actor.id]
    if len(found) != 1:
        raise refuse(
            "No single client matches that full name and date of birth. Check the spelling and the date.",
            "no match" if not found else "several matches",
        )
    client = found[0]
    now = utcnow()
    grant = EmergencyGrant(
        staff_id=actor.id,
        client_id=client.id,
        purpose=request.purpose,
        reason=request.reason.strip(),
        started_at=now,
        expires_at=now + timedelta(hours=GRANT_HOURS),
    )
    db.session.add(grant)
    db.session.flush()
    audit.record("emergency.granted", actor=actor, record_type="client", record_id=client.id,
                 detail=f"grant {grant.id}, {request.purpose}")
    notify.notify(
        notify.people_with_role(Role.PRIVACY),
        f"{actor.name} used emergency access to a protected record. Review it.",
        review_link,
        email_subject="PeerWorks: emergency access was used",
        email_body=(
            f"{actor.name} used emergency access to a protected client record at {now:%Y-%m-%d %H:%M} UTC.\n"
            "Sign in to PeerWorks to review it. This email leaves out the client's details on purpose."
        ),
    )
    return grant


def live_grant(actor: Staff, client: Client) -> EmergencyGrant | None:
    return db.session.scalar(
        select(EmergencyGrant).where(
            EmergencyGrant.staff_id == actor.id,
            EmergencyGrant.client_id == client.id,
            EmergencyGrant.ended_at.is_(None),
            EmergencyGrant.expires_at > utcnow(),
        )
    )


def end_grant(grant: EmergencyGrant, actor: Staff) -> None:
    if grant.ended_at is None:
        grant.ended_at = min(utcnow(), grant.expires_at)
        db.session.flush()
        audit.record("emergency.ended", actor=actor, record_type="client", record_id=grant.client_id,
                     detail=f"grant {grant.id}")


def review_grant(grant: EmergencyGrant, finding: str, actor: Staff) -> None:
    if grant.reviewed_at is not None:
        raise ConflictError("This use of emergency access was already reviewed.")
    grant.reviewed_at = utcnow()
    grant.reviewed_by_id = actor.id
    grant.finding = finding
    db.session.flush()
    audit.record("emergency.reviewed", actor=actor, record_type="client", record_id=grant.client_id,
                 detail=f"grant {grant.id}")
