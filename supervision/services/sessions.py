"""Logging a supervision session, changing it, its private wellness parts, sign-offs and action items.

The shared part of a session has revisions. Saving it before anyone signed it off changes the current revision;
saving a change after a sign-off makes a new revision (the one signed stays in the history) and every attendee is
asked to sign again. Who attended and whether it was one-to-one or a group are fixed once logged: an attendee's
private part and sign-offs belong to them.

Every change is audited by what happened and to which record, never with the words written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any

from sqlalchemy import ScalarSelect, Select, and_, func, or_, select, update
from sqlalchemy import delete as delete_statement

from core import audit, edits, timeutil
from core.errors import InvalidInput, Refused
from core.extensions import db
from core.models import Role, Staff, StaffRole, StaffStatus
from supervision.models import ActionItem, Attendee, Format, Kind, Meeting, Revision, SignOff
from supervision.services import access, topics

MAX_ITEMS_AT_ONCE = 5
EARLIEST = date(2000, 1, 1)


@dataclass(frozen=True)
class NewItem:
    text: str
    owner: str  # "them:<staff id>": the supervisee does it; "me:<staff id>": the supervisor does it, for them
    due_on: date | None
    row: int | None = None  # the form's row it came from (rows left empty are not sent), to name its problems


@dataclass(frozen=True)
class SessionDetails:
    held_on: date | None
    starts_at: time | None
    duration_minutes: int | None
    format: str
    topics: list[str]
    notes: str
    decisions: str
    kind: str = Kind.ONE_TO_ONE
    attendee_ids: list[int] = field(default_factory=list)
    co_facilitator_id: int | None = None
    items: list[NewItem] = field(default_factory=list)


# Choices the forms offer -----------------------------------------------------------------------------------------


def _supervisees_query(supervisor: Staff, below: list[int] | Select[tuple[int]], *columns: Any) -> Select[Any]:
    return select(*columns).where(Staff.id.in_(below), Staff.status == StaffStatus.ACTIVE, Staff.id != supervisor.id)


def supervisees(supervisor: Staff) -> list[Staff]:
    """The active people below ``supervisor`` in the chain, by name: whom they may log a session with."""
    below = access.reports(supervisor)
    if not below:
        return []
    return list(db.session.scalars(_supervisees_query(supervisor, below, Staff).order_by(Staff.name, Staff.id)))


def supervisee_ids(supervisor: Staff) -> set[int]:
    """The ids of ``supervisees``, in one query, without loading the people (and their roles and teams)."""
    below = access.reports_query(supervisor)
    if below is None:
        return set()
    return set(db.session.scalars(_supervisees_query(supervisor, below, Staff.id), {"person": supervisor.id}))


def _co_facilitators_query(supervisor: Staff, *columns: Any) -> Select[Any]:
    return (
        select(*columns)
        .join(StaffRole, StaffRole.staff_id == Staff.id)
        .where(StaffRole.role == Role.SUPERVISOR, Staff.status == StaffStatus.ACTIVE, Staff.id != supervisor.id)
    )


def co_facilitators(supervisor: Staff) -> list[Staff]:
    """The other active supervisors, by name."""
    return list(db.session.scalars(_co_facilitators_query(supervisor, Staff).order_by(Staff.name, Staff.id)))


def co_facilitator_ids(supervisor: Staff) -> set[int]:
    """The ids of ``co_facilitators``, without loading the people."""
    return set(db.session.scalars(_co_facilitators_query(supervisor, Staff.id)))


def owner_choices(people: Iterable[Staff]) -> list[tuple[str, str]]:
    """Who does an action item: each supervisee, or the supervisor on a supervisee's behalf."""
    pairs: list[tuple[str, str]] = []
    for person in people:
        pairs.append((f"them:{person.id}", person.name))
        pairs.append((f"me:{person.id}", f"You (the supervisor), for {person.name}"))
    return pairs


# Checking --------------------------------------------------------------------------------------------------------


def _shared_problems(details: SessionDetails) -> dict[str, str]:
    problems: dict[str, str] = {}
    if details.held_on is None:
        problems["held_on"] = "Enter the day of the session, for example 2026-03-15."
    elif details.held_on < EARLIEST:
        problems["held_on"] = "Enter a day from the year 2000 on."
    elif details.held_on > timeutil.today():
        problems["held_on"] = "Log a session once it has taken place: this day is still ahead."
    if details.starts_at is None:
        problems["starts_at"] = "Enter the time it started, for example 14:30."
    if details.duration_minutes is None or not 5 <= details.duration_minutes <= 600:
        problems["duration_minutes"] = "Enter how long it lasted, in minutes, between 5 and 600."
    if details.format not in set(Format):
        problems["format"] = "Choose in person, phone or video."
    if not topics.all_known(details.topics):
        problems["topics"] = "Choose topics from the list shown."
    return problems


def _attendee_problems(details: SessionDetails, supervisor: Staff) -> dict[str, str]:
    problems: dict[str, str] = {}
    allowed = supervisee_ids(supervisor)
    chosen = list(dict.fromkeys(details.attendee_ids))
    if details.kind not in set(Kind):
        problems["kind"] = "Choose one-to-one or group."
    if not chosen:
        problems["attendee_ids"] = "Choose who attended."
    elif any(staff_id not in allowed for staff_id in chosen):
        problems["attendee_ids"] = "Choose people you supervise from the list shown."
    elif details.kind == Kind.ONE_TO_ONE and len(chosen) != 1:
        problems["attendee_ids"] = "A one-to-one session has one attendee. Choose one, or choose a group session."
    if details.co_facilitator_id is not None:
        if details.kind != Kind.GROUP:
            problems["co_facilitator_id"] = "Only a group session has a co-facilitator. Leave it empty."
        elif details.co_facilitator_id not in co_facilitator_ids(supervisor):
            problems["co_facilitator_id"] = "Choose another supervisor from the list shown."
    return problems


def _item_problems(items: list[NewItem], attendee_ids: set[int]) -> dict[str, str]:
    problems: dict[str, str] = {}
    for position, item in enumerate(items):
        number = position if item.row is None else item.row
        kind, _, raw = item.owner.partition(":")
        if kind not in {"me", "them"} or not raw.isdigit():
            problems[f"items-{number}-owner"] = "Choose who does it from the list shown."
        elif int(raw) not in attendee_ids:
            problems[f"items-{number}-owner"] = (
                "That person did not attend this session. Choose someone who did, or tick them under “Who attended”."
            )
        if item.due_on is not None and item.due_on < EARLIEST:
            problems[f"items-{number}-due_on"] = "Enter a due date from the year 2000 on."
    return problems


# Changes ---------------------------------------------------------------------------------------------------------


def _place_in_time(meeting: Meeting | Revision, details: SessionDetails) -> None:
    if details.held_on is None or details.starts_at is None:  # checked before; kept for the type checker
        raise InvalidInput({"held_on": "Enter the day and the time of the session."})
    meeting.held_at = timeutil.from_local(details.held_on, details.starts_at)
    if isinstance(meeting, Meeting):
        meeting.held_on = details.held_on
        meeting.held_month = details.held_on.replace(day=1)


def _copy_shared(target: Meeting | Revision, details: SessionDetails) -> None:
    _place_in_time(target, details)
    target.duration_minutes = details.duration_minutes or 0
    target.format = details.format
    target.topics = "\n".join(dict.fromkeys(details.topics))
    target.notes = details.notes
    target.decisions = details.decisions


def _snapshot(meeting: Meeting, actor: Staff) -> Revision:
    revision = Revision(meeting_id=meeting.id, number=meeting.revision, saved_by_id=actor.id)
    for name in ("held_at", "duration_minutes", "format", "topics", "notes", "decisions"):
        setattr(revision, name, getattr(meeting, name))
    db.session.add(revision)
    return revision


def _add_items(meeting: Meeting, items: list[NewItem], supervisor: Staff) -> None:
    for item in items:
        kind, _, raw = item.owner.partition(":")
        supervisee_id = int(raw)
        db.session.add(
            ActionItem(
                meeting_id=meeting.id,
                supervisee_id=supervisee_id,
                owner_id=supervisor.id if kind == "me" else supervisee_id,
                text=item.text,
                due_on=item.due_on,
            )
        )


def log(details: SessionDetails, supervisor: Staff) -> Meeting:
    """A new session, its first revision, its attendees and the action items raised at it."""
    if not access.is_supervisor(supervisor):
        raise Refused("Only a supervisor logs supervision sessions.")
    problems = _shared_problems(details) | _attendee_problems(details, supervisor)
    attendee_ids = list(dict.fromkeys(details.attendee_ids))
    problems |= _item_problems(details.items, set(attendee_ids))
    if problems:
        raise InvalidInput(problems)
    meeting = Meeting(
        supervisor_id=supervisor.id,
        co_facilitator_id=details.co_facilitator_id,
        kind=details.kind,
        attendees=[Attendee(staff_id=staff_id) for staff_id in attendee_ids],
    )
    _copy_shared(meeting, details)
    db.session.add(meeting)
    db.session.flush()
    _snapshot(meeting, supervisor)
    _add_items(meeting, details.items, supervisor)
    audit.record(
        "supervision.session_logged",
        actor=supervisor,
        record_type="supervision_meeting",
        record_id=meeting.id,
        detail=f"{meeting.kind}, {len(attendee_ids)} attendee(s)",
    )
    db.session.flush()
    return meeting


def signed_current(meeting: Meeting) -> bool:
    """True when anyone signed off (or answered) the current revision."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(SignOff)
            .join(Attendee, Attendee.id == SignOff.attendee_id)
            .where(Attendee.meeting_id == meeting.id, SignOff.revision == meeting.revision)
        )
        or 0
    ) > 0


def _shared_differs(meeting: Meeting, details: SessionDetails) -> bool:
    probe = Revision()
    _copy_shared(probe, details)
    return any(
        getattr(probe, name) != getattr(meeting, name)
        for name in ("held_at", "duration_minutes", "format", "topics", "notes", "decisions")
    )


def edit(meeting: Meeting, details: SessionDetails, version: object, actor: Staff) -> bool:
    """Save a change to the shared part and add action items. Returns True when it made a new revision that
    everyone is asked to sign again."""
    if actor.id != meeting.supervisor_id:
        raise Refused("Only the supervisor who led the session changes its record.")
    edits.expect_version(meeting, version)
    attendee_ids = {attendee.staff_id for attendee in meeting.attendees}
    problems = _shared_problems(details) | _item_problems(details.items, attendee_ids)
    if problems:
        raise InvalidInput(problems)
    changed = _shared_differs(meeting, details)
    new_revision = changed and signed_current(meeting)
    if changed:
        _copy_shared(meeting, details)
        meeting.updated_at = timeutil.utcnow()
        if new_revision:
            meeting.revision += 1
            _snapshot(meeting, actor)
        else:
            current = db.session.scalar(
                select(Revision).where(Revision.meeting_id == meeting.id, Revision.number == meeting.revision)
            )
            if current is None:
                _snapshot(meeting, actor)
            else:
                _copy_shared(current, details)
                current.saved_at, current.saved_by_id = timeutil.utcnow(), actor.id
    if details.items:
        _add_items(meeting, details.items, actor)
    if details.items and not changed:
        edits.bump(meeting)  # only linked rows changed: the next stale form must still be caught
    if changed or details.items:
        audit.record(
            "supervision.session_changed",
            actor=actor,
            record_type="supervision_meeting",
            record_id=meeting.id,
            detail=f"revision {meeting.revision}" + (", sign-off asked again" if new_revision else ""),
        )
    edits.flush()
    return new_revision


def write_private(meeting: Meeting, attendee: Attendee, text: str, version: object, actor: Staff) -> None:
    """The private wellness part of one attendee: written by the session's supervisor only."""
    if actor.id != meeting.supervisor_id or attendee.meeting_id != meeting.id:
        raise Refused("Only the supervisor who led the session writes its private wellness part.")
    edits.expect_version(attendee, version)
    if text != attendee.private_note:
        attendee.private_note = text
        attendee.private_updated_at = timeutil.utcnow()
        audit.record(
            "supervision.private_saved",
            actor=actor,
            record_type="supervision_attendee",
            record_id=attendee.id,
            detail=f"session {meeting.id}",
        )
    edits.flush()


def answer(meeting: Meeting, attendee: Attendee, revision: object, agrees: bool, comment: str, actor: Staff) -> None:
    """The attendee signs off the current revision, or says what they disagree with."""
    if actor.id != attendee.staff_id or attendee.meeting_id != meeting.id:
        raise Refused("Only the attendee signs off their own session record.")
    if edits.submitted_version(revision) != meeting.revision:
        raise Refused("The record changed while you were reading it. Read it again, then sign it off.")
    if not agrees and not comment.strip():
        raise InvalidInput({"comment": "Say what you disagree with, so your supervisor can answer it."})
    db.session.add(SignOff(attendee_id=attendee.id, revision=meeting.revision, agrees=agrees, comment=comment))
    audit.record(
        "supervision.signed_off" if agrees else "supervision.disagreed",
        actor=actor,
        record_type="supervision_meeting",
        record_id=meeting.id,
        detail=f"revision {meeting.revision}",
    )
    db.session.flush()


def may_close(item: ActionItem, actor: Staff) -> bool:
    """The supervisee it is for, and any supervisor above them, close an action item."""
    return actor.id == item.supervisee_id or access.supervises(actor, item.supervisee_id)


def closer(actor: Staff) -> Callable[[ActionItem], bool]:
    """``may_close`` for a list of items, asking the supervisor chain once."""
    below = set(access.reports(actor)) - {actor.id} if access.is_supervisor(actor) else set()
    return lambda item: item.supervisee_id == actor.id or item.supervisee_id in below


def close_item(item: ActionItem, note: str, actor: Staff) -> None:
    if not may_close(item, actor):
        raise Refused("Only the person it is for, or their supervisor, closes this action item.")
    if item.closed_at is not None:
        raise Refused("This action item was closed already.")
    item.closed_at = timeutil.utcnow()
    item.closed_by_id = actor.id
    item.close_note = note
    audit.record(
        "supervision.action_closed",
        actor=actor,
        record_type="supervision_action_item",
        record_id=item.id,
        detail=f"session {item.meeting_id}",
    )
    db.session.flush()


def answered_by(meeting: Meeting) -> list[str]:
    """The names of the attendees who signed off or answered any version of the record (locking their attendance
    rows on PostgreSQL, so a sign-off cannot slip in while the record is being deleted)."""
    return list(db.session.scalars(
        select(Staff.name)
        .join(Attendee, Attendee.staff_id == Staff.id)
        .where(Attendee.meeting_id == meeting.id,
               select(SignOff.id).where(SignOff.attendee_id == Attendee.id).exists())
        .order_by(Staff.name)
    ))


def _lock_attendance(meeting: Meeting) -> None:
    db.session.execute(select(Attendee.id).where(Attendee.meeting_id == meeting.id).with_for_update())


def delete(meeting: Meeting, version: object, actor: Staff) -> None:
    """Delete a session record nobody has answered yet (its attendance, private parts, versions and the action
    items raised at it go with it), by the supervisor who led it. Refused once anyone signed off or disagreed:
    then the record is kept as answered (change it instead; the history keeps every version). Audited with the
    kind and the number of attendees, never the words."""
    if actor.id != meeting.supervisor_id:
        raise Refused("Only the supervisor who led the session deletes its record.")
    edits.expect_version(meeting, version)
    _lock_attendance(meeting)
    answered = answered_by(meeting)
    if answered:
        raise Refused(f"{' and '.join(answered)} answered this record, so it is kept. Change it instead: "
                      "the history keeps every version.")
    audit.record(
        "supervision.session_deleted",
        actor=actor,
        record_type="supervision_meeting",
        record_id=meeting.id,
        detail=f"{meeting.kind}, {len(meeting.attendees)} attendee(s)",
    )
    db.session.execute(delete_statement(ActionItem).where(ActionItem.meeting_id == meeting.id))
    db.session.execute(delete_statement(Revision).where(Revision.meeting_id == meeting.id))
    db.session.delete(meeting)  # its attendance rows (and private parts) go with it
    edits.flush()


# Reading ---------------------------------------------------------------------------------------------------------


def read(meeting: Meeting, actor: Staff, what: str = "session") -> None:
    """Every read of a session record is audited (the event, never the content)."""
    audit.record(
        f"supervision.{what}_read", actor=actor, record_type="supervision_meeting", record_id=meeting.id
    )


def attendee_of(meeting: Meeting, staff_id: int) -> Attendee | None:
    return next((attendee for attendee in meeting.attendees if attendee.staff_id == staff_id), None)


def raised_at(meeting: Meeting) -> list[ActionItem]:
    return list(
        db.session.scalars(select(ActionItem).where(ActionItem.meeting_id == meeting.id).order_by(ActionItem.id))
    )


def carried_over(meeting: Meeting, viewer: Staff) -> list[ActionItem]:
    """Action items raised at earlier sessions for this session's attendees that were still open when it was held.
    An attendee sees only their own; the co-facilitator none (they are another supervisor's reports' items)."""
    if viewer.id == meeting.supervisor_id:
        people = [attendee.staff_id for attendee in meeting.attendees]
    elif attendee_of(meeting, viewer.id) is not None:
        people = [viewer.id]
    else:
        return []
    earlier = select(Meeting.id).where(Meeting.held_at < meeting.held_at)
    return list(
        db.session.scalars(
            select(ActionItem)
            .where(
                ActionItem.supervisee_id.in_(people),
                ActionItem.meeting_id.in_(earlier),
                or_(ActionItem.closed_at.is_(None), ActionItem.closed_at > meeting.held_at),
            )
            .order_by(ActionItem.due_on.is_(None), ActionItem.due_on, ActionItem.id)
        )
    )


def open_items(staff_ids: list[int]) -> list[ActionItem]:
    """The open action items for these supervisees, soonest due first."""
    if not staff_ids:
        return []
    return list(
        db.session.scalars(
            select(ActionItem)
            .where(ActionItem.supervisee_id.in_(staff_ids), ActionItem.closed_at.is_(None))
            .order_by(ActionItem.due_on.is_(None), ActionItem.due_on, ActionItem.id)
        )
    )


def answers(meeting: Meeting) -> dict[int, SignOff]:
    """Each attendee's latest answer to the current revision, by attendee id."""
    rows = db.session.scalars(
        select(SignOff)
        .join(Attendee, Attendee.id == SignOff.attendee_id)
        .where(Attendee.meeting_id == meeting.id, SignOff.revision == meeting.revision)
        .order_by(SignOff.id)
    )
    return {row.attendee_id: row for row in rows}


def history(meeting: Meeting) -> tuple[list[Revision], list[SignOff]]:
    revisions = list(
        db.session.scalars(select(Revision).where(Revision.meeting_id == meeting.id).order_by(Revision.number.desc()))
    )
    signoffs = list(
        db.session.scalars(
            select(SignOff)
            .join(Attendee, Attendee.id == SignOff.attendee_id)
            .where(Attendee.meeting_id == meeting.id)
            .order_by(SignOff.at, SignOff.id)
        )
    )
    return revisions, signoffs


def waiting_for(staff_id: int) -> list[Meeting]:
    """Sessions whose current revision this person attended and has not answered."""
    answered = (
        select(SignOff.id)
        .where(SignOff.attendee_id == Attendee.id, SignOff.revision == Meeting.revision)
        .exists()
    )
    return list(
        db.session.scalars(
            select(Meeting)
            .join(Attendee, and_(Attendee.meeting_id == Meeting.id, Attendee.staff_id == staff_id))
            .where(~answered)
            .order_by(Meeting.held_at.desc())
        )
    )


def to_do_subqueries(staff_id: int, today: date) -> tuple[ScalarSelect[int], ScalarSelect[int]]:
    """The two counts of a home page's to-do list as scalar subqueries, for a provider's one SELECT: how many
    session records wait for this person's sign-off, and how many open action items for them are due by ``today``."""
    answered = (
        select(SignOff.id)
        .where(SignOff.attendee_id == Attendee.id, SignOff.revision == Meeting.revision)
        .exists()
    )
    to_sign = (
        select(func.count())
        .select_from(Meeting)
        .join(Attendee, and_(Attendee.meeting_id == Meeting.id, Attendee.staff_id == staff_id))
        .where(~answered)
        .scalar_subquery()
    )
    due = (
        select(func.count())
        .select_from(ActionItem)
        .where(ActionItem.supervisee_id == staff_id, ActionItem.closed_at.is_(None), ActionItem.due_on <= today)
        .scalar_subquery()
    )
    return to_sign, due


def to_do_counts(staff_id: int, today: date) -> tuple[int, int]:
    """The two counts of ``to_do_subqueries`` in one query."""
    found = db.session.execute(select(*to_do_subqueries(staff_id, today))).one()
    return int(found[0] or 0), int(found[1] or 0)


def refill_days() -> None:
    """The agency's time zone changed: work out every session's day and month again."""
    for meeting_id, held_at in db.session.execute(select(Meeting.id, Meeting.held_at)).all():
        day = timeutil.local_date(held_at)
        db.session.execute(
            update(Meeting)
            .where(Meeting.id == meeting_id)
            .values(held_on=day, held_month=day.replace(day=1))
            .execution_options(synchronize_session=False)
        )
