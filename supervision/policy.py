"""Supervision's record rules and list scopes, as tables that ``register`` hands to the one policy module
(core.policy). Deny by default; the conditions are ``supervision.services.access``'s, shared with the lists.

A session's shared part: the people who were there. One attendee's private wellness part: that attendee and the
session's supervisor, nobody else. Hours (never content): the person, the supervisors above them, HR and the
administrator. A prep sheet: a supervisor above the person.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, select

from core import policy
from core.extensions import db
from core.models import Staff
from core.policy import RecordRule, ScopeRule
from supervision.models import ActionItem, Attendee, Meeting
from supervision.services import access, sessions


def _meetings_seen(user: Any) -> ColumnElement[bool]:
    return access.meetings_seen(user)


def _may_see_meeting(user: Any, meeting: Meeting) -> bool:
    found = db.session.scalar(select(Meeting.id).where(Meeting.id == meeting.id, access.meetings_seen(user)))
    return found is not None


def _may_edit_meeting(user: Any, meeting: Meeting) -> bool:
    return access.is_supervisor(user) and meeting.supervisor_id == user.id


def _may_read_private(user: Any, attendee: Attendee) -> bool:
    meeting = db.session.get(Meeting, attendee.meeting_id)
    return access.signed_in(user) and meeting is not None and user.id in access.private_readers(meeting, attendee)


def _may_answer(user: Any, attendee: Attendee) -> bool:
    return access.signed_in(user) and attendee.staff_id == user.id


def _may_prepare(user: Any, person: Staff) -> bool:
    return access.supervises(user, person.id)


def _may_see_hours(user: Any, person: Staff) -> bool:
    return access.may_see_hours(user, person.id)


def _people_seen(user: Any) -> ColumnElement[bool]:
    return access.people_seen(user, Staff.id)


def _may_close(user: Any, item: ActionItem) -> bool:
    return access.signed_in(user) and sessions.may_close(item, user)


RECORD_RULES: dict[tuple[type, str], RecordRule] = {
    (Meeting, "meeting.view"): _may_see_meeting,
    (Meeting, "meeting.edit"): _may_edit_meeting,
    (Meeting, "meeting.delete"): _may_edit_meeting,  # and, in the service, only while nobody has answered it
    (Meeting, "meeting.own_copy"): _may_edit_meeting,  # the supervisor's PDF copy
    (Attendee, "attendee.private"): _may_read_private,
    (Attendee, "attendee.answer"): _may_answer,
    (Staff, "supervision.prep"): _may_prepare,
    (Staff, "supervision.hours"): _may_see_hours,
    (ActionItem, "action.close"): _may_close,
}

SCOPE_RULES: dict[tuple[type, str], ScopeRule] = {
    (Meeting, "meeting.view"): _meetings_seen,
    (Staff, "supervision.people"): _people_seen,
}


def register() -> None:
    policy.add_record_rules(RECORD_RULES)
    policy.add_scope_rules(SCOPE_RULES)
