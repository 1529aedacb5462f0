"""Sign-off and versions, action items that carry over until closed, and two people saving the same record."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from core.errors import InvalidInput, Refused
from core.models import AuditEntry
from supervision.models import Meeting, Revision
from supervision.services import sessions
from supervision.services.sessions import NewItem
from tests.supervision.helpers import log_session, make_team, same_shared, sign_in


@pytest.fixture
def team(db, frozen_time):
    frozen_time.at("2026-06-20 12:00")
    return make_team(2)


def test_an_edit_before_sign_off_keeps_the_version(team):
    meeting = log_session(team.supervisor, [team.peers[0]])
    again = sessions.edit(meeting, same_shared(meeting, notes="Better words"), meeting.version, team.supervisor)
    assert again is False
    assert meeting.revision == 1
    assert [r.notes for r in sessions.history(meeting)[0]] == ["Better words"]


def test_an_edit_after_sign_off_makes_a_new_version_and_asks_again(team, db):
    meeting = log_session(team.supervisor, [team.peers[0]], notes="First words")
    me = meeting.attendees[0]
    sessions.answer(meeting, me, 1, True, "", team.peers[0])
    assert sessions.waiting_for(team.peers[0].id) == []
    again = sessions.edit(meeting, same_shared(meeting, notes="Second words"), meeting.version, team.supervisor)
    assert again is True
    assert meeting.revision == 2
    assert sessions.waiting_for(team.peers[0].id) == [meeting]
    revisions, signoffs = sessions.history(meeting)
    assert [(r.number, r.notes) for r in revisions] == [(2, "Second words"), (1, "First words")]
    assert [(s.revision, s.agrees) for s in signoffs] == [(1, True)]
    with pytest.raises(Refused):  # a sign-off of the page as it was before the change
        sessions.answer(meeting, me, 1, True, "", team.peers[0])
    sessions.answer(meeting, me, 2, True, "", team.peers[0])
    assert sessions.answers(meeting)[me.id].revision == 2


def test_a_change_that_changes_nothing_asks_for_nothing(team):
    meeting = log_session(team.supervisor, [team.peers[0]])
    sessions.answer(meeting, meeting.attendees[0], 1, True, "", team.peers[0])
    assert sessions.edit(meeting, same_shared(meeting), meeting.version, team.supervisor) is False
    assert meeting.revision == 1


def test_disagreeing_needs_a_comment_and_keeps_it(team):
    meeting = log_session(team.supervisor, [team.peers[0]])
    me = meeting.attendees[0]
    with pytest.raises(InvalidInput):
        sessions.answer(meeting, me, 1, False, "  ", team.peers[0])
    sessions.answer(meeting, me, 1, False, "We agreed on two weeks, not one.", team.peers[0])
    assert sessions.answers(meeting)[me.id].comment == "We agreed on two weeks, not one."


def test_only_the_attendee_signs(team):
    meeting = log_session(team.supervisor, [team.peers[0]])
    with pytest.raises(Refused):
        sessions.answer(meeting, meeting.attendees[0], 1, True, "", team.peers[1])
    with pytest.raises(Refused):
        sessions.answer(meeting, meeting.attendees[0], 1, True, "", team.supervisor)


def test_action_items_carry_over_until_closed(team, frozen_time, db):
    pat, other = team.peers
    first = log_session(team.supervisor, [pat], held_on=date(2026, 4, 10),
                        items=[NewItem("Call the housing office", f"them:{pat.id}", date(2026, 4, 30)),
                               NewItem("Send Pat the WRAP form", f"me:{pat.id}", None)])
    second = log_session(team.supervisor, [pat], held_on=date(2026, 5, 10))
    third = log_session(team.supervisor, [pat], held_on=date(2026, 6, 10))
    elsewhere = log_session(team.supervisor, [other], held_on=date(2026, 5, 11))
    assert sessions.carried_over(first, team.supervisor) == []
    assert [i.text for i in sessions.carried_over(second, team.supervisor)] == [
        "Call the housing office", "Send Pat the WRAP form"]
    assert sessions.carried_over(elsewhere, team.supervisor) == []  # another supervisee's session
    housing, wrap = sessions.raised_at(first)
    assert wrap.owner_id == team.supervisor.id
    assert wrap.supervisee_id == pat.id
    frozen_time.at("2026-06-01 09:00")
    sessions.close_item(housing, "Done: a visit is booked.", pat)
    assert housing.closed_by_id == pat.id
    assert [i.text for i in sessions.carried_over(second, team.supervisor)] == [
        "Call the housing office", "Send Pat the WRAP form"]  # still open when the May session was held
    assert [i.text for i in sessions.carried_over(third, team.supervisor)] == ["Send Pat the WRAP form"]
    assert [i.text for i in sessions.open_items([pat.id])] == ["Send Pat the WRAP form"]
    with pytest.raises(Refused):
        sessions.close_item(housing, "", pat)  # closed already
    with pytest.raises(Refused):
        sessions.close_item(wrap, "", other)  # not theirs
    closed = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "supervision.action_closed")).all()
    assert [entry.record_id for entry in closed] == [str(housing.id)]


def test_a_group_attendee_sees_only_their_own_carried_items(team):
    pat, other = team.peers
    log_session(team.supervisor, [pat], held_on=date(2026, 4, 10),
                items=[NewItem("Pat's private follow-up", f"them:{pat.id}", None)])
    group = log_session(team.supervisor, [pat, other], held_on=date(2026, 5, 10))
    assert [i.text for i in sessions.carried_over(group, pat)] == ["Pat's private follow-up"]
    assert sessions.carried_over(group, other) == []


def test_attendees_are_the_supervisors_reports(team):
    from tests import factories

    stranger = factories.make_staff("peer")
    with pytest.raises(InvalidInput) as refused:
        log_session(team.supervisor, [stranger])
    assert "attendee_ids" in refused.value.problems
    with pytest.raises(InvalidInput):
        log_session(team.supervisor, team.peers, kind="one_to_one")
    with pytest.raises(Refused):
        log_session(team.peers[0], [team.peers[1]])


def test_the_second_save_gets_the_conflict_page_with_its_text_kept(client, team, db):
    meeting = log_session(team.supervisor, [team.peers[0]], held_on=date(2026, 6, 1))
    db.session.commit()
    sign_in(client, team.supervisor)
    form = {"held_on": "2026-06-01", "starts_at": "14:00", "duration_minutes": "60", "format": "in_person",
            "topics": ["Role clarity"], "decisions": "", "version": str(meeting.version)}
    first = client.post(f"/supervision/sessions/{meeting.id}/edit", data={**form, "notes": "First person's words"})
    assert first.status_code == 302
    second = client.post(f"/supervision/sessions/{meeting.id}/edit", data={**form, "notes": "Second person's words"})
    assert second.status_code == 409
    page = second.get_data(as_text=True)
    assert "Second person&#39;s words" in page or "Second person's words" in page
    assert "First person" in page  # what is saved now, beside the form
    assert db.session.get(Meeting, meeting.id).notes == "First person's words"


def test_the_private_part_has_its_own_conflict_page(client, team, db):
    meeting = log_session(team.supervisor, [team.peers[0]], held_on=date(2026, 6, 1))
    attendee = meeting.attendees[0]
    db.session.commit()
    sign_in(client, team.supervisor)
    url = f"/supervision/sessions/{meeting.id}/private/{attendee.id}"
    version = str(attendee.version)
    assert client.post(url, data={"note": "One", "version": version}).status_code == 302
    second = client.post(url, data={"note": "Two kept", "version": version})
    assert second.status_code == 409
    assert "Two kept" in second.get_data(as_text=True)


def test_the_peer_signs_off_through_the_page(client, team, db):
    meeting = log_session(team.supervisor, [team.peers[0]], held_on=date(2026, 6, 1))
    db.session.commit()
    sign_in(client, team.peers[0])
    empty = client.post(f"/supervision/sessions/{meeting.id}/answer", data={"revision": "1", "answer": "disagree"})
    assert empty.status_code == 400
    done = client.post(f"/supervision/sessions/{meeting.id}/answer", data={"revision": "1", "answer": "sign"})
    assert done.status_code == 302
    assert "You signed off version 1" in client.get(f"/supervision/sessions/{meeting.id}").get_data(as_text=True)
    assert db.session.scalar(select(Revision.number).where(Revision.meeting_id == meeting.id)) == 1


def test_to_do_counts_in_one_query(team, db):
    from tests.queries import counting_queries

    pat = team.peers[0]
    first = log_session(team.supervisor, [pat], held_on=date(2026, 5, 1),
                        items=[NewItem("Due already", f"them:{pat.id}", date(2026, 6, 1)),
                               NewItem("Due later", f"them:{pat.id}", date(2026, 7, 1))])
    log_session(team.supervisor, [pat], held_on=date(2026, 5, 2))
    sessions.answer(first, first.attendees[0], 1, True, "", pat)
    db.session.flush()
    with counting_queries() as statements:
        assert sessions.to_do_counts(pat.id, date(2026, 6, 20)) == (1, 1)
    assert len(statements) == 1


def test_the_home_page_lists_records_to_sign_and_action_items_due(team, db, client):
    """Issue 13, "Home becomes a to-do list": a session record to acknowledge and action items due, for the
    supervisee only, linked to their sessions; a second session adds to the counts without a query of its own."""
    pat, other = team.peers
    log_session(team.supervisor, [pat], held_on=date(2026, 5, 1),
                items=[NewItem("Call the housing office", f"them:{pat.id}", date(2026, 6, 1))])
    db.session.commit()
    sign_in(client, pat)
    page = client.get("/").get_data(as_text=True)
    assert "1 supervision action item due" in page
    assert "1 supervision record to read and sign off" in page
    assert 'href="/supervision/sessions"' in page
    sign_in(client, other)
    assert "supervision record" not in client.get("/").get_data(as_text=True)

    from core.models import Staff
    from tests.queries import fresh_queries_for

    pat_id, supervisor_id = pat.id, team.supervisor.id
    sign_in(client, pat)
    before = fresh_queries_for(client, "/")
    pat, supervisor = db.session.get(Staff, pat_id), db.session.get(Staff, supervisor_id)
    log_session(supervisor, [pat], held_on=date(2026, 5, 2),
                items=[NewItem("Write to the clinic", f"them:{pat.id}", date(2026, 6, 2))])
    db.session.commit()
    assert fresh_queries_for(client, "/") == before
    assert "2 supervision records to read and sign off" in client.get("/").get_data(as_text=True)


def test_supervisions_home_lines_come_from_one_select(team, db, app):
    """Records to sign, items due and role fidelity's lines (the peer's own flagged month, the saved threshold) from
    one SELECT, besides the caseload visibility rule's look-up; HR, with no role-fidelity lines, one SELECT too."""
    from core import settings
    from core.models import Role
    from supervision.services import fidelity
    from supervision.services import todo as supervision_todo
    from tests import factories
    from tests.queries import counting_queries

    pat, quinn = team.peers
    log_session(team.supervisor, [pat], held_on=date(2026, 5, 1),
                items=[NewItem("Call the housing office", f"them:{pat.id}", date(2026, 6, 1))])
    factories.make_note(pat, None, happened_on=date(2026, 5, 4), kind="clerical", minutes=40)
    factories.make_note(quinn, None, happened_on=date(2026, 5, 4), kind="transport_only", minutes=40)
    settings.put(fidelity.THRESHOLD_KEY, "70")
    db.session.flush()
    hr = factories.make_staff(Role.HR)
    with app.test_request_context(), counting_queries() as statements:
        lines = [line.words for line in supervision_todo.items(pat)]
        supervisor_lines = [line.words for line in supervision_todo.items(team.supervisor)]
        assert supervision_todo.items(hr) == []
    assert lines == ["1 supervision action item due", "1 supervision record to read and sign off",
                     "Your role fidelity: May 2026 was under 70% peer work"]
    assert supervisor_lines == ["2 peer specialists flagged for role fidelity"]
    selects = [s for s in statements if "supervision_" in s or "caseload_contact_note" in s]
    assert len(selects) == 3, "\n\n".join(selects)
