"""Lists and reports for the safeguards screens, and the determination review reminders.

Every list that names a client joins ``Client`` and is filtered in SQL by ``core.policy.scope(..., "client.safeguard",
Client)``, so the privacy officer never sees their own record and nobody else sees any. Functions that return a
``Select`` leave paging to the view (``db.paginate``); the helpers that take a page's ids answer in one query each.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import Select, case, exists, func, select
from sqlalchemy.orm import contains_eager, joinedload

from caseload.access import handlers_of, visible_clients
from caseload.models import Client, DeclaredRelationship, Determination, EmergencyGrant, SealedAccess
from core import timeutil
from core.database import contains_text, take_turns
from core.extensions import db
from core.models import Notification, Staff, StaffStatus
from core.policy import scope

REVIEW_WINDOW_DAYS = 14
OVERDUE = "overdue"
DUE = "due"


# Sealed records and their determinations ---------------------------------------------------------------------

def _latest_determinations() -> Select:
    """Each client's most recent determination id (a later determination replaces the earlier one)."""
    return select(Determination.client_id, func.max(Determination.id).label("id")).group_by(Determination.client_id)


def review_status(determination: Determination | None, today: date) -> str | None:
    """``"overdue"`` once the review date has passed, ``"due"`` within 14 days of it, else None."""
    if determination is None:
        return None
    if determination.review_on < today:
        return OVERDUE
    if determination.review_on <= today + timedelta(days=REVIEW_WINDOW_DAYS):
        return DUE
    return None


def sealed_clients(user: Staff, *, today: date, due_only: bool = False) -> Select:
    """Clients linked to a staff member that ``user`` manages safeguards for, by name."""
    statement = (
        select(Client)
        .where(Client.staff_member_id.is_not(None))
        .options(joinedload(Client.staff_member))
        .order_by(func.lower(Client.name), Client.id)
    )
    if due_only:
        latest = _latest_determinations().subquery()
        statement = statement.join(latest, latest.c.client_id == Client.id).join(
            Determination, Determination.id == latest.c.id
        ).where(Determination.review_on <= today + timedelta(days=REVIEW_WINDOW_DAYS))
    return scope(statement, user, "client.safeguard", Client)


def latest_determinations(client_ids: list[int]) -> dict[int, Determination]:
    """The latest determination of each of these clients, in one query."""
    if not client_ids:
        return {}
    latest = _latest_determinations().where(Determination.client_id.in_(client_ids)).subquery()
    rows = db.session.scalars(select(Determination).join(latest, latest.c.id == Determination.id))
    return {row.client_id: row for row in rows}


def _due_determinations(today: date) -> Select:
    latest = _latest_determinations().subquery()
    return (
        select(Determination.id, Determination.client_id, Determination.review_on, Client.staff_member_id)
        .join(latest, latest.c.id == Determination.id)
        .join(Client, Client.id == Determination.client_id)
        .where(
            Client.staff_member_id.is_not(None),
            Determination.review_on <= today + timedelta(days=REVIEW_WINDOW_DAYS),
        )
        .order_by(Determination.review_on, Determination.id)
    )


def due_determinations(today: date) -> Select:
    """The latest determination of each sealed record, due for review within 14 days or overdue (unscoped: callers
    add the ``client.safeguard`` scope)."""
    return _due_determinations(today)


@dataclass(frozen=True)
class DueCounts:
    due: int
    overdue: int

    @property
    def total(self) -> int:
        return self.due + self.overdue


def due_counts(user: Staff, today: date) -> DueCounts:
    """How many sealed records' reviews are overdue, and how many fall due within 14 days."""
    due_rows = scope(_due_determinations(today), user, "client.safeguard", Client).subquery()
    overdue = func.sum(case((due_rows.c.review_on < today, 1), else_=0))
    row = db.session.execute(select(func.count(), overdue).select_from(due_rows)).one()
    total, late = int(row[0] or 0), int(row[1] or 0)
    return DueCounts(due=total - late, overdue=late)


def determinations_for(client: Client) -> list[Determination]:
    return list(
        db.session.scalars(
            select(Determination)
            .where(Determination.client_id == client.id)
            .order_by(Determination.recorded_at.desc(), Determination.id.desc())
        )
    )


def path_for(endpoint: str, **values: object) -> str:
    """The path of a page, built without a request (the CLI has none): for links in notifications."""
    adapter = current_app.url_map.bind("localhost", script_name=current_app.config.get("APPLICATION_ROOT") or "/")
    return adapter.build(endpoint, values)


def review_link(client_id: int, determination_id: int) -> str:
    """The path to a determination on the safeguard client page."""
    return f"{path_for('caseload.safeguard_client', client_id=client_id)}#determination-{determination_id}"


def notify_due_reviews(today: date) -> int:
    """Tell whoever handles each record (``access.handlers_of``: its privacy officers, never the staff member it is
    linked to; the administrators when no privacy officer is left) about every determination whose review is due or
    overdue, once a day each.

    Returns the number of notifications written. The text names no client: the link leads to the record for people
    allowed to open it. Two runs at once (two servers' schedulers) take turns, so the second finds the first's.
    """
    take_turns("safeguards.remind")
    due = db.session.execute(_due_determinations(today)).all()
    if not due:
        return 0
    clients = {client.id: client for client in db.session.scalars(
        select(Client).where(Client.id.in_({row.client_id for row in due})))}
    recipients = {client_id: handlers_of(client) for client_id, client in clients.items()}
    links = {row.id: review_link(row.client_id, row.id) for row in due}
    since = timeutil.day_bounds(today)[0]  # once per agency day
    everyone = {person.id for people in recipients.values() for person in people}
    if not everyone:
        return 0
    already = {
        (staff_id, link)
        for staff_id, link in db.session.execute(
            select(Notification.staff_id, Notification.link).where(
                Notification.link.in_(list(links.values())),
                Notification.created_at >= since,
                Notification.staff_id.in_(everyone),
            )
        )
    }
    written = 0
    for row in due:
        late = row.review_on < today
        text = (
            f"A dual-relationship determination {'was due for review on' if late else 'is due for review by'} "
            f"{row.review_on:%d %B %Y}. Open it to review the decision."
        )
        for person in recipients[row.client_id]:
            if (person.id, links[row.id]) in already:
                continue
            db.session.add(Notification(staff_id=person.id, text=text, link=links[row.id]))
            written += 1
    db.session.flush()
    return written


# Linking -------------------------------------------------------------------------------------------------------

def client_search(user: Staff, name: str, date_of_birth: date | None) -> Select:
    """Clients matching part of a name and, when given, a date of birth; within the safeguards scope."""
    statement = select(Client).options(joinedload(Client.staff_member)).order_by(func.lower(Client.name), Client.id)
    if name:
        statement = statement.where(contains_text(Client.name, name) | contains_text(Client.preferred_name, name))
    if date_of_birth is not None:
        statement = statement.where(Client.date_of_birth == date_of_birth)
    return scope(statement, user, "client.safeguard", Client)


def linkable_staff(user: Staff) -> list[Staff]:
    """Active staff not yet linked to a client record, by name; never ``user``, who cannot handle their own record
    (so whether they are linked themselves is not shown by their absence either)."""
    linked = exists().where(Client.staff_member_id == Staff.id)
    return list(
        db.session.scalars(
            select(Staff)
            .where(Staff.status == StaffStatus.ACTIVE, ~linked, Staff.id != user.id)
            .order_by(func.lower(Staff.name), Staff.id)
        )
    )


# Emergency access ------------------------------------------------------------------------------------------------

def review_queue(user: Staff) -> Select:
    """Uses of emergency access not yet reviewed, oldest first."""
    statement = (
        select(EmergencyGrant)
        .join(Client, Client.id == EmergencyGrant.client_id)
        .options(contains_eager(EmergencyGrant.client))
        .where(EmergencyGrant.reviewed_at.is_(None))
        .order_by(EmergencyGrant.started_at, EmergencyGrant.id)
    )
    return scope(statement, user, "client.safeguard", Client)


def own_grants(user: Staff) -> Select:
    """The person's own uses of emergency access, newest first."""
    return (
        select(EmergencyGrant)
        .where(EmergencyGrant.staff_id == user.id)
        .order_by(EmergencyGrant.started_at.desc(), EmergencyGrant.id.desc())
    )


def still_visible(user: Staff, client_ids: list[int]) -> set[int]:
    """Which of these clients the person may see now: a relationship declared after an emergency grant hides the
    client again, name included, even while the grant runs."""
    if not client_ids:
        return set()
    return set(db.session.scalars(select(Client.id).where(Client.id.in_(client_ids), visible_clients(user))))


def reads_under(grant: EmergencyGrant) -> Select:
    return (
        select(SealedAccess)
        .where(SealedAccess.grant_id == grant.id)
        .order_by(SealedAccess.at, SealedAccess.id)
    )


# The access report ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AccessFilters:
    client: str = ""
    person_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None

    @property
    def any(self) -> bool:
        return bool(self.client or self.person_id or self.date_from or self.date_to)

    def as_args(self) -> dict[str, str]:
        args = {
            "client": self.client,
            "person": str(self.person_id or ""),
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
        }
        return {key: value for key, value in args.items() if value}


def _access_conditions(statement: Select, filters: AccessFilters) -> Select:
    if filters.client:
        statement = statement.where(contains_text(Client.name, filters.client))
    if filters.person_id:
        statement = statement.where(SealedAccess.staff_id == filters.person_id)
    if filters.date_from:
        statement = statement.where(SealedAccess.at >= timeutil.day_bounds(filters.date_from)[0])
    if filters.date_to:
        statement = statement.where(SealedAccess.at < timeutil.day_bounds(filters.date_to)[1])
    return statement


def access_report(user: Staff, filters: AccessFilters) -> Select:
    """Who opened which sealed record, when, under which grant; newest first."""
    statement = (
        select(SealedAccess)
        .join(Client, Client.id == SealedAccess.client_id)
        .options(contains_eager(SealedAccess.client))
        .order_by(SealedAccess.at.desc(), SealedAccess.id.desc())
    )
    return scope(_access_conditions(statement, filters), user, "client.safeguard", Client)


def access_people(user: Staff) -> list[tuple[int, str]]:
    """The people who appear in the access report, for its filter."""
    statement = (
        select(Staff.id, Staff.name)
        .join(SealedAccess, SealedAccess.staff_id == Staff.id)
        .join(Client, Client.id == SealedAccess.client_id)
        .distinct()
        .order_by(Staff.name, Staff.id)
    )
    return [(row.id, row.name) for row in db.session.execute(scope(statement, user, "client.safeguard", Client))]


ACCESS_CSV_HEADER = ("When (UTC)", "Person", "Email", "Client", "Client number", "What was opened", "Emergency grant")


def access_report_rows(user: Staff, filters: AccessFilters) -> Iterator[tuple[object, ...]]:
    """The whole filtered report as plain rows for the CSV download, read in batches."""
    statement = (
        select(SealedAccess.at, Staff.name, Staff.email, Client.name, Client.id, SealedAccess.what,
               SealedAccess.grant_id)
        .join(Client, Client.id == SealedAccess.client_id)
        .join(Staff, Staff.id == SealedAccess.staff_id)
        .order_by(SealedAccess.at.desc(), SealedAccess.id.desc())
    )
    statement = scope(_access_conditions(statement, filters), user, "client.safeguard", Client)
    for at, person, email, client, client_id, what, grant_id in db.session.execute(
        statement.execution_options(yield_per=500)
    ):
        yield (f"{at:%Y-%m-%d %H:%M:%S}", person, email, client, client_id, what, grant_id or "")


# Declared relationships --------------------------------------------------------------------------------------------

def declared_relationships(user: Staff) -> Select:
    """Every declared personal relationship, newest first."""
    statement = (
        select(DeclaredRelationship)
        .join(Client, Client.id == DeclaredRelationship.client_id)
        .order_by(DeclaredRelationship.declared_at.desc(), DeclaredRelationship.id.desc())
    )
    return scope(statement, user, "client.safeguard", Client)


def names_for(relationships: list[DeclaredRelationship]) -> tuple[dict[int, Client], dict[int, Staff]]:
    """The clients and staff a page of declared relationships names, one query each."""
    client_ids = {row.client_id for row in relationships}
    staff_ids = {row.staff_id for row in relationships}
    clients = {c.id: c for c in db.session.scalars(select(Client).where(Client.id.in_(client_ids)))} if client_ids \
        else {}
    staff = {s.id: s for s in db.session.scalars(select(Staff).where(Staff.id.in_(staff_ids)))} if staff_ids else {}
    return clients, staff
