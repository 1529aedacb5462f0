"""The demo agency's hiring: the sample template, a plain-language template, one published posting (linked, with its
PDF, from HR's hiring page) with five candidates at different stages and a finished interview panel, a draft in
review that passes every check, a draft with checks to fix, and a closed posting that hired a peer specialist."""

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
    assert {status: len(found) for status, found in statuses.items()} == {
        "published": 1,
        "in_review": 1,
        "draft": 1,
        "closed": 1,
    }
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


def test_the_published_posting_has_five_candidates_at_different_stages_and_a_finished_panel(agency, db):
    from hiring.models import Candidate, Scorecard
    from hiring.services import panels, scorecards

    [job] = by_status(db)["published"]
    found = db.session.scalars(select(Candidate).where(Candidate.posting_id == job.id)).all()
    assert len(found) == 5
    assert len({candidate.stage for candidate in found}) == 5
    assert {c.stage for c in found} == {"applied", "screened", "interview", "offer", "not_selected"}
    panel = panels.panel_of(job)
    people = panels.members(panel)
    assert len(people) == 2
    assert "peer@example.org" in {member.staff.email for member in people}
    assert panels.problems(panel) == []
    cards = db.session.scalars(select(Scorecard).join(Candidate).where(Candidate.posting_id == job.id)).all()
    assert cards
    assert all(card.submitted_at is not None for card in cards)  # nobody has a draft: the panel is finished
    offered = next(c for c in found if c.stage == "offer")
    hr = db.session.scalar(select(Staff).where(Staff.email == "hr@example.org"))
    summary = scorecards.summary(offered, hr)
    assert summary.submitted == 2
    assert all(line.mean is not None for line in summary.lines)


def test_the_closed_posting_hired_a_peer_specialist_who_is_invited(agency, db):
    from core.models import StaffStatus
    from hiring.models import Hire

    [closed] = by_status(db)["closed"]
    [hire] = db.session.scalars(select(Hire).where(Hire.posting_id == closed.id)).all()
    assert hire.staff.status == StaffStatus.INVITED
    assert hire.staff.roles == {Role.PEER}
    assert [team.name for team in hire.staff.teams] == ["Housing team"]


def test_the_demo_resumes_are_real_pdfs(agency, db):
    import subprocess

    from core.models import Upload

    upload = db.session.scalars(select(Upload).where(Upload.purpose == "hiring.resume")).first()
    text = subprocess.run(["pdftotext", "-", "-"], input=upload.data, capture_output=True, check=True).stdout
    assert b"r\xc3\xa9sum\xc3\xa9" in text
