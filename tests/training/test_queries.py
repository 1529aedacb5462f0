"""The lists that grow (people, what waits for approval, a person's certifications, a certification's courses) read
the same number of queries however long they are."""

from __future__ import annotations

from datetime import date, timedelta

from core.extensions import db
from core.models import CredentialType, Role, Staff
from tests import factories
from tests.queries import queries_for
from tests.training.helpers import certify, log, make_credential
from training.models import Certification


def grow(supervisor_id: int, peer_id: int, hr_id: int, count: int) -> None:
    """``count`` more people with a certification and a course each, one more course for the peer on each of
    their certifications, and one more certification for the peer (up to five)."""
    supervisor, peer, hr = (db.session.get(Staff, i) for i in (supervisor_id, peer_id, hr_id))
    credentials = db.session.query(CredentialType).order_by(CredentialType.id).all()
    held = db.session.query(Certification).filter_by(staff_id=peer_id).order_by(Certification.id).all()
    for n in range(count):
        person = factories.make_staff(Role.PEER, supervisor=supervisor)
        found = certify(person, credentials[n % 5], date(2025, 1, 1), actor=hr)
        log(found, person, taken_on=date(2025, 6, 1) + timedelta(days=n))
        log(held[0], peer, title=f"Course {len(held)}-{n}", taken_on=date(2025, 6, 1) + timedelta(days=n))
    if len(held) < 5:
        certify(peer, credentials[len(held)], date(2025, 1, 1), actor=hr)
    db.session.commit()


def measure(client, supervisor_id: int, peer_id: int) -> list[int]:
    first = db.session.scalar(db.select(Certification.id).filter_by(staff_id=peer_id).order_by(Certification.id))
    found = []
    for person_id, paths in [
        (supervisor_id, ["/training/review", "/training/people", f"/training/people/{peer_id}"]),
        (peer_id, ["/training/", f"/training/certifications/{first}"]),
    ]:
        token = factories.start_session(db.session.get(Staff, person_id))
        with client.session_transaction() as session:
            session["_user_id"] = token
        for path in paths:
            db.session.expunge_all()  # each request starts from nothing loaded, as on a real server
            found.append(queries_for(client, path))
    return found


def test_lists_read_the_same_queries_for_a_few_rows_or_many(client, frozen_time):
    frozen_time.at("2026-06-01 09:00")
    supervisor = factories.make_staff(Role.SUPERVISOR)
    hr = factories.make_staff(Role.HR)
    peer = factories.make_staff(Role.PEER, supervisor=supervisor)
    for n in range(5):
        make_credential(f"Credential {n}")
    ids = (supervisor.id, peer.id, hr.id)
    certify(peer, db.session.query(CredentialType).order_by(CredentialType.id).first(), date(2025, 1, 1), actor=hr)
    grow(*ids, 3)
    few = measure(client, ids[0], ids[1])
    for _ in range(3):
        grow(*ids, 7)
    assert measure(client, ids[0], ids[1]) == few
