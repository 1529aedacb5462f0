"""Every supervision page answers for the people it is for, and the forms keep their input when refused."""

from __future__ import annotations

from datetime import date

import pytest

from core.models import Role
from supervision.models import Meeting
from tests import factories
from tests.supervision.helpers import log_session, make_team, sign_in


@pytest.fixture
def world(db, frozen_time):
    frozen_time.at("2026-03-20 12:00")
    team = make_team(2)
    meeting = log_session(team.supervisor, team.peers, notes="Group notes")
    db.session.commit()
    return team, meeting


def test_supervisor_pages(client, world):
    team, meeting = world
    sign_in(client, team.supervisor)
    attendee = meeting.attendees[0]
    for url in [
        "/supervision/",
        "/supervision/sessions",
        "/supervision/sessions/new",
        f"/supervision/sessions/{meeting.id}",
        f"/supervision/sessions/{meeting.id}/edit",
        f"/supervision/sessions/{meeting.id}/history",
        f"/supervision/sessions/{meeting.id}/private/{attendee.id}",
        f"/supervision/people/{team.peers[0].id}/prep",
        f"/supervision/people/{team.peers[0].id}/hours",
        f"/supervision/people/{team.peers[0].id}/hours.csv",
        "/supervision/compliance",
        "/supervision/compliance.csv",
    ]:
        assert client.get(url).status_code == 200, url


def test_peer_pages(client, world):
    team, meeting = world
    sign_in(client, team.peers[0])
    for url in ["/supervision/", "/supervision/sessions", f"/supervision/sessions/{meeting.id}",
                f"/supervision/sessions/{meeting.id}/history", f"/supervision/people/{team.peers[0].id}/hours"]:
        assert client.get(url).status_code == 200, url
    answer = client.get(f"/supervision/sessions/{meeting.id}/record.pdf")
    assert answer.status_code == 200
    assert answer.data.startswith(b"%PDF")


def test_rules_pages(client, login_as, db):
    login_as(Role.HR)
    assert client.get("/supervision/rules").status_code == 200
    assert client.get("/supervision/compliance").status_code == 200
    refused = client.post("/supervision/rules", data={"monthly_hours": "2", "one_to_one_hours": "3"})
    assert refused.status_code == 400
    assert b"no more than the total" in refused.data
    assert b'value="3"' in refused.data
    saved = client.post("/supervision/rules", data={"monthly_hours": "2", "one_to_one_hours": "1"})
    assert saved.status_code == 302
    added = client.post("/supervision/rules/topics", data={"name": "Housing first"})
    assert added.status_code == 302
    assert b"Housing first" in client.get("/supervision/rules").data


def test_log_a_group_session_through_the_form(client, db, frozen_time):
    frozen_time.at("2026-03-20 12:00")
    team = make_team(2)
    other = factories.make_staff(Role.SUPERVISOR, name="Co Lead")
    db.session.commit()
    sign_in(client, team.supervisor)
    data = {
        "kind": "group",
        "attendee_ids": [str(p.id) for p in team.peers],
        "co_facilitator_id": str(other.id),
        "held_on": "2026-03-19",
        "starts_at": "10:30",
        "duration_minutes": "90",
        "format": "video",
        "topics": ["Ethics", "Role fidelity"],
        "notes": "We talked.",
        "decisions": "Meet monthly.",
        "items-0-text": "Read the ethics code",
        "items-0-owner": f"them:{team.peers[0].id}",
        "items-0-due_on": "2026-04-01",
    }
    answer = client.post("/supervision/sessions/new", data=data)
    assert answer.status_code == 302, answer.data
    meeting = db.session.scalars(db.select(Meeting)).one()
    assert meeting.co_facilitator_id == other.id
    assert meeting.topic_list == ["Ethics", "Role fidelity"]
    page = client.get(answer.headers["Location"]).data
    assert b"Read the ethics code" in page


def test_a_refused_form_keeps_the_input(client, db, frozen_time):
    frozen_time.at("2026-03-20 12:00")
    team = make_team(1)
    db.session.commit()
    sign_in(client, team.supervisor)
    answer = client.post("/supervision/sessions/new", data={
        "kind": "one_to_one", "attendee_ids": [], "held_on": "2026-03-30", "starts_at": "25:99",
        "duration_minutes": "9999", "format": "phone", "notes": "Keep these words", "items-0-text": "An item",
    })
    assert answer.status_code == 400
    page = answer.data.decode()
    assert "Keep these words" in page
    assert "An item" in page
    assert "Choose who does it." in page
    assert "between 5 and 600" in page
    assert "hours and minutes" in page


def test_a_future_day_is_refused_with_words(client, db, frozen_time):
    frozen_time.at("2026-03-20 12:00")
    team = make_team(1)
    db.session.commit()
    sign_in(client, team.supervisor)
    answer = client.post("/supervision/sessions/new", data={
        "kind": "one_to_one", "attendee_ids": [str(team.peers[0].id)], "held_on": "2026-03-30", "starts_at": "10:00",
        "duration_minutes": "60", "format": "phone", "notes": "Keep these words",
    })
    assert answer.status_code == 400
    assert "still ahead" in answer.data.decode()


def test_no_500_on_odd_input(client, db, frozen_time):
    frozen_time.at("2026-03-20 12:00")
    team = make_team(1)
    db.session.commit()
    sign_in(client, team.supervisor)
    answer = client.post("/supervision/sessions/new", data={
        "kind": "nope", "attendee_ids": ["x", "99999999999999"], "co_facilitator_id": "-4", "held_on": "0001-01-01",
        "starts_at": "x", "duration_minutes": "1e9", "format": "fax", "topics": ["Made up"], "notes": "a\x00b",
        "items-0-text": "x", "items-0-owner": "me:abc", "items-0-due_on": "9999-99-99",
    })
    assert answer.status_code == 400
    assert client.get(f"/supervision/people/{team.peers[0].id}/prep?x=1").status_code == 200
    assert date.today()  # the page above used the frozen clock only


def _summary(page: str) -> str:
    start = page.index('id="error-summary"')
    return page[start:page.index("</ul>", start)]


def test_an_action_item_problem_is_in_the_error_summary_with_its_row(client, db, frozen_time):
    """A row's problem was listed as "Items: {'owner': [...]}" with a link to nothing, or, when the service found
    it, not listed at all (no summary, nothing focused)."""
    frozen_time.at("2026-03-20 12:00")
    team = make_team(2)
    db.session.commit()
    sign_in(client, team.supervisor)
    base = {"kind": "one_to_one", "attendee_ids": [str(team.peers[0].id)], "held_on": "2026-03-19",
            "starts_at": "10:00", "duration_minutes": "60", "format": "phone",
            **{f"items-{row}-{name}": "" for row in range(3) for name in ("text", "owner", "due_on")}}  # as sent

    no_owner = client.post("/supervision/sessions/new", data={**base, "items-1-text": "Call the bank"})
    assert no_owner.status_code == 400
    summary = _summary(no_owner.data.decode())
    assert 'href="#items-1-owner">Action item 2, who does it: Choose who does it.</a>' in summary
    assert "{" not in summary
    assert summary.count("<li>") == 1, summary

    absent = client.post("/supervision/sessions/new", data={
        **base, "items-1-text": "Call the bank", "items-1-owner": f"them:{team.peers[1].id}"})
    assert absent.status_code == 400
    page = absent.data.decode()
    summary = _summary(page)  # the service's problem, on the row it is about (row 2, not row 1)
    assert 'href="#items-1-owner">Action item 2, who does it: ' in summary
    assert "did not attend" in summary
    assert 'id="items-1-owner-error"' in page
    assert 'id="items-0-owner-error"' not in page


def _one_to_one(client, db, frozen_time, changes):
    """A supervisor's one-to-one with their peer sent through the form, with ``changes(peer)`` to the fields."""
    frozen_time.at("2026-03-20 12:00")
    team = make_team(1)
    db.session.commit()
    sign_in(client, team.supervisor)
    peer = team.peers[0]
    return client.post("/supervision/sessions/new", data={
        "kind": "one_to_one", "attendee_ids": [str(peer.id)], "held_on": "2026-03-19",
        "starts_at": "10:00", "duration_minutes": "60", "format": "phone", **changes(peer),
    })


def test_an_action_item_row_without_words_is_not_dropped_silently(client, db, frozen_time):
    """A row with a due date or a person but nothing to do was thrown away without a word: the check meant to ask
    for the words never ran (Optional stops the field's checks when it is empty)."""
    answer = _one_to_one(client, db, frozen_time, lambda peer: {
        "items-0-owner": f"them:{peer.id}", "items-0-due_on": "2026-04-01"})
    assert answer.status_code == 400
    assert "Say what is to be done, or clear this row" in _summary(answer.data.decode())
    assert db.session.scalars(db.select(Meeting)).first() is None


def test_a_length_that_is_not_a_whole_number_gets_one_plain_message(client, db, frozen_time):
    """"45.5" minutes read "Not a valid integer value. Enter a length between 5 and 600 minutes.": jargon, then a
    range the number was within. Now the field's own words, once."""
    answer = _one_to_one(client, db, frozen_time, lambda _peer: {"duration_minutes": "45.5"})
    assert answer.status_code == 400
    summary = _summary(answer.data.decode())
    assert "Length in minutes: Enter a whole number of minutes between 5 and 600.</a>" in summary
    assert "integer" not in summary

