"""Who may see which client, as SQL conditions, and the dual-relationship conflict checks.

A client record is **sealed** when the privacy officer links it to a staff member ("this client also works here").
A sealed record is visible only to its assigned providers who are not the staff member, not on any of the staff
member's teams, not in their supervisor chain and not HR, and to a holder of a live emergency grant. For everyone
else it does not exist: lists, counts, searches, referrals, group attendance and exports all use
``visible_clients`` so a sealed client never appears, and a direct URL answers 404 exactly like a missing record.
A declared personal relationship hides the client from the person who declared it, sealed or not.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    bindparam,
    cast,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
    union,
)
from sqlalchemy.orm import aliased
from sqlalchemy.sql.selectable import Subquery

from caseload.models import Assignment, Client, Consent, DeclaredRelationship, EmergencyGrant, Referral
from core.extensions import db
from core.models import AuditEntry, Role, Staff, StaffRole, StaffStatus, Team, staff_team
from core.timeutil import utcnow

PROVIDER_ROLES = (Role.PEER, Role.STAFF, Role.SUPERVISOR)
SAFEGUARD_ROLES = (Role.PRIVACY, Role.ADMIN)


# The two chain queries are built once (their aliases cost more to make than the query takes to run) and take the
# person as a bound parameter.
@cache
def _below_query() -> Select[tuple[int]]:
    chain = select(Staff.id).where(Staff.supervisor_id == bindparam("person")).cte("chain", recursive=True)
    below = aliased(Staff)
    chain = chain.union(select(below.id).where(below.supervisor_id == chain.c.id))
    return select(chain.c.id)


@cache
def _above_query() -> Select[tuple[int | None]]:
    start = select(Staff.supervisor_id.label("id")).where(Staff.id == bindparam("person")).cte("up", recursive=True)
    above = aliased(Staff)
    start = start.union(select(above.supervisor_id).where(above.id == start.c.id))
    return select(start.c.id)


def supervised_by(user_id: int) -> list[int]:
    """Everyone whose supervisor chain includes ``user_id`` (direct and indirect reports), in one recursive query."""
    return list(db.session.scalars(_below_query(), {"person": user_id}))


def supervised_by_query() -> Select[tuple[int]]:
    """``supervised_by`` as a subquery for a larger query, the person bound as ``person`` when it runs."""
    return _below_query()


def supervisor_chain(staff_id: int) -> list[int]:
    """The staff member's supervisor, their supervisor, and so on up."""
    return [i for i in db.session.scalars(_above_query(), {"person": staff_id}) if i is not None]


@dataclass(frozen=True)
class Viewer:
    """What the visibility rules need to know about the person asking, gathered in a few small queries."""

    id: int
    roles: frozenset[str]
    program_ids: frozenset[int]
    team_ids: frozenset[int]
    reports: tuple[int, ...]

    @classmethod
    def of(cls, user: Staff) -> Viewer:
        teams = user.teams
        programs = {team.program_id for team in teams}
        if user.program_id:
            programs.add(user.program_id)
        reports = tuple(supervised_by(user.id))
        return cls(user.id, user.roles, frozenset(programs), frozenset(t.id for t in teams), reports)

    def has(self, *roles: str) -> bool:
        return not self.roles.isdisjoint(roles)


def _assigned(staff_ids: list[int]) -> ColumnElement[bool]:
    return exists().where(
        Assignment.client_id == Client.id, Assignment.ended_at.is_(None), Assignment.staff_id.in_(staff_ids)
    )


def _barred_from_sealed(viewer: Viewer) -> ColumnElement[bool]:
    """True for a sealed client the viewer may never see, whatever their assignment."""
    if viewer.has(Role.HR):
        return true()
    shares_team = (
        exists()
        .where(staff_team.c.staff_id == Client.staff_member_id, staff_team.c.team_id.in_(viewer.team_ids))
        if viewer.team_ids
        else false()
    )
    return or_(
        Client.staff_member_id == viewer.id,
        Client.staff_member_id.in_(viewer.reports) if viewer.reports else false(),
        shares_team,
    )


def _granted(viewer: Viewer) -> ColumnElement[bool]:
    return exists().where(
        EmergencyGrant.client_id == Client.id,
        EmergencyGrant.staff_id == viewer.id,
        EmergencyGrant.ended_at.is_(None),
        EmergencyGrant.expires_at > literal(utcnow()),
    )


def can_see(viewer: Viewer) -> ColumnElement[bool]:
    """The SQL condition for "this viewer may open this client's record"."""
    # Cheapest first: the database stops at the first term that holds, so a plain column test placed before the
    # subqueries spares them on most rows (a count walks every row the person may see).
    ordinary: list[ColumnElement[bool]] = []
    if viewer.has(Role.PRIVACY):
        ordinary.append(true())
    if viewer.has(*PROVIDER_ROLES) and viewer.program_ids:
        ordinary.append(Client.program_id.in_(viewer.program_ids))
    if viewer.has(*PROVIDER_ROLES):
        ordinary.append(_assigned([viewer.id]))
        ordinary.append(_granted(viewer))
    if viewer.has(Role.SUPERVISOR) and viewer.reports:
        ordinary.append(_assigned(list(viewer.reports)))
    mine = aliased(DeclaredRelationship)
    declared = Client.id.in_(select(mine.client_id).where(mine.staff_id == viewer.id))
    if viewer.has(*PROVIDER_ROLES) and not viewer.has(Role.HR):
        # An emergency grant never overrides a bar: the people the seal exists for cannot break the glass.
        sealed_access = and_(
            Client.staff_member_id.is_not(None),
            not_(_barred_from_sealed(viewer)),
            or_(_assigned([viewer.id]), _granted(viewer)),
        )
    else:
        sealed_access = false()
    open_access = and_(Client.staff_member_id.is_(None), or_(*ordinary)) if ordinary else false()
    return and_(or_(open_access, sealed_access), not_(declared))


def can_safeguard(viewer: Viewer) -> ColumnElement[bool]:
    """The privacy officer and the administrator manage safeguards for every client but the sealed records they are
    barred from like anyone else (their own; a staff member's on their teams or below them in the supervisor chain;
    every sealed record when they also work in HR) and the clients they declared knowing."""
    if not viewer.has(*SAFEGUARD_ROLES):
        return false()
    # An alias, so the condition also works inside a query that selects declared relationships itself.
    mine = aliased(DeclaredRelationship)
    declared = exists().where(mine.client_id == Client.id, mine.staff_id == viewer.id)
    return and_(
        not_(declared), or_(Client.staff_member_id.is_(None), not_(_barred_from_sealed(viewer)))
    )


def visible_clients(user: Staff) -> ColumnElement[bool]:
    return can_see(Viewer.of(user))


def may_see(user: Staff, client_id: int) -> bool:
    return db.session.scalar(select(Client.id).where(Client.id == client_id, visible_clients(user))) is not None


def barred_from_emergency(user: Staff, client_id: int) -> bool:
    """True when ``user`` may never break the glass on this client: it is sealed and they are the staff member, on
    their teams, in their supervisor chain or HR; or they declared knowing the client (sealed or not)."""
    viewer = Viewer.of(user)
    mine = aliased(DeclaredRelationship)
    declared = exists().where(mine.client_id == Client.id, mine.staff_id == viewer.id)
    barred = or_(declared, and_(Client.staff_member_id.is_not(None), _barred_from_sealed(viewer)))
    return db.session.scalar(select(Client.id).where(Client.id == client_id, barred)) is not None


def hidden_from(user: Staff) -> ColumnElement[bool]:
    """Client rows whose existence ``user`` must never learn from a count: a sealed record they cannot open (barred,
    or simply not among its providers) and a record they declared knowing. Aggregates over other people's work
    (role fidelity's minutes) leave out what touches these rows, so they come out as if the record did not exist."""
    viewer = Viewer.of(user)
    mine = aliased(DeclaredRelationship)
    declared = exists().where(mine.client_id == Client.id, mine.staff_id == viewer.id)
    return or_(declared, and_(Client.staff_member_id.is_not(None), not_(can_see(viewer))))


def _closed_to(viewer: Viewer) -> Subquery:
    """The records closed to a person whatever their role: a sealed record the seal is for them (their own, a
    team-mate's, someone's below them in the supervisor chain; any when they work in HR) or a client they declared
    knowing. A union of two small look-ups (the sealed records, the person's declarations), so the set is found
    without reading every client."""
    return union(
        select(Client.id.label("id")).where(Client.staff_member_id.is_not(None), _barred_from_sealed(viewer)),
        select(DeclaredRelationship.client_id.label("id")).where(DeclaredRelationship.staff_id == viewer.id),
    ).subquery("closed")


# The audit log names a client record by its number, or by the number of one of its parts (a refusal to end an
# assignment names the assignment). Record types are "client", "Client:client.view", "Assignment:end" and so on.
_RECORD_PARTS = (
    ("assignment", Assignment),
    ("consent", Consent),
    ("referral", Referral),
    ("emergencygrant", EmergencyGrant),
)


def audit_entries_hidden_from(user: Staff) -> ColumnElement[bool]:
    """The audit entries about a record closed to ``user`` (their own sealed record, a client they declared knowing):
    the audit screen and its CSV leave them out, so a privacy officer or administrator who is also a client never
    reads their own record there. Another privacy officer or administrator does."""
    closed = _closed_to(Viewer.of(user))
    kind = func.lower(AuditEntry.record_type)

    def of_kind(name: str) -> ColumnElement[bool]:
        return or_(kind == name, kind.like(f"{name}:%"))

    # The record number first: the sets are worked out once and are empty for nearly everyone, so most entries are
    # settled by one look-up instead of five comparisons of their lowered record type.
    conditions = [and_(AuditEntry.record_id.in_(select(cast(closed.c.id, String))), of_kind("client"))]
    for name, part in _RECORD_PARTS:
        conditions.append(and_(AuditEntry.record_id.in_(
            select(cast(part.id, String)).where(part.client_id.in_(select(closed.c.id)))), of_kind(name)))
    return or_(*conditions)


def _sealed_for(staff_member_id: int) -> ColumnElement[bool]:
    """True for a member of staff the seal of ``staff_member_id``'s record is for: that person, anyone sharing a team
    with them, anyone above them in the supervisor chain, and HR (the same people as ``_barred_from_sealed``)."""
    mine, theirs = aliased(staff_team), aliased(staff_team)
    shares_team = exists().where(
        mine.c.staff_id == Staff.id, theirs.c.staff_id == staff_member_id, mine.c.team_id == theirs.c.team_id
    )
    role = aliased(StaffRole)  # an alias: the handlers' query joins StaffRole itself
    in_hr = exists().where(role.staff_id == Staff.id, role.role == Role.HR)
    chain = supervisor_chain(staff_member_id)
    return or_(
        Staff.id == staff_member_id, shares_team, in_hr, Staff.id.in_(chain) if chain else false()
    )


def handlers_of(client: Client | None) -> list[Staff]:
    """Who handles the safeguards of this record and is told about it: the active privacy officers, leaving out the
    people the record's seal is for (the staff member, their team-mates, their supervisor chain, HR) and anyone who
    declared knowing the client; when none is left, the active administrators on the same terms. Empty when there is
    nobody (the screens then say whom to ask)."""
    for role in (Role.PRIVACY, Role.ADMIN):
        statement = (
            select(Staff)
            .join(StaffRole)
            .where(StaffRole.role == role, Staff.status == StaffStatus.ACTIVE)
            .order_by(Staff.id)
        )
        if client is not None:
            declared = exists().where(DeclaredRelationship.client_id == client.id,
                                      DeclaredRelationship.staff_id == Staff.id)
            statement = statement.where(not_(declared))
            if client.staff_member_id is not None:
                statement = statement.where(not_(_sealed_for(client.staff_member_id)))
        found = list(db.session.scalars(statement))
        if found:
            return found
    return []


def live_grant(actor: Staff, client: Client) -> EmergencyGrant | None:
    return db.session.scalar(
        select(EmergencyGrant).where(
            EmergencyGrant.staff_id == actor.id,
            EmergencyGrant.client_id == client.id,
            EmergencyGrant.ended_at.is_(None),
            EmergencyGrant.expires_at > utcnow(),
        )
    )


# Conflict checks --------------------------------------------------------------------------------------------

def workplace_program_ids(staff: Staff) -> set[int]:
    ids = {team.program_id for team in staff.teams}
    if staff.program_id:
        ids.add(staff.program_id)
    return ids


def provider_conflict(client: Client, provider: Staff) -> str | None:
    """Why ``provider`` may not serve ``client``, in words for people allowed to know; None when fine."""
    declared = db.session.scalar(
        select(DeclaredRelationship.id).where(
            DeclaredRelationship.client_id == client.id, DeclaredRelationship.staff_id == provider.id
        )
    )
    if declared is not None:
        return f"{provider.name} has declared a personal relationship with this client and cannot be assigned."
    if client.staff_member_id is None:
        return None
    if provider.id == client.staff_member_id:
        return "A staff member cannot be assigned to their own client record."
    if provider.has_role(Role.HR):
        return f"{provider.name} works in HR and cannot serve a staff member who is a client."
    member = db.get_or_404(Staff, client.staff_member_id)
    shared = {team.id for team in member.teams} & {team.id for team in provider.teams}
    if shared:
        names = ", ".join(sorted(str(db.session.get(Team, i)) for i in shared))
        return f"{provider.name} works on the same team as this client ({names}). Choose a provider from another team."
    if provider.id in supervisor_chain(member.id):
        return f"{provider.name} is in this client's supervisor chain at work. Choose someone outside it."
    return None


def program_conflict(client: Client, program_id: int | None) -> str | None:
    if client.staff_member_id is None or program_id is None:
        return None
    member = db.get_or_404(Staff, client.staff_member_id)
    if program_id in workplace_program_ids(member):
        return (
            "This client works in that program. Serving them there would make co-workers their providers. "
            "Choose another program, or refer them elsewhere (telehealth included)."
        )
    return None
