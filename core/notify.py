"""In-app notifications, with an email copy through the outbox. Neither ever carries record content."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, ScalarSelect, Select, func, select, update

from core import mail
from core.extensions import db
from core.models import Notification, Priority, Role, Staff, StaffRole, StaffStatus
from core.timeutil import utcnow
from core.urls import is_site_path


def people_with_role(role: Role) -> list[Staff]:
    return list(
        db.session.scalars(
            select(Staff)
            .join(StaffRole)
            .where(StaffRole.role == role, Staff.status == StaffStatus.ACTIVE)
            .order_by(Staff.id)
        )
    )


def notify(
    recipients: Iterable[Staff],
    text: str,
    link: str,
    *,
    email_subject: str,
    email_body: str,
    priority: Priority = Priority.NORMAL,
) -> None:
    """One notification (and one email) per person. ``Priority.HIGH`` is shown as urgent, in words. ``link`` is a
    path on this site ("/training/review"): an address of another site, or one built from the request's Host header
    (``url_for(..., _external=True)``, which a forged header could point at a look-alike sign-in page), is a
    programming error (ValueError), and the notification list shows no "Open" button for one stored before."""
    if not is_site_path(link):
        raise ValueError(f"a notification links to a path on this site, not {link!r}")
    for person in recipients:
        db.session.add(Notification(staff_id=person.id, text=text, link=link, priority=priority))
        mail.queue(person.email, email_subject, email_body, kind="notification")
    db.session.flush()


def _unread(staff_id: int | ColumnElement[int]) -> Select[tuple[int]]:
    return (
        select(func.count())
        .select_from(Notification)
        .where(Notification.staff_id == staff_id, Notification.read_at.is_(None))
    )


def unread_count(staff_id: int, *, priority: Priority | None = None) -> int:
    """Unread notifications, of one priority when given."""
    statement = _unread(staff_id)
    if priority is not None:
        statement = statement.where(Notification.priority == priority)
    return db.session.scalar(statement) or 0


def unread_count_of(staff_id: ColumnElement[int], *, priority: Priority | None = None) -> ScalarSelect[int]:
    """The number of unread notifications (of one priority when given) as a subquery, so it can ride along in
    another query: the sign-in session loader reads both counts with the person at the start of every request
    (``staff_id`` is then ``AuthSession.staff_id``)."""
    statement = _unread(staff_id)
    if priority is not None:
        statement = statement.where(Notification.priority == priority)
    return statement.scalar_subquery()


def mark_read(staff_id: int, notification_id: int) -> None:
    db.session.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.staff_id == staff_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
