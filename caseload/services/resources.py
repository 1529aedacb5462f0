"""The community resource directory (seed 001: social security office, family and children services, YMCA,
library, housing, food pantry...). Peers keep it up together; it holds no client data.

Functions take the acting person, flush and audit; the view commits. Saves use the record's version so two people
editing at once never overwrite each other silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload

from caseload.models import Resource, ResourceCategory
from core import audit, edits, timeutil
from core.database import contains_text
from core.edits import expect_version
from core.extensions import db
from core.models import Staff
from core.timeutil import utcnow

FIELD_LABELS = {
    "name": "Name",
    "category": "Category",
    "address": "Address",
    "phone": "Phone number",
    "website": "Website",
    "hours": "Opening hours",
    "notes": "Notes for peers",
}


@dataclass(frozen=True)
class ResourceDetails:
    name: str
    category: str
    address: str = ""
    phone: str = ""
    website: str = ""
    hours: str = ""
    notes: str = ""


def directory(q: str = "", category: str = "") -> Select[tuple[Resource]]:
    """Resources matching the search (name or notes, ignoring case) and category, by name."""
    statement = select(Resource).options(
        joinedload(Resource.updated_by).load_only(Staff.id, Staff.name).lazyload("*")
    )
    if q:
        statement = statement.where(or_(contains_text(Resource.name, q), contains_text(Resource.notes, q)))
    if category:
        statement = statement.where(Resource.category == ResourceCategory(category))
    return statement.order_by(func.lower(Resource.name), Resource.id)


def create_resource(details: ResourceDetails, actor: Staff) -> Resource:
    resource = Resource(**asdict(details), updated_by_id=actor.id, updated_at=utcnow())
    resource.category = ResourceCategory(details.category)
    db.session.add(resource)
    db.session.flush()
    audit.record("resource.created", actor=actor, record_type="resource", record_id=resource.id)
    return resource


def update_resource(resource: Resource, details: ResourceDetails, actor: Staff, *, version: object) -> list[str]:
    """Apply the changes; returns the names of the fields that changed. ``StaleEdit`` when the form was stale."""
    expect_version(resource, version)
    wanted = asdict(details)
    changed = [key for key, value in wanted.items() if getattr(resource, key) != value]
    if not changed:
        return []
    for key in changed:
        setattr(resource, key, wanted[key])
    resource.updated_by_id = actor.id
    resource.updated_at = utcnow()
    edits.flush()
    audit.record("resource.updated", actor=actor, record_type="resource", record_id=resource.id,
                 detail=", ".join(changed))
    return changed


def current_values(resource: Resource) -> dict[str, str]:
    """The record as saved now, for the "someone else changed it" message."""
    values = {key: getattr(resource, key) or "" for key in FIELD_LABELS}
    values["category"] = ResourceCategory(resource.category).label
    return values


CSV_HEADER = ("name", "category", "address", "phone", "website", "hours", "notes", "updated_by", "updated_at")


def csv_rows(resources: Iterable[Resource]) -> Iterator[tuple[object, ...]]:
    yield CSV_HEADER
    for r in resources:
        yield (
            r.name,
            ResourceCategory(r.category).label,
            r.address,
            r.phone,
            r.website,
            r.hours,
            r.notes,
            r.updated_by.name,
            f"{timeutil.local_time(r.updated_at):%Y-%m-%d %H:%M}",
        )


def note_exported(actor: Staff, count: int, *, filtered: bool) -> None:
    audit.record("resource.exported", actor=actor, record_type="resource",
                 detail=f"{'filtered' if filtered else 'all'}; {count} rows")
