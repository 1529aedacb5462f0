"""Continuing-education (CE) entries: a person logs a course with its certificate (``core.uploads``: PDF, PNG or
JPEG, checked by content, at most 5 MB), corrects it until it is approved, and a supervisor above them approves it
or returns it with a reason. Only approved entries count, each in the one cycle holding its date; the same course
twice in a cycle counts once (the first one)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from core import audit, edits, notify, timeutil, uploads
from core.credentials import CeCategory, CeFormat
from core.errors import InvalidInput, Refused
from core.extensions import db
from core.models import Staff, Upload
from training.models import CeEntry, Certification, Cycle, EntryStatus
from training.services import access, progress

EVIDENCE_PURPOSE = "training.certificate"
EVIDENCE_KINDS = ("pdf", "png", "jpeg")
MOST_HOURS_IN_ONE_ENTRY = 80
EVIDENCE_COLUMNS = (Upload.id, Upload.filename, Upload.content_type, Upload.size)  # never the file itself


@dataclass(frozen=True)
class EntryDetails:
    title: str
    provider: str
    approval_number: str
    taken_on: date | None
    quarter_hours: int
    category: str
    format: str


def course_key(title: str, provider: str) -> str:
    """The same course however it was typed: letters and digits of the title and the provider, in lower case."""

    def plain(text: str) -> str:
        folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()
        return " ".join(re.findall(r"[a-z0-9]+", folded))

    return f"{plain(title)}|{plain(provider)}"[:300]


def _problems(certification: Certification, details: EntryDetails) -> dict[str, str]:
    problems: dict[str, str] = {}
    if details.taken_on is not None:
        if details.taken_on > timeutil.today():
            problems["taken_on"] = "The date cannot be after today. Log a course once you have taken it."
        elif details.taken_on < certification.issued_on:
            problems["taken_on"] = (
                f"This is before the certification was issued ({timeutil.long_date(certification.issued_on)}), "
                "so it cannot count toward it."
            )
    if details.category not in {c.value for c in CeCategory}:
        problems["category"] = "Choose one of the categories shown."
    if details.format not in {f.value for f in CeFormat}:
        problems["format"] = "Choose how the course was given."
    if not 0 < details.quarter_hours <= MOST_HOURS_IN_ONE_ENTRY * 4:
        problems["hours"] = f"Enter the hours, more than 0 and at most {MOST_HOURS_IN_ONE_ENTRY}."
    return problems


def _fill(entry: CeEntry, details: EntryDetails) -> None:
    entry.title = details.title.strip()
    entry.provider = details.provider.strip()
    entry.approval_number = details.approval_number.strip()
    entry.taken_on = details.taken_on  # type: ignore[assignment]
    entry.quarter_hours = details.quarter_hours
    entry.category = details.category
    entry.format = details.format
    entry.course_key = course_key(entry.title, entry.provider)


def log(certification: Certification, details: EntryDetails, evidence: uploads.Checked, actor: Staff) -> CeEntry:
    """A person logs a course toward their own certification; it waits for their supervisor's approval."""
    if not access.is_self(actor, certification.staff_id):
        raise Refused("You can log continuing education only for yourself.")
    problems = _problems(certification, details)
    if problems:
        raise InvalidInput(problems)
    upload = uploads.store(evidence, EVIDENCE_PURPOSE)
    entry = CeEntry(staff_id=actor.id, certification_id=certification.id, evidence_id=upload.id)
    _fill(entry, details)
    db.session.add(entry)
    db.session.flush()
    audit.record("training.ce_logged", actor=actor, record_type="training_ce_entry", record_id=entry.id)
    _tell_supervisor(actor)
    return entry


def _tell_supervisor(person: Staff) -> None:
    supervisor = person.supervisor
    if supervisor is None or not supervisor.is_active:
        return
    notify.notify(
        [supervisor],
        f"{person.name} logged continuing education for you to approve.",
        "/training/review",
        email_subject="Continuing education to approve",
        email_body=(
            f"{person.name} logged continuing education in PeerWorks. Sign in and open Training, then "
            '"Waiting for your approval", to approve it or return it.\n'
        ),
    )


def correct(
    entry: CeEntry, details: EntryDetails, evidence: uploads.Checked | None, version: object, actor: Staff
) -> list[str]:
    """The person corrects an entry that is not approved yet (a returned one goes back for approval)."""
    edits.expect_version(entry, version)
    if not access.is_self(actor, entry.staff_id) or entry.status == EntryStatus.APPROVED:
        raise Refused("An approved entry cannot be changed. Ask your supervisor if something is wrong with it.")
    if entry.attendance_id is not None:
        raise Refused("This entry comes from a training session's attendance: whoever recorded it corrects it there.")
    problems = _problems(db.session.get_one(Certification, entry.certification_id), details)
    if problems:
        raise InvalidInput(problems)
    before = (
        entry.title,
        entry.provider,
        entry.approval_number,
        entry.taken_on,
        entry.quarter_hours,
        entry.category,
        entry.format,
    )
    _fill(entry, details)
    after = (
        entry.title,
        entry.provider,
        entry.approval_number,
        entry.taken_on,
        entry.quarter_hours,
        entry.category,
        entry.format,
    )
    names = ("title", "provider", "approval number", "date", "hours", "category", "format")
    changed = [name for name, old, new in zip(names, before, after, strict=True) if old != new]
    if evidence is not None:
        entry.evidence_id = uploads.store(evidence, EVIDENCE_PURPOSE).id
        changed.append("certificate")
    if entry.status == EntryStatus.RETURNED:
        entry.status = EntryStatus.SUBMITTED
        changed.append("sent again for approval")
    if changed:
        edits.flush()
        audit.record(
            "training.ce_corrected",
            actor=actor,
            record_type="training_ce_entry",
            record_id=entry.id,
            detail=", ".join(changed),
        )
        if entry.status == EntryStatus.SUBMITTED and "sent again for approval" in changed:
            _tell_supervisor(actor)
    return changed


def _check_reviewer(entry: CeEntry, actor: Staff) -> None:
    if access.is_self(actor, entry.staff_id):
        raise Refused("You cannot approve or return your own continuing education: your supervisor does.")
    if not access.may_review_person(actor, entry.staff_id):
        raise Refused("Only a supervisor above this person can approve or return their continuing education.")
    if entry.status != EntryStatus.SUBMITTED:
        raise Refused("This entry is no longer waiting for approval: it was approved or returned already.")


def approve(entry: CeEntry, version: object, actor: Staff) -> None:
    edits.expect_version(entry, version)
    _check_reviewer(entry, actor)
    entry.status = EntryStatus.APPROVED
    entry.return_reason = ""
    entry.reviewed_by_id = actor.id
    entry.reviewed_at = timeutil.utcnow()
    edits.flush()
    progress.refresh(Cycle.certification_id == entry.certification_id)
    audit.record("training.ce_approved", actor=actor, record_type="training_ce_entry", record_id=entry.id)


def return_entry(entry: CeEntry, reason: str, version: object, actor: Staff) -> None:
    edits.expect_version(entry, version)
    _check_reviewer(entry, actor)
    entry.status = EntryStatus.RETURNED
    entry.return_reason = reason.strip()
    entry.reviewed_by_id = actor.id
    entry.reviewed_at = timeutil.utcnow()
    edits.flush()
    audit.record("training.ce_returned", actor=actor, record_type="training_ce_entry", record_id=entry.id)
    person = db.session.get(Staff, entry.staff_id)
    if person is not None and person.is_active:
        notify.notify(
            [person],
            "Your supervisor returned a continuing-education entry with a note.",
            f"/training/ce/{entry.id}",
            email_subject="A continuing-education entry was returned",
            email_body="Your supervisor returned a continuing-education entry with a note. Sign in to PeerWorks "
            "and open Training to read it and correct the entry.\n",
        )


# Lists ------------------------------------------------------------------------------------------------------------


def in_cycle(cycle: Cycle) -> Select:
    """Every entry dated in ``cycle``, newest first."""
    return (
        select(CeEntry)
        .options(joinedload(CeEntry.evidence).load_only(*EVIDENCE_COLUMNS))
        .where(
            CeEntry.certification_id == cycle.certification_id,
            CeEntry.taken_on >= cycle.starts_on,
            CeEntry.taken_on <= cycle.ends_on,
        )
        .order_by(CeEntry.taken_on.desc(), CeEntry.id.desc())
    )


def outside_cycles(certification: Certification) -> Select:
    """Entries dated after the latest cycle ended (they count once a renewal adds the cycle holding them)."""
    return (
        select(CeEntry)
        .where(CeEntry.certification_id == certification.id, CeEntry.taken_on > certification.expires_on)
        .order_by(CeEntry.taken_on.desc(), CeEntry.id.desc())
    )


def repeated_in(cycle: Cycle) -> set[int]:
    """Approved entries in ``cycle`` that repeat a course counted earlier in it (they do not count)."""
    counted = progress.counted_entries(Cycle.id == cycle.id)
    return set(db.session.scalars(select(counted.c.entry_id).where(counted.c.n > 1)))


def waiting_for(reviewer_condition: object) -> Select:
    """Entries waiting for approval among those ``reviewer_condition`` allows, oldest first."""
    return (
        select(CeEntry)
        .options(joinedload(CeEntry.staff).load_only(Staff.id, Staff.name), joinedload(CeEntry.certification))
        .where(reviewer_condition, CeEntry.status == EntryStatus.SUBMITTED)  # type: ignore[arg-type]
        .order_by(CeEntry.created_at, CeEntry.id)
    )
