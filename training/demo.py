"""Demo training: the example rules for three states (marked "check with your board"); a certification for every
demo peer specialist so that every status shows (active, expiring soon, in grace, provisional, expired, suspended,
retired, behind schedule); continuing-education entries with certificates, approved, waiting and returned; Riley's
orientation three weeks in (signed, half-signed and overdue items); Pat's shadowing log with Sam's comment; the four
curricula named in the agency's material with their trained facilitators.

Everything goes through ``training.services``, exactly as HR's, the peers' and the supervisors' clicks do.
"""

from __future__ import annotations

from datetime import date, time, timedelta

from sqlalchemy import delete, func, select, update

from core import credentials, demo, timeutil, uploads
from core.extensions import db
from core.models import CredentialType, Notification, OutboxEmail, Staff
from core.pdf import tiny_pdf
from training.models import Certification, Hold
from training.services import ce, certifications, curricula, orientation, sessions, shadowing
from training.services.certifications import CertificationDetails
from training.services.dates import add_months

PA, IL, TX = (
    "Certified Peer Specialist (Pennsylvania)",
    "Certified Recovery Support Specialist (Illinois)",
    "Mental Health Peer Specialist (Texas)",
)


def certificate_pdf(title: str) -> bytes:
    """A small, real one-page PDF saying the course was completed (a stand-in for a scanned certificate)."""
    return tiny_pdf([(18, "Certificate of completion"), (12, title[:80])])


def _certify(
    person: Staff, credential: CredentialType, issued_on: date, expires_on: date | None, hr: Staff, **extra: object
) -> Certification:
    number = f"{credential.abbreviation}-{1000 + person.id}"
    found = certifications.add(
        person, CertificationDetails(credential.id, number, issued_on, expires_on, bool(extra.get("provisional"))), hr
    )
    if extra.get("hold"):
        certifications.change(
            found,
            CertificationDetails(
                credential.id,
                number,
                issued_on,
                found.expires_on,
                found.provisional,
                str(extra["hold"]),
                str(extra.get("note", "")),
            ),
            found.version,
            hr,
        )
    return found


def _log(
    found: Certification,
    person: Staff,
    title: str,
    provider: str,
    day: date,
    hours: float,
    category: str,
    form: str = "in_person",
) -> ce.CeEntry:
    checked = uploads.Checked(certificate_pdf(title), uploads.PDF, "certificate.pdf")
    details = ce.EntryDetails(title, provider, "", day, round(hours * 4), category, form)
    return ce.log(found, details, checked, person)


def load(people: dict[str, Staff]) -> str:
    hr = people["hr@example.org"]
    today = timeutil.today()
    outbox_before = db.session.scalar(select(func.max(OutboxEmail.id))) or 0
    examples = {c.name: c for c in credentials.add_examples(hr)}
    pa, il, tx = examples[PA], examples[IL], examples[TX]

    def peer(email: str) -> Staff:
        return people[email]

    def years_ago(years: int, days: int = 0) -> date:
        return add_months(today, -12 * years) - timedelta(days=days)

    pat = peer("peer@example.org")
    sam = people["supervisor@example.org"]
    terry = people["terry@example.org"]
    # Pat: active, a year into the cycle, with courses approved, waiting and returned.
    pat_cert = _certify(pat, pa, years_ago(1, 20), None, hr)
    approved = [
        _log(
            pat_cert,
            pat,
            "Ethics and boundaries in peer support",
            "Peer Support Network",
            today - timedelta(days=300),
            3,
            "ethics",
        ),
        _log(
            pat_cert,
            pat,
            "WRAP facilitator refresher",
            "Copeland Center",
            today - timedelta(days=200),
            6,
            "recovery",
            "live_online",
        ),
        _log(
            pat_cert,
            pat,
            "Trauma-informed care basics",
            "State Behavioral Health Institute",
            today - timedelta(days=120),
            4.5,
            "trauma",
        ),
        _log(
            pat_cert,
            pat,
            "Cultural humility for peer staff",
            "Peer Support Network",
            today - timedelta(days=60),
            2,
            "cultural",
            "self_paced",
        ),
    ]
    for entry in approved:
        ce.approve(entry, entry.version, sam)
    _log(
        pat_cert,
        pat,
        "Whole Health Action Management (WHAM) overview",
        "National Council",
        today - timedelta(days=12),
        7.5,
        "recovery",
    )
    returned = _log(
        pat_cert,
        pat,
        "Motivational interviewing",
        "Community College",
        today - timedelta(days=30),
        3,
        "co_occurring",
        "live_online",
    )
    ce.return_entry(
        returned, "The certificate shows 2.5 hours, not 3. Please correct the hours.", returned.version, sam
    )

    # Jordan: expires in 20 days (a reminder is due). Morgan: expired 10 days ago, in the grace period.
    jordan = peer("jordan@example.org")
    jordan_cert = _certify(jordan, pa, years_ago(2) + timedelta(days=21), None, hr)
    for title, hours, category in [
        ("Ethics update", 3, "ethics"),
        ("Recovery stories in practice", 20, "recovery"),
        ("Co-occurring disorders", 10, "co_occurring"),
    ]:
        entry = _log(jordan_cert, jordan, title, "Peer Support Network", today - timedelta(days=90), hours, category)
        ce.approve(entry, entry.version, sam)
    _certify(peer("morgan@example.org"), pa, years_ago(2, 10), None, hr)
    # Riley: provisional (supervised hours due within six months). Taylor: expired, no grace period.
    _certify(peer("riley@example.org"), tx, today - timedelta(days=60), None, hr, provisional=True)
    _certify(peer("taylor@example.org"), il, years_ago(2, 40), None, hr)
    # Quinn: suspended by the board. Avery: retired. Dana: expires in 75 days and is behind schedule.
    _certify(
        peer("quinn@example.org"),
        pa,
        years_ago(1),
        None,
        hr,
        hold=Hold.SUSPENDED,
        note="Board letter of suspension on file",
    )
    _certify(
        peer("avery@example.org"),
        tx,
        years_ago(3),
        years_ago(1),
        hr,
        hold=Hold.RETIRED,
        note="Moved to a coordinator role",
    )
    dana = peer("dana@example.org")
    dana_cert = _certify(dana, il, years_ago(2) + timedelta(days=76), None, hr)
    entry = _log(
        dana_cert,
        dana,
        "Ethics for recovery support",
        "Illinois peer network",
        today - timedelta(days=200),
        6,
        "ethics",
    )
    ce.approve(entry, entry.version, terry)
    _orientation_shadowing_curricula(people, today)
    # The demo's own clicks leave no unread notice and no email waiting to go to example.org addresses.
    db.session.execute(
        update(Notification)
        .where(Notification.link.like("/training/%"), Notification.read_at.is_(None))
        .values(read_at=timeutil.utcnow())
    )
    db.session.execute(delete(OutboxEmail).where(OutboxEmail.id > outbox_before, OutboxEmail.kind == "notification"))
    db.session.flush()
    return (
        "Training: example rules for three states; a certification for each of 8 peer specialists, in every "
        "status; continuing education with certificates, approved, waiting and returned; an orientation under "
        "way, a shadowing log, the curricula with their facilitators, and two staff training sessions."
    )


def _orientation_shadowing_curricula(people: dict[str, Staff], today: date) -> None:
    hr, sam = people["hr@example.org"], people["supervisor@example.org"]
    # Riley, the newest peer specialist, is three weeks into orientation: some items signed by both, some by Riley
    # only, some overdue.
    riley = people["riley@example.org"]
    checklist = orientation.assign(riley, hr, today - timedelta(days=21))
    for item in orientation.items_of(checklist):
        if item.due_on <= today - timedelta(days=14):
            orientation.sign(item, item.version, riley)
            orientation.sign(item, item.version, sam)
        elif item.due_on <= today - timedelta(days=11):
            orientation.sign(item, item.version, riley)
    # Pat's shadowing log, one entry with Sam's comment.
    pat = people["peer@example.org"]
    first = shadowing.record(
        shadowing.ShadowingDetails(
            "other_agency",
            "Peer specialists at the county crisis respite",
            today - timedelta(days=40),
            16,
            "Saw how they greet people at the door and keep the first hour informal. I want to try their welcome "
            "sheet with our referrals.",
        ),
        pat,
    )
    shadowing.comment(first, "Good idea: bring the welcome sheet to our next team meeting.", first.version, sam)
    shadowing.record(
        shadowing.ShadowingDetails(
            "other_role",
            "Drew Park, nurse on the intake team",
            today - timedelta(days=9),
            6,
            "Learned how the intake nurse decides what is urgent.",
        ),
        pat,
    )
    # The curricula named in the agency's material, and who facilitates them.
    by_key = {c.builtin_key: c for c in curricula.ensure_shipped(hr)}
    for key, email, years in [
        ("wrap", "peer@example.org", 3),
        ("wham", "jordan@example.org", 1),
        ("imr", "morgan@example.org", 2),
        ("wrap", "dana@example.org", 1),
        ("sfw", "taylor@example.org", 1),
    ]:
        curricula.add_facilitator(by_key[key], people[email].id, add_months(today, -12 * years), hr)
    _sessions(people, today, by_key["wrap"].id)


def _sessions(people: dict[str, Staff], today: date, wrap_id: int) -> None:
    """A staff training held two weeks ago (ethics CE, attendance recorded by the supervisor: the hours count for
    Pat at once) and a WRAP refresher next month."""
    hr, sam, pat = people["hr@example.org"], people["supervisor@example.org"], people["peer@example.org"]
    held = sessions.plan(
        sessions.SessionDetails(
            "Boundaries and dual relationships", None, "Boundaries when a peer specialist knows a client personally",
            today - timedelta(days=14), time(13, 30), 8, "Conference room B", "in_person", (sam.id,), "ethics",
            "State peer specialist network", "PSN-ETH-2291",
        ),
        hr,
    )
    for person in (pat, people["dana@example.org"], people["taylor@example.org"]):
        sessions.record_attendance(held, person.id, 8, held.version, sam)
    sessions.plan(
        sessions.SessionDetails(
            "WRAP facilitator refresher", wrap_id, "", today + timedelta(days=30), time(9, 0), 12, "Main office",
            "in_person", (pat.id, people["dana@example.org"].id), "recovery", "State peer specialist network",
            "PSN-REC-3310",
        ),
        sam,
    )


def register() -> None:
    """Add the training demo to ``flask seed-demo``."""
    demo.register(load)
