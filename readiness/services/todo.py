"""Readiness's line on the home page's to-do list (``core.todo``): an open survey the person has not answered."""

from __future__ import annotations

from datetime import timedelta

from flask import url_for
from sqlalchemy import Date, Integer, bindparam, func, select

from core import policy, todo
from core.extensions import db
from core.models import Staff
from core.timeutil import long_date, today
from readiness.models import Campaign, Invitation, InvitationStatus

# Built once, the person and the day bound when it runs (building it took most of the provider's time).
_OPEN_INVITATIONS = (
    select(func.count(Invitation.id), func.min(Campaign.closes_on))
    .join(Campaign, Campaign.id == Invitation.campaign_id)
    .where(Invitation.staff_id == bindparam("user_id", type_=Integer),
           Invitation.status != InvitationStatus.COMPLETED,
           Campaign.opens_on <= bindparam("day", type_=Date), Campaign.closes_on >= bindparam("day", type_=Date))
)


def items(user: Staff) -> list[todo.Item]:
    """Open surveys the person was invited to and has not sent, and the soonest closing day: one query. (It says
    only that they have not answered, which the Readiness page says too; never anything about answers.)"""
    if not policy.can(user, "readiness.respond"):
        return []
    day = today()
    count, closes = db.session.execute(_OPEN_INVITATIONS, {"user_id": user.id, "day": day}).one()
    if not count:
        return []
    urgency = todo.Urgency.TODAY if closes <= day + timedelta(days=3) else todo.Urgency.SOON
    words = "A survey to answer" if count == 1 else f"{count} surveys to answer"
    detail = f"Closes {long_date(closes)}." if count == 1 else f"The first closes {long_date(closes)}."
    return [todo.Item(words, url_for("readiness.index"), urgency, "Readiness", count, detail=detail)]
