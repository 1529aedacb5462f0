"""Who may see which supervision session, as SQL conditions shared by the record rules and the lists (so a session
page and its list can never disagree).

* The **shared part** of a session is read by the people who were there: its supervisor, its co-facilitator and
  its attendees. Nobody else: not HR, not the administrator, not a supervisor higher up.
* The **private wellness part** of one attendee is read by that attendee and the session's supervisor only. It is
  never reached through a list: ``private_readers`` is the one check, and every page, PDF and export asks it.
* A supervisor logs sessions with the people below them in the supervisor chain (``caseload.access.supervised_by``);
  a co-facilitator is another active supervisor.
* Compliance (minutes a month, no content) is seen by the person, by the supervisors above them, and by HR and the
  administrator, who keep the agency's rules.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, false, or_, true
from sqlalchemy.orm import aliased

from caseload.access import supervised_by, supervised_by_query
from core.models import Role
from supervision.models import Attendee, Meeting


def signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def is_supervisor(user: Any) -> bool:
    return signed_in(user) and user.has_role(Role.SUPERVISOR)


def keeps_rules(user: Any) -> bool:
    return signed_in(user) and user.has_role(Role.HR, Role.ADMIN)


def reports(user: Any) -> list[int]:
    """Everyone below ``user`` in the supervisor chain."""
    return supervised_by(user.id) if signed_in(user) else []


def reports_query(user: Any) -> Select[tuple[int]] | None:
    """``reports`` as a subquery (the person bound as ``person``: ``{"person": user.id}``); None when not signed in."""
    return supervised_by_query() if signed_in(user) else None


def supervises(user: Any, staff_id: int) -> bool:
    return is_supervisor(user) and staff_id != user.id and staff_id in reports(user)


def meetings_seen(user: Any) -> ColumnElement[bool]:
    """Sessions ``user`` took part in: as supervisor, co-facilitator or attendee."""
    if not signed_in(user):
        return false()
    present = aliased(Attendee)  # an alias, so the condition also works in a query that joins attendees itself
    attended = exists().where(present.meeting_id == Meeting.id, present.staff_id == user.id)
    return or_(Meeting.supervisor_id == user.id, Meeting.co_facilitator_id == user.id, attended)


def people_seen(user: Any, staff_column: ColumnElement[int]) -> ColumnElement[bool]:
    """Whose supervision hours (never content) ``user`` may read: their own, their reports', everyone's for HR and
    the administrator."""
    return people_seen_rule(user)(staff_column)


def people_seen_rule(user: Any) -> Callable[[ColumnElement[int]], ColumnElement[bool]]:
    """``people_seen`` for any column holding a staff id, the reports read once: for a list and its count, which
    ask it of different tables."""
    if not signed_in(user):
        return lambda _column: false()
    if keeps_rules(user):
        return lambda _column: true()
    below = reports(user) if is_supervisor(user) else []
    if below:  # one IN list, not "= me OR IN reports": a planner then looks each up instead of reading every row
        seen = [user.id, *below]
        return lambda column: column.in_(seen)
    return lambda column: column == user.id


def may_see_hours(user: Any, staff_id: int) -> bool:
    if not signed_in(user):
        return False
    return staff_id == user.id or keeps_rules(user) or (is_supervisor(user) and staff_id in reports(user))


def private_readers(meeting: Meeting, attendee: Attendee) -> set[int]:
    """The only two people who ever read ``attendee``'s private wellness part."""
    return {meeting.supervisor_id, attendee.staff_id}
