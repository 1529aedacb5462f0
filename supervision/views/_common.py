"""Helpers shared by the supervision view files (kept here so the view files never import each other)."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template
from flask_login import current_user

from core import policy, timeutil
from core.extensions import db
from core.models import Staff
from supervision.models import Attendee, Meeting
from supervision.services import hours, sessions


def render(name: str, status: int = 200, /, **context: Any) -> tuple[str, int]:
    return render_template(
        name,
        long_date=timeutil.long_date,
        local_time=timeutil.local_time,
        hours_words=hours.hours_words,
        today=timeutil.today(),
        **context,
    ), status


def show_problems(form: Any, problems: dict[str, str]) -> list[str]:
    """Put a service's problems next to the form's fields ("items-0-owner" names a row's field); returns those for
    the whole form."""
    general = []
    for name, message in problems.items():
        target = _field(form, name)
        if target is not None:
            target.errors = [*target.errors, message]
        else:
            general.append(message)
    return general


def _field(form: Any, name: str) -> Any:
    if name in form:
        return form[name]
    parts = name.split("-")
    if len(parts) == 3 and parts[0] in form and parts[1].isdigit():
        rows = form[parts[0]]
        index = int(parts[1])
        if index < len(rows.entries) and parts[2] in rows.entries[index].form:
            return rows.entries[index].form[parts[2]]
    return None


def load_meeting(meeting_id: int, action: str = "meeting.view") -> Meeting:
    """A session the signed-in person took part in; 404 otherwise, exactly like a missing one (audited)."""
    meeting = policy.load(current_user, "meeting.view", Meeting, meeting_id)
    if action != "meeting.view":
        policy.authorize(current_user, action, meeting)
    return meeting


def load_attendee(meeting: Meeting, attendee_id: int, action: str) -> Attendee:
    attendee = db.session.get(Attendee, attendee_id)
    if attendee is None or attendee.meeting_id != meeting.id:
        policy.refuse(current_user, f"Attendee:{action}", attendee_id, status=404)
    policy.authorize(current_user, action, attendee, conceal=True)
    return attendee


def load_person(staff_id: int, action: str) -> Staff:
    person = db.get_or_404(Staff, staff_id)
    policy.authorize(current_user, action, person, conceal=True)
    return person


def own_attendance(meeting: Meeting, action: str) -> Attendee:
    """The signed-in person's attendance at ``meeting``; refused (404, audited) for anyone who did not attend."""
    me = sessions.attendee_of(meeting, current_user.id)
    if me is None:
        policy.refuse(current_user, f"Attendee:{action}", meeting.id, status=404)
        abort(404)
    return me
