"""Administration rules and state changes: staff, invitations, CSV import, programs and teams, the outbox.

Every function that changes something takes the acting administrator, flushes, writes the audit log and never
commits: the view commits once. Problems a person can fix are raised as ``InvalidInput`` (field name -> message),
so the view can show them next to the right field.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app, url_for
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import defer, joinedload, selectinload

from core import audit, mail, policy, sessions
from core.accounts.service import invitation_token
from core.csvfiles import UnreadableFile, csv_lines, decode, read_rows
from core.extensions import db
from core.models import ROLE_LABELS, OutboxEmail, Program, Role, Staff, StaffRole, StaffStatus, Team, staff_team
from core.timeutil import utcnow

STATUS_LABELS = {
    StaffStatus.INVITED: "Invited",
    StaffStatus.ACTIVE: "Active",
    StaffStatus.DEACTIVATED: "Deactivated",
}
FIELD_LABELS = {
    "name": "Full name",
    "job_title": "Job title",
    "roles": "Roles",
    "program": "Program",
    "teams": "Teams",
    "supervisor": "Supervisor",
}


class InvalidInput(Exception):
    """Input that breaks a rule; ``problems`` maps a form field name to a plain message."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(problems.values()))
        self.problems = problems


class NotAllowed(Exception):
    """An action the rules refuse; the message says why, in plain words."""


class EditConflict(Exception):
    """The record changed after the form was loaded."""


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
            or_(Staff.name.icontains(filters.q, autoescape=True), Staff.email.icontains(filters.q, autoescape=True))
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
                STATUS_LABELS.get(StaffStatus(person.status), person.status),
            ]


def export_csv(filters: StaffFilters, *, actor: Staff) -> Iterator[str]:
    return csv_lines(export_rows(filters, actor=actor))


def programs() -> list[Program]:
    return list(db.session.scalars(select(Program).order_by(Program.name)))


def teams() -> list[Team]:
    return list(db.session.scalars(select(Team).join(Team.program).order_by(Program.code, Team.name)))


@dataclass(frozen=True)
class Candidate:
    id: int
    name: str
    email: str
    status: str

    @property
    def label(self) -> str:
        suffix = "" if self.status == StaffStatus.ACTIVE else f", {STATUS_LABELS[StaffStatus(self.status)].lower()}"
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


def invitation_link(staff: Staff) -> str:
    """The link that lets an invited person set a password; BASE_URL, when set, is its scheme and host."""
    token = invitation_token(staff, current_app.config["SECRET_KEY"])
    base = (current_app.config.get("BASE_URL") or "").rstrip("/")
    if base:
        return base + url_for("accounts.accept_invite", token=token)
    return url_for("accounts.accept_invite", token=token, _external=True)


def _days(age: timedelta) -> str:
    days = max(1, round(age.total_seconds() / 86400))
    return "1 day" if days == 1 else f"{days} days"


INVITATION_SUBJECT = "Your PeerWorks account is ready"


def _invitation_body(staff: Staff, actor: Staff) -> str:
    return (
        f"Hello {staff.name},\n\n"
        f"{actor.name} has set up a PeerWorks account for you. PeerWorks is where our agency keeps the work of its "
        "peer workforce: readiness, hiring, training and supervision.\n\n"
        f"To choose your password and sign in, open this link within "
        f"{_days(current_app.config['INVITE_MAX_AGE'])}:\n\n{invitation_link(staff)}\n\n"
        "The link works once. If it has expired, ask your PeerWorks administrator to send a new invitation.\n\n"
        "If you were not expecting this email, you can ignore it.\n"
    )


def _queue_invitation(staff: Staff, actor: Staff) -> OutboxEmail:
    return mail.queue(staff.email, INVITATION_SUBJECT, _invitation_body(staff, actor), kind="invitation")


def _queue_invitations(people: list[Staff], actor: Staff) -> None:
    """The same emails as ``_queue_invitation``, flushed together: mail.queue flushes once per message, which is
    most of the time of a 2,000-person import."""
    db.session.add_all(
        OutboxEmail(to_address=staff.email, subject=INVITATION_SUBJECT, body=_invitation_body(staff, actor),
                    kind="invitation")
        for staff in people
    )
    db.session.flush()


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
    _queue_invitation(staff, actor)
    audit.record("staff.invited", actor=actor, record_type="staff", record_id=staff.id)
    return staff


def resend_invitation(staff: Staff, *, actor: Staff) -> None:
    if staff.status != StaffStatus.INVITED:
        raise NotAllowed(f"{staff.name} is not waiting for an invitation, so there is nothing to resend.")
    _queue_invitation(staff, actor)
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


def update_staff(staff: Staff, details: StaffDetails, *, actor: Staff, expected_version: int) -> list[str]:
    """Apply an edit made on a form loaded at ``expected_version``. Returns the names of the changed fields."""
    if staff.version != expected_version:
        raise EditConflict
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
    staff.version = expected_version + 1
    db.session.flush()
    audit.record("staff.updated", actor=actor, record_type="staff", record_id=staff.id, detail=", ".join(changed))
    return changed


def deactivate(staff: Staff, *, actor: Staff) -> None:
    if staff.id == actor.id:
        raise NotAllowed("You cannot deactivate your own account. Ask another administrator.")
    if staff.status == StaffStatus.DEACTIVATED:
        raise NotAllowed(f"{staff.name} is already deactivated.")
    staff.status = StaffStatus.DEACTIVATED
    staff.deactivated_at = utcnow()
    sessions.end_all(staff.id)
    db.session.flush()
    audit.record("staff.deactivated", actor=actor, record_type="staff", record_id=staff.id)


def reactivate(staff: Staff, *, actor: Staff) -> str:
    """Undo a deactivation. Someone who never set a password goes back to "invited". Returns the new status."""
    if staff.status != StaffStatus.DEACTIVATED:
        raise NotAllowed(f"{staff.name} is not deactivated.")
    staff.status = StaffStatus.ACTIVE if staff.password_hash else StaffStatus.INVITED
    staff.deactivated_at = None
    staff.failed_signins = 0
    staff.locked_until = None
    db.session.flush()
    audit.record("staff.reactivated", actor=actor, record_type="staff", record_id=staff.id)
    return staff.status


# CSV import ------------------------------------------------------------------------------------------------

IMPORT_COLUMNS = ("name", "email", "roles", "program", "team", "supervisor")
OPTIONAL_IMPORT_COLUMNS = ("job_title",)
MAX_IMPORT_ROWS = 2000
TEMPLATE_ROWS = (
    ("name", "email", "roles", "program", "team", "supervisor", "job_title"),
    ("Sam Okafor", "sam.okafor@example.org", "supervisor", "CRP", "Day program", "", "Peer support supervisor"),
    ("Pat Delgado", "pat.delgado@example.org", "peer", "CRP", "Day program", "sam.okafor@example.org",
     "Peer specialist"),
    ("Casey Lin", "casey.lin@example.org", "staff|supervisor", "MHC", "", "", "Psychologist"),
)
WHOLE_FILE = 0
HEADER_ROW = 1


@dataclass(frozen=True)
class RowProblem:
    row: int  # the spreadsheet row: the header is row 1; WHOLE_FILE (0) for the file as a whole
    column: str
    message: str


@dataclass
class _Planned:
    row: int
    name: str
    email: str
    job_title: str
    roles: set[str]
    program: Program | None
    team: Team | None
    supervisor_email: str


@dataclass
class ImportResult:
    problems: list[RowProblem] = field(default_factory=list)
    created: list[Staff] = field(default_factory=list)
    by_program: list[tuple[str, int]] = field(default_factory=list)  # (program, people), for the summary

    @property
    def ok(self) -> bool:
        return not self.problems


def import_template() -> Iterator[str]:
    return csv_lines(TEMPLATE_ROWS)


def _role_names() -> dict[str, str]:
    names = {str(role): str(role) for role in Role}
    names.update({label.lower(): str(role) for role, label in ROLE_LABELS.items()})
    return names


def _header(cells: list[str]) -> tuple[dict[str, int], list[RowProblem]]:
    names = [cell.strip().lower().replace(" ", "_") for cell in cells]
    problems: list[RowProblem] = []
    known = set(IMPORT_COLUMNS) | set(OPTIONAL_IMPORT_COLUMNS)
    expected = ",".join(IMPORT_COLUMNS)
    if len(names) == 1 and (";" in names[0] or "\t" in names[0]):
        return {}, [RowProblem(HEADER_ROW, "Header row", (
            "The columns are separated by semicolons or tabs, not commas. Save the file from your spreadsheet as "
            f"“CSV UTF-8 (comma delimited)”. The first row must be: {expected}"))]
    positions: dict[str, int] = {}
    for index, name in enumerate(names):
        if not name:
            if any(cell.strip() for cell in names[index:]):
                problems.append(RowProblem(HEADER_ROW, f"Column {index + 1}", "This column has no name. "
                                           f"The first row must be: {expected}"))
            continue
        if name not in known:
            problems.append(RowProblem(HEADER_ROW, cells[index].strip()[:60], (
                f"“{cells[index].strip()[:60]}” is not a column we know. The columns are: {expected} "
                "(and job_title if you want it).")))
        elif name in positions:
            problems.append(RowProblem(HEADER_ROW, name, f"The column “{name}” appears twice. Keep one."))
        else:
            positions[name] = index
    missing = [name for name in IMPORT_COLUMNS if name not in positions]
    if missing:
        problems.append(RowProblem(HEADER_ROW, ", ".join(missing), (
            f"The header row is missing {', '.join(missing)}. The first row must be: {expected} "
            "(download the template to start from a correct file).")))
    return positions, problems


def _read_import(raw: bytes) -> tuple[dict[str, int], list[tuple[int, list[str]]], list[RowProblem]]:
    """Split the file into the header positions and the non-blank data rows; or give the file-level problems."""
    if not raw.strip():
        return {}, [], [RowProblem(WHOLE_FILE, "Whole file", "The file is empty. Download the template, fill it "
                                   "in and upload it again.")]
    try:
        text = decode(raw)
        if "\x00" in text:
            raise UnreadableFile("The file contains binary data, so it is not a CSV file. Save it from your "
                                 "spreadsheet as “CSV UTF-8 (comma delimited)” and upload it again.")
        records = read_rows(text)
        header: list[str] | None = None
        rows: list[tuple[int, list[str]]] = []
        for number, cells in enumerate(records, start=1):
            if header is None:
                header = cells
                continue
            if any(cell.strip() for cell in cells):
                rows.append((number, cells))
    except UnreadableFile as error:
        return {}, [], [RowProblem(WHOLE_FILE, "Whole file", str(error))]
    positions, problems = _header(header or [])
    if problems:
        return positions, [], problems
    if not rows:
        return positions, [], [RowProblem(WHOLE_FILE, "Whole file", "The file has a header row but nobody in "
                                          "it. Add one row for each person and upload it again.")]
    if len(rows) > MAX_IMPORT_ROWS:
        return positions, [], [RowProblem(WHOLE_FILE, "Whole file", (
            f"The file has {len(rows):,} people; you can import at most {MAX_IMPORT_ROWS:,} at a time. "
            "Split it into smaller files and import them one after another."))]
    return positions, rows, []


def _cell(cells: list[str], positions: dict[str, int], name: str) -> str:
    index = positions.get(name)
    return cells[index].strip() if index is not None and index < len(cells) else ""


def _check_row(
    number: int,
    cells: list[str],
    positions: dict[str, int],
    programs_by_name: dict[str, Program],
    role_names: dict[str, str],
) -> tuple[_Planned, list[RowProblem]]:
    problems: list[RowProblem] = []

    def problem(column: str, message: str) -> None:
        problems.append(RowProblem(number, column, message))

    if len(cells) > len(positions) and any(cell.strip() for cell in cells[max(positions.values()) + 1 :]):
        problem("Whole row", "This row has more cells than the header has columns. Check for a stray comma.")
    name = _cell(cells, positions, "name")
    if not name:
        problem("name", "Enter the person's full name.")
    elif len(name) > 120:
        problem("name", "The name is longer than 120 characters.")
    job_title = _cell(cells, positions, "job_title")
    if len(job_title) > 120:
        problem("job_title", "The job title is longer than 120 characters.")
    email = normalize_email(_cell(cells, positions, "email"))
    if not email:
        problem("email", "Enter the person's work email address.")
    elif len(email) > 254:
        problem("email", "The email address is longer than 254 characters.")
    else:
        try:
            validate_email(email, check_deliverability=False)
        except EmailNotValidError:
            problem("email", f"“{email[:80]}” is not a complete email address, like name@example.org.")
    roles: set[str] = set()
    roles_cell = _cell(cells, positions, "roles")
    for word in (part.strip() for part in re.split(r"[;|]", roles_cell)):
        if not word:
            continue
        role = role_names.get(word.lower())
        if role is None:
            problem("roles", f"“{word[:60]}” is not a role. Use: admin, hr, supervisor, staff, peer, privacy "
                    "(separate several with ; or |).")
        else:
            roles.add(role)
    if not roles_cell.strip(" ;|"):
        problem("roles", "Give at least one role: admin, hr, supervisor, staff, peer or privacy.")
    program = None
    program_cell = _cell(cells, positions, "program")
    if program_cell:
        program = programs_by_name.get(program_cell.lower())
        if program is None:
            problem("program", f"There is no program “{program_cell[:60]}”. Use a code or name from the "
                    "Programs and teams page.")
    team = None
    team_cell = _cell(cells, positions, "team")
    if team_cell:
        if program is None and not program_cell:
            problem("team", "A team needs a program. Fill in the program column for this row.")
        elif program is not None:
            team = next((t for t in program.teams if t.name.lower() == team_cell.lower()), None)
            if team is None:
                problem("team", f"{program.code} has no team “{team_cell[:60]}”. Teams in {program.code}: "
                        f"{', '.join(t.name for t in program.teams) or 'none yet'}.")
    supervisor_email = normalize_email(_cell(cells, positions, "supervisor"))
    if supervisor_email and supervisor_email == email:
        problem("supervisor", "A person cannot be their own supervisor.")
    planned = _Planned(number, name, email, job_title, roles, program, team, supervisor_email)
    return planned, problems


def _cycles(planned: list[_Planned]) -> list[RowProblem]:
    """Rows of this file that supervise each other in a circle."""
    by_email = {person.email: person for person in planned}
    problems: list[RowProblem] = []
    reported: set[str] = set()
    for person in planned:
        path: list[str] = []
        node: str | None = person.email
        while node is not None and node in by_email and node not in path:
            path.append(node)
            node = by_email[node].supervisor_email or None
        if node is not None and node in path and len(path[path.index(node) :]) > 1:
            circle = path[path.index(node) :]
            if not reported.intersection(circle):
                rows = sorted(by_email[email].row for email in circle)
                for email in circle:
                    problems.append(RowProblem(by_email[email].row, "supervisor", (
                        f"Rows {', '.join(map(str, rows))} supervise each other in a circle. Someone in the circle "
                        "needs a supervisor outside it, or none.")))
                reported.update(circle)
    return problems


def import_staff(raw: bytes, *, actor: Staff) -> ImportResult:
    """Check every row; when all are good, create everyone as invited and queue their invitations."""
    positions, rows, problems = _read_import(raw)
    if problems:
        return ImportResult(problems)
    all_programs = programs()
    programs_by_name = {program.code.lower(): program for program in all_programs}
    programs_by_name.update({program.name.lower(): program for program in all_programs})
    role_names = _role_names()

    planned: list[_Planned] = []
    for number, cells in rows:
        person, row_problems = _check_row(number, cells, positions, programs_by_name, role_names)
        planned.append(person)
        problems.extend(row_problems)

    file_emails: dict[str, int] = {}
    for person in planned:
        if not person.email:
            continue
        if person.email in file_emails:
            problems.append(RowProblem(person.row, "email", f"This email address is also on row "
                                       f"{file_emails[person.email]}. Each person can be in the file once."))
        else:
            file_emails[person.email] = person.row
    wanted = set(file_emails) | {person.supervisor_email for person in planned if person.supervisor_email}
    existing = {
        email: (staff_id, status)
        for staff_id, email, status in db.session.execute(
            select(Staff.id, func.lower(Staff.email), Staff.status).where(func.lower(Staff.email).in_(wanted))
        )
    } if wanted else {}
    for person in planned:
        if person.email in existing:
            problems.append(RowProblem(person.row, "email", "Someone with this email address already has an "
                                       "account. Remove this row, or change the address."))
        boss = person.supervisor_email
        if boss and boss != person.email and boss not in file_emails:
            if boss not in existing:
                problems.append(RowProblem(person.row, "supervisor", f"No staff member or row in this file has the "
                                           f"email address “{boss[:80]}”."))
            elif existing[boss][1] == StaffStatus.DEACTIVATED:
                problems.append(RowProblem(person.row, "supervisor", f"The account for “{boss[:80]}” is "
                                           "deactivated, so it cannot supervise anyone."))
    problems.extend(_cycles(planned))
    if problems:
        problems.sort(key=lambda p: p.row)  # stable: within a row, the order the checks ran
        return ImportResult(problems)

    created: dict[str, Staff] = {}
    for person in planned:
        staff = Staff(
            email=person.email,
            name=person.name,
            job_title=person.job_title,
            status=StaffStatus.INVITED,
            password_hash=None,
            program=person.program,
            teams=[person.team] if person.team else [],
        )
        staff.set_roles(person.roles)
        created[person.email] = staff
        db.session.add(staff)
    for person in planned:
        if person.supervisor_email in created:
            created[person.email].supervisor = created[person.supervisor_email]
        elif person.supervisor_email:
            created[person.email].supervisor_id = existing[person.supervisor_email][0]
    db.session.flush()
    _queue_invitations(list(created.values()), actor)
    audit.record("staff.imported", actor=actor, record_type="staff", detail=f"{len(created)} staff")
    by_program = Counter(str(person.program) if person.program else "No program" for person in planned)
    return ImportResult(created=list(created.values()), by_program=sorted(by_program.items()))


# Programs and teams ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamRow:
    team: Team
    staff_count: int


@dataclass(frozen=True)
class ProgramRow:
    program: Program
    staff_count: int
    teams: list[TeamRow]


def program_overview() -> tuple[list[ProgramRow], int]:
    """Programs with their teams and how many people (not counting deactivated) are in each; and how many people
    have no program. Counted in SQL."""
    not_gone = Staff.status != StaffStatus.DEACTIVATED
    per_program = select(Staff.program_id, func.count(Staff.id)).where(not_gone).group_by(Staff.program_id)
    per_team = (
        select(staff_team.c.team_id, func.count(staff_team.c.staff_id))
        .join(Staff, Staff.id == staff_team.c.staff_id)
        .where(not_gone)
        .group_by(staff_team.c.team_id)
    )
    by_program: dict[int | None, int] = dict(db.session.execute(per_program).all())
    by_team: dict[int, int] = dict(db.session.execute(per_team).all())
    rows = [
        ProgramRow(program, by_program.get(program.id, 0), [TeamRow(t, by_team.get(t.id, 0)) for t in program.teams])
        for program in programs()
    ]
    return rows, by_program.get(None, 0)


def create_program(code: str, name: str, *, actor: Staff) -> Program:
    code, name = code.strip(), name.strip()
    problems: dict[str, str] = {}
    if db.session.scalar(select(Program.id).where(func.lower(Program.code) == code.lower())) is not None:
        problems["code"] = f"A program already uses the code “{code}”. Choose another code."
    if db.session.scalar(select(Program.id).where(func.lower(Program.name) == name.lower())) is not None:
        problems["name"] = f"A program is already called “{name}”. Choose another name."
    if problems:
        raise InvalidInput(problems)
    program = Program(code=code, name=name)
    db.session.add(program)
    db.session.flush()
    audit.record("program.created", actor=actor, record_type="program", record_id=program.id)
    return program


def _team_name_taken(program_id: int, name: str, *, except_id: int | None = None) -> bool:
    statement = select(Team.id).where(Team.program_id == program_id, func.lower(Team.name) == name.strip().lower())
    if except_id is not None:
        statement = statement.where(Team.id != except_id)
    return db.session.scalar(statement.limit(1)) is not None


def create_team(program_id: int, name: str, *, actor: Staff) -> Team:
    program = db.session.get(Program, program_id)
    if program is None:
        raise InvalidInput({"program": "That program no longer exists. Choose another."})
    if _team_name_taken(program.id, name):
        raise InvalidInput({"name": f"{program.code} already has a team called “{name.strip()}”. Choose another name."})
    team = Team(program=program, name=name.strip())
    db.session.add(team)
    db.session.flush()
    audit.record("team.created", actor=actor, record_type="team", record_id=team.id)
    return team


def rename_team(team: Team, name: str, *, actor: Staff) -> bool:
    """Rename a team; False when the name did not change."""
    if team.name == name.strip():
        return False
    if _team_name_taken(team.program_id, name, except_id=team.id):
        raise InvalidInput(
            {"name": f"{team.program.code} already has a team called “{name.strip()}”. Choose another name."}
        )
    team.name = name.strip()
    db.session.flush()
    audit.record("team.renamed", actor=actor, record_type="team", record_id=team.id)
    return True


# Outbox ----------------------------------------------------------------------------------------------------

OUTBOX_STATES = {
    "waiting": "Waiting to be sent",
    "sent": "Sent",
    "failed": "Gave up after 5 tries",
}


def outbox_query(state: str = "") -> Select:
    """Outbox messages, newest first; the body is never loaded."""
    statement = select(OutboxEmail).options(defer(OutboxEmail.body, raiseload=True))
    if state == "waiting":
        statement = statement.where(OutboxEmail.sent_at.is_(None), OutboxEmail.attempts < mail.MAX_ATTEMPTS)
    elif state == "sent":
        statement = statement.where(OutboxEmail.sent_at.is_not(None))
    elif state == "failed":
        statement = statement.where(OutboxEmail.sent_at.is_(None), OutboxEmail.attempts >= mail.MAX_ATTEMPTS)
    return statement.order_by(OutboxEmail.created_at.desc(), OutboxEmail.id.desc())
