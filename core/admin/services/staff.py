"""Staff: the list and its CSV download, inviting a person, editing their details and roles, deactivating and
reactivating them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from core import audit, edits, policy, sessions
from core.admin.services.invitations import queue_invitation, tell_invited
from core.csvfiles import csv_lines
from core.database import contains_text
from core.errors import InvalidInput, Refused
from core.extensions import db
from core.models import Program, Role, Staff, StaffRole, StaffStatus, Team
from core.timeutil import utcnow

FIELD_LABELS = {
    "name": "Full name",
    "job_title": "Job title",
    "roles": "Roles",
    "program": "Program",
    "teams": "Teams",
    "supervisor": "Supervisor",
}


def normalize_email(email: str) -> str:
    return email.strip().lower()


def email_taken(email: str, *, except_id: int | None = None) -> bool:
    statement = select(Staff.id).where(func.lower(Staff.email) == normalize_email(email))
    if except_id is not None:
        statement = statement.where(Staff.id != except_id)
    return db.session.scalar(statement.limit(1)) is not None


# Lists -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffFilters:
    q: str = ""
    role: str = ""
    program_id: int | None = None
    team_id: int | None = None
    status: str = ""

    @property
    def any(self) -> bool:
        return bool(self.q or self.role or self.program_id or self.team_id or self.status)

    def as_args(self) -> dict[str, str | int]:
        """The filters as query-string arguments, for links that keep them (pages, CSV download)."""
        args: dict[str, str | int | None] = {
            "q": self.q,
            "role": self.role,
            "program": self.program_id,
            "team": self.team_id,
            "status": self.status,
        }
        return {key: value for key, value in args.items() if value}


def _list_loading() -> tuple:
    # Everything a row shows, loaded in a fixed number of queries whatever the number of rows.
    return (
        selectinload(Staff.role_rows),
        selectinload(Staff.teams),
        joinedload(Staff.program),
        joinedload(Staff.supervisor),
    )


def _filtered(statement: Select, filters: StaffFilters) -> Select:
    if filters.q:
        statement = statement.where(
            or_(contains_text(Staff.name, filters.q), contains_text(Staff.email, filters.q))
        )
    if filters.role:
        statement = statement.where(Staff.role_rows.any(StaffRole.role == filters.role))
    if filters.program_id is not None:
        statement = statement.where(Staff.program_id == filters.program_id)
    if filters.team_id is not None:
        statement = statement.where(Staff.teams.any(Team.id == filters.team_id))
    if filters.status:
        statement = statement.where(Staff.status == filters.status)
    return statement


def staff_query(filters: StaffFilters, *, actor: Staff) -> Select:
    """The staff the actor may list, filtered and in name order, ready for ``db.paginate``."""
    statement = policy.scope(select(Staff), actor, "admin.list", Staff)
    return _filtered(statement, filters).options(*_list_loading()).order_by(func.lower(Staff.name), Staff.id)


EXPORT_HEADER = ("Name", "Email", "Job title", "Roles", "Program", "Teams", "Supervisor", "Supervisor email", "Status")
EXPORT_BATCH = 500


def export_rows(filters: StaffFilters, *, actor: Staff) -> Iterator[list[str]]:
    """Every matching person as a CSV row, loaded EXPORT_BATCH at a time (a fixed number of queries per batch; the
    session's identity map holds rows weakly, so memory stays flat on a long export)."""
    ids_statement = _filtered(policy.scope(select(Staff.id), actor, "admin.list", Staff), filters)
    ids = list(db.session.scalars(ids_statement.order_by(func.lower(Staff.name), Staff.id)))
    yield list(EXPORT_HEADER)
    for start in range(0, len(ids), EXPORT_BATCH):
        chunk = ids[start : start + EXPORT_BATCH]
        people = {
            person.id: person
            for person in db.session.scalars(select(Staff).where(Staff.id.in_(chunk)).options(*_list_loading()))
        }
        for staff_id in chunk:
            person = people[staff_id]
            yield [
                person.name,
                person.email,
                person.job_title,
                "; ".join(person.role_labels),
                str(person.program) if person.program else "",
                "; ".join(team.name for team in person.teams),
                person.supervisor.name if person.supervisor else "",
                person.supervisor.email if person.supervisor else "",
                person.status_label,
            ]


def export_csv(filters: StaffFilters, *, actor: Staff) -> Iterator[str]:
    return csv_lines(export_rows(filters, actor=actor))


@dataclass(frozen=True)
class Candidate:
    id: int
    name: str
    email: str
    status: str

    @property
    def label(self) -> str:
        suffix = "" if self.status == StaffStatus.ACTIVE else f", {StaffStatus(self.status).label.lower()}"
        return f"{self.name} ({self.email}{suffix})"


def supervisor_candidates(*, exclude: Staff | None = None) -> list[Candidate]:
    """Active staff who can be chosen as a supervisor; when editing, never the person, but always their current
    supervisor (even one who has since been deactivated, so saving the form unchanged keeps working). Columns
    only: this list can hold everyone in the agency."""
    condition = Staff.status == StaffStatus.ACTIVE
    if exclude is not None and exclude.supervisor_id is not None:
        condition = or_(condition, Staff.id == exclude.supervisor_id)
    statement = (
        select(Staff.id, Staff.name, Staff.email, Staff.status)
        .where(condition)
        .order_by(func.lower(Staff.name), Staff.id)
    )
    if exclude is not None:
        statement = statement.where(Staff.id != exclude.id)
    return [Candidate(*row) for row in db.session.execute(statement)]


# Invitations -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffDetails:
    """What an administrator sets about a person (everything but the email address)."""

    name: str
    job_title: str = ""
    roles: frozenset[str] = frozenset()
    program_id: int | None = None
    team_ids: frozenset[int] = frozenset()
    supervisor_id: int | None = None


def _creates_cycle(staff: Staff, supervisor: Staff) -> bool:
    """True when ``staff`` is already above ``supervisor`` in the supervisor chain."""
    seen: set[int] = set()
    node: Staff | None = supervisor
    while node is not None and node.id not in seen:
        if node.id == staff.id:
            return True
        seen.add(node.id)
        node = node.supervisor
    return False


@dataclass
class _Resolved:
    program: Program | None
    teams: list[Team]
    supervisor: Staff | None


def _resolve(details: StaffDetails, staff: Staff | None) -> _Resolved:
    """Check the details against the database; raise InvalidInput with every problem found."""
    problems: dict[str, str] = {}
    if not details.name.strip():
        problems["name"] = "Enter the person's full name."
    unknown_roles = set(details.roles) - {str(role) for role in Role}
    if not details.roles:
        problems["roles"] = "Choose at least one role."
    elif unknown_roles:
        problems["roles"] = "Choose roles from the list."
    program = None
    if details.program_id is not None:
        program = db.session.get(Program, details.program_id)
        if program is None:
            problems["program"] = "That program no longer exists. Choose another."
    found_teams = (
        list(db.session.scalars(select(Team).where(Team.id.in_(details.team_ids)).order_by(Team.name)))
        if details.team_ids
        else []
    )
    if len(found_teams) != len(details.team_ids):
        problems["teams"] = "One of those teams no longer exists. Reload the page and choose again."
    supervisor = None
    if details.supervisor_id is not None:
        supervisor = db.session.get(Staff, details.supervisor_id)
        unchanged = staff is not None and staff.supervisor_id == details.supervisor_id
        if supervisor is None:
            problems["supervisor"] = "That person no longer exists. Choose another supervisor."
        elif staff is not None and supervisor.id == staff.id:
            problems["supervisor"] = "A person cannot be their own supervisor. Choose someone else."
        elif supervisor.status != StaffStatus.ACTIVE and not unchanged:
            problems["supervisor"] = f"{supervisor.name} is not active, so cannot supervise. Choose someone else."
        elif staff is not None and _creates_cycle(staff, supervisor):
            problems["supervisor"] = (
                f"{supervisor.name} already reports to {staff.name}, directly or through others, so this would make "
                "a circle. Choose someone higher up, or change the other person's supervisor first."
            )
    if problems:
        raise InvalidInput(problems)
    return _Resolved(program, found_teams, supervisor)


def invite(email: str, details: StaffDetails, *, actor: Staff) -> Staff:
    """Create an invited person (no password yet) and queue their invitation email."""
    address = normalize_email(email)
    problems: dict[str, str] = {}
    if email_taken(address):
        problems["email"] = "Someone with this email address already has an account. Search the staff list for them."
    try:
        resolved = _resolve(details, None)
    except InvalidInput as error:
        problems.update(error.problems)
    if problems:
        raise InvalidInput(problems)
    staff = Staff(
        email=address,
        name=details.name.strip(),
        job_title=details.job_title.strip(),
        status=StaffStatus.INVITED,
        password_hash=None,
        program=resolved.program,
        teams=resolved.teams,
        supervisor=resolved.supervisor,
    )
    staff.set_roles(set(details.roles))
    db.session.add(staff)
    db.session.flush()
    queue_invitation(staff, actor)
    audit.record("staff.invited", actor=actor, record_type="staff", record_id=staff.id)
    tell_invited(staff, actor)
    return staff


def resend_invitation(staff: Staff, *, actor: Staff) -> None:
    if staff.status != StaffStatus.INVITED:
        raise Refused(f"{staff.name} is not waiting for an invitation, so there is nothing to resend.")
    queue_invitation(staff, actor)
    audit.record("staff.invitation_resent", actor=actor, record_type="staff", record_id=staff.id)


# Editing ---------------------------------------------------------------------------------------------------


def current_values(staff: Staff) -> dict[str, str]:
    """The record as a person reads it, for the "someone else changed this" message."""
    return {
        "name": staff.name,
        "job_title": staff.job_title or "None",
        "roles": ", ".join(staff.role_labels) or "None",
        "program": str(staff.program) if staff.program else "None",
        "teams": "; ".join(str(team) for team in staff.teams) or "None",
        "supervisor": staff.supervisor.name if staff.supervisor else "None",
    }


def update_staff(staff: Staff, details: StaffDetails, *, actor: Staff, expected_version: object) -> list[str]:
    """Apply an edit made on a form loaded at ``expected_version``. Returns the names of the changed fields.
    Raises ``StaleEdit`` when the person was changed since."""
    edits.expect_version(staff, expected_version)
    resolved = _resolve(details, staff)
    if staff.id == actor.id and Role.ADMIN in staff.roles and Role.ADMIN not in details.roles:
        raise InvalidInput(
            {"roles": "You cannot remove the administrator role from yourself. Ask another administrator."}
        )
    changed: list[str] = []
    if staff.name != details.name.strip():
        staff.name = details.name.strip()
        changed.append("name")
    if staff.job_title != details.job_title.strip():
        staff.job_title = details.job_title.strip()
        changed.append("job_title")
    if staff.roles != frozenset(details.roles):
        staff.set_roles(set(details.roles))
        changed.append("roles")
    if staff.program_id != details.program_id:
        staff.program = resolved.program
        changed.append("program")
    if {team.id for team in staff.teams} != set(details.team_ids):
        staff.teams = resolved.teams
        changed.append("teams")
    if staff.supervisor_id != details.supervisor_id:
        staff.supervisor = resolved.supervisor
        changed.append("supervisor")
    if not changed:
        return changed
    # Roles and teams live in other tables; move the version on so every edit, not only column edits, shows.
    edits.bump(staff)
    edits.flush()
    audit.record("staff.updated", actor=actor, record_type="staff", record_id=staff.id, detail=", ".join(changed))
    return changed


def deactivate(staff: Staff, *, actor: Staff) -> None:
    if staff.id == actor.id:
        raise Refused("You cannot deactivate your own account. Ask another administrator.")
    if staff.status == StaffStatus.DEACTIVATED:
        raise Refused(f"{staff.name} is already deactivated.")
    staff.status = StaffStatus.DEACTIVATED
    staff.deactivated_at = utcnow()
    edits.flush()  # the person's row first, so a save that got in between is StaleEdit (not end_all's autoflush)
    sessions.end_all(staff.id)
    audit.record("staff.deactivated", actor=actor, record_type="staff", record_id=staff.id)


def reactivate(staff: Staff, *, actor: Staff) -> str:
    """Undo a deactivation. Someone who never set a password goes back to "invited". Returns the new status."""
    if staff.status != StaffStatus.DEACTIVATED:
        raise Refused(f"{staff.name} is not deactivated.")
    staff.status = StaffStatus.ACTIVE if staff.password_hash else StaffStatus.INVITED
    staff.deactivated_at = None
    staff.failed_signins = 0
    staff.locked_until = None
    edits.flush()
    audit.record("staff.reactivated", actor=actor, record_type="staff", record_id=staff.id)
    return staff.status
