"""Demo data for role fidelity: six months of contact notes for the demo supervisor's peer specialists, with one of
them (Morgan Ellis) mostly on tasks outside the peer role (driving clients with no peer support, clerical work,
administration), so she is flagged (issue 13: "one peer flagged for role fidelity"). Added to ``seed-demo`` after
the caseload's clients (supervision registers after caseload)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from caseload.models import Assignment, ContactNote, WorkKind
from core import demo, timeutil
from core.extensions import db
from core.models import Staff
from supervision.services.fidelity import add_months, month_start

FLAGGED = "morgan@example.org"
ON_TRACK = ("peer@example.org", "riley@example.org")
MONTHS = 6

# (kind, minutes, day of the month) for each month; a direct kind is written on one of the person's clients.
ON_TRACK_MONTH = [
    (WorkKind.ADVOCACY, 60, 4), (WorkKind.SKILLS, 45, 9), (WorkKind.GROUP, 90, 14), (WorkKind.RESOURCES, 45, 21),
    (WorkKind.ADMINISTRATION, 45, 22), (WorkKind.TEAM_COMMUNICATION, 30, 27), (WorkKind.CLERICAL, 20, 28),
]
FLAGGED_MONTH = [
    (WorkKind.RELATIONSHIP, 30, 4), (WorkKind.TRANSPORT_ONLY, 120, 6), (WorkKind.INFORMATION, 90, 11),
    (WorkKind.CLERICAL, 60, 18), (WorkKind.ADMINISTRATION, 30, 19), (WorkKind.SKILLS, 45, 20),
    (WorkKind.TEAM_COMMUNICATION, 60, 25),
]
BODIES: dict[object, str] = {
    True: "Worked with the client on their goal; next steps agreed.",
    False: "Forms and errands for the team.",
    WorkKind.TRANSPORT_ONLY: "Drove a client to an appointment across town; no peer support on the way.",
    WorkKind.CLERICAL: "Filing and data entry for the program.",
}


def _first_client(staff: Staff) -> int | None:
    return db.session.scalar(
        select(Assignment.client_id)
        .where(Assignment.staff_id == staff.id, Assignment.kind == "peer", Assignment.ended_at.is_(None))
        .order_by(Assignment.client_id)
        .limit(1)
    )


def _month_notes(staff: Staff, client_id: int | None, first: date, plan: list[tuple[WorkKind, int, int]],
                 today: date, notes: list[dict[str, Any]]) -> int:
    written = 0
    for kind, minutes, day in plan:
        happened = first.replace(day=min(day, 28))
        direct = kind.is_direct
        if happened > today or (direct and client_id is None):
            continue
        notes.append({
            "client_id": client_id if direct else None, "staff_id": staff.id, "happened_on": happened,
            "kind": kind.value, "direct": direct, "minutes": minutes, "place": "community" if direct else "office",
            "body": BODIES.get(kind, BODIES[direct]),
        })
        written += 1
    return written


def load(people: dict[str, Staff]) -> str:
    today = timeutil.today()
    this_month = month_start(today)
    written = 0
    notes: list[dict[str, Any]] = []
    plans = {FLAGGED: FLAGGED_MONTH, **dict.fromkeys(ON_TRACK, ON_TRACK_MONTH)}
    for email, plan in plans.items():
        staff = people.get(email)
        if staff is None:
            continue
        client_id = _first_client(staff)
        for back in range(MONTHS, -1, -1):
            written += _month_notes(staff, client_id, add_months(this_month, -back), plan, today, notes)
    demo.insert_rows(ContactNote, notes)
    return f"Role fidelity: {written} contact notes over {MONTHS} months; Morgan Ellis is flagged (mostly other tasks)."


def register() -> None:
    demo.register(load)
