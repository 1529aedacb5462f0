"""Client lists for the caseload screens: my caseload, all clients, needs reassignment, and the CSV export.

Every statement here starts from ``Client`` and goes through ``core.policy.scope(..., "client.view", Client)``, so
a sealed record, a declared relationship or a client outside the person's programs never reaches a list, a count,
a search or an export. Loading is batched so the number of queries does not grow with the number of rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, exists, func, not_, or_, select
from sqlalchemy.orm import joinedload

from caseload.access import PROVIDER_ROLES
from caseload.models import (
    Assignment,
    AssignmentKind,
    Client,
    ClientStatus,
    Consent,
    DeclaredRelationship,
    EmergencyGrant,
    SealedAccess,
)
from caseload.services.clients import active_assignments, needs_reassignment_condition
from core import audit, policy
from core.csvfiles import csv_lines
from core.database import contains_text
from core.extensions import db
from core.models import Program, Staff, StaffRole, StaffStatus
from core.timeutil import utcnow

EXPORT_BATCH = 500
# A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection"); tab and carriage
# return too, because some spreadsheets strip them and read the rest as a formula.
EXPORT_HEADER = (
    "Name",
    "Preferred name",
    "Pronouns",
    "Date of birth",
    "Phone",
    "Program",
    "Status",
    "Peer specialists",
    "Clinicians",
)


def visible(statement: Select, user: Staff) -> Select:
    """Only the clients ``user`` may see (the one visibility rule, as SQL)."""
    return policy.scope(statement, user, "client.view", Client)


def _digits(column: ColumnElement[str]) -> ColumnElement[str]:
    for character in (" ", "-", "(", ")", ".", "+", "/"):
        column = func.replace(column, character, "")
    return column


def search_condition(q: str, *, phone: bool = True) -> ColumnElement[bool]:
    """Name or preferred name containing ``q``; a phone number matches on its digits alone."""
    found: list[ColumnElement[bool]] = [
        contains_text(Client.name, q),
        contains_text(Client.preferred_name, q),
    ]
    if phone:
        digits = re.sub(r"\D", "", q)
        if len(digits) >= 3 and re.fullmatch(r"[\d\s()+./-]+", q):
            found.append(_digits(Client.phone).contains(digits))
        found.append(Client.phone.icontains(q, autoescape=True))
    return or_(*found)


def _name_order(statement: Select) -> Select:
    return statement.order_by(func.lower(Client.name), Client.id)


def _for_rows(statement: Select) -> Select:
    # A row shows the program's name; its teams (loaded with every program by default) are not needed.
    return statement.options(joinedload(Client.program).lazyload(Program.teams))


def _assigned_to(staff_id: int) -> ColumnElement[bool]:
    return exists().where(
        Assignment.client_id == Client.id, Assignment.ended_at.is_(None), Assignment.staff_id == staff_id
    )


# My caseload -----------------------------------------------------------------------------------------------


def has_caseload(user: Staff) -> bool:
    """Peer specialists, clinicians and supervisors carry clients; the other roles do not."""
    return user.has_role(*PROVIDER_ROLES)


def my_clients_query(user: Staff, q: str = "") -> Select:
    """The clients currently assigned to ``user`` that they may see, in name order, ready for ``db.paginate``."""
    statement = visible(select(Client).where(_assigned_to(user.id)), user)
    if q:
        statement = statement.where(search_condition(q, phone=False))
    return _for_rows(_name_order(statement))


@dataclass(frozen=True)
class CaseloadCounts:
    mine: int
    needs_reassignment: int


def caseload_counts(user: Staff) -> CaseloadCounts:
    """Both counts in one statement, each inside the visibility scope."""
    mine = visible(select(func.count(Client.id)).where(_assigned_to(user.id)), user).scalar_subquery()
    waiting = visible(
        select(func.count(Client.id)).where(needs_reassignment_condition()), user
    ).scalar_subquery()
    row = db.session.execute(select(mine.label("mine"), waiting.label("waiting"))).one()
    return CaseloadCounts(mine=row.mine or 0, needs_reassignment=row.waiting or 0)


# All clients -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientFilters:
    q: str = ""
    status: str = ""
    program_id: int | None = None
    provider_id: int | None = None

    @property
    def any(self) -> bool:
        return bool(self.q or self.status or self.program_id or self.provider_id)

    def as_args(self) -> dict[str, str | int]:
        """The filters as query-string arguments, for links that keep them (pages, CSV download)."""
        args: dict[str, str | int | None] = {
            "q": self.q, "status": self.status, "program": self.program_id, "provider": self.provider_id
        }
        return {key: value for key, value in args.items() if value}


def _filtered(statement: Select, filters: ClientFilters) -> Select:
    if filters.q:
        statement = statement.where(search_condition(filters.q))
    if filters.status:
        statement = statement.where(Client.status == filters.status)
    if filters.program_id is not None:
        statement = statement.where(Client.program_id == filters.program_id)
    if filters.provider_id is not None:
        # One staff member's caseload, within what the viewer may see anyway.
        statement = statement.where(
            exists().where(
                Assignment.client_id == Client.id,
                Assignment.staff_id == filters.provider_id,
                Assignment.ended_at.is_(None),
            )
        )
    return statement


def clients_query(user: Staff, filters: ClientFilters) -> Select:
    """Every client ``user`` may see, filtered, in name order, ready for ``db.paginate``."""
    return _for_rows(_name_order(_filtered(visible(select(Client), user), filters)))


def needs_reassignment_query(user: Staff) -> Select:
    """Active or referred clients with no active provider, within ``user``'s scope, oldest first."""
    statement = visible(select(Client).where(needs_reassignment_condition()), user)
    return _for_rows(statement.order_by(Client.created_at, Client.id))


def programs() -> list[Program]:
    return list(db.session.scalars(select(Program).order_by(func.lower(Program.name))))


def program_choices() -> list[tuple[int, str]]:
    """(id, "Name (CODE)") of every program, by name: the filter's choices, without loading programs and teams."""
    rows = db.session.execute(select(Program.id, Program.name, Program.code).order_by(func.lower(Program.name)))
    return [(row.id, f"{row.name} ({row.code})") for row in rows]


@dataclass(frozen=True)
class ProviderName:
    id: int
    name: str
    status: str


@dataclass(frozen=True)
class CurrentProvider:
    """What a list row shows of a current assignment: its kind and who holds it (read as plain columns)."""

    staff_id: int
    kind: str
    staff: ProviderName


def providers_by_client(clients: Iterable[Client]) -> dict[int, list[CurrentProvider]]:
    """The current providers of every client on a page, in one query of the few columns the lists show."""
    found: dict[int, list[CurrentProvider]] = {client.id: [] for client in clients}
    if not found:
        return found
    rows = db.session.execute(
        select(Assignment.client_id, Assignment.kind, Staff.id, Staff.name, Staff.status)
        .join(Staff, Staff.id == Assignment.staff_id)
        .where(Assignment.client_id.in_(list(found)), Assignment.ended_at.is_(None))
        .order_by(Assignment.assigned_at, Assignment.id)
    )
    for row in rows:
        found[row.client_id].append(CurrentProvider(row.id, row.kind, ProviderName(row.id, row.name, row.status)))
    return found


# One client's record ----------------------------------------------------------------------------------------


def assignments_of(client: Client) -> list[Assignment]:
    """Current and past assignments, newest first (the provider is loaded with them)."""
    return list(
        db.session.scalars(
            select(Assignment)
            .where(Assignment.client_id == client.id)
            .order_by(Assignment.assigned_at.desc(), Assignment.id.desc())
        )
    )


def consents_of(client: Client) -> list[Consent]:
    return list(
        db.session.scalars(
            select(Consent).where(Consent.client_id == client.id).order_by(Consent.signed_on.desc(), Consent.id.desc())
        )
    )


def caseload_owner_choices(user: Staff) -> list[tuple[int, str]]:
    """Whose caseload ``user`` may list: their own, and the people they supervise (directly or not)."""
    from caseload.access import supervised_by

    ids = [user.id, *supervised_by(user.id)]
    rows = db.session.execute(
        select(Staff.id, Staff.name)
        .where(Staff.id.in_(ids), Staff.status == StaffStatus.ACTIVE,
               exists().where(StaffRole.staff_id == Staff.id, StaffRole.role.in_(PROVIDER_ROLES)))
        .order_by(func.lower(Staff.name), Staff.id)
    )
    return [(row.id, "You" if row.id == user.id else row.name) for row in rows]


def provider_choices(client: Client | None) -> list[tuple[int, str]]:
    """Active staff with a provider role, minus anyone who declared a personal relationship with this client."""
    has_provider_role = exists().where(StaffRole.staff_id == Staff.id, StaffRole.role.in_(PROVIDER_ROLES))
    conditions = [Staff.status == StaffStatus.ACTIVE, has_provider_role]
    if client is not None:
        conditions.append(
            not_(exists().where(DeclaredRelationship.staff_id == Staff.id, DeclaredRelationship.client_id == client.id))
        )
    rows = db.session.execute(
        select(Staff.id, Staff.name, Staff.job_title)
        .where(*conditions)
        .order_by(func.lower(Staff.name), Staff.id)
    )
    return [(row.id, f"{row.name} ({row.job_title})" if row.job_title else row.name) for row in rows]


# CSV export -------------------------------------------------------------------------------------------------


def export_ids(user: Staff, filters: ClientFilters) -> list[tuple[int, bool]]:
    """(id, sealed) of every client in the export, in list order."""
    statement = _name_order(_filtered(visible(select(Client.id, Client.staff_member_id), user), filters))
    return [(row.id, row.staff_member_id is not None) for row in db.session.execute(statement)]


def record_export(rows: list[tuple[int, bool]], actor: Staff) -> None:
    """One audit entry for the export (a count, never names); each sealed record in it goes to the access report."""
    audit.record("client.exported", actor=actor, record_type="client", detail=f"CSV of {len(rows)} clients")
    sealed = [client_id for client_id, is_sealed in rows if is_sealed]
    if not sealed:
        return
    grants = {
        row.client_id: row.id
        for row in db.session.execute(
            select(EmergencyGrant.client_id, EmergencyGrant.id).where(
                EmergencyGrant.staff_id == actor.id,
                EmergencyGrant.client_id.in_(sealed),
                EmergencyGrant.ended_at.is_(None),
                EmergencyGrant.expires_at > utcnow(),
            )
        )
    }
    db.session.add_all(
        SealedAccess(client_id=client_id, staff_id=actor.id, grant_id=grants.get(client_id), what="clients CSV export")
        for client_id in sealed
    )
    db.session.flush()


def export_rows(client_ids: list[int]) -> Iterator[list[str]]:
    """The header, then one row per client in the order given, loaded EXPORT_BATCH at a time."""
    yield list(EXPORT_HEADER)
    for start in range(0, len(client_ids), EXPORT_BATCH):
        chunk = client_ids[start : start + EXPORT_BATCH]
        loaded = db.session.scalars(_for_rows(select(Client).where(Client.id.in_(chunk))))
        found = {client.id: client for client in loaded}
        providers = active_assignments(chunk)
        for client_id in chunk:
            client = found[client_id]
            current = providers[client_id]
            yield [
                client.name,
                client.preferred_name,
                client.pronouns,
                client.date_of_birth.isoformat() if client.date_of_birth else "",
                client.phone,
                client.program.name if client.program else "",
                ClientStatus(client.status).label,
                "; ".join(a.staff.name for a in current if a.kind == AssignmentKind.PEER),
                "; ".join(a.staff.name for a in current if a.kind == AssignmentKind.CLINICIAN),
            ]


def csv_text(rows: Iterable[Iterable[object]]) -> str:
    """The rows as CSV text, with the byte-order mark Excel needs, every cell safe for spreadsheets."""
    return "".join(csv_lines(rows))
