"""The signed-in person's in-app notifications: newest first, unread highlighted, marked read one by one or all."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select, update
from werkzeug.wrappers import Response

from core import notify
from core.extensions import db
from core.models import Notification
from core.navigation import unread_notifications, urgent_notifications
from core.pages import page_number
from core.policy import requires
from core.timeutil import utcnow

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.get("/")
@requires("notifications.view")
def index() -> str:
    page = db.paginate(
        select(Notification)
        .where(Notification.staff_id == current_user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()),
        page=page_number(),
        per_page=int(current_app.config["PAGE_SIZE"]),
        error_out=False,
    )
    return render_template("notifications/index.html", page=page, unread=unread_notifications(),
                           urgent=urgent_notifications())


@bp.post("/<int:notification_id>/read")
@requires("notifications.view")
def mark_read(notification_id: int) -> Response:
    # Only the person's own notification changes; someone else's id changes nothing.
    notify.mark_read(current_user.id, notification_id)
    db.session.commit()
    return redirect(url_for(".index", page=page_number(), _anchor=f"notification-{notification_id}"))


@bp.post("/read-all")
@requires("notifications.view")
def mark_all_read() -> Response:
    result = db.session.execute(
        update(Notification)
        .where(Notification.staff_id == current_user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()
    count = result.rowcount or 0  # type: ignore[attr-defined]
    flash(f"{count} notification{'s' if count != 1 else ''} marked as read." if count else "Nothing was unread.",
          "success" if count else "info")
    return redirect(url_for(".index"))
