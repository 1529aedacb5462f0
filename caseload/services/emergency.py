"""Emergency access ("break the glass"): a provider opens a sealed record for at most four hours after signing in
again and giving a reason; the privacy officer is told at once and closes each use with a finding.

Functions take the acting person, flush and audit; the view commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import update

from caseload.access import PROVIDER_ROLES
from caseload.models import EmergencyGrant
from caseload.services.safeguards import matching_clients
from core import audit, notify
from core.accounts.service import confirm_password
from core.errors import RefusalEntry, Refused
from core.extensions import db
from core.models import Role, Staff
from core.timeutil import utcnow

GRANT_HOURS = 4
MIN_REASON = 20


@dataclass(frozen=True)
class GrantRequest:
    name: str
    date_of_birth: date
    purpose: str
    reason: str
    password: str


def may_request_emergency(actor: Staff) -> bool:
    return actor.has_role(*PROVIDER_ROLES) and not actor.has_role(Role.HR)


class WrongPassword(Refused):
    """The re-authentication failed: a form error next to the password box, kept in the audit log."""


def start_emergency_access(actor: Staff, request: GrantRequest, *, review_link: str) -> EmergencyGrant:
    """Break the glass. Raises ``Refused`` (``WrongPassword`` for the password) with a plain message when refused.
    Every attempt is audited: the view keeps a refusal's entries, the re-authentication's among them, with
    ``core.errors.keep_refusal``."""
    tried: list[RefusalEntry] = []

    def refuse(message: str, why: str, kind: type[Refused] = Refused) -> Refused:
        return kind(message, entry=RefusalEntry("emergency.refused", detail=why), earlier=tuple(tried))

    if not may_request_emergency(actor):
        raise refuse("Emergency access is for staff who work with clients.", "role")
    confirmed = confirm_password(actor, request.password)
    tried.append(RefusalEntry("reauthenticate", "staff", actor.id,
                              outcome=audit.ALLOWED if confirmed else audit.DENIED))
    if not confirmed:
        raise refuse("That is not your password. Emergency access needs you to sign in again.", "re-authentication",
                     WrongPassword)
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


def end_grant(grant: EmergencyGrant, actor: Staff) -> None:
    if grant.ended_at is None:
        grant.ended_at = min(utcnow(), grant.expires_at)
        db.session.flush()
        audit.record("emergency.ended", actor=actor, record_type="client", record_id=grant.client_id,
                     detail=f"grant {grant.id}")


ALREADY_REVIEWED = "This use of emergency access was already reviewed."


def review_grant(grant: EmergencyGrant, finding: str, actor: Staff) -> None:
    """Close one use of emergency access with a finding. A review is written once: the update is conditional, so
    of two privacy officers sending a finding at the same moment only the first is kept (the second is refused)."""
    if grant.reviewed_at is not None:
        raise Refused(ALREADY_REVIEWED)
    closed = db.session.execute(
        update(EmergencyGrant)
        .where(EmergencyGrant.id == grant.id, EmergencyGrant.reviewed_at.is_(None))
        .values(reviewed_at=utcnow(), reviewed_by_id=actor.id, finding=finding)
        .execution_options(synchronize_session="fetch")
    )
    if closed.rowcount != 1:
        raise Refused(ALREADY_REVIEWED)
    audit.record("emergency.reviewed", actor=actor, record_type="client", record_id=grant.client_id,
                 detail=f"grant {grant.id}")
