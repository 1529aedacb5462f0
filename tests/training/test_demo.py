"""The demo agency's training: example rules marked "check with your board", a certification in every status across
the demo peer specialists, continuing education with certificates (approved, waiting, returned), and the pages the
demo accounts open answer."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from core import demo
from core.models import CredentialType, Staff, Upload
from tests import factories
from training.models import CeEntry, Certification, CertStatus
from training.services import status


@pytest.fixture(scope="module")
def agency(module_transaction):
    with module_transaction.app_context():
        from core.extensions import db

        demo.load("demo-password-for-tests")
        db.session.commit()
    return module_transaction


def test_every_status_shows_across_the_demo_peers(agency, db):
    ids = list(db.session.scalars(select(Certification.id)))
    found = Counter(status.statuses(ids).values())
    assert set(found) == set(CertStatus)
    assert len(ids) == 8


def test_the_example_rules_are_marked_check_with_your_board(agency, db):
    examples = db.session.scalars(select(CredentialType).where(CredentialType.cycle_months.is_not(None))).all()
    assert len(examples) == 3
    assert all(credential.check_with_board for credential in examples)


def test_continuing_education_with_certificates_in_every_state(agency, db):
    logged = db.session.scalars(select(CeEntry).where(CeEntry.attendance_id.is_(None))).all()
    assert Counter(entry.status for entry in logged) == {"approved": 8, "submitted": 1, "returned": 1}
    # The staff training two weeks ago: attendance the supervisor recorded counts at once for their report, and
    # waits for their own supervisor for the others.
    from_session = db.session.scalars(select(CeEntry).where(CeEntry.attendance_id.is_not(None))).all()
    assert Counter(entry.status for entry in from_session) == {"approved": 1, "submitted": 2}
    entries = logged
    uploads = db.session.scalars(select(Upload).where(Upload.purpose == "training.certificate")).all()
    assert len(uploads) == len(entries)
    assert all(upload.data.startswith(b"%PDF-") for upload in uploads)


@pytest.mark.parametrize(
    ("email", "paths"),
    [
        ("peer@example.org", ["/training/"]),
        ("supervisor@example.org", ["/training/", "/training/review", "/training/people"]),
        ("hr@example.org", ["/training/", "/training/people", "/training/credentials"]),
    ],
)
def test_the_demo_accounts_pages_answer(agency, db, client, email, paths):
    person = db.session.scalar(select(Staff).where(Staff.email == email))
    token = factories.start_session(person)
    with client.session_transaction() as session:
        session["_user_id"] = token
    for path in paths:
        assert client.get(path).status_code == 200, path
    for certification_id in db.session.scalars(select(Certification.id)):
        response = client.get(f"/training/certifications/{certification_id}")
        assert response.status_code in (200, 404)
