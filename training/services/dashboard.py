"""The expiry dashboard for HR (everyone) and supervisors (their reports): how many certifications are expired, in
their grace period, expiring within 30, 60 or 90 days, behind schedule on CE, or provisional with a deadline within
90 days; the list behind each number, filtered, a page at a time, and as CSV.

Every number is one SQL aggregate (``COUNT(*) FILTER (WHERE ...)``) over the certifications the person may see,
with the status from ``training.services.status`` (behind schedule: the cycle holding today is behind an even pace);
the list reads the same columns for one page of ids. So the page runs the same queries for 50 certifications or 5,000.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, select, true
from sqlalchemy.orm import Bundle, aliased

from core import policy, timeutil
from core.credentials import hours_number
from core.database import contains_text
from core.extensions import db
from core.labels import Labelled, label_words
from core.models import CredentialType, Program, Staff
from training.models import Certification, CertStatus, Cycle
from training.services.status import holds_expression, status_expression


class Show(Labelled):
    ALL = "all"
    EXPIRED = "expired"
    IN_GRACE = "in_grace"
    WITHIN_30 = "within_30"
    WITHIN_60 = "within_60"
    WITHIN_90 = "within_90"
    BEHIND = "behind"
    PROVISIONAL_DUE = "provisional_due"
    SUSPENDED = "suspended"
    RETIRED = "retired"


label_words(
    {
        (Show, "all"): "Every certification",
        (Show, "expired"): "Expired",
        (Show, "in_grace"): "In grace period",
        (Show, "within_30"): "Expiring within 30 days",
        (Show, "within_60"): "Expiring within 60 days",
        (Show, "within_90"): "Expiring within 90 days",
        (Show, "behind"): "Behind schedule on continuing education",
        (Show, "provisional_due"): "Provisional, deadline within 90 days",
        (Show, "suspended"): "Suspended",
        (Show, "retired"): "Retired",
    }
)

COUNTED = [show for show in Show if show not in (Show.ALL, Show.RETIRED)]


def _current_cycle(today: date) -> Any:
    return and_(Cycle.certification_id == Certification.id, Cycle.starts_on <= today, Cycle.ends_on >= today)


@dataclass(frozen=True)
class Columns:
    """What the groups are decided on: a certification's id, status, expiry and provisional deadline (the table's
    columns, or the same columns read once in the counts' subquery)."""

    certification_id: ColumnElement[int]
    status: ColumnElement[str]
    expires_on: ColumnElement[date]
    provisional_until: ColumnElement[date | None]


def _columns(today: date) -> Columns:
    return Columns(
        Certification.id, status_expression(today), Certification.expires_on, Certification.provisional_until
    )


def _behind_cycles(today: date) -> Select:
    """The certifications whose cycle holding today is behind an even pace of CE (``on_pace_until`` passed; None,
    nothing more needed, is never before today)."""
    return select(Cycle.certification_id).where(
        Cycle.starts_on <= today, Cycle.ends_on >= today, Cycle.on_pace_until < literal(today)
    )


def conditions(
    today: date, columns: Columns | None = None, shows: Iterable[Show] = tuple(Show)
) -> dict[Show, ColumnElement[bool]]:
    """Each group of ``shows`` (every group unless told) as SQL, on the table's columns (the lists) or on
    ``columns`` (the counts). Only the groups asked for are built: a list needs its own, and building every group's
    expression costs about 0.6 ms."""
    expires_on = columns.expires_on if columns is not None else Certification.expires_on
    provisional_until = columns.provisional_until if columns is not None else Certification.provisional_until

    @cache
    def status() -> ColumnElement[str]:
        return columns.status if columns is not None else status_expression(today)

    @cache
    def holding() -> ColumnElement[bool]:
        # Active or provisional. The lists ask it as the plain comparisons the status comes to (holds_expression),
        # which let the database walk the expiry index from today, in the list's order, and stop after a page
        # instead of sorting every match (the "behind schedule" list at 5,000 staff). The counts ask the status
        # alone: it implies the expiry is not past, and comparing the expiry again in four groups cost SQLite
        # 25-35% of the aggregate.
        if columns is None:
            return holds_expression(today)
        return status().in_([CertStatus.ACTIVE.value, CertStatus.PROVISIONAL.value])

    def within(days: int) -> ColumnElement[bool]:
        return and_(holding(), expires_on <= literal(today + timedelta(days=days)))

    groups: dict[Show, Callable[[], ColumnElement[bool]]] = {
        Show.ALL: true,
        Show.EXPIRED: lambda: status() == CertStatus.EXPIRED.value,
        Show.IN_GRACE: lambda: status() == CertStatus.IN_GRACE.value,
        Show.WITHIN_30: lambda: within(30),
        Show.WITHIN_60: lambda: within(60),
        Show.WITHIN_90: lambda: within(90),
        Show.BEHIND: lambda: and_(holding(), _behind(today, columns)),
        Show.PROVISIONAL_DUE: lambda: and_(
            status() == CertStatus.PROVISIONAL.value,
            provisional_until <= literal(today + timedelta(days=90)),
        ),
        Show.SUSPENDED: lambda: status() == CertStatus.SUSPENDED.value,
        Show.RETIRED: lambda: status() == CertStatus.RETIRED.value,
    }
    return {show: groups[show]() for show in shows}


def _behind(today: date, columns: Columns | None) -> ColumnElement[bool]:
    """Behind schedule: the cycle holding today is behind an even pace. The list asks through EXISTS, so the
    database walks the certifications by expiry from today (the list's order) and stops after a page; with the
    cycle's columns in the WHERE it would start from the cycles and sort every match (``bench/training_dashboard.py``:
    2.1-2.4x the time at 5,000 staff as at 500 before, and one count query more). The counts ask ``IN`` the few
    cycles behind (read once, from their ``on_pace_until`` index) instead of joining every certification to its
    cycle: 10,000 certifications counted in about half the time on SQLite."""
    if columns is not None:
        return columns.certification_id.in_(_behind_cycles(today))
    cycle = aliased(Cycle)
    on_pace = select(cycle.id).where(
        cycle.certification_id == Certification.id,
        cycle.starts_on <= today,
        cycle.ends_on >= today,
        cycle.on_pace_until < literal(today),
    )
    return on_pace.exists()


@dataclass(frozen=True)
class Filters:
    show: Show = Show.ALL
    program_id: int | None = None
    name: str = ""


def _base(user: Staff, filters: Filters, *, person: bool = True) -> Select:
    """Certifications ``user`` may see, joined to their person when a filter or ``person`` (the list's order by
    name) asks for them (who may see what is decided on the certification's own ``staff_id``)."""
    statement = select(Certification.id)
    if person or filters.program_id or filters.name:
        statement = statement.join(Staff, Staff.id == Certification.staff_id)
    statement = policy.scope(statement, user, "certification.view", Certification)
    if filters.program_id:
        statement = statement.where(Staff.program_id == filters.program_id)
    if filters.name:
        statement = statement.where(contains_text(Staff.name, filters.name))
    return statement


def counts(user: Staff, filters: Filters, today: date | None = None) -> dict[Show, int]:
    """How many certifications are in each group, and in all (``Show.ALL``), the filters but ``show`` applied, in
    one query. The status is worked out once a row, in a subquery the database keeps apart (OFFSET 0: neither SQLite
    nor PostgreSQL merges it into the aggregate), then each group is a plain comparison on it: about 40% less time at
    5,000 staff on SQLite than the status expression written into each of the eight sums. The certifications are
    read alone, without their person (unless a filter asks for them: the certification is a person's, whose row a
    foreign key keeps) nor their cycle (``_behind``), and each group is counted with ``FILTER``."""
    day = today or timeutil.today()
    table = _columns(day)
    rows = (
        _base(user, Filters(Show.ALL, filters.program_id, filters.name), person=False)
        .with_only_columns(
            table.certification_id.label("id"),
            table.status.label("status"),
            table.expires_on.label("expires_on"),
            table.provisional_until.label("provisional_until"),
        )
        .offset(0)
        .subquery("seen")
    )
    found = conditions(day, Columns(rows.c.id, rows.c.status, rows.c.expires_on, rows.c.provisional_until), COUNTED)
    statement = select(func.count(), *(func.count().filter(found[show]) for show in COUNTED)).select_from(rows)
    total, *each = db.session.execute(statement).one()
    return {Show.ALL: int(total), **dict(zip(COUNTED, (int(value) for value in each), strict=True))}


def listed(user: Staff, filters: Filters, today: date | None = None) -> Select:
    """The ids of the certifications shown, most urgent first (soonest expiry)."""
    day = today or timeutil.today()
    return (
        _base(user, filters)
        .where(conditions(day, shows=[filters.show])[filters.show])
        .order_by(Certification.expires_on, func.lower(Staff.name), Certification.id)
    )


@dataclass(frozen=True)
class Row:
    certification_id: int
    staff_id: int
    name: str
    program: str
    credential: str
    number: str
    status: CertStatus
    issued_on: date
    expires_on: date
    grace_ends_on: date
    provisional_until: date | None
    counted_qh: int | None
    required_qh: int
    missing_qh: int | None
    behind: bool


def _shown(today: date) -> list[ColumnElement[Any]]:
    """The columns the list shows (``Row``), on the certification, its person, their program, its credential and
    the cycle holding today (``_joined``)."""
    return [
        Certification.id,
        Staff.id,
        Staff.name,
        Program.code,
        CredentialType.name,
        Certification.number,
        status_expression(today),
        Certification.issued_on,
        Certification.expires_on,
        Certification.grace_ends_on,
        Certification.provisional_until,
        Cycle.counted_qh,
        CredentialType.ce_qh,
        Cycle.missing_qh,
        case(
            (and_(Cycle.on_pace_until.is_not(None), Cycle.on_pace_until < literal(today)), True),
            else_=False,
        ),
    ]


def _joined(statement: Select, today: date) -> Select:
    """``statement`` (from the certifications joined to their person) joined to what ``_shown`` reads besides."""
    return (
        statement.outerjoin(Program, Program.id == Staff.program_id)
        .join(CredentialType, CredentialType.id == Certification.credential_type_id)
        .outerjoin(Cycle, _current_cycle(today))
    )


def _row(values: Any) -> Row:
    return Row(*values[:6], CertStatus(values[6]), *values[7:14], bool(values[14]))  # type: ignore[arg-type]


def listed_rows(user: Staff, filters: Filters, today: date | None = None) -> Select:
    """``listed`` reading the columns the list shows, one ``Bundle`` a certification (``core.pages.paginate`` reads
    a statement's first column): a page is one query, in the list's order, and stops after its rows, instead of the
    page's ids and then their rows by id (PostgreSQL joined those ids to every staff member with a hash join)."""
    day = today or timeutil.today()
    return _joined(listed(user, filters, day).with_only_columns(Bundle("row", *_shown(day))), day)


def rows(found: Iterable[Any]) -> list[Row]:
    """The rows of a page of ``listed_rows``."""
    return [_row(values) for values in found]


def all_rows(user: Staff, filters: Filters, today: date | None = None) -> Iterator[Row]:
    """Every row of the filtered list, for the CSV (one query, streamed). The query is built now, while the person
    is still loaded: the rows are read later, as the response streams, when the request may have let go of them."""
    day = today or timeutil.today()
    return _stream_rows(_joined(listed(user, filters, day).with_only_columns(*_shown(day)), day))


def _stream_rows(statement: Select[Any]) -> Iterator[Row]:
    for values in db.session.execute(statement.execution_options(yield_per=500)):
        yield _row(values)


CSV_HEADER = [
    "Name",
    "Program",
    "Credential",
    "Certificate number",
    "Status",
    "Issued on",
    "Expires on",
    "Grace period ends",
    "Provisional until",
    "CE hours counted (current cycle)",
    "CE hours a cycle asks for",
    "CE hours still needed",
    "Behind schedule",
]


def csv_rows(rows: Iterator[Row]) -> Iterator[list[object]]:
    yield CSV_HEADER
    for row in rows:
        yield [
            row.name,
            row.program or "",
            row.credential,
            row.number,
            row.status.label,
            row.issued_on.isoformat(),
            row.expires_on.isoformat(),
            row.grace_ends_on.isoformat(),
            row.provisional_until.isoformat() if row.provisional_until else "",
            hours_number(row.counted_qh) if row.counted_qh is not None else "",
            hours_number(row.required_qh),
            hours_number(row.missing_qh) if row.missing_qh is not None else "",
            "yes" if row.behind else "no",
        ]
