"""Training: the certifications staff hold, their renewal cycles, the continuing education (CE) they log, and the
reminders sent before a certification expires.

* ``training_certification`` is one credential (``core_credential_type``) one person holds: its number, when it
  was issued, when it expires (the end of its latest cycle), whether it is provisional and whether HR put it on
  hold (suspended or retired). Its status is never stored: ``training.services.status`` works it out from these
  dates and today, in the agency's time zone. ``grace_ends_on`` and ``provisional_until`` follow from the dates
  and the credential's rules; they are stored so lists can filter on them in SQL, and worked out again whenever
  the dates or the rules change.
* ``training_cycle`` is one renewal cycle of a certification: the first starts the day it was issued, each renewal
  adds the next, starting the day after the one before ends, so cycles never overlap and a CE entry counts in
  exactly one: the one holding its date. Each cycle keeps its CE totals (counted, still missing, the last day the
  hours are on pace), worked out again whenever an entry, a date or a rule changes, so the expiry dashboard reads
  them instead of every entry.
* ``training_ce_entry`` is one course a person logged: title, provider, the provider's approval number, date, hours
  (quarter hours), category, format and the certificate (``core_upload``). A supervisor in the person's chain
  approves it or returns it with a reason; only approved entries count, and the same course twice in a cycle
  counts once (``course_key``).
* ``training_session`` is a staff training session HR or a supervisor plans (a curriculum or a topic, when, how
  long, who facilitates, and the CE category and provider approval that make it count); ``training_session_attendance``
  who attended and for how many hours. Each attendance of a CE-eligible session becomes a CE entry
  (``CeEntry.attendance_id``) in each certification the person holds, so the one-cycle and once-per-cycle rules,
  the limits and the audit pack treat it like any course.
* ``training_reminder`` is one reminder sent before a certification expires; the unique (certification, date)
  pair makes sure it is sent once, however many times and in however many places the command runs.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.credentials import CeCategory, CeFormat
from core.extensions import db
from core.labels import Labelled, label_words
from core.models import CredentialType, Staff, Upload
from core.timeutil import utcnow


def _in(kind: type[Labelled]) -> str:
    return "(" + ", ".join(f"'{member.value}'" for member in kind) + ")"


class CertStatus(Labelled):
    PROVISIONAL = "provisional"
    ACTIVE = "active"
    IN_GRACE = "in_grace"
    EXPIRED = "expired"
    SUSPENDED = "suspended"
    RETIRED = "retired"


class Hold(Labelled):
    """What HR recorded that the dates alone do not say."""

    NONE = "none"
    SUSPENDED = "suspended"
    RETIRED = "retired"


class EntryStatus(Labelled):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"


label_words(
    {
        (CertStatus, "provisional"): "Provisional",
        (CertStatus, "active"): "Active",
        (CertStatus, "in_grace"): "In grace period",
        (CertStatus, "expired"): "Expired",
        (CertStatus, "suspended"): "Suspended",
        (CertStatus, "retired"): "Retired",
        (Hold, "none"): "No hold: the dates decide",
        (Hold, "suspended"): "Suspended by the board",
        (Hold, "retired"): "Retired (no longer held)",
        (EntryStatus, "submitted"): "Waiting for approval",
        (EntryStatus, "approved"): "Approved",
        (EntryStatus, "returned"): "Returned",
    }
)


class Certification(db.Model):
    __tablename__ = "training_certification"
    __table_args__ = (
        UniqueConstraint("staff_id", "credential_type_id"),
        CheckConstraint(f"hold IN {_in(Hold)}", name="known_hold"),
        CheckConstraint("expires_on >= issued_on AND grace_ends_on >= expires_on", name="dates_in_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("core_staff.id", ondelete="CASCADE"), index=True)
    credential_type_id: Mapped[int] = mapped_column(ForeignKey("core_credential_type.id"), index=True)
    number: Mapped[str] = mapped_column(String(60), default="")
    issued_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date, index=True)  # the last day of the latest cycle
    grace_ends_on: Mapped[date] = mapped_column(Date, index=True)  # expires_on + the credential's grace days
    provisional: Mapped[bool] = mapped_column(default=False)
    provisional_until: Mapped[date | None] = mapped_column(Date, index=True)  # set only while provisional
    hold: Mapped[str] = mapped_column(String(20), default=Hold.NONE)
    hold_note: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    staff: Mapped[Staff] = relationship(lazy="joined", innerjoin=True)
    credential_type: Mapped[CredentialType] = relationship(lazy="joined", innerjoin=True)
    cycles: Mapped[list[Cycle]] = relationship(
        back_populates="certification", order_by="Cycle.number", lazy="raise", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def hold_label(self) -> str:
        return Hold(self.hold).label


class Cycle(db.Model):
    __tablename__ = "training_cycle"
    __table_args__ = (
        UniqueConstraint("certification_id", "number"),
        UniqueConstraint("starts_on", "certification_id"),  # named by its first column: uq_..._starts_on
        CheckConstraint("ends_on >= starts_on", name="dates_in_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    certification_id: Mapped[int] = mapped_column(
        ForeignKey("training_certification.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)  # 1 for the first cycle, 2 after the first renewal...
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_staff.id", ondelete="SET NULL"))
    # The CE totals, kept up to date by training.services.progress.refresh (quarter hours).
    logged_qh: Mapped[int] = mapped_column(Integer, default=0)  # approved, each course once, before the limits
    counted_qh: Mapped[int] = mapped_column(Integer, default=0)  # what counts toward the rule after the limits
    missing_qh: Mapped[int] = mapped_column(Integer, default=0)  # still needed, the category minimums included
    on_pace_until: Mapped[date | None] = mapped_column(Date, index=True)  # None: nothing more needed

    certification: Mapped[Certification] = relationship(back_populates="cycles", lazy="raise")
    recorded_by: Mapped[Staff | None] = relationship(lazy="raise")


class CeEntry(db.Model):
    __tablename__ = "training_ce_entry"
    __table_args__ = (
        CheckConstraint(f"status IN {_in(EntryStatus)}", name="known_status"),
        CheckConstraint(f"category IN {_in(CeCategory)}", name="known_category"),
        CheckConstraint(f"format IN {_in(CeFormat)}", name="known_format"),
        CheckConstraint("quarter_hours > 0", name="some_hours"),
        db.Index("ix_training_ce_entry_counting", "certification_id", "status", "taken_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("core_staff.id", ondelete="CASCADE"), index=True)
    certification_id: Mapped[int] = mapped_column(
        ForeignKey("training_certification.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    provider: Mapped[str] = mapped_column(String(200))
    approval_number: Mapped[str] = mapped_column(String(60), default="")
    taken_on: Mapped[date] = mapped_column(Date)
    quarter_hours: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(30))
    format: Mapped[str] = mapped_column(String(20))
    course_key: Mapped[str] = mapped_column(String(300))  # the same course, however it was typed
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("core_upload.id"), index=True)
    # Set when the entry comes from a staff training session's attendance (no certificate: the session is the
    # evidence); such an entry follows the session and is changed only through it.
    attendance_id: Mapped[int | None] = mapped_column(
        ForeignKey("training_session_attendance.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), default=EntryStatus.SUBMITTED, index=True)
    return_reason: Mapped[str] = mapped_column(String(500), default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_staff.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    staff: Mapped[Staff] = relationship(foreign_keys=[staff_id], lazy="raise")
    certification: Mapped[Certification] = relationship(lazy="raise")
    evidence: Mapped[Upload | None] = relationship(lazy="raise")
    reviewed_by: Mapped[Staff | None] = relationship(foreign_keys=[reviewed_by_id], lazy="raise")

    __mapper_args__ = {"version_id_col": version}

    @property
    def category_label(self) -> str:
        return CeCategory(self.category).label

    @property
    def format_label(self) -> str:
        return CeFormat(self.format).label

    @property
    def status_label(self) -> str:
        return EntryStatus(self.status).label


class Reminder(db.Model):
    __tablename__ = "training_reminder"
    __table_args__ = (UniqueConstraint("certification_id", "remind_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    certification_id: Mapped[int] = mapped_column(
        ForeignKey("training_certification.id", ondelete="CASCADE"), index=True
    )
    remind_on: Mapped[date] = mapped_column(Date)  # the threshold date: expires_on minus days_before
    days_before: Mapped[int] = mapped_column(Integer)
    expires_on: Mapped[date] = mapped_column(Date)
    sent_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


# Orientation, shadowing and curricula ----------------------------------------------------------------------------


class ShadowKind(Labelled):
    PEER = "peer"
    OTHER_ROLE = "other_role"
    OTHER_AGENCY = "other_agency"


label_words(
    {
        (ShadowKind, "peer"): "Another peer specialist here",
        (ShadowKind, "other_role"): "Another role on the team",
        (ShadowKind, "other_agency"): "Someone at another agency",
    }
)


class OrientationTemplate(db.Model):
    """A list of what a new staff member is walked through, each item due so many days after they start. PeerWorks
    ships one from the agency's own material (``training/data/orientation.json``); HR adds or removes items."""

    __tablename__ = "training_orientation_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160), unique=True)
    builtin_key: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    items: Mapped[list[OrientationTemplateItem]] = relationship(
        cascade="all, delete-orphan", order_by="OrientationTemplateItem.position", lazy="selectin"
    )

    __mapper_args__ = {"version_id_col": version}


class OrientationTemplateItem(db.Model):
    __tablename__ = "training_orientation_template_item"
    __table_args__ = (CheckConstraint("due_day >= 0", name="due_day_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(
        ForeignKey("training_orientation_template.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(300))
    due_day: Mapped[int] = mapped_column(Integer)  # days after the start


class Orientation(db.Model):
    """One new staff member's orientation: the template's items copied, each due on a day, signed off by the new
    staff member and by a supervisor above them."""

    __tablename__ = "training_orientation"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("core_staff.id", ondelete="CASCADE"), index=True)
    template_name: Mapped[str] = mapped_column(String(160))
    starts_on: Mapped[date] = mapped_column(Date)
    assigned_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_staff.id", ondelete="SET NULL"))

    staff: Mapped[Staff] = relationship(foreign_keys=[staff_id], lazy="joined", innerjoin=True)
    items: Mapped[list[OrientationItem]] = relationship(
        cascade="all, delete-orphan", order_by="OrientationItem.position", lazy="raise"
    )


class OrientationItem(db.Model):
    __tablename__ = "training_orientation_item"
    __table_args__ = (UniqueConstraint("orientation_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    orientation_id: Mapped[int] = mapped_column(ForeignKey("training_orientation.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(300))
    due_on: Mapped[date] = mapped_column(Date, index=True)
    staff_signed_at: Mapped[datetime | None] = mapped_column(DateTime)
    supervisor_signed_at: Mapped[datetime | None] = mapped_column(DateTime)
    supervisor_signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_staff.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    orientation: Mapped[Orientation] = relationship(back_populates="items", lazy="raise")
    supervisor_signed_by: Mapped[Staff | None] = relationship(lazy="raise")

    __mapper_args__ = {"version_id_col": version}

    @property
    def done(self) -> bool:
        return self.staff_signed_at is not None and self.supervisor_signed_at is not None


class ShadowingEntry(db.Model):
    """A time someone shadowed another peer specialist, another role on the team or someone at another agency,
    with their reflection and their supervisor's comment."""

    __tablename__ = "training_shadowing"
    __table_args__ = (
        CheckConstraint(f"kind IN {_in(ShadowKind)}", name="known_kind"),
        CheckConstraint("quarter_hours > 0", name="some_hours"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("core_staff.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    shadowed: Mapped[str] = mapped_column(String(200))  # whom: a name, a role, an agency
    happened_on: Mapped[date] = mapped_column(Date)
    quarter_hours: Mapped[int] = mapped_column(Integer)
    reflection: Mapped[str] = mapped_column(String(2000), default="")
    supervisor_comment: Mapped[str] = mapped_column(String(1000), default="")
    commented_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_staff.id", ondelete="SET NULL"))
    commented_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    commented_by: Mapped[Staff | None] = relationship(foreign_keys=[commented_by_id], lazy="raise")

    __mapper_args__ = {"version_id_col": version}

    @property
    def kind_label(self) -> str:
        return ShadowKind(self.kind).label


class Curriculum(db.Model):
    """A curriculum peer specialists use with the people they serve (WHAM, IMR, WRAP, Solutions for Wellness, or
    the agency's own), and who is trained to facilitate it."""

    __tablename__ = "training_curriculum"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160), unique=True)
    description: Mapped[str] = mapped_column(String(1000), default="")
    modules: Mapped[str] = mapped_column(String(4000), default="")  # one a line
    builtin_key: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    @property
    def module_list(self) -> list[str]:
        return [line for line in self.modules.splitlines() if line.strip()]


class Facilitator(db.Model):
    __tablename__ = "training_facilitator"
    __table_args__ = (UniqueConstraint("curriculum_id", "staff_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    curriculum_id: Mapped[int] = mapped_column(ForeignKey("training_curriculum.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("core_staff.id", ondelete="CASCADE"), index=True)
    since: Mapped[date] = mapped_column(Date)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_staff.id", ondelete="SET NULL"))

    staff: Mapped[Staff] = relationship(foreign_keys=[staff_id], lazy="joined", innerjoin=True)


# Staff training sessions -------------------------------------------------------------------------------------------


class TrainingSession(db.Model):
    """A staff training session: planned by HR or a supervisor (from a readiness action or on its own), with its
    attendance. It counts as continuing education when it has a CE category and the provider's approval number."""

    __tablename__ = "training_session"
    __table_args__ = (
        CheckConstraint("quarter_hours > 0", name="some_hours"),
        CheckConstraint(
            f"format IN ('{CeFormat.IN_PERSON.value}', '{CeFormat.LIVE_ONLINE.value}')", name="known_format"
        ),
        CheckConstraint(f"ce_category = '' OR ce_category IN {_in(CeCategory)}", name="known_category"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    curriculum_id: Mapped[int | None] = mapped_column(
        ForeignKey("training_curriculum.id", ondelete="SET NULL"), index=True
    )
    topic: Mapped[str] = mapped_column(String(200), default="")
    starts_at: Mapped[datetime] = mapped_column(DateTime)  # naive UTC
    held_on: Mapped[date] = mapped_column(Date, index=True)  # the agency's day of starts_at, refilled on a zone change
    quarter_hours: Mapped[int] = mapped_column(Integer)
    place: Mapped[str] = mapped_column(String(200), default="")
    format: Mapped[str] = mapped_column(String(20), default=CeFormat.IN_PERSON)
    ce_category: Mapped[str] = mapped_column(String(30), default="")  # "": not for continuing education
    provider: Mapped[str] = mapped_column(String(200), default="")
    approval_number: Mapped[str] = mapped_column(String(60), default="")
    planned_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_staff.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    curriculum: Mapped[Curriculum | None] = relationship(lazy="raise")
    facilitators: Mapped[list[SessionFacilitator]] = relationship(
        cascade="all, delete-orphan", order_by="SessionFacilitator.position", lazy="raise"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def ce_eligible(self) -> bool:
        return bool(self.ce_category and self.approval_number)

    @property
    def format_label(self) -> str:
        return CeFormat(self.format).label

    @property
    def category_label(self) -> str:
        return CeCategory(self.ce_category).label if self.ce_category else ""


class SessionFacilitator(db.Model):
    __tablename__ = "training_session_facilitator"
    __table_args__ = (UniqueConstraint("session_id", "staff_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_session.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("core_staff.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=1)

    staff: Mapped[Staff] = relationship(lazy="joined", innerjoin=True)


class Attendance(db.Model):
    """One person at a training session, with the hours they attended."""

    __tablename__ = "training_session_attendance"
    __table_args__ = (
        UniqueConstraint("session_id", "staff_id"),
        CheckConstraint("quarter_hours > 0", name="some_hours"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_session.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("core_staff.id", ondelete="CASCADE"), index=True)
    quarter_hours: Mapped[int] = mapped_column(Integer)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_staff.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    staff: Mapped[Staff] = relationship(foreign_keys=[staff_id], lazy="joined", innerjoin=True)
