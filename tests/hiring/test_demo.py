"""The demo agency's hiring: the sample template, a plain-language template, one published posting (linked, with its
PDF, from HR's hiring page), a draft in review that passes every check, and a draft with checks to fix."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core import demo
from core.models import Role, Staff
from hiring.models import Posting, Template
from hiring.services import checks, postings


@pytest.fixture(scope="module")
def agency(module_transaction):
    with module_transaction.app_context():
        from core.extensions import db

        demo.load("demo-password-for-tests")
        db.session.commit()
    return module_transaction


def by_status(db) -> dict[str, list[Posting]]:
    found: dict[str, list[Posting]] = {}
    for posting in db.session.scalars(select(Posting).order_by(Posting.id)):
        found.setdefault(posting.status, []).append(posting)
    return found


def test_the_demo_has_a_published_posting_one_in_review_and_a_draft_with_checks(agency, db):
    statuses = by_status(db)
    assert {status: len(found) for status, found in statuses.items()} == {"published": 1, "in_review": 1, "draft": 1}
    [template] = db.session.scalars(select(Template)).all()
    assert template.name == "Peer Specialist, plain language"

    [job] = statuses["published"]
    assert checks.run(job, postings.current_version(job)) == [], "the published posting passes every check"
    [review] = statuses["in_review"]
    assert checks.run(review, postings.current_version(review)) == []
    [rough] = statuses["draft"]
    codes = {check.code for check in checks.run(rough, postings.current_version(rough))}
    assert {"blank", "pay", "lone_peer", "phrase", "reading"} <= codes


def test_the_demo_hiring_page_links_the_published_pdf(agency, db, client):
    hr = db.session.scalar(select(Staff).where(Staff.email == "hr@example.org"))
    assert hr.has_role(Role.HR)
    from tests.factories import start_session

    token = start_session(hr)
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True
    [job] = by_status(db)["published"]
    page = client.get("/hiring/").get_data(as_text=True)
    assert f'href="/careers/{job.id}.pdf"' in page
    assert "Peer Specialist, Supported Employment" in client.get("/careers/").get_data(as_text=True)
