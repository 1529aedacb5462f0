"""Queries behind the audit screen and its CSV export, and the notes the screen itself leaves in the log.

Everything filters in SQL. The screen loads each entry's person with a join; the export streams plain rows.
Every query leaves out the entries hidden from the person looking (``core.policy.concealed``): a privacy officer or
administrator who is also a client here never reads the entries about their own record; another one does.
Notes about looking at the log say which filters were used and how many entries matched, never the filter values:
a name, an email address or a client's record number typed into a filter is personal data.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, func, not_, or_, select
from sqlalchemy.orm import joinedload

from core import audit, policy, timeutil
from core.auditlog.forms import NOT_SIGNED_IN, AuditFilterForm
from core.csvfiles import safe_cell
from core.database import contains_text
from core.extensions import db
from core.models import AuditEntry, Staff

PER_PAGE = 50
LARGEST_ID = 2**31 - 1  # the entry id column is a 32-bit integer on PostgreSQL
CSV_BATCH = 1000

FILTER_NAMES = {
    "person": "person",
    "action": "action",
    "outcome": "outcome",
    "record_type": "record type",
    "record_id": "record number",
    "date_from": "from date",
    "date_to": "to date",
}


@dataclass(frozen=True)
class Filters:
    person: str = ""
    action: str = ""
    outcome: str = ""
    record_type: str = ""
    record_id: str = ""
    date_from: date | None = None
    date_to: date | None = None

    @classmethod
    def from_form(cls, form: AuditFilterForm) -> Filters:
        return cls(
            person=form.person.data or "",
            action=form.action.data or "",
            outcome=form.outcome.data or "",
            record_type=form.record_type.data or "",
            record_id=form.record_id.data or "",
            date_from=form.date_from.data,
            date_to=form.date_to.data,
        )

    def used(self) -> list[str]:
        """The plain names of the filters in use, in screen order."""
        return [label for name, label in FILTER_NAMES.items() if getattr(self, name)]

    def as_args(self) -> dict[str, str]:
        """The filters as query-string arguments (for page links and the export link)."""
        args = {}
        for field in fields(self):
            value = getattr(self, field.name)
            if value:
                args[field.name] = value.isoformat() if isinstance(value, date) else value
        return args

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.person.casefold() == NOT_SIGNED_IN:
            found.append(AuditEntry.actor_id.is_(None))
        elif self.person:
            found.append(AuditEntry.actor_id.in_(select(Staff.id).where(or_(
                contains_text(Staff.name, self.person),
                contains_text(Staff.email, self.person),
            ))))
        if self.action:
            found.append(AuditEntry.action.icontains(self.action, autoescape=True))
        if self.outcome:
            found.append(AuditEntry.outcome == self.outcome)
        if self.record_type:
            found.append(AuditEntry.record_type.icontains(self.record_type, autoescape=True))
        if self.record_id:
            found.append(AuditEntry.record_id == self.record_id)
        if self.date_from is not None:
            found.append(AuditEntry.at >= timeutil.day_bounds(self.date_from)[0])
        if self.date_to is not None and self.date_to < date.max:
            found.append(AuditEntry.at < timeutil.day_bounds(self.date_to)[1])
        return found


def filter_form(args: Any) -> AuditFilterForm:
    return AuditFilterForm(formdata=args)


# The list, one entry, the export --------------------------------------------------------------------------------


def _shown_to(viewer: Staff) -> ColumnElement[bool]:
    return not_(policy.concealed(viewer, AuditEntry))


def entries(filters: Filters, viewer: Staff) -> Select[tuple[AuditEntry]]:
    """Matching entries, newest first, each with its person's name and email joined in (one query per page)."""
    person = joinedload(AuditEntry.actor).load_only(Staff.name, Staff.email).lazyload("*")
    return (
        select(AuditEntry)
        .options(person)
        .where(*filters.conditions(), _shown_to(viewer))
        .order_by(AuditEntry.id.desc())
    )


def count(filters: Filters, viewer: Staff) -> int:
    statement = select(func.count()).select_from(AuditEntry).where(*filters.conditions(), _shown_to(viewer))
    return db.session.scalar(statement) or 0


def entry(entry_id: int, viewer: Staff) -> AuditEntry | None:
    """One entry; None when there is none or it is hidden from ``viewer`` (the same one query either way)."""
    if not 0 <= entry_id <= LARGEST_ID:
        return None
    statement = (
        select(AuditEntry)
        .options(joinedload(AuditEntry.actor).load_only(Staff.name, Staff.email).lazyload("*"))
        .where(AuditEntry.id == entry_id, _shown_to(viewer))
        .execution_options(populate_existing=True)
    )
    return db.session.scalar(statement)


@dataclass(frozen=True)
class EntryCheck:
    """What one entry's own evidence says: does its hash fit its content, and does it link to the entry before?"""

    hash_matches: bool
    follows_previous: bool | None  # None when the entry before it is not there
    has_next: bool


def check_entry(found: AuditEntry) -> EntryCheck:
    recomputed = audit.entry_hash(
        id=found.id,
        at=found.at,
        actor_id=found.actor_id,
        action=found.action,
        record_type=found.record_type,
        record_id=found.record_id,
        outcome=found.outcome,
        address=found.address,
        user_agent=found.user_agent,
        detail=found.detail,
        prev_hash=found.prev_hash,
    )
    if found.id == 1:
        follows: bool | None = found.prev_hash == audit.GENESIS_HASH
    else:
        before = db.session.scalar(select(AuditEntry.hash).where(AuditEntry.id == found.id - 1))
        follows = None if before is None else before == found.prev_hash
    has_next = db.session.scalar(select(AuditEntry.id).where(AuditEntry.id == found.id + 1)) is not None
    return EntryCheck(hash_matches=recomputed == found.hash, follows_previous=follows, has_next=has_next)


CSV_HEADER = (
    "entry",
    "time_utc",
    "person_id",
    "person_name",
    "person_email",
    "action",
    "record_type",
    "record_id",
    "outcome",
    "address",
    "user_agent",
    "detail",
    "prev_hash",
    "hash",
)


def csv_lines(filters: Filters, before_id: int, viewer: Staff) -> Iterator[str]:
    """The matching entries written before ``before_id``, newest first, as CSV text in batches. The query is built
    here, while the request still holds ``viewer``; the rows are read as the response streams."""
    statement = (
        select(
            AuditEntry.id,
            AuditEntry.at,
            AuditEntry.actor_id,
            Staff.name,
            Staff.email,
            AuditEntry.action,
            AuditEntry.record_type,
            AuditEntry.record_id,
            AuditEntry.outcome,
            AuditEntry.address,
            AuditEntry.user_agent,
            AuditEntry.detail,
            AuditEntry.prev_hash,
            AuditEntry.hash,
        )
        .outerjoin(Staff, AuditEntry.actor_id == Staff.id)
        .where(AuditEntry.id < before_id, *filters.conditions(), _shown_to(viewer))
        .order_by(AuditEntry.id.desc())
        .execution_options(yield_per=CSV_BATCH)
    )
    return _csv_text(statement)


def _csv_text(statement: Select[Any]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")  # lets spreadsheet programs read the file as UTF-8
    writer.writerow(CSV_HEADER)
    for rows in db.session.execute(statement).partitions():
        for row in rows:
            values = list(row)
            values[1] = row.at.isoformat(sep=" ", timespec="microseconds")
            writer.writerow([safe_cell(value) for value in values])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


# What the screen leaves in the log -------------------------------------------------------------------------------


def _note(filters: Filters | None, matched: int | None) -> str:
    if filters is None:
        return "filters not valid; nothing shown"
    used = filters.used()
    scope = "filters: " + ", ".join(used) if used else "no filters"
    return f"{scope}; {matched} matching"


def note_viewed(actor: Staff, filters: Filters | None, matched: int | None, page: int | None = None) -> None:
    detail = _note(filters, matched) + (f"; page {page}" if page is not None and filters is not None else "")
    audit.record("audit.viewed", actor=actor, detail=detail)


def note_entry_viewed(actor: Staff, entry_id: int) -> None:
    audit.record("audit.viewed", actor=actor, record_type="audit_entry", record_id=entry_id)


def note_exported(actor: Staff, filters: Filters, matched: int) -> AuditEntry:
    return audit.record("audit.exported", actor=actor, detail=_note(filters, matched))


def check_chain(actor: Staff) -> audit.Verdict:
    """Walk the whole chain, then log that it was checked and what was found."""
    verdict = audit.verify()
    detail = f"intact, {verdict.checked} entries" if verdict.ok else f"broken at entry {verdict.bad_id}"
    audit.record("audit.checked", actor=actor, outcome=audit.ALLOWED, detail=detail)
    return verdict
