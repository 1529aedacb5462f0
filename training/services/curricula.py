"""Curricula peer specialists use (WHAM, IMR and its 12 modules, WRAP, Solutions for Wellness, and the agency's
own), and who is trained to facilitate each, since when. HR keeps the list."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Select, func, select

from core import audit, timeutil
from core.database import Lowered
from core.errors import InvalidInput
from core.extensions import db
from core.models import Staff, StaffStatus
from training.models import Curriculum, Facilitator
from training.services.orientation import shipped


def missing_shipped() -> list[str]:
    """The names of the curricula named in the agency's material that are not on the list."""
    have = set(db.session.scalars(select(Curriculum.builtin_key).where(Curriculum.builtin_key != "")))
    return [item["name"] for item in shipped()["curricula"] if item["key"] not in have]


def ensure_shipped(actor: Staff | None) -> list[Curriculum]:
    """Add the curricula named in the agency's material that are not on the list yet."""
    have = set(db.session.scalars(select(Curriculum.builtin_key).where(Curriculum.builtin_key != "")))
    added = []
    for item in shipped()["curricula"]:
        if item["key"] in have:
            continue
        curriculum = Curriculum(
            name=item["name"],
            description=item["description"],
            modules="\n".join(item["modules"]),
            builtin_key=item["key"],
        )
        db.session.add(curriculum)
        added.append(curriculum)
    db.session.flush()
    for curriculum in added:
        audit.record(
            "training.curriculum_added",
            actor=actor,
            record_type="training_curriculum",
            record_id=curriculum.id,
            detail="shipped",
        )
    return added


def listed() -> Select:
    return select(Curriculum).order_by(Curriculum.builtin_key == "", func.lower(Curriculum.name))


def add(name: str, description: str, modules: str, actor: Staff) -> Curriculum:
    taken = db.session.scalar(select(Curriculum.id).where(Lowered(Curriculum.name) == Lowered(name.strip())))
    if taken is not None:
        raise InvalidInput({"name": "A curriculum with this name is on the list already."})
    curriculum = Curriculum(name=name.strip(), description=description.strip(), modules=modules.strip())
    db.session.add(curriculum)
    db.session.flush()
    audit.record("training.curriculum_added", actor=actor, record_type="training_curriculum", record_id=curriculum.id)
    return curriculum


def facilitators(curriculum_ids: list[int]) -> dict[int, list[Facilitator]]:
    """The facilitators of each curriculum, in one query."""
    found: dict[int, list[Facilitator]] = {i: [] for i in curriculum_ids}
    if curriculum_ids:
        rows = db.session.scalars(
            select(Facilitator)
            .join(Staff, Staff.id == Facilitator.staff_id)
            .where(Facilitator.curriculum_id.in_(curriculum_ids))
            .order_by(func.lower(Staff.name))
        )
        for row in rows:
            found[row.curriculum_id].append(row)
    return found


def add_facilitator(curriculum: Curriculum, staff_id: int | None, since: date | None, actor: Staff) -> Facilitator:
    problems: dict[str, str] = {}
    person = db.session.get(Staff, staff_id) if staff_id else None
    if person is None or person.status == StaffStatus.DEACTIVATED:
        problems["staff"] = "Choose a staff member from the list."
    if since is not None and since > timeutil.today():
        problems["since"] = "The day they were trained cannot be after today."
    if person is not None and db.session.scalar(
        select(Facilitator.id).where(Facilitator.curriculum_id == curriculum.id, Facilitator.staff_id == person.id)
    ):
        problems["staff"] = f"{person.name} is on the list already."
    if problems or person is None or since is None:
        raise InvalidInput(problems)
    facilitator = Facilitator(curriculum_id=curriculum.id, staff_id=person.id, since=since, added_by_id=actor.id)
    db.session.add(facilitator)
    db.session.flush()
    audit.record(
        "training.facilitator_added",
        actor=actor,
        record_type="training_curriculum",
        record_id=curriculum.id,
        detail=f"staff {person.id}",
    )
    return facilitator


def remove_facilitator(facilitator: Facilitator, actor: Staff) -> None:
    db.session.delete(facilitator)
    db.session.flush()
    audit.record(
        "training.facilitator_removed",
        actor=actor,
        record_type="training_curriculum",
        record_id=facilitator.curriculum_id,
        detail=f"staff {facilitator.staff_id}",
    )
