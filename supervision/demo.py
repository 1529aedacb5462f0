"""Demo supervision: a year of sessions for Sam Okafor's peer specialists (Pat, Jordan, Morgan, Riley): a one-to-one
with each most months and a monthly group session co-facilitated by Terry Nguyen; the agency's rule (2 hours a
month, 1 of them one-to-one) so that the months Morgan missed a one-to-one, and Riley's first months, show as
overdue; action items raised, most closed at the next session, some still open; sign-offs, one disagreement, one
record changed after its sign-off (version 2 waiting for Pat), private wellness notes.

Everything goes through ``supervision.services``, as the supervisors' and peers' clicks do; only the times things
were closed and signed are set back to the day they would have happened.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import lazyload

from core import demo, timeutil
from core.extensions import db
from core.models import Staff
from supervision.models import ActionItem, Attendee, Kind, Meeting, SignOff
from supervision.services import hours, sessions
from supervision.services.sessions import NewItem, SessionDetails

PEERS = ("peer@example.org", "jordan@example.org", "morgan@example.org", "riley@example.org")
ITEMS = (
    "Update the WRAP plan together with the client before the next review",
    "Sign up for the ethics refresher",
    "Try one self-care step from the list and say how it went",
    "Ask the team lead for a place in the Thursday team meeting",
)


def _at(day: date, hour: int) -> datetime:
    return timeutil.from_local(day, time(hour))


def load(people: dict[str, Staff]) -> str:
    sam = people["supervisor@example.org"]
    terry = people["terry@example.org"]
    hr = people["hr@example.org"]
    peers = [people[email] for email in PEERS if email in people]
    today = timeutil.today()
    this_month = today.replace(day=1)
    for person in peers:  # on staff for a year (Riley: five months): the months before are not counted
        person.created_at = _at(hours.add_months(this_month, -12), 9)
    riley = peers[-1]
    riley.created_at = _at(hours.add_months(this_month, -5), 9)
    hours.save_rule(None, 120, 60, hr)
    db.session.flush()
    later = _BackDating()

    for back in range(12, 0, -1):
        month = hours.add_months(this_month, -back)
        group = sessions.log(
            SessionDetails(
                held_on=month.replace(day=8),
                starts_at=time(10),
                duration_minutes=90,
                format="in_person",
                topics=["Role clarity", "Self-care and wellness", "Team integration"],
                notes="We talked about what makes peer work different from case management, and shared what helps "
                "after a hard week.",
                decisions="Keep the monthly group; bring one example of peer work each.",
                kind=Kind.GROUP,
                attendee_ids=[person.id for person in peers if not (person is riley and back > 5)],
                co_facilitator_id=terry.id,
            ),
            sam,
        )
        _sign(group, peers, month.replace(day=8), later)
        for number, person in enumerate(peers):
            if person is riley and back > 4:
                continue  # not on staff yet
            if person.email == "morgan@example.org" and back in (2, 5):
                continue  # missed one-to-ones: those months are overdue
            day = month.replace(day=14 + number)
            meeting = sessions.log(
                SessionDetails(
                    held_on=day,
                    starts_at=time(14),
                    duration_minutes=60,
                    format="video" if number % 2 else "in_person",
                    topics=["Caseload review", "Boundaries and dual relationships", "Certification progress"],
                    notes=f"Went through {person.name.split()[0]}'s caseload and the month's hardest conversation.",
                    decisions="Keep using shared decision-making with each client.",
                    attendee_ids=[person.id],
                    items=[NewItem(ITEMS[(back + number) % len(ITEMS)], f"them:{person.id}", day + timedelta(days=21))],
                ),
                sam,
            )
            attendee = meeting.attendees[0]
            sessions.write_private(meeting, attendee, "Sleeping better since the schedule changed; wants to keep "
                                   "Fridays lighter.", attendee.version, sam)
            if back > 1:  # last month's items are still open; some closed only after the next one-to-one
                late = (back + number) % 3 == 0 and back > 2
                _close_all(person, sam, _at(day + timedelta(days=40 if late else 20), 12), later)
            if back > 1 or number % 2 == 0:  # two of last month's records are not signed off yet
                _sign(meeting, [person], day, later)
    later.write()
    _later_change(sam, peers[0])
    return "Supervision: a year of sessions for Sam Okafor's peer specialists; the agency's rule is 2 hours a month."


class _BackDating:
    """The times things were signed and closed, set back to the day they would have happened: gathered while the year
    is logged, then written in one statement each (``write``)."""

    def __init__(self) -> None:
        self.signed: list[dict[str, object]] = []
        self.closed: list[dict[str, object]] = []
        self.closed_items: list[ActionItem] = []

    def write(self) -> None:
        signoffs, items = SignOff.__table__, ActionItem.__table__
        if self.signed:
            db.session.execute(
                update(signoffs)
                .where(signoffs.c.attendee_id == bindparam("b_attendee"))
                .where(signoffs.c.revision == bindparam("b_revision"))
                .values(at=bindparam("b_at")),
                self.signed,
            )
        if self.closed:
            db.session.execute(
                update(items)
                .where(items.c.id == bindparam("b_id"))
                .values(closed_at=bindparam("b_at"), version=items.c.version + 1),  # as a save through the ORM does
                self.closed,
            )
        for item in self.closed_items:  # the session's copies are out of date now
            db.session.expire(item)


def _sign(meeting: Meeting, attendees: list[Staff], day: date, later: _BackDating) -> None:
    for person in attendees:
        attendee = sessions.attendee_of(meeting, person.id)
        if attendee is None:
            continue
        agrees = not (person.email == "jordan@example.org" and meeting.kind == Kind.GROUP and day.month == 1)
        sessions.answer(meeting, attendee, meeting.revision, agrees, "" if agrees else
                        "The decision was to meet every other month, not monthly.", person)
    at = _at(day + timedelta(days=1), 9)
    later.signed += [
        {"b_attendee": attendee.id, "b_revision": meeting.revision, "b_at": at} for attendee in meeting.attendees
    ]


def _open_items(person: Staff) -> list[ActionItem]:
    """``sessions.open_items`` for one person, without loading the people again (the demo has them)."""
    return list(
        db.session.scalars(
            select(ActionItem)
            .where(ActionItem.supervisee_id == person.id, ActionItem.closed_at.is_(None))
            .order_by(ActionItem.due_on.is_(None), ActionItem.due_on, ActionItem.id)
            .options(lazyload(ActionItem.owner), lazyload(ActionItem.supervisee))
        )
    )


def _close_all(person: Staff, supervisor: Staff, when: datetime, later: _BackDating) -> None:
    for item in _open_items(person):
        sessions.close_item(item, "Done.", supervisor)
        later.closed.append({"b_id": item.id, "b_at": when})
        later.closed_items.append(item)


def _later_change(sam: Staff, pat: Staff) -> None:
    """Pat's last one-to-one was changed after Pat signed it: version 2 waits for Pat's sign-off."""
    found = [m for m in _meetings_of(pat) if m.kind == Kind.ONE_TO_ONE]
    if not found:
        return
    meeting = found[0]
    details = SessionDetails(
        held_on=meeting.held_on,
        starts_at=timeutil.local_naive(meeting.held_at).time(),
        duration_minutes=meeting.duration_minutes,
        format=meeting.format,
        topics=meeting.topic_list,
        notes=meeting.notes + "\n\nAdded later: Pat will co-lead the next WRAP group.",
        decisions=meeting.decisions,
    )
    sessions.edit(meeting, details, meeting.version, sam)


def _meetings_of(person: Staff) -> list[Meeting]:
    return list(
        db.session.scalars(
            select(Meeting)
            .join(Attendee, Attendee.meeting_id == Meeting.id)
            .where(Attendee.staff_id == person.id)
            .order_by(Meeting.held_at.desc())
        )
    )


def register() -> None:
    demo.register(load)
