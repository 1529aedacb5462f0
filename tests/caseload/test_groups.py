"""Peer-led groups: the list with session counts and average attendance, groups, sessions and attendance, all
computed inside the viewer's visibility scope."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from caseload.models import Attendance, GroupSession, PeerGroup
from core import timeutil
from core.models import AuditEntry, Staff, Team
from tests.factories import (
    assign,
    make_client,
    make_group_session,
    make_peer_group,
    make_staff,
    make_team,
    seal,
    start_session,
)
from tests.queries import counting_queries

GROUPS = "/caseload/groups"


@pytest.fixture
def agency(db, login_as):
    """A CRP peer who facilitates a WRAP group; a colleague on the team is also a client and came to it."""
    crp = make_team(name="Day program")
    other = make_team(name="MHICM north")
    peer = login_as("peer", teams=[crp], program=crp.program)
    colleague = make_staff("peer", teams=[crp], program=crp.program)
    outside = make_staff("staff", teams=[other], program=other.program)
    ana = make_client("Ana Attends", program=crp.program)
    ben = make_client("Ben Attends", program=crp.program)
    sealed = make_client("Jo Sealed", program=crp.program)
    assign(sealed, outside, "clinician")
    seal(sealed, colleague)
    group = make_peer_group(peer, name="Tuesday WRAP", kind="wrap", program=crp.program, meets="Tuesdays 10:00")
    first = make_group_session(group, peer, [ana, ben, sealed], held_on=timeutil.today() - timedelta(days=14))
    second = make_group_session(group, peer, [ana, sealed], held_on=timeutil.today() - timedelta(days=7))
    db.session.commit()
    return locals()


def sign_in(app, staff: Staff):
    token = start_session(staff)
    other = app.test_client()
    with other.session_transaction() as session:
        session["_user_id"] = token
    return other


# The list ---------------------------------------------------------------------------------------------------


def test_the_list_counts_sessions_and_averages_only_visible_attendance(client, agency):
    page = client.get(GROUPS).get_data(as_text=True)
    assert "Tuesday WRAP" in page
    assert "WRAP (Wellness Recovery Action Plan)" in page
    assert agency["peer"].name in page
    # two sessions; the co-worker sees 2 and 1 attendees (the sealed colleague is not counted): average 1.5
    assert '<td class="text-right">2</td>' in page
    assert '<td class="text-right">1.5</td>' in page


def test_the_outside_provider_counts_the_sealed_client_they_serve(app, agency):
    # They see only the sealed client (not the CRP clients): 1 attendee at each session.
    page = sign_in(app, agency["outside"]).get(GROUPS).get_data(as_text=True)
    assert '<td class="text-right">1.0</td>' in page


def test_the_list_searches_and_filters(client, db, agency):
    make_peer_group(agency["peer"], name="Hearing voices", kind="self_help")
    db.session.commit()
    assert "Hearing voices" not in client.get(GROUPS, query_string={"q": "wrap"}).get_data(as_text=True)
    by_kind = client.get(GROUPS, query_string={"kind": "self_help"}).get_data(as_text=True)
    assert "Hearing voices" in by_kind
    assert "Tuesday WRAP" not in by_kind
    bad = client.get(GROUPS, query_string={"kind": "cult", "q": "x" * 5000})
    assert bad.status_code == 400
    assert "We could not use this filter" in bad.get_data(as_text=True)
    assert "No groups match your search" in client.get(GROUPS, query_string={"q": "100%_"}).get_data(as_text=True)


def test_an_empty_list_says_what_to_do(client, db, agency):
    db.session.execute(Attendance.__table__.delete())
    db.session.execute(GroupSession.__table__.delete())
    db.session.execute(PeerGroup.__table__.delete())
    db.session.commit()
    page = client.get(GROUPS).get_data(as_text=True)
    assert "No groups yet" in page


def _statements_for_groups(client, db, team_id: int, how_many: int) -> int:
    team = db.session.get(Team, team_id)
    people = [make_staff("peer", teams=[team]) for _ in range(3)]
    attendees = [make_client(program=team.program) for _ in range(3)]
    for n in range(how_many):
        group = make_peer_group(people[n % 3], program=team.program, name=f"Group {n:02d}")
        make_group_session(group, people[0], attendees[: n % 3 + 1], held_on=date(2024, 1, 1) + timedelta(days=n))
    db.session.commit()
    client.get(GROUPS)  # warm up: the first audit entry ever also creates the log's head row
    db.session.expunge_all()
    with counting_queries() as statements:
        response = client.get(GROUPS)
    assert response.status_code == 200
    return len(statements)


def test_the_list_query_count_does_not_grow(client, db, agency):
    team_id = agency["crp"].id
    db.session.execute(Attendance.__table__.delete())
    db.session.execute(GroupSession.__table__.delete())
    db.session.execute(PeerGroup.__table__.delete())
    db.session.commit()
    few = _statements_for_groups(client, db, team_id, 2)
    db.session.execute(Attendance.__table__.delete())
    db.session.execute(GroupSession.__table__.delete())
    db.session.execute(PeerGroup.__table__.delete())
    db.session.commit()
    many = _statements_for_groups(client, db, team_id, 12)
    assert few == many


# Creating and changing a group ------------------------------------------------------------------------------


def group_form(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {"name": "Thursday IMR", "kind": "imr", "facilitator": "", "program": "",
                               "meets": "Thursdays 14:00, room 2", "active": "y"}
    data.update(changes)
    return data


def test_create_a_group(client, db, agency):
    response = client.post(f"{GROUPS}/new", data=group_form(facilitator=agency["peer"].id,
                                                            program=agency["crp"].program.id))
    assert response.status_code == 302
    group = db.session.scalar(select(PeerGroup).where(PeerGroup.name == "Thursday IMR"))
    assert (group.kind, group.facilitator_id, group.program_id) == ("imr", agency["peer"].id, agency["crp"].program.id)
    assert group.active is True
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "group.created"))


def test_the_new_group_form_defaults_to_me(client, agency):
    page = client.get(f"{GROUPS}/new").get_data(as_text=True)
    assert f'<option selected value="{agency["peer"].id}">' in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "Enter the group&#39;s name"),
        ({"name": "n" * 5000}, "Use at most 160 characters"),
        ({"meets": "m" * 5000}, "Use at most 200 characters"),
        ({"kind": "secret"}, "Choose a kind of group from the list"),
        ({"facilitator": ""}, "Choose who facilitates the group"),
        ({"facilitator": "999999"}, "Choose a facilitator from the list"),
        ({"facilitator": "abc"}, "Choose who facilitates the group"),
        ({"program": "999999"}, "Choose a program from the list"),
    ],
)
def test_bad_group_input_is_refused(client, db, agency, changes, message):
    data = group_form(**{"facilitator": agency["peer"].id, **changes})
    response = client.post(f"{GROUPS}/new", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(PeerGroup)) == 1


def test_edit_a_group(client, db, agency):
    group = agency["group"]
    assert f'name="version" type="hidden" value="{group.version}"' in client.get(f"{GROUPS}/{group.id}/edit").text
    response = client.post(f"{GROUPS}/{group.id}/edit", data=group_form(
        name="Tuesday WRAP", kind="wrap", facilitator=agency["peer"].id, program=agency["crp"].program.id,
        meets="Tuesdays 11:00", active="", version=str(group.version)))
    assert response.status_code == 302
    db.session.refresh(group)
    assert group.meets == "Tuesdays 11:00"
    assert group.active is False
    assert group.version == 2
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "group.updated"))
    assert entry.detail == "meets, active"


def test_a_group_saved_from_two_tabs_is_never_silently_overwritten(client, db, agency):
    group = agency["group"]
    details = {"name": "Tuesday WRAP", "kind": "wrap", "facilitator": agency["peer"].id,
               "program": agency["crp"].program.id, "active": "y"}
    # Both tabs open the form at the same version; the first saves.
    opened = str(group.version)
    first = client.post(f"{GROUPS}/{group.id}/edit", data=group_form(**details, meets="Tuesdays 11:00",
                                                                     version=opened))
    assert first.status_code == 302

    second = client.post(f"{GROUPS}/{group.id}/edit", data=group_form(**details, meets="Wednesdays at noon",
                                                                      version=opened))

    assert second.status_code == 409
    page = second.text
    assert "Someone else changed this group while you were editing" in page
    assert 'value="Wednesdays at noon"' in page  # the second tab's input is kept
    assert "Tuesdays 11:00" in page  # beside the details as they are now
    db.session.refresh(group)
    assert (group.meets, group.version) == ("Tuesdays 11:00", 2)
    assert f'name="version" type="hidden" value="{group.version}"' in page  # saving again is a deliberate choice
    assert len(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "group.updated")).all()) == 1


@pytest.mark.parametrize("version", ["", "x1"])
def test_a_group_form_without_its_version_is_refused(client, db, agency, version):
    group = agency["group"]
    response = client.post(f"{GROUPS}/{group.id}/edit", data=group_form(facilitator=agency["peer"].id,
                                                                        version=version))
    assert response.status_code == 400
    assert "This form is missing a part" in response.text
    db.session.refresh(group)
    assert group.version == 1


def test_someone_outside_the_group_may_not_change_it(app, db, agency):
    stranger = make_staff("peer", teams=[agency["other"]], program=agency["other"].program)
    db.session.commit()
    other = sign_in(app, stranger)
    group_id = agency["group"].id
    assert other.get(f"{GROUPS}/{group_id}/edit").status_code == 403
    assert other.post(f"{GROUPS}/{group_id}/sessions/new", data={"held_on": "2024-01-01"}).status_code == 403
    assert other.get(f"{GROUPS}/{group_id}").status_code == 200  # reading the group is fine


@pytest.mark.parametrize("path", ["/999999", "/999999/edit", "/999999/sessions/new", "/999999/sessions/1"])
def test_unknown_groups_are_404(client, agency, path):
    assert client.get(f"{GROUPS}{path}").status_code == 404


def test_a_session_of_another_group_is_404(client, db, agency):
    other_group = make_peer_group(agency["peer"])
    db.session.commit()
    assert client.get(f"{GROUPS}/{other_group.id}/sessions/{agency['first'].id}").status_code == 404


# The group page and its sessions ----------------------------------------------------------------------------


def test_the_group_page_counts_only_visible_attendance(client, agency):
    page = client.get(f"{GROUPS}/{agency['group'].id}").get_data(as_text=True)
    assert page.count('<td class="text-right">2</td>') == 1  # the first session: Ana and Ben
    assert page.count('<td class="text-right">1</td>') == 1  # the second: Ana (the sealed colleague uncounted)
    assert "Record a session" in page


def test_the_session_page_lists_only_visible_attendees(client, db, agency):
    page = client.get(f"{GROUPS}/{agency['group'].id}/sessions/{agency['first'].id}").get_data(as_text=True)
    assert "Ana Attends" in page
    assert "Ben Attends" in page
    assert "Jo Sealed" not in page
    assert "2 clients you can see" in page


def test_the_new_session_form_offers_only_visible_clients(client, agency):
    page = client.get(f"{GROUPS}/{agency['group'].id}/sessions/new").get_data(as_text=True)
    assert "Ana Attends" in page
    assert f'value="{agency["sealed"].id}"' not in page
    assert "Jo Sealed" not in page


def session_form(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {"held_on": timeutil.today().isoformat(), "topic": "Wellness toolbox", "minutes": "90"}
    data.update(changes)
    return data


def test_record_a_session_audits_each_attendee_without_names(client, db, agency):
    ana, ben = agency["ana"], agency["ben"]
    response = client.post(f"{GROUPS}/{agency['group'].id}/sessions/new",
                           data=session_form(attendance=[str(ana.id), str(ben.id)]))
    assert response.status_code == 302
    session = db.session.scalar(select(GroupSession).where(GroupSession.topic == "Wellness toolbox"))
    assert session.minutes == 90
    came = set(db.session.scalars(select(Attendance.client_id).where(Attendance.session_id == session.id)))
    assert came == {ana.id, ben.id}
    entries = list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "client.group_attendance")))
    assert {(e.record_type, e.record_id) for e in entries} == {("client", str(ana.id)), ("client", str(ben.id))}
    for entry in db.session.scalars(select(AuditEntry)):
        assert "Ana" not in entry.detail
        assert "Wellness" not in entry.detail


def test_a_sealed_client_cannot_be_ticked_by_a_coworker(client, db, agency):
    response = client.post(f"{GROUPS}/{agency['group'].id}/sessions/new",
                           data=session_form(attendance=[str(agency["ana"].id), str(agency["sealed"].id)]))
    assert response.status_code == 400
    assert "Choose people from the list only" in response.get_data(as_text=True)
    refusals = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "access.denied")).all()
    assert [(e.record_id, e.outcome, e.actor_id) for e in refusals] == [
        (str(agency["sealed"].id), "denied", agency["peer"].id)
    ]
    assert db.session.scalar(select(func.count()).select_from(GroupSession)) == 2


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"held_on": ""}, "Enter the date of the session"),
        ({"held_on": (timeutil.today() + timedelta(days=5)).isoformat()}, "This date is in the future"),
        ({"held_on": "31/12/2024"}, "Enter the date as year-month-day"),
        ({"held_on": "1999-01-01"}, "Check the year"),
        ({"topic": "t" * 5000}, "Use at most 200 characters"),
        ({"minutes": "0"}, "Enter a number of minutes from 1 to 600"),
        ({"minutes": "5000"}, "Enter a number of minutes from 1 to 600"),
        ({"minutes": "ninety"}, "Enter a whole number of minutes"),
        ({"minutes": ""}, "Enter how long the session lasted"),
        ({"attendance": ["abc"]}, "could not be coerced"),
        ({"attendance": ["999999"]}, "Choose people from the list only"),
    ],
)
def test_bad_session_input_is_refused(client, db, agency, changes, message):
    response = client.post(f"{GROUPS}/{agency['group'].id}/sessions/new", data=session_form(**changes))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(GroupSession)) == 2


def test_two_sessions_on_one_day_are_refused(client, db, agency):
    taken = agency["second"].held_on.isoformat()
    response = client.post(f"{GROUPS}/{agency['group'].id}/sessions/new", data=session_form(held_on=taken))
    assert response.status_code == 400
    assert "already has a session on that date" in response.get_data(as_text=True)


def test_the_outside_provider_sees_the_sealed_attendee(app, agency):
    other = sign_in(app, agency["outside"])
    page = other.get(f"{GROUPS}/{agency['group'].id}/sessions/{agency['first'].id}").get_data(as_text=True)
    assert "Jo Sealed" in page
    assert "Ana Attends" not in page
