"""Supervision's lines on the home page's to-do list (``core.todo``), from one SELECT: session records waiting for
the person's sign-off and their open action items due by today (``sessions.to_do_subqueries``, two scalar
subqueries), the saved role-fidelity threshold (a third), and last month's minutes of the peer specialists whose
role-fidelity flag concerns the person (``fidelity.todo_sums``, one row each), joined to a single row so the counts
come back even when no one recorded any minutes."""

from __future__ import annotations

from functools import cache

from flask import url_for
from sqlalchemy import Date, Integer, Select, bindparam, literal, null, select, true

from core import policy, timeutil, todo
from core.extensions import db
from core.models import Staff
from supervision.services import fidelity, sessions


@cache
def _sessions_and_threshold() -> Select:
    """The person's two session counts and the saved threshold, built once (building them took most of the
    provider's time on every home page): the person and the day are bound when it runs."""
    counts = sessions.to_do_subqueries(bindparam("staff_id", type_=Integer),  # type: ignore[arg-type]
                                       bindparam("today", type_=Date))  # type: ignore[arg-type]
    return select(*counts, fidelity.saved_threshold())


def items(user: Staff) -> list[todo.Item]:
    """Supervision's provider: the session lines, then role fidelity's, from one query (none when the person's
    roles have neither)."""
    may_view = policy.can(user, "supervision.view")
    sums = fidelity.todo_sums(user)
    if not may_view and sums is None:
        return []
    if sums is None:  # may_view: the session lines only
        rows = db.session.execute(_sessions_and_threshold(), {"staff_id": user.id, "today": timeutil.today()}).all()
    else:
        counts = sessions.to_do_subqueries(user.id, timeutil.today()) if may_view else (null(), null())
        columns = [*counts, fidelity.saved_threshold()]
        minutes = sums.subquery("fidelity_sums")
        one_row = select(literal(1).label("one")).subquery("one_row")
        rows = db.session.execute(
            select(*columns, minutes.c.staff_id, minutes.c.peer, minutes.c.total)
            .select_from(one_row.outerjoin(minutes, true()))
        ).all()
    to_sign, due, saved = rows[0][:3]
    found = session_items(int(to_sign or 0), int(due or 0)) if may_view else []
    if sums is not None:
        found += fidelity.todo_lines(user, [tuple(row[3:]) for row in rows if row[3] is not None], saved)
    return found


def session_items(to_sign: int, due: int) -> list[todo.Item]:
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
