"""Server-side sign-in sessions: the cookie holds a random token, the database holds its hash.

Because every request checks the row, logout, a password change or deactivation ends a session on every app
instance at once.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from core.extensions import db
from core.models import AuthSession, Staff, StaffStatus
from core.timeutil import utcnow

# Writing last_seen_at on every request would make every page a write; this much drift is harmless.
TOUCH_EVERY = timedelta(seconds=20)


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


def load(token: str) -> tuple[Staff | None, str | None]:
    """The staff member for a cookie token, or None with the reason the session is over."""
    row = find(token)
    if row is None:
        return None, "ended"
    now = utcnow()
    reason = expiry_reason(row, now)
    if reason is not None:
        if row.revoked_at is None:
            row.revoked_at = now
            db.session.commit()
        return None, reason
    if now - row.last_seen_at > TOUCH_EVERY:
        row.last_seen_at = now
        db.session.commit()
    staff = row.staff
    staff.session_token = token
    return staff, None


def deadlines(token: str) -> tuple[datetime, datetime] | None:
    row = find(token)
    if row is None:
        return None
    return (
        row.last_seen_at + current_app.config["IDLE_TIMEOUT"],
        row.created_at + current_app.config["ABSOLUTE_TIMEOUT"],
    )


def touch(token: str) -> None:
    db.session.execute(
        update(AuthSession).where(AuthSession.token_hash == _digest(token)).values(last_seen_at=utcnow())
    )


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
