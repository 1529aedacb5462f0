"""Draft -> in review -> approved -> published -> closed, each step with who, when and a comment; only an approved
version publishes, and the published words are frozen."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core import settings
from core.errors import Refused
from core.models import AuditEntry, Role
from hiring.models import Posting
from hiring.services import postings
from tests.hiring.helpers import draft, enter_agency, make_hr, published, ready_details, save, team_with_peers


@pytest.fixture
def hr(client, login_as):
    return login_as(Role.HR)


def step(client, posting_id: int, action: str, comment: str = "", version: int | None = None):
    from core.extensions import db

    current = version if version is not None else db.session.get(Posting, posting_id).version
    return client.post(
        f"/hiring/postings/{posting_id}/step", data={"action": action, "comment": comment, "version": str(current)}
    )


def test_the_whole_path_with_who_when_and_comments(client, db, hr):
    enter_agency()
    posting = draft(hr, **ready_details(team_with_peers(1)))
    db.session.commit()
    for action, comment in (
        ("review", "Ready for a look."),
        ("approve", "Good to go."),
        ("publish", ""),
        ("close", "We hired two people."),
    ):
        response = step(client, posting.id, action, comment)
        assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    posting = db.session.get(Posting, posting.id)
    events = postings.events_of(posting)
    assert [(e.from_status, e.to_status, e.actor_id, e.version_number, e.comment) for e in events] == [
        ("", "draft", hr.id, 1, "Started from “Peer Specialist (sample job description)”."),
        ("draft", "in_review", hr.id, 2, "Ready for a look."),
        ("in_review", "approved", hr.id, 2, "Good to go."),
        ("approved", "published", hr.id, 2, ""),
        ("published", "closed", hr.id, 2, "We hired two people."),
    ]
    assert (posting.approved_number, posting.published_number, posting.status) == (2, 2, "closed")
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.record_type == "hiring_posting")).all()
    assert {"hiring.review", "hiring.approve", "hiring.publish", "hiring.close"} <= set(actions)
    page = client.get(f"/hiring/postings/{posting.id}").get_data(as_text=True)
    assert "“We hired two people.”" in page
    assert "This posting is closed." in page


def test_a_draft_with_blanks_or_no_pay_cannot_go_for_review(client, db, hr):
    posting = draft(hr)
    db.session.commit()
    response = step(client, posting.id, "review")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Fill in every blank: [Program/Team]" in page
    assert "Enter the pay range." in page
    assert db.session.get(Posting, posting.id).status == "draft"


def test_sending_back_and_closing_need_a_comment(client, db, hr):
    enter_agency()
    posting = draft(hr, **ready_details(team_with_peers(1)))
    db.session.commit()
    assert step(client, posting.id, "review").status_code == 302
    response = step(client, posting.id, "return", "  ")
    assert response.status_code == 400
    assert "Write a comment saying why" in response.get_data(as_text=True)
    assert step(client, posting.id, "return", "Say more about the team.").status_code == 302
    assert db.session.get(Posting, posting.id).status == "draft"


def test_a_step_the_status_does_not_allow_is_refused(client, db, hr):
    posting = draft(hr)
    db.session.commit()
    response = step(client, posting.id, "publish")
    assert response.status_code == 400
    assert "cannot do that" in response.get_data(as_text=True)
    assert db.session.get(Posting, posting.id).published_number is None


def test_a_step_from_an_old_page_is_refused(client, db, hr):
    enter_agency()
    posting = draft(hr, **ready_details(team_with_peers(1)))
    db.session.commit()
    old = posting.version
    save(posting, hr, title="Changed in another tab")
    db.session.commit()
    response = step(client, posting.id, "review", version=old)
    assert response.status_code == 409
    assert db.session.get(Posting, posting.id).status == "draft"


def test_publishing_needs_the_agency_name_and_address(client, db, hr):
    posting = draft(hr, **ready_details(team_with_peers(1)))
    db.session.commit()
    assert step(client, posting.id, "review").status_code == 302
    assert step(client, posting.id, "approve").status_code == 302
    response = step(client, posting.id, "publish")
    assert response.status_code == 400
    assert "ask the administrator" in response.get_data(as_text=True)
    enter_agency()
    db.session.commit()
    assert step(client, posting.id, "publish").status_code == 302


def test_an_edit_in_review_sends_it_back_to_draft_and_only_the_approved_version_publishes(db):
    enter_agency()
    author = make_hr()
    posting = draft(author, **ready_details(team_with_peers(1)))
    postings.move(posting, "review", "", posting.version, author, agency_ready=True)
    postings.move(posting, "approve", "", posting.version, author, agency_ready=True)
    save(posting, author, title="Changed after approval")
    assert (posting.status, posting.approved_number) == ("draft", None)
    with pytest.raises(Refused, match="cannot do that"):
        postings.move(posting, "publish", "", posting.version, author, agency_ready=True)


def test_the_published_words_are_frozen_while_a_new_version_is_worked_on(client, db, hr):
    posting = published(hr, title="Peer Specialist, day program")
    save(posting, hr, title="Peer Specialist, changed after publishing")
    db.session.commit()
    posting = db.session.get(Posting, posting.id)
    assert posting.status == "draft"
    assert posting.published_number == 2
    assert posting.current_number == 3
    assert posting.is_public
    public_page = client.get(f"/careers/{posting.id}").get_data(as_text=True)
    assert "Peer Specialist, day program" in public_page
    assert "changed after publishing" not in public_page
    assert postings.version_numbered(posting, 2).title == "Peer Specialist, day program"
    page = client.get(f"/hiring/postings/{posting.id}").get_data(as_text=True)
    assert "The careers page shows version 2 until this one is approved and published." in page


def test_expired_postings_are_closed_by_the_command(app, db, runner, frozen_time):
    posting = published()
    db.session.commit()
    assert settings.get("agency_name")
    frozen_time.at("2099-01-01 12:00")
    result = runner.invoke(args=["hiring", "close-expired"])
    assert "Closed 1 posting(s)" in result.output
    posting = db.session.get(Posting, posting.id)
    assert posting.status == "closed"
    assert postings.events_of(posting)[-1].actor_id is None
