"""People, roles, programs and teams; sign-in sessions; the email outbox; the audit log."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.labels import Labelled, label_words
from core.timeutil import utcnow


class Role(Labelled):
    ADMIN = "admin"
    HR = "hr"
    SUPERVISOR = "supervisor"
    STAFF = "staff"
    PEER = "peer"
    PRIVACY = "privacy"


class StaffStatus(Labelled):
    INVITED = "invited"
    ACTIVE = "active"
    DEACTIVATED = "deactivated"


label_words({
    (Role, "admin"): "Administrator",
    (Role, "hr"): "Human resources",
    (Role, "supervisor"): "Supervisor",
    (Role, "staff"): "Clinical or other staff",
    (Role, "peer"): "Peer specialist",
    (Role, "privacy"): "Privacy officer",
    (StaffStatus, "invited"): "Invited",
    (StaffStatus, "active"): "Active",
    (StaffStatus, "deactivated"): "Deactivated",
})

staff_team = Table(
    "core_staff_team",
    db.metadata,
    Column("staff_id", ForeignKey("core_staff.id", ondelete="CASCADE"), primary_key=True),
    Column("team_id", ForeignKey("core_team.id", ondelete="CASCADE"), primary_key=True),
)


class Program(db.Model):
    __tablename__ = "core_program"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    teams: Mapped[list[Team]] = relationship(
        back_populates="program", order_by="Team.name", lazy="selectin"
    )

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Team(db.Model):
    __tablename__ = "core_team"
    __table_args__ = (UniqueConstraint("program_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("core_program.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    program: Mapped[Program] = relationship(back_populates="teams", lazy="joined")

    __mapper_args__ = {"version_id_col": version}

    def __str__(self) -> str:
        return f"{self.program.code}: {self.name}"


class StaffRole(db.Model):
    __tablename__ = "core_staff_role"
    __table_args__ = (
        CheckConstraint(
            "role IN ('admin', 'hr', 'supervisor', 'staff', 'peer', 'privacy')", name="known_role"
        ),
        # "Who holds this role?" (the privacy officers to name, the supervisors to filter by) without reading every
        # staff member's roles.
        db.Index("ix_core_staff_role_role", "role", "staff_id"),
    )

    staff_id: Mapped[int] = mapped_column(
        ForeignKey("core_staff.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(20), primary_key=True)


class Staff(UserMixin, db.Model):
    __tablename__ = "core_staff"
    __table_args__ = (
        CheckConstraint("status IN ('invited', 'active', 'deactivated')", name="known_status"),
        # The active staff in name order (supervision's compliance list): a page is read in the index's order and
        # stops after its rows, instead of sorting every peer specialist.
        db.Index("ix_core_staff_status_name", "status", "name", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    job_title: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20), default=StaffStatus.INVITED, index=True)
    program_id: Mapped[int | None] = mapped_column(ForeignKey("core_program.id"), index=True)
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("core_staff.id"), index=True)
    failed_signins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    deactivated_at: Mapped[datetime | None] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    role_rows: Mapped[list[StaffRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by=StaffRole.role
    )
    teams: Mapped[list[Team]] = relationship(secondary=staff_team, lazy="selectin", order_by=Team.name)
    program: Mapped[Program | None] = relationship(lazy="joined")
    supervisor: Mapped[Staff | None] = relationship(remote_side=[id], lazy="joined", join_depth=1)

    __mapper_args__ = {"version_id_col": version}

    # Set by the user loader: the sign-in session this object was loaded for.
    session_token = None  # str | None; not a column

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(row.role for row in self.role_rows)

    def has_role(self, *roles: str) -> bool:
        return not self.roles.isdisjoint(roles)

    def set_roles(self, roles: set[str]) -> None:
        wanted = {str(Role(role)) for role in roles}
        self.role_rows = [row for row in self.role_rows if row.role in wanted] + [
            StaffRole(role=role) for role in sorted(wanted - self.roles)
        ]

    @property
    def is_active(self) -> bool:
        return self.status == StaffStatus.ACTIVE

    def get_id(self) -> str | None:
        return self.session_token

    @property
    def role_labels(self) -> list[str]:
        return [Role(role).label for role in sorted(self.roles)]

    @property
    def status_label(self) -> str:
        return StaffStatus(self.status).label

    def __str__(self) -> str:
        return self.name


class AuthSession(db.Model):
    """A sign-in session kept on the server so it can be ended from anywhere."""

    __tablename__ = "core_auth_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("core_staff.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # The start of the minute the session was last used in, never a finer time (core.sessions).
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=lambda: utcnow().replace(second=0, microsecond=0))
    reauthenticated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    staff: Mapped[Staff] = relationship(lazy="joined")


class TwoFactor(db.Model):
    """A person's second factor for signing in: a TOTP secret (RFC 6238), kept encrypted (core.two_factor).

    A row is written only once a code confirms the secret (``confirmed_at``; while the person sets it up, the secret
    rides in their session cookie, encrypted). ``last_step`` is the last 30-second time step a code was accepted
    for: a code is never accepted twice."""

    __tablename__ = "core_two_factor"

    staff_id: Mapped[int] = mapped_column(ForeignKey("core_staff.id", ondelete="CASCADE"), primary_key=True)
    secret: Mapped[str] = mapped_column(String(255))  # encrypted (Fernet); never shown again once confirmed
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_step: Mapped[int] = mapped_column(Integer, default=0)


class RecoveryCode(db.Model):
    """One of a person's ten one-time recovery codes, kept as a keyed hash (core.two_factor)."""

    __tablename__ = "core_recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("core_staff.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)


class OutboxEmail(db.Model):
    """Email waiting to be sent by `flask send-mail`, so sending never blocks a request."""

    __tablename__ = "core_outbox_email"

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(String(200), default="")


class AuditEntry(db.Model):
    """One line of the append-only, hash-chained audit log."""

    __tablename__ = "core_audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("core_staff.id"), index=True)
    action: Mapped[str] = mapped_column(String(60), index=True)
    record_type: Mapped[str] = mapped_column(String(40), default="")
    record_id: Mapped[str] = mapped_column(String(40), default="")
    outcome: Mapped[str] = mapped_column(String(10))
    address: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(255), default="")
    detail: Mapped[str] = mapped_column(String(255), default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    actor: Mapped[Staff | None] = relationship(lazy="raise")

    __table_args__ = (
        CheckConstraint("outcome IN ('allowed', 'denied')", name="known_outcome"),
        db.Index("ix_core_audit_entry_record", "record_type", "record_id"),
    )


class AuditHead(db.Model):
    """The single row that serialises appends: its row lock is held while an entry is chained."""

    __tablename__ = "core_audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_id: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


class AgencySetting(db.Model):
    """Agency-wide settings kept as named values."""

    __tablename__ = "core_agency_setting"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class Priority(Labelled):
    """How soon a notification needs the person: ``high`` is shown as urgent (in words, not by colour alone)."""

    NORMAL = "normal"
    HIGH = "high"


label_words({(Priority, "normal"): "Normal", (Priority, "high"): "Urgent"})


class Notification(db.Model):
    """An in-app message for one staff member (for example, the privacy officer told of emergency access)."""

    __tablename__ = "core_notification"
    __table_args__ = (CheckConstraint("priority IN ('normal', 'high')", name="known_priority"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("core_staff.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(300))
    link: Mapped[str] = mapped_column(String(300), default="")
    priority: Mapped[str] = mapped_column(String(10), default=Priority.NORMAL, server_default=Priority.NORMAL.value)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)


class CredentialType(db.Model):
    """A state credential a job may require or a person may hold (e.g. the state's certified peer specialist
    credential). Hiring names the one a posting requires; training records who holds which (shared here, in core,
    so neither module depends on the other).

    The board's renewal rules live here too (``core.credentials``): the cycle, the continuing-education (CE) hours
    per cycle with minimums and maximums by category (``CredentialCategoryRule``), the most that may be online or
    self-paced, the grace period after expiry and what a provisional holder must do by when. Hours are kept in
    quarter hours (``*_qh``), as boards count them. ``check_with_board`` marks figures nobody has confirmed with
    the board yet (the examples that ship with PeerWorks)."""

    __tablename__ = "core_credential_type"
    __table_args__ = (
        CheckConstraint("cycle_months IS NULL OR cycle_months BETWEEN 1 AND 120", name="cycle_months_range"),
        CheckConstraint("ce_qh >= 0 AND grace_days >= 0", name="not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160), unique=True)
    issuer: Mapped[str] = mapped_column(String(160), default="")  # who grants it, e.g. the state's certification board
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(DateTime)
    state: Mapped[str] = mapped_column(String(2), default="", server_default="")  # two letters, e.g. PA
    abbreviation: Mapped[str] = mapped_column(String(20), default="", server_default="")  # e.g. CPS
    cycle_months: Mapped[int | None] = mapped_column(Integer)  # None: the renewal rules are not entered yet
    ce_qh: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    grace_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    max_online_qh: Mapped[int | None] = mapped_column(Integer)  # live online and self-paced together
    max_self_paced_qh: Mapped[int | None] = mapped_column(Integer)
    provisional_months: Mapped[int | None] = mapped_column(Integer)  # a provisional holder has this long
    provisional_supervised_hours: Mapped[int | None] = mapped_column(Integer)  # ... to complete this many hours
    check_with_board: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    rules_note: Mapped[str] = mapped_column(String(500), default="", server_default="")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    category_rules: Mapped[list[CredentialCategoryRule]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="CredentialCategoryRule.category"
    )

    __mapper_args__ = {"version_id_col": version}

    def __str__(self) -> str:
        return f"{self.name} ({self.issuer})" if self.issuer else self.name


class CredentialCategoryRule(db.Model):
    """The CE hours a credential asks for in one category per cycle: at least ``min_qh`` (e.g. ethics), at most
    ``max_qh`` counted (None: no limit)."""

    __tablename__ = "core_credential_category_rule"
    __table_args__ = (
        UniqueConstraint("credential_type_id", "category"),
        CheckConstraint("min_qh >= 0 AND (max_qh IS NULL OR max_qh >= min_qh)", name="sensible_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_type_id: Mapped[int] = mapped_column(
        ForeignKey("core_credential_type.id", ondelete="CASCADE"), index=True
    )
    category: Mapped[str] = mapped_column(String(30))
    min_qh: Mapped[int] = mapped_column(Integer, default=0)
    max_qh: Mapped[int | None] = mapped_column(Integer)


class Upload(db.Model):
    """A file someone sent (a résumé, later a training certificate), kept in the database so every app instance
    serves it and a backup holds it. Only ``core.uploads`` makes one, after checking its size and its content; it
    is served only through ``/files/<id>``, to people the purpose's reader rule allows, as a download."""

    __tablename__ = "core_upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(40), index=True)  # e.g. "hiring.resume": whose rule may read it
    filename: Mapped[str] = mapped_column(String(120))  # safe: letters, digits, dots, dashes, underscores
    content_type: Mapped[str] = mapped_column(String(100))  # from the content, never from the name
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
