"""Issue 11: the live preview beside the draft editor. The edit page sends its unsaved form to the preview address as
HR types (static/js/posting-preview.js); the answer is the posting as that form would save it, through the same
template as the saved posting. It saves nothing, takes no version number and writes no audit entry; it is refused
to everyone who may not edit the draft, and to a form without its CSRF token; a problem in the form comes back as a
plain message, never a 500. The browser side is tests/browser/test_posting_preview.py."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import func, select

from core.models import AuditEntry, Role
from hiring.models import Posting, PostingStatus, PostingVersion
from hiring.services import postings
from tests.core.security_helpers import WRITE, csrf_token_from, row_counts
from tests.hiring.helpers import draft, make_hr, team_with_peers
from tests.hiring.test_builder import edit_data
from tests.queries import counting_queries


@pytest.fixture
def hr(client, login_as):
    return login_as(Role.HR)


def _preview_url(posting: Posting) -> str:
    return f"/hiring/postings/{posting.id}/preview"


def _typed(client, posting: Posting, **changes: str) -> dict[str, str]:
    data = edit_data(client.get(f"/hiring/postings/{posting.id}/edit").get_data(as_text=True))
    data.update(changes)
    return data


def _written(statements: list[str]) -> list[str]:
    return [statement for statement in statements if WRITE.match(statement)]


def test_the_preview_shows_what_is_typed_through_the_saved_postings_template_and_writes_nothing(
    app: Flask, client, db, hr
):
    team = team_with_peers(1)
    posting = draft(hr)
    db.session.commit()
    data = _typed(
        client,
        posting,
        title="Peer Specialist, Evening Group",
        blank_0="evening recovery team",
        program=str(team.program_id),
        team=str(team.id),
        pay_min="26.50",
        pay_max="30",
        section_2_text="Words typed but not saved.",
    )
    counts = row_counts(app)
    audit_before = db.session.scalar(select(func.count()).select_from(AuditEntry))

    with counting_queries() as statements:
        response = client.post(_preview_url(posting), data=data)

    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:2000]
    assert "data-preview-ok" in page
    assert "<html" not in page, "a fragment for the panel, not a whole page"
    assert "Peer Specialist, Evening Group" in page
    assert "Words typed but not saved." in page
    assert "evening recovery team" in page, "what is typed in a blank fills it everywhere"
    assert "[Program/Team]" not in page
    assert team.name in page, "the facts of the posting, as its page shows them"
    assert "$26.50 to $30 per hour" in page, "the pay as the posting states it"
    # The same template as the saved posting: its page shows its version through the same macro.
    saved = client.get(f"/hiring/postings/{posting.id}").get_data(as_text=True)
    assert '<dl class="pw-definition margin-y-2">' in page
    assert '<dl class="pw-definition margin-y-2">' in saved

    assert not _written(statements), _written(statements)
    assert row_counts(app) == counts
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == audit_before
    db.session.expire_all()
    fresh = db.session.get(Posting, posting.id)
    assert (fresh.current_number, fresh.version) == (1, posting.version)
    assert db.session.scalar(select(func.count()).select_from(PostingVersion)) == 1
    assert "Words typed" not in postings.current_version(fresh).document


def test_a_preview_and_then_a_save_still_saves_version_2(client, db, hr):
    posting = draft(hr)
    db.session.commit()
    data = _typed(client, posting, title="Peer Specialist, Preview First")
    assert client.post(_preview_url(posting), data=data).status_code == 200

    saved = client.post(f"/hiring/postings/{posting.id}/edit", data=data)

    assert saved.status_code == 302, "the preview took no version: the form's version still saves"
    assert postings.current_version(db.session.get(Posting, posting.id)).title == "Peer Specialist, Preview First"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"pay_min": "twenty"}, "Pay from (dollars): Enter an amount in dollars"),
        ({"title": ""}, "Enter the job title"),
        ({"pay_min": "30", "pay_max": "20"}, "The top of the pay range is lower than its bottom"),
        ({"hours_per_week": "lots"}, "Hours a week"),
        ({"section_0_text": "Bad \x00 byte"}, "Opening text: This has a hidden character"),
        ({"team": "999999"}, "Team"),
        ({"program": "'; drop table x"}, "Program"),
        ({"closes_on": "2026-02-31"}, "Last day to apply"),
        ({"title": "x" * 5000}, "Job title"),
    ],
)
def test_bad_input_gives_a_plain_message_not_an_error_page(client, db, hr, changes, message):
    posting = draft(hr)
    db.session.commit()
    data = _typed(client, posting, **changes)

    response = client.post(_preview_url(posting), data=data)

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "data-preview-problem" in page
    assert "The preview is not updated, because:" in page
    assert message in page, page
    assert "Traceback" not in page
    assert db.session.scalar(select(func.count()).select_from(PostingVersion)) == 1


def test_a_team_of_another_program_is_the_saves_message(client, db, hr):
    other = team_with_peers(0)
    team = team_with_peers(1)
    posting = draft(hr)
    db.session.commit()
    data = _typed(client, posting, program=str(team.program_id), team=str(other.id))

    page = client.post(_preview_url(posting), data=data).get_data(as_text=True)

    assert "is not a team of" in page


def test_a_closed_posting_has_no_preview(client, db, hr):
    posting = draft(hr)
    db.session.commit()
    data = _typed(client, posting)
    db.session.get(Posting, posting.id).status = PostingStatus.CLOSED
    db.session.commit()

    response = client.post(_preview_url(posting), data=data)

    assert response.status_code == 400
    assert "This posting is closed" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.PEER, Role.STAFF, Role.SUPERVISOR, Role.PRIVACY])
def test_only_those_who_edit_drafts_get_a_preview(client, db, login_as, role):
    hr = make_hr()
    posting = draft(hr)
    db.session.commit()
    login_as(role)

    response = client.post(_preview_url(posting), data={"title": "Peeked", "version": "1"})

    assert response.status_code == 403
    assert "Peeked" not in response.get_data(as_text=True)


def test_signed_out_the_preview_goes_to_sign_in(app: Flask, db):
    posting = draft(make_hr())
    db.session.commit()

    response = app.test_client().post(_preview_url(posting), data={"title": "Peeked"})

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_missing_posting_is_not_found(client, db, hr):
    assert client.post("/hiring/postings/999999/preview", data={"title": "x"}).status_code == 404


def test_the_preview_needs_the_forms_csrf_token(app: Flask, client, db, hr):
    posting = draft(hr)
    db.session.commit()
    app.config["WTF_CSRF_ENABLED"] = True  # put back after the test (tests/conftest.py)
    page = client.get(f"/hiring/postings/{posting.id}/edit")
    token = csrf_token_from(page.data)
    data = {**_typed(client, posting, title="Peer Specialist, Token Checked"), "csrf_token": token}
    counts = row_counts(app)

    with counting_queries() as statements:
        refused = client.post(_preview_url(posting), data={k: v for k, v in data.items() if k != "csrf_token"})
        forged = client.post(_preview_url(posting), data={**data, "csrf_token": "forged"})
    accepted = client.post(_preview_url(posting), data=data)

    for response in (refused, forged):
        assert response.status_code == 400
        assert "Token Checked" not in response.get_data(as_text=True), "no preview without the form's token"
    assert not _written(statements)
    assert row_counts(app) == counts
    assert accepted.status_code == 200
    assert "Peer Specialist, Token Checked" in accepted.get_data(as_text=True)


def test_the_edit_page_carries_the_hidden_panel_and_loads_the_script_from_static(client, db, hr):
    posting = draft(hr)
    db.session.commit()

    page = client.get(f"/hiring/postings/{posting.id}/edit").get_data(as_text=True)

    assert f'data-posting-preview="/hiring/postings/{posting.id}/preview"' in page
    panel = re.search(r"<aside[^>]*data-preview-panel[^>]*>", page).group(0)
    assert "hidden" in panel, "without JavaScript nothing of the preview shows"
    assert 'aria-live="polite"' in page
    versioned = r"/static/js/posting-preview\.js\?v=[0-9a-f]{12}"
    assert re.search(rf'<script src="{versioned}" nonce="[^"]+" defer></script>', page)
    assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/ld\+json)[^>]*>", page), "no inline script"


@pytest.mark.parametrize("data", [{}, {"title": "Only a title"}, {"version": "x", "setting": "moon", "team": "-1"}])
def test_a_form_missing_its_fields_gives_a_message_not_an_error_page(client, db, hr, data):
    posting = draft(hr)
    db.session.commit()

    response = client.post(_preview_url(posting), data=data)

    assert response.status_code == 400
    assert "The preview is not updated, because:" in response.get_data(as_text=True)
