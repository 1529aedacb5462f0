"""The main list page of each module, on the demo agency with generated rows: the data ``make bench`` serves.

``build_demo`` loads the demo agency once into a SQLite file; ``add_rows`` adds ``n`` rows to every list (clients on
the demo peer specialist's caseload, peer specialists with a supervisor and a certification, candidates on the demo's
published posting, readiness campaigns, audit entries chained onto the log), all inserted in bulk.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update

from bench.common import insert_rows, make_app
from bench.supervision_compliance import _people
from caseload.models import Assignment, Client
from core import audit, credentials, demo, passwords, sessions, timeutil
from core.extensions import db
from core.models import AuditEntry, AuditHead, CredentialType, Program, Staff, StaffStatus, Team, Upload
from hiring.models import Application, Candidate, Posting, PostingStatus
from readiness.models import Campaign, Instrument
from readiness.services.default_instrument import ensure_default_instrument
from training.models import Certification, Cycle
from training.services.dates import grace_end


@dataclass(frozen=True)
class ListPage:
    key: str
    label: str
    path: str  # may hold {posting}: the demo's published posting
    email: str  # the demo account that opens it


PAGES = (
    ListPage("caseload", "Caseload: client list", "/caseload/clients", "peer@example.org"),
    ListPage("training", "Training: expiry dashboard", "/training/dashboard", "hr@example.org"),
    ListPage("supervision", "Supervision: compliance", "/supervision/compliance", "hr@example.org"),
    ListPage("hiring", "Hiring: a posting's candidates", "/hiring/postings/{posting}/candidates", "hr@example.org"),
    ListPage("readiness", "Readiness: campaigns", "/readiness/", "hr@example.org"),
    ListPage("audit", "Audit screen", "/audit/", "privacy@example.org"),
)


def build_demo(url: str, instance: Path, *, minimal: bool = False) -> None:
    """The demo agency in the empty database at ``url`` (tables from the models, as the tests make them), or with
    ``minimal`` only what the list pages need (the demo accounts, a program and team, the example credentials, the
    default survey, a published posting): seconds instead of tens of seconds, for ``BENCH_QUICK``."""
    app = make_app(url, instance)
    with app.app_context():
        db.create_all()
        if minimal:
            _minimal_agency()
        else:
            demo.load(password=demo.demo_password())
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def _minimal_agency() -> None:
    from bench.posting_pdf import publish

    password_hash = passwords.hash_password(demo.demo_password())
    program = Program(code="CRP", name="Community Reintegration Program")
    team = Team(program=program, name="Day program")
    db.session.add_all([program, team])
    db.session.flush()
    people = {}
    for email, (name, title, roles) in demo.DEMO_ACCOUNTS.items():
        staff = Staff(email=email, name=name, job_title=title, status=StaffStatus.ACTIVE, password_hash=password_hash,
                      program=program, teams=[team])
        staff.set_roles(roles)
        db.session.add(staff)
        people[email] = staff
    db.session.flush()
    people["peer@example.org"].supervisor = people["supervisor@example.org"]
    credentials.add_examples(None)
    ensure_default_instrument(None)
    publish(None, people["hr@example.org"], team, "Peer Specialist")


def published_posting() -> int:
    found = db.session.scalar(
        select(Posting.id).where(Posting.status == PostingStatus.PUBLISHED).order_by(Posting.id).limit(1)
    )
    if found is None:
        raise SystemExit("The demo agency has no published posting.")
    return found


def add_rows(n: int) -> None:
    """``n`` more rows on every list page (inside an app context on the demo agency); committed."""
    _clients(n)
    _peers_with_certifications(n)
    _candidates(n)
    _campaigns(n)
    append_audit_entries(n)
    db.session.commit()


def _staff_id(email: str) -> int:
    found = db.session.scalar(select(Staff.id).where(Staff.email == email))
    if found is None:
        raise SystemExit(f"The demo agency has no {email}.")
    return found


def _clients(n: int) -> None:
    peer = db.session.scalar(select(Staff).where(Staff.email == "peer@example.org"))
    assert peer is not None
    first = (db.session.scalar(select(Client.id).order_by(Client.id.desc()).limit(1)) or 0) + 1
    insert_rows(Client, [
        {"id": first + k, "name": f"Bench Client {k:05d}",
         "date_of_birth": date(1960, 1, 1) + timedelta(days=k % 15_000),
         "program_id": peer.program_id, "status": "active"}
        for k in range(n)
    ])
    insert_rows(Assignment, [{"client_id": first + k, "staff_id": peer.id, "kind": "peer"} for k in range(n)])


def _peers_with_certifications(n: int) -> None:
    bosses = _people(max(1, math.ceil(n / 10)), "bs", "supervisor", None)
    peers = _people(n, "bp", "peer", bosses)
    credential = db.session.scalar(select(CredentialType).order_by(CredentialType.id).limit(1))
    assert credential is not None, "the demo agency has example credentials"
    today = timeutil.today()
    first = (db.session.scalar(select(Certification.id).order_by(Certification.id.desc()).limit(1)) or 0) + 1
    certs, cycles = [], []
    for k, staff_id in enumerate(peers):
        expires_on = today + timedelta(days=(k * 37) % 930 - 200)
        starts_on = expires_on - timedelta(days=729)
        certs.append({"id": first + k, "staff_id": staff_id, "credential_type_id": credential.id, "number": f"B{k}",
                      "issued_on": starts_on, "expires_on": expires_on,
                      "grace_ends_on": grace_end(expires_on, credential.grace_days), "provisional": False,
                      "hold": "none", "hold_note": "", "version": 1})
        cycles.append({"certification_id": first + k, "number": 1, "starts_on": starts_on, "ends_on": expires_on,
                       "recorded_at": timeutil.utcnow(), "logged_qh": 0, "counted_qh": 0, "missing_qh": 0})
    insert_rows(Certification, certs)
    insert_rows(Cycle, cycles)


def _candidates(n: int) -> None:
    posting = db.session.get(Posting, published_posting())
    assert posting is not None
    resume = Upload(purpose="hiring.resume", filename="resume.pdf", content_type="application/pdf", size=9,
                    sha256="0" * 64, data=b"%PDF-1.4\n")
    db.session.add(resume)
    db.session.flush()
    first = (db.session.scalar(select(Application.id).order_by(Application.id.desc()).limit(1)) or 0) + 1
    insert_rows(Application, [
        {"id": first + k, "posting_id": posting.id, "version_number": 1, "name": f"Bench Applicant {k:05d}",
         "email": f"applicant{k}@bench.example", "resume_id": resume.id}
        for k in range(n)
    ])
    stages = ("applied", "applied", "screened", "interview")
    insert_rows(Candidate, [
        {"application_id": first + k, "posting_id": posting.id, "stage": stages[k % len(stages)]} for k in range(n)
    ])


def _campaigns(n: int) -> None:
    instrument = db.session.scalar(select(Instrument.id).order_by(Instrument.id).limit(1))
    assert instrument is not None, "the demo agency has the default survey"
    today = timeutil.today()
    insert_rows(Campaign, [
        {"name": f"Bench campaign {k:05d}", "wave": "Baseline", "instrument_id": instrument,
         "whole_organization": True, "opens_on": today - timedelta(days=k % 900 + 30),
         "closes_on": today - timedelta(days=k % 900)}
        for k in range(n)
    ])


def append_audit_entries(n: int, actor_id: int | None = None) -> None:
    """``n`` entries chained onto the log in bulk, each hashed as ``core.audit.record`` hashes it; not committed."""
    head = db.session.execute(select(AuditHead.last_id, AuditHead.last_hash).where(AuditHead.id == 1)).one_or_none()
    last_id, prev_hash = (head.last_id, head.last_hash) if head is not None else (0, audit.GENESIS_HASH)
    at = timeutil.utcnow() - timedelta(days=1)
    rows: list[dict[str, Any]] = []
    for k in range(1, n + 1):
        fields = {"id": last_id + k, "at": at + timedelta(milliseconds=k), "actor_id": actor_id,
                  "action": "bench.entry", "record_type": "bench", "record_id": str(k), "outcome": audit.ALLOWED,
                  "address": "127.0.0.1", "user_agent": "bench", "detail": "", "prev_hash": prev_hash}
        prev_hash = audit.entry_hash(**fields)
        rows.append({**fields, "hash": prev_hash})
    insert_rows(AuditEntry, rows)
    if head is None:
        db.session.execute(insert(AuditHead).values(id=1, last_id=last_id + n, last_hash=prev_hash))
    else:
        db.session.execute(
            update(AuditHead).where(AuditHead.id == 1).values(last_id=last_id + n, last_hash=prev_hash)
            .execution_options(synchronize_session=False)
        )


def paths() -> dict[str, str]:
    """Each list page's path on this database (inside an app context)."""
    posting = published_posting()
    return {page.key: page.path.format(posting=posting) for page in PAGES}


def tokens() -> dict[str, str]:
    """A sign-in session for each demo account a list page is opened by (inside an app context); committed."""
    found = {}
    for email in {page.email for page in PAGES}:
        staff = db.session.get(Staff, _staff_id(email))
        assert staff is not None
        found[email] = sessions.start(staff)
    db.session.commit()
    return found
