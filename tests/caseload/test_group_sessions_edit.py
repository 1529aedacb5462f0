"""Correcting and removing a group's session: who may, the version check, and attendance the person cannot see
(kept as it is, never shown, and refused when forged)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from markupsafe import escape
from sqlalchemy import func, select, update

from caseload.models import Attendance, GroupSession
from caseload.services import groups as service
from caseload.views.referrals import long_date
from core import timeutil
from core.models import AuditEntry
from tests.caseload.test_groups import GROUPS, sign_in
from tests.caseload.test_groups import agency as agency  # the fixture, shared
from tests.factories import make_group_session, make_peer_group, make_staff


def url(agency: dict, session: str = "second", action: str = "edit") -> str:
    return f"{GROUPS}/{agency['group'].id}/sessions/{agency[session].id}/{action}"


def came(db, session_id: int) -> set[int]:
    return set(db.session.scalars(select(Attendance.client_id).where(Attendance.session_id == session_id)))


def entries(db, action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def ticked_values(page: str) -> set[str]:
    """The values of every attendance checkbox on the page."""
    return set(re.findall(r'<input[^>]*name="attendance"[^>]*value="(\d+)"', page))


def edit_form(agency: dict, session: str = "second", **changes: object) -> dict[str, object]:
    current = agency[session]
    data: dict[str, object] = {
        "held_on": current.held_on.isoformat(),
        "topic": current.topic,
        "minutes": str(current.minutes),
        "attendance": [str(agency["ana"].id)],
        "version": str(current.version),
    }
    data.update(changes)
    return data


def no_content_in_audit(db, *words: str) -> None:
    for entry in db.session.scalars(select(AuditEntry)):
        for word in words:
            assert word not in entry.detail


# Changing a session -------------------------------------------------------------------------------------------


def test_the_edit_form_is_filled_in_and_shows_only_visible_attendees(client, agency):
    response = client.get(url(agency))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'value="{agency["second"].held_on.isoformat()}"' in page
    assert 'name="version" type="hidden" value="1"' in page
    assert ticked_values(page) == {str(agency["ana"].id), str(agency["ben"].id)}
    assert re.search(rf'<input checked[^>]*name="attendance"[^>]*value="{agency["ana"].id}"', page)
    assert not re.search(rf'<input checked[^>]*name="attendance"[^>]*value="{agency["ben"].id}"', page)
    assert "Jo Sealed" not in page
    assert str(agency["sealed"].id) not in ticked_values(page)


def test_change_a_session_saves_and_audits_field_names_only(client, db, agency):
    second, ana, ben, sealed = agency["second"], agency["ana"], agency["ben"], agency["sealed"]
    new_day = timeutil.today() - timedelta(days=3)
    response = client.post(url(agency), data=edit_form(
        agency, held_on=new_day.isoformat(), topic="Crisis plan", minutes="75", attendance=[str(ben.id)]))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/sessions/{second.id}")
    db.session.refresh(second)
    assert (second.held_on, second.topic, second.minutes, second.version) == (new_day, "Crisis plan", 75, 2)
    assert came(db, second.id) == {ben.id, sealed.id}  # Ana unticked, Ben added, the sealed client kept

    [updated] = entries(db, "group.session_updated")
    assert (updated.record_type, updated.record_id) == ("group", str(agency["group"].id))
    assert updated.detail == f"session {second.id}; held_on, topic, minutes, attendance"
    added = [(e.record_type, e.record_id, e.detail) for e in entries(db, "client.group_attendance")]
    removed = [(e.record_type, e.record_id, e.detail) for e in entries(db, "client.group_attendance_removed")]
    assert added == [("client", str(ben.id), f"group session {second.id}")]
    assert removed == [("client", str(ana.id), f"group session {second.id}")]
    no_content_in_audit(db, "Ana", "Ben", "Crisis", "Wellness")

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Saved the changes to the session on {long_date(new_day)}: date, topic, length, who came." in page


def test_changing_only_who_came_still_makes_a_new_version(client, db, agency):
    second = agency["second"]
    response = client.post(url(agency), data=edit_form(agency, attendance=[str(agency["ana"].id),
                                                                           str(agency["ben"].id)]))
    assert response.status_code == 302
    db.session.refresh(second)
    assert second.version == 2
    assert [e.detail for e in entries(db, "group.session_updated")] == [f"session {second.id}; attendance"]


def test_saving_without_changes_says_so(client, db, agency):
    response = client.post(url(agency), data=edit_form(agency))
    assert response.status_code == 302
    assert "Nothing was changed." in client.get(response.headers["Location"]).get_data(as_text=True)
    db.session.refresh(agency["second"])
    assert agency["second"].version == 1
    assert entries(db, "group.session_updated") == []


def test_attendance_someone_else_recorded_for_a_client_the_editor_cannot_see_stays(client, db, agency):
    """The outside provider recorded a session with the sealed client; the coworker corrects it."""
    ana, sealed = agency["ana"], agency["sealed"]
    day = timeutil.today() - timedelta(days=2)
    theirs = make_group_session(agency["group"], agency["outside"], [sealed, ana], held_on=day)
    db.session.commit()
    edit = f"{GROUPS}/{agency['group'].id}/sessions/{theirs.id}/edit"

    page = client.get(edit).get_data(as_text=True)
    assert "Jo Sealed" not in page
    assert str(sealed.id) not in ticked_values(page)
    assert f'value="{sealed.id}"' not in page

    response = client.post(edit, data={"held_on": day.isoformat(), "topic": "Wellness tools", "minutes": "60",
                                       "attendance": [], "version": "1"})
    assert response.status_code == 302
    assert came(db, theirs.id) == {sealed.id}
    assert [e.record_id for e in entries(db, "client.group_attendance_removed")] == [str(ana.id)]

    # The session page and the group page still hide the sealed client's attendance from the coworker.
    session_page = client.get(f"{GROUPS}/{agency['group'].id}/sessions/{theirs.id}").get_data(as_text=True)
    assert "Jo Sealed" not in session_page
    assert "No clients you can see are recorded for this session." in session_page


def test_a_forged_id_of_a_client_the_editor_cannot_see_is_refused_and_audited(client, db, agency):
    second, sealed = agency["second"], agency["sealed"]
    response = client.post(url(agency), data=edit_form(agency, topic="Kept topic",
                                                       attendance=[str(agency["ana"].id), str(sealed.id)]))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Choose people from the list only" in page
    assert "Jo Sealed" not in page
    refusals = entries(db, "access.denied")
    assert [(e.record_type, e.record_id, e.outcome, e.actor_id) for e in refusals] == [
        ("client:group_attendance", str(sealed.id), "denied", agency["peer"].id)
    ]
    db.session.refresh(second)
    assert (second.topic, second.version) == ("Wellness tools", 1)
    assert came(db, second.id) == {agency["ana"].id, sealed.id}


def test_the_service_refuses_an_unseen_client_whoever_calls_it(db, agency):
    details = service.SessionDetails(agency["second"].held_on, "Wellness tools", 60)
    with pytest.raises(service.NotAllowed):
        service.update_session(agency["second"], details, [agency["sealed"].id], agency["peer"], 1)


def test_moving_a_session_onto_another_sessions_day_is_refused(client, db, agency):
    taken = agency["first"].held_on.isoformat()
    response = client.post(url(agency), data=edit_form(agency, held_on=taken))
    assert response.status_code == 400
    assert "This group already has a session on that date" in response.get_data(as_text=True)
    db.session.refresh(agency["second"])
    assert agency["second"].held_on != agency["first"].held_on


def test_a_stale_version_is_refused_with_409_and_the_input_kept(client, db, agency):
    second = agency["second"]
    opened = edit_form(agency, topic="My careful notes", minutes="45")
    # Someone else saves first.
    first_save = client.post(url(agency), data=edit_form(agency, topic="Their topic"))
    assert first_save.status_code == 302

    response = client.post(url(agency), data=opened)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else changed this session while you were editing" in page
    assert 'value="My careful notes"' in page
    assert 'value="45"' in page
    assert "Their topic" in page  # the session as it is now
    assert 'name="version" type="hidden" value="2"' in page  # saving again replaces it knowingly
    db.session.refresh(second)
    assert (second.topic, second.minutes) == ("Their topic", 60)

    again = client.post(url(agency), data=opened | {"version": "2"})
    assert again.status_code == 302
    db.session.refresh(second)
    assert (second.topic, second.minutes) == ("My careful notes", 45)


def test_a_change_saved_between_the_check_and_the_write_is_not_overwritten(db, agency):
    """The version is checked again by the database: a save that slips in between is refused (``StaleEdit``)."""
    from core.errors import StaleEdit

    second = agency["second"]
    db.session.execute(update(GroupSession).where(GroupSession.id == second.id).values(version=5)
                       .execution_options(synchronize_session=False))
    details = service.SessionDetails(second.held_on, second.topic, second.minutes)
    with pytest.raises(StaleEdit):
        service.update_session(second, details, [agency["ben"].id, agency["ana"].id], agency["peer"], 1)
    db.session.rollback()
    assert came(db, second.id) == {agency["ana"].id, agency["sealed"].id}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"minutes": "ninety"}, "Enter a whole number of minutes"),
        ({"held_on": ""}, "Enter the date of the session"),
        ({"held_on": (timeutil.today() + timedelta(days=5)).isoformat()}, "This date is in the future"),
        ({"topic": "t" * 5000, "minutes": "45"}, "Use at most 200 characters"),
        ({"attendance": ["abc"]}, "could not be coerced"),
        ({"version": ""}, "This form is missing a part"),
        ({"version": "x1"}, "This form is missing a part"),
    ],
)
def test_bad_input_is_refused_and_kept(client, db, agency, changes, message):
    data = edit_form(agency, topic="Kept topic", minutes="45") | changes
    response = client.post(url(agency), data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page
    assert f'value="{escape(data["topic"])}"' in page  # what was typed is kept
    db.session.refresh(agency["second"])
    assert (agency["second"].topic, agency["second"].version) == ("Wellness tools", 1)


# Removing a session -------------------------------------------------------------------------------------------


def test_the_removal_page_asks_first_and_names_no_one(client, agency):
    second = agency["second"]
    response = client.get(url(agency, action="delete"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"Remove the session on {long_date(second.held_on)}?" in page
    assert "The attendance of everyone recorded as attending" in page
    assert "usa-button--secondary" in page
    assert 'name="version" type="hidden" value="1"' in page
    assert "Jo Sealed" not in page
    assert "Ana Attends" not in page
    assert not re.search(r"\b2 (people|clients)\b", page)


def test_remove_a_session_with_all_its_attendance(client, db, agency):
    second, group = agency["second"], agency["group"]
    second_id, day = second.id, second.held_on
    response = client.post(url(agency, action="delete"), data={"version": "1"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{GROUPS}/{group.id}")
    db.session.expire_all()
    assert db.session.get(GroupSession, second_id) is None
    assert came(db, second_id) == set()  # the sealed client's row too
    [removed] = entries(db, "group.session_removed")
    assert (removed.record_type, removed.record_id, removed.detail) == (
        "group", str(group.id), f"session {second_id}; 2 attendance rows"
    )
    per_client = {e.record_id for e in entries(db, "client.group_attendance_removed")}
    assert per_client == {str(agency["ana"].id), str(agency["sealed"].id)}
    no_content_in_audit(db, "Ana", "Jo", "Wellness")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"The session on {long_date(day)} is removed" in page


def test_a_stale_removal_is_refused_with_409(client, db, agency):
    second = agency["second"]
    assert client.post(url(agency), data=edit_form(agency, topic="Changed meanwhile")).status_code == 302
    response = client.post(url(agency, action="delete"), data={"version": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else changed this session after you opened this page" in page
    assert "Changed meanwhile" in page
    assert 'name="version" type="hidden" value="2"' in page
    assert db.session.get(GroupSession, second.id) is not None
    assert entries(db, "group.session_removed") == []


def test_a_removal_without_its_version_is_refused(client, db, agency):
    response = client.post(url(agency, action="delete"), data={})
    assert response.status_code == 400
    assert "This form is missing a part" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(GroupSession)) == 2


# Who may, and what they are shown -----------------------------------------------------------------------------


def test_someone_who_may_not_manage_the_group_is_refused(app, db, agency):
    stranger = make_staff("peer", teams=[agency["other"]], program=agency["other"].program)
    db.session.commit()
    other = sign_in(app, stranger)
    for action in ("edit", "delete"):
        assert other.get(url(agency, action=action)).status_code == 403
    assert other.post(url(agency), data=edit_form(agency, topic="Hijacked")).status_code == 403
    assert other.post(url(agency, action="delete"), data={"version": "1"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(GroupSession, agency["second"].id).topic == "Wellness tools"
    refused = {e.record_type for e in entries(db, "access.denied") if e.actor_id == stranger.id}
    assert refused == {"PeerGroup:group.manage"}


@pytest.mark.parametrize("action", ["edit", "delete"])
def test_unknown_or_mismatched_sessions_are_404(client, db, agency, action):
    other_group = make_peer_group(agency["peer"])
    db.session.commit()
    group_id, session_id = agency["group"].id, agency["second"].id
    for path in (f"/999999/sessions/{session_id}", f"/{group_id}/sessions/999999",
                 f"/{other_group.id}/sessions/{session_id}"):
        assert client.get(f"{GROUPS}{path}/{action}").status_code == 404
        assert client.post(f"{GROUPS}{path}/{action}", data={"version": "1"}).status_code == 404


def test_the_links_are_shown_only_to_people_who_may_manage_the_group(app, client, db, agency):
    session_page = f"{GROUPS}/{agency['group'].id}/sessions/{agency['second'].id}"
    page = client.get(session_page).get_data(as_text=True)
    assert "Change this session" in page
    assert "Remove this session" in page
    assert url(agency) in page
    assert url(agency, action="delete") in page

    stranger = make_staff("peer", teams=[agency["other"]], program=agency["other"].program)
    db.session.commit()
    for viewer in (stranger, agency["outside"]):
        theirs = sign_in(app, viewer).get(session_page)
        assert theirs.status_code == 200
        text = theirs.get_data(as_text=True)
        assert "Change this session" not in text
        assert "Remove this session" not in text
