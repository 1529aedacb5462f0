"""Supervision: sessions a supervisor holds with the peer specialists they supervise, one-to-one or as a group.

* ``supervision_meeting`` is one session: who led it (and a co-facilitator for a group), when (``held_at``, stored
  UTC, with the agency's calendar day ``held_on`` and its month ``held_month`` stored beside it so the hours are
  summed in SQL by the agency's month), how long, in what format, and the **shared part**: agenda topics, notes
  and decisions. ``revision`` numbers the shared part: an edit after anyone signed it off makes a new revision
  and asks everyone for a new sign-off. ``version`` is the optimistic-edit counter (``core.edits``).
* ``supervision_revision`` keeps every revision of the shared part as it was signed (the history).
* ``supervision_attendee`` is one supervisee at one session. It holds that person's **private wellness part**,
  which only they and the session's supervisor ever read: never a co-facilitator, another attendee, HR, the
  administrator, an export or a PDF other than the person's own.
* ``supervision_signoff`` is one attendee's answer to one revision: signed off, or a comment when they disagree.
* ``supervision_action_item`` is one thing to do, raised at a session for one supervisee, with its owner (the
  supervisee or the supervisor) and due date. It shows on every later session with that supervisee until closed;
  who closed it and when is kept. ``version`` is the optimistic-edit counter (closing several at once checks it).
* ``supervision_topic`` is an agenda topic the agency added to the built-in list; ``supervision_requirement`` is
  how much supervision a month the agency expects (one row without a credential type: the agency's rule; a row per
  credential type that asks for something else).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.labels import Labelled, label_words
from core.models import CredentialType, Staff
from core.timeutil import utcnow


class Kind(Labelled):
    ONE_TO_ONE = "one_to_one"
    GROUP = "group"


class Format(Labelled):
    IN_PERSON = "in_person"
    PHONE = "phone"
    VIDEO = "video"


label_words(
    {
        (Kind, "one_to_one"): "One-to-one",
        (Kind, "group"): "Group",
        (Format, "in_person"): "In person",
        (Format, "phone"): "Phone",
        (Format, "video"): "Video",
    }
)

# The agenda topics every agency starts with (seed 004); "Role fidelity" is where the role-fidelity share hooks in.
DEFAULT_TOPICS = (
    "Role clarity",
    "Boundaries and dual relationships",
    "Self-care and wellness",
    "Ethics",
    "Caseload review",
    "Professional development",
    "Certification progress",
    "Team integration",
    "Role fidelity",
)
ROLE_FIDELITY_TOPIC = "Role fidelity"


def _in(kind: type[Labelled]) -> str:
    return "(" + ", ".join(f"'{member.value}'" for member in kind) + ")"


class Meeting(db.Model):
    __tablename__ = "supervision_meeting"
    __table_args__ = (
        CheckConstraint(f"kind IN {_in(Kind)}", name="known_kind"),
        CheckConstraint(f"format IN {_in(Format)}", name="known_format"),
        CheckConstraint("duration_minutes > 0 AND duration_minutes <= 600", name="sensible_duration"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    supervisor_id: Mapped[int] = mapped_column(ForeignKey("core_staff.id"), index=True)
    co_facilitator_id: Mapped[int | None] = mapped_column(ForeignKey("core_staff.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    format: Mapped[str] = mapped_column(String(20))
    held_at: Mapped[datetime] = mapped_column(DateTime)  # UTC
    held_on: Mapped[date] = mapped_column(Date, index=True)  # the agency's day of held_at
    held_month: Mapped[date] = mapped_column(Date, index=True)  # the first day of held_on's month
    duration_minutes: Mapped[int] = mapped_column(Integer)
    topics: Mapped[str] = mapped_column(Text, default="")  # one topic a line
    notes: Mapped[str] = mapped_column(Text, default="")
    decisions: Mapped[str] = mapped_column(Text, default="")
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    supervisor: Mapped[Staff] = relationship(lazy="joined", innerjoin=True, foreign_keys=[supervisor_id])
    co_facilitator: Mapped[Staff | None] = relationship(lazy="joined", foreign_keys=[co_facilitator_id])
    attendees: Mapped[list[Attendee]] = relationship(
        back_populates="meeting", lazy="selectin", order_by="Attendee.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def kind_label(self) -> str:
        return Kind(self.kind).label

    @property
    def format_label(self) -> str:
        return Format(self.format).label

    @property
    def topic_list(self) -> list[str]:
        return [line for line in self.topics.split("\n") if line]


class Revision(db.Model):
    __tablename__ = "supervision_revision"
    __table_args__ = (UniqueConstraint("meeting_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("supervision_meeting.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    saved_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    saved_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_staff.id", ondelete="SET NULL"))
    held_at: Mapped[datetime] = mapped_column(DateTime)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(20))
    topics: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    decisions: Mapped[str] = mapped_column(Text, default="")

    @property
    def topic_list(self) -> list[str]:
        return [line for line in self.topics.split("\n") if line]

    @property
    def format_label(self) -> str:
        return Format(self.format).label


class Attendee(db.Model):
    __tablename__ = "supervision_attendee"
    __table_args__ = (UniqueConstraint("meeting_id", "staff_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("supervision_meeting.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("core_staff.id"), index=True)
    private_note: Mapped[str] = mapped_column(Text, default="")  # the private wellness part: see the docstring
    private_updated_at: Mapped[datetime | None] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    meeting: Mapped[Meeting] = relationship(back_populates="attendees", lazy="raise")
    staff: Mapped[Staff] = relationship(lazy="joined", innerjoin=True)

    __mapper_args__ = {"version_id_col": version}


class SignOff(db.Model):
    __tablename__ = "supervision_signoff"

    id: Mapped[int] = mapped_column(primary_key=True)
    attendee_id: Mapped[int] = mapped_column(ForeignKey("supervision_attendee.id", ondelete="CASCADE"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    agrees: Mapped[bool] = mapped_column(default=True)
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ActionItem(db.Model):
    __tablename__ = "supervision_action_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("supervision_meeting.id", ondelete="CASCADE"), index=True)
    supervisee_id: Mapped[int] = mapped_column(ForeignKey("core_staff.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("core_staff.id"))
    text: Mapped[str] = mapped_column(String(500))
    due_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_staff.id"))
    close_note: Mapped[str] = mapped_column(String(500), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)

    owner: Mapped[Staff] = relationship(lazy="joined", innerjoin=True, foreign_keys=[owner_id])
    supervisee: Mapped[Staff] = relationship(lazy="joined", innerjoin=True, foreign_keys=[supervisee_id])

    __mapper_args__ = {"version_id_col": version}


class Topic(db.Model):
    __tablename__ = "supervision_topic"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Requirement(db.Model):
    __tablename__ = "supervision_requirement"
    __table_args__ = (
        UniqueConstraint("credential_type_id"),
        CheckConstraint(
            "monthly_minutes >= 0 AND one_to_one_minutes >= 0 AND one_to_one_minutes <= monthly_minutes",
            name="sensible_minutes",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_type_id: Mapped[int | None] = mapped_column(ForeignKey("core_credential_type.id", ondelete="CASCADE"))
    monthly_minutes: Mapped[int] = mapped_column(Integer)
    one_to_one_minutes: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_staff.id", ondelete="SET NULL"))

    credential_type: Mapped[CredentialType | None] = relationship(lazy="joined")
