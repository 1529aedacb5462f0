"""Server-side sign-in sessions: the cookie holds a random token, the database holds its hash.

Because every request checks the row, logout, a password change or deactivation ends a session on every app
instance at once.

Every signed-in request reads the row once, in one query, together with the person, their roles and teams (with
their programs) and the number of their unread notifications (``load``). What the page around the content needs
from it later (the time-out deadlines, the unread count) is kept for that request in ``g`` (``current``), so
neither is read twice.

**Last seen, to the minute.** ``last_seen_at`` is the start of the minute in which the session was last used, never
a finer time: it is written only when that minute changes (so at most one write a minute, and most pages are no
write at all), and a page opened or a form sent (a survey's answers, say) leaves in the session table nothing that
says at which second it happened (readiness/ANONYMITY.md). The idle time-out counts from the end of that minute: a
session ends 15 minutes after the end of the minute it was last used in, so between 15 and 16 minutes after the last
activity, never sooner. The warning and the time-out both read the same deadline (``idle_deadline``).
``SESSION_SEEN_STEP`` (one minute) is the step; only the browser tests' short sessions make it shorter.
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
from core.models import AgencySetting, AuthSession, Priority, Program, Staff, StaffStatus, Team
from core.timeutil import utcnow

# The session with the person as every page uses them, and their unread count, in one statement built once.
# Roles and teams are joined together: a few rows (roles × teams) in one round trip instead of one query each. The
# person's program and supervisor, and the other teams of a program, are left for the pages that use them.
_LOAD = (
    select(
        AuthSession,
        notify.unread_count_of(AuthSession.staff_id),
        notify.unread_count_of(AuthSession.staff_id, priority=Priority.HIGH),
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
    urgent_notifications: int = 0


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _step() -> timedelta:
    return current_app.config["SESSION_SEEN_STEP"]


def seen_at(now: datetime) -> datetime:
    """What ``last_seen_at`` keeps of ``now``: the start of its minute (of its SESSION_SEEN_STEP)."""
    return datetime.min + (now - datetime.min) // _step() * _step()


def idle_deadline(last_seen_at: datetime) -> datetime:
    """When a session last used in the minute starting at ``last_seen_at`` ends for lack of activity: IDLE_TIMEOUT
    after the end of that minute."""
    return last_seen_at + _step() + current_app.config["IDLE_TIMEOUT"]


def start(staff: Staff) -> str:
    token = secrets.token_urlsafe(32)
    db.session.add(AuthSession(token_hash=_digest(token), staff_id=staff.id, last_seen_at=seen_at(utcnow())))
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
    if now >= idle_deadline(row.last_seen_at):
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
    row, unread, urgent, zone_setting = found
    timeutil.remember_zone_setting(zone_setting or "")
    now = utcnow()
    reason = expiry_reason(row, now)
    if reason is not None:
        if row.revoked_at is None and not peek:
            row.revoked_at = now
            db.session.commit()
        return None, reason
    minute = seen_at(now)
    if minute > row.last_seen_at and not peek:  # a new minute: the only time last_seen_at is written
        row.last_seen_at = minute
        _commit_keeping_loaded()
    staff = row.staff
    staff.session_token = token
    g.signed_in = SignedIn(token, row.created_at, row.last_seen_at, unread or 0, urgent or 0)
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
        idle_deadline(last_seen_at),
        created_at + current_app.config["ABSOLUTE_TIMEOUT"],
    )


def touch(token: str) -> None:
    """Count the session as used now (the warning's "Stay signed in"): its minute, written only when it changed."""
    minute = seen_at(utcnow())
    signed_in = current(token)
    if signed_in is not None and signed_in.last_seen_at >= minute:
        return  # ``load`` already counted this request's minute
    db.session.execute(
        update(AuthSession)
        .where(AuthSession.token_hash == _digest(token), AuthSession.last_seen_at < minute)
        .values(last_seen_at=minute)
    )
    if signed_in is not None:
        g.signed_in = replace(signed_in, last_seen_at=minute)


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
