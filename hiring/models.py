"""Hiring: job-description templates, postings with their versions and approval steps, and the phrases the checks
look for.

* ``hiring_template`` is one of the agency's own templates (a copy of the sample that ships with PeerWorks, of
  another template, or of a draft). The sample itself is data (``hiring/data/sample_job_description.json``), never a
  row, so it is there in every agency and cannot be changed.
* ``hiring_posting`` is one job being hired for, from its first draft to its close: its status, which version is
  current, which was approved and which is published. Candidates, interview panels and the person hired hang off
  it (later work).
* ``hiring_posting_version`` is one saved state of a posting, whole: every save adds one, so any two can be
  compared and any one restored (as a new version). The version that was published is never changed (the published
  text is frozen); an edit after publishing makes a new version while the careers page keeps the published one.
* ``hiring_posting_event`` is one step of the approval path (draft, in review, approved, published, closed), with who,
  when, which version and a comment.
* ``hiring_application`` is one application sent on the careers page: who, how to reach them, their answers to the
  posting's questions, an optional lived-experience or veteran statement and their résumé (``core_upload``). It is
  personal data: only HR and the administrator see it. (The candidate pipeline and interview panels build on it.)
* ``hiring_candidate`` is one applicant in the posting's pipeline (applied, screened, interview, offer, then hired,
  not selected or withdrawn), made with the application it stands for; ``hiring_candidate_event`` is one move along
  the pipeline with who, when, a comment and (for "not selected") the reason. Candidates are personal data: only
  HR, the administrator and the posting's interview panel see them (``hiring.policy``).
* ``hiring_panel`` is a posting's interview panel: its interviewers (``hiring_panel_member``) and the competencies
  of seed 003 they score (``hiring_panel_competency``, by their key in the duty library).
* ``hiring_scorecard`` is one interviewer's scores of one candidate (``hiring_score``: 1 to 5 with evidence, per
  chosen competency), saved as a draft until submitted; once submitted it never changes.
* ``hiring_hire`` records which posting filled which staff member's role: made when a candidate is hired (the
  staff member is invited through the admin service), kept after the candidate's own data is removed.
* ``hiring_exclusion_phrase`` is a phrase HR added to the list of requirement phrases that shut out people with
  lived experience (the built-in ones are in ``hiring.services.checks``).

A document (a template's or a version's) is JSON: ``{"subtitle", "sections": [{"key", "heading", "text", "groups":
[{"key", "lead", "style", "duties": [{"key", "text", "items"}]}], "after"}]}`` (``hiring.services.documents``).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.labels import Labelled, label_words
from core.models import CredentialType, Program, Staff, Team, Upload
from core.timeutil import utcnow


class WorkSetting(Labelled):
    INPATIENT = "inpatient"
    OUTPATIENT = "outpatient"
    COMMUNITY = "community"
    HOUSING = "housing"


class EmploymentType(Labelled):
    FULL_TIME = "full_time"
    PART_TIME = "part_time"


class PayPeriod(Labelled):
    HOUR = "hour"
    YEAR = "year"


class LivedExperience(Labelled):
    REQUIRED = "required"
    PREFERRED = "preferred"
    NOT_ASKED = "not_asked"


class PostingStatus(Labelled):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    PUBLISHED = "published"
    CLOSED = "closed"


class CandidateStage(Labelled):
    """The pipeline, in order: the first four are open, the last three end it."""

    APPLIED = "applied"
    SCREENED = "screened"
    INTERVIEW = "interview"
    OFFER = "offer"
    HIRED = "hired"
    NOT_SELECTED = "not_selected"
    WITHDRAWN = "withdrawn"


OPEN_STAGES = (CandidateStage.APPLIED, CandidateStage.SCREENED, CandidateStage.INTERVIEW, CandidateStage.OFFER)


label_words(
    {
        (WorkSetting, "inpatient"): "Inpatient",
        (WorkSetting, "outpatient"): "Outpatient",
        (WorkSetting, "community"): "Community",
        (WorkSetting, "housing"): "Housing",
        (EmploymentType, "full_time"): "Full time",
        (EmploymentType, "part_time"): "Part time",
        (PayPeriod, "hour"): "per hour",
        (PayPeriod, "year"): "per year",
        (LivedExperience, "required"): "Required: personal lived experience of recovery",
        (LivedExperience, "preferred"): "Preferred: personal lived experience of recovery",
        (LivedExperience, "not_asked"): "Not asked",
        (PostingStatus, "draft"): "Draft",
        (PostingStatus, "in_review"): "In review",
        (PostingStatus, "approved"): "Approved",
        (PostingStatus, "published"): "Published",
        (PostingStatus, "closed"): "Closed",
        (CandidateStage, "applied"): "Applied",
        (CandidateStage, "screened"): "Screened",
        (CandidateStage, "interview"): "Interview",
        (CandidateStage, "offer"): "Offer",
        (CandidateStage, "hired"): "Hired",
        (CandidateStage, "not_selected"): "Not selected",
        (CandidateStage, "withdrawn"): "Withdrawn",
    }
)


def _in(values: type[enum.StrEnum]) -> str:
    return "(" + ", ".join(f"'{member.value}'" for member in values) + ")"


class Template(db.Model):
    """One of the agency's own job-description templates."""

    __tablename__ = "hiring_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    title: Mapped[str] = mapped_column(String(160))  # the job title a draft starts with
    document: Mapped[str] = mapped_column(Text)  # JSON, see the module's docstring
    copied_from: Mapped[str] = mapped_column(String(200), default="")  # words: "the sample", "template X", "draft 4"
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_staff.id"))
    retired_at: Mapped[datetime | None] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)  # optimistic concurrency (core.edits)

    __mapper_args__ = {"version_id_col": version}


class Posting(db.Model):
    """One job being hired for, from its first draft to its close."""

    __tablename__ = "hiring_posting"
    __table_args__ = (CheckConstraint(f"status IN {_in(PostingStatus)}", name="known_status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default=PostingStatus.DRAFT, index=True)
    template_name: Mapped[str] = mapped_column(String(160), default="")  # the template it started from
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_staff.id"))
    current_number: Mapped[int] = mapped_column(Integer, default=1)  # the version being worked on
    approved_number: Mapped[int | None] = mapped_column(Integer)  # the version approved (while it is current)
    published_number: Mapped[int | None] = mapped_column(Integer)  # the version on the careers page (frozen)
    published_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Optimistic concurrency (core.edits): counts saves of this row. Not a version of the text (current_number).
    version: Mapped[int] = mapped_column(Integer, default=1)

    versions: Mapped[list[PostingVersion]] = relationship(
        back_populates="posting", order_by="PostingVersion.number", lazy="raise", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def status_label(self) -> str:
        return PostingStatus(self.status).label

    @property
    def is_public(self) -> bool:
        return self.published_number is not None and self.status != PostingStatus.CLOSED


class PostingVersion(db.Model):
    """One saved state of a posting, whole. Never changed once written."""

    __tablename__ = "hiring_posting_version"
    __table_args__ = (
        UniqueConstraint("posting_id", "number"),
        CheckConstraint(f"setting IS NULL OR setting IN {_in(WorkSetting)}", name="known_setting"),
        CheckConstraint(f"employment_type IN {_in(EmploymentType)}", name="known_employment_type"),
        CheckConstraint(f"pay_period IN {_in(PayPeriod)}", name="known_pay_period"),
        CheckConstraint(f"lived_experience IN {_in(LivedExperience)}", name="known_lived_experience"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    posting_id: Mapped[int] = mapped_column(ForeignKey("hiring_posting.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_staff.id"))
    note: Mapped[str] = mapped_column(String(200), default="")  # what this save did, in words

    title: Mapped[str] = mapped_column(String(160))
    program_id: Mapped[int | None] = mapped_column(ForeignKey("core_program.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("core_team.id"), index=True)
    setting: Mapped[str | None] = mapped_column(String(20), index=True)
    employment_type: Mapped[str] = mapped_column(String(20), default=EmploymentType.FULL_TIME)
    pay_min_cents: Mapped[int | None] = mapped_column(Integer)
    pay_max_cents: Mapped[int | None] = mapped_column(Integer)
    pay_period: Mapped[str] = mapped_column(String(10), default=PayPeriod.HOUR)
    hours_per_week: Mapped[int] = mapped_column(Integer, default=40)
    schedule: Mapped[str] = mapped_column(String(300), default="")
    credential_type_id: Mapped[int | None] = mapped_column(ForeignKey("core_credential_type.id"))
    lived_experience: Mapped[str] = mapped_column(String(20), default=LivedExperience.REQUIRED)
    lived_experience_text: Mapped[str] = mapped_column(Text, default="")
    closes_on: Mapped[date | None] = mapped_column(Date)  # the last day to apply
    questions: Mapped[str] = mapped_column(Text, default="")  # questions for applicants, one a line
    document: Mapped[str] = mapped_column(Text)  # JSON, see the module's docstring
    blanks: Mapped[str] = mapped_column(Text, default="{}")  # JSON: blank label -> what fills it

    posting: Mapped[Posting] = relationship(back_populates="versions", lazy="raise")
    program: Mapped[Program | None] = relationship(lazy="joined")
    team: Mapped[Team | None] = relationship(lazy="joined")
    credential_type: Mapped[CredentialType | None] = relationship(lazy="joined")
    created_by: Mapped[Staff | None] = relationship(lazy="joined", foreign_keys=[created_by_id])

    @property
    def setting_label(self) -> str:
        return WorkSetting(self.setting).label if self.setting else ""

    @property
    def employment_label(self) -> str:
        return EmploymentType(self.employment_type).label

    @property
    def lived_experience_label(self) -> str:
        return LivedExperience(self.lived_experience).label

    @property
    def question_list(self) -> list[str]:
        return [line.strip() for line in (self.questions or "").splitlines() if line.strip()]


class PostingEvent(db.Model):
    """One step of a posting's approval path."""

    __tablename__ = "hiring_posting_event"
    __table_args__ = (CheckConstraint(f"to_status IN {_in(PostingStatus)}", name="known_to_status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    posting_id: Mapped[int] = mapped_column(ForeignKey("hiring_posting.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("core_staff.id"))
    from_status: Mapped[str] = mapped_column(String(20), default="")
    to_status: Mapped[str] = mapped_column(String(20))
    version_number: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")

    actor: Mapped[Staff | None] = relationship(lazy="joined")

    @property
    def to_label(self) -> str:
        return PostingStatus(self.to_status).label


class ExclusionPhrase(db.Model):
    """A requirement phrase HR added to the list the checks look for."""

    __tablename__ = "hiring_exclusion_phrase"

    id: Mapped[int] = mapped_column(primary_key=True)
    phrase: Mapped[str] = mapped_column(String(120), unique=True)
    reason: Mapped[str] = mapped_column(String(400), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_staff.id"))


class Application(db.Model):
    """One application sent on the careers page."""

    __tablename__ = "hiring_application"
    __table_args__ = (
        # A posting's candidate list, newest application first: read a page in index order, and stop after it,
        # instead of sorting every candidate of the posting (hiring.services.candidates.listed).
        Index("ix_hiring_application_posting_created", "posting_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    posting_id: Mapped[int] = mapped_column(ForeignKey("hiring_posting.id", ondelete="CASCADE"), index=True)
    version_number: Mapped[int] = mapped_column(Integer)  # the published version they applied to
    name: Mapped[str] = mapped_column(String(160))
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str] = mapped_column(String(40), default="")
    answers: Mapped[str] = mapped_column(Text, default="[]")  # JSON: [[question, answer], ...]
    statement: Mapped[str] = mapped_column(Text, default="")  # optional lived-experience or veteran statement
    resume_id: Mapped[int] = mapped_column(ForeignKey("core_upload.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)

    resume: Mapped[Upload] = relationship(lazy="joined")


class Candidate(db.Model):
    """One applicant in a posting's pipeline, made with the application it stands for."""

    __tablename__ = "hiring_candidate"
    __table_args__ = (
        CheckConstraint(f"stage IN {_in(CandidateStage)}", name="known_stage"),
        # A posting's candidates counted by stage (the list's tabs and its number of pages) from the index alone.
        Index("ix_hiring_candidate_posting_stage", "posting_id", "stage"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("hiring_application.id", ondelete="CASCADE"), unique=True)
    posting_id: Mapped[int] = mapped_column(ForeignKey("hiring_posting.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(String(20), default=CandidateStage.APPLIED, index=True)
    stage_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)  # when it reached its stage
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)  # optimistic concurrency (core.edits)

    application: Mapped[Application] = relationship(lazy="joined", innerjoin=True)

    __mapper_args__ = {"version_id_col": version}

    @property
    def stage_label(self) -> str:
        return CandidateStage(self.stage).label

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES


class CandidateEvent(db.Model):
    """One move of a candidate along the pipeline (the first is "applied", by nobody: the person applied)."""

    __tablename__ = "hiring_candidate_event"
    __table_args__ = (CheckConstraint(f"to_stage IN {_in(CandidateStage)}", name="known_to_stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("hiring_candidate.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("core_staff.id"))
    from_stage: Mapped[str] = mapped_column(String(20), default="")
    to_stage: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")  # why "not selected"

    actor: Mapped[Staff | None] = relationship(lazy="joined")

    @property
    def to_label(self) -> str:
        return CandidateStage(self.to_stage).label


class Panel(db.Model):
    """A posting's interview panel: who interviews, and which competencies they score."""

    __tablename__ = "hiring_panel"

    id: Mapped[int] = mapped_column(primary_key=True)
    posting_id: Mapped[int] = mapped_column(ForeignKey("hiring_posting.id", ondelete="CASCADE"), unique=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)  # optimistic concurrency (core.edits)

    __mapper_args__ = {"version_id_col": version}


class PanelMember(db.Model):
    """One interviewer on a panel."""

    __tablename__ = "hiring_panel_member"
    __table_args__ = (UniqueConstraint("panel_id", "staff_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("hiring_panel.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("core_staff.id"), index=True)
    added_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_staff.id"))

    staff: Mapped[Staff] = relationship(lazy="joined", innerjoin=True, foreign_keys=[staff_id])


class PanelCompetency(db.Model):
    """One competency of seed 003 the panel scores (its key in the duty library, e.g. ``s003.competency.4``)."""

    __tablename__ = "hiring_panel_competency"
    __table_args__ = (UniqueConstraint("panel_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("hiring_panel.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer, default=0)


class Scorecard(db.Model):
    """One interviewer's scores of one candidate: a draft until submitted, then never changed."""

    __tablename__ = "hiring_scorecard"
    __table_args__ = (UniqueConstraint("candidate_id", "interviewer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("hiring_candidate.id", ondelete="CASCADE"), index=True)
    interviewer_id: Mapped[int] = mapped_column(ForeignKey("core_staff.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)  # optimistic concurrency (core.edits)

    __mapper_args__ = {"version_id_col": version}


class Score(db.Model):
    """One competency's score (1 to 5, empty in a draft) with the evidence for it."""

    __tablename__ = "hiring_score"
    __table_args__ = (
        UniqueConstraint("scorecard_id", "competency_key"),
        CheckConstraint("score IS NULL OR (score >= 1 AND score <= 5)", name="one_to_five"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(ForeignKey("hiring_scorecard.id", ondelete="CASCADE"), index=True)
    competency_key: Mapped[str] = mapped_column(String(40))
    score: Mapped[int | None] = mapped_column(Integer)
    evidence: Mapped[str] = mapped_column(Text, default="")


class Hire(db.Model):
    """A posting that filled a role: the staff member it made, and (until the candidate's data is removed at the end
    of the retention period) the candidate they were."""

    __tablename__ = "hiring_hire"

    id: Mapped[int] = mapped_column(primary_key=True)
    posting_id: Mapped[int] = mapped_column(ForeignKey("hiring_posting.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("core_staff.id"), unique=True)
    candidate_id: Mapped[int | None] = mapped_column(
        ForeignKey("hiring_candidate.id", ondelete="SET NULL"), unique=True
    )
    hired_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    hired_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_staff.id"))

    staff: Mapped[Staff] = relationship(lazy="joined", innerjoin=True, foreign_keys=[staff_id])
