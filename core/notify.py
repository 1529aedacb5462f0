"""In-app notifications, with an email copy through the outbox. Neither ever carries record content."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select, update

from core import mail
from core.extensions import db
from core.models import Notification, Role, Staff, StaffRole, StaffStatus
from core.timeutil import utcnow


def people_with_role(role: Role) -> list[Staff]:
    return list(
        db.session.scalars(
            select(Staff)
            .join(StaffRole)
            .where(StaffRole.role == role, Staff.status == StaffStatus.ACTIVE)
            .order_by(Staff.id)
        )
    )


def notify(recipients: Iterable[Staff], text: str, link: str, *, email_subject: str, email_body: str) -> None:
    for person in recipients:
        db.session.add(Notification(staff_id=person.id, text=text, link=link))
        mail.queue(person.email, email_subject, email_body, kind="notification")
    db.session.flush()


def unread_count(staff_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Notification).where(
            Notification.staff_id == staff_id, Notification.read_at.is_(None)
        )
    ) or 0


def mark_read(staff_id: int, notification_id: int) -> None:
    db.session.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.staff_id == staff_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
