"""Supervision's lines on the home page's to-do list (``core.todo``): session records waiting for the person's
sign-off and their open action items due by today, counted in one query (``sessions.to_do_counts``), and role
fidelity's lines (``fidelity.todo_items``, one query)."""

from __future__ import annotations

from flask import url_for

from core import policy, timeutil, todo
from core.models import Staff
from supervision.services import fidelity, sessions


def items(user: Staff) -> list[todo.Item]:
    """Supervision's provider: the session lines, then role fidelity's (two queries: one each)."""
    return [*session_items(user), *fidelity.todo_items(user)]


def session_items(user: Staff) -> list[todo.Item]:
    if not policy.can(user, "supervision.view"):
        return []
    to_sign, due = sessions.to_do_counts(user.id, timeutil.today())
    found: list[todo.Item] = []
    sessions_page = url_for("supervision.session_list")
    if due:
        found.append(todo.Item(f"{todo.plural(due, 'supervision action item')} due", sessions_page,
                               todo.Urgency.TODAY, "Supervision", due,
                               detail="Open the last session with your supervisor to see them."))
    if to_sign:
        found.append(todo.Item(f"{todo.plural(to_sign, 'supervision record')} to read and sign off",
                               sessions_page, todo.Urgency.SOON, "Supervision", to_sign))
    return found
