"""Supervision hours: the agency's rules, each person's minutes a month, and whether each month met its rule.

**The rules.** The agency expects so many minutes of supervision a month, so many of them one-to-one
(``supervision_requirement``: the row without a credential type). A credential type may ask for something else;
a person holding several such credentials (any not retired) follows the strictest. Until the agency saves a rule,
``AGENCY_DEFAULT`` applies (4 hours, 1 of them one-to-one).

**The arithmetic.** Every attendee of a session is credited with its whole length; a one-to-one session counts
toward the one-to-one minimum as well as the total. Minutes are summed by the agency's calendar month of the day
the session was held (``held_month``, stored when it is logged and worked out again if the agency's time zone
changes), in ONE grouped query for any number of people and months.

**The verdict.** A month before the person joined is not counted. A past month is *met* or *overdue*; the current
month is *met* as soon as it is, otherwise *in progress* until it ends.

**Provisional certification.** ``provisional_minutes`` sums, in one query, each provisional certification's
supervised minutes from the day it was issued to its provisional deadline: training shows them against the
credential's ``provisional_supervised_hours``.
"""

from __future__ import annotations

import csv
import functools
import io
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    and_,
    case,
    exists,
    false,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import aliased

from core import audit, timeutil
from core.database import contains_text
from core.errors import InvalidInput
from core.extensions import db
from core.models import CredentialType, Role, Staff, StaffRole, StaffStatus
from supervision.models import Attendee, Kind, Meeting, Requirement
from training.models import Certification, Hold


@dataclass(frozen=True)
class Rule:
    monthly_minutes: int
    one_to_one_minutes: int
    source: str  # "the agency's rule" or the credential's name

    def met(self, total: int, one_to_one: int) -> bool:
        return total >= self.monthly_minutes and one_to_one >= self.one_to_one_minutes

    @property
    def monthly_words(self) -> str:
        return hours_words(self.monthly_minutes)

    @property
    def one_to_one_words(self) -> str:
        return hours_words(self.one_to_one_minutes)


AGENCY_DEFAULT = Rule(240, 60, "the agency's rule")


class Verdict:
    MET = "Met"
    OVERDUE = "Overdue"
    IN_PROGRESS = "In progress"
    NOT_COUNTED = "Not counted"


@dataclass(frozen=True)
class Month:
    month: date
    total: int
    one_to_one: int
    verdict: str

    @property
    def label(self) -> str:
        return self.month.strftime("%B %Y")

    # Read as attributes by the lists (a Jinja call costs several times a Python one, and a page shows 300 of them).
    @property
    def total_words(self) -> str:
        return hours_words(self.total)

    @property
    def one_to_one_words(self) -> str:
        return hours_words(self.one_to_one)


@functools.lru_cache(maxsize=4096)  # a page of the compliance list asks it 350 times, of a few dozen values
def hours_words(minutes: int) -> str:
    """Minutes as hours in words: "1.5 hours", "1 hour", "0 hours"."""
    hours = minutes / 60
    text = f"{hours:.2f}".rstrip("0").rstrip(".")
    return f"{text} hour{'' if text == '1' else 's'}"


# Months ----------------------------------------------------------------------------------------------------------


def month_of(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def last_months(count: int, today: date | None = None) -> list[date]:
    """The ``count`` months up to and including this one (the agency's), oldest first."""
    this = month_of(today or timeutil.today())
    return [add_months(this, -n) for n in range(count - 1, -1, -1)]


# Rules -----------------------------------------------------------------------------------------------------------


def agency_rule() -> Rule:
    found = db.session.scalar(select(Requirement).where(Requirement.credential_type_id.is_(None)))
    return Rule(found.monthly_minutes, found.one_to_one_minutes, AGENCY_DEFAULT.source) if found else AGENCY_DEFAULT


def credential_rules() -> list[Requirement]:
    return list(
        db.session.scalars(
            select(Requirement)
            .join(CredentialType, CredentialType.id == Requirement.credential_type_id)
            .order_by(CredentialType.name)
        )
    )


def save_rule(credential_type_id: int | None, monthly: int | None, one_to_one: int | None, actor: Staff) -> None:
    """Set the agency's rule (``credential_type_id`` None) or a credential type's, in minutes."""
    problems: dict[str, str] = {}
    if monthly is None or not 0 <= monthly <= 100 * 60:
        problems["monthly_hours"] = "Enter the hours a month, between 0 and 100."
    if one_to_one is None or not 0 <= one_to_one <= 100 * 60:
        problems["one_to_one_hours"] = "Enter the one-to-one hours a month, between 0 and 100."
    elif monthly is not None and one_to_one > monthly:
        problems["one_to_one_hours"] = "The one-to-one hours are part of the total: make them no more than the total."
    if credential_type_id is not None and db.session.get(CredentialType, credential_type_id) is None:
        problems["credential_type_id"] = "Choose a credential from the list shown."
    if problems:
        raise InvalidInput(problems)
    condition = (
        Requirement.credential_type_id.is_(None)
        if credential_type_id is None
        else Requirement.credential_type_id == credential_type_id
    )
    found = db.session.scalar(select(Requirement).where(condition))
    if found is None:
        found = Requirement(credential_type_id=credential_type_id)
        db.session.add(found)
    found.monthly_minutes, found.one_to_one_minutes = monthly or 0, one_to_one or 0
    found.updated_at, found.updated_by_id = timeutil.utcnow(), actor.id
    db.session.flush()
    audit.record(
        "supervision.rule_saved",
        actor=actor,
        record_type="supervision_requirement",
        record_id=found.id,
        detail=f"{monthly} min a month, {one_to_one} one-to-one",
    )


def remove_rule(requirement: Requirement, actor: Staff) -> None:
    audit.record(
        "supervision.rule_removed", actor=actor, record_type="supervision_requirement", record_id=requirement.id
    )
    db.session.delete(requirement)
    db.session.flush()


def rules_for(staff_ids: Iterable[int]) -> dict[int, Rule]:
    """The rule each person follows: the strictest of their credentials' rules, else the agency's. One query: the
    agency's rule (the row without a person) read together with these people's credentials' rules."""
    wanted = list(staff_ids)
    if not wanted:
        return {}
    agency = select(
        null().label("staff_id"), Requirement.monthly_minutes, Requirement.one_to_one_minutes,
        literal(AGENCY_DEFAULT.source).label("name"),
    ).where(Requirement.credential_type_id.is_(None))
    held = (
        select(Certification.staff_id, Requirement.monthly_minutes, Requirement.one_to_one_minutes, CredentialType.name)
        .join(Requirement, Requirement.credential_type_id == Certification.credential_type_id)
        .join(CredentialType, CredentialType.id == Certification.credential_type_id)
        .where(Certification.staff_id.in_(wanted), Certification.hold != Hold.RETIRED)
    )
    rows = db.session.execute(union_all(agency, held)).all()
    base = next((Rule(monthly, solo, AGENCY_DEFAULT.source) for staff_id, monthly, solo, _ in rows if staff_id is None),
                AGENCY_DEFAULT)
    found: dict[int, Rule] = dict.fromkeys(wanted, base)
    seen: set[int] = set()
    for staff_id, monthly, one_to_one, name in rows:
        if staff_id is None:
            continue
        rule = Rule(monthly, one_to_one, name)
        current = found[staff_id]
        if staff_id not in seen or (rule.monthly_minutes, rule.one_to_one_minutes) > (
            current.monthly_minutes,
            current.one_to_one_minutes,
        ):
            found[staff_id] = rule
            seen.add(staff_id)
    return found


# Minutes ---------------------------------------------------------------------------------------------------------


def minutes_by_month(people: ColumnElement[bool], first: date, last: date) -> dict[tuple[int, date], tuple[int, int]]:
    """(person, month) -> (total minutes, one-to-one minutes) for the attendees matching ``people`` (a condition
    on ``Attendee.staff_id``), months ``first`` to ``last``: one grouped query."""
    one_to_one = func.sum(case((Meeting.kind == Kind.ONE_TO_ONE.value, Meeting.duration_minutes), else_=0))
    rows = db.session.execute(
        select(Attendee.staff_id, Meeting.held_month, func.sum(Meeting.duration_minutes), one_to_one)
        .join(Meeting, Meeting.id == Attendee.meeting_id)
        .where(people, Meeting.held_month >= first, Meeting.held_month <= last)
        .group_by(Attendee.staff_id, Meeting.held_month)
    )
    return {(staff_id, _as_date(month)): (int(total or 0), int(solo or 0)) for staff_id, month, total, solo in rows}


def _as_date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def verdict(month: date, total: int, one_to_one: int, rule: Rule, joined: date, today: date) -> str:
    if month < month_of(joined):
        return Verdict.NOT_COUNTED
    if rule.met(total, one_to_one):
        return Verdict.MET
    return Verdict.IN_PROGRESS if month >= month_of(today) else Verdict.OVERDUE


@dataclass(frozen=True)
class PersonRow:
    person: Staff | Row[tuple[int, str, datetime, str | None]]  # a row of ``peers_query``: id, name, created_at
    supervisor_name: str
    rule: Rule
    months: list[Month]

    @property
    def overdue(self) -> int:
        return sum(1 for month in self.months if month.verdict == Verdict.OVERDUE)


def _supervisor_name(person: Staff | Row) -> str:
    if isinstance(person, Staff):
        return person.supervisor.name if person.supervisor is not None else ""
    return person.supervisor_name or ""


def rows_for(people: Sequence[Staff | Row], months: list[date]) -> list[PersonRow]:
    """The compliance rows of ``people`` (staff records, or rows of ``peers_query``) over ``months``: three queries
    whatever the number of people or sessions."""
    if not people or not months:
        return []
    today = timeutil.today()
    ids = [person.id for person in people]
    minutes = minutes_by_month(Attendee.staff_id.in_(ids), months[0], months[-1])
    rules = rules_for(ids)
    rows = []
    for person in people:
        joined = timeutil.local_date(person.created_at)
        rule = rules[person.id]
        cells = []
        for month in months:
            total, solo = minutes.get((person.id, month), (0, 0))
            cells.append(Month(month, total, solo, verdict(month, total, solo, rule, joined, today)))
        rows.append(PersonRow(person, _supervisor_name(person), rule, cells))
    return rows


# The supervisor a listed person's row names and the filter matches, aliased once (building an alias costs more
# than the rest of a small query's compilation).
_BOSS = aliased(Staff, name="boss")
_REPORT = aliased(Staff, name="report")


def peers_query(
    condition: ColumnElement[bool], supervisors: list[int] | None = None
) -> Select[tuple[int, str, datetime, str | None]]:
    """Active peer specialists matching ``condition`` (the viewer's scope), by name: the id, name and start of each
    and their supervisor's name, as plain columns (a row shows no more). ``supervisors``, when given, keeps those
    whose supervisor is one of them (the ids ``supervisors_matching`` found).

    The role is asked person by person (``EXISTS`` on the role's primary key) while the list is read in the order
    of ``ix_core_staff_status_name``, so a page stops after its rows instead of sorting every peer specialist."""
    return _listed().where(*_peer_conditions(condition, supervisors)).order_by(Staff.name, Staff.id)


def person_query(staff_id: int) -> Select[tuple[int, str, datetime, str | None]]:
    """One person (whatever their role or status) as ``peers_query`` reads each: for their own CSV."""
    return _listed().where(Staff.id == staff_id)


def _listed() -> Select[tuple[int, str, datetime, str | None]]:
    return select(Staff.id, Staff.name, Staff.created_at, _BOSS.name.label("supervisor_name")).outerjoin(
        _BOSS, _BOSS.id == Staff.supervisor_id
    )


def peers_count(
    scope: Callable[[ColumnElement[int]], ColumnElement[bool]], supervisors: list[int] | None = None
) -> int:
    """How many people ``peers_query(scope(Staff.id), supervisors)`` lists (for the page numbers), in one query.

    Unfiltered, it is the peer specialists' roles in ``scope`` less those of people not active: a count on the
    role index and one over the few staff not active, where asking every active staff member's role costs ten
    times as much (1.7 ms against 0.2 at 10,000 peer specialists on SQLite). A role row always has its staff
    member (a foreign key, deleted with them), and a person holds a role once (the primary key). Filtered, the
    supervisor index finds their people."""
    if supervisors == []:
        return 0
    if supervisors is not None:
        statement = select(func.count()).select_from(Staff).where(*_peer_conditions(scope(Staff.id), supervisors))
        return int(db.session.scalar(statement) or 0)
    roles = select(func.count()).where(StaffRole.role == Role.PEER, scope(StaffRole.staff_id)).scalar_subquery()
    not_active = (
        select(func.count())
        .select_from(Staff)
        .where(
            Staff.status.in_([status for status in StaffStatus if status != StaffStatus.ACTIVE]),
            exists().where(StaffRole.staff_id == Staff.id, StaffRole.role == Role.PEER),
            scope(Staff.id),
        )
        .scalar_subquery()
    )
    return int(db.session.scalar(select(roles - not_active)) or 0)


def _peer_conditions(condition: ColumnElement[bool], supervisors: list[int] | None) -> list[ColumnElement[bool]]:
    found = [
        condition,
        Staff.status == StaffStatus.ACTIVE,
        exists().where(StaffRole.staff_id == Staff.id, StaffRole.role == Role.PEER),
    ]
    if supervisors is not None:  # none matched: nothing to read (an empty IN is still tested row by row)
        found.append(Staff.supervisor_id.in_(supervisors) if supervisors else false())
    return found


def supervisors_matching(text: str) -> list[int]:
    """The people someone has as supervisor whose name or email address contains ``text``, in any case, in one
    query. Only those named as someone's supervisor are searched (their ids read from the supervisor index): every
    staff member's name and email cost 7 ms at 11,000 staff on SQLite, this under 1. Read once, the ids then find
    the list and its count on the supervisor index (matching the text in both cost the scan twice)."""
    return list(db.session.scalars(select(_BOSS.id).where(
        _BOSS.id.in_(select(_REPORT.supervisor_id)),
        or_(contains_text(_BOSS.name, text), contains_text(_BOSS.email, text)),
    )))


CSV_HEADER = ["Person", "Supervisor", "Month", "Hours", "One-to-one hours", "Hours asked", "One-to-one asked",
              "Rule", "Verdict"]


def csv_lines(statement: Select, months: list[date], batch: int = 200) -> Iterator[str]:
    """The compliance of everyone ``statement`` selects (``peers_query``'s columns), a row per person and month
    (hours only, never content), read a batch of people at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_HEADER)
    yield flush()
    offset = 0
    while True:
        people = list(db.session.execute(statement.limit(batch).offset(offset)))
        if not people:
            return
        for row in rows_for(people, months):
            for month in row.months:
                if month.verdict == Verdict.NOT_COUNTED:
                    continue
                writer.writerow([
                    _safe(row.person.name), _safe(row.supervisor_name), month.month.strftime("%Y-%m"),
                    _number(month.total), _number(month.one_to_one), _number(row.rule.monthly_minutes),
                    _number(row.rule.one_to_one_minutes), _safe(row.rule.source), month.verdict,
                ])
        yield flush()
        offset += batch


def _number(minutes: int) -> str:
    return f"{minutes / 60:.2f}".rstrip("0").rstrip(".")


def _safe(text: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# Provisional certification ---------------------------------------------------------------------------------------


def provisional_minutes(condition: ColumnElement[bool]) -> dict[int, int]:
    """Supervised minutes of each provisional certification matching ``condition`` (on ``Certification``), from the
    day it was issued to its provisional deadline: one grouped query."""
    rows = db.session.execute(
        select(Certification.id, func.coalesce(func.sum(Meeting.duration_minutes), 0))
        .join(Attendee, Attendee.staff_id == Certification.staff_id)
        .join(
            Meeting,
            and_(
                Meeting.id == Attendee.meeting_id,
                Meeting.held_on >= Certification.issued_on,
                Meeting.held_on <= Certification.provisional_until,
            ),
        )
        .where(condition, Certification.provisional.is_(True), Certification.provisional_until.is_not(None))
        .group_by(Certification.id)
    )
    return {certification_id: int(total) for certification_id, total in rows}


def month_totals(rows: list[PersonRow]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        for month in row.months:
            counts[month.verdict] += 1
    return dict(counts)
