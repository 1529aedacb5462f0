"""Contact notes: direct work with a client and indirect work that supports it (seed 003), with minutes, place and
the goal served. The minutes feed role fidelity in supervision (``minutes_by_kind``).

Every query that touches a client filters with the one visibility rule (``core.policy.scope`` on ``Client``).
Functions take the acting person, flush and audit (never the note text); the view commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, Select, case, func, or_, select

from caseload.models import DIRECT_WORK, OTHER_TASKS, Client, ContactNote, Place, Resource, WorkKind
from caseload.services.plans import current_version, today
from core import audit, policy
from core.errors import InvalidInput
from core.extensions import db
from core.models import Staff

MAX_MINUTES = 24 * 60
MAX_BODY = 20_000
EARLIEST = date(2000, 1, 1)
INDIRECT_WORK = tuple(kind for kind in WorkKind if kind not in DIRECT_WORK and kind not in OTHER_TASKS)
KINDS = frozenset(kind.value for kind in WorkKind)
PLACES = frozenset(place.value for place in Place)


@dataclass(frozen=True)
class NoteInput:
    happened_on: date | None  # None only while checking a form that has other problems too
    kind: str
    minutes: int
    place: str
    body: str
    goal_key: str | None = None
    resource_id: int | None = None


@dataclass(frozen=True)
class NoteFilters:
    kind: str = ""
    start: date | None = None
    end: date | None = None


DIRECT_GROUP = "Direct work with the client"
INDIRECT_GROUP = "Indirect work that supports it"
OTHER_GROUP = "Other tasks, not peer work"


def kind_choices(*, indirect_only: bool = False) -> list[tuple[str, str, str]]:
    """Kinds of work as (value, label, group), direct work first and other tasks (transport only, clerical) last,
    for a select list with groups."""
    direct = [] if indirect_only else [(kind.value, kind.label, DIRECT_GROUP) for kind in WorkKind if kind.is_direct]
    return (direct + [(kind.value, kind.label, INDIRECT_GROUP) for kind in INDIRECT_WORK]
            + [(kind.value, kind.label, OTHER_GROUP) for kind in WorkKind if kind in OTHER_TASKS])


def resource_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(select(Resource.id, Resource.name).order_by(Resource.name, Resource.id))
    return [(row.id, row.name) for row in rows]


def problems_with(note: NoteInput, client: Client | None, *, on: date) -> dict[str, str]:
    """What breaks the rules, as {form field name: message}."""
    problems: dict[str, str] = {}
    if note.happened_on is None:
        problems["happened_on"] = "Enter the date the work happened."
    elif note.happened_on > on:
        problems["happened_on"] = "The date is in the future. Enter the day the work happened."
    elif note.happened_on < EARLIEST:
        problems["happened_on"] = "Check the year: enter the day the work happened."
    if note.kind not in KINDS:
        problems["kind"] = "Choose the kind of work from the list."
    elif client is None and WorkKind(note.kind).is_direct:
        problems["kind"] = "Direct work is recorded on the client's notes page. Choose a kind of indirect work."
    if not 1 <= note.minutes <= MAX_MINUTES:
        problems["minutes"] = f"Enter the minutes spent, from 1 to {MAX_MINUTES} (24 hours)."
    if note.place not in PLACES:
        problems["place"] = "Choose where the work happened."
    if not note.body.strip():
        problems["body"] = "Write what happened."
    elif len(note.body) > MAX_BODY:
        problems["body"] = f"Use at most {MAX_BODY:,} characters."
    if note.goal_key:
        plan = current_version(client.id) if client is not None else None
        if plan is None or note.goal_key not in {goal.goal_key for goal in plan.goals}:
            problems["goal_key"] = "Choose a goal from the client's current plan, or no particular goal."
    if note.resource_id is not None and db.session.get(Resource, note.resource_id) is None:
        problems["resource_id"] = "That resource is no longer in the directory. Choose another, or none."
    return problems


def add_note(client: Client | None, note: NoteInput, actor: Staff) -> ContactNote:
    """Record a contact (with a client) or indirect work (``client`` None). ``direct`` follows the kind."""
    problems = problems_with(note, client, on=today())
    if problems:
        raise InvalidInput(problems)
    saved = ContactNote(
        client_id=client.id if client is not None else None,
        staff_id=actor.id,
        happened_on=note.happened_on,
        kind=note.kind,
        direct=WorkKind(note.kind).is_direct,
        minutes=note.minutes,
        place=note.place,
        goal_key=note.goal_key or None,
        resource_id=note.resource_id,
        body=note.body,
    )
    db.session.add(saved)
    db.session.flush()
    if client is not None:
        audit.record("note.added", actor=actor, record_type="client", record_id=client.id,
                     detail=f"contact note {saved.id}")
    else:
        audit.record("note.added", actor=actor, record_type="contact_note", record_id=saved.id,
                     detail="indirect work")
    return saved


# Lists ------------------------------------------------------------------------------------------------------


def client_notes_query(client: Client, viewer: Staff, *, kind: str = "") -> Select:
    """One client's notes, newest first, through the visibility rule."""
    statement = (
        select(ContactNote)
        .join(Client, Client.id == ContactNote.client_id)
        .where(ContactNote.client_id == client.id)
    )
    if kind:
        statement = statement.where(ContactNote.kind == kind)
    statement = policy.scope(statement, viewer, "client.view", Client)
    return statement.order_by(ContactNote.happened_on.desc(), ContactNote.written_at.desc(), ContactNote.id.desc())


def _own_notes_conditions(actor: Staff, filters: NoteFilters) -> list[ColumnElement[bool]]:
    """The person's own notes, leaving out notes on clients they can no longer see (moved, sealed, declared)."""
    visible_ids = policy.scope(select(Client.id), actor, "client.view", Client)
    conditions: list[ColumnElement[bool]] = [
        ContactNote.staff_id == actor.id,
        or_(ContactNote.client_id.is_(None), ContactNote.client_id.in_(visible_ids)),
    ]
    if filters.kind:
        conditions.append(ContactNote.kind == filters.kind)
    if filters.start is not None:
        conditions.append(ContactNote.happened_on >= filters.start)
    if filters.end is not None:
        conditions.append(ContactNote.happened_on <= filters.end)
    return conditions


def own_notes_query(actor: Staff, filters: NoteFilters) -> Select:
    return (
        select(ContactNote)
        .where(*_own_notes_conditions(actor, filters))
        .order_by(ContactNote.happened_on.desc(), ContactNote.written_at.desc(), ContactNote.id.desc())
    )


def own_minutes(actor: Staff, filters: NoteFilters) -> tuple[int, int]:
    """(total minutes, direct minutes) of the notes the filters select, summed in SQL."""
    direct = func.sum(case((ContactNote.direct.is_(True), ContactNote.minutes), else_=0))
    row = db.session.execute(
        select(func.coalesce(func.sum(ContactNote.minutes), 0), func.coalesce(direct, 0)).where(
            *_own_notes_conditions(actor, filters)
        )
    ).one()
    return int(row[0]), int(row[1])


def client_names(client_ids: Iterable[int], viewer: Staff) -> dict[int, str]:
    """Display names of the clients on one page of notes, in one query, through the visibility rule."""
    wanted = sorted({client_id for client_id in client_ids if client_id is not None})
    if not wanted:
        return {}
    statement = policy.scope(
        select(Client.id, Client.name, Client.preferred_name).where(Client.id.in_(wanted)), viewer, "client.view",
        Client,
    )
    return {
        row.id: f"{row.preferred_name} ({row.name})" if row.preferred_name else row.name
        for row in db.session.execute(statement)
    }


def minutes_by_kind(staff_id: int, start: date, end: date) -> list[tuple[str, bool, int]]:
    """Minutes a staff member recorded per kind of work between two dates (both included), summed in SQL, for
    role fidelity: [(kind, direct, minutes)], direct work first, then by kind."""
    total = func.sum(ContactNote.minutes)
    rows = db.session.execute(
        select(ContactNote.kind, ContactNote.direct, total)
        .where(ContactNote.staff_id == staff_id, ContactNote.happened_on >= start, ContactNote.happened_on <= end)
        .group_by(ContactNote.kind, ContactNote.direct)
        .order_by(ContactNote.direct.desc(), ContactNote.kind)
    )
    return [(kind, bool(direct), int(minutes)) for kind, direct, minutes in rows]
