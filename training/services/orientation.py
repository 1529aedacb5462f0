"""Orientation checklists: the template that ships with PeerWorks (from the agency's own material), HR's changes
to it, a checklist copied from it for a new staff member (when they are invited, or by HR), each item due so many
days after the start and signed off by the new staff member and by a supervisor above them; overdue items on the
supervisor's list."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.orm import contains_eager

from core import audit, edits, timeutil
from core.errors import InvalidInput, Refused
from core.extensions import db
from core.models import Staff
from training.models import Orientation, OrientationItem, OrientationTemplate, OrientationTemplateItem
from training.services import access

DATA = Path(__file__).resolve().parent.parent / "data" / "orientation.json"


def shipped() -> dict:
    return json.loads(DATA.read_text(encoding="utf-8"))


def existing_template() -> OrientationTemplate | None:
    """The agency's template if it has been made (reading never makes it)."""
    return db.session.scalar(select(OrientationTemplate).where(OrientationTemplate.builtin_key == "default"))


def shipped_items() -> list[tuple[str, int]]:
    return [(text, due_day) for text, due_day in shipped()["template"]["items"]]


def default_template() -> OrientationTemplate:
    """The agency's orientation template, made from the shipped one the first time it is asked for."""
    found = db.session.scalar(select(OrientationTemplate).where(OrientationTemplate.builtin_key == "default"))
    if found is not None:
        return found
    data = shipped()["template"]
    found = OrientationTemplate(name=data["name"], builtin_key=data["key"])
    found.items = [
        OrientationTemplateItem(position=position, text=text, due_day=due_day)
        for position, (text, due_day) in enumerate(data["items"])
    ]
    db.session.add(found)
    db.session.flush()
    return found


def add_item(template: OrientationTemplate, text: str, due_day: int, version: object, actor: Staff) -> None:
    edits.expect_version(template, version)
    position = max((item.position for item in template.items), default=-1) + 1
    template.items.append(OrientationTemplateItem(position=position, text=text.strip(), due_day=due_day))
    edits.bump(template)
    edits.flush()
    audit.record(
        "training.orientation_template_changed",
        actor=actor,
        record_type="training_orientation_template",
        record_id=template.id,
        detail="item added",
    )


def remove_item(template: OrientationTemplate, item_id: int, version: object, actor: Staff) -> None:
    edits.expect_version(template, version)
    kept = [item for item in template.items if item.id != item_id]
    if len(kept) == len(template.items):
        raise InvalidInput({"": "That item is not on the list any more."})
    template.items = kept
    edits.bump(template)
    edits.flush()
    audit.record(
        "training.orientation_template_changed",
        actor=actor,
        record_type="training_orientation_template",
        record_id=template.id,
        detail="item removed",
    )


def current_of(staff_id: int) -> Orientation | None:
    return db.session.scalar(
        select(Orientation).where(Orientation.staff_id == staff_id).order_by(Orientation.id.desc()).limit(1)
    )


def assign(staff: Staff, actor: Staff | None, starts_on: date | None = None) -> Orientation:
    """Copy the template into a checklist for ``staff`` starting on ``starts_on`` (today by default). A person who
    has one already keeps it: the same one is returned."""
    existing = current_of(staff.id)
    if existing is not None:
        return existing
    template = default_template()
    start = starts_on or timeutil.today()
    orientation = Orientation(
        staff_id=staff.id,
        template_name=template.name,
        starts_on=start,
        assigned_by_id=actor.id if actor is not None else None,
    )
    db.session.add(orientation)
    db.session.flush()
    db.session.add_all(
        OrientationItem(
            orientation_id=orientation.id,
            position=item.position,
            text=item.text,
            due_on=start + timedelta(days=item.due_day),
        )
        for item in template.items
    )
    db.session.flush()
    audit.record(
        "training.orientation_assigned",
        actor=actor,
        record_type="training_orientation",
        record_id=orientation.id,
        detail=f"staff {staff.id}",
    )
    return orientation


def when_invited(staff: Staff, actor: Staff) -> None:
    """A new staff member was invited (core.admin): their orientation starts the same day."""
    assign(staff, actor)


def items_of(orientation: Orientation) -> list[OrientationItem]:
    return list(
        db.session.scalars(
            select(OrientationItem)
            .where(OrientationItem.orientation_id == orientation.id)
            .order_by(OrientationItem.due_on, OrientationItem.position)
        )
    )


def sign(item: OrientationItem, version: object, actor: Staff) -> str:
    """The new staff member signs their side of an item, or a supervisor above them signs theirs. Returns whose
    side was signed ("staff" or "supervisor")."""
    edits.expect_version(item, version)
    orientation = db.session.get_one(Orientation, item.orientation_id)
    if access.is_self(actor, orientation.staff_id):
        if item.staff_signed_at is not None:
            raise Refused("You have signed this item already.")
        item.staff_signed_at = timeutil.utcnow()
        side = "staff"
    elif access.may_review_person(actor, orientation.staff_id):
        if item.supervisor_signed_at is not None:
            raise Refused("A supervisor has signed this item already.")
        item.supervisor_signed_at = timeutil.utcnow()
        item.supervisor_signed_by_id = actor.id
        side = "supervisor"
    else:
        raise Refused("Only the new staff member and a supervisor above them sign off orientation items.")
    edits.flush()
    audit.record(
        "training.orientation_signed",
        actor=actor,
        record_type="training_orientation_item",
        record_id=item.id,
        detail=side,
    )
    return side


def not_done() -> ColumnElement[bool]:
    return or_(OrientationItem.staff_signed_at.is_(None), OrientationItem.supervisor_signed_at.is_(None))


def overdue(condition: ColumnElement[bool], today: date | None = None) -> Select:
    """Items past their due day without both signatures, of the orientations ``condition`` allows, oldest first."""
    day = today or timeutil.today()
    return (
        select(OrientationItem)
        .join(Orientation, Orientation.id == OrientationItem.orientation_id)
        .options(contains_eager(OrientationItem.orientation).load_only(Orientation.id, Orientation.staff_id))
        .where(condition, OrientationItem.due_on < day, not_done())
        .order_by(OrientationItem.due_on, Orientation.id, OrientationItem.position)
    )


@dataclass(frozen=True)
class Summary:
    total: int
    done: int
    overdue: int


def summary(orientation: Orientation, today: date | None = None) -> Summary:
    day = today or timeutil.today()
    items = items_of(orientation)
    return Summary(
        total=len(items),
        done=sum(item.done for item in items),
        overdue=sum(not item.done and item.due_on < day for item in items),
    )


def visible(user: Staff) -> ColumnElement[bool]:
    return access.visible_people(user, Orientation.staff_id)


def open_orientations(condition: ColumnElement[bool]) -> Select:
    """Orientations with something left to sign, newest start first."""
    pending = select(OrientationItem.id).where(OrientationItem.orientation_id == Orientation.id, not_done())
    return (
        select(Orientation)
        .where(condition, pending.exists())
        .order_by(Orientation.starts_on.desc(), Orientation.id.desc())
    )
