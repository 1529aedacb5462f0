"""The shadowing log: a person records whom they shadowed (another peer specialist here, another role on the team,
someone at another agency), when, for how long and what they took from it; a supervisor above them comments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, select

from core import audit, edits, timeutil
from core.errors import InvalidInput, Refused
from core.extensions import db
from core.models import Staff
from training.models import ShadowingEntry, ShadowKind
from training.services import access


@dataclass(frozen=True)
class ShadowingDetails:
    kind: str
    shadowed: str
    happened_on: date | None
    quarter_hours: int
    reflection: str


def record(details: ShadowingDetails, actor: Staff) -> ShadowingEntry:
    problems: dict[str, str] = {}
    if details.kind not in {kind.value for kind in ShadowKind}:
        problems["kind"] = "Choose whom you shadowed."
    if details.happened_on is not None and details.happened_on > timeutil.today():
        problems["happened_on"] = "The date cannot be after today. Record it once it has happened."
    if not 0 < details.quarter_hours <= 24 * 4:
        problems["hours"] = "Enter the hours, more than 0 and at most 24."
    if problems or details.happened_on is None:
        raise InvalidInput(problems)
    entry = ShadowingEntry(
        staff_id=actor.id,
        kind=details.kind,
        shadowed=details.shadowed.strip(),
        happened_on=details.happened_on,
        quarter_hours=details.quarter_hours,
        reflection=details.reflection.strip(),
    )
    db.session.add(entry)
    db.session.flush()
    audit.record("training.shadowing_recorded", actor=actor, record_type="training_shadowing", record_id=entry.id)
    return entry


def comment(entry: ShadowingEntry, text: str, version: object, actor: Staff) -> None:
    edits.expect_version(entry, version)
    if not access.may_review_person(actor, entry.staff_id):
        raise Refused("Only a supervisor above this person comments on their shadowing.")
    entry.supervisor_comment = text.strip()
    entry.commented_by_id = actor.id
    entry.commented_at = timeutil.utcnow()
    edits.flush()
    audit.record("training.shadowing_commented", actor=actor, record_type="training_shadowing", record_id=entry.id)


def of_person(staff_id: int) -> Select:
    return (
        select(ShadowingEntry)
        .where(ShadowingEntry.staff_id == staff_id)
        .order_by(ShadowingEntry.happened_on.desc(), ShadowingEntry.id.desc())
    )
