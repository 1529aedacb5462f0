"""Programs and teams: the overview with staff counts, adding programs and teams, renaming a team."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from core import audit, edits
from core.database import Lowered
from core.errors import InvalidInput
from core.extensions import db
from core.models import Program, Staff, StaffStatus, Team, staff_team


def programs() -> list[Program]:
    return list(db.session.scalars(select(Program).order_by(Program.name)))


def teams() -> list[Team]:
    return list(db.session.scalars(select(Team).join(Team.program).order_by(Program.code, Team.name)))





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
    if db.session.scalar(select(Program.id).where(Lowered(Program.code) == Lowered(code))) is not None:
        problems["code"] = f"A program already uses the code “{code}”. Choose another code."
    if db.session.scalar(select(Program.id).where(Lowered(Program.name) == Lowered(name))) is not None:
        problems["name"] = f"A program is already called “{name}”. Choose another name."
    if problems:
        raise InvalidInput(problems)
    program = Program(code=code, name=name)
    db.session.add(program)
    db.session.flush()
    audit.record("program.created", actor=actor, record_type="program", record_id=program.id)
    return program


def _team_name_taken(program_id: int, name: str, *, except_id: int | None = None) -> bool:
    statement = select(Team.id).where(Team.program_id == program_id, Lowered(Team.name) == Lowered(name.strip()))
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


def rename_team(team: Team, name: str, *, actor: Staff, expected_version: object) -> bool:
    """Rename a team whose form was loaded at ``expected_version``; False when the name did not change.
    Raises ``StaleEdit`` when the team was renamed since."""
    edits.expect_version(team, expected_version)
    if team.name == name.strip():
        return False
    if _team_name_taken(team.program_id, name, except_id=team.id):
        raise InvalidInput(
            {"name": f"{team.program.code} already has a team called “{name.strip()}”. Choose another name."}
        )
    team.name = name.strip()
    edits.flush()
    audit.record("team.renamed", actor=actor, record_type="team", record_id=team.id)
    return True


