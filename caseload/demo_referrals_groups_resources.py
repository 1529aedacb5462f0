"""Demo data for referral intake, peer-led groups and the community resource directory.

``load(people_by_email)`` is called by the caseload demo loader after the demo clients exist. It adds about 15
community resources, 4 groups with weekly sessions and attendance, and about 40 referrals over the last six months
(a few today, for the rounds list). One referral and one group attendance belong to the sealed staff-client, so the
demo shows them counted for that person's own providers and absent for their co-workers. Flushes, never commits.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from caseload.models import (
    Attendance,
    Client,
    ClientStatus,
    GroupSession,
    PeerGroup,
    Referral,
    ReferralSource,
    Resource,
    Urgency,
)
from caseload.services import clients as client_service
from core import demo, timeutil
from core.extensions import db
from core.models import Program, Staff
from core.timeutil import utcnow

# (name, category, address, phone, website, hours, notes)
RESOURCES = [
    ("Social Security Administration field office", "benefits", "450 Main Street, Suite 200", "(800) 772-1213",
     "https://www.ssa.gov", "Monday to Friday, 9:00 to 16:00",
     "Bring ID and any award letters. Appointments by phone are faster than walking in."),
    ("Department of Children and Families, regional office", "family", "505 Hudson Street", "(860) 555-0144",
     "https://portal.ct.gov/dcf", "Monday to Friday, 8:00 to 17:00",
     "Ask for the family support worker on duty. They can help with reunification plans."),
    ("Downtown YMCA", "recreation", "123 Church Street", "(860) 555-0120", "https://www.ymca.org",
     "Every day, 5:30 to 22:00", "Reduced membership on request: ask at the front desk for the community rate form."),
    ("Public Library, main branch", "library", "500 Main Street", "(860) 555-0150", "https://www.hplct.org",
     "Monday to Saturday, 10:00 to 18:00",
     "Free computers, printing and a weekly job-search help desk on Wednesdays."),
    ("Housing Authority, application office", "housing", "180 Overlook Terrace", "(860) 555-0160", "",
     "Tuesday and Thursday, 9:00 to 12:00", "Voucher waiting list opens a few times a year. Help the person keep "
     "their mailing address current."),
    ("Transitional housing intake line", "housing", "", "(860) 555-0161", "", "Around the clock",
     "Call 2-1-1 after hours."),
    ("Community food pantry", "food", "77 Park Street (church basement)", "(860) 555-0170", "",
     "Tuesday and Friday, 10:00 to 13:00", "No ID needed the first time. Bring bags."),
    ("Soup kitchen", "food", "12 Pearl Street", "(860) 555-0171", "", "Every day, 11:30 to 13:00",
     "Hot lunch, no questions asked."),
    ("Connecticut Works (American Job Center)", "employment", "3580 Main Street", "(860) 555-0180",
     "https://www.ctdol.state.ct.us", "Monday to Friday, 8:30 to 16:30",
     "Peers often spend time here with job seekers: résumé help, job boards, workshops."),
    ("Community health center", "health", "1 Health Way", "(860) 555-0190", "https://www.example-chc.org",
     "Monday to Friday, 8:00 to 20:00", "Sliding-scale fees. Same-day sick visits in the morning."),
    ("Legal aid clinic", "legal", "999 Asylum Avenue", "(860) 555-0191", "https://ctlawhelp.org",
     "Wednesday, 13:00 to 17:00", "Help with evictions, benefits appeals and record sealing."),
    ("Reduced-fare bus pass office", "transport", "Union Station, window 4", "(860) 555-0192", "",
     "Monday to Friday, 7:00 to 18:00", "Bring proof of disability or benefits letter for the reduced fare."),
    ("NAMI family and peer support group", "support_group", "Library community room", "(860) 555-0193",
     "https://www.nami.org", "First and third Monday, 18:30", "Free; families welcome."),
    ("AA and NA meetings list", "support_group", "", "", "https://www.aa.org", "Many times a day",
     "Printed lists at the CRP front desk."),
    ("Clothing closet", "other", "77 Park Street (church basement)", "(860) 555-0172", "", "Friday, 10:00 to 12:00",
     "Interview clothes available; ask the volunteer."),
]

# (name, kind, facilitator email, program code, meets, topics)
GROUPS = [
    ("Tuesday WRAP group", "wrap", "peer@example.org", "CRP", "Tuesdays 10:00 to 11:00, CRP day room",
     ["Wellness toolbox", "Daily maintenance plan", "Triggers", "Early warning signs", "Crisis plan", "Post-crisis"]),
    ("Hearing voices self-help group", "self_help", "morgan@example.org", "MHICM", "Thursdays 14:00, library room",
     ["Sharing what helps", "Coping strategies", "Talking with family", "Sleep", "Open sharing"]),
    ("IMR: illness management and recovery", "imr", "riley@example.org", "MHICM", "Mondays 13:00 to 14:30",
     ["Recovery strategies", "Practical facts", "Stress-vulnerability", "Building social support"]),
    ("WHAM: whole health action management", "wham", "taylor@example.org", "CWT/SE", "Wednesdays 9:30",
     ["Whole health goals", "Healthy eating", "Physical activity", "Restful sleep", "Stress management"]),
]

REASONS = [
    "Discharged from 8 West this morning; asks for help with housing and daily structure.",
    "Seen in the psychiatric emergency room overnight; wants day program support.",
    "Clinic psychiatrist recommends CRP while medication is adjusted.",
    "Finishing the substance abuse day program; asks for peer support to stay connected.",
    "Walked in asking for help; lost housing last week.",
    "Family worried about isolation since the job loss; agreed to a referral.",
    "Returning after a hospital stay; wants to rejoin the WRAP group.",
]

SOURCE_WEIGHTS = [
    (ReferralSource.EMERGENCY_ROOM, 4),
    (ReferralSource.INPATIENT, 3),
    (ReferralSource.CLINIC, 3),
    (ReferralSource.DAY_PROGRAM, 2),
    (ReferralSource.SELF, 1),
]
# How often a referral from each source was seen the same day, to make the report worth reading.
SAME_DAY_CHANCE = {
    ReferralSource.EMERGENCY_ROOM: 0.85,
    ReferralSource.INPATIENT: 0.9,
    ReferralSource.CLINIC: 0.7,
    ReferralSource.DAY_PROGRAM: 0.6,
    ReferralSource.SELF: 0.5,
}
TAKERS = ["peer@example.org", "jordan@example.org", "drew@example.org"]
FALLBACK_CLIENTS = [
    ("Marcus Bell", date(1961, 4, 2)), ("Angela Ortiz", date(1974, 9, 18)), ("Darnell Price", date(1982, 1, 30)),
    ("Linda Chow", date(1969, 6, 11)), ("Raymond Fisk", date(1958, 12, 5)), ("Tasha Greene", date(1990, 3, 22)),
    ("Victor Ames", date(1977, 7, 7)), ("Rosa Delgado", date(1985, 11, 14)), ("Kevin Shaw", date(1966, 2, 9)),
    ("Brenda Lowe", date(1972, 8, 27)), ("Earl Whitman", date(1955, 5, 19)), ("Janelle Fox", date(1993, 10, 3)),
]


def _someone(people: dict[str, Staff], *emails: str) -> Staff:
    for email in emails:
        if email in people:
            return people[email]
    return next(iter(people.values()))


def _clients(people: dict[str, Staff], programs: dict[str, Program]) -> list[Client]:
    found = list(db.session.scalars(select(Client).order_by(Client.id)))
    if found:
        return found
    actor = _someone(people, "peer@example.org")
    crp = programs.get("CRP")
    return [
        client_service.create_client(
            {"name": name, "date_of_birth": born, "program_id": crp.id if crp else None,
             "status": ClientStatus.ACTIVE},
            actor,
        )
        for name, born in FALLBACK_CLIENTS
    ]


def _resources(people: dict[str, Staff], now: datetime) -> int:
    editors = [_someone(people, e) for e in ("peer@example.org", "morgan@example.org", "avery@example.org",
                                             "taylor@example.org", "supervisor@example.org")]
    demo.insert_rows(Resource, [
        {"name": name, "category": category, "address": address, "phone": phone, "website": website, "hours": hours,
         "notes": notes, "updated_by_id": editors[index % len(editors)].id,
         "updated_at": now - timedelta(days=3 * index + 1, hours=index)}
        for index, (name, category, address, phone, website, hours, notes) in enumerate(RESOURCES)
    ])
    return len(RESOURCES)


def _groups(people: dict[str, Staff], programs: dict[str, Program], clients: list[Client], today: date) -> int:
    rng = random.Random(7)  # noqa: S311 - demo data, not security
    sessions = 0
    held: list[tuple[GroupSession, list[int]]] = []
    for name, kind, facilitator_email, program_code, meets, topics in GROUPS:
        facilitator = _someone(people, facilitator_email, "peer@example.org")
        program = programs.get(program_code)
        group = PeerGroup(name=name, kind=kind, facilitator_id=facilitator.id,
                          program_id=program.id if program else None, meets=meets, active=True)
        db.session.add(group)
        db.session.flush()
        members = [c for c in clients if c.status != ClientStatus.DISCHARGED and not c.sealed
                   and (program is None or c.program_id == program.id)][:8]
        if kind == "wham":  # the sealed staff-client goes to a group run by their own (outside) peer specialist
            members += [c for c in clients if c.sealed]
        for week, topic in enumerate(topics):
            held_on = today - timedelta(days=7 * (len(topics) - week))
            session = GroupSession(group_id=group.id, held_on=held_on, topic=topic, minutes=60 if week % 2 else 90,
                                   recorded_by_id=facilitator.id)
            came = [c for c in members if c.sealed or rng.random() < 0.6]
            held.append((session, [c.id for c in came]))
            sessions += 1
    db.session.add_all(session for session, _came in held)
    db.session.flush()  # the sessions' ids, in the order they were made
    demo.insert_rows(Attendance, [
        {"session_id": session.id, "client_id": client_id} for session, came in held for client_id in came
    ])
    return sessions


def _referrals(people: dict[str, Staff], clients: list[Client], now: datetime) -> int:
    rng = random.Random(42)  # noqa: S311 - demo data, not security
    crp = [c for c in clients if not c.sealed and c.program is not None and c.program.code == "CRP"]
    pool = crp or [c for c in clients if not c.sealed]
    takers = [_someone(people, email) for email in TAKERS]
    sources = [source for source, weight in SOURCE_WEIGHTS for _ in range(weight)]
    today = timeutil.today()
    start_of_today = timeutil.day_bounds(today)[0]
    made = 0
    for index in range(40):
        source = rng.choice(sources)
        if index < 4:  # today, for rounds: the earliest has been seen, the rest are waiting
            earliest = start_of_today + timedelta(minutes=index)
            received = min(now, max(earliest, now - timedelta(minutes=45 * (4 - index))))
        else:
            days_ago = 1 + (index - 4) * 180 // 36
            received = timeutil.from_local(today - timedelta(days=days_ago), time(8 + rng.randrange(9),
                                                                                 rng.randrange(60)))
        referral = Referral(
            client_id=pool[index % len(pool)].id, source=source, reason=REASONS[index % len(REASONS)],
            urgency=rng.choice([Urgency.ROUTINE, Urgency.ROUTINE, Urgency.URGENT, Urgency.EMERGENT]),
            received_at=received, received_by_id=takers[index % len(takers)].id,
        )
        if index == 0:
            referral.seen_at, referral.seen_same_day = min(now, received + timedelta(minutes=30)), True
        elif index >= 4:
            roll = rng.random()
            if roll < SAME_DAY_CHANCE[source]:
                referral.seen_at = min(received + timedelta(hours=2),
                                       timeutil.from_local(timeutil.local_date(received), time(23)))
                referral.seen_same_day = True
            elif roll < SAME_DAY_CHANCE[source] + 0.08:
                referral.seen_at, referral.seen_same_day = received + timedelta(days=1), False
            elif roll < SAME_DAY_CHANCE[source] + 0.14:
                referral.seen_same_day = False
        db.session.add(referral)
        made += 1
    sealed = next((c for c in clients if c.sealed), None)
    if sealed is not None:  # taken by their own provider's team; invisible to their co-workers
        taker = _someone(people, "emerson@example.org", "kendall@example.org")
        received = timeutil.from_local(today - timedelta(days=60), time(10, 15))
        db.session.add(Referral(
            client_id=sealed.id, source=ReferralSource.CLINIC, reason="Asked for intensive case management.",
            urgency=Urgency.ROUTINE, received_at=received, received_by_id=taker.id,
            seen_at=received + timedelta(hours=3), seen_same_day=True,
        ))
        made += 1
    return made


def load(people_by_email: dict[str, Staff]) -> str:
    """Add the demo resources, groups and referrals. Flushes, never commits."""
    now = utcnow().replace(microsecond=0)
    programs = {p.code: p for p in db.session.scalars(select(Program))}
    clients = _clients(people_by_email, programs)
    resources = _resources(people_by_email, now)
    sessions = _groups(people_by_email, programs, clients, timeutil.today())
    referrals = _referrals(people_by_email, clients, now)
    db.session.flush()
    return (
        f"Referrals, groups and resources: {referrals} referrals over six months, {len(GROUPS)} groups with "
        f"{sessions} sessions, {resources} community resources."
    )
