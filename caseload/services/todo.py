"""Caseload's lines on the home page's to-do list (``core.todo``): today's referrals not yet seen, and sealed
records whose determination is due for review. Both are counted through the caseload's list scopes, so a sealed
record the person may not see is never counted."""

from __future__ import annotations

from datetime import date

from flask import url_for
from sqlalchemy import case, func, null, select

from caseload.models import Client, Referral
from caseload.services import safeguard_queries
from core import policy, todo
from core.extensions import db
from core.models import Staff
from core.timeutil import today


def _counts(user: Staff, day: date, *, referrals: bool, safeguards: bool) -> tuple[int, int, int]:
    """(referrals today not yet seen, reviews due, reviews overdue), in one SELECT of scalar subqueries."""
    unseen = (
        policy.scope(select(func.count(Referral.id)).join(Client, Client.id == Referral.client_id)
                     .where(Referral.received_on == day, Referral.seen_at.is_(None)), user, "client.view", Client)
        if referrals else select(null())
    )
    if safeguards:
        due_rows = policy.scope(safeguard_queries.due_determinations(day), user, "client.safeguard", Client).subquery()
        due = select(func.count()).select_from(due_rows)
        late = select(func.coalesce(func.sum(case((due_rows.c.review_on < day, 1), else_=0)), 0)).select_from(due_rows)
    else:
        due = late = select(null())
    row = db.session.execute(select(unseen.scalar_subquery(), due.scalar_subquery(), late.scalar_subquery())).one()
    return int(row[0] or 0), int(row[1] or 0), int(row[2] or 0)


def items(user: Staff) -> list[todo.Item]:
    referrals, safeguards = policy.can(user, "caseload.referrals"), policy.can(user, "caseload.safeguards")
    if not (referrals or safeguards):
        return []
    unseen, due, late = _counts(user, today(), referrals=referrals, safeguards=safeguards)
    found: list[todo.Item] = []
    if unseen:
        found.append(todo.Item(f"{todo.plural(unseen, 'referral')} today not seen yet",
                               url_for("caseload.referrals_today"), todo.Urgency.TODAY, "Caseload", unseen))
    if due:
        words = f"{todo.plural(due, 'determination')} due for review"
        found.append(todo.Item(words, url_for("caseload.safeguards_index", due="1"),
                               todo.Urgency.NOW if late else todo.Urgency.TODAY, "Caseload", due,
                               detail=f"{late} overdue." if late else "Due within 14 days."))
    return found
