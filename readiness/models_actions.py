"""From results to action: the readiness action plan, the training sessions it plans, and the team champions.

* ``readiness_action`` is one step of a campaign's action plan: what, who owns it, by when, how far along, and
  optionally the domain it answers and a training session. Edits are checked against ``version`` so a stale form
  never overwrites someone else's change.
* ``readiness_training_session`` is a planned staff training (title and date). The training module records
  attendance against it later.
* ``readiness_champion`` names a staff member who promotes the peer specialist role on a team, from a date.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models import Staff, Team
from core.timeutil import utcnow
from readiness.models import Campaign, Domain


class ActionStatus(enum.StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(member.value, member.label) for member in cls]


STATUS_LABELS = {
    ActionStatus.PLANNED: "Planned",
    ActionStatus.IN_PROGRESS: "In progress",
    ActionStatus.DONE: "Done",
}


class TrainingSession(db.Model):
    """A staff training session planned from the readiness results."""

    __tablename__ = "readiness_training_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Action(db.Model):
    """One step of a campaign's readiness action plan."""

    __tablename__ = "readiness_action"
    __table_args__ = (
        CheckConstraint("status IN ('planned', 'in_progress', 'done')", name="known_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("readiness_campaign.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    domain_id: Mapped[int | None] = mapped_column(ForeignKey("readiness_domain.id", ondelete="SET NULL"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("core_staff.id"), index=True)
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default=ActionStatus.PLANNED)
    training_session_id: Mapped[int | None] = mapped_column(
        ForeignKey("readiness_training_session.id", ondelete="SET NULL"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_staff.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    campaign: Mapped[Campaign] = relationship(lazy="raise")
    domain: Mapped[Domain | None] = relationship(lazy="raise")
    owner: Mapped[Staff] = relationship(foreign_keys=[owner_id], lazy="raise")
    training_session: Mapped[TrainingSession | None] = relationship(lazy="raise")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    @property
    def status_label(self) -> str:
        return ActionStatus(self.status).label


class Champion(db.Model):
    """A staff member who promotes the peer specialist role on a team."""

    __tablename__ = "readiness_champion"
    __table_args__ = (UniqueConstraint("team_id", "staff_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("core_team.id", ondelete="CASCADE"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("core_staff.id", ondelete="CASCADE"), index=True)
    since: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    team: Mapped[Team] = relationship(lazy="raise")
    staff: Mapped[Staff] = relationship(lazy="raise")
