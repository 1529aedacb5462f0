"""Plain factory functions for test data."""

from __future__ import annotations

import itertools
from functools import cache

from core import passwords, sessions
from core.extensions import db
from core.models import Program, Role, Staff, StaffStatus, Team

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)


@cache
def password_hash() -> str:
    return passwords.hash_password(PASSWORD)


def make_program(code: str | None = None, name: str | None = None) -> Program:
    n = next(_counter)
    program = Program(code=code or f"P{n}", name=name or f"Program {n}")
    db.session.add(program)
    db.session.flush()
    return program


def make_team(program: Program | None = None, name: str | None = None) -> Team:
    team = Team(program=program or make_program(), name=name or f"Team {next(_counter)}")
    db.session.add(team)
    db.session.flush()
    return team


def make_staff(
    *roles: str | Role,
    email: str | None = None,
    name: str | None = None,
    teams: list[Team] | None = None,
    supervisor: Staff | None = None,
    status: str = StaffStatus.ACTIVE,
    program: Program | None = None,
) -> Staff:
    n = next(_counter)
    staff = Staff(
        email=email or f"person{n}@example.org",
        name=name or f"Person {n}",
        password_hash=password_hash(),
        status=status,
        teams=list(teams or []),
        supervisor=supervisor,
        program=program,
    )
    staff.set_roles({str(role) for role in (roles or (Role.STAFF,))})
    db.session.add(staff)
    db.session.flush()
    return staff


def start_session(staff: Staff) -> str:
    token = sessions.start(staff)
    db.session.commit()
    return token


def make_client(name: str | None = None, *, program: Program | None = None, **fields: object):  # noqa: ANN201
    from datetime import date

    from caseload.models import Client, ClientStatus

    n = next(_counter)
    client = Client(
        name=name or f"Client {n}",
        date_of_birth=fields.pop("date_of_birth", date(1980, 1, 1 + n % 28)),
        program=program,
        status=fields.pop("status", ClientStatus.ACTIVE),
        **fields,
    )
    db.session.add(client)
    db.session.flush()
    return client


def assign(client, staff: Staff, kind: str = "peer"):  # noqa: ANN001,ANN201
    from caseload.models import Assignment

    assignment = Assignment(client_id=client.id, staff_id=staff.id, kind=kind)
    db.session.add(assignment)
    db.session.flush()
    return assignment


def seal(client, staff: Staff) -> None:  # noqa: ANN001
    from core.timeutil import utcnow

    client.staff_member_id = staff.id
    client.sealed_at = utcnow()
    db.session.flush()
