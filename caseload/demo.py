"""Demo caseload: clients across the programs, providers, recovery plans, contact notes, consents, and one
staff member who is also a client here (a sealed record with a determination)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from caseload import demo_referrals_groups_resources
from caseload.models import (
    Assignment,
    Client,
    ClientStatus,
    Consent,
    ContactNote,
    Determination,
    PlanGoal,
    PlanVersion,
    WorkKind,
)
from core import demo, timeutil
from core.extensions import db
from core.models import Program, Staff
from core.timeutil import utcnow

CLIENT_NAMES = [
    "Marcus Bell", "Angela Ortiz", "Darnell Price", "Linda Chow", "Raymond Fisk", "Tasha Greene", "Victor Ames",
    "Rosa Delgado", "Kevin Shaw", "Brenda Lowe", "Earl Whitman", "Janelle Fox", "Hector Ruiz", "Denise Carter",
    "Walter Kim", "Yolanda Reed", "Curtis Hale", "Monica Tran", "Gerald Banks", "Sofia Marin", "Luis Navarro",
    "Patricia Oyelaran", "Dwayne Coleman", "Irene Baptiste", "Frank Novak", "Gloria Estes", "Tyrone Mack",
    "Helen Sutter", "Omar Haddad", "Carla Jennings",
]

# (program code, peer email, clinician email) for each block of clients
CARE_TEAMS = [
    ("CRP", "peer@example.org", "clinician@example.org"),
    ("CRP", "jordan@example.org", "jamie@example.org"),
    ("MHICM", "morgan@example.org", "kendall@example.org"),
    ("MHICM", "riley@example.org", "emerson@example.org"),
    ("CWT/SE", "taylor@example.org", "harper@example.org"),
    ("TSH", "avery@example.org", "finley@example.org"),
]

GOALS = [
    ("short", "I want to get my ID and birth certificate so I can apply for housing.",
     "Peer goes with me to the records office; social worker helps with the fee waiver."),
    ("long", "I want my own apartment within a year.",
     "Apply to the housing voucher list; peer shares how they found housing."),
    ("short", "Go to a WRAP group once a week.", "Peer specialist reminds me the day before."),
    ("long", "Get a part-time job I like, maybe at the library.",
     "Work with the job specialist; practise interviews with my peer."),
]


def _plan(client: Client, author: Staff, today: date, goals: list[tuple[PlanVersion, dict[str, Any]]]) -> None:
    """Two versions of the client's recovery plan; their goals wait in ``goals`` until the versions have ids."""
    for number, review_days in ((1, -20), (2, 60)):
        version = PlanVersion(
            client_id=client.id,
            number=number,
            strengths="Good sense of humour; keeps appointments; close to my sister.",
            needs="Stable housing; money management; someone to talk to in the evenings.",
            abilities="Can cook; handy with repairs; good with people.",
            preferences="Meet in the community, not the office. Mornings are best.",
            review_on=today + timedelta(days=review_days),
            written_by_id=author.id,
            written_at=utcnow() - timedelta(days=90 if number == 1 else 10),
        )
        keys = [f"demo{client.id}g{i}" for i in range(len(GOALS))]
        for position, ((term, words, steps), key) in enumerate(zip(GOALS, keys, strict=True)):
            if number == 1 and position == 3:
                continue
            goals.append((version, {
                "goal_key": key, "position": position, "term": term, "in_own_words": words, "interventions": steps,
                "progress": "Started." if number == 1 else "Halfway there; keeps going.", "achieved": False,
            }))
        db.session.add(version)


def _notes(client: Client, peer: Staff, today: date, rows: list[dict[str, Any]]) -> None:
    kinds = [WorkKind.RESOURCES, WorkKind.SKILLS, WorkKind.EXPERIENTIAL, WorkKind.ADVOCACY, WorkKind.SOCIALIZATION]
    places = ["community", "home", "office", "phone", "community"]
    for i, kind in enumerate(kinds):
        rows.append({
            "client_id": client.id, "staff_id": peer.id, "happened_on": today - timedelta(days=3 * i + 1),
            "kind": kind, "direct": True, "minutes": 30 + 15 * i, "place": places[i], "goal_key": f"demo{client.id}g0",
            "body": "Met and worked on the goal together; next steps agreed.",
        })


def load(people: dict[str, Staff]) -> str:
    today = timeutil.today()
    programs = {p.code: p for p in db.session.scalars(select(Program))}
    clients: list[Client] = []
    rows: dict[type[Any], list[dict[str, Any]]] = {Assignment: [], Consent: [], ContactNote: []}
    goals: list[tuple[PlanVersion, dict[str, Any]]] = []
    for index, name in enumerate(CLIENT_NAMES):
        program_code = CARE_TEAMS[index % len(CARE_TEAMS)][0]
        clients.append(Client(
            name=name,
            preferred_name=name.split()[0] if index % 4 == 0 else "",
            pronouns=["he/him", "she/her", "they/them"][index % 3],
            date_of_birth=date(1955 + index, 1 + index % 12, 1 + index % 27),
            phone=f"555-01{index:02d}",
            program_id=programs[program_code].id,
            status=ClientStatus.DISCHARGED if index % 10 == 9 else ClientStatus.ACTIVE,
        ))
    db.session.add_all(clients)
    db.session.flush()  # one flush for all: their ids, in the same order
    for index, client in enumerate(clients):
        _program_code, peer_email, clinician_email = CARE_TEAMS[index % len(CARE_TEAMS)]
        if client.status == ClientStatus.ACTIVE:
            rows[Assignment].append({"client_id": client.id, "staff_id": people[peer_email].id, "kind": "peer"})
            rows[Assignment].append(
                {"client_id": client.id, "staff_id": people[clinician_email].id, "kind": "clinician"}
            )
            rows[Consent].append({"client_id": client.id, "kind": "services", "signed_on": today - timedelta(days=100),
                                  "recorded_by_id": people[clinician_email].id})
        if index % 3 == 0:
            _plan(client, people[peer_email], today, goals)
            _notes(client, people[peer_email], today, rows[ContactNote])
    # A peer specialist who is also a client here: served by MHICM South and a CWT/SE peer, never by CRP
    # co-workers or their supervisor. Their record is sealed.
    worker = people["jordan@example.org"]
    sealed = Client(name=worker.name, preferred_name="Jordan", pronouns="they/them", date_of_birth=date(1979, 5, 14),
                    phone="555-0199", program_id=programs["MHICM"].id, status=ClientStatus.ACTIVE,
                    staff_member_id=worker.id, sealed_at=utcnow())
    db.session.add(sealed)
    db.session.flush()
    db.session.add(Determination(
        client_id=sealed.id, situation="A CRP peer specialist asked for intensive case management here.",
        decision="Allowed, served by MHICM South only; no CRP staff or their supervisor involved.",
        rationale="Nearest other provider is 90 miles away; the person prefers to stay; teams do not overlap.",
        consulted="Peer specialist, MHICM team lead, privacy officer", review_on=today + timedelta(days=10),
        recorded_by_id=people["privacy@example.org"].id,
    ))
    rows[Assignment].append({"client_id": sealed.id, "staff_id": people["emerson@example.org"].id, "kind": "clinician"})
    rows[Assignment].append({"client_id": sealed.id, "staff_id": people["taylor@example.org"].id, "kind": "peer"})
    _plan(sealed, people["taylor@example.org"], today, goals)
    db.session.flush()
    rows[PlanGoal] = [{"version_id": version.id, **goal} for version, goal in goals]
    for model, found in rows.items():
        demo.insert_rows(model, found)
    more = demo_referrals_groups_resources.load(people)
    return f"Caseload: {len(clients) + 1} clients (one sealed staff-client record), plans, notes and consents. {more}"


def register() -> None:
    """Add the demo caseload to ``seed-demo`` (the core's demo loader runs it after the staff are made)."""
    demo.register(load)
