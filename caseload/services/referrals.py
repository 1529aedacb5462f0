"""Referral intake (seed 000, the CRP referral pager): take a referral, list the day's referrals for rounds, record
whether each person was seen the same day, and report the same-day-seen rate by source and by month.

Every query that lists, counts or exports referrals joins the client and goes through
``core.policy.scope(..., "client.view", Client)``, so a client the person may not see (a sealed staff-client, a
declared relationship) is absent from their lists, counts, report and exports. Functions take the acting person,
flush and audit; the view commits. Audit notes never hold names, reasons or sources.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, Select, bindparam, case, func, literal_column, select, update
from sqlalchemy.orm import contains_eager, joinedload

from caseload.models import Client, ClientStatus, Referral, ReferralSource, Urgency
from caseload.services import clients
from caseload.services.matching import same_person
from core import audit, edits, policy, timeutil
from core.edits import expect_version
from core.extensions import db
from core.models import Program, Staff

FIRST_DAY = date(2000, 1, 1)
MAX_MATCHES = 10


@dataclass(frozen=True)
class Person:
    """Who the referral is about, as the caller gave it."""

    name: str
    preferred_name: str
    date_of_birth: date | None
    phone: str
    program_id: int | None


@dataclass(frozen=True)
class Details:
    source: str
    reason: str
    urgency: str
    received_at: datetime


# Choices ------------------------------------------------------------------------------------------------------


def programs() -> list[Program]:
    return list(db.session.scalars(select(Program).order_by(Program.name)))


def default_program_id(actor: Staff) -> int | None:
    """The taker's own program, or the program of their first team."""
    if actor.program_id:
        return actor.program_id
    return actor.teams[0].program_id if actor.teams else None


# Taking a referral --------------------------------------------------------------------------------------------


def matching_clients(actor: Staff, name: str, date_of_birth: date | None) -> list[Client]:
    """Clients the taker may see with the same name (ignoring case, accents and spacing) and date of birth.

    Only clients inside the taker's visibility scope are ever looked at, so a sealed or hidden client is never
    offered (a duplicate record is the price of not revealing them).
    """
    return same_person(name, date_of_birth, policy.scope(select(Client), actor, "client.view", Client))[:MAX_MATCHES]


def take_referral(details: Details, person: Person, actor: Staff, *, existing: Client | None = None) -> Referral:
    """Save a referral; a new client (status "referred") is created in the same transaction unless ``existing``
    is given. The caller has checked that ``existing`` is a client the taker may change."""
    if existing is None:
        client = clients.create_client(
            {
                "name": " ".join(person.name.split()),
                "preferred_name": person.preferred_name,
                "date_of_birth": person.date_of_birth,
                "phone": person.phone,
                "program_id": person.program_id,
                "status": ClientStatus.REFERRED,
            },
            actor,
        )
    else:
        client = existing
        if client.status == ClientStatus.DISCHARGED:
            clients.update_client(client, {"status": ClientStatus.REFERRED}, actor, version=client.version)
    referral = Referral(
        client_id=client.id,
        source=ReferralSource(details.source),
        reason=details.reason,
        urgency=Urgency(details.urgency),
        received_at=details.received_at,
        received_by_id=actor.id,
    )
    db.session.add(referral)
    db.session.flush()
    audit.record(
        "referral.received",
        actor=actor,
        record_type="client",
        record_id=client.id,
        detail=f"referral {referral.id}; {'existing' if existing is not None else 'new'} client",
    )
    return referral


def mark_seen(referral: Referral, actor: Staff, *, version: object, seen: bool) -> None:
    """"Seen today" records the time and whether it was the day the referral came in; "Not seen today" clears it.
    ``StaleEdit`` when someone else changed the referral since the page was loaded."""
    expect_version(referral, version)
    if seen:
        referral.seen_at = timeutil.utcnow()  # also sets seen_on, the agency's day
        referral.seen_same_day = referral.seen_on == referral.received_on
    else:
        referral.seen_at = None
        referral.seen_same_day = False
    edits.flush()
    audit.record(
        "referral.seen" if seen else "referral.not_seen",
        actor=actor,
        record_type="client",
        record_id=referral.client_id,
        detail=f"referral {referral.id}",
    )


# The day's list for rounds ------------------------------------------------------------------------------------


def in_range(day: date) -> bool:
    return FIRST_DAY <= day <= timeutil.today() + timedelta(days=366)


def day_list(actor: Staff, day: date) -> Select[tuple[Referral]]:
    """The referrals received on the agency's ``day`` that the person may see, earliest first, client and taker
    loaded."""
    statement = (
        select(Referral)
        .join(Client, Referral.client_id == Client.id)
        .options(
            contains_eager(Referral.client),
            joinedload(Referral.received_by).load_only(Staff.id, Staff.name).lazyload("*"),
        )
        .where(Referral.received_on == day)
        .order_by(Referral.received_at, Referral.id)
    )
    return policy.scope(statement, actor, "client.view", Client)


def note_list_read(referrals: Sequence[Referral], actor: Staff, what: str, day: date) -> None:
    """One audit note for the list (a count, no names); each sealed record shown is also logged as a read of it,
    so the privacy officer's access report is complete."""
    audit.record(what, actor=actor, record_type="referral_day", record_id=day.isoformat(),
                 detail=f"{len(referrals)} shown")
    seen_clients: set[int] = set()
    for referral in referrals:
        if referral.client.sealed and referral.client_id not in seen_clients:
            seen_clients.add(referral.client_id)
            clients.record_read(referral.client, actor, "referral list")


CSV_HEADER = (
    "received",
    "client",
    "preferred_name",
    "date_of_birth",
    "phone",
    "program",
    "source",
    "urgency",
    "reason",
    "taken_by",
    "seen",
    "seen_at",
)


def seen_words(referral: Referral) -> str:
    if referral.seen_at is not None:
        return "Seen the same day" if referral.seen_same_day else "Seen on a later day"
    if referral.seen_same_day is False:
        return "Not seen the same day"
    return "Not recorded yet"


def csv_rows(referrals: Iterable[Referral]) -> Iterator[tuple[object, ...]]:
    yield CSV_HEADER
    for r in referrals:
        yield (
            f"{timeutil.local_time(r.received_at):%Y-%m-%d %H:%M}",
            r.client.name,
            r.client.preferred_name,
            r.client.date_of_birth.isoformat() if r.client.date_of_birth else "",
            r.client.phone,
            r.client.program.name if r.client.program else "",
            ReferralSource(r.source).label,
            Urgency(r.urgency).label,
            r.reason,
            r.received_by.name,
            seen_words(r),
            f"{timeutil.local_time(r.seen_at):%Y-%m-%d %H:%M}" if r.seen_at else "",
        )


# The same-day-seen report -------------------------------------------------------------------------------------


def month_of(column: ColumnElement[date], dialect: str) -> ColumnElement[str]:
    """The year and month of a date as 'YYYY-MM', in the database's own words.

    The format strings are written into the SQL rather than bound, so the SELECT and the GROUP BY are the same text
    (PostgreSQL compares them as text and refuses two differently numbered parameters).
    """
    if dialect == "postgresql":
        return func.to_char(column, literal_column("'YYYY-MM'"))
    if dialect == "sqlite":
        return func.strftime(literal_column("'%Y-%m'"), column)
    raise NotImplementedError(f"no month grouping for the {dialect} database")


@dataclass(frozen=True)
class RateRow:
    key: str
    label: str
    referrals: int
    seen_same_day: int
    not_recorded: int
    rate: float | None  # percent seen the same day; None when there were no referrals

    @property
    def rate_text(self) -> str:
        return "No referrals" if self.rate is None else f"{self.rate:.1f}%"


@dataclass(frozen=True)
class Report:
    start: date
    end: date
    by_source: list[RateRow]
    by_month: list[RateRow]
    total: RateRow


def default_range(today: date | None = None) -> tuple[date, date]:
    """The last 12 months: from the first day of the month eleven months ago to today."""
    today = today or timeutil.today()
    month_index = today.year * 12 + today.month - 1 - 11
    return date(month_index // 12, month_index % 12 + 1, 1), today


def _months(start: date, end: date) -> list[str]:
    first = start.year * 12 + start.month - 1
    last = end.year * 12 + end.month - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(first, last + 1)]


def _month_label(key: str) -> str:
    return datetime.strptime(key, "%Y-%m").strftime("%B %Y")


def _aggregates() -> tuple[ColumnElement[int], ColumnElement[int], ColumnElement[int], ColumnElement[float]]:
    same_day = Referral.seen_same_day.is_(True)
    return (
        func.count(Referral.id).label("referrals"),
        func.coalesce(func.sum(case((same_day, 1), else_=0)), 0).label("seen_same_day"),
        func.coalesce(func.sum(case((Referral.seen_same_day.is_(None), 1), else_=0)), 0).label("not_recorded"),
        func.avg(case((same_day, literal_column("100.0")), else_=literal_column("0.0"))).label("rate"),
    )


def _grouped(actor: Staff, start: date, end: date, key: ColumnElement[str] | None) -> Select:
    columns = _aggregates()
    statement = (
        select(*(([key.label("key")] if key is not None else []) + list(columns)))
        .select_from(Referral)
        .join(Client, Referral.client_id == Client.id)
        .where(Referral.received_on >= start, Referral.received_on <= end)
    )
    if key is not None:
        statement = statement.group_by(key).order_by(key)
    return policy.scope(statement, actor, "client.view", Client)


def _row(key: str, label: str, found: object | None) -> RateRow:
    if found is None or not found.referrals:  # type: ignore[attr-defined]
        return RateRow(key, label, 0, 0, 0, None)
    return RateRow(
        key,
        label,
        int(found.referrals),  # type: ignore[attr-defined]
        int(found.seen_same_day),  # type: ignore[attr-defined]
        int(found.not_recorded),  # type: ignore[attr-defined]
        float(found.rate),  # type: ignore[attr-defined]
    )


def same_day_report(actor: Staff, start: date, end: date) -> Report:
    """Counts and rates computed by the database (GROUP BY source, GROUP BY month of the agency's day the referral
    came in), inside the person's scope."""
    dialect = db.session.get_bind().dialect.name
    month = month_of(Referral.received_on, dialect)
    sources = {row.key: row for row in db.session.execute(_grouped(actor, start, end, Referral.source))}
    months = {row.key: row for row in db.session.execute(_grouped(actor, start, end, month))}
    total = db.session.execute(_grouped(actor, start, end, None)).one()
    return Report(
        start=start,
        end=end,
        by_source=[_row(s.value, s.label, sources.get(s.value)) for s in ReferralSource],
        by_month=[_row(key, _month_label(key), months.get(key)) for key in _months(start, end)],
        total=_row("total", "All sources", total),
    )


REPORT_CSV_HEADER = ("grouping", "group", "referrals", "seen_same_day", "not_recorded", "same_day_rate_percent")


def report_csv_rows(report: Report) -> Iterator[tuple[object, ...]]:
    yield REPORT_CSV_HEADER
    for grouping, rows in (("source", report.by_source), ("month", report.by_month), ("total", [report.total])):
        for row in rows:
            group = row.key if grouping == "month" else row.label
            rate = "" if row.rate is None else f"{row.rate:.1f}"
            yield (grouping, group, row.referrals, row.seen_same_day, row.not_recorded, rate)


def note_report(actor: Staff, report: Report, *, exported: bool) -> None:
    audit.record(
        "referral.report_exported" if exported else "referral.report_viewed",
        actor=actor,
        record_type="referral_report",
        detail=f"{report.start.isoformat()} to {report.end.isoformat()}; {report.total.referrals} referrals counted",
    )


# When the agency's time zone changes --------------------------------------------------------------------------


def refill_local_days() -> int:
    """Work out every referral's stored local days (and whether it was seen the same day) again in the agency's
    current time zone. Runs inside the settings change's transaction; returns how many referrals were looked at."""
    table = Referral.__table__
    rows = db.session.execute(select(Referral.id, Referral.received_at, Referral.seen_at)).all()
    changes = []
    for row in rows:
        received_on = timeutil.local_date(row.received_at)
        seen_on = None if row.seen_at is None else timeutil.local_date(row.seen_at)
        change = {"row_id": row.id, "received_on": received_on, "seen_on": seen_on}
        changes.append(change)
    if changes:
        db.session.execute(
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values(received_on=bindparam("received_on"), seen_on=bindparam("seen_on")),
            changes,
        )
        # Only a recorded visit has a same-day answer worth recomputing; "not seen the same day" stays as it was.
        db.session.execute(
            update(table)
            .where(table.c.seen_on.is_not(None))
            .values(seen_same_day=table.c.seen_on == table.c.received_on)
        )
    db.session.expire_all()
    return len(rows)
