"""Training's record rules and list scopes, as tables that ``register`` hands to the one policy module
(core.policy), and the reader rule of its uploads (CE certificates).

Deny by default. A person's training (certifications, cycles, CE entries, certificates, audit packs, calendar,
orientation, shadowing log) is read by the person, everyone above them in their supervisor chain, and HR; the record
rules run the very SQL condition the lists use (``training.services.access``). HR records and changes
certifications and keeps the curricula and the orientation template. A person logs and corrects their own CE
entries until one is approved, and records their own shadowing; only a supervisor above them approves or returns
an entry, comments on shadowing or signs the supervisor's side of an orientation item. Everyone signed in reads the
curricula and who facilitates them, and the staff training sessions; HR and supervisors plan sessions and record
who attended (the entries attendance makes are changed only through the session).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, select, true

from core import policy, uploads
from core.extensions import db
from core.models import Staff, Upload
from core.policy import RecordRule, ScopeRule
from training.models import (
    CeEntry,
    Certification,
    Curriculum,
    Cycle,
    EntryStatus,
    Facilitator,
    Hold,
    Orientation,
    OrientationItem,
    ShadowingEntry,
    TrainingSession,
)
from training.services import access
from training.services.ce import EVIDENCE_PURPOSE


def _matches(model: type, record_id: int, condition: ColumnElement[bool]) -> bool:
    """Run the list's SQL condition for one record, so a record page and its list can never disagree."""
    return db.session.scalar(select(model.id).where(model.id == record_id, condition)) is not None


def _certifications_seen(user: Any) -> ColumnElement[bool]:
    return access.visible_people(user, Certification.staff_id)


def _entries_seen(user: Any) -> ColumnElement[bool]:
    return access.visible_people(user, CeEntry.staff_id)


def _entries_to_review(user: Any) -> ColumnElement[bool]:
    return access.reviewable_people(user, CeEntry.staff_id)


def _people_seen(user: Any) -> ColumnElement[bool]:
    return access.visible_people(user, Staff.id)


def _may_see_person(user: Any, staff: Staff) -> bool:
    return access.may_see_person(user, staff.id)


def _may_see_certification(user: Any, certification: Certification) -> bool:
    return _matches(Certification, certification.id, _certifications_seen(user))


def _may_see_cycle(user: Any, cycle: Cycle) -> bool:
    return _matches(Certification, cycle.certification_id, _certifications_seen(user))


def _may_manage_certification(user: Any, _certification: Certification) -> bool:
    return access.is_hr(user)


def _may_log_for(user: Any, certification: Certification) -> bool:
    """A person logs CE toward their own certifications (not one HR has retired)."""
    return access.is_self(user, certification.staff_id) and certification.hold != Hold.RETIRED


def _may_see_entry(user: Any, entry: CeEntry) -> bool:
    return _matches(CeEntry, entry.id, _entries_seen(user))


def _may_correct_entry(user: Any, entry: CeEntry) -> bool:
    """The person who logged it, until it is approved; never an entry made by a training session's attendance."""
    return access.is_self(user, entry.staff_id) and entry.status != EntryStatus.APPROVED and entry.attendance_id is None


def _may_review_entry(user: Any, entry: CeEntry) -> bool:
    return _matches(CeEntry, entry.id, _entries_to_review(user))


def may_read_certificate(user: Any, upload: Upload) -> bool:
    """A CE certificate: the person who sent it, their supervisor chain and HR."""
    if upload.purpose != EVIDENCE_PURPOSE:
        return False
    owner = db.session.scalar(select(CeEntry.staff_id).where(CeEntry.evidence_id == upload.id))
    return owner is not None and access.may_see_person(user, owner)


def _hr_only(user: Any) -> ColumnElement[bool]:
    return true() if access.is_hr(user) else false()


def _orientations_seen(user: Any) -> ColumnElement[bool]:
    return access.visible_people(user, Orientation.staff_id)


def _shadowing_seen(user: Any) -> ColumnElement[bool]:
    return access.visible_people(user, ShadowingEntry.staff_id)


def _may_see_orientation_item(user: Any, item: OrientationItem) -> bool:
    return _matches(Orientation, item.orientation_id, _orientations_seen(user))


def _may_see_shadowing(user: Any, entry: ShadowingEntry) -> bool:
    return _matches(ShadowingEntry, entry.id, _shadowing_seen(user))


def _may_see_curriculum(user: Any, _curriculum: Curriculum) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def _may_manage_curricula(user: Any, _record: object) -> bool:
    return access.is_hr(user)


def _may_see_session(user: Any, _session: TrainingSession) -> bool:
    """Everyone signed in reads a session (what, when, who facilitates); attendance is for its planners."""
    return bool(getattr(user, "is_authenticated", False))


def _may_manage_session(user: Any, _session: TrainingSession) -> bool:
    """HR and supervisors plan sessions and record attendance."""
    return policy.can(user, "training.sessions")


RECORD_RULES: dict[tuple[type, str], RecordRule] = {
    (Staff, "training.person"): _may_see_person,
    (Certification, "certification.view"): _may_see_certification,
    (Certification, "certification.manage"): _may_manage_certification,
    (Certification, "certification.log"): _may_log_for,
    (Cycle, "cycle.view"): _may_see_cycle,
    (CeEntry, "ce.view"): _may_see_entry,
    (CeEntry, "ce.correct"): _may_correct_entry,
    (CeEntry, "ce.review"): _may_review_entry,
    (OrientationItem, "orientation.view"): _may_see_orientation_item,
    (ShadowingEntry, "shadowing.view"): _may_see_shadowing,
    (Curriculum, "curriculum.view"): _may_see_curriculum,
    (Curriculum, "curriculum.manage"): _may_manage_curricula,
    (Facilitator, "curriculum.manage"): _may_manage_curricula,
    (TrainingSession, "session.view"): _may_see_session,
    (TrainingSession, "session.manage"): _may_manage_session,
}

SCOPE_RULES: dict[tuple[type, str], ScopeRule] = {
    (Staff, "training.people"): _people_seen,
    (Certification, "certification.view"): _certifications_seen,
    (Certification, "certification.manage"): _hr_only,
    (CeEntry, "ce.view"): _entries_seen,
    (CeEntry, "ce.review"): _entries_to_review,
    (Orientation, "orientation.view"): _orientations_seen,
    (ShadowingEntry, "shadowing.view"): _shadowing_seen,
}

UPLOAD_READERS: dict[str, uploads.Reader] = {EVIDENCE_PURPOSE: may_read_certificate}


def register() -> None:
    policy.add_record_rules(RECORD_RULES)
    policy.add_scope_rules(SCOPE_RULES)
    uploads.add_readers(UPLOAD_READERS)
