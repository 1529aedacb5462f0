"""Server-side sign-in sessions: the cookie holds a random token, the database holds its hash.

Because every request checks the row, logout, a password change or deactivation ends a session on every app
instance at once.

Every signed-in request reads the row once, in one query, together with the person, their roles and teams (with
their programs) and the number of their unread notifications (``load``). What the page around the content needs
from it later (the time-out deadlines, the unread count) is kept for that request in ``g`` (``current``), so
neither is read twice.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from flask import current_app, g
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import joinedload, lazyload

from core import notify, timeutil
from core.extensions import db
from core.models import AgencySetting, AuthSession, Program, Staff, StaffStatus, Team
from core.timeutil import utcnow

# Writing last_seen_at on every request would make every page a write; this much drift is harmless.
TOUCH_EVERY = timedelta(seconds=20)

# The session with the person as every page uses them, and their unread count, in one statement built once.
# Roles and teams are joined together: a few rows (roles × teams) in one round trip instead of one query each. The
# person's program and supervisor, and the other teams of a program, are left for the pages that use them.
_LOAD = (
    select(
        AuthSession,
        notify.unread_count_of(AuthSession.staff_id),
        # The agency's time zone rides along too: nearly every page shows a day or a time.
        select(AgencySetting.value).where(AgencySetting.key == timeutil.SETTING).scalar_subquery(),
    )
    .where(AuthSession.token_hash == bindparam("token_hash"))
    .options(
        joinedload(AuthSession.staff).options(
            joinedload(Staff.role_rows),
            joinedload(Staff.teams).joinedload(Team.program).lazyload(Program.teams),
            lazyload(Staff.program),
            lazyload(Staff.supervisor),
        )
    )
    # Read from the database even when this session already holds the objects (a long-lived app context, as in
    # the tests): a role an administrator took away is gone on the very next request.
    .execution_options(populate_existing=True)
)


@dataclass(frozen=True)
class SignedIn:
    """What the page frame needs from the session, read with it at the start of the request."""

    token: str
    created_at: datetime
    last_seen_at: datetime
    unread_notifications: int


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(staff: Staff) -> str:
    token = secrets.token_urlsafe(32)
    db.session.add(AuthSession(token_hash=_digest(token), staff_id=staff.id))
    staff.session_token = token
    return token


def find(token: str) -> AuthSession | None:
    return db.session.scalar(select(AuthSession).where(AuthSession.token_hash == _digest(token)))


def expiry_reason(row: AuthSession, now: datetime) -> str | None:
    if row.revoked_at is not None:
        return "ended"
    if row.staff.status != StaffStatus.ACTIVE:
        return "ended"
    if now - row.created_at > current_app.config["ABSOLUTE_TIMEOUT"]:
        return "absolute"
    if now - row.last_seen_at > current_app.config["IDLE_TIMEOUT"]:
        return "idle"
    return None


def load(token: str, *, peek: bool = False) -> tuple[Staff | None, str | None]:
    """The staff member for a cookie token, or None with the reason the session is over. One query.

    ``peek`` only looks: it neither counts as activity nor marks an expired session as ended (the page asked for
    next then still says why it ended)."""
    g.pop("signed_in", None)
    found = db.session.execute(_LOAD, {"token_hash": _digest(token)}).unique().first()
    if found is None:
        return None, "ended"
    row, unread, zone_setting = found
    timeutil.remember_zone_setting(zone_setting or "")
    now = utcnow()
    reason = expiry_reason(row, now)
    if reason is not None:
        if row.revoked_at is None and not peek:
            row.revoked_at = now
            db.session.commit()
        return None, reason
    if now - row.last_seen_at > TOUCH_EVERY and not peek:
        row.last_seen_at = now
        _commit_keeping_loaded()
    staff = row.staff
    staff.session_token = token
    g.signed_in = SignedIn(token, row.created_at, row.last_seen_at, unread or 0)
    return staff, None


def _commit_keeping_loaded() -> None:
    """Commit without expiring what the session holds. In a request that is only what ``load`` read a moment ago in
    this same transaction (the user loader runs before anything else reads the database); expiring it would make the
    rest of the request read the person, their roles and teams again."""
    session = db.session()
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


def current(token: str | None) -> SignedIn | None:
    """This request's session as ``load`` read it, when ``token`` is the one it read."""
    found: SignedIn | None = g.get("signed_in")
    return found if found is not None and token is not None and found.token == token else None


def deadlines(token: str) -> tuple[datetime, datetime] | None:
    signed_in = current(token)
    if signed_in is not None:
        last_seen_at, created_at = signed_in.last_seen_at, signed_in.created_at
    else:  # a session started during this request (sign-in, password change): not read by ``load``
        row = find(token)
        if row is None:
            return None
        last_seen_at, created_at = row.last_seen_at, row.created_at
    return (
        last_seen_at + current_app.config["IDLE_TIMEOUT"],
        created_at + current_app.config["ABSOLUTE_TIMEOUT"],
    )


def touch(token: str) -> None:
    now = utcnow()
    db.session.execute(update(AuthSession).where(AuthSession.token_hash == _digest(token)).values(last_seen_at=now))
    signed_in = current(token)
    if signed_in is not None:
        g.signed_in = replace(signed_in, last_seen_at=now)


def reauthenticated(token: str) -> None:
    db.session.execute(
        update(AuthSession).where(AuthSession.token_hash == _digest(token)).values(reauthenticated_at=utcnow())
    )


def end(token: str) -> None:
    db.session.execute(
        update(AuthSession)
        .where(AuthSession.token_hash == _digest(token), AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def end_all(staff_id: int) -> None:
    db.session.execute(
        update(AuthSession)
        .where(AuthSession.staff_id == staff_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
