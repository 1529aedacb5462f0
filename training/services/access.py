"""Who may see whose training, as SQL conditions and plain checks shared by the policy rules, the lists and the
services (so a record page and its list can never disagree).

A person's certifications, CE entries and certificates are seen by the person, by everyone above them in their
supervisor chain, and by HR. Only a supervisor above the person approves or returns their CE entries, never the
person themself. The supervisor chain is caseload's (``caseload.access.supervised_by``: one recursive query).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, or_, true

from caseload.access import supervised_by
from core.models import Role, Staff


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def is_hr(user: Any) -> bool:
    return _signed_in(user) and user.has_role(Role.HR)


def reports(user: Any) -> list[int]:
    """Everyone below ``user`` in the supervisor chain (direct and indirect reports)."""
    return supervised_by(user.id) if _signed_in(user) else []


def visible_people(user: Any, staff_column: ColumnElement[int]) -> ColumnElement[bool]:
    """Rows about a person ``user`` may read: their own, their reports' and, for HR, everyone's."""
    if not _signed_in(user):
        return false()
    if is_hr(user):
        return true()
    below = reports(user)
    return or_(staff_column == user.id, staff_column.in_(below)) if below else staff_column == user.id


def may_see_person(user: Any, staff_id: int) -> bool:
    if not _signed_in(user):
        return False
    return staff_id == user.id or is_hr(user) or staff_id in reports(user)


def reviewable_people(user: Any, staff_column: ColumnElement[int]) -> ColumnElement[bool]:
    """CE entries ``user`` may approve or return: their reports' (a supervisor's), never their own."""
    if not (_signed_in(user) and user.has_role(Role.SUPERVISOR)):
        return false()
    below = [staff_id for staff_id in reports(user) if staff_id != user.id]
    return staff_column.in_(below) if below else false()


def may_review_person(user: Any, staff_id: int) -> bool:
    return _signed_in(user) and user.has_role(Role.SUPERVISOR) and staff_id != user.id and staff_id in reports(user)


def is_self(user: Any, staff: Staff | int) -> bool:
    staff_id = staff if isinstance(staff, int) else staff.id
    return _signed_in(user) and staff_id == user.id
