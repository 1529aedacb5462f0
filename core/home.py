"""The home page: what needs the signed-in person across modules (``core.todo``), most urgent first, and a card
per part of PeerWorks they can open, each saying in one line what it is for."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template, url_for
from flask_login import current_user

from core import todo
from core.models import Staff
from core.navigation import items_for, urgent_notifications
from core.policy import requires

bp = Blueprint("home", __name__)


def urgent_notices(user: Staff) -> list[todo.Item]:
    """Unread urgent notifications: counted with the sign-in session at the start of the request (no query)."""
    count = urgent_notifications()
    if not count:
        return []
    return [todo.Item(f"{todo.plural(count, 'urgent notification')} to read", url_for("notifications.index"),
                      todo.Urgency.NOW, "Notifications", count)]


def register(app: Flask) -> None:
    """The core's own provider, registered before any module's (so urgent notices lead among equals)."""
    todo.add_provider(app, "notifications", urgent_notices)


@bp.get("/")
@requires("home.view")
def index() -> str:
    user = current_user._get_current_object()
    return render_template("core/home.html", items=[i for i in items_for() if i.endpoint != "home.index"],
                           todos=todo.for_person(user), user=user)
