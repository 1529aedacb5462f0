"""Peer-led groups (self-help, WRAP, IMR, WHAM, skills...) and their sessions' attendance.

Groups themselves hold no client data and are listed to everyone who runs groups. Attendance is client data: every
list, count and average of attendance is computed in SQL inside the viewer's own visibility scope
(``core.policy.scope(..., "client.view", Client)``), so a sealed client never appears in, and is never counted for,
anyone who may not see them. Recording attendance is a change to each attending client's record and is audited per
client, by record number only. Functions take the acting person, flush and audit; the view commits.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import flag_modified

from caseload.access import workplace_program_ids
from caseload.models import Attendance, Client, ClientStatus, GroupKind, GroupSession, PeerGroup
from caseload.services import clients as client_service
from core import audit, edits, policy
from core.database import contains_text
from core.edits import expect_version
from core.extensions import db
from core.models import Program, Role, Staff, StaffRole, StaffStatus

FACILITATOR_ROLES = (Role.PEER, Role.STAFF, Role.SUPERVISOR)
SESSION_FIELD_LABELS = {
    "held_on": "Date",
    "topic": "Topic",
    "minutes": "Length",
    "attendance": "Who came",
}
FIELD_LABELS = {
    "name": "Name",
    "kind": "Kind of group",
    "facilitator_id": "Facilitator",
    "program_id": "Program",
    "meets": "When and where it meets",
    "active": "Still meets",
}


class DuplicateSession(Exception):
    """The group already has a session on that date."""


class NotAllowed(Exception):
    """The person may not record attendance for one of the chosen clients."""


def may_manage(user: Staff, group: PeerGroup) -> bool:
    """The facilitator, a supervisor, or someone who works in the group's program may change it and record sessions."""
    if group.facilitator_id == user.id or user.has_role(Role.SUPERVISOR):
        return True
    return group.program_id is not None and group.program_id in workplace_program_ids(user)


@dataclass(frozen=True)
class GroupDetails:
    name: str
    kind: str
    facilitator_id: int
    program_id: int | None
    meets: str
    active: bool


@dataclass(frozen=True)
class SessionDetails:
    held_on: date
    topic: str
    minutes: int


@dataclass(frozen=True)
class GroupStats:
    sessions: int
    average: float | None  # average attendance per session, counting only clients the viewer may see

    @property
    def average_text(self) -> str:
        return "No sessions yet" if self.average is None else f"{self.average:.1f}"


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# Choices ------------------------------------------------------------------------------------------------------


def programs() -> list[Program]:
    return list(db.session.scalars(select(Program).order_by(Program.name)))


def facilitators(current_id: int | None = None) -> list[tuple[int, str]]:
    """Active peers, staff and supervisors (and the current facilitator, even if they have left)."""
    statement = (
        select(Staff.id, Staff.name)
        .join(StaffRole, StaffRole.staff_id == Staff.id)
        .where(StaffRole.role.in_([str(r) for r in FACILITATOR_ROLES]), Staff.status == StaffStatus.ACTIVE)
        .distinct()
        .order_by(Staff.name, Staff.id)
    )
    found = [(row.id, row.name) for row in db.session.execute(statement)]
    if current_id is not None and current_id not in {staff_id for staff_id, _ in found}:
        name = db.session.scalar(select(Staff.name).where(Staff.id == current_id))
        if name is not None:
            found.append((current_id, f"{name} (no longer active)"))
    return found


def attendance_choices(actor: Staff) -> list[Client]:
    """Clients the person may see who are not discharged, by name: the checkboxes on a new session."""
    statement = (
        select(Client)
        .where(Client.status != ClientStatus.DISCHARGED)
        .order_by(func.lower(Client.name), Client.id)
    )
    return list(db.session.scalars(policy.scope(statement, actor, "client.view", Client)))


def session_choices(actor: Staff, session: GroupSession) -> list[Client]:
    """The checkboxes on a session being changed: the clients offered for a new session, and anyone the person may
    see who is already recorded (even if discharged since), so unticking them is a choice, never an accident."""
    offered = {client.id: client for client in attendance_choices(actor)}
    for client in attendees(actor, session):
        offered.setdefault(client.id, client)
    return sorted(offered.values(), key=lambda client: (client.name.lower(), client.id))


# Lists and counts ---------------------------------------------------------------------------------------------


def group_list(q: str = "", kind: str = "") -> Select[tuple[PeerGroup]]:
    statement = select(PeerGroup).options(
        joinedload(PeerGroup.facilitator).load_only(Staff.id, Staff.name).lazyload("*"),
    )
    if q:
        statement = statement.where(contains_text(PeerGroup.name, q))
    if kind:
        statement = statement.where(PeerGroup.kind == GroupKind(kind))
    return statement.order_by(PeerGroup.active.desc(), func.lower(PeerGroup.name), PeerGroup.id)


def _visible_attendance(actor: Staff) -> Select:
    """(session id, number of attendees the viewer may see) for every session with any."""
    statement = (
        select(Attendance.session_id.label("session_id"), func.count().label("attended"))
        .join(Client, Client.id == Attendance.client_id)
        .group_by(Attendance.session_id)
    )
    return policy.scope(statement, actor, "client.view", Client)


def group_stats(actor: Staff, group_ids: Collection[int]) -> dict[int, GroupStats]:
    """Session count and average attendance per group, in one grouped query over the viewer's scope."""
    found = {group_id: GroupStats(0, None) for group_id in group_ids}
    if not group_ids:
        return found
    attended = _visible_attendance(actor).subquery()
    statement = (
        select(
            GroupSession.group_id,
            func.count(GroupSession.id).label("sessions"),
            func.avg(func.coalesce(attended.c.attended, 0)).label("average"),
        )
        .outerjoin(attended, attended.c.session_id == GroupSession.id)
        .where(GroupSession.group_id.in_(list(group_ids)))
        .group_by(GroupSession.group_id)
    )
    for row in db.session.execute(statement):
        found[row.group_id] = GroupStats(int(row.sessions), float(row.average) if row.average is not None else None)
    return found


def sessions_of(group: PeerGroup) -> Select[tuple[GroupSession]]:
    return (
        select(GroupSession)
        .where(GroupSession.group_id == group.id)
        .order_by(GroupSession.held_on.desc(), GroupSession.id.desc())
    )


def session_now(session_id: int) -> GroupSession | None:
    """The session as stored now, read again after a refused save (None when someone removed it)."""
    statement = select(GroupSession).where(GroupSession.id == session_id).execution_options(populate_existing=True)
    return db.session.scalar(statement)


def attendance_counts(actor: Staff, session_ids: Iterable[int]) -> dict[int, int]:
    ids = list(session_ids)
    found = dict.fromkeys(ids, 0)
    if not ids:
        return found
    statement = _visible_attendance(actor).where(Attendance.session_id.in_(ids))
    for row in db.session.execute(statement):
        found[row.session_id] = int(row.attended)
    return found


def attendees(actor: Staff, session: GroupSession) -> list[Client]:
    """The clients at a session whom the person may see, by name."""
    statement = (
        select(Client)
        .join(Attendance, Attendance.client_id == Client.id)
        .where(Attendance.session_id == session.id)
        .order_by(func.lower(Client.name), Client.id)
    )
    return list(db.session.scalars(policy.scope(statement, actor, "client.view", Client)))


def note_attendance_read(actor: Staff, session: GroupSession, shown: list[Client]) -> None:
    """One audit note for the attendance list (a count); each sealed record shown is also logged as a read."""
    audit.record("group.attendance_viewed", actor=actor, record_type="group_session", record_id=session.id,
                 detail=f"{len(shown)} shown")
    for client in shown:
        if client.sealed:
            client_service.record_read(client, actor, "group attendance")


# Changes ------------------------------------------------------------------------------------------------------


def create_group(details: GroupDetails, actor: Staff) -> PeerGroup:
    group = PeerGroup(
        name=details.name,
        kind=GroupKind(details.kind),
        facilitator_id=details.facilitator_id,
        program_id=details.program_id,
        meets=details.meets,
        active=details.active,
    )
    db.session.add(group)
    db.session.flush()
    audit.record("group.created", actor=actor, record_type="group", record_id=group.id)
    return group


def update_group(group: PeerGroup, details: GroupDetails, actor: Staff, *, version: object) -> list[str]:
    """Change a group's details; returns the names of what changed. ``version`` is the group's version when the
    person opened the form: a change since raises ``StaleEdit`` (and ``core.edits.commit`` catches a save that
    got in between)."""
    expect_version(group, version)
    wanted = {
        "name": details.name,
        "kind": GroupKind(details.kind),
        "facilitator_id": details.facilitator_id,
        "program_id": details.program_id,
        "meets": details.meets,
        "active": details.active,
    }
    changed = [key for key, value in wanted.items() if getattr(group, key) != value]
    for key in changed:
        setattr(group, key, wanted[key])
    if changed:
        edits.flush()
        audit.record("group.updated", actor=actor, record_type="group", record_id=group.id, detail=", ".join(changed))
    return changed


def record_session(
    group: PeerGroup, details: SessionDetails, attendee_ids: Collection[int], actor: Staff
) -> GroupSession:
    """Add a session and who came. Every attendee must be a client the recorder may see."""
    if _taken_on(group.id, details.held_on):
        raise DuplicateSession
    wanted = set(attendee_ids)
    if _visible_ids(actor, wanted) != wanted:
        raise NotAllowed
    session = GroupSession(
        group_id=group.id,
        held_on=details.held_on,
        topic=details.topic,
        minutes=details.minutes,
        recorded_by_id=actor.id,
    )
    db.session.add(session)
    db.session.flush()
    db.session.add_all(Attendance(session_id=session.id, client_id=client_id) for client_id in sorted(wanted))
    db.session.flush()
    audit.record("group.session_recorded", actor=actor, record_type="group", record_id=group.id,
                 detail=f"session {session.id}; {len(wanted)} attended")
    for client_id in sorted(wanted):
        audit.record("client.group_attendance", actor=actor, record_type="client", record_id=client_id,
                     detail=f"group session {session.id}")
    return session


def _taken_on(group_id: int, held_on: date, other_than: int | None = None) -> bool:
    statement = select(GroupSession.id).where(GroupSession.group_id == group_id, GroupSession.held_on == held_on)
    if other_than is not None:
        statement = statement.where(GroupSession.id != other_than)
    return db.session.scalar(statement.limit(1)) is not None


def _visible_ids(actor: Staff, client_ids: Collection[int]) -> set[int]:
    if not client_ids:
        return set()
    statement = select(Client.id).where(Client.id.in_(set(client_ids)))
    return set(db.session.scalars(policy.scope(statement, actor, "client.view", Client)))


def _recorded_ids(session: GroupSession) -> set[int]:
    """Everyone recorded at the session, seen or not: for the rules only, never for showing."""
    return set(db.session.scalars(select(Attendance.client_id).where(Attendance.session_id == session.id)))


def _changed_details(session: GroupSession, details: SessionDetails) -> list[str]:
    wanted = {"held_on": details.held_on, "topic": details.topic, "minutes": details.minutes}
    return [key for key, value in wanted.items() if getattr(session, key) != value]


def update_session(
    session: GroupSession, details: SessionDetails, attendee_ids: Collection[int], actor: Staff, version: object
) -> list[str]:
    """Change a session's details and who came; returns the names of what changed.

    The person may tick and untick only clients they may see: attendance of anyone else is kept as it is (and is
    never read out). ``version`` is the session's version when the person opened it; any change since is refused.
    """
    expect_version(session, version)
    if details.held_on != session.held_on and _taken_on(session.group_id, details.held_on, session.id):
        raise DuplicateSession
    wanted = set(attendee_ids)
    recorded = _recorded_ids(session)
    visible = _visible_ids(actor, recorded | wanted)
    if not wanted <= visible:
        raise NotAllowed
    added = sorted(wanted - recorded)
    removed = sorted((recorded & visible) - wanted)
    changed = _changed_details(session, details)
    if added or removed:
        changed.append("attendance")
    if not changed:
        return []
    _save_details(session, details, changed)
    _change_attendance(session, added, removed)
    audit.record("group.session_updated", actor=actor, record_type="group", record_id=session.group_id,
                 detail=f"session {session.id}; {', '.join(changed)}")
    _audit_attendance(session, actor, added, removed)
    return changed


def _save_details(session: GroupSession, details: SessionDetails, changed: list[str]) -> None:
    """Write the session row first: its version check (``StaleEdit``) then guards the attendance too."""
    for key in changed:
        if key != "attendance":
            setattr(session, key, getattr(details, key))
    if changed == ["attendance"]:
        flag_modified(session, "minutes")  # attendance alone still makes a new version of the session
    edits.flush()


def _change_attendance(session: GroupSession, added: list[int], removed: list[int]) -> None:
    if removed:
        db.session.execute(
            delete(Attendance)
            .where(Attendance.session_id == session.id, Attendance.client_id.in_(removed))
            .execution_options(synchronize_session=False)
        )
    db.session.add_all(Attendance(session_id=session.id, client_id=client_id) for client_id in added)
    db.session.flush()


def _audit_attendance(session: GroupSession, actor: Staff, added: list[int], removed: list[int]) -> None:
    for client_id in added:
        audit.record("client.group_attendance", actor=actor, record_type="client", record_id=client_id,
                     detail=f"group session {session.id}")
    for client_id in removed:
        audit.record("client.group_attendance_removed", actor=actor, record_type="client", record_id=client_id,
                     detail=f"group session {session.id}")


def remove_session(session: GroupSession, actor: Staff, version: object) -> int:
    """Delete a session and all of its attendance, including attendance the person cannot see (the session is
    gone for everyone). Each client's record loses the attendance, so each is audited; returns the number of rows.
    """
    expect_version(session, version)
    recorded = sorted(_recorded_ids(session))
    session_id, group_id = session.id, session.group_id
    db.session.execute(
        delete(Attendance).where(Attendance.session_id == session_id).execution_options(synchronize_session=False)
    )
    db.session.delete(session)
    edits.flush()  # the delete names the version: a change since raises StaleEdit
    audit.record("group.session_removed", actor=actor, record_type="group", record_id=group_id,
                 detail=f"session {session_id}; {len(recorded)} attendance rows")
    for client_id in recorded:
        audit.record("client.group_attendance_removed", actor=actor, record_type="client", record_id=client_id,
                     detail=f"group session {session_id}")
    return len(recorded)
