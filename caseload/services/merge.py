"""Merging a possible duplicate into the protected (sealed) record it duplicates.

A merge moves every row that points at the duplicate to the sealed record. The list of those rows is read from the
database's metadata (every foreign key to ``caseload_client``), so a table added later is moved too; the few whose
rows cannot simply be repointed (a unique constraint or a key that includes the client) have a rule here, and a
table with such a constraint and no rule stops the merge (``check_rules``, also run by a test). The function takes
the acting person, flushes and audits; the view commits once, so a merge is all or nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Column, Table, UniqueConstraint, delete, func, select, update

from caseload.access import provider_conflict
from caseload.models import Assignment, Attendance, Client, ClientStatus, DeclaredRelationship, PlanVersion
from caseload.services.clients import end_assignment
from caseload.services.duplicates import possible_duplicates
from core import audit, edits
from core.errors import StaleEdit
from core.extensions import db
from core.models import Staff

# What points at a client -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    """One column that points at a client record."""

    table: Table
    column: Column

    @property
    def key(self) -> tuple[str, str]:
        return (self.table.name, self.column.name)


def client_references() -> list[Reference]:
    """Every column of every table with a foreign key to ``caseload_client``, read from the metadata."""
    found = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if any(fk.column.table.name == Client.__tablename__ for fk in column.foreign_keys):
                found.append(Reference(table, column))
    return found


def _unique_with(reference: Reference) -> bool:
    """Whether repointing this column could collide: it is part of a unique constraint or a composite key."""
    table, column = reference.table, reference.column
    groups = [constraint.columns for constraint in table.constraints if isinstance(constraint, UniqueConstraint)]
    groups += [index.columns for index in table.indexes if index.unique]
    if len(table.primary_key.columns) > 1:
        groups.append(table.primary_key.columns)
    return any(column.name in group for group in groups)


Move = Callable[[Reference, int, int], int]


def _repoint(reference: Reference, duplicate_id: int, sealed_id: int) -> int:
    """Point the rows at the sealed record; a row with a version column moves its version on."""
    values: dict[str, object] = {reference.column.name: sealed_id}
    if "version" in reference.table.c:
        values["version"] = reference.table.c.version + 1
    result = db.session.execute(
        update(reference.table).where(reference.column == duplicate_id).values(values),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount or 0


def _drop_where_already(reference: Reference, duplicate_id: int, sealed_id: int, other: str) -> int:
    """Drop the duplicate's rows the sealed record already has (the same value in column ``other``), then repoint."""
    table = reference.table
    clash = table.c[other].in_(select(table.c[other]).where(reference.column == sealed_id))
    dropped = (
        db.session.execute(
            delete(table).where(reference.column == duplicate_id, clash),
            execution_options={"synchronize_session": False},
        ).rowcount
        or 0
    )
    return dropped + _repoint(reference, duplicate_id, sealed_id)


def _renumber_plans(reference: Reference, duplicate_id: int, sealed_id: int) -> int:
    """Both records' plan versions become one history, numbered in the order they were written (the latest is the
    current plan). Numbers are first set out of the way, so the unique (client, number) never collides."""
    moved = (
        db.session.execute(
            update(PlanVersion)
            .where(PlanVersion.client_id == duplicate_id)
            .values(client_id=sealed_id, number=-PlanVersion.id),
            execution_options={"synchronize_session": False},
        ).rowcount
        or 0
    )
    db.session.execute(
        update(PlanVersion)
        .where(PlanVersion.client_id == sealed_id, PlanVersion.number > 0)
        .values(number=-PlanVersion.id),
        execution_options={"synchronize_session": False},
    )
    order = db.session.scalars(
        select(PlanVersion.id)
        .where(PlanVersion.client_id == sealed_id)
        .order_by(PlanVersion.written_at, PlanVersion.id)
    ).all()
    for number, version_id in enumerate(order, start=1):
        db.session.execute(
            update(PlanVersion).where(PlanVersion.id == version_id).values(number=number),
            execution_options={"synchronize_session": False},
        )
    return moved


RULES: dict[tuple[str, str], Move] = {
    (PlanVersion.__tablename__, "client_id"): _renumber_plans,
    # Attended the same session as both records: one row.
    (Attendance.__tablename__, "client_id"): lambda ref, dup, sealed: _drop_where_already(
        ref, dup, sealed, "session_id"
    ),
    # Declared knowing both records: one declaration.
    (DeclaredRelationship.__tablename__, "client_id"): lambda ref, dup, sealed: _drop_where_already(
        ref, dup, sealed, "staff_id"
    ),
}


class MergeRuleMissing(RuntimeError):
    """A table points at clients through a column that cannot simply be repointed, and has no rule here."""


def check_rules() -> list[Reference]:
    """Every reference to a client, after checking each one that could collide has a rule."""
    references = client_references()
    missing = [ref.key for ref in references if _unique_with(ref) and ref.key not in RULES]
    if missing:
        raise MergeRuleMissing(f"no merge rule for {missing}: add one to caseload.services.duplicates.RULES")
    return references


# Merging -----------------------------------------------------------------------------------------------------------


def holdings(client_id: int) -> dict[str, int]:
    """How many rows of each table point at this record (for the merge page), one query per table."""
    counts = {}
    for reference in client_references():
        counts[reference.table.name] = counts.get(reference.table.name, 0) + (
            db.session.scalar(select(func.count()).select_from(reference.table).where(reference.column == client_id))
            or 0
        )
    return counts


IDENTITY_GAPS = ("preferred_name", "pronouns", "phone")


def merge(
    sealed: Client, duplicate: Client, actor: Staff, *, sealed_version: object, duplicate_version: object
) -> dict[str, int]:
    """Merge ``duplicate`` into the sealed record: every row that points at it moves (notes, plans, consents,
    referrals, group attendance, assignments, declarations, grants…), gaps in the sealed record's identity are filled
    from it, assignments that now conflict with the seal end, the duplicate is removed, and the result stays sealed.
    Returns the rows moved per table. ``StaleEdit`` when either record changed since the page was loaded; the caller
    commits once (or rolls everything back)."""
    expect = edits.expect_version
    expect(sealed, sealed_version)
    expect(duplicate, duplicate_version)
    if not sealed.sealed or duplicate.sealed or duplicate.id not in {c.id for c in possible_duplicates(sealed)}:
        raise StaleEdit  # no longer a possible duplicate (renamed, sealed or merged in between)
    moved: dict[str, int] = {}
    for reference in check_rules():
        move = RULES.get(reference.key, _repoint)
        moved[reference.table.name] = moved.get(reference.table.name, 0) + move(reference, duplicate.id, sealed.id)
    for name in IDENTITY_GAPS:
        if not getattr(sealed, name) and getattr(duplicate, name):
            setattr(sealed, name, getattr(duplicate, name))
    if sealed.status == ClientStatus.DISCHARGED and duplicate.status != ClientStatus.DISCHARGED:
        sealed.status = duplicate.status  # a new referral brings a discharged client back
    edits.bump(sealed)
    duplicate_id, duplicate_version_now = duplicate.id, duplicate.version
    db.session.expunge(duplicate)
    removed = db.session.execute(
        delete(Client).where(Client.id == duplicate_id, Client.version == duplicate_version_now),
        execution_options={"synchronize_session": False},
    ).rowcount
    if removed != 1:
        raise StaleEdit
    edits.flush()
    db.session.expire_all()
    _end_conflicts(sealed, actor)
    total = sum(moved.values())
    audit.record(
        "client.merged",
        actor=actor,
        record_type="client",
        record_id=sealed.id,
        detail=f"merged record {duplicate_id} into it; {total} rows moved; still sealed",
    )
    audit.record(
        "client.merged_away",
        actor=actor,
        record_type="client",
        record_id=duplicate_id,
        detail="merged into another record and removed",
    )
    return moved


def _end_conflicts(sealed: Client, actor: Staff) -> None:
    """End the assignments the seal does not allow (a co-worker who took the referral) and repeated ones."""
    seen: set[int] = set()
    current = db.session.scalars(
        select(Assignment)
        .where(Assignment.client_id == sealed.id, Assignment.ended_at.is_(None))
        .order_by(Assignment.assigned_at, Assignment.id)
    ).all()
    for assignment in current:
        if assignment.staff_id in seen or provider_conflict(sealed, assignment.staff):
            end_assignment(assignment, actor)
        seen.add(assignment.staff_id)
