"""Emergency access ("break the glass"): a provider opens a sealed record for at most four hours after signing in
again and giving a reason; the privacy officer is told at once and closes each use with a finding.

Functions take the acting person, flush and audit; the view commits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial

from sqlalchemy import update

from caseload.access import PROVIDER_ROLES, barred_from_emergency, handlers_of
from caseload.models import Client, EmergencyGrant
from caseload.services.safeguard_queries import path_for
from caseload.services.safeguards import matching_clients
from core import audit, notify
from core.accounts.service import confirm_password
from core.errors import RefusalEntry, Refused
from core.extensions import db
from core.models import Priority, Role, Staff
from core.text import visible_length
from core.timeutil import utcnow

GRANT_HOURS = 4
MIN_REASON = 20
# What every request that gets past the form hears, whether a record matched, nobody did, or the person is barred.
NOTHING_OPENED = "Nothing was opened."
NO_RECORD = 0  # an id no record has
ANSWER = (
    "Your request is recorded. If a record matches the name and date of birth you gave, it is open to you now for "
    f"up to {GRANT_HOURS} hours and is listed below as open. If nothing below is open, no record was opened: check "
    "the spelling and the date, or call the privacy officer."
)


@dataclass(frozen=True)
class GrantRequest:
    name: str
    date_of_birth: date
    purpose: str
    reason: str
    password: str


def may_request_emergency(actor: Staff) -> bool:
    return actor.has_role(*PROVIDER_ROLES) and not actor.has_role(Role.HR)


class NothingOpened(Refused):
    """Refused once the name was looked at: nobody matched, several unprotected records did, or the person is barred
    from the record. The view answers exactly as it does for a grant (the grants list is where a match shows), so the
    request never tells whether someone is a client here; the audit log and, for a barred person, the privacy
    officer know which it was."""


def _tell_of_barred_attempt(actor_id: int, client_id: int) -> None:
    """A high-priority notice, sent at once to whoever handles the record, without the client's name or anything
    else from the record. Its link opens the record's safeguards page, for those who handle it. Sent just after the
    answer (``core.errors.after_the_answer``), so the barred person's answer takes no longer than a non-match's."""
    actor, client = db.session.get(Staff, actor_id), db.session.get(Client, client_id)
    if actor is None or client is None:
        return
    notify.notify(
        handlers_of(client),
        f"{actor.name}, a person barred from a protected record, asked for emergency access to it. "
        "It was refused. Check on it now.",
        path_for("caseload.safeguard_client", client_id=client.id),
        email_subject="PeerWorks (urgent): a person barred from a protected record asked for emergency access",
        email_body=(
            f"{actor.name}, a person barred from a protected client record, asked for emergency access to it at "
            f"{utcnow():%Y-%m-%d %H:%M} UTC. It was refused and recorded in the audit log.\n"
            "Sign in to PeerWorks to follow it up. This email leaves out the client's details on purpose."
        ),
        priority=Priority.HIGH,
    )


def records_to_open(found: list[Client]) -> list[Client]:
    """Which of the matching records emergency access is about. A protected (sealed) record decides: when one of
    the matches is sealed, its rules apply and the other matches (a duplicate made at intake) are left aside.
    Otherwise only a single match is opened."""
    sealed = [client for client in found if client.sealed]
    if sealed:
        return sealed
    return found if len(found) == 1 else []


ROLE_MESSAGE = "Emergency access is for staff who work with clients."


def _refused_for_role(actor: Staff, request: GrantRequest, refuse: Callable[..., Refused]) -> Refused:
    """HR who also work with clients reach the form, and are refused for the role whatever name they give (the
    same answer for everyone). HR is barred from every sealed record, so when the name is a sealed record's, the
    attempt names it in the audit log and whoever handles it is told, urgently, just after the answer, as for any
    barred person. The name is looked up for every such request, matched or not, so the time tells nothing."""
    sealed = [client for client in matching_clients(request.name, request.date_of_birth) if client.sealed]
    if not sealed:
        return refuse(ROLE_MESSAGE, "role")
    return refuse(ROLE_MESSAGE, "role", client=sealed[0],
                  afterwards=partial(_tell_of_barred_attempt, actor.id, sealed[0].id))


class WrongPassword(Refused):
    """The re-authentication failed: a form error next to the password box, kept in the audit log."""


def start_emergency_access(actor: Staff, request: GrantRequest, *, review_link: str) -> list[EmergencyGrant]:
    """Break the glass. Raises ``Refused`` with a plain message when refused before any name is looked at (the role,
    ``WrongPassword``, the reason), and ``NothingOpened`` when nothing is opened for the name given. Every attempt is
    audited: the view keeps a refusal's entries, the re-authentication's among them, with
    ``core.errors.keep_refusal``."""
    tried: list[RefusalEntry] = []

    def refuse(message: str, why: str, kind: type[Refused] = Refused, *, client: Client | None = None,
               afterwards: Callable[[], None] | None = None) -> Refused:
        entry = RefusalEntry("emergency.refused", "client" if client else "", client.id if client else "", why)
        return kind(message, entry=entry, earlier=tuple(tried), afterwards=afterwards)

    if not may_request_emergency(actor):
        raise _refused_for_role(actor, request, refuse)
    confirmed = confirm_password(actor, request.password)
    tried.append(RefusalEntry("reauthenticate", "staff", actor.id,
                              outcome=audit.ALLOWED if confirmed else audit.DENIED))
    if not confirmed:
        raise refuse("That is not your password. Emergency access needs you to sign in again.", "re-authentication",
                     WrongPassword)
    if visible_length(request.reason) < MIN_REASON:
        raise refuse(f"Write a reason of at least {MIN_REASON} characters.", "reason too short")
    found = matching_clients(request.name, request.date_of_birth)
    targets = records_to_open(found)
    if not targets:
        # The bar is read for a request that matched nothing too (against no record), so that a barred person's
        # answer costs the same reading as a non-match's and its time tells nothing (tests/caseload/test_emergency.py).
        barred_from_emergency(actor, NO_RECORD)
    for client in targets:
        if barred_from_emergency(actor, client.id):
            # The very answer a grant gets; only the privacy officer learns it was an attempt.
            raise refuse(NOTHING_OPENED, "barred", NothingOpened, client=client,
                         afterwards=partial(_tell_of_barred_attempt, actor.id, client.id))
    if not targets:
        raise refuse(NOTHING_OPENED, "no match" if not found else "several matches", NothingOpened)
    now = utcnow()
    grants = []
    for client in targets:
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
        grants.append(grant)
        audit.record("emergency.granted", actor=actor, record_type="client", record_id=client.id,
                     detail=f"grant {grant.id}, {request.purpose}")
        notify.notify(
            handlers_of(client),
            f"{actor.name} used emergency access to a protected record. Review it.",
            review_link,
            email_subject="PeerWorks: emergency access was used",
            email_body=(
                f"{actor.name} used emergency access to a protected client record at {now:%Y-%m-%d %H:%M} UTC.\n"
                "Sign in to PeerWorks to review it. This email leaves out the client's details on purpose."
            ),
        )
    return grants


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
