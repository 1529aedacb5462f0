"""The prep sheet a supervisor reads before a session with one supervisee: their open action items, their
certifications with CE progress (training's stored cycle totals and its one status expression), the size of their
caseload as the supervisor may see it (caseload's visibility rules: a sealed client the supervisor may not see is
not counted, so the number never reveals one), their recent supervision hours, and the last session with them and
its sign-off.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, exists, func, select

from caseload.access import visible_clients
from caseload.models import Assignment, Client
from core.extensions import db
from core.models import Staff
from supervision.models import ActionItem, Attendee, Meeting, SignOff
from supervision.services import access, hours, sessions
from training.models import Certification, CertStatus, Cycle
from training.services.status import status_expression


@dataclass(frozen=True)
class CertificationLine:
    name: str
    status: str
    expires_on: date
    provisional_until: date | None
    counted_qh: int
    missing_qh: int
    on_pace_until: date | None
    supervised_minutes: int | None
    supervised_needed_hours: int | None


@dataclass(frozen=True)
class LastSession:
    meeting: Meeting
    answer: SignOff | None


@dataclass
class Prep:
    person: Staff
    items: list[ActionItem]
    certifications: list[CertificationLine]
    caseload_size: int
    compliance: hours.PersonRow | None
    last: LastSession | None
    extras: dict[str, object] = field(default_factory=dict)  # room for other parts (role fidelity)


def certification_lines(staff_id: int) -> list[CertificationLine]:
    """The person's certifications with their status and the latest cycle's CE totals (two queries)."""
    status = status_expression()
    rows = db.session.execute(
        select(Certification, status, Cycle.counted_qh, Cycle.missing_qh, Cycle.on_pace_until)
        .outerjoin(Cycle, and_(Cycle.certification_id == Certification.id, Cycle.ends_on == Certification.expires_on))
        .where(Certification.staff_id == staff_id)
        .order_by(Certification.expires_on)
    ).all()
    supervised = hours.provisional_minutes(Certification.staff_id == staff_id)
    return [
        CertificationLine(
            name=cert.credential_type.name,
            status=CertStatus(state).label,
            expires_on=cert.expires_on,
            provisional_until=cert.provisional_until,
            counted_qh=counted or 0,
            missing_qh=missing or 0,
            on_pace_until=pace,
            supervised_minutes=supervised.get(cert.id, 0) if cert.provisional_until else None,
            supervised_needed_hours=cert.credential_type.provisional_supervised_hours,
        )
        for cert, state, counted, missing, pace in rows
    ]


def caseload_size(viewer: Staff, staff_id: int) -> int:
    """Clients assigned to the person now, among those ``viewer`` may see (caseload's own SQL condition)."""
    assigned = exists().where(
        Assignment.client_id == Client.id, Assignment.staff_id == staff_id, Assignment.ended_at.is_(None)
    )
    return db.session.scalar(select(func.count()).select_from(Client).where(assigned, visible_clients(viewer))) or 0


def last_session(viewer: Staff, staff_id: int) -> LastSession | None:
    meeting = db.session.scalar(
        select(Meeting)
        .join(Attendee, and_(Attendee.meeting_id == Meeting.id, Attendee.staff_id == staff_id))
        .where(access.meetings_seen(viewer))
        .order_by(Meeting.held_at.desc(), Meeting.id.desc())
        .limit(1)
    )
    if meeting is None:
        return None
    attendee = sessions.attendee_of(meeting, staff_id)
    answer = sessions.answers(meeting).get(attendee.id) if attendee is not None else None
    return LastSession(meeting, answer)


def prep_sheet(viewer: Staff, person: Staff) -> Prep:
    rows = hours.rows_for([person], hours.last_months(3))
    return Prep(
        person=person,
        items=sessions.open_items([person.id]),
        certifications=certification_lines(person.id),
        caseload_size=caseload_size(viewer, person.id),
        compliance=rows[0] if rows else None,
        last=last_session(viewer, person.id),
    )
