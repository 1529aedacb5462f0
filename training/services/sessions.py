"""Staff training sessions: HR or a supervisor plans one (a curriculum or a topic, the day and time in the agency's
time zone, the hours, one or two facilitators, and the CE category and provider approval that make it count),
possibly from a readiness action, then records who attended and for how many hours.

**How attendance counts as CE.** Each attendance of a session that has a CE category and the provider's approval
number becomes a CE entry (``CeEntry.attendance_id``) in every certification the person holds (not retired, issued
by the session's day), dated the session's day, with the session's title, provider, approval number, category and
format and the person's hours. Being ordinary entries, they go through the same rules as a course the person
logs: only the cycle holding the date counts them, the same course twice in a cycle counts once, the category
maximums and online limits apply, and the audit pack lists them. An entry is approved at once when the person
recording attendance is a supervisor above the attendee (who could approve it anyway); otherwise (HR, another
team's supervisor, or one's own attendance) it waits for the attendee's supervisor like any other entry. The
entries follow the session: a change of its day, hours, category or approval, or of someone's hours, changes
them; an attendance removed, or a session no longer eligible, removes them. The person cannot correct them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.orm import selectinload

from core import audit, edits, timeutil
from core.credentials import CeCategory, CeFormat
from core.database import contains_text
from core.errors import InvalidInput, Refused
from core.extensions import db
from core.models import Staff, StaffStatus
from training.models import (
    Attendance,
    CeEntry,
    Certification,
    Curriculum,
    Cycle,
    EntryStatus,
    Facilitator,
    Hold,
    SessionFacilitator,
    TrainingSession,
)
from training.services import access, ce, progress

SESSION_FORMATS = (CeFormat.IN_PERSON, CeFormat.LIVE_ONLINE)
MOST_HOURS = 40


@dataclass(frozen=True)
class SessionDetails:
    title: str
    curriculum_id: int | None
    topic: str
    held_on: date | None
    starts_at: time | None
    quarter_hours: int | None
    place: str
    format: str
    facilitator_ids: tuple[int, ...]
    ce_category: str
    provider: str
    approval_number: str


def facilitator_ids(session: TrainingSession) -> list[int]:
    return list(
        db.session.scalars(
            select(SessionFacilitator.staff_id)
            .where(SessionFacilitator.session_id == session.id)
            .order_by(SessionFacilitator.position)
        )
    )


def _facilitator_problems(curriculum: Curriculum | None, wanted: tuple[int, ...]) -> str | None:
    people = {p.id: p for p in db.session.scalars(select(Staff).where(Staff.id.in_(wanted)))} if wanted else {}
    if not wanted:
        return "Choose who facilitates the session."
    if len(set(wanted)) != len(wanted):
        return "Choose two different people, or leave the second facilitator empty."
    if any(i not in people or people[i].status != StaffStatus.ACTIVE for i in wanted):
        return "Choose facilitators from the list of staff."
    if curriculum is not None:
        trained = set(
            db.session.scalars(
                select(Facilitator.staff_id).where(
                    Facilitator.curriculum_id == curriculum.id, Facilitator.staff_id.in_(wanted)
                )
            )
        )
        untrained = [people[i].name for i in wanted if i not in trained]
        if untrained:
            return (
                f"{' and '.join(untrained)} {'is' if len(untrained) == 1 else 'are'} not trained to facilitate "
                f"{curriculum.name}. Choose from its facilitators (listed at Curricula), or HR adds them there."
            )
    return None


def _problems(details: SessionDetails) -> tuple[dict[str, str], Curriculum | None]:
    problems: dict[str, str] = {}
    curriculum = db.session.get(Curriculum, details.curriculum_id) if details.curriculum_id else None
    if details.curriculum_id and curriculum is None:
        problems["curriculum"] = "Choose a curriculum from the list, or none."
    if curriculum is None and not details.topic.strip():
        problems["topic"] = "Enter the topic, or choose a curriculum."
    if details.held_on is None:
        problems["held_on"] = "Enter the day of the session, for example 2027-03-15."
    elif not date(2000, 1, 1) <= details.held_on <= date(2100, 12, 31):
        problems["held_on"] = "Check the year of the session's day."
    if details.starts_at is None:
        problems["starts_at"] = "Enter the time it starts, for example 09:30."
    if not details.quarter_hours or not 0 < details.quarter_hours <= MOST_HOURS * 4:
        problems["hours"] = f"Enter how long it lasts, more than 0 and at most {MOST_HOURS} hours."
    if details.format not in SESSION_FORMATS:
        problems["format"] = "Choose in person or live online."
    if details.ce_category and details.ce_category not in {c.value for c in CeCategory}:
        problems["ce_category"] = "Choose one of the categories shown."
    if details.ce_category and not details.approval_number.strip():
        problems["approval_number"] = (
            "Enter the provider's approval number, or choose “Does not count as continuing education”."
        )
    if details.ce_category and not details.provider.strip():
        problems["provider"] = "Enter the provider who approved the hours (the agency itself, a state network…)."
    if details.approval_number.strip() and not details.ce_category:
        problems["ce_category"] = "Choose the CE category its approval is for, or leave the approval number empty."
    trouble = _facilitator_problems(curriculum, details.facilitator_ids)
    if trouble:
        problems["facilitator"] = trouble
    return problems, curriculum


def _fill(session: TrainingSession, details: SessionDetails, curriculum: Curriculum | None) -> None:
    if details.held_on is None or details.starts_at is None or not details.quarter_hours:
        raise InvalidInput({"held_on": "Enter the day, the time and the hours of the session."})  # checked before
    session.title = details.title.strip()
    session.curriculum_id = curriculum.id if curriculum else None
    session.topic = "" if curriculum else details.topic.strip()
    session.starts_at = timeutil.from_local(details.held_on, details.starts_at)
    session.held_on = details.held_on
    session.quarter_hours = details.quarter_hours
    session.place = details.place.strip()
    session.format = details.format
    session.ce_category = details.ce_category
    session.provider = details.provider.strip()
    session.approval_number = details.approval_number.strip()


def _set_facilitators(session: TrainingSession, wanted: tuple[int, ...]) -> bool:
    if facilitator_ids(session) == list(wanted):
        return False
    db.session.execute(delete(SessionFacilitator).where(SessionFacilitator.session_id == session.id))
    db.session.add_all(
        SessionFacilitator(session_id=session.id, staff_id=staff_id, position=n)
        for n, staff_id in enumerate(wanted, start=1)
    )
    return True


def plan(details: SessionDetails, actor: Staff, action: object | None = None) -> TrainingSession:
    """Plan a session (from a readiness action when ``action`` is given: it is linked to the session)."""
    problems, curriculum = _problems(details)
    if problems:
        raise InvalidInput(problems)
    session = TrainingSession(planned_by_id=actor.id)
    _fill(session, details, curriculum)
    db.session.add(session)
    db.session.flush()
    _set_facilitators(session, details.facilitator_ids)
    db.session.flush()
    audit.record("training.session_planned", actor=actor, record_type="training_session", record_id=session.id)
    if action is not None:
        from readiness.services import actions  # the readiness action plan links to the session

        actions.link_training_session(action, session.id, actor)  # type: ignore[arg-type]
    return session


FIELD_WORDS = {
    "title": "title",
    "curriculum_id": "curriculum",
    "topic": "topic",
    "starts_at": "day and time",
    "quarter_hours": "hours",
    "place": "place",
    "format": "format",
    "ce_category": "CE category",
    "provider": "provider",
    "approval_number": "approval number",
}


def change(session: TrainingSession, details: SessionDetails, version: object, actor: Staff) -> list[str]:
    """Save a session's changes (refused as ``StaleEdit`` when it changed since ``version``); the CE entries of its
    attendance follow. Returns what changed, in words."""
    edits.expect_version(session, version)
    problems, curriculum = _problems(details)
    if problems:
        raise InvalidInput(problems)
    before = {name: getattr(session, name) for name in FIELD_WORDS}
    _fill(session, details, curriculum)
    changed = [words for name, words in FIELD_WORDS.items() if getattr(session, name) != before[name]]
    if _set_facilitators(session, details.facilitator_ids):
        changed.append("facilitators")
        if len(changed) == 1:
            edits.bump(session)
    if changed:
        edits.flush()
        sync_entries([session.id], actor)
        audit.record(
            "training.session_changed",
            actor=actor,
            record_type="training_session",
            record_id=session.id,
            detail=", ".join(changed),
        )
    return changed


# Attendance --------------------------------------------------------------------------------------------------------


def attendance_of(session: TrainingSession) -> list[Attendance]:
    return list(
        db.session.scalars(
            select(Attendance)
            .join(Staff, Staff.id == Attendance.staff_id)
            .where(Attendance.session_id == session.id)
            .order_by(func.lower(Staff.name), Attendance.id)
        )
    )


def record_attendance(
    session: TrainingSession, staff_id: int | None, quarter_hours: int | None, version: object, actor: Staff
) -> Attendance:
    """Record that ``staff_id`` attended (or change their hours when they are on the list already)."""
    edits.expect_version(session, version)
    problems: dict[str, str] = {}
    person = db.session.get(Staff, staff_id) if staff_id else None
    if person is None or person.status == StaffStatus.DEACTIVATED:
        problems["staff"] = "Choose who attended from the list of staff."
    if session.held_on > timeutil.today():
        problems["staff"] = (
            f"The session is on {timeutil.long_date(session.held_on)}: record who attended once it has taken place."
        )
    if not quarter_hours or quarter_hours > session.quarter_hours:
        problems["hours"] = (
            f"Enter the hours they attended, more than 0 and at most the session's {session.quarter_hours / 4:g}."
        )
    if problems or person is None or not quarter_hours:
        raise InvalidInput(problems)
    found = db.session.scalar(
        select(Attendance).where(Attendance.session_id == session.id, Attendance.staff_id == person.id)
    )
    if found is None:
        found = Attendance(session_id=session.id, staff_id=person.id, quarter_hours=quarter_hours)
        db.session.add(found)
        what = "training.attendance_recorded"
    else:
        what = "training.attendance_changed"
    found.quarter_hours = quarter_hours
    found.recorded_by_id = actor.id
    found.recorded_at = timeutil.utcnow()
    edits.bump(session)
    edits.flush()
    sync_entries([session.id], actor)
    audit.record(
        what,
        actor=actor,
        record_type="training_session",
        record_id=session.id,
        detail=f"staff {person.id}, {quarter_hours} quarter hours",
    )
    return found


def remove_attendance(session: TrainingSession, attendance: Attendance, version: object, actor: Staff) -> None:
    edits.expect_version(session, version)
    if attendance.session_id != session.id:
        raise Refused("This person is not on this session's attendance.")
    staff_id = attendance.staff_id
    certification_ids = set(
        db.session.scalars(select(CeEntry.certification_id).where(CeEntry.attendance_id == attendance.id))
    )
    db.session.execute(delete(CeEntry).where(CeEntry.attendance_id == attendance.id))
    db.session.delete(attendance)
    edits.bump(session)
    edits.flush()
    if certification_ids:
        progress.refresh(Cycle.certification_id.in_(certification_ids))
    audit.record(
        "training.attendance_removed",
        actor=actor,
        record_type="training_session",
        record_id=session.id,
        detail=f"staff {staff_id}",
    )


# The CE entries that follow the attendance ------------------------------------------------------------------------


def _eligible_certifications(staff_ids: set[int]) -> dict[int, list[Certification]]:
    found: dict[int, list[Certification]] = defaultdict(list)
    if staff_ids:
        for certification in db.session.scalars(
            select(Certification).where(Certification.staff_id.in_(staff_ids), Certification.hold != Hold.RETIRED)
        ):
            found[certification.staff_id].append(certification)
    return found


def sync_entries(session_ids: list[int], actor: Staff | None) -> int:
    """Make the CE entries of these sessions' attendance match the sessions: create, change or remove them, then
    work out the totals of the certifications touched again. Returns how many entries changed."""
    if not session_ids:
        return 0
    db.session.flush()
    sessions = {s.id: s for s in db.session.scalars(select(TrainingSession).where(TrainingSession.id.in_(session_ids)))}
    rows = list(db.session.scalars(select(Attendance).where(Attendance.session_id.in_(session_ids))))
    held = _eligible_certifications({row.staff_id for row in rows})
    wanted: dict[tuple[int, int], tuple[Attendance, TrainingSession]] = {}
    for row in rows:
        session = sessions[row.session_id]
        if not session.ce_eligible:
            continue
        for certification in held.get(row.staff_id, []):
            if certification.issued_on <= session.held_on:
                wanted[(row.id, certification.id)] = (row, session)
    existing = {
        (entry.attendance_id, entry.certification_id): entry
        for entry in db.session.scalars(
            select(CeEntry).where(CeEntry.attendance_id.in_([row.id for row in rows]))
        )
    }
    touched: set[int] = set()
    changes = 0
    for key, entry in existing.items():
        if key not in wanted:
            db.session.delete(entry)
            touched.add(entry.certification_id)
            changes += 1
    for (attendance_id, certification_id), (row, session) in wanted.items():
        entry = existing.get((attendance_id, certification_id))
        if entry is None:
            entry = CeEntry(
                staff_id=row.staff_id,
                certification_id=certification_id,
                attendance_id=attendance_id,
                status=EntryStatus.SUBMITTED,
            )
            if actor is not None and access.may_review_person(actor, row.staff_id):
                entry.status = EntryStatus.APPROVED
                entry.reviewed_by_id = actor.id
                entry.reviewed_at = timeutil.utcnow()
            db.session.add(entry)
        values = {
            "title": session.title,
            "provider": session.provider,
            "approval_number": session.approval_number,
            "taken_on": session.held_on,
            "quarter_hours": row.quarter_hours,
            "category": session.ce_category,
            "format": session.format,
            "course_key": ce.course_key(session.title, session.provider),
        }
        if any(getattr(entry, name, None) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(entry, name, value)
            touched.add(certification_id)
            changes += 1
    db.session.flush()
    if touched:
        progress.refresh(Cycle.certification_id.in_(touched))
    return changes


# Lists -------------------------------------------------------------------------------------------------------------


class When:
    UPCOMING = "upcoming"
    PAST = "past"
    ALL = "all"


def listed(query: str = "", when: str = When.ALL) -> Select:
    """Sessions matching ``query`` (title, topic or curriculum), soonest first for upcoming ones, latest first
    otherwise."""
    statement = select(TrainingSession).options(
        selectinload(TrainingSession.curriculum), selectinload(TrainingSession.facilitators)
    )
    if query.strip():
        words = query.strip()
        statement = statement.outerjoin(Curriculum, Curriculum.id == TrainingSession.curriculum_id).where(
            or_(
                contains_text(TrainingSession.title, words),
                contains_text(TrainingSession.topic, words),
                contains_text(func.coalesce(Curriculum.name, ""), words),
            )
        )
    today = timeutil.today()
    if when == When.UPCOMING:
        return statement.where(TrainingSession.held_on >= today).order_by(
            TrainingSession.starts_at, TrainingSession.id
        )
    if when == When.PAST:
        statement = statement.where(TrainingSession.held_on < today)
    return statement.order_by(TrainingSession.starts_at.desc(), TrainingSession.id.desc())


def attendance_counts(session_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(people, quarter hours) attended per session, in one query."""
    if not session_ids:
        return {}
    rows = db.session.execute(
        select(Attendance.session_id, func.count(), func.sum(Attendance.quarter_hours))
        .where(Attendance.session_id.in_(session_ids))
        .group_by(Attendance.session_id)
    )
    return {row[0]: (int(row[1]), int(row[2] or 0)) for row in rows}


def entry_statuses(session: TrainingSession) -> dict[int, list[str]]:
    """For each attendance, the status of the CE entries it made (one per certification)."""
    found: dict[int, list[str]] = defaultdict(list)
    rows = db.session.execute(
        select(CeEntry.attendance_id, CeEntry.status)
        .join(Attendance, Attendance.id == CeEntry.attendance_id)
        .where(Attendance.session_id == session.id)
        .order_by(CeEntry.id)
    )
    for attendance_id, status in rows:
        found[attendance_id].append(status)
    return found


CSV_HEADER = [
    "Session",
    "Curriculum or topic",
    "Day",
    "Starts",
    "Session hours",
    "Name",
    "Hours attended",
    "CE category",
    "Provider",
    "Approval number",
    "Counts as CE",
]


def csv_rows(statement: Select) -> Iterator[list[object]]:
    """Every attendance of the sessions ``statement`` lists, a row each (one query, streamed)."""
    ids = statement.with_only_columns(TrainingSession.id).order_by(None).subquery()
    rows = db.session.execute(
        select(TrainingSession, Curriculum.name, Staff.name, Attendance.quarter_hours)
        .join(Attendance, Attendance.session_id == TrainingSession.id)
        .join(Staff, Staff.id == Attendance.staff_id)
        .outerjoin(Curriculum, Curriculum.id == TrainingSession.curriculum_id)
        .where(TrainingSession.id.in_(select(ids.c.id)))
        .order_by(TrainingSession.starts_at.desc(), TrainingSession.id, func.lower(Staff.name))
        .execution_options(yield_per=500)
    )
    yield CSV_HEADER
    for session, curriculum_name, name, qh in rows:
        yield [
            session.title,
            curriculum_name or session.topic,
            session.held_on.isoformat(),
            timeutil.local_time(session.starts_at).strftime("%H:%M"),
            f"{session.quarter_hours / 4:g}",
            name,
            f"{qh / 4:g}",
            session.category_label,
            session.provider,
            session.approval_number,
            "yes" if session.ce_eligible else "no",
        ]


def refill_local_days() -> None:
    """The agency's time zone changed: work out each session's day again (and the CE entries that follow it)."""
    moved = []
    for session_id, starts_at, held_on in db.session.execute(
        select(TrainingSession.id, TrainingSession.starts_at, TrainingSession.held_on)
    ):
        day = timeutil.local_date(starts_at)
        if day != held_on:
            db.session.execute(
                TrainingSession.__table__.update().where(TrainingSession.id == session_id).values(held_on=day)
            )
            moved.append(session_id)
    if moved:
        db.session.expire_all()
        sync_entries(moved, None)


def local_start(session: TrainingSession) -> datetime:
    return timeutil.local_time(session.starts_at)
