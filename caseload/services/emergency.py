"""Emergency access ("break the glass"): a provider opens a sealed record for at most four hours after signing in
again and giving a reason; the privacy officer is told at once and closes each use with a finding.

Functions take the acting person, flush and audit; the view commits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import update

from caseload.access import PROVIDER_ROLES, barred_from_emergency
from caseload.models import EmergencyGrant
from caseload.services.safeguards import matching_clients
from core import audit, notify
from core.accounts.service import confirm_password
from core.errors import RefusalEntry, Refused
from core.extensions import db
from core.models import Role, Staff
from core.text import visible_length
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


NO_MATCH = "No single client matches that full name and date of birth. Check the spelling and the date."


def _tell_privacy_of_barred_attempt(actor: Staff, review_link: str) -> None:
    """A high-priority notice, sent at once, without the client's name or anything else from the record."""
    notify.notify(
        notify.people_with_role(Role.PRIVACY),
        f"Urgent: {actor.name}, a person barred from a protected record, asked for emergency access to it. "
        "It was refused. Check on it now.",
        review_link,
        email_subject="PeerWorks (urgent): a person barred from a protected record asked for emergency access",
        email_body=(
            f"{actor.name}, a person barred from a protected client record, asked for emergency access to it at "
            f"{utcnow():%Y-%m-%d %H:%M} UTC. It was refused and recorded in the audit log.\n"
            "Sign in to PeerWorks to follow it up. This email leaves out the client's details on purpose."
        ),
    )


class WrongPassword(Refused):
    """The re-authentication failed: a form error next to the password box, kept in the audit log."""


def start_emergency_access(actor: Staff, request: GrantRequest, *, review_link: str) -> EmergencyGrant:
    """Break the glass. Raises ``Refused`` (``WrongPassword`` for the password) with a plain message when refused.
    Every attempt is audited: the view keeps a refusal's entries, the re-authentication's among them, with
    ``core.errors.keep_refusal``."""
    tried: list[RefusalEntry] = []

    def refuse(message: str, why: str, kind: type[Refused] = Refused,
               then: Callable[[], None] | None = None) -> Refused:
        return kind(message, entry=RefusalEntry("emergency.refused", detail=why), earlier=tuple(tried), then=then)

    if not may_request_emergency(actor):
        raise refuse("Emergency access is for staff who work with clients.", "role")
    confirmed = confirm_password(actor, request.password)
    tried.append(RefusalEntry("reauthenticate", "staff", actor.id,
                              outcome=audit.ALLOWED if confirmed else audit.DENIED))
    if not confirmed:
        raise refuse("That is not your password. Emergency access needs you to sign in again.", "re-authentication",
                     WrongPassword)
    if visible_length(request.reason) < MIN_REASON:
        raise refuse(f"Write a reason of at least {MIN_REASON} characters.", "reason too short")
    found = matching_clients(request.name, request.date_of_birth)
    if len(found) == 1 and barred_from_emergency(actor, found[0].id):
        # The very refusal a person who does not exist gets; only the privacy officer learns it was an attempt.
        raise refuse(NO_MATCH, "barred", then=lambda: _tell_privacy_of_barred_attempt(actor, review_link))
    if len(found) != 1:
        raise refuse(NO_MATCH, "no match" if not found else "several matches")
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
