"""The staff CSV import: every row is checked first; only a file without problems creates anyone."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select

from core import audit
from core.admin.services.invitations import queue_invitations
from core.admin.services.staff import normalize_email
from core.admin.services.teams import programs
from core.csvfiles import UnreadableFile, csv_lines, decode, read_rows
from core.extensions import db
from core.models import Program, Role, Staff, StaffStatus, Team

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
    names.update({role.label.lower(): str(role) for role in Role})
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
    queue_invitations(list(created.values()), actor)
    audit.record("staff.imported", actor=actor, record_type="staff", detail=f"{len(created)} staff")
    by_program = Counter(str(person.program) if person.program else "No program" for person in planned)
    return ImportResult(created=list(created.values()), by_program=sorted(by_program.items()))


