"""Training's lines on the home page's to-do list (``core.todo``): CE entries to approve, a certification
expiring, orientation items to sign (one's own, and a supervisor's for the people below them)."""

from __future__ import annotations

from datetime import date, timedelta

from flask import url_for
from sqlalchemy import Date, Integer, ScalarSelect, Select, bindparam, func, null, or_, select

from core import policy, todo
from core.extensions import db
from core.models import Role, Staff
from core.timeutil import long_date, today
from training.models import CeEntry, Certification, EntryStatus, Hold, Orientation, OrientationItem

EXPIRY_WINDOW_DAYS = 90
OWN_ITEMS_AHEAD_DAYS = 7


def _count(statement: Select) -> ScalarSelect[int]:
    return statement.scalar_subquery()


def _statement(*, supervisor: bool) -> Select:
    """Every count in one SELECT of scalar subqueries (one query for the module), for any person and day: the
    person, the day and the two windows are bound when it runs. Built once for each kind of person (a supervisor
    counts their reports' entries and items too): building it took most of the provider's time on every home page."""
    user_id, day = bindparam("user_id", type_=Integer), bindparam("day", type_=Date)
    below = todo.reports_of(user_id)
    waiting = (select(func.count(CeEntry.id)).where(
        CeEntry.status == EntryStatus.SUBMITTED, CeEntry.staff_id.in_(below), CeEntry.staff_id != user_id)
        if supervisor else select(null()))
    expiring = select(Certification.id).where(
        Certification.staff_id == user_id, Certification.hold == Hold.NONE,
        Certification.expires_on <= bindparam("expiring_by", type_=Date)).subquery()
    soonest = select(func.min(Certification.expires_on)).where(Certification.id.in_(select(expiring.c.id)))
    own = (select(OrientationItem.id).join(Orientation, Orientation.id == OrientationItem.orientation_id)
           .where(Orientation.staff_id == user_id, OrientationItem.staff_signed_at.is_(None),
                  OrientationItem.due_on <= bindparam("own_due_by", type_=Date)).subquery())
    own_first = select(func.min(OrientationItem.due_on)).where(OrientationItem.id.in_(select(own.c.id)))
    theirs = (select(func.count(OrientationItem.id)).join(Orientation, Orientation.id == OrientationItem.orientation_id)
              .where(Orientation.staff_id.in_(below), Orientation.staff_id != user_id,
                     OrientationItem.supervisor_signed_at.is_(None),
                     or_(OrientationItem.staff_signed_at.is_not(None), OrientationItem.due_on < day))
              if supervisor else select(null()))
    return select(
        _count(waiting), _count(select(func.count()).select_from(expiring)), _count(soonest),
        _count(select(func.count()).select_from(own)), _count(own_first), _count(theirs),
    )


_STATEMENTS = {supervisor: _statement(supervisor=supervisor) for supervisor in (False, True)}


def _counts(user: Staff, day: date, *, supervisor: bool) -> tuple[int, int, date | None, int, date | None, int]:
    row = db.session.execute(_STATEMENTS[supervisor], {
        "user_id": user.id, "day": day, "expiring_by": day + timedelta(days=EXPIRY_WINDOW_DAYS),
        "own_due_by": day + timedelta(days=OWN_ITEMS_AHEAD_DAYS),
    }).one()
    return (int(row[0] or 0), int(row[1] or 0), row[2], int(row[3] or 0), row[4], int(row[5] or 0))


def items(user: Staff) -> list[todo.Item]:
    if not policy.can(user, "training.view"):
        return []
    day = today()
    supervisor = user.has_role(Role.SUPERVISOR)
    waiting, expiring, soonest, own, own_first, theirs = _counts(user, day, supervisor=supervisor)
    found: list[todo.Item] = []
    if waiting:
        found.append(todo.Item(f"{todo.plural(waiting, 'CE entry', 'CE entries')} to approve",
                               url_for("training.review"), todo.Urgency.SOON, "Training", waiting))
    if expiring and soonest is not None:
        urgency = (todo.Urgency.NOW if soonest < day else
                   todo.Urgency.TODAY if soonest <= day + timedelta(days=30) else todo.Urgency.LATER)
        words = ("A certification expiring" if expiring == 1 else f"{expiring} certifications expiring")
        when = f"Expired {long_date(soonest)}." if soonest < day else f"Expires {long_date(soonest)}."
        found.append(todo.Item(words, url_for("training.index"), urgency, "Training", expiring,
                               detail=when if expiring == 1 else f"The first: {when[0].lower()}{when[1:]}"))
    if own and own_first is not None:
        found.append(todo.Item(f"{todo.plural(own, 'orientation item')} to sign off",
                               url_for("training.orientation_checklist", staff_id=user.id),
                               todo.Urgency.NOW if own_first < day else todo.Urgency.TODAY, "Training", own,
                               detail=f"The first was due {long_date(own_first)}." if own_first < day
                               else f"The first is due {long_date(own_first)}."))
    if theirs:
        found.append(todo.Item(f"{todo.plural(theirs, 'orientation item')} to sign off for the people you supervise",
                               url_for("training.orientation_overview"), todo.Urgency.SOON, "Training", theirs))
    return found



