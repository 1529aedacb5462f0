"""Evidence that a sealed record is hidden everywhere (issue 3, "Evidence").

The agency has two teams. Wren, a peer specialist on the peer support team, is also a client here: the privacy
officer linked the client record of "Zanzibar Quixote" (called R below) to Wren's staff account, so it is sealed.
R is served by an outside clinician, Olu, on the clinic team, and has everything a record can have: a recovery plan
in two versions, contact notes, a consent, a referral, attendance at a peer-led group facilitated by a co-worker, a
determination, an emergency grant and entries in the access report.

The people who must never learn R exists walk every page of the caseload, the notifications, the audit screen and
the home page (each route of ``app.url_map`` under those prefixes, with R's ids and with searches for R's name,
preferred name and phone number):

* the co-worker, the supervisor, the supervisor's supervisor, HR, an HR person who also sees clients, and Wren
  through their staff account;
* and, for declared relationships, a peer who declared that they know another (not sealed) client personally.

Every page must hold none of R's distinctive words, and must be exactly the page the same person gets once R is
erased from the database: so every count (clients, referrals, report totals, attendance, minutes) is the count
without R, and R's own addresses answer exactly like a missing record's. To make sure the walk can fail, most
of these people have a way in that only the seal closes (R is in their program, or an assignment slipped past the
conflict checks), the outside clinician sees R on every page, and with the seal lifted the same people see R.
"""

from __future__ import annotations

import html
import random
import re
import statistics
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from time import perf_counter
from types import SimpleNamespace
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, func, or_, select

from caseload.models import (
    Assignment,
    Attendance,
    Client,
    Consent,
    ContactNote,
    DeclaredRelationship,
    Determination,
    EmergencyGrant,
    PlanGoal,
    PlanVersion,
    Referral,
    SealedAccess,
)
from caseload.services import clients as client_service
from caseload.services import safeguards
from core import timeutil
from core.errors import Refused
from core.extensions import db as database
from core.models import AuditEntry, Notification, OutboxEmail, Role, Staff
from core.timeutil import utcnow
from tests.core.security_helpers import inspection_app, routes
from tests.factories import (
    PASSWORD,
    assign,
    make_client,
    make_group_session,
    make_note,
    make_peer_group,
    make_plan,
    make_program,
    make_referral,
    make_resource,
    make_staff,
    make_team,
    start_session,
)

MISSING = 987_654
WALKED_PREFIXES = ("/caseload", "/notifications", "/audit")

R_NAME, R_PREFERRED, R_PHONE, R_BORN = "Zanzibar Quixote", "Zaz", "555-0177", date(1991, 3, 14)
R_SECRETS = (
    "Zanzibar", "Quixote", "Zaz", "555-0177", "5550177", "1991-03-14", "14 March 1991",
    "Quokka", "pangolin", "Marmalade", "Ocelot", "Tangerine", "Xylophone", "Periwinkle",
)
R_SEARCHES = ("Zanzibar", "Zaz", "555-0177")
R_MORE_SEARCHES = ("5550177", "quixote")  # the phone number's digits alone; the family name in small letters

N_NAME, N_PREFERRED, N_PHONE, N_BORN = "Nadia Nightingale", "Nini", "555-0199", date(1987, 11, 2)
N_SECRETS = ("Nadia", "Nightingale", "Nini", "555-0199", "5550199", "1987-11-02", "2 November 1987",
             "Kumquat", "Bassoon", "Gazebo")
N_SEARCHES = ("Nadia", "Nini", "555-0199")
N_MORE_SEARCHES = ("5550199", "nightingale")

EMERGENCY_REASON = "The client phoned the crisis line and named our program; I need the safety plan now."

# Who walks, and whose record they must not find. The declarer knows N personally; everyone else must not find R.
SEALED_VIEWERS = ("coworker", "supervisor", "supervisors-supervisor", "hr", "hr-clinician", "staff-member")
VIEWERS = (*SEALED_VIEWERS, "declarer")


# Reading answers ----------------------------------------------------------------------------------------------


def pdf_text(data: bytes) -> str:
    done = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True, timeout=60)
    return " ".join(done.stdout.decode().split())


VOLATILE = (
    # Different on every response anyway: the CSP nonce, CSRF tokens, the session countdown, and the
    # "when the referral came in" box, filled in with the current minute.
    (re.compile(r'nonce="[^"]*"'), 'nonce=""'),
    (re.compile(r'(name="csrf_token"[^>]*?value=")[^"]*"'), r'\1"'),
    (re.compile(r'data-(idle|absolute)-seconds="\d+"'), r'data-\1-seconds=""'),
    (re.compile(r'<input[^>]*name="received_at"[^>]*>'), '<input name="received_at">'),
)


def normalised(body: str) -> str:
    for pattern, replacement in VOLATILE:
        body = pattern.sub(replacement, body)
    return body


@dataclass(frozen=True)
class Answer:
    """What a person can learn from one response: status, kind, where it sends them, and the words."""

    status: int
    mimetype: str
    location: str
    body: str

    @property
    def words(self) -> str:
        return html.unescape(self.body)


def answer(response) -> Answer:
    if response.mimetype == "application/pdf":
        body = pdf_text(response.data)
    else:
        body = normalised(response.get_data(as_text=True))
    response.close()  # as a server does once the answer is sent: work kept for after the answer is done then
    return Answer(response.status_code, response.mimetype, response.headers.get("Location", ""), body)


# A <template>'s content is never displayed (a script copies it when needed): every signed-in page carries the
# draft-offer alert in one (base.html), so only what is outside templates is looked at.
NOT_DISPLAYED = re.compile(r"<template\b.*?</template>", re.DOTALL | re.IGNORECASE)


def displayed(body: str) -> str:
    return NOT_DISPLAYED.sub("", body)


def leaked(found: Answer, secrets: tuple[str, ...], url: str) -> list[str]:
    """The secrets in a page, leaving out those the person typed into a search box themselves."""
    typed = [value.lower() for key, value in parse_qsl(urlsplit(url).query) if key in ("q", "client") and value]
    text = found.words + " " + found.location
    shown = []
    for secret in secrets:
        if any(secret.lower() in value or value in secret.lower() for value in typed):
            continue
        # Short words are matched exactly; longer ones whatever their case.
        if (secret in text) if len(secret) <= 4 else (secret.lower() in text.lower()):
            shown.append(secret)
    return shown


def excerpt(found: Answer, secrets: list[str]) -> str:
    words = found.words
    at = max((words.lower().find(secret.lower()) for secret in secrets), default=0)
    return words[max(at - 200, 0) : at + 200]


# The agency ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A record that must stay hidden, with the ids of everything hanging off it."""

    client: int
    program: int
    assignment: int
    consent: int
    referral: int
    day: date
    group: int
    sessions: tuple[int, int]
    grant: int
    resource: int
    entry: int
    visible: int  # a client the viewers may see, to reach R's parts through another record's address
    searches: tuple[str, ...]
    more_searches: tuple[str, ...]  # tried on the client list only
    secrets: tuple[str, ...]


def sign_in(browser: FlaskClient, staff: Staff) -> None:
    token = start_session(staff)
    with browser.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True


def build_agency(db) -> SimpleNamespace:  # db: the Flask-SQLAlchemy extension
    now = utcnow()
    recovery = make_program(code="CRP", name="Community Recovery Program")
    clinic = make_program(code="OPC", name="Outpatient Clinic")
    peer_team = make_team(recovery, name="Peer support team")
    clinic_team = make_team(clinic, name="Clinic team")

    # S2 works on the clinic team: only the supervisor chain keeps them from R.
    senior = make_staff(Role.SUPERVISOR, name="Sam Senior", teams=[clinic_team], program=clinic)
    lead = make_staff(Role.SUPERVISOR, name="Sasha Lead", teams=[peer_team], program=recovery, supervisor=senior)
    worker = make_staff(Role.PEER, name="Wren Worthington", teams=[peer_team], program=recovery, supervisor=lead)
    coworker = make_staff(Role.PEER, name="Casey Colleague", teams=[peer_team], program=recovery, supervisor=lead)
    declarer = make_staff(Role.PEER, name="Dorian Declarer", teams=[peer_team], program=recovery, supervisor=lead)
    hr = make_staff(Role.HR, name="Harper Hiring")
    # An HR person who also sees clients on the clinic team: only the HR bar keeps them from R.
    hr_clinician = make_staff(Role.HR, Role.STAFF, name="Hollis Dualrole", teams=[clinic_team], program=clinic)
    outside = make_staff(Role.STAFF, name="Olu Outside", teams=[clinic_team], program=clinic)
    on_call = make_staff(Role.STAFF, name="Eli Oncall")
    privacy = make_staff(Role.PRIVACY, name="Pia Privacy")

    # R's record was opened in the recovery program (where Wren works) before it was linked: without the seal,
    # everyone in that program would see it.
    sealed = make_client(R_NAME, program=recovery, preferred_name=R_PREFERRED, pronouns="they/them", phone=R_PHONE,
                         date_of_birth=R_BORN)
    olive = make_client("Olive Ordinary", program=recovery, phone="555-0100")
    basil = make_client("Basil Background", program=clinic)
    make_client("Nell Waiting", program=recovery)  # no provider yet: needs reassignment
    known = make_client(N_NAME, program=recovery, preferred_name=N_PREFERRED, phone=N_PHONE, date_of_birth=N_BORN)
    assign(olive, coworker)
    assign(basil, outside, "clinician")
    known_assignment = assign(known, declarer)
    served = assign(sealed, outside, "clinician")

    # The privacy officer links the record to Wren. Olu, outside Wren's teams and supervisor chain, stays.
    assert safeguards.link_staff(sealed, worker, privacy, version=sealed.version) == []
    sealed_entry = max(e.id for e in select_entries("client.sealed"))
    # Assignments that slipped past the conflict checks (an import, a future bug): the visibility rule alone must
    # still keep R from these people.
    for provider in (coworker, lead, senior, hr_clinician):
        assign(sealed, provider, "clinician")
    safeguards.record_determination(
        sealed,
        {
            "situation": "Periwinkle: staff member asked for services in the agency.",
            "decision": "Served by the clinic team only.",
            "rationale": "No overlap with the peer support team.",
            "consulted": "Clinical director",
            "review_on": timeutil.local_date(now) + timedelta(days=90),
        },
        privacy,
        replaces=0,
    )
    consent = client_service.add_consent(
        sealed,
        {"kind": "release", "recipient": "Xylophone Clinic", "purpose": "Coordinate care",
         "signed_on": timeutil.local_date(now) - timedelta(days=20), "expires_on": None},
        outside,
    )
    known_consent = client_service.add_consent(
        known,
        {"kind": "services", "recipient": "", "purpose": "", "signed_on": timeutil.local_date(now) - timedelta(days=20),
         "expires_on": None},
        declarer,
    )
    known_entry = max(e.id for e in select_entries("client.consent_recorded"))

    day = timeutil.local_date(now) - timedelta(days=1)
    at_ten = datetime.combine(day, time(10, 0))
    referral = make_referral(sealed, coworker, received_at=at_ten, reason="Tangerine accordion: asked for a peer.")
    make_referral(olive, coworker, received_at=at_ten + timedelta(minutes=5), seen_same_day=True,
                  seen_at=at_ten + timedelta(hours=2))
    known_referral = make_referral(known, declarer, received_at=at_ten + timedelta(minutes=9), source="clinic",
                                   reason="Gazebo: wants a walking group.")
    make_referral(basil, outside, received_at=now - timedelta(minutes=30), source="self")

    make_plan(sealed, outside, goals=["Quokka lighthouse: I want to swim at the Y again."],
              strengths="Velvet pangolin patience")
    make_plan(sealed, outside, goals=["Quokka lighthouse: swim twice a week.", "Quokka kite: call my sister."],
              strengths="Velvet pangolin patience; keeps appointments")
    make_plan(known, declarer, goals=["Kumquat garden: grow tomatoes."])
    make_plan(olive, coworker, goals=["Get a library card."])
    make_note(outside, sealed, body="Marmalade typewriter: talked about the new job.", minutes=40)
    make_note(coworker, sealed, body="Ocelot harmonica: walked to the pantry.", minutes=45)  # before the seal
    make_note(coworker, olive, body="Went to the library together.", minutes=30)
    make_note(declarer, known, body="Bassoon lesson plan talked through.", minutes=25)

    group = make_peer_group(coworker, name="Tuesday WRAP circle", program_id=recovery.id, meets="Tuesdays 2pm")
    both = make_group_session(group, coworker, attendees=[sealed, olive, known], held_on=day - timedelta(days=7))
    alone = make_group_session(group, coworker, attendees=[sealed], held_on=day - timedelta(days=14))
    resource = make_resource(outside, name="Downtown Food Pantry", phone="555-0300")

    # Eli opened R in an emergency last night; the access has expired and waits for review.
    grant = EmergencyGrant(staff_id=on_call.id, client_id=sealed.id, purpose="crisis", reason=EMERGENCY_REASON,
                           started_at=now - timedelta(hours=6), expires_at=now - timedelta(hours=2))
    db.session.add(grant)
    db.session.flush()
    db.session.add_all([
        SealedAccess(client_id=sealed.id, staff_id=outside.id, what="record", at=now - timedelta(days=2)),
        SealedAccess(client_id=sealed.id, staff_id=on_call.id, grant_id=grant.id, what="emergency access",
                     at=now - timedelta(hours=5)),
        Notification(staff_id=privacy.id, text="Eli Oncall used emergency access to a protected record. Review it.",
                     link="/caseload/safeguards/grants"),
    ])
    db.session.commit()

    common = {"program": recovery.id, "day": day, "group": group.id, "sessions": (both.id, alone.id),
              "resource": resource.id, "visible": olive.id}
    targets = {
        "sealed": Target(client=sealed.id, assignment=served.id, consent=consent.id, referral=referral.id,
                         grant=grant.id, entry=sealed_entry, searches=R_SEARCHES, more_searches=R_MORE_SEARCHES,
                         secrets=R_SECRETS, **common),
        "declared": Target(client=known.id, assignment=known_assignment.id, consent=known_consent.id,
                           referral=known_referral.id, grant=grant.id, entry=known_entry, searches=N_SEARCHES,
                           more_searches=N_MORE_SEARCHES, secrets=N_SECRETS, **common),
    }
    people = {
        "coworker": coworker, "supervisor": lead, "supervisors-supervisor": senior, "hr": hr,
        "hr-clinician": hr_clinician, "staff-member": worker, "declarer": declarer, "outside": outside,
        "on-call": on_call, "privacy": privacy,
    }
    return SimpleNamespace(people=people, targets=targets)


@pytest.fixture(scope="module")
def built_agency(module_transaction: Flask) -> SimpleNamespace:
    """The agency, built once for the module's tests (each runs in a savepoint on top of it, rolled back): the
    people by id, and the targets."""
    with module_transaction.app_context():
        built = build_agency(database)
        return SimpleNamespace(people={name: person.id for name, person in built.people.items()},
                               targets=built.targets)


@pytest.fixture
def agency(db, built_agency: SimpleNamespace) -> SimpleNamespace:
    """The agency, its people loaded in this test's session."""
    people = {name: db.session.get(Staff, person) for name, person in built_agency.people.items()}
    return SimpleNamespace(people=people, targets=built_agency.targets)


def select_entries(action: str) -> list[AuditEntry]:
    return list(database.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def target_of(agency: SimpleNamespace, viewer: str) -> Target:
    return agency.targets["declared" if viewer == "declarer" else "sealed"]


def declare(browser: FlaskClient, agency: SimpleNamespace) -> None:
    """The declarer first sees N (so the walk could fail), then declares privately that they know N."""
    known = agency.targets["declared"].client
    sign_in(browser, agency.people["declarer"])
    assert browser.get(f"/caseload/clients/{known}").status_code == 200
    assert N_NAME in answer(browser.get("/caseload/clients?q=Nadia")).words
    sent = browser.post("/caseload/declare", data={"name": N_NAME, "date_of_birth": N_BORN.isoformat(),
                                                     "relationship": "neighbour"})
    assert sent.status_code == 302
    assert "Thank you" in answer(browser.get(sent.headers["Location"])).words  # the message, read


def erase(db, client_id: int) -> None:
    """Take the client and everything hanging off it out of the database: the world in which R never existed."""
    grants = select(EmergencyGrant.id).where(EmergencyGrant.client_id == client_id)
    versions = select(PlanVersion.id).where(PlanVersion.client_id == client_id)
    for statement in (
        delete(SealedAccess).where(or_(SealedAccess.client_id == client_id, SealedAccess.grant_id.in_(grants))),
        delete(EmergencyGrant).where(EmergencyGrant.client_id == client_id),
        delete(Attendance).where(Attendance.client_id == client_id),
        delete(ContactNote).where(ContactNote.client_id == client_id),
        delete(PlanGoal).where(PlanGoal.version_id.in_(versions)),
        delete(PlanVersion).where(PlanVersion.client_id == client_id),
        delete(Referral).where(Referral.client_id == client_id),
        delete(Consent).where(Consent.client_id == client_id),
        delete(Assignment).where(Assignment.client_id == client_id),
        delete(Determination).where(Determination.client_id == client_id),
        delete(DeclaredRelationship).where(DeclaredRelationship.client_id == client_id),
        delete(Client).where(Client.id == client_id),
    ):
        db.session.execute(statement.execution_options(synchronize_session=False))
    db.session.commit()
    db.session.expire_all()


# Every page, with the hidden record's ids and searches for it ---------------------------------------------------


def searched(path: str, target: Target, key: str = "q") -> list[str]:
    return [f"{path}?{urlencode({key: words})}" for words in target.searches]


def month(target: Target) -> str:
    return urlencode({"start": target.day.replace(day=1).isoformat(), "end": target.day.isoformat()})


def record(target: Target, suffix: str = "") -> str:
    return f"/caseload/clients/{target.client}{suffix}"


GET_PAGES: dict[str, Callable[[Target], list[str]]] = {
    "home.index": lambda t: ["/"],
    "notifications.index": lambda t: ["/notifications/"],
    "auditlog.index": lambda t: ["/audit/", f"/audit/?record_type=client&record_id={t.client}"],
    "auditlog.detail": lambda t: [f"/audit/{t.entry}"],
    "auditlog.export": lambda t: ["/audit/export.csv", f"/audit/export.csv?record_type=client&record_id={t.client}"],
    "caseload.index": lambda t: ["/caseload/", *searched("/caseload/", t)],
    "caseload.clients_list": lambda t: [
        "/caseload/clients",
        *searched("/caseload/clients", t),
        *(f"/caseload/clients?{urlencode({'q': words})}" for words in t.more_searches),
        "/caseload/clients?status=active",
        f"/caseload/clients?program={t.program}",
        f"/caseload/clients?{urlencode({'program': t.program, 'status': 'active', 'q': t.searches[0][:3]})}",
    ],
    "caseload.clients_csv": lambda t: [
        "/caseload/clients/export.csv",
        *searched("/caseload/clients/export.csv", t),
        f"/caseload/clients/export.csv?program={t.program}",
    ],
    "caseload.needs_reassignment": lambda t: ["/caseload/reassign"],
    "caseload.client_new": lambda t: ["/caseload/clients/new"],
    "caseload.declare": lambda t: ["/caseload/declare"],
    "caseload.client_detail": lambda t: [record(t)],
    "caseload.client_edit": lambda t: [record(t, "/edit")],
    "caseload.client_notes": lambda t: [record(t, "/notes"), record(t, "/notes?kind=advocacy")],
    "caseload.note_new": lambda t: [record(t, "/notes/new")],
    "caseload.plan": lambda t: [record(t, "/plan")],
    "caseload.plan_version": lambda t: [record(t, "/plan/versions/1"), record(t, "/plan/versions/2")],
    "caseload.plan_edit": lambda t: [record(t, "/plan/edit")],
    "caseload.plan_pdf": lambda t: [record(t, "/plan.pdf")],
    "caseload.my_notes": lambda t: [
        "/caseload/notes",
        "/caseload/notes?kind=advocacy",
        f"/caseload/notes?{urlencode({'start': (t.day - timedelta(days=60)).isoformat(), 'end': t.day.isoformat()})}",
        f"/caseload/notes?{urlencode({'start': t.day.isoformat(), 'end': (t.day + timedelta(days=1)).isoformat()})}",
    ],
    "caseload.indirect_note_new": lambda t: ["/caseload/notes/indirect/new"],
    "caseload.referrals_today": lambda t: ["/caseload/referrals", f"/caseload/referrals?day={t.day.isoformat()}"],
    "caseload.referrals_export": lambda t: [
        "/caseload/referrals/export.csv", f"/caseload/referrals/export.csv?day={t.day.isoformat()}"
    ],
    "caseload.referral_new": lambda t: ["/caseload/referrals/new"],
    "caseload.referrals_report": lambda t: ["/caseload/referrals/report", f"/caseload/referrals/report?{month(t)}"],
    "caseload.referrals_report_export": lambda t: [
        "/caseload/referrals/report.csv", f"/caseload/referrals/report.csv?{month(t)}"
    ],
    "caseload.groups": lambda t: ["/caseload/groups", "/caseload/groups?q=WRAP"],
    "caseload.group_detail": lambda t: [f"/caseload/groups/{t.group}"],
    "caseload.group_edit": lambda t: [f"/caseload/groups/{t.group}/edit"],
    "caseload.group_session_detail": lambda t: [f"/caseload/groups/{t.group}/sessions/{s}" for s in t.sessions],
    "caseload.group_session_new": lambda t: [f"/caseload/groups/{t.group}/sessions/new"],
    "caseload.group_session_edit": lambda t: [f"/caseload/groups/{t.group}/sessions/{s}/edit" for s in t.sessions],
    "caseload.group_session_delete": lambda t: [f"/caseload/groups/{t.group}/sessions/{s}/delete"
                                                for s in t.sessions],
    "caseload.group_new": lambda t: ["/caseload/groups/new"],
    "caseload.resources": lambda t: ["/caseload/resources", *searched("/caseload/resources", t)[:1]],
    "caseload.resource_detail": lambda t: [f"/caseload/resources/{t.resource}"],
    "caseload.resource_edit": lambda t: [f"/caseload/resources/{t.resource}/edit"],
    "caseload.resources_export": lambda t: ["/caseload/resources/export.csv"],
    "caseload.resource_new": lambda t: ["/caseload/resources/new"],
    "caseload.emergency_access": lambda t: ["/caseload/emergency"],
    "caseload.emergency_grants": lambda t: ["/caseload/emergency/grants"],
    "caseload.emergency_grant": lambda t: [f"/caseload/emergency/grants/{t.grant}"],
    "caseload.safeguards_index": lambda t: ["/caseload/safeguards", "/caseload/safeguards?due=1"],
    "caseload.safeguards_access_report": lambda t: [
        "/caseload/safeguards/access-report", *searched("/caseload/safeguards/access-report", t, "client")[:1]
    ],
    "caseload.safeguards_access_csv": lambda t: ["/caseload/safeguards/access-report.csv"],
    "caseload.safeguard_client": lambda t: [f"/caseload/safeguards/clients/{t.client}"],
    "caseload.safeguards_unlink": lambda t: [f"/caseload/safeguards/clients/{t.client}/unlink"],
    "caseload.safeguards_link": lambda t: ["/caseload/safeguards/link", *searched("/caseload/safeguards/link", t)],
    "caseload.safeguards_link_client": lambda t: [f"/caseload/safeguards/link/{t.client}"],
    "caseload.safeguards_queue": lambda t: ["/caseload/safeguards/grants"],
    "caseload.safeguards_grant": lambda t: [f"/caseload/safeguards/grants/{t.grant}"],
    "caseload.safeguards_relationships": lambda t: ["/caseload/safeguards/relationships"],
    "caseload.safeguards_merge": lambda t: [f"/caseload/safeguards/clients/{t.client}/merge/{t.visible}"],
}

# The record's own pages: what its providers open.
RECORD_PAGES = ("caseload.client_detail", "caseload.client_edit", "caseload.client_notes", "caseload.note_new",
                "caseload.plan", "caseload.plan_version", "caseload.plan_edit", "caseload.plan_pdf")


@cache
def walked_rules() -> list:
    return [rule for rule in routes(inspection_app())
            if rule.rule == "/" or rule.rule.startswith(WALKED_PREFIXES)]


WALKED_GETS = sorted({rule.endpoint for rule in walked_rules() if "GET" in (rule.methods or ())})

# The walk, one test per person and area (one per route would build the agency some 350 times).
AREAS: dict[str, tuple[str, ...]] = {
    "home-and-notifications": ("home.index", "notifications.index"),
    "audit-screen": ("auditlog.index", "auditlog.detail", "auditlog.export"),
    "caseload-and-client-lists": ("caseload.index", "caseload.clients_list", "caseload.clients_csv",
                                  "caseload.needs_reassignment", "caseload.client_new", "caseload.declare"),
    "client-record": ("caseload.client_detail", "caseload.client_edit", "caseload.client_notes", "caseload.note_new"),
    "recovery-plan-and-pdf": ("caseload.plan", "caseload.plan_version", "caseload.plan_edit", "caseload.plan_pdf"),
    "own-notes": ("caseload.my_notes", "caseload.indirect_note_new"),
    "referrals-and-report": ("caseload.referrals_today", "caseload.referrals_export", "caseload.referral_new",
                             "caseload.referrals_report", "caseload.referrals_report_export"),
    "groups-and-attendance": ("caseload.groups", "caseload.group_detail", "caseload.group_edit",
                              "caseload.group_session_detail", "caseload.group_session_new", "caseload.group_new",
                              "caseload.group_session_edit", "caseload.group_session_delete"),
    "resources": ("caseload.resources", "caseload.resource_detail", "caseload.resource_edit",
                  "caseload.resources_export", "caseload.resource_new"),
    "emergency-access": ("caseload.emergency_access", "caseload.emergency_grants", "caseload.emergency_grant"),
    "safeguards-screens": ("caseload.safeguards_index", "caseload.safeguards_access_report",
                           "caseload.safeguards_access_csv", "caseload.safeguard_client", "caseload.safeguards_unlink",
                           "caseload.safeguards_link", "caseload.safeguards_link_client", "caseload.safeguards_queue",
                           "caseload.safeguards_grant", "caseload.safeguards_relationships",
                           "caseload.safeguards_merge"),
}


def refused_to_every_viewer(endpoint: str) -> bool:
    """The safeguards screens and the audit screen are for the privacy officer and the administrator only."""
    return endpoint.startswith(("caseload.safeguard", "auditlog."))


def walk(browser: FlaskClient, viewer: str, target: Target, endpoint: str) -> dict[str, Answer]:
    """Open every address of one route; nothing on any of them may name the hidden record."""
    assert endpoint in GET_PAGES, f"{endpoint} is a new page: add the addresses to walk to GET_PAGES"
    seen = {}
    for url in GET_PAGES[endpoint](target):
        found = answer(browser.get(url))
        assert found.status < 500, f"{viewer} {url}: {found.status}"
        if refused_to_every_viewer(endpoint):
            assert found.status == 403, f"{viewer} {url}: {found.status}"
        shown = leaked(found, target.secrets, url)
        assert not shown, f"{viewer} {url} shows {shown}: …{excerpt(found, shown)}…"
        seen[url] = found
    return seen


def assert_nothing_read(db, staff_id: int, target: Target, since: int = 0) -> None:
    """No page read the record for them (since audit entry ``since``): no audit of a read, no line in the access
    report."""
    reads = db.session.scalar(select(func.count()).select_from(SealedAccess).where(
        SealedAccess.staff_id == staff_id, SealedAccess.client_id == target.client))
    viewed = db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "client.viewed", AuditEntry.actor_id == staff_id, AuditEntry.id > since,
        AuditEntry.record_id == str(target.client)))
    assert (reads, viewed) == (0, 0)


def assert_same_without_it(browser: FlaskClient, db, target: Target, seen: dict[str, Answer],
                           viewer: str) -> None:
    """Erase the record and open the same addresses: every page must be exactly as it was (same counts, totals
    and lists; the record's own addresses answer as for a record that never existed)."""
    erase(db, target.client)
    for url, before in seen.items():
        after = answer(browser.get(url))
        assert after.status == before.status, f"{viewer} {url}: {before.status} with the record, {after.status} without"
        assert after == before, f"{viewer} {url} differs from the same page without the record"


@pytest.mark.parametrize("area", AREAS)
@pytest.mark.parametrize("viewer", VIEWERS)
def test_nothing_reveals_the_record(client, db, agency, viewer, area):
    if viewer == "declarer":
        declare(client, agency)
    person = agency.people[viewer]
    target = target_of(agency, viewer)
    sign_in(client, person)
    mark = last_entry(db)

    seen: dict[str, Answer] = {}
    for endpoint in AREAS[area]:
        seen |= walk(client, viewer, target, endpoint)

    assert_nothing_read(db, person.id, target, since=mark)
    assert_same_without_it(client, db, target, seen, viewer)


def test_every_page_under_the_walked_prefixes_is_walked(app):
    in_areas = [endpoint for endpoints in AREAS.values() for endpoint in endpoints]
    assert sorted(in_areas) == WALKED_GETS, "every GET route under /caseload, /notifications, /audit and / once"
    assert set(GET_PAGES) == set(WALKED_GETS)
    assert "home.index" in WALKED_GETS


# When the provider leaves: the record needs reassignment, and still appears to no one on the team -----------------

REASSIGNMENT_PAGES = ("caseload.needs_reassignment", "caseload.index", "caseload.clients_list", "caseload.clients_csv")


def end_every_assignment(db, client_id: int) -> None:
    for assignment in db.session.scalars(select(Assignment).where(Assignment.client_id == client_id,
                                                                  Assignment.ended_at.is_(None))):
        assignment.ended_at = utcnow()
    db.session.commit()


@pytest.mark.parametrize("viewer", SEALED_VIEWERS)
def test_a_sealed_record_that_needs_a_new_worker_is_still_hidden(client, db, agency, viewer):
    target = agency.targets["sealed"]
    end_every_assignment(db, target.client)
    person = agency.people[viewer]
    sign_in(client, person)

    seen = {}
    for endpoint in REASSIGNMENT_PAGES:
        seen |= walk(client, viewer, target, endpoint)

    assert_nothing_read(db, person.id, target)
    assert_same_without_it(client, db, target, seen, viewer)


def test_control_unsealed_and_unassigned_the_record_needs_reassignment_for_the_team(client, db, agency):
    target = agency.targets["sealed"]
    end_every_assignment(db, target.client)
    unlinked = db.session.get(Client, target.client)
    safeguards.unlink_staff(unlinked, agency.people["privacy"], version=unlinked.version)
    db.session.commit()
    sign_in(client, agency.people["coworker"])
    assert R_NAME in answer(client.get("/caseload/reassign")).words


# Positive controls: the walk above could fail ----------------------------------------------------------------


def test_control_the_outside_clinician_opens_every_page_of_the_record(client, db, agency):
    target = agency.targets["sealed"]
    outside = agency.people["outside"]
    sign_in(client, outside)

    for endpoint in RECORD_PAGES:
        for url in GET_PAGES[endpoint](target):
            found = answer(client.get(url))
            assert found.status == 200, url
            assert R_NAME in found.words or f"For {R_PREFERRED}" in found.words, url  # the PDF says "For Zaz"
    assert "Quokka lighthouse" in answer(client.get(record(target, "/plan"))).words
    assert "Marmalade typewriter" in answer(client.get(record(target, "/notes"))).words
    assert "Quokka kite" in answer(client.get(record(target, "/plan.pdf"))).words

    lists = [
        "/caseload/", "/caseload/?q=Zaz", "/caseload/clients?q=Zanzibar", "/caseload/clients?q=555-0177",
        "/caseload/clients/export.csv", f"/caseload/referrals?day={target.day.isoformat()}",
        f"/caseload/referrals/export.csv?day={target.day.isoformat()}",
        f"/caseload/groups/{target.group}/sessions/{target.sessions[0]}",
    ]
    seen = {url: answer(client.get(url)) for url in lists}
    for url, found in seen.items():
        assert found.status == 200, url
        assert R_NAME in found.words, url
    reads = db.session.scalar(select(func.count()).select_from(SealedAccess).where(
        SealedAccess.staff_id == outside.id))
    assert reads > len(RECORD_PAGES)  # every read is in the access report

    # The comparison the walk relies on tells the record apart: without it, these pages change.
    erase(db, target.client)
    for url, before in seen.items():
        assert answer(client.get(url)) != before, url


def test_control_the_privacy_officer_sees_the_record_on_the_safeguards_screens(client, db, agency):
    target = agency.targets["sealed"]
    sign_in(client, agency.people["privacy"])
    for url in (
        "/caseload/safeguards",
        f"/caseload/safeguards/clients/{target.client}",
        "/caseload/safeguards/link?q=Zanzibar",
        "/caseload/safeguards/access-report",
        "/caseload/safeguards/access-report.csv",
        "/caseload/safeguards/grants",
        f"/caseload/safeguards/grants/{target.grant}",
    ):
        found = answer(client.get(url))
        assert found.status == 200, url
        assert R_NAME in found.words, url
    queue = answer(client.get("/caseload/safeguards/grants")).words
    assert "Eli Oncall" in queue
    assert f"/caseload/safeguards/grants/{target.grant}" in queue


@pytest.mark.parametrize("viewer", ["coworker", "supervisor", "supervisors-supervisor", "hr-clinician",
                                    "staff-member"])
def test_control_with_the_seal_lifted_the_same_people_find_the_record(client, db, agency, viewer):
    """Each of them has a way in that only the seal closes, so their walk above tests the seal."""
    target = agency.targets["sealed"]
    unlinked = db.session.get(Client, target.client)
    safeguards.unlink_staff(unlinked, agency.people["privacy"], version=unlinked.version)
    db.session.commit()
    sign_in(client, agency.people[viewer])
    assert client.get(record(target)).status_code == 200
    for url in ("/caseload/clients?q=Zanzibar", f"/caseload/referrals?day={target.day.isoformat()}",
                f"/caseload/groups/{target.group}/sessions/{target.sessions[1]}"):
        assert R_NAME in answer(client.get(url)).words, url


def test_counts_the_coworker_sees_leave_the_sealed_record_out(client, db, agency):
    """The same thing in numbers a person reads (the walk compares every page with the page without R)."""
    target = agency.targets["sealed"]
    sign_in(client, agency.people["coworker"])
    index = answer(client.get("/caseload/")).words
    assert re.search(r">1</p>\s*<p[^>]*>client assigned to you", index)  # Olive; not R, though assigned
    rows = answer(client.get("/caseload/clients/export.csv")).words.strip().splitlines()
    assert [row.split(",")[0] for row in rows[1:]] == ["Nadia Nightingale", "Nell Waiting", "Olive Ordinary"]
    report = answer(client.get(f"/caseload/referrals/report.csv?{month(target)}")).words
    assert "total,All sources,2,1,1,50.0" in report  # Olive's and Nadia's referrals
    detail = answer(client.get(f"/caseload/groups/{target.group}")).words
    assert re.findall(r'<td class="text-right">(\d+)</td>\s*</tr>', detail) == ["2", "0"]
    notes = answer(client.get("/caseload/notes")).words
    # Casey's note on Olive; not also the 45 minutes with R.
    assert "<strong>30 minutes</strong> in the 1 note shown: 30 minutes of direct work" in notes


# A sealed record's address answers exactly like a missing record's ------------------------------------------------


@dataclass(frozen=True)
class Probe:
    endpoint: str
    method: str
    hidden: str
    missing: str
    data: dict[str, str] | None = None
    audited: bool = True  # refused by the access rules (some are refused by a form's own check instead)


def probes(family: str, t: Target, people: dict[str, Staff]) -> list[Probe]:
    """Requests naming the hidden record (or a part of it), each with the same request naming nothing."""
    c, v, g, today = t.client, t.visible, t.grant, timeutil.today()

    def on_record(endpoint: str, suffix: str, method: str = "GET", data: dict[str, str] | None = None) -> Probe:
        return Probe(endpoint, method, f"/caseload/clients/{c}{suffix}", f"/caseload/clients/{MISSING}{suffix}",
                     data)

    if family == "record-pages":
        return [
            on_record("caseload.client_detail", ""),
            on_record("caseload.client_edit", "/edit"),
            on_record("caseload.client_notes", "/notes"),
            on_record("caseload.note_new", "/notes/new"),
            on_record("caseload.plan", "/plan"),
            on_record("caseload.plan_version", "/plan/versions/1"),
            on_record("caseload.plan_version", "/plan/versions/2"),
            on_record("caseload.plan_edit", "/plan/edit"),
            on_record("caseload.plan_pdf", "/plan.pdf"),
        ]
    if family == "record-changes":
        return [
            on_record("caseload.client_assign", "/assign",
                      "POST", {"assign-provider": str(people["outside"].id), "assign-kind": "peer"}),
            Probe("caseload.assignment_end", "POST", f"/caseload/clients/{c}/assignments/{t.assignment}/end",
                  f"/caseload/clients/{MISSING}/assignments/{MISSING}/end"),
            # A part of the hidden record reached through a record the person may see.
            Probe("caseload.assignment_end", "POST", f"/caseload/clients/{v}/assignments/{t.assignment}/end",
                  f"/caseload/clients/{v}/assignments/{MISSING}/end"),
            on_record("caseload.consent_add", "/consents", "POST",
                      {"consent-kind": "release", "consent-recipient": "A clinic",
                       "consent-signed_on": today.isoformat()}),
            Probe("caseload.consent_revoke", "POST", f"/caseload/clients/{c}/consents/{t.consent}/revoke",
                  f"/caseload/clients/{MISSING}/consents/{MISSING}/revoke"),
            Probe("caseload.consent_revoke", "POST", f"/caseload/clients/{v}/consents/{t.consent}/revoke",
                  f"/caseload/clients/{v}/consents/{MISSING}/revoke"),
            on_record("caseload.client_declare", "/declare", "POST", {"know-relationship": "friend"}),
            on_record("caseload.client_edit", "/edit", "POST",
                      {"name": "Someone Else", "date_of_birth": "1990-01-01", "status": "active", "program": "",
                       "version": "1"}),
            on_record("caseload.note_new", "/notes/new", "POST",
                      {"happened_on": today.isoformat(), "kind": "advocacy", "minutes": "30", "place": "office",
                       "body": "Talked."}),
            on_record("caseload.plan_edit", "/plan/edit", "POST",
                      {"base_version": "2", "goals-0-term": "short", "goals-0-in_own_words": "Keep going.",
                       "review_on": (today + timedelta(days=30)).isoformat()}),
        ]
    if family == "referrals-groups-emergency":
        newcomer = {"source": "self", "name": "Pat Newcomer", "date_of_birth": "1970-05-05", "reason": "Asked.",
                    "urgency": "routine", "received_at": f"{timeutil.now_local() - timedelta(hours=1):%Y-%m-%dT%H:%M}",
                    "program": str(t.program)}
        session = {"held_on": (today - timedelta(days=100)).isoformat(), "topic": "Check-in", "minutes": "60"}
        return [
            Probe("caseload.referral_seen", "POST", f"/caseload/referrals/{t.referral}/seen",
                  f"/caseload/referrals/{MISSING}/seen", {"version": "1"}),
            Probe("caseload.referral_not_seen", "POST", f"/caseload/referrals/{t.referral}/not-seen",
                  f"/caseload/referrals/{MISSING}/not-seen", {"version": "1"}),
            # The record named in a form instead of the address.
            Probe("caseload.group_session_new", "POST", f"/caseload/groups/{t.group}/sessions/new",
                  f"/caseload/groups/{t.group}/sessions/new", audited=False,
                  data=session | {"attendance": str(c)}),
            Probe("caseload.group_session_edit", "POST", f"/caseload/groups/{t.group}/sessions/{t.sessions[0]}/edit",
                  f"/caseload/groups/{t.group}/sessions/{t.sessions[0]}/edit", audited=False,
                  data=session | {"attendance": str(c), "version": "1"}),
            Probe("caseload.referral_new", "POST", "/caseload/referrals/new", "/caseload/referrals/new",
                  audited=False, data=newcomer | {"match": str(c)}),
            Probe("caseload.emergency_grant", "GET", f"/caseload/emergency/grants/{g}",
                  f"/caseload/emergency/grants/{MISSING}"),
            Probe("caseload.emergency_end", "POST", f"/caseload/emergency/grants/{g}/end",
                  f"/caseload/emergency/grants/{MISSING}/end"),
        ]
    if family == "safeguards":
        finding = {"finding": "Justified."}
        return [
            Probe("caseload.safeguard_client", "GET", f"/caseload/safeguards/clients/{c}",
                  f"/caseload/safeguards/clients/{MISSING}"),
            Probe("caseload.safeguards_unlink", "GET", f"/caseload/safeguards/clients/{c}/unlink",
                  f"/caseload/safeguards/clients/{MISSING}/unlink"),
            Probe("caseload.safeguards_link_client", "GET", f"/caseload/safeguards/link/{c}",
                  f"/caseload/safeguards/link/{MISSING}"),
            Probe("caseload.safeguards_grant", "GET", f"/caseload/safeguards/grants/{g}",
                  f"/caseload/safeguards/grants/{MISSING}"),
            Probe("caseload.safeguards_assign", "POST", f"/caseload/safeguards/clients/{c}/assign",
                  f"/caseload/safeguards/clients/{MISSING}/assign",
                  {"assign-provider": str(people["outside"].id), "assign-kind": "clinician"}),
            Probe("caseload.safeguards_end_assignment", "POST",
                  f"/caseload/safeguards/clients/{c}/assignments/{t.assignment}/end",
                  f"/caseload/safeguards/clients/{MISSING}/assignments/{MISSING}/end"),
            Probe("caseload.safeguards_determination", "POST", f"/caseload/safeguards/clients/{c}/determinations",
                  f"/caseload/safeguards/clients/{MISSING}/determinations",
                  {"determination-situation": "x", "determination-decision": "x", "determination-rationale": "x",
                   "determination-consulted": "x",
                   "determination-review_on": (today + timedelta(days=30)).isoformat()}),
            Probe("caseload.safeguards_unlink", "POST", f"/caseload/safeguards/clients/{c}/unlink",
                  f"/caseload/safeguards/clients/{MISSING}/unlink", {"version": "1"}),
            Probe("caseload.safeguards_link_client", "POST", f"/caseload/safeguards/link/{c}",
                  f"/caseload/safeguards/link/{MISSING}",
                  {"staff": str(people["coworker"].id), "confirm": "y", "version": "1"}),
            Probe("caseload.safeguards_grant", "POST", f"/caseload/safeguards/grants/{g}",
                  f"/caseload/safeguards/grants/{MISSING}", finding),
            Probe("caseload.safeguards_merge", "GET", f"/caseload/safeguards/clients/{c}/merge/{v}",
                  f"/caseload/safeguards/clients/{MISSING}/merge/{v}"),
            Probe("caseload.safeguards_merge", "POST", f"/caseload/safeguards/clients/{c}/merge/{v}",
                  f"/caseload/safeguards/clients/{MISSING}/merge/{v}", {"version": "1", "duplicate": "1",
                                                                          "confirm": "y"}),
        ]
    raise KeyError(family)


FAMILIES = ("record-pages", "record-changes", "referrals-groups-emergency", "safeguards")
CLIENT_IDS = {"client_id", "assignment_id", "consent_id", "referral_id", "grant_id", "duplicate_id"}


def state_of(db, client_id: int) -> tuple:
    """Everything a refused change could have touched."""

    def count(model: type, *conditions: object) -> int:
        return db.session.scalar(select(func.count()).select_from(model).where(model.client_id == client_id,
                                                                               *conditions))

    db.session.expire_all()
    hidden = db.session.get(Client, client_id)
    return (
        hidden.version, hidden.name, hidden.staff_member_id,
        count(Assignment, Assignment.ended_at.is_(None)), count(Assignment),
        count(Consent, Consent.revoked_on.is_(None)), count(ContactNote), count(PlanVersion),
        count(Determination), count(DeclaredRelationship), count(Attendance), count(Referral),
        count(Referral, Referral.seen_at.is_not(None)), count(EmergencyGrant, EmergencyGrant.ended_at.is_(None)),
        count(EmergencyGrant, EmergencyGrant.reviewed_at.is_(None)),
    )


def send(browser: FlaskClient, method: str, url: str, data: dict[str, str] | None):
    return browser.get(url) if method == "GET" else browser.post(url, data=data or {})


def last_entry(db) -> int:
    return db.session.scalar(select(func.coalesce(func.max(AuditEntry.id), 0)))


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("viewer", VIEWERS)
def test_the_record_answers_exactly_like_a_missing_one(client, db, agency, viewer, family):
    if viewer == "declarer":
        declare(client, agency)
    person = agency.people[viewer]
    target = target_of(agency, viewer)
    sign_in(client, person)
    before = state_of(db, target.client)
    start = last_entry(db)

    for probe in probes(family, target, agency.people):
        mark = last_entry(db)
        # A message left behind for the next page (a flash) would show on the answer after it, which is compared.
        hidden = answer(send(client, probe.method, probe.hidden, probe.data))
        refusals = db.session.scalars(select(AuditEntry).where(AuditEntry.id > mark,
                                                               AuditEntry.action == "access.denied")).all()
        mark = last_entry(db)
        missing = answer(send(client, probe.method, probe.missing, probe.data))
        missing_refusals = db.session.scalars(select(AuditEntry).where(AuditEntry.id > mark,
                                                                       AuditEntry.action == "access.denied")).all()

        where = f"{viewer} {probe.method} {probe.hidden}"
        assert hidden.status in (400, 403, 404), f"{where}: {hidden.status}"
        assert hidden.status == missing.status, f"{where}: {hidden.status}, missing one {missing.status}"
        assert hidden == missing, f"{where} answers differently from {probe.missing}"
        assert not leaked(hidden, target.secrets, probe.hidden), where
        if probe.audited:
            assert refusals, f"{where}: the refusal was not audited"
            assert {(entry.outcome, entry.actor_id) for entry in refusals} == {("denied", person.id)}, where
            # A missing id is refused the same way: the same work, the same kind of entry (finding 4).
            assert [e.record_type for e in missing_refusals] == [e.record_type for e in refusals], where

    assert state_of(db, target.client) == before
    assert_nothing_read(db, person.id, target, since=start)
    home = answer(client.get("/"))
    assert home.status == 200
    assert 'class="usa-alert' not in displayed(home.body)  # nothing left behind to show


# Same time for hidden and missing (issue 10, finding 4) ------------------------------------------------------------

TIMING_ROUNDS = 200
# The hidden record's median may differ from the missing id's by at most the larger of these. A second series of
# missing ids, timed in the same rounds, measures what two runs of the very same work differ by on this machine at
# this moment (its noise); three times that, or 15 % of the missing id's median when the noise happens to be tiny,
# is well inside what a timing attacker needs and well outside the noise. Before the fix a hidden record cost 7x
# (about 17 ms against 2.3 ms on SQLite, 33 ms against 7.5 ms on PostgreSQL): refusing it read the access rules and
# wrote an audit entry, a missing id did neither.
NOISE_TIMES = 3
FLOOR_SHARE = 0.15


@pytest.mark.both_databases  # the times are measured on each database
def test_a_hidden_record_takes_as_long_as_a_missing_one(client, db, agency):
    """Three series of 200 requests for a client record, interleaved in a new random order each round so that a
    burst of load on a busy two-core machine falls on all of them alike: the sealed record (hidden from the
    co-worker), a missing id, and another missing id as the measure of noise. Medians, so a stray slow request does
    not count."""
    target = agency.targets["sealed"]
    coworker = agency.people["coworker"]
    sign_in(client, coworker)
    urls = {"hidden": record(target), "missing": f"/caseload/clients/{MISSING}",
            "missing again": f"/caseload/clients/{MISSING + 1}"}
    times: dict[str, list[float]] = {kind: [] for kind in urls}
    shuffle = random.Random(10).shuffle
    for round_number in range(TIMING_ROUNDS + 10):
        order = list(urls)
        shuffle(order)
        for kind in order:
            started = perf_counter()
            response = client.get(urls[kind])
            took = perf_counter() - started
            assert response.status_code == 404
            if round_number >= 10:  # the first rounds warm the caches up
                times[kind].append(took)

    medians = {kind: statistics.median(values) * 1000 for kind, values in times.items()}
    noise = abs(medians["missing"] - medians["missing again"])
    allowed = max(NOISE_TIMES * noise, FLOOR_SHARE * medians["missing"])
    difference = abs(medians["hidden"] - medians["missing"])
    assert difference <= allowed, (
        f"hidden {medians['hidden']:.2f} ms, missing {medians['missing']:.2f} ms: {difference:.2f} ms apart, "
        f"allowed {allowed:.2f} ms (noise {noise:.2f} ms)"
    )
    # The same work: every one of them was refused and audited, the hidden record and the missing ids alike.
    refused = db.session.execute(
        select(AuditEntry.record_id, func.count()).where(AuditEntry.action == "access.denied",
                                                         AuditEntry.actor_id == coworker.id)
        .group_by(AuditEntry.record_id)
    ).all()
    assert dict(refused) == {str(target.client): TIMING_ROUNDS + 10, str(MISSING): TIMING_ROUNDS + 10,
                             str(MISSING + 1): TIMING_ROUNDS + 10}


def test_every_route_with_a_client_id_is_probed(app):
    probed = {(p.endpoint, p.method) for family in FAMILIES
              for p in probes(family, TARGET_SHAPE, {"outside": SimpleNamespace(id=1),
                                                     "coworker": SimpleNamespace(id=2)})}
    wanted = {
        (rule.endpoint, method)
        for rule in walked_rules() if CLIENT_IDS & set(rule.arguments)
        for method in (rule.methods or ()) if method in ("GET", "POST")
    }
    assert wanted <= probed, f"not probed: {sorted(wanted - probed)}"


TARGET_SHAPE = Target(client=1, program=1, assignment=1, consent=1, referral=1, day=date(2025, 1, 1), group=1,
                      sessions=(1, 2), grant=1, resource=1, entry=1, visible=2, searches=("x",), more_searches=(),
                      secrets=("x",))


# The staff member themself, signed in through the sign-in form ---------------------------------------------------


def test_the_staff_member_signed_in_through_the_form_cannot_find_their_own_record(client, db, agency):
    target = agency.targets["sealed"]
    worker = agency.people["staff-member"]
    signed = client.post("/login", data={"email": worker.email, "password": PASSWORD})
    assert signed.status_code == 302
    assert client.get("/caseload/").status_code == 200

    hidden, missing = answer(client.get(record(target))), answer(client.get(f"/caseload/clients/{MISSING}"))
    assert hidden.status == 404
    assert hidden == missing
    for url in ("/caseload/clients?q=Zanzibar", "/caseload/clients?q=555-0177", "/caseload/?q=Zaz",
                "/caseload/clients/export.csv", record(target, "/plan.pdf"), "/caseload/notes",
                f"/caseload/referrals?day={target.day.isoformat()}",
                f"/caseload/groups/{target.group}/sessions/{target.sessions[0]}"):
        found = answer(client.get(url))
        assert not leaked(found, R_SECRETS, url), url
    # Nor through emergency access: their own record never opens, and the answer is the one everybody gets.
    tried = client.post("/caseload/emergency", data=emergency_form())
    assert (tried.status_code, tried.headers["Location"]) == (302, "/caseload/emergency/grants")
    assert answer(tried) == answer(client.post("/caseload/emergency", data=emergency_form(name="Pat Nobody")))
    assert not leaked(answer(client.get("/caseload/emergency/grants")), R_SECRETS, "")  # the answer, read
    assert db.session.scalar(select(func.count()).select_from(EmergencyGrant).where(
        EmergencyGrant.staff_id == worker.id)) == 0
    assert answer(client.get(record(target))) == answer(client.get(f"/caseload/clients/{MISSING}"))


def test_taking_a_referral_for_the_same_person_does_not_offer_the_sealed_record(client, db, agency):
    """The co-worker takes a referral with R's exact name and date of birth: no "we may already know this person"
    (the match would reveal R); the referral goes to a new record, as for anyone unknown."""
    target = agency.targets["sealed"]
    sign_in(client, agency.people["coworker"])
    data = {"source": "self", "name": R_NAME, "date_of_birth": R_BORN.isoformat(), "reason": "Walked in.",
            "urgency": "routine", "received_at": f"{timeutil.now_local() - timedelta(hours=1):%Y-%m-%dT%H:%M}",
            "program": str(target.program)}
    response = client.post("/caseload/referrals/new", data=data)
    assert response.status_code == 302
    newest = db.session.scalars(select(Referral).order_by(Referral.id.desc())).first()
    assert newest.client_id != target.client
    assert db.session.scalar(select(func.count()).select_from(Referral).where(
        Referral.client_id == target.client)) == 1


# Declared relationships -------------------------------------------------------------------------------------------


def provider_options(page: str) -> set[str]:
    chooser = re.search(r'<select[^>]*name="assign-provider"[^>]*>(.*?)</select>', page, re.DOTALL)
    assert chooser, "the assign form is on the page"
    return set(re.findall(r'<option[^>]*value="(\d+)"', chooser.group(1)))


def test_a_declared_staff_member_is_never_offered_or_assigned(client, db, agency):
    known = agency.targets["declared"].client
    declarer = agency.people["declarer"]
    declare(client, agency)
    assert db.session.scalar(select(func.count()).select_from(Assignment).where(
        Assignment.client_id == known, Assignment.ended_at.is_(None))) == 0  # the declaration ended it

    # The supervisor opens the record: the declarer is not offered, and sending their id anyway is refused.
    sign_in(client, agency.people["supervisor"])
    page = client.get(f"/caseload/clients/{known}").get_data(as_text=True)
    offered = provider_options(page)
    assert str(agency.people["coworker"].id) in offered
    assert str(declarer.id) not in offered
    refused = client.post(f"/caseload/clients/{known}/assign",
                          data={"assign-provider": str(declarer.id), "assign-kind": "peer"})
    assert refused.status_code in (400, 409)
    assert str(declarer.id) not in provider_options(refused.get_data(as_text=True))
    assert "Dorian Declarer is now assigned" not in answer(client.get("/caseload/")).words

    # The safeguards screen does not offer them either, and a forced choice is refused without assigning.
    sign_in(client, agency.people["privacy"])
    page = client.get(f"/caseload/safeguards/clients/{known}").get_data(as_text=True)
    assert f'value="{declarer.id}"' not in page
    through_safeguards = client.post(f"/caseload/safeguards/clients/{known}/assign",
                                     data={"assign-provider": str(declarer.id), "assign-kind": "peer"})
    assert through_safeguards.status_code == 400
    assert db.session.scalar(
        select(Assignment.id).where(
            Assignment.client_id == known, Assignment.staff_id == declarer.id, Assignment.ended_at.is_(None)
        )
    ) is None

    # And the service refuses whoever calls it.
    with pytest.raises(Refused, match="declared a personal relationship"):
        client_service.assign(db.session.get(Client, known), declarer, "peer", agency.people["supervisor"])
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Assignment).where(
        Assignment.client_id == known, Assignment.staff_id == declarer.id, Assignment.ended_at.is_(None))) == 0


# Emergency access (break-glass) -----------------------------------------------------------------------------------


def emergency_form(**changes: str) -> dict[str, str]:
    return {"name": R_NAME, "date_of_birth": R_BORN.isoformat(), "purpose": "crisis", "reason": EMERGENCY_REASON,
            "password": PASSWORD} | changes


def grants_of(db, staff_id: int) -> list[EmergencyGrant]:
    return list(db.session.scalars(select(EmergencyGrant).where(EmergencyGrant.staff_id == staff_id)))


def assert_still_missing(browser: FlaskClient, target: Target) -> None:
    for suffix in ("", "/plan", "/plan.pdf", "/notes"):
        hidden = answer(browser.get(record(target, suffix)))
        assert hidden.status == 404, suffix
        assert hidden == answer(browser.get(f"/caseload/clients/{MISSING}{suffix}")), suffix


@pytest.mark.parametrize(
    ("change", "status", "why"),
    [
        ({"password": ""}, 400, "incomplete: password"),
        ({"password": "not my password at all"}, 400, "re-authentication"),
        ({"reason": "Need the plan now!!"}, 400, "incomplete: reason"),  # 19 characters
        ({"reason": "Need it" + " " * 30}, 400, "incomplete: reason"),  # long only with the spaces
    ],
    ids=["no-password", "wrong-password", "short-reason", "padded-reason"],
)
def test_emergency_access_is_refused_without_reauthentication_or_a_reason(client, db, agency, change, status, why):
    target = agency.targets["sealed"]
    coworker = agency.people["coworker"]
    sign_in(client, coworker)

    response = client.post("/caseload/emergency", data=emergency_form(**change))
    nobody = client.post("/caseload/emergency", data=emergency_form(name="Pat Nobody", date_of_birth="1970-05-05",
                                                                     **change))

    assert response.status_code == status
    # The same answer as for a person who is not a client (the form shows back what was typed), so a refused
    # request cannot be used to learn whether someone is a client here.
    typed = answer(response).body.replace(R_NAME, "NAME").replace(R_BORN.isoformat(), "BORN")
    assert typed == answer(nobody).body.replace("Pat Nobody", "NAME").replace("1970-05-05", "BORN")
    assert nobody.status_code == status
    assert grants_of(db, coworker.id) == []
    refused = select_entries("emergency.refused")
    assert [(entry.actor_id, entry.outcome, entry.detail) for entry in refused] == [(coworker.id, "denied", why)] * 2
    assert select_entries("emergency.granted") == []
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 1  # only the fixture's
    assert_still_missing(client, target)


def test_emergency_access_with_reauthentication_and_a_reason(client, db, agency):
    target = agency.targets["sealed"]
    # Outside Wren's teams and supervisor chain, not HR, no declaration: the person emergency access exists for.
    requester = make_staff(Role.STAFF, name="Noor Nightshift")
    privacy = agency.people["privacy"]
    db.session.commit()
    sign_in(client, requester)
    notes_before = db.session.scalar(select(func.count()).select_from(Notification))
    started = utcnow()

    response = client.post("/caseload/emergency", data=emergency_form())

    # Allowed, for at most four hours.
    assert response.status_code == 302
    [grant] = grants_of(db, requester.id)
    assert grant.client_id == target.client
    assert grant.expires_at - grant.started_at <= timedelta(hours=4)
    assert grant.expires_at <= started + timedelta(hours=4, seconds=5)
    # Audited, naming the person and the record but not the reason.
    [granted] = select_entries("emergency.granted")
    assert (granted.actor_id, granted.record_id, granted.outcome) == (requester.id, str(target.client), "allowed")
    assert "crisis line" not in granted.detail
    # The privacy officer is told at once, in the app and by email; neither names the client.
    assert db.session.scalar(select(func.count()).select_from(Notification)) == notes_before + 1
    [told] = db.session.scalars(select(Notification).where(Notification.text.contains("Noor Nightshift"))).all()
    assert told.staff_id == privacy.id
    assert "Noor Nightshift" in told.text
    [email] = db.session.scalars(select(OutboxEmail)).all()
    assert email.to_address == privacy.email
    for secret in R_SECRETS:
        assert secret.lower() not in (email.subject + email.body + told.text).lower(), secret
    # Queued for review.
    assert grant.reviewed_at is None

    # Every read during the grant is recorded under it.
    for suffix in ("", "/plan", "/notes", "/plan.pdf"):
        found = answer(client.get(record(target, suffix)))
        assert found.status == 200, suffix
        assert R_NAME in found.words or f"For {R_PREFERRED}" in found.words, suffix
    reads = db.session.scalars(select(SealedAccess).where(SealedAccess.grant_id == grant.id)).all()
    assert len(reads) == 4
    assert {read.staff_id for read in reads} == {requester.id}
    viewed = db.session.scalars(select(AuditEntry.detail).where(
        AuditEntry.action == "client.viewed", AuditEntry.actor_id == requester.id)).all()
    assert len(viewed) == 4
    assert all(f"emergency grant {grant.id}" in detail for detail in viewed)

    # The privacy officer finds it in the review queue and every read in the access report.
    sign_in(client, privacy)
    queue = answer(client.get("/caseload/safeguards/grants")).words
    assert "Noor Nightshift" in queue
    assert f"/caseload/safeguards/grants/{grant.id}" in queue
    report = answer(client.get(f"/caseload/safeguards/access-report?person={requester.id}")).words
    assert "Showing 1 to 4 of 4" in report
    exported = answer(client.get(f"/caseload/safeguards/access-report.csv?person={requester.id}")).words
    rows = [line for line in exported.splitlines()[1:] if line.strip()]
    assert len(rows) == 4
    assert all(line.endswith(f",{grant.id}") and "Noor Nightshift" in line for line in rows)

    # When the access expires the record is missing for them again, everywhere.
    grant.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    sign_in(client, requester)
    assert_still_missing(client, target)
    assert client.get(f"/caseload/emergency/grants/{grant.id}").status_code == 404
    for url in ("/caseload/clients?q=Zanzibar", "/caseload/emergency/grants", "/caseload/"):
        found = answer(client.get(url))
        assert not leaked(found, R_SECRETS, url), url


def test_an_expired_grant_opens_nothing(client, db, agency):
    target = agency.targets["sealed"]
    coworker = agency.people["coworker"]
    now = utcnow()
    expired = EmergencyGrant(staff_id=coworker.id, client_id=target.client, purpose="crisis", reason=EMERGENCY_REASON,
                             started_at=now - timedelta(hours=5), expires_at=now - timedelta(hours=1))
    db.session.add(expired)
    db.session.commit()
    sign_in(client, coworker)
    assert_still_missing(client, target)
    assert answer(client.get(f"/caseload/emergency/grants/{expired.id}")) == answer(
        client.get(f"/caseload/emergency/grants/{MISSING}"))
    assert db.session.scalar(select(func.count()).select_from(SealedAccess).where(
        SealedAccess.staff_id == coworker.id)) == 0



# Barred people never break the glass (issue 10, finding 1) ---------------------------------------------------------

BARRED = ("coworker", "supervisor", "supervisors-supervisor", "hr-clinician", "staff-member", "declarer")


@pytest.mark.parametrize("viewer", BARRED)
def test_a_barred_person_cannot_break_the_glass_and_the_privacy_officer_is_told(client, db, agency, viewer):
    """The people the seal exists for (and a declarer, for the client they know) get exactly the answer a person
    who is not a client gets; the attempt is audited and the privacy officer told at once, without the name."""
    person, privacy = agency.people[viewer], agency.people["privacy"]
    name, born = (N_NAME, N_BORN) if viewer == "declarer" else (R_NAME, R_BORN)
    if viewer == "declarer":
        declare(client, agency)
    sign_in(client, person)
    notes_before = db.session.scalar(select(func.count()).select_from(Notification))
    mails_before = db.session.scalar(select(func.count()).select_from(OutboxEmail))

    tried = client.post("/caseload/emergency", data=emergency_form(name=name, date_of_birth=born.isoformat()))
    nobody = client.post("/caseload/emergency", data=emergency_form(name="Pat Nobody", date_of_birth="1970-05-05"))

    assert tried.status_code == nobody.status_code
    typed = answer(tried).body.replace(name, "NAME").replace(born.isoformat(), "BORN")
    assert typed == answer(nobody).body.replace("Pat Nobody", "NAME").replace("1970-05-05", "BORN")
    assert grants_of(db, person.id) == []
    refused = [entry for entry in select_entries("emergency.refused") if entry.actor_id == person.id]
    details = [entry.detail for entry in refused]
    if viewer == "hr-clinician":  # refused for the role, whatever the name: HR is barred from every sealed record
        assert details == ["role", "role"]
        assert [entry.record_id for entry in refused] == [str(target_of(agency, viewer).client), ""]
    else:
        assert details == ["barred", "no match"]
    # The privacy officer is told at once, as urgent; neither the notice nor the email names the client.
    [told] = db.session.scalars(select(Notification).where(Notification.text.contains("barred"))).all()
    assert told.staff_id == privacy.id
    assert told.priority == "high"  # shown as urgent, in words
    assert told.link == f"/caseload/safeguards/clients/{target_of(agency, viewer).client}"
    sign_in(client, privacy)
    notices = answer(client.get("/notifications/")).words
    assert re.search(r'Urgent</span>(<span[^>]*>New</span>)?<span[^>]*>' + re.escape(person.name), notices)
    assert "1 unread message is marked <strong>Urgent</strong>: read it first." in notices
    sign_in(client, person)
    assert person.name in told.text
    assert db.session.scalar(select(func.count()).select_from(Notification)) == notes_before + 1
    [email] = db.session.scalars(select(OutboxEmail).where(OutboxEmail.subject.contains("urgent"))).all()
    assert db.session.scalar(select(func.count()).select_from(OutboxEmail)) == mails_before + 1
    secrets = N_SECRETS if viewer == "declarer" else R_SECRETS
    for secret in secrets:
        assert secret.lower() not in (email.subject + email.body + told.text).lower(), secret
    assert_still_missing(client, target_of(agency, viewer))


@pytest.mark.parametrize("viewer", ["coworker", "supervisor", "supervisors-supervisor", "staff-member"])
def test_a_grant_held_by_a_barred_person_opens_nothing(client, db, agency, viewer):
    """A grant that got past the request (made before this rule, or written by hand) never overrides a bar."""
    target = agency.targets["sealed"]
    person = agency.people[viewer]
    now = utcnow()
    live = EmergencyGrant(staff_id=person.id, client_id=target.client, purpose="crisis", reason=EMERGENCY_REASON,
                          started_at=now, expires_at=now + timedelta(hours=4))
    db.session.add(live)
    db.session.commit()
    sign_in(client, person)
    assert_still_missing(client, target)
    assert answer(client.get(f"/caseload/emergency/grants/{live.id}")) == answer(
        client.get(f"/caseload/emergency/grants/{MISSING}"))


def test_the_review_queue_marks_grants_on_sealed_records(client, db, agency):
    sign_in(client, agency.people["privacy"])
    queue = answer(client.get("/caseload/safeguards/grants")).words
    assert "Eli Oncall" in queue
    assert "Sealed record" in queue


# Reasons of 20 visible characters (issue 10, finding 5) -----------------------------------------------------------

INVISIBLE_REASONS = {
    "zero-width-spaces": "\u200b" * 20,
    "zero-width-joiners-and-marks": "\u200d\u200c\u2060\u200e\u200f\ufeff" * 4,
    "padded-short": "Help now" + "\u200b \u00a0\u3000" * 10,
    "fillers": "\u3164\u2800\u115f\u1160\uffa0\u034f" * 4 + "ok",
    # Marks that are not format characters (Mn) yet draw nothing on their own: variation selectors, the Khmer
    # inherent vowels, the Mongolian free variation selectors (Unicode's Default_Ignorable_Code_Point).
    "variation-selectors": "\ufe0f\ufe00\U000e0100\u17b4\u180b" * 4,
}


@pytest.mark.parametrize("reason", INVISIBLE_REASONS.values(), ids=INVISIBLE_REASONS.keys())
def test_an_invisible_reason_does_not_break_the_glass(client, db, agency, reason):
    requester = make_staff(Role.STAFF, name="Noor Nightshift")
    db.session.commit()
    sign_in(client, requester)
    response = client.post("/caseload/emergency", data=emergency_form(reason=reason))
    assert response.status_code == 400
    assert "Write a reason of at least 20 characters" in answer(response).words
    assert grants_of(db, requester.id) == []
    assert [entry.detail for entry in select_entries("emergency.refused")] == ["incomplete: reason"]


def test_twenty_visible_characters_in_any_script_are_a_reason(client, db, agency):
    from core.text import visible_length

    assert visible_length("\u200b" * 20) == 0
    assert visible_length("e\u0301" * 20) == 20  # NFKC makes each pair one letter
    assert visible_length("危機の電話がありました。安全計画が今すぐ必要です") == 24
    assert visible_length("Ａ" * 20) == 20
    assert visible_length("\u2764\ufe0f" * 20) == 20  # a heart shown as an emoji: the selector adds nothing


@pytest.mark.parametrize("field", ["rationale", "finding"])
def test_an_invisible_determination_or_finding_is_refused(client, db, agency, field):
    target = agency.targets["sealed"]
    sign_in(client, agency.people["privacy"])

    def send(text: str):
        if field == "finding":
            return client.post(f"/caseload/safeguards/grants/{target.grant}", data={"finding": text})
        data = {"situation": "Staff member asked for services.", "decision": "Clinic team only.",
                "rationale": text, "consulted": "no one",
                "review_on": (utcnow().date() + timedelta(days=30)).isoformat(),
                "replaces": str(safeguards.current_determination_id(db.session.get(Client, target.client)))}
        return client.post(f"/caseload/safeguards/clients/{target.client}/determinations",
                           data={f"determination-{name}": value for name, value in data.items()})

    refused = send("\u200b\u2060\u200d" * 10)
    assert refused.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Determination)) == 1
    assert db.session.get(EmergencyGrant, target.grant).reviewed_at is None
    # The same form with something to read goes through.
    assert send("Justified: a crisis call, only the safety plan was read.").status_code == 302


# The seal applies to privacy officers and administrators as subjects (issue 10, finding 3) -------------------------

OFFICER_SUBJECTS = {"privacy-subject": Role.PRIVACY, "admin-subject": Role.ADMIN}
AUDIT_PAGES = ("auditlog.index", "auditlog.detail", "auditlog.export")


def relink(db, agency: SimpleNamespace, role: str) -> Staff:
    """R belongs to a privacy officer (or an administrator) instead of Wren: Pia, the other privacy officer, unlinks
    it from Wren and links it to them."""
    target = agency.targets["sealed"]
    subject = make_staff(role, name="Quinn Quietly", email="quinn@example.org")
    privacy = agency.people["privacy"]
    sealed = db.session.get(Client, target.client)
    safeguards.unlink_staff(sealed, privacy, version=sealed.version)
    safeguards.link_staff(sealed, subject, privacy, version=sealed.version)
    db.session.commit()
    return subject


def PARTS(target: Target) -> tuple[tuple[str, int], ...]:  # noqa: N802 - a table of constants, by target
    return (("client", target.client), ("referral", target.referral), ("assignment", target.assignment),
            ("consent", target.consent), ("emergencygrant", target.grant))


def refuse_parts(db, agency: SimpleNamespace) -> None:
    """Refusals that name a part of R (someone poking at its assignment, consent, referral or grant through another
    record's address): entries the audit screen must also keep from the staff member."""
    from core import audit

    target = agency.targets["sealed"]
    for record_type, record_id in (("Assignment:end", target.assignment), ("Consent", target.consent),
                                   ("Referral:client.edit", target.referral), ("EmergencyGrant:own", target.grant)):
        audit.record("access.denied", actor=agency.people["coworker"], record_type=record_type, record_id=record_id,
                     outcome=audit.DENIED)
    db.session.commit()


def audit_rows(found: Answer) -> list[list[str]]:
    return [line.split(",") for line in found.words.lstrip("\ufeff").splitlines()[1:] if line.strip()]


def about(rows: list[list[str]], record_type: str, record_id: int) -> list[list[str]]:
    """CSV rows naming this record (columns: entry, time, person id, name, email, action, record type, record id)."""
    return [row for row in rows if row[6].lower().startswith(record_type) and row[7] == str(record_id)]


@pytest.mark.parametrize("subject", OFFICER_SUBJECTS)
def test_a_privacy_officer_or_administrator_never_sees_their_own_record(client, db, agency, subject):
    """Every page under the walked prefixes, the audit screen and its CSV included, for the staff member R is
    linked to when that person is a privacy officer or an administrator: R is nowhere, its entries are not in the
    audit log they read, and every page but the audit screen is exactly the page they get once R is erased."""
    target = agency.targets["sealed"]
    person = relink(db, agency, OFFICER_SUBJECTS[subject])
    refuse_parts(db, agency)
    sign_in(client, person)

    seen: dict[str, Answer] = {}
    for endpoint in WALKED_GETS:
        for url in GET_PAGES[endpoint](target):
            found = answer(client.get(url))
            assert found.status < 500, f"{subject} {url}: {found.status}"
            shown = leaked(found, target.secrets, url)
            assert not shown, f"{subject} {url} shows {shown}: …{excerpt(found, shown)}…"
            if endpoint not in AUDIT_PAGES:
                seen[url] = found

    # The audit screen: R's entries are left out of the list, the count, one entry's page and the CSV.
    def typed(found: Answer) -> str:
        body = re.sub(r'(<input[^>]*name="record_id"[^>]*value=")\d+"', r'\1ID"', found.body)
        return re.sub(r"record_id=\d+", "record_id=ID", body)

    for record_type in ("client", "Client:client.view"):
        for_r = answer(client.get(f"/audit/?record_type={record_type}&record_id={target.client}"))
        for_nobody = answer(client.get(f"/audit/?record_type={record_type}&record_id={MISSING}"))
        assert for_r.status == for_nobody.status == 200
        assert typed(for_r) == typed(for_nobody), record_type
    sealed_entry = select_entries("client.sealed")[-1]  # "linked to staff <them>"
    assert sealed_entry.record_id == str(target.client)
    assert answer(client.get(f"/audit/{sealed_entry.id}")) == answer(client.get(f"/audit/{MISSING}"))
    exported = audit_rows(answer(client.get("/audit/export.csv")))
    assert exported, "the CSV has the other entries"
    for record_type, record_id in PARTS(target):
        assert about(exported, record_type, record_id) == [], record_type
    assert f"linked to staff {person.id}" not in " ".join(",".join(row) for row in exported)
    if subject == "privacy-subject":  # the safeguards screens are theirs too, and hide R
        assert answer(client.get(f"/caseload/safeguards/grants/{target.grant}")).status == 404
    assert "Ask Pia Privacy (privacy officer)." in answer(client.get("/audit/")).words

    erase(db, target.client)
    for url, before in seen.items():
        after = answer(client.get(url))
        assert after == before, f"{subject} {url} differs from the same page without the record"


def test_control_the_other_privacy_officer_handles_it(client, db, agency):
    """Pia, the other privacy officer, reads R's entries on the audit screen and manages R's safeguards."""
    target = agency.targets["sealed"]
    person = relink(db, agency, Role.PRIVACY)
    refuse_parts(db, agency)
    sign_in(client, agency.people["privacy"])
    exported = audit_rows(answer(client.get("/audit/export.csv")))
    for record_type, record_id in PARTS(target):
        assert about(exported, record_type, record_id), record_type
    assert f"linked to staff {person.id}" in " ".join(",".join(row) for row in exported)
    listed = answer(client.get(f"/audit/?record_type=client&record_id={target.client}")).words
    assert "client.sealed" in listed
    assert R_NAME in answer(client.get(f"/caseload/safeguards/clients/{target.client}")).words
    assert "Ask Quinn Quietly (privacy officer)." in answer(client.get("/caseload/safeguards")).words


@pytest.mark.parametrize("subject", OFFICER_SUBJECTS)
def test_with_nobody_else_to_handle_it_the_screen_says_whom_to_ask(client, db, agency, subject):
    """When the subject is the only privacy officer and administrator, the screens say whom to ask; the words are
    the same whether or not a record is linked to them."""
    person = relink(db, agency, OFFICER_SUBJECTS[subject])
    agency.people["privacy"].status = "deactivated"
    db.session.commit()
    sign_in(client, person)
    pages = ["/audit/", "/caseload/safeguards"] if subject == "privacy-subject" else ["/audit/"]
    linked = {url: answer(client.get(url)).words for url in pages}
    for url, words in linked.items():
        assert "There is no other privacy officer or administrator here to handle it. Ask your agency's director to " \
               "name a second privacy officer" in words, url
    sealed = db.session.get(Client, agency.targets["sealed"].client)
    sealed.staff_member_id = agency.people["staff-member"].id  # linked to Wren again, not to them
    db.session.commit()
    for url, words in linked.items():
        box = re.search(r'<div class="usa-summary-box.*?</div>\s*</div>\s*</div>', answer(client.get(url)).words,
                        re.DOTALL)
        assert box is not None, url
        assert box.group(0) in words, url


def test_notices_about_the_record_go_to_the_other_privacy_officer_then_to_an_administrator(client, db, agency):
    """A use of emergency access on R, or a barred person's attempt, is told to whoever handles R: never the privacy
    officer it is linked to. With no other privacy officer an administrator is told, and reviews the use."""
    quinn = relink(db, agency, Role.PRIVACY)
    pia = agency.people["privacy"]
    requester = make_staff(Role.STAFF, name="Noor Nightshift")
    db.session.commit()

    def told(since: int = 0) -> list[int]:
        return list(db.session.scalars(select(Notification.staff_id).where(Notification.id > since)))

    def last_notice() -> int:
        return db.session.scalar(select(func.coalesce(func.max(Notification.id), 0)))

    before = last_notice()
    sign_in(client, requester)
    assert client.post("/caseload/emergency", data=emergency_form()).status_code == 302
    assert told(before) == [pia.id]

    # Pia leaves: an administrator is told and may review; Quinn never is and never may.
    pia.status = "deactivated"
    ada = make_staff(Role.ADMIN, name="Ada Admin")
    db.session.commit()
    before = last_notice()
    again = make_staff(Role.STAFF, name="Oren Overnight")
    db.session.commit()
    sign_in(client, again)
    assert client.post("/caseload/emergency", data=emergency_form()).status_code == 302
    assert told(before) == [ada.id]
    [grant] = grants_of(db, again.id)
    sign_in(client, ada)
    assert "Record the finding" in answer(client.get(f"/caseload/safeguards/grants/{grant.id}")).words
    reviewed = client.post(f"/caseload/safeguards/grants/{grant.id}",
                           data={"finding": "Justified: a night call, only the safety plan read."})
    assert reviewed.status_code == 302
    client.get(reviewed.headers["Location"])  # the message, read
    sign_in(client, quinn)
    assert answer(client.get(f"/caseload/safeguards/grants/{grant.id}")) == answer(
        client.get(f"/caseload/safeguards/grants/{MISSING}"))
    assert quinn.id not in told()


@pytest.mark.parametrize("subject", OFFICER_SUBJECTS)
def test_they_cannot_link_a_record_to_themselves(client, db, agency, subject):
    """Nor learn from the list of staff whether a record is linked to them: they are never on it."""
    person = make_staff(OFFICER_SUBJECTS[subject], name="Quinn Quietly")
    db.session.commit()
    sign_in(client, person)
    olive = agency.targets["sealed"].visible
    page = answer(client.get(f"/caseload/safeguards/link/{olive}"))
    assert page.status == 200
    assert f'value="{person.id}"' not in page.body
    forced = client.post(f"/caseload/safeguards/link/{olive}",
                         data={"staff": str(person.id), "confirm": "y", "version": "1"})
    assert forced.status_code == 400
    assert db.session.get(Client, olive).staff_member_id is None


# Possible duplicates of a sealed record (issue 10, finding 7) ------------------------------------------------------

R_TYPED_AGAIN = "  zanzíbar   QUIXOTÉ "  # the same name as a person might type it: case, accents, spacing


def referral_form(name: str, born: date, program: int) -> dict[str, str]:
    return {"source": "self", "name": name, "date_of_birth": born.isoformat(), "reason": "Walked in.",
            "urgency": "routine", "received_at": f"{timeutil.now_local() - timedelta(hours=1):%Y-%m-%dT%H:%M}",
            "program": str(program)}


def newest_client(db) -> Client:
    return db.session.scalars(select(Client).order_by(Client.id.desc())).first()


def ids_out(body: str) -> str:
    """A page with its record numbers and names taken out, to compare two pages about two new records."""
    return re.sub(r"\d+", "N", body.replace("Zanzíbar Quixoté", "NAME").replace("Pat Newcomer", "NAME"))


def test_a_referral_for_a_protected_person_tells_the_privacy_officer_and_nobody_else(client, db, agency):
    """The co-worker types R's name (differently) at intake: the referral is saved on a new record exactly as for
    anyone unknown, and the privacy officer is told at once, as urgent, without a name."""
    target = agency.targets["sealed"]
    coworker, privacy = agency.people["coworker"], agency.people["privacy"]
    sign_in(client, coworker)
    mark = db.session.scalar(select(func.coalesce(func.max(Notification.id), 0)))

    sent = client.post("/caseload/referrals/new", data=referral_form(R_TYPED_AGAIN, R_BORN, target.program))
    sent.close()  # as a server does once the answer has gone out: the privacy officer is told then
    duplicate = newest_client(db)
    told = db.session.scalars(select(Notification).where(Notification.id > mark)).all()
    sent_other = client.post("/caseload/referrals/new",
                             data=referral_form("Pat Newcomer", date(1970, 5, 5), target.program))

    # Nothing changes on their screen: the same answer, and the same page after it, as for an unknown person.
    assert sent.status_code == sent_other.status_code == 302
    assert ids_out(sent.headers["Location"]) == ids_out(sent_other.headers["Location"])
    assert duplicate.id != target.client
    assert not duplicate.sealed
    # The privacy officer (only) is told at once, as urgent, with a link to compare and merge; no name.
    assert [(note.staff_id, note.priority) for note in told] == [(privacy.id, "high")]
    assert told[0].link == f"/caseload/safeguards/clients/{target.client}/merge/{duplicate.id}"
    assert coworker.name in told[0].text
    [email] = db.session.scalars(select(OutboxEmail).where(OutboxEmail.subject.contains("duplicate"))).all()
    for secret in R_SECRETS:
        assert secret.lower() not in (told[0].text + email.subject + email.body).lower(), secret
    [noted] = select_entries("client.possible_duplicate")
    assert (noted.record_id, noted.detail) == (str(target.client), f"new record {duplicate.id}")
    assert client.get(record(target)).status_code == 404  # R stays hidden from them


def test_adding_a_client_with_a_protected_persons_name_tells_the_privacy_officer(client, db, agency):
    target = agency.targets["sealed"]
    sign_in(client, agency.people["coworker"])
    added = client.post("/caseload/clients/new", data={
        "name": R_TYPED_AGAIN, "date_of_birth": R_BORN.isoformat(), "status": "referred",
        "program": str(target.program), "assign_me": "peer"})
    assert added.status_code == 302
    added.close()  # as a server does once the answer has gone out: the privacy officer is told then
    duplicate = newest_client(db)
    assert added.headers["Location"] == f"/caseload/clients/{duplicate.id}"  # their new record, as for anyone
    [note] = db.session.scalars(select(Notification).where(Notification.text.contains("may duplicate"))).all()
    assert (note.staff_id, note.priority) == (agency.people["privacy"].id, "high")
    # A different date of birth, or a different name, tells nobody.
    for name, born in ((R_NAME, date(1991, 3, 15)), ("Zanzibar Quixotes", R_BORN)):
        client.post("/caseload/clients/new", data={"name": name, "date_of_birth": born.isoformat(),
                                                   "status": "referred", "assign_me": "peer"}).close()
    assert len(select_entries("client.possible_duplicate")) == 1


def test_the_duplicate_notice_is_written_after_the_answer(client, db, agency):
    """Telling the privacy officer is work a new record with an unknown name does not cost (about 15 ms of a 130 ms
    intake on SQLite, measured over 100 of each): done before the answer, it would tell the co-worker from the time
    alone that R is a client. So it is done once the answer has gone out, as a barred person's urgent notice is:
    at referral intake, on the client form and on a rename alike."""
    target = agency.targets["sealed"]
    sign_in(client, agency.people["coworker"])

    def told() -> tuple[int, int]:
        notes = db.session.scalar(select(func.count()).select_from(Notification)
                                  .where(Notification.text.contains("may duplicate")))
        return notes, len(select_entries("client.possible_duplicate"))

    other = date(1960, 1, 2)
    sends = (
        lambda: client.post("/caseload/referrals/new", data=referral_form(R_TYPED_AGAIN, R_BORN, target.program)),
        lambda: client.post("/caseload/clients/new", data={
            "name": R_TYPED_AGAIN, "date_of_birth": R_BORN.isoformat(), "status": "referred",
            "program": str(target.program), "assign_me": "peer"}),
        lambda: client.post("/caseload/clients/new", data={
            "name": R_NAME, "date_of_birth": other.isoformat(), "status": "referred",
            "program": str(target.program), "assign_me": "peer"}),
        lambda: client.post(f"/caseload/clients/{newest_client(db).id}/edit", data={
            "name": R_NAME, "date_of_birth": R_BORN.isoformat(), "status": "referred",
            "program": str(target.program), "version": str(newest_client(db).version)}),
    )
    expected = (1, 2, 2, 3)  # the third is someone else (another date of birth) until the fourth renames it
    for send, count in zip(sends, expected, strict=True):
        before = told()
        response = send()
        assert response.status_code == 302
        assert told() == before  # the answer is ready and nothing was written for the privacy officer yet
        response.close()  # as a server does once the answer has gone out
        assert told() == (count, count)


def make_duplicate(client, db, agency) -> Client:
    """The co-worker takes a referral for R (a new record, assigned to them), then writes a note, a plan, a
    consent and records group attendance on it, as they would for any new client."""
    target = agency.targets["sealed"]
    coworker = agency.people["coworker"]
    sign_in(client, coworker)
    assert client.post("/caseload/referrals/new",
                       data=referral_form(R_TYPED_AGAIN, R_BORN, target.program)).status_code == 302
    duplicate = newest_client(db)
    assign(duplicate, coworker)
    make_note(coworker, duplicate, body="Dup note: Velvet hedgehog.", minutes=20)
    make_plan(duplicate, coworker, goals=["Dup goal: learn to bake."])
    client_service.add_consent(duplicate, {"kind": "services", "recipient": "", "purpose": "",
                                           "signed_on": timeutil.today(), "expires_on": None}, coworker)
    group = make_peer_group(coworker, name="Thursday circle", program_id=target.program)
    make_group_session(group, coworker, attendees=[duplicate])
    database.session.add(Attendance(session_id=target.sessions[0], client_id=duplicate.id))  # R was there too
    db.session.commit()
    return duplicate


def test_the_privacy_officer_merges_the_duplicate_into_the_sealed_record(client, db, agency):
    target = agency.targets["sealed"]
    coworker, privacy = agency.people["coworker"], agency.people["privacy"]
    duplicate = make_duplicate(client, db, agency)
    dup_id = duplicate.id
    notes_before = db.session.scalar(select(func.count()).select_from(ContactNote).where(
        ContactNote.client_id == target.client))
    plans_before = db.session.scalar(select(func.count()).select_from(PlanVersion).where(
        PlanVersion.client_id == target.client))

    sign_in(client, privacy)
    overview = answer(client.get(f"/caseload/safeguards/clients/{target.client}")).words
    assert "1 possible duplicate of this record" in overview
    page = answer(client.get(f"/caseload/safeguards/clients/{target.client}/merge/{dup_id}"))
    assert page.status == 200
    assert "zanzíbar QUIXOTÉ" in page.words  # the new record's name as typed (spaces tidied)
    assert "1 contact note" in page.words
    assert "2 group sessions attended" in page.words
    unconfirmed = client.post(f"/caseload/safeguards/clients/{target.client}/merge/{dup_id}",
                              data={"version": str(db.session.get(Client, target.client).version),
                                    "duplicate": str(duplicate.version)})
    assert unconfirmed.status_code == 400
    assert db.session.get(Client, dup_id) is not None
    merged = client.post(f"/caseload/safeguards/clients/{target.client}/merge/{dup_id}",
                         data={"version": str(db.session.get(Client, target.client).version),
                               "duplicate": str(duplicate.version), "confirm": "y"})
    assert merged.status_code == 302
    assert "still sealed" in answer(client.get(merged.headers["Location"])).words

    db.session.expire_all()
    assert db.session.get(Client, dup_id) is None
    sealed = db.session.get(Client, target.client)
    assert sealed.staff_member_id == agency.people["staff-member"].id  # still sealed
    assert db.session.scalar(select(func.count()).select_from(ContactNote).where(
        ContactNote.client_id == target.client)) == notes_before + 1
    numbers = db.session.scalars(select(PlanVersion.number).where(PlanVersion.client_id == target.client)
                                 .order_by(PlanVersion.number)).all()
    assert numbers == list(range(1, plans_before + 2))  # one history, numbered in the order written
    assert db.session.scalar(select(func.count()).select_from(Attendance).where(
        Attendance.session_id == target.sessions[0], Attendance.client_id == target.client)) == 1
    # The co-worker who took the referral is no longer assigned: the seal does not allow them.
    assert db.session.scalar(select(func.count()).select_from(Assignment).where(
        Assignment.client_id == target.client, Assignment.staff_id == coworker.id,
        Assignment.ended_at.is_(None))) == 0
    assert [entry.record_id for entry in select_entries("client.merged")] == [str(target.client)]
    # For the co-worker the new record is gone exactly like a missing one, and R is still nowhere.
    sign_in(client, coworker)
    for suffix in ("", "/notes", "/plan"):
        assert answer(client.get(f"/caseload/clients/{dup_id}{suffix}")) == answer(
            client.get(f"/caseload/clients/{MISSING}{suffix}"))
    for url in ("/caseload/clients?q=quixot", "/caseload/", "/caseload/notes", "/caseload/referrals"):
        assert not leaked(answer(client.get(url)), R_SECRETS, url), url


# Rows that point at a client, made for a duplicate: one per table. A table added later fails the test below until
# it is added here (and, if its rows cannot simply be repointed, given a rule in caseload.services.merge).
def _row_makers(db, agency, duplicate: Client) -> dict[str, Callable[[], object]]:
    target = agency.targets["sealed"]
    coworker, outside = agency.people["coworker"], agency.people["outside"]
    now = utcnow()

    def add(row: object) -> object:
        db.session.add(row)
        db.session.flush()
        return row

    return {
        "caseload_assignment": lambda: assign(duplicate, outside, "clinician"),
        "caseload_consent": lambda: client_service.add_consent(
            duplicate, {"kind": "services", "recipient": "", "purpose": "", "signed_on": timeutil.today(),
                        "expires_on": None}, coworker),
        "caseload_referral": lambda: make_referral(duplicate, coworker),
        "caseload_plan_version": lambda: make_plan(duplicate, coworker),
        "caseload_contact_note": lambda: make_note(coworker, duplicate),
        "caseload_attendance": lambda: add(Attendance(session_id=target.sessions[1], client_id=duplicate.id)),
        "caseload_determination": lambda: add(Determination(
            client_id=duplicate.id, situation="s", decision="d", rationale="r", consulted="c",
            review_on=timeutil.today(), recorded_by_id=agency.people["privacy"].id)),
        "caseload_declared_relationship": lambda: add(DeclaredRelationship(
            staff_id=agency.people["hr"].id, client_id=duplicate.id, relationship="friend")),
        "caseload_emergency_grant": lambda: add(EmergencyGrant(
            staff_id=outside.id, client_id=duplicate.id, purpose="crisis", reason=EMERGENCY_REASON,
            started_at=now, expires_at=now + timedelta(hours=1))),
        "caseload_sealed_access": lambda: add(SealedAccess(client_id=duplicate.id, staff_id=outside.id,
                                                           what="record")),
    }


def test_a_merge_moves_the_rows_of_every_table_that_points_at_a_client(db, agency):
    """The tables are read from the metadata (every foreign key to the client table): each gets a row on the
    duplicate, and after the merge every one of them points at the sealed record."""
    from caseload.services import merge as merge_service

    target = agency.targets["sealed"]
    duplicate = make_client(R_NAME, date_of_birth=R_BORN)
    makers = _row_makers(db, agency, duplicate)
    references = merge_service.check_rules()
    assert {ref.table.name for ref in references} == set(makers), "a table points at clients: add a row maker"
    made = {table: make() for table, make in makers.items()}
    session_attended = made["caseload_attendance"].session_id
    duplicate.phone, duplicate.pronouns = "555-0142", "he/him"
    sealed = db.session.get(Client, target.client)
    sealed.phone = ""  # a blank the duplicate fills; the pronouns the sealed record has are kept
    db.session.commit()

    moved = merge_service.merge(sealed, duplicate, agency.people["privacy"], sealed_version=sealed.version,
                                duplicate_version=duplicate.version)
    db.session.commit()

    assert set(moved) == set(makers)
    assert all(count >= 1 for count in moved.values()), moved
    for ref in references:
        left = db.session.scalar(select(func.count()).select_from(ref.table).where(ref.column == duplicate.id))
        assert left == 0, ref.table.name
    for table, row in made.items():
        if isinstance(row, Attendance):  # keyed by (session, client): it is a new row now
            assert db.session.get(Attendance, (session_attended, target.client)) is not None
            continue
        db.session.refresh(row)
        assert row.client_id == target.client, table
    merged = db.session.get(Client, target.client)
    assert merged.sealed
    assert (merged.phone, merged.pronouns, merged.name) == ("555-0142", "they/them", R_NAME)


def test_a_merge_is_all_or_nothing(db, agency, monkeypatch):
    from caseload.services import merge as merge_service

    target = agency.targets["sealed"]
    duplicate = make_client(R_NAME, date_of_birth=R_BORN)
    make_note(agency.people["coworker"], duplicate)
    make_plan(duplicate, agency.people["coworker"])
    db.session.commit()
    dup_id = duplicate.id
    before = state_of(db, target.client)

    def fail(*_args: object) -> None:
        raise RuntimeError("the database went away half way")

    monkeypatch.setattr(merge_service, "_end_conflicts", fail)
    sealed = db.session.get(Client, target.client)
    with pytest.raises(RuntimeError):
        merge_service.merge(sealed, duplicate, agency.people["privacy"], sealed_version=sealed.version,
                            duplicate_version=duplicate.version)
    db.session.rollback()
    assert state_of(db, target.client) == before
    assert db.session.get(Client, dup_id) is not None
    assert db.session.scalar(select(func.count()).select_from(ContactNote).where(ContactNote.client_id == dup_id)) == 1
    assert db.session.scalar(select(func.count()).select_from(PlanVersion).where(PlanVersion.client_id == dup_id)) == 1


def test_a_table_whose_rows_cannot_simply_be_repointed_needs_a_rule(db):
    """A new table with a unique constraint on its client column stops every merge until it has a rule."""
    import sqlalchemy as sa

    from caseload.services import merge as merge_service

    table = sa.Table("caseload_future_thing", database.metadata,
                     sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("client_id", sa.ForeignKey("caseload_client.id"), unique=True))
    try:
        with pytest.raises(merge_service.MergeRuleMissing, match="caseload_future_thing"):
            merge_service.check_rules()
    finally:
        database.metadata.remove(table)
    merge_service.check_rules()


def test_the_merge_page_is_only_for_those_who_handle_the_record(client, db, agency):
    target = agency.targets["sealed"]
    duplicate = make_duplicate(client, db, agency)
    url = f"/caseload/safeguards/clients/{target.client}/merge/{duplicate.id}"
    sign_in(client, agency.people["coworker"])
    assert client.get(url).status_code == 403  # not a safeguards page for them at all
    subject = relink(db, agency, Role.PRIVACY)
    sign_in(client, subject)
    assert answer(client.get(url)) == answer(client.get(f"/caseload/safeguards/clients/{MISSING}/merge/{duplicate.id}"))
    sign_in(client, agency.people["privacy"])
    olive = agency.targets["sealed"].visible  # not a possible duplicate of R
    assert answer(client.get(f"/caseload/safeguards/clients/{target.client}/merge/{olive}")) == answer(
        client.get(f"/caseload/safeguards/clients/{target.client}/merge/{MISSING}"))


def test_a_merge_sent_from_an_old_page_is_refused_with_nothing_changed(client, db, agency):
    target = agency.targets["sealed"]
    duplicate = make_duplicate(client, db, agency)
    sign_in(client, agency.people["privacy"])
    sent = client.post(f"/caseload/safeguards/clients/{target.client}/merge/{duplicate.id}",
                       data={"version": "1", "duplicate": str(duplicate.version), "confirm": "y"})
    assert sent.status_code == 409
    assert "Someone else saved a change" in answer(sent).words
    assert db.session.get(Client, duplicate.id) is not None


@pytest.mark.parametrize("who", ["outside", "coworker"])
def test_emergency_access_follows_the_sealed_record_when_a_duplicate_exists(client, db, agency, who):
    """Two records match (R and the duplicate made at intake): the sealed one's rules decide. Someone outside the
    bars gets R; the co-worker is barred, and the privacy officer told."""
    target = agency.targets["sealed"]
    duplicate = make_duplicate(client, db, agency)
    requester = make_staff(Role.STAFF, name="Noor Nightshift") if who == "outside" else agency.people["coworker"]
    db.session.commit()
    sign_in(client, requester)
    sent = client.post("/caseload/emergency", data=emergency_form(name=R_TYPED_AGAIN))
    assert (sent.status_code, sent.headers["Location"]) == (302, "/caseload/emergency/grants")
    opened = [grant.client_id for grant in grants_of(db, requester.id)]
    [refused] = select_entries("emergency.refused") or [None]
    if who == "outside":
        assert opened == [target.client]
        assert refused is None
    else:
        assert opened == []
        assert (refused.detail, refused.record_id) == ("barred", str(target.client))
    assert duplicate.id not in opened
