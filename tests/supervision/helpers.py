"""Factories for supervision tests: a supervisor with peers, and sessions logged through the service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from core.models import Role, Staff
from supervision.models import Kind, Meeting
from supervision.services import sessions
from supervision.services.sessions import NewItem, SessionDetails
from tests import factories


@dataclass
class Team:
    supervisor: Staff
    peers: list[Staff]


def make_team(size: int = 2) -> Team:
    supervisor = factories.make_staff(Role.SUPERVISOR, name="Sam Supervisor")
    peers = [factories.make_staff(Role.PEER, supervisor=supervisor, name=f"Peer {n}") for n in range(size)]
    return Team(supervisor, peers)


def log_session(
    supervisor: Staff,
    attendees: list[Staff],
    *,
    held_on: date = date(2026, 3, 10),
    starts_at: time = time(14),
    minutes: int = 60,
    kind: str | None = None,
    notes: str = "Shared notes",
    items: list[NewItem] | None = None,
    co_facilitator: Staff | None = None,
    topics: list[str] | None = None,
) -> Meeting:
    return sessions.log(
        SessionDetails(
            held_on=held_on,
            starts_at=starts_at,
            duration_minutes=minutes,
            format="in_person",
            topics=topics or ["Role clarity"],
            notes=notes,
            decisions="",
            kind=kind or (Kind.GROUP if len(attendees) > 1 else Kind.ONE_TO_ONE),
            attendee_ids=[person.id for person in attendees],
            co_facilitator_id=co_facilitator.id if co_facilitator else None,
            items=items or [],
        ),
        supervisor,
    )


def same_shared(meeting: Meeting, **changes: object) -> SessionDetails:
    """The session's shared part as a form would send it back, with ``changes``."""
    from core import timeutil

    fields = {
        "held_on": meeting.held_on,
        "starts_at": timeutil.local_naive(meeting.held_at).time(),
        "duration_minutes": meeting.duration_minutes,
        "format": meeting.format,
        "topics": meeting.topic_list,
        "notes": meeting.notes,
        "decisions": meeting.decisions,
    }
    fields.update(changes)
    return SessionDetails(**fields)  # type: ignore[arg-type]


def sign_in(client, staff: Staff) -> None:  # noqa: ANN001 - a FlaskClient
    token = factories.start_session(staff)
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True
