"""Plain factory functions for test data."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING

from core import passwords, sessions, timeutil
from core.extensions import db
from core.models import Program, Role, Staff, StaffStatus, Team

if TYPE_CHECKING:  # the caseload's models are imported where they are used, after the app is set up
    from caseload.models import (
        Assignment,
        Client,
        ContactNote,
        GroupSession,
        PeerGroup,
        PlanVersion,
        Referral,
        Resource,
    )

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


def make_client(name: str | None = None, *, program: Program | None = None, **fields: object) -> Client:
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


def assign(client: Client, staff: Staff, kind: str = "peer") -> Assignment:
    from caseload.models import Assignment

    assignment = Assignment(client_id=client.id, staff_id=staff.id, kind=kind)
    db.session.add(assignment)
    db.session.flush()
    return assignment


def seal(client: Client, staff: Staff) -> None:
    from core.timeutil import utcnow

    client.staff_member_id = staff.id
    client.sealed_at = utcnow()
    db.session.flush()


# Referrals, groups and resources (caseload) -------------------------------------------------------------------


def make_referral(client: Client, taker: Staff, **fields: object) -> Referral:
    """A referral for ``client`` taken by ``taker``; received now unless ``received_at`` is given."""
    from caseload.models import Referral
    from core.timeutil import utcnow

    referral = Referral(
        client_id=client.id,
        received_by_id=taker.id,
        source=fields.pop("source", "emergency_room"),
        urgency=fields.pop("urgency", "routine"),
        reason=fields.pop("reason", "Asked for peer support after discharge."),
        received_at=fields.pop("received_at", utcnow()),
        **fields,
    )
    db.session.add(referral)
    db.session.flush()
    return referral


def make_peer_group(facilitator: Staff, **fields: object) -> PeerGroup:
    from caseload.models import PeerGroup

    group = PeerGroup(
        name=fields.pop("name", f"Group {next(_counter)}"),
        kind=fields.pop("kind", "wrap"),
        facilitator_id=facilitator.id,
        **fields,
    )
    db.session.add(group)
    db.session.flush()
    return group


def make_group_session(
    group: PeerGroup, recorder: Staff, attendees: Iterable[Client] = (), **fields: object
) -> GroupSession:
    """A session of ``group`` with the given clients attending (no audit: test data only)."""
    from datetime import timedelta

    from caseload.models import Attendance, GroupSession

    session = GroupSession(
        group_id=group.id,
        held_on=fields.pop("held_on", timeutil.today() - timedelta(days=next(_counter))),
        topic=fields.pop("topic", "Wellness tools"),
        minutes=fields.pop("minutes", 60),
        recorded_by_id=recorder.id,
        **fields,
    )
    db.session.add(session)
    db.session.flush()
    db.session.add_all(Attendance(session_id=session.id, client_id=c.id) for c in attendees)
    db.session.flush()
    return session


def make_resource(updated_by: Staff, **fields: object) -> Resource:
    from caseload.models import Resource

    resource = Resource(
        name=fields.pop("name", f"Resource {next(_counter)}"),
        category=fields.pop("category", "food"),
        updated_by_id=updated_by.id,
        **fields,
    )
    db.session.add(resource)
    db.session.flush()
    return resource


def make_plan(client: Client, author: Staff, goals: list[str] | None = None, **fields: object) -> PlanVersion:
    """The next version of a client's recovery plan, with one goal per text in ``goals`` (keys carry on by position
    from the client's latest version)."""
    from datetime import timedelta

    from sqlalchemy import select

    from caseload.models import PlanGoal, PlanVersion

    latest = db.session.scalar(
        select(PlanVersion).where(PlanVersion.client_id == client.id).order_by(PlanVersion.number.desc()).limit(1)
    )
    keys = [goal.goal_key for goal in latest.goals] if latest else []
    version = PlanVersion(
        client_id=client.id,
        number=(latest.number if latest else 0) + 1,
        strengths=fields.pop("strengths", "Kind; keeps going"),
        review_on=fields.pop("review_on", timeutil.today() + timedelta(days=60)),
        written_by_id=author.id,
        **fields,
    )
    for position, words in enumerate(goals or ["I want a library card."]):
        key = keys[position] if position < len(keys) else f"k{next(_counter)}x{position}"
        version.goals.append(PlanGoal(goal_key=key, position=position, term="short", in_own_words=words))
    db.session.add(version)
    db.session.flush()
    return version


def make_note(staff: Staff, client: Client | None = None, **fields: object) -> ContactNote:

    from caseload.models import ContactNote, WorkKind

    kind = WorkKind(fields.pop("kind", WorkKind.ADVOCACY if client is not None else WorkKind.ADMINISTRATION))
    note = ContactNote(
        client_id=client.id if client is not None else None,
        staff_id=staff.id,
        happened_on=fields.pop("happened_on", timeutil.today()),
        kind=kind.value,
        direct=kind.is_direct,
        minutes=fields.pop("minutes", 30),
        place=fields.pop("place", "office"),
        body=fields.pop("body", "Met and talked."),
        **fields,
    )
    db.session.add(note)
    db.session.flush()
    return note
