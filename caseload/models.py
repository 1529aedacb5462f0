"""Caseload: clients, assignments, referrals, recovery plans, contact notes, groups, resources; and the
dual-relationship safeguards (sealed records, determinations, declared relationships, emergency access)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from core.extensions import db
from core.labels import Labelled, label_words
from core.models import Program, Staff
from core.timeutil import local_date, utcnow


class ClientStatus(Labelled):
    REFERRED = "referred"
    ACTIVE = "active"
    DISCHARGED = "discharged"


class AssignmentKind(Labelled):
    PEER = "peer"
    CLINICIAN = "clinician"


class ReferralSource(Labelled):
    EMERGENCY_ROOM = "emergency_room"
    INPATIENT = "inpatient"
    CLINIC = "clinic"
    DAY_PROGRAM = "day_program"
    SELF = "self"


class Urgency(Labelled):
    ROUTINE = "routine"
    URGENT = "urgent"
    EMERGENT = "emergent"


class WorkKind(Labelled):
    # Direct work with clients (seed 003)
    ADVOCACY = "advocacy"
    RESOURCES = "resources"
    EXPERIENTIAL = "experiential"
    COMMUNITY = "community"
    RELATIONSHIP = "relationship"
    GROUP = "group"
    SKILLS = "skills"
    SOCIALIZATION = "socialization"
    # Indirect work that supports it
    GROUP_PLANNING = "group_planning"
    ADMINISTRATION = "administration"
    TEAM_COMMUNICATION = "team_communication"
    SUPERVISION_TRAINING = "supervision_training"
    RECEIVING_SUPPORT = "receiving_support"
    EDUCATION = "education"
    INFORMATION = "information"
    # Other tasks that are not peer work (seed 004's "left-over tasks"): counted apart so role fidelity names them
    TRANSPORT_ONLY = "transport_only"
    CLERICAL = "clerical"

    @property
    def is_direct(self) -> bool:
        return self in DIRECT_WORK


DIRECT_WORK = frozenset(
    {
        WorkKind.ADVOCACY,
        WorkKind.RESOURCES,
        WorkKind.EXPERIENTIAL,
        WorkKind.COMMUNITY,
        WorkKind.RELATIONSHIP,
        WorkKind.GROUP,
        WorkKind.SKILLS,
        WorkKind.SOCIALIZATION,
    }
)


# Not peer work and not the indirect work of seed 003 that supports it: shown apart on the note forms
OTHER_TASKS = frozenset({WorkKind.TRANSPORT_ONLY, WorkKind.CLERICAL})


class Place(Labelled):
    COMMUNITY = "community"
    HOME = "home"
    OFFICE = "office"
    PHONE = "phone"


class GroupKind(Labelled):
    SELF_HELP = "self_help"
    WRAP = "wrap"
    IMR = "imr"
    WHAM = "wham"
    SKILLS = "skills"
    OTHER = "other"


class ResourceCategory(Labelled):
    BENEFITS = "benefits"
    FAMILY = "family"
    HOUSING = "housing"
    FOOD = "food"
    EMPLOYMENT = "employment"
    HEALTH = "health"
    RECREATION = "recreation"
    LIBRARY = "library"
    LEGAL = "legal"
    TRANSPORT = "transport"
    SUPPORT_GROUP = "support_group"
    OTHER = "other"


class ConsentKind(Labelled):
    SERVICES = "services"
    RELEASE = "release"


class Relationship(Labelled):
    FAMILY = "family"
    FRIEND = "friend"
    NEIGHBOUR = "neighbour"
    CO_RESIDENT = "co_resident"
    OTHER = "other"


class GrantPurpose(Labelled):
    SAFETY = "safety"
    CRISIS = "crisis"
    CONTINUITY = "continuity"
    OTHER = "other"


class DualPolicy(Labelled):
    STRICT = "strict"
    CASE_BY_CASE = "case_by_case"


# Keyed by (enum, value): members of different enums with the same value ("other", "family", "skills",
# "community") are equal as strings, so a plain dict would give them all the last label written.
_LABEL_PAIRS: tuple[tuple[enum.StrEnum, str], ...] = (
    (ClientStatus.REFERRED, "Referred"),
    (ClientStatus.ACTIVE, "Active"),
    (ClientStatus.DISCHARGED, "Discharged"),
    (AssignmentKind.PEER, "Peer specialist"),
    (AssignmentKind.CLINICIAN, "Clinician"),
    (ReferralSource.EMERGENCY_ROOM, "Emergency room"),
    (ReferralSource.INPATIENT, "Inpatient unit"),
    (ReferralSource.CLINIC, "Clinic"),
    (ReferralSource.DAY_PROGRAM, "Day program"),
    (ReferralSource.SELF, "Self-referral"),
    (Urgency.ROUTINE, "Routine"),
    (Urgency.URGENT, "Urgent (today)"),
    (Urgency.EMERGENT, "Emergent (now)"),
    (WorkKind.ADVOCACY, "Advocacy"),
    (WorkKind.RESOURCES, "Connecting to resources"),
    (WorkKind.EXPERIENTIAL, "Experiential sharing"),
    (WorkKind.COMMUNITY, "Building community"),
    (WorkKind.RELATIONSHIP, "Relationship building"),
    (WorkKind.GROUP, "Group facilitation"),
    (WorkKind.SKILLS, "Skill building, mentoring, goal setting"),
    (WorkKind.SOCIALIZATION, "Socialization, self-esteem building"),
    (WorkKind.GROUP_PLANNING, "Group planning and development (indirect)"),
    (WorkKind.ADMINISTRATION, "Administration (indirect)"),
    (WorkKind.TEAM_COMMUNICATION, "Team communication (indirect)"),
    (WorkKind.SUPERVISION_TRAINING, "Supervision or training (indirect)"),
    (WorkKind.RECEIVING_SUPPORT, "Receiving support (indirect)"),
    (WorkKind.EDUCATION, "Education and awareness building (indirect)"),
    (WorkKind.INFORMATION, "Information gathering and checking (indirect)"),
    (WorkKind.TRANSPORT_ONLY, "Transport only (no peer support during the trip)"),
    (WorkKind.CLERICAL, "Clerical (paperwork, filing, data entry)"),
    (Place.COMMUNITY, "In the community"),
    (Place.HOME, "At home"),
    (Place.OFFICE, "At the office"),
    (Place.PHONE, "By phone"),
    (GroupKind.SELF_HELP, "Self-help"),
    (GroupKind.WRAP, "WRAP (Wellness Recovery Action Plan)"),
    (GroupKind.IMR, "IMR (Illness Management and Recovery)"),
    (GroupKind.WHAM, "WHAM (Whole Health Action Management)"),
    (GroupKind.SKILLS, "Skills group"),
    (GroupKind.OTHER, "Other"),
    (ResourceCategory.BENEFITS, "Social security and benefits"),
    (ResourceCategory.FAMILY, "Family and children services"),
    (ResourceCategory.HOUSING, "Housing"),
    (ResourceCategory.FOOD, "Food pantry and meals"),
    (ResourceCategory.EMPLOYMENT, "Employment"),
    (ResourceCategory.HEALTH, "Health care"),
    (ResourceCategory.RECREATION, "Recreation (YMCA and others)"),
    (ResourceCategory.LIBRARY, "Library"),
    (ResourceCategory.LEGAL, "Legal help"),
    (ResourceCategory.TRANSPORT, "Transport"),
    (ResourceCategory.SUPPORT_GROUP, "Mutual-support groups (NAMI, AA, NA…)"),
    (ResourceCategory.OTHER, "Other"),
    (ConsentKind.SERVICES, "Consent to services"),
    (ConsentKind.RELEASE, "Release of information"),
    (Relationship.FAMILY, "Family member"),
    (Relationship.FRIEND, "Friend"),
    (Relationship.NEIGHBOUR, "Neighbour"),
    (Relationship.CO_RESIDENT, "Lives or lived in the same place"),
    (Relationship.OTHER, "Other personal relationship"),
    (GrantPurpose.SAFETY, "Immediate safety of the client or others"),
    (GrantPurpose.CRISIS, "Crisis response"),
    (GrantPurpose.CONTINUITY, "Urgent continuity of care"),
    (GrantPurpose.OTHER, "Other urgent need"),
    (DualPolicy.STRICT, "Strict: staff may not receive services here"),
    (DualPolicy.CASE_BY_CASE, "Case by case: allowed with a recorded determination"),
)
label_words({(type(member), member.value): label for member, label in _LABEL_PAIRS})


def _check(column: str, kind: type[enum.StrEnum], name: str) -> CheckConstraint:
    values = ", ".join(f"'{member.value}'" for member in kind)
    return CheckConstraint(f"{column} IN ({values})", name=name)


class Client(db.Model):
    __tablename__ = "caseload_client"
    __table_args__ = (_check("status", ClientStatus, "known_status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), index=True)
    preferred_name: Mapped[str] = mapped_column(String(120), default="")
    pronouns: Mapped[str] = mapped_column(String(40), default="")
    date_of_birth: Mapped[date | None] = mapped_column(Date, index=True)
    phone: Mapped[str] = mapped_column(String(40), default="")
    program_id: Mapped[int | None] = mapped_column(ForeignKey("core_program.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=ClientStatus.REFERRED, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Set by the privacy officer when this client also works here: the record is then sealed.
    staff_member_id: Mapped[int | None] = mapped_column(ForeignKey("core_staff.id"), index=True, unique=True)
    sealed_at: Mapped[datetime | None] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    program: Mapped[Program | None] = relationship(lazy="joined")
    staff_member: Mapped[Staff | None] = relationship(lazy="raise", foreign_keys=[staff_member_id])
    assignments: Mapped[list[Assignment]] = relationship(
        back_populates="client", lazy="raise", order_by="Assignment.assigned_at"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def sealed(self) -> bool:
        return self.staff_member_id is not None

    @property
    def display_name(self) -> str:
        return f"{self.preferred_name} ({self.name})" if self.preferred_name else self.name


# The client lists' order (lower(name), id): a page is read in index order and stops after its rows instead of
# sorting every client first. On SQLite it holds the built-in lower(), which the lists sort by.
Index("ix_caseload_client_lower_name", func.lower(Client.name), Client.id)


class Assignment(db.Model):
    """A provider assigned to a client; ``ended_at`` set when the assignment ends."""

    __tablename__ = "caseload_assignment"
    __table_args__ = (
        _check("kind", AssignmentKind, "known_kind"),
        # "Is this client assigned to this person now?", asked of every row of a client list, and "who holds these
        # clients now?" for a page: with single-column indexes only, SQLite answered them from the staff_id or the
        # ended_at index, reading the person's whole caseload (or every current assignment) each time.
        Index("ix_caseload_assignment_current", "client_id", "ended_at", "staff_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("caseload_client.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("core_staff.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    assigned_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)

    client: Mapped[Client] = relationship(back_populates="assignments", lazy="raise")
    staff: Mapped[Staff] = relationship(lazy="joined")


class Consent(db.Model):
    __tablename__ = "caseload_consent"
    __table_args__ = (_check("kind", ConsentKind, "known_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("caseload_client.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(200), default="")
    purpose: Mapped[str] = mapped_column(String(300), default="")
    signed_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)
    revoked_on: Mapped[date | None] = mapped_column(Date)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("core_staff.id"))


class Referral(db.Model):
    __tablename__ = "caseload_referral"
    __table_args__ = (
        _check("source", ReferralSource, "known_source"),
        _check("urgency", Urgency, "known_urgency"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("caseload_client.id"), index=True)
    source: Mapped[str] = mapped_column(String(20), index=True)
    reason: Mapped[str] = mapped_column(Text)
    urgency: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    # The agency's calendar days of received_at and seen_at (core.timeutil.local_date), kept beside the UTC times
    # so the database can list a day and group the same-day-seen rate by month without knowing time zones. Set
    # whenever the time is set; worked out again when the agency's time zone changes.
    received_on: Mapped[date] = mapped_column(Date, index=True)
    received_by_id: Mapped[int] = mapped_column(ForeignKey("core_staff.id"))
    seen_at: Mapped[datetime | None] = mapped_column(DateTime)
    seen_on: Mapped[date | None] = mapped_column(Date)
    seen_same_day: Mapped[bool | None] = mapped_column(Boolean)
    version: Mapped[int] = mapped_column(Integer, default=1)

    client: Mapped[Client] = relationship(lazy="joined")
    received_by: Mapped[Staff] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}

    @validates("received_at")
    def _received_day(self, _key: str, value: datetime) -> datetime:
        self.received_on = local_date(value)
        return value

    @validates("seen_at")
    def _seen_day(self, _key: str, value: datetime | None) -> datetime | None:
        self.seen_on = None if value is None else local_date(value)
        return value


class PlanVersion(db.Model):
    """One saved version of a client's person-centred recovery plan. Versions are never changed, only added."""

    __tablename__ = "caseload_plan_version"
    __table_args__ = (UniqueConstraint("client_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("caseload_client.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    strengths: Mapped[str] = mapped_column(Text, default="")
    needs: Mapped[str] = mapped_column(Text, default="")
    abilities: Mapped[str] = mapped_column(Text, default="")
    preferences: Mapped[str] = mapped_column(Text, default="")
    review_on: Mapped[date] = mapped_column(Date)
    written_by_id: Mapped[int] = mapped_column(ForeignKey("core_staff.id"))
    written_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    written_by: Mapped[Staff] = relationship(lazy="joined")
    goals: Mapped[list[PlanGoal]] = relationship(
        back_populates="version", lazy="selectin", order_by="PlanGoal.position", cascade="all, delete-orphan"
    )


class PlanGoal(db.Model):
    """A goal inside one plan version. ``goal_key`` stays the same across versions so notes can point at it."""

    __tablename__ = "caseload_plan_goal"
    __table_args__ = (CheckConstraint("term IN ('short', 'long')", name="known_term"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("caseload_plan_version.id"), index=True)
    goal_key: Mapped[str] = mapped_column(String(32), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    term: Mapped[str] = mapped_column(String(10))
    in_own_words: Mapped[str] = mapped_column(Text)
    interventions: Mapped[str] = mapped_column(Text, default="")
    progress: Mapped[str] = mapped_column(Text, default="")
    achieved: Mapped[bool] = mapped_column(Boolean, default=False)

    version: Mapped[PlanVersion] = relationship(back_populates="goals", lazy="raise")


class Resource(db.Model):
    """A community resource peers keep up and link from their notes."""

    __tablename__ = "caseload_resource"
    __table_args__ = (_check("category", ResourceCategory, "known_category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160), index=True)
    category: Mapped[str] = mapped_column(String(30), index=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    hours: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("core_staff.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    updated_by: Mapped[Staff] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}


class ContactNote(db.Model):
    """A contact or piece of indirect work. Indirect work may have no client."""

    __tablename__ = "caseload_contact_note"
    __table_args__ = (
        _check("kind", WorkKind, "known_kind"),
        _check("place", Place, "known_place"),
        CheckConstraint("minutes > 0 AND minutes <= 1440", name="sane_minutes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("caseload_client.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("core_staff.id"), index=True)
    happened_on: Mapped[date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(30), index=True)
    direct: Mapped[bool] = mapped_column(Boolean, index=True)
    minutes: Mapped[int] = mapped_column(Integer)
    place: Mapped[str] = mapped_column(String(20))
    goal_key: Mapped[str | None] = mapped_column(String(32))
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("caseload_resource.id"))
    body: Mapped[str] = mapped_column(Text)
    written_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    staff: Mapped[Staff] = relationship(lazy="joined")
    resource: Mapped[Resource | None] = relationship(lazy="joined")


class PeerGroup(db.Model):
    __tablename__ = "caseload_group"
    __table_args__ = (_check("kind", GroupKind, "known_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(20))
    program_id: Mapped[int | None] = mapped_column(ForeignKey("core_program.id"), index=True)
    facilitator_id: Mapped[int] = mapped_column(ForeignKey("core_staff.id"), index=True)
    meets: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    program: Mapped[Program | None] = relationship(lazy="joined")
    facilitator: Mapped[Staff] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}


class GroupSession(db.Model):
    __tablename__ = "caseload_group_session"
    __table_args__ = (UniqueConstraint("group_id", "held_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("caseload_group.id"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    topic: Mapped[str] = mapped_column(String(200), default="")
    minutes: Mapped[int] = mapped_column(Integer, default=60)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("core_staff.id"))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class Attendance(db.Model):
    __tablename__ = "caseload_attendance"

    session_id: Mapped[int] = mapped_column(ForeignKey("caseload_group_session.id"), primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("caseload_client.id"), primary_key=True, index=True)


class Determination(db.Model):
    """The privacy officer's recorded decision about a staff member who is also a client (seed 004)."""

    __tablename__ = "caseload_determination"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("caseload_client.id"), index=True)
    situation: Mapped[str] = mapped_column(Text)
    decision: Mapped[str] = mapped_column(Text)
    rationale: Mapped[str] = mapped_column(Text)
    consulted: Mapped[str] = mapped_column(String(300))
    review_on: Mapped[date] = mapped_column(Date, index=True)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("core_staff.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)

    recorded_by: Mapped[Staff] = relationship(lazy="joined")


class DeclaredRelationship(db.Model):
    """A staff member's private statement that they know a client personally."""

    __tablename__ = "caseload_declared_relationship"
    __table_args__ = (
        UniqueConstraint("staff_id", "client_id"),
        _check("relationship", Relationship, "known_relationship"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("core_staff.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("caseload_client.id"), index=True)
    relationship: Mapped[str] = mapped_column(String(20))
    declared_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class EmergencyGrant(db.Model):
    """Break-glass access to one sealed record, for at most four hours, reviewed afterwards."""

    __tablename__ = "caseload_emergency_grant"
    __table_args__ = (
        _check("purpose", GrantPurpose, "known_purpose"),
        CheckConstraint("length(reason) >= 20", name="reason_long_enough"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("core_staff.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("caseload_client.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_staff.id"))
    finding: Mapped[str] = mapped_column(Text, default="")

    staff: Mapped[Staff] = relationship(lazy="joined", foreign_keys=[staff_id])
    client: Mapped[Client] = relationship(lazy="joined")
    reviewed_by: Mapped[Staff | None] = relationship(lazy="joined", foreign_keys=[reviewed_by_id])


class SealedAccess(db.Model):
    """Each opening of a sealed record, for the privacy officer's access report (the audit log has it too)."""

    __tablename__ = "caseload_sealed_access"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("caseload_client.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("core_staff.id"), index=True)
    grant_id: Mapped[int | None] = mapped_column(ForeignKey("caseload_emergency_grant.id"), index=True)
    what: Mapped[str] = mapped_column(String(60))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)

    staff: Mapped[Staff] = relationship(lazy="joined")
    client: Mapped[Client] = relationship(lazy="joined")
