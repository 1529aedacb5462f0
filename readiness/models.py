"""Readiness surveys: instruments (domains and items, versioned), campaigns (waves) and their scope, personal
invitations, and the anonymous answers with their running totals.

How answers stay anonymous:

* ``readiness_invitation`` knows the person; it records only whether they have answered (invited, started,
  completed) and, while a survey is half-done and they chose "Save and finish later", their draft. The draft is
  deleted in the same transaction that sends the answers.
* ``readiness_ballot`` holds sent answers until a batch is released into the tables below, then they are deleted
  (``readiness.services.ballots``; readiness/ANONYMITY.md).
* ``readiness_response``, ``readiness_answer`` and ``readiness_open_answer`` know nothing about the person: no
  staff id, no invitation id, no address, no browser, no team, no role group, no time (only the day the batch was
  released). A response's key is random, not a sequence, none of these tables has a rowid on SQLite
  (``sqlite_with_rowid=False``), and a batch is written in a shuffled order, so the order responses were stored in
  cannot be read back and lined up with anything else.
* ``readiness_open_answer`` holds the free-text answers, filed by campaign, question and their words (the sort key
  leads the primary key), so the results read the first few and page through the rest in alphabetical order by
  index, however many people answered.
* ``readiness_item_tally``, ``readiness_domain_tally`` and ``readiness_response_count`` are the running totals
  the results read, kept up to date in the transaction that releases each batch of answers, so results never scan
  the answers. They are keyed by campaign, team and role group (the item tally by campaign only) and grow with the
  survey's size and the number of groups, never with the number of people.
* ``readiness_action`` is one step of a campaign's action plan (what, owner, due date, status, optionally the domain
  it answers and the staff training session planned for it, ``training_session`` in the training module, which keeps
  its attendance and hours); ``readiness_champion`` a staff member who promotes the peer specialist role on a team.

``team_key`` in the totals is the team's id, or 0 for people on no team (a primary key column cannot be NULL, and
an upsert needs a primary key to meet on). ``role_group`` and ``tenure_band`` are "unsaid" when a person chose not
to say or skipped the question.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.labels import Labelled, label_words
from core.models import Staff, Team
from core.timeutil import utcnow
from training.models import TrainingSession

NO_TEAM = 0  # team_key of people on no team


class ItemKind(Labelled):
    LIKERT = "likert"  # a statement, answered on the 5-point agreement scale
    SINGLE = "single"  # one of a list of options
    MULTI = "multi"  # any of a list of options (checkboxes)
    TEXT = "text"  # free text


class InvitationStatus(Labelled):
    INVITED = "invited"
    STARTED = "started"  # saved a draft
    COMPLETED = "completed"


class RoleGroup(Labelled):
    PEER = "peer"
    CLINICAL = "clinical"
    OTHER = "other"
    MANAGER = "manager"
    UNSAID = "unsaid"


class TenureBand(Labelled):
    UNDER_1 = "under_1"
    FROM_1_TO_3 = "1_to_3"
    FROM_3_TO_10 = "3_to_10"
    OVER_10 = "over_10"
    UNSAID = "unsaid"


AGREEMENT = {
    1: "Strongly disagree",
    2: "Disagree",
    3: "Neither agree nor disagree",
    4: "Agree",
    5: "Strongly agree",
}

label_words({
    (ItemKind, "likert"): "Agreement (5 points)",
    (ItemKind, "single"): "One choice",
    (ItemKind, "multi"): "Any number of choices",
    (ItemKind, "text"): "Free text",
    (InvitationStatus, "invited"): "Not started",
    (InvitationStatus, "started"): "Started, saved to finish later",
    (InvitationStatus, "completed"): "Answers sent",
    (RoleGroup, "peer"): "Peer specialist",
    (RoleGroup, "clinical"): "Clinical staff",
    (RoleGroup, "other"): "Other staff",
    (RoleGroup, "manager"): "Supervisor or manager",
    (RoleGroup, "unsaid"): "Prefer not to say",
    (TenureBand, "under_1"): "Less than 1 year",
    (TenureBand, "1_to_3"): "1 to 3 years",
    (TenureBand, "3_to_10"): "3 to 10 years",
    (TenureBand, "over_10"): "More than 10 years",
    (TenureBand, "unsaid"): "Prefer not to say",
})


def _in(values: type[enum.StrEnum]) -> str:
    return "(" + ", ".join(f"'{member.value}'" for member in values) + ")"


def new_response_key() -> str:
    """A random key: response keys say nothing about the order responses arrived in."""
    return uuid.uuid4().hex


# Instruments ------------------------------------------------------------------------------------------------


class Instrument(db.Model):
    """A questionnaire. Once it has been sent to anyone it is never changed: a change makes the next version."""

    __tablename__ = "readiness_instrument"
    __table_args__ = (UniqueConstraint("first_version_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    description: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The first version of this line of versions (NULL on the first version itself); the newest version of a line
    # is the one with the highest number.
    first_version_id: Mapped[int | None] = mapped_column(ForeignKey("readiness_instrument.id"), index=True)
    previous_version_id: Mapped[int | None] = mapped_column(ForeignKey("readiness_instrument.id"))
    # "default" on the instrument that ships with PeerWorks (its first version), so it is created only once.
    builtin_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_staff.id"))
    # Optimistic concurrency (core.edits): counts saved edits of this row. Not ``version``, which is the survey's
    # version number above.
    revision: Mapped[int] = mapped_column(Integer, default=1)

    domains: Mapped[list[Domain]] = relationship(
        back_populates="instrument", order_by="[Domain.position, Domain.id]", cascade="all, delete-orphan",
        lazy="raise",
    )
    items: Mapped[list[Item]] = relationship(
        back_populates="instrument", order_by="[Item.position, Item.id]", cascade="all, delete-orphan",
        lazy="raise",
    )

    __mapper_args__ = {"version_id_col": revision}

    @property
    def line_id(self) -> int:
        return self.first_version_id or self.id

    def __str__(self) -> str:
        return f"{self.name} (version {self.version})"


class Domain(db.Model):
    """A group of items scored together (0-100), e.g. "Understanding of the peer specialist role"."""

    __tablename__ = "readiness_domain"
    __table_args__ = (UniqueConstraint("instrument_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # (indexed by the unique constraint, which starts with it)
    instrument_id: Mapped[int] = mapped_column(ForeignKey("readiness_instrument.id", ondelete="CASCADE"))
    # Stays the same from one version to the next, so waves on different versions can be compared domain by domain.
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(160))
    position: Mapped[int] = mapped_column(Integer, default=0)
    # The staff training to suggest when this domain scores low.
    training_topic: Mapped[str] = mapped_column(String(200), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)  # optimistic concurrency

    instrument: Mapped[Instrument] = relationship(back_populates="domains", lazy="raise")

    __mapper_args__ = {"version_id_col": version}


class Item(db.Model):
    """One question. Agreement items score 1-5; a reversed item is one where agreeing means less ready."""

    __tablename__ = "readiness_item"
    __table_args__ = (
        UniqueConstraint("instrument_id", "code"),
        CheckConstraint(f"kind IN {_in(ItemKind)}", name="known_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_id: Mapped[int] = mapped_column(ForeignKey("readiness_instrument.id", ondelete="CASCADE"))
    domain_id: Mapped[int | None] = mapped_column(ForeignKey("readiness_domain.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))  # the same from one version to the next
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(10), default=ItemKind.LIKERT)
    text: Mapped[str] = mapped_column(String(400))
    hint: Mapped[str] = mapped_column(String(300), default="")
    reversed: Mapped[bool] = mapped_column(Boolean, default=False)
    options: Mapped[str] = mapped_column(Text, default="")  # single and multi choice: one option a line
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)  # optimistic concurrency

    instrument: Mapped[Instrument] = relationship(back_populates="items", lazy="raise")
    domain: Mapped[Domain | None] = relationship(lazy="raise")

    __mapper_args__ = {"version_id_col": version}

    @property
    def option_list(self) -> list[str]:
        return [line.strip() for line in self.options.splitlines() if line.strip()]

    def choices(self) -> list[tuple[int, str]]:
        """The stored value and the words of each answer: 1-5 for agreement, 1..n for the options."""
        if self.kind == ItemKind.LIKERT:
            return list(AGREEMENT.items())
        return list(enumerate(self.option_list, start=1))


# Campaigns and invitations ----------------------------------------------------------------------------------


class Campaign(db.Model):
    """One wave of a survey (baseline, follow-up...) sent to the whole organization or to chosen teams."""

    __tablename__ = "readiness_campaign"
    __table_args__ = (CheckConstraint("closes_on >= opens_on", name="closes_after_opening"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    wave: Mapped[str] = mapped_column(String(60))
    instrument_id: Mapped[int] = mapped_column(ForeignKey("readiness_instrument.id"), index=True)
    whole_organization: Mapped[bool] = mapped_column(Boolean, default=True)
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)  # the last day answers are taken
    copied_from_id: Mapped[int | None] = mapped_column(ForeignKey("readiness_campaign.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_staff.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    invitations_sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The small-group threshold, fixed from the agency's setting when the first invitations went out (their email
    # states it) and kept for good: readiness.services.thresholds. NULL until then.
    min_cell: Mapped[int | None] = mapped_column(Integer)
    # Optimistic concurrency (core.edits); moved on by hand when only the chosen teams change.
    version: Mapped[int] = mapped_column(Integer, default=1)

    instrument: Mapped[Instrument] = relationship(lazy="joined")
    teams: Mapped[list[Team]] = relationship(
        secondary="readiness_campaign_team", order_by=Team.name, lazy="selectin"
    )
    created_by: Mapped[Staff | None] = relationship(lazy="raise")
    copied_from: Mapped[Campaign | None] = relationship(remote_side=[id], lazy="raise")

    __mapper_args__ = {"version_id_col": version}

    def is_open(self, today: date) -> bool:
        return self.opens_on <= today <= self.closes_on

    def state(self, today: date) -> str:
        if today < self.opens_on:
            return "scheduled"
        return "open" if today <= self.closes_on else "closed"

    def __str__(self) -> str:
        return f"{self.name} ({self.wave})"


class CampaignTeam(db.Model):
    """A team in a campaign's scope (choosing a program chooses each of its teams)."""

    __tablename__ = "readiness_campaign_team"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("readiness_campaign.id", ondelete="CASCADE"), primary_key=True
    )
    team_id: Mapped[int] = mapped_column(ForeignKey("core_team.id", ondelete="CASCADE"), primary_key=True, index=True)


class Invitation(db.Model):
    """A person's personal invitation to a campaign. It says whether they answered, never what."""

    __tablename__ = "readiness_invitation"
    __table_args__ = (
        UniqueConstraint("campaign_id", "staff_id"),
        CheckConstraint(f"status IN {_in(InvitationStatus)}", name="known_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("readiness_campaign.id", ondelete="CASCADE"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("core_staff.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the emailed link's token
    status: Mapped[str] = mapped_column(String(20), default=InvitationStatus.INVITED, index=True)
    # The team the person's answers count for, taken when the invitation is made (participation by team).
    team_id: Mapped[int | None] = mapped_column(ForeignKey("core_team.id", ondelete="SET NULL"), index=True)
    invited_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # JSON of the answers so far, only while the person chose "Save and finish later"; NULL once sent.
    draft: Mapped[str | None] = mapped_column(Text)

    campaign: Mapped[Campaign] = relationship(lazy="joined")
    staff: Mapped[Staff] = relationship(lazy="raise")
    team: Mapped[Team | None] = relationship(lazy="raise")


# Anonymous answers ------------------------------------------------------------------------------------------


class Response(db.Model):
    """One person's answers to one campaign, with nothing that says who: see the module docstring."""

    __tablename__ = "readiness_response"
    __table_args__ = (
        CheckConstraint(f"role_group IN {_in(RoleGroup)}", name="known_role_group"),
        CheckConstraint(f"tenure_band IN {_in(TenureBand)}", name="known_tenure_band"),
        {"sqlite_with_rowid": False},
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_response_key)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("readiness_campaign.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("core_team.id", ondelete="SET NULL"), index=True)
    role_group: Mapped[str] = mapped_column(String(20), default=RoleGroup.UNSAID)
    tenure_band: Mapped[str] = mapped_column(String(20), default=TenureBand.UNSAID)
    submitted_on: Mapped[date] = mapped_column(Date)


class Ballot(db.Model):
    """One person's sent answers waiting in the ballot box until a batch is released into the results
    (``readiness.services.ballots``). Deleted when released; see readiness/ANONYMITY.md for what this pending row
    still gives away and for how long."""

    __tablename__ = "readiness_ballot"
    __table_args__ = (
        CheckConstraint(f"role_group IN {_in(RoleGroup)}", name="known_role_group"),
        CheckConstraint(f"tenure_band IN {_in(TenureBand)}", name="known_tenure_band"),
        {"sqlite_with_rowid": False},
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_response_key)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("readiness_campaign.id", ondelete="CASCADE"), index=True)
    team_key: Mapped[int] = mapped_column(Integer)
    role_group: Mapped[str] = mapped_column(String(20))
    tenure_band: Mapped[str] = mapped_column(String(20))
    # JSON list of [item id, value, text or null]
    answers: Mapped[str] = mapped_column(Text)


class Answer(db.Model):
    """One chosen answer: the value (1-5, or the option's number). A multiple-choice item has one row per option
    chosen. Free text is kept in ``OpenAnswer``."""

    __tablename__ = "readiness_answer"
    __table_args__ = ({"sqlite_with_rowid": False},)

    response_id: Mapped[str] = mapped_column(
        ForeignKey("readiness_response.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("readiness_item.id"), primary_key=True, index=True)
    value: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


SORT_KEY_LENGTH = 100


def sort_key(text: str) -> str:
    """What open answers are sorted by: their words without case (the first 100 characters)."""
    return text.casefold()[:SORT_KEY_LENGTH]


class OpenAnswer(db.Model):
    """One free-text answer, filed by campaign, question and ``sort_key`` (then the response's random key, which
    says nothing about arrival order)."""

    __tablename__ = "readiness_open_answer"
    __table_args__ = ({"sqlite_with_rowid": False},)

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("readiness_campaign.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("readiness_item.id"), primary_key=True)
    sort_key: Mapped[str] = mapped_column(String(SORT_KEY_LENGTH), primary_key=True)
    response_id: Mapped[str] = mapped_column(
        ForeignKey("readiness_response.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    text: Mapped[str] = mapped_column(Text)


class ItemTally(db.Model):
    """How many people in a campaign gave ``value`` to ``item``, for the whole organization (0 counts free-text
    answers). Updated with each response; the answer distributions and the open-question counts read these rows
    (at most items x options per campaign) instead of the answers."""

    __tablename__ = "readiness_item_tally"
    __table_args__ = ({"sqlite_with_rowid": False},)

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("readiness_campaign.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("readiness_item.id"), primary_key=True, index=True)
    value: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(Integer, default=0)


class DomainTally(db.Model):
    """A domain's running total in a cell (campaign, team, role group): the sum of its agreement answers' 1-5
    scores (reversed statements already turned round) and how many answers made it. The scores read these rows
    (at most teams x role groups x domains per campaign) instead of the answers."""

    __tablename__ = "readiness_domain_tally"
    __table_args__ = ({"sqlite_with_rowid": False},)

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("readiness_campaign.id", ondelete="CASCADE"), primary_key=True
    )
    team_key: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    role_group: Mapped[str] = mapped_column(String(20), primary_key=True)
    domain_id: Mapped[int] = mapped_column(
        ForeignKey("readiness_domain.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    points: Mapped[int] = mapped_column(Integer, default=0)
    answers: Mapped[int] = mapped_column(Integer, default=0)


class ResponseCount(db.Model):
    """How many responses a cell (campaign, team, role group) holds: the denominators of the results."""

    __tablename__ = "readiness_response_count"
    __table_args__ = ({"sqlite_with_rowid": False},)

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("readiness_campaign.id", ondelete="CASCADE"), primary_key=True
    )
    team_key: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    role_group: Mapped[str] = mapped_column(String(20), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


# From results to action ------------------------------------------------------------------------------------


class ActionStatus(Labelled):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"


label_words({
    (ActionStatus, "planned"): "Planned",
    (ActionStatus, "in_progress"): "In progress",
    (ActionStatus, "done"): "Done",
})


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
    # The staff training session planned for this action (training.models.TrainingSession: attendance, hours, CE).
    training_session_id: Mapped[int | None] = mapped_column(
        ForeignKey("training_session.id", ondelete="SET NULL"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_staff.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    campaign: Mapped[Campaign] = relationship(lazy="raise")
    domain: Mapped[Domain | None] = relationship(lazy="raise")
    owner: Mapped[Staff] = relationship(foreign_keys=[owner_id], lazy="raise")
    training_session: Mapped[TrainingSession | None] = relationship(lazy="raise")

    __mapper_args__ = {"version_id_col": version}

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
