"""Reminders before a certification expires, 90, 60, 30 and 7 days before, to the person and their supervisor, in
the app and by email (``core.notify``: a notification and an outbox message each), sent by ``flask training
remind``, which a scheduler runs daily.

Never twice for the same date: each reminder is first claimed by inserting its ``training_reminder`` row, and the
(certification, reminder date) pair is unique. ``INSERT ... ON CONFLICT DO NOTHING`` lets exactly one of two runs
insert it, even at the same moment on two app servers (PostgreSQL makes the second wait for the first's commit, then
skips; SQLite lets one writer at a time): only the run whose insert went in sends, in the same transaction.

A run that was missed (the scheduler was down) sends only the latest reminder that is due, not every one it missed:
at 25 days before expiry it sends the 30-day reminder once, never the 90- and 60-day ones as well. A renewal moves
the expiry date, and so the reminder dates: the next cycle is reminded afresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from core import audit, notify, timeutil
from core.extensions import db
from core.models import CredentialType, Staff
from training.models import Certification, CertStatus, Reminder
from training.services.status import status_expression

THRESHOLDS = (90, 60, 30, 7)


@dataclass(frozen=True)
class Due:
    certification_id: int
    expires_on: date
    days_before: int

    @property
    def remind_on(self) -> date:
        return self.expires_on - timedelta(days=self.days_before)


def threshold_for(days_left: int) -> int | None:
    """The reminder due with ``days_left`` days to go: the smallest threshold at or above it (None beyond 90)."""
    found = [days for days in THRESHOLDS if days >= days_left]
    return min(found) if found and days_left >= 0 else None


def due(today: date | None = None) -> list[Due]:
    """Certifications (active or provisional) expiring within the next 90 days, with the reminder now due."""
    day = today or timeutil.today()
    rows = db.session.execute(
        select(Certification.id, Certification.expires_on)
        .where(
            status_expression(day).in_([CertStatus.ACTIVE.value, CertStatus.PROVISIONAL.value]),
            Certification.expires_on >= day,
            Certification.expires_on <= day + timedelta(days=max(THRESHOLDS)),
        )
        .order_by(Certification.expires_on, Certification.id)
    ).all()
    found = []
    for certification_id, expires_on in rows:
        threshold = threshold_for((expires_on - day).days)
        if threshold is not None:
            found.append(Due(certification_id, expires_on, threshold))
    return found


def _claim(reminder: Due) -> bool:
    """Insert the reminder's row unless it is there; True when this call inserted it."""
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(Reminder)
        .values(
            certification_id=reminder.certification_id,
            remind_on=reminder.remind_on,
            days_before=reminder.days_before,
            expires_on=reminder.expires_on,
            sent_at=timeutil.utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["certification_id", "remind_on"])
        .returning(Reminder.id)
    )
    return db.session.execute(statement).scalar() is not None


def send(reminder: Due) -> bool:
    """Claim and send one reminder (flushes, never commits). False when another run already sent it."""
    if not _claim(reminder):
        return False
    certification = db.session.get_one(Certification, reminder.certification_id)
    person: Staff = certification.staff
    credential: CredentialType = certification.credential_type
    when = f"{timeutil.long_date(reminder.expires_on)} (in {reminder.days_before} days)"
    if reminder.days_before == 7:
        when = f"{timeutil.long_date(reminder.expires_on)}, in a week"
    link = f"/training/certifications/{certification.id}"
    if person.is_active:
        notify.notify(
            [person],
            f"Your {credential.name} expires on {when}.",
            link,
            email_subject=f"Your certification expires on {timeutil.long_date(reminder.expires_on)}",
            email_body=(
                f"Hello {person.name},\n\nYour {credential.name} expires on {when}. Sign in to PeerWorks and open "
                "Training to see the continuing education still needed, and renew it with the board in time.\n"
            ),
        )
    supervisor = person.supervisor
    if supervisor is not None and supervisor.is_active and supervisor.id != person.id:
        notify.notify(
            [supervisor],
            f"{person.name}'s {credential.name} expires on {when}.",
            link,
            email_subject=f"{person.name}'s certification expires on {timeutil.long_date(reminder.expires_on)}",
            email_body=(
                f"{person.name}'s {credential.name} expires on {when}. Sign in to PeerWorks and open Training, "
                "Certifications to watch, to see where they are with their continuing education.\n"
            ),
        )
    audit.record(
        "training.reminder_sent",
        record_type="training_certification",
        record_id=certification.id,
        detail=f"{reminder.days_before} days before {reminder.expires_on.isoformat()}",
    )
    return True
