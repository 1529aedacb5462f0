"""The demo agency: programs and teams from the seeds, about 40 staff, and the six demo sign-ins.

Later modules add their own demo data through ``load``'s return of the created staff.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from sqlalchemy import insert

from core import audit, passwords
from core.extensions import db
from core.models import Program, Role, Staff, StaffStatus, Team

DEMO_ACCOUNTS = {
    "admin@example.org": ("Alex Morgan", "Administrator", {Role.ADMIN}),
    "hr@example.org": ("Harriet Reyes", "Human resources specialist", {Role.HR}),
    "supervisor@example.org": ("Sam Okafor", "Peer support supervisor", {Role.SUPERVISOR}),
    "peer@example.org": ("Pat Delgado", "Peer specialist", {Role.PEER}),
    "clinician@example.org": ("Dr. Casey Lin", "Psychologist", {Role.STAFF}),
    "privacy@example.org": ("Priya Natarajan", "Privacy officer", {Role.PRIVACY}),
}

PROGRAMS = [
    ("CRP", "Community Reintegration Program", ["Day program", "Referral intake"]),
    ("MHICM", "Mental Health Intensive Case Management", ["North team", "South team"]),
    ("CWT/SE", "Compensated Work Therapy / Supported Employment", ["Vocational team"]),
    ("CWT/TR", "Compensated Work Therapy / Transitional Residence", ["Brownell House"]),
    ("TSH", "Transitional Supported Housing", ["Housing team"]),
    ("INPT", "8 West Inpatient Unit", ["Inpatient team"]),
    ("MHC", "Mental Hygiene Clinic", ["Outpatient clinic"]),
    ("SADP", "Substance Abuse Day Program", ["Day program team"]),
]

# (name, job title, roles, program code, teams separated by |, supervisor email or None)
OTHER_STAFF = [
    ("Jordan Blake", "Peer specialist", {Role.PEER}, "CRP", "Day program|Referral intake", "supervisor@example.org"),
    ("Morgan Ellis", "Peer specialist", {Role.PEER}, "MHICM", "North team", "supervisor@example.org"),
    ("Riley Hart", "Peer specialist", {Role.PEER}, "MHICM", "North team", "supervisor@example.org"),
    ("Taylor Brooks", "Peer specialist", {Role.PEER}, "CWT/SE", "Vocational team", "terry@example.org"),
    ("Quinn Foster", "Peer specialist", {Role.PEER}, "CWT/SE", "Vocational team", "terry@example.org"),
    ("Avery Santos", "Peer specialist", {Role.PEER}, "TSH", "Housing team", "terry@example.org"),
    ("Dana Whitfield", "Peer specialist", {Role.PEER}, "TSH", "Housing team", "terry@example.org"),
    ("Terry Nguyen", "Vocational rehabilitation supervisor", {Role.SUPERVISOR}, "CWT/SE", "Vocational team", None),
    ("Robin Achebe", "Nurse manager", {Role.SUPERVISOR, Role.STAFF}, "INPT", "Inpatient team", None),
    ("Chris Moreau", "Clinic director", {Role.SUPERVISOR, Role.STAFF}, "MHC", "Outpatient clinic", None),
    ("Jamie Kowalski", "Social worker", {Role.STAFF}, "CRP", "Day program", "supervisor@example.org"),
    ("Lee Haddad", "Psychiatrist", {Role.STAFF}, "CRP", "Referral intake", "chris@example.org"),
    ("Drew Park", "Nurse", {Role.STAFF}, "CRP", "Referral intake", "robin@example.org"),
    ("Kendall Price", "Social worker", {Role.STAFF}, "MHICM", "North team", "chris@example.org"),
    ("Skyler Ruiz", "Nurse", {Role.STAFF}, "MHICM", "North team", "robin@example.org"),
    ("Emerson Tate", "Psychologist", {Role.STAFF}, "MHICM", "South team", "chris@example.org"),
    ("Reese Oduya", "Housing specialist", {Role.STAFF}, "MHICM", "South team", "chris@example.org"),
    ("Harper Lindqvist", "Job specialist", {Role.STAFF}, "CWT/SE", "Vocational team", "terry@example.org"),
    ("Rowan Castillo", "Vocational counselor", {Role.STAFF}, "CWT/SE", "Vocational team", "terry@example.org"),
    ("Sage Bennett", "House manager", {Role.STAFF}, "CWT/TR", "Brownell House", "terry@example.org"),
    ("Parker Dunn", "Social worker", {Role.STAFF}, "CWT/TR", "Brownell House", "terry@example.org"),
    ("Finley Abara", "Case manager", {Role.STAFF}, "TSH", "Housing team", "chris@example.org"),
    ("Hayden Cho", "Social worker", {Role.STAFF}, "TSH", "Housing team", "chris@example.org"),
    ("Blair Mensah", "Psychiatrist", {Role.STAFF}, "INPT", "Inpatient team", "robin@example.org"),
    ("Cameron Voss", "Nurse", {Role.STAFF}, "INPT", "Inpatient team", "robin@example.org"),
    ("Elliot Yamada", "Nurse", {Role.STAFF}, "INPT", "Inpatient team", "robin@example.org"),
    ("Marlowe Quist", "Psychologist", {Role.STAFF}, "MHC", "Outpatient clinic", "chris@example.org"),
    ("Noel Ferreira", "Psychiatrist", {Role.STAFF}, "MHC", "Outpatient clinic", "chris@example.org"),
    ("Oakley Sato", "Addiction therapist", {Role.STAFF}, "SADP", "Day program team", "chris@example.org"),
    ("Peyton Ibarra", "Counselor", {Role.STAFF}, "SADP", "Day program team", "chris@example.org"),
    ("River Adeyemi", "Nurse", {Role.STAFF}, "SADP", "Day program team", "robin@example.org"),
    ("Shawn Kader", "Medical support assistant", {Role.STAFF}, "MHC", "Outpatient clinic", "chris@example.org"),
    ("Toni Marsh", "HR assistant", {Role.HR}, None, None, None),
    ("Vic Laurent", "Program analyst", {Role.STAFF}, "CRP", "Day program", "supervisor@example.org"),
]

# Where the six demo accounts work.
DEMO_PLACES = {
    "supervisor@example.org": ("CRP", ["Day program", "Referral intake"]),
    "peer@example.org": ("CRP", ["Day program", "Referral intake"]),
    "clinician@example.org": ("CRP", ["Day program"]),
}


DemoLoader = Callable[[dict[str, Staff]], str]
_loaders: list[DemoLoader] = []


def register(loader: DemoLoader) -> DemoLoader:
    """Modules add their demo data here (core imports no module); each loader gets the staff by email."""
    if loader not in _loaders:
        _loaders.append(loader)
    return loader


def insert_rows(model: type[Any], rows: list[dict[str, Any]]) -> None:
    """Rows of one table whose objects nothing needs afterwards, in one statement: the ORM sends an INSERT a row
    on SQLite. The columns' defaults (and the first version number) are filled in as for an object added; a None
    given is sent as NULL (``render_nulls``), so rows with and without a value still go together."""
    if rows:
        db.session.execute(insert(model).execution_options(render_nulls=True), rows)


def demo_password() -> str:
    return os.environ.get("DEMO_PASSWORD", "peerworks-demo")


def _email_for(name: str) -> str:
    return f"{name.split()[0].lower()}@example.org"


def load(password: str) -> str:
    """Create the demo agency. Assumes an empty agency; flushes, never commits. Its few hundred audit entries are
    chained in memory and written in one go (``audit.held_until_the_end``)."""
    with audit.held_until_the_end():
        return _load(password)


def _load(password: str) -> str:
    password_hash = passwords.hash_password(password)
    programs: dict[str, Program] = {}
    teams: dict[tuple[str, str], Team] = {}
    for code, name, team_names in PROGRAMS:
        program = Program(code=code, name=name)
        db.session.add(program)
        programs[code] = program
        for team_name in team_names:
            team = Team(program=program, name=team_name)
            db.session.add(team)
            teams[(code, team_name)] = team
    db.session.flush()

    people: dict[str, Staff] = {}

    def add(email: str, name: str, title: str, roles: set[Role], program: str | None, team_names: list[str]) -> Staff:
        staff = Staff(
            email=email,
            name=name,
            job_title=title,
            password_hash=password_hash,
            status=StaffStatus.ACTIVE,
            program=programs[program] if program else None,
            teams=[teams[(program, t)] for t in team_names] if program else [],
        )
        staff.set_roles(set(roles))
        db.session.add(staff)
        people[email] = staff
        return staff

    for email, (name, title, roles) in DEMO_ACCOUNTS.items():
        program, team_names = DEMO_PLACES.get(email, (None, []))
        add(email, name, title, roles, program, team_names)
    for name, title, roles, program, team, _supervisor in OTHER_STAFF:
        add(_email_for(name), name, title, roles, program, team.split("|") if team else [])
    people["peer@example.org"].supervisor = people["supervisor@example.org"]
    people["clinician@example.org"].supervisor = people["chris@example.org"]
    for name, *_rest, supervisor in OTHER_STAFF:
        if supervisor:
            people[_email_for(name)].supervisor = people[supervisor]
    db.session.flush()
    lines = [f"Loaded the demo agency: {len(programs)} programs, {len(teams)} teams, {len(people)} staff."]
    for loader in _loaders:
        lines.append(loader(people))
        db.session.flush()
    audit.record("demo.loaded", detail=f"{len(people)} staff")
    lines.append(f"Demo sign-ins (password: {password}):")
    lines += [f"  {email:<24} {title}" for email, (_n, title, _r) in DEMO_ACCOUNTS.items()]
    return "\n".join(lines)
