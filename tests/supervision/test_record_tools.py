"""A supervisor's tools on records they keep: closing several action items at once (each at the version the page
showed, all or none), deleting a session record nobody has answered yet, and the supervisor's own PDF copy of a
session. Other supervisors answer as for a missing record; HR, the administrator and the privacy officer are refused
at the door, the same for an existing record and a missing one."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from core.models import AuditEntry, Role
from supervision.models import ActionItem
from supervision.services import sessions
from supervision.services.sessions import NewItem
from tests import factories
from tests.supervision.helpers import log_session, make_team, sign_in

MISSING = 987_654


@pytest.fixture
def team(db, frozen_time):
    frozen_time.at("2026-06-20 12:00")
    return make_team(2)


def plain(response) -> str:
    return re.sub(r'nonce="[^"]*"|name="csrf_token" value="[^"]*"', "", response.get_data(as_text=True))


def audited(db, action: str) -> list[str]:
    return list(db.session.scalars(select(AuditEntry.record_id).where(AuditEntry.action == action)
                                   .order_by(AuditEntry.id)))


# Closing several action items at once --------------------------------------------------------------------------


@pytest.fixture
def open_items(team, db):
    """Three open items: two for Peer 0 (one raised for the supervisor to do), one for Peer 1."""
    pat, quinn = team.peers
    log_session(team.supervisor, [pat], held_on=date(2026, 5, 1),
                items=[NewItem("Call the housing office", f"them:{pat.id}", date(2026, 6, 1)),
                       NewItem("Find a WRAP course", f"me:{pat.id}", None)])
    log_session(team.supervisor, [quinn], held_on=date(2026, 5, 2),
                items=[NewItem("Update the resource list", f"them:{quinn.id}", date(2026, 7, 1))])
    db.session.commit()
    return list(db.session.scalars(select(ActionItem).order_by(ActionItem.id)))


def ticked(*items: ActionItem, note: str = "") -> dict[str, object]:
    return {"item": [str(item.id) for item in items], "note": note,
            **{f"version-{item.id}": str(item.version) for item in items}}


def test_the_supervisor_closes_several_items_at_once_each_audited(client, db, team, open_items):
    housing, course, resources = open_items
    sign_in(client, team.supervisor)
    page = client.get("/supervision/actions").get_data(as_text=True)
    for item in open_items:
        assert f'name="version-{item.id}" value="1"' in page
    # soonest due first, an item with no date last
    assert page.index("Call the housing office") < page.index("Update the resource list") < page.index(
        "Find a WRAP course")
    assert "Find a WRAP course" in page
    assert "Peer 1" in page
    label = re.search(r'<label[^>]*for="note"[^>]*>(.*?)</label>', page, re.S).group(1)
    assert label.count("(optional") == 1, label  # it read "(optional, kept with each item) (optional)"
    response = client.post("/supervision/actions/close", data=ticked(housing, resources, note="Done at the team day"))
    assert response.status_code == 302
    db.session.expire_all()
    assert [(item.closed_by_id, item.close_note) for item in (housing, resources)] == [
        (team.supervisor.id, "Done at the team day")] * 2
    assert course.closed_at is None
    assert audited(db, "supervision.action_closed") == [str(housing.id), str(resources.id)]
    assert "Closed 2 action items" in client.get("/supervision/actions").get_data(as_text=True)


def test_nothing_is_closed_when_one_ticked_item_is_stale(client, db, team, open_items):
    housing, course, _resources = open_items
    pat = team.peers[0]
    sign_in(client, team.supervisor)
    loaded = ticked(housing, course)  # the page as the supervisor loaded it
    sessions.close_item(housing, "Called them", pat)  # the supervisee closes one in between
    db.session.commit()
    response = client.post("/supervision/actions/close", data=loaded)
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert "Nothing was closed" in text
    assert "Call the housing office (Peer 0): closed already" in text
    assert f'id="item-{course.id}" name="item" value="{course.id}" checked' in text  # the tick is kept
    db.session.expire_all()
    assert course.closed_at is None
    assert audited(db, "supervision.action_closed") == [str(housing.id)]
    # a version moved on without closing (a change made elsewhere) is stale too
    course.version = 5
    db.session.commit()
    assert client.post("/supervision/actions/close", data={**ticked(course), f"version-{course.id}": "1"}
                       ).status_code == 409
    assert client.post("/supervision/actions/close", data=ticked(course)).status_code == 302


def test_the_list_keeps_its_queries_as_items_grow(client, db, team, open_items):
    from core.models import Staff
    from tests.queries import fresh_queries_for

    supervisor_id, pat_id = team.supervisor.id, team.peers[0].id
    sign_in(client, team.supervisor)
    few = fresh_queries_for(client, "/supervision/actions")
    supervisor, pat = db.session.get(Staff, supervisor_id), db.session.get(Staff, pat_id)
    log_session(supervisor, [pat], held_on=date(2026, 5, 3),
                items=[NewItem(f"More {n}", f"them:{pat.id}", None) for n in range(3)])
    db.session.commit()
    assert fresh_queries_for(client, "/supervision/actions") == few


def test_closing_none_says_so(client, team, open_items):
    sign_in(client, team.supervisor)
    response = client.post("/supervision/actions/close", data={"note": "x"})
    assert response.status_code == 400
    assert "Tick at least one action item to close." in response.get_data(as_text=True)


def test_another_supervisors_items_answer_as_missing(client, db, team, open_items):
    other = factories.make_staff(Role.SUPERVISOR)
    db.session.commit()
    sign_in(client, other)
    assert "Call the housing office" not in client.get("/supervision/actions").get_data(as_text=True)
    hidden = client.post("/supervision/actions/close", data=ticked(open_items[0]))
    missing = client.post("/supervision/actions/close", data={"item": [str(MISSING)], f"version-{MISSING}": "1"})
    assert hidden.status_code == missing.status_code == 404
    assert plain(hidden) == plain(missing)
    mixed = client.post("/supervision/actions/close", data=ticked(*open_items))
    assert mixed.status_code == 404
    db.session.expire_all()
    assert all(item.closed_at is None for item in open_items)


@pytest.mark.parametrize("role", [Role.HR, Role.ADMIN, Role.PRIVACY, Role.PEER])
def test_others_are_refused_the_list_and_the_close(client, db, team, open_items, role):
    sign_in(client, factories.make_staff(role))
    assert client.get("/supervision/actions").status_code == 403
    hidden = client.post("/supervision/actions/close", data=ticked(open_items[0]))
    missing = client.post("/supervision/actions/close", data={"item": [str(MISSING)], f"version-{MISSING}": "1"})
    assert hidden.status_code == missing.status_code == 403
    assert plain(hidden) == plain(missing)
    assert db.session.scalar(select(func.count()).select_from(ActionItem).where(ActionItem.closed_at.is_not(None))) == 0


# Deleting a session record nobody has answered ------------------------------------------------------------------


def test_the_supervisor_deletes_an_unanswered_record_after_a_confirmation(client, db, team):
    from supervision.models import Attendee, Meeting, Revision

    pat = team.peers[0]
    meeting = log_session(team.supervisor, [pat], held_on=date(2026, 5, 1), notes="Logged by mistake",
                          items=[NewItem("Call the housing office", f"them:{pat.id}", None)])
    sessions.write_private(meeting, meeting.attendees[0], "Private words", 1, team.supervisor)
    db.session.commit()
    meeting_id, version = meeting.id, meeting.version
    sign_in(client, team.supervisor)
    assert "Delete the record" in client.get(f"/supervision/sessions/{meeting_id}").get_data(as_text=True)
    page = client.get(f"/supervision/sessions/{meeting_id}/delete").get_data(as_text=True)
    assert "What will be lost" in page
    assert "The 1 action item raised at it" in page
    assert client.post(f"/supervision/sessions/{meeting_id}/delete", data={"version": str(version - 1)}
                       ).status_code == 409  # a page loaded before a change
    response = client.post(f"/supervision/sessions/{meeting_id}/delete", data={"version": str(version)})
    assert response.status_code == 302
    db.session.expire_all()
    for model, column in ((Meeting, Meeting.id), (Attendee, Attendee.meeting_id), (ActionItem, ActionItem.meeting_id),
                          (Revision, Revision.meeting_id)):
        assert db.session.scalar(select(func.count()).select_from(model).where(column == meeting_id)) == 0
    assert audited(db, "supervision.session_deleted") == [str(meeting_id)]
    assert client.get(f"/supervision/sessions/{meeting_id}").status_code == 404
    # A change sent from a tab still open on the edit page: not "check the address", but that it was not saved.
    late = client.post(f"/supervision/sessions/{meeting_id}/edit", data={"notes": "Typed in the other tab"})
    assert late.status_code == 404
    page = late.get_data(as_text=True)
    assert "Check the address" not in page
    assert "What you sent was not saved" in page


@pytest.mark.parametrize("agrees", [True, False])
def test_a_record_anyone_answered_is_never_deleted(client, db, team, agrees):
    pat, quinn = team.peers
    meeting = log_session(team.supervisor, [pat, quinn], held_on=date(2026, 5, 1))
    sessions.answer(meeting, sessions.attendee_of(meeting, quinn.id), 1, agrees, "" if agrees else "Not so", quinn)
    db.session.commit()
    sign_in(client, team.supervisor)
    assert "Delete the record" not in client.get(f"/supervision/sessions/{meeting.id}").get_data(as_text=True)
    page = client.get(f"/supervision/sessions/{meeting.id}/delete").get_data(as_text=True)
    assert "Peer 1 answered this record" in page
    assert 'action="/supervision/sessions/' not in page  # no button
    refused = client.post(f"/supervision/sessions/{meeting.id}/delete", data={"version": str(meeting.version)})
    assert refused.status_code == 409
    assert "Peer 1 answered this record, so it is kept." in refused.get_data(as_text=True)
    assert db.session.get(type(meeting), meeting.id) is not None
    assert audited(db, "supervision.session_deleted") == []


# The supervisor's own PDF copy ----------------------------------------------------------------------------------


@pytest.fixture
def made(monkeypatch) -> list[str]:
    """The HTML of each PDF asked for; the PDF itself is not rendered (WeasyPrint takes a second; the attendee's
    copy in test_privacy.py renders the same kind of template for real)."""
    from core import pdf

    kept: list[str] = []

    def keep(html: str, **kwargs: object) -> bytes:
        kept.append(html)
        return b"%PDF-1.4\n%stub\n"

    monkeypatch.setattr(pdf, "render_pdf", keep)
    return kept


def test_the_supervisors_copy_of_a_one_to_one_holds_the_private_part(client, db, team, made):
    pat = team.peers[0]
    meeting = log_session(team.supervisor, [pat], held_on=date(2026, 5, 1), notes="Shared words")
    sessions.write_private(meeting, meeting.attendees[0], "ONE-TO-ONE-PRIVATE", 1, team.supervisor)
    db.session.commit()
    sign_in(client, team.supervisor)
    session_page = client.get(f"/supervision/sessions/{meeting.id}").get_data(as_text=True)
    assert f"/supervision/sessions/{meeting.id}/supervisor-copy.pdf" in session_page
    response = client.get(f"/supervision/sessions/{meeting.id}/supervisor-copy.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "Shared words" in made[-1]
    assert "ONE-TO-ONE-PRIVATE" in made[-1]
    assert "Peer 0: not signed off yet." in made[-1]
    assert audited(db, "supervision.supervisor_pdf_read") == [str(meeting.id)]
    sign_in(client, pat)  # the attendee has their own copy; the supervisor's is not offered to them
    assert "supervisor-copy.pdf" not in client.get(f"/supervision/sessions/{meeting.id}").get_data(as_text=True)


def test_the_supervisors_copy_of_a_group_leaves_the_private_parts_out_and_nobody_else_gets_it(client, db, team,
                                                                                             made):
    pat, quinn = team.peers
    co = factories.make_staff(Role.SUPERVISOR, name="Co Facilitator")
    meeting = log_session(team.supervisor, [pat, quinn], held_on=date(2026, 5, 1), co_facilitator=co)
    for attendee in meeting.attendees:
        sessions.write_private(meeting, attendee, f"GROUP-PRIVATE-{attendee.staff_id}", 1, team.supervisor)
    db.session.commit()
    url = f"/supervision/sessions/{meeting.id}/supervisor-copy.pdf"
    sign_in(client, team.supervisor)
    assert client.get(url).status_code == 200
    assert "GROUP-PRIVATE" not in made[-1]
    missing = f"/supervision/sessions/{MISSING}/supervisor-copy.pdf"
    for person in (co, factories.make_staff(Role.SUPERVISOR, Role.PEER)):  # the co-facilitator, another supervisor
        sign_in(client, person)
        assert client.get(url).status_code == client.get(missing).status_code == 404
        assert client.get(f"/supervision/sessions/{meeting.id}/delete").status_code == 404
    for person in (pat, *(factories.make_staff(role) for role in (Role.HR, Role.ADMIN, Role.PRIVACY))):
        sign_in(client, person)  # an attendee and the agency's keepers: refused at the door, whatever the number
        assert client.get(url).status_code == client.get(missing).status_code == 403
    assert len(made) == 1
