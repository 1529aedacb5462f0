"""Inviting a person: the account, the queued email, the link, and the errors."""

from __future__ import annotations

import re

import pytest

from core.models import AuditEntry, OutboxEmail, Staff, StaffStatus
from tests.factories import make_program, make_staff, make_team


@pytest.fixture
def setting(db, login_as):
    admin = login_as("admin", name="Alex Admin")
    crp = make_program("CRP", "Community Reintegration Program")
    day = make_team(crp, "Day program")
    intake = make_team(crp, "Referral intake")
    boss = make_staff("supervisor", name="Sam Okafor", email="sam@example.org", program=crp)
    db.session.commit()
    return {"admin": admin, "crp": crp, "day": day, "intake": intake, "boss": boss}


def form_data(setting, **overrides):
    data = {
        "name": "Jordan Blake",
        "email": "Jordan.Blake@Example.org",
        "job_title": "Peer specialist",
        "roles": ["peer"],
        "program": str(setting["crp"].id),
        "teams": [str(setting["day"].id), str(setting["intake"].id)],
        "supervisor": str(setting["boss"].id),
    }
    data.update(overrides)
    return data


def invited(db) -> Staff | None:
    return db.session.query(Staff).filter_by(email="jordan.blake@example.org").one_or_none()


def test_the_form_shows_every_field(client, setting):
    page = client.get("/admin/staff/invite").get_data(as_text=True)
    for name in ("name", "email", "job_title", "roles", "program", "teams", "supervisor"):
        assert f'name="{name}"' in page
    assert 'type="checkbox"' in page
    assert "Sam Okafor (sam@example.org)" in page  # active staff to choose as supervisor


def test_inactive_staff_are_not_offered_as_supervisor(client, db, setting):
    make_staff("supervisor", name="Gone Person", status=StaffStatus.DEACTIVATED)
    make_staff("supervisor", name="Not Yet", status=StaffStatus.INVITED)
    db.session.commit()
    page = client.get("/admin/staff/invite").get_data(as_text=True)
    assert "Gone Person" not in page
    assert "Not Yet" not in page


def test_invite_creates_an_invited_account_and_queues_the_email(client, db, setting):
    response = client.post("/admin/staff/invite", data=form_data(setting))
    assert response.status_code == 302
    staff = invited(db)
    assert staff is not None
    assert response.headers["Location"] == f"/admin/staff/{staff.id}/invitation"
    assert staff.status == StaffStatus.INVITED
    assert staff.password_hash is None
    assert staff.name == "Jordan Blake"
    assert staff.job_title == "Peer specialist"
    assert staff.roles == {"peer"}
    assert staff.program_id == setting["crp"].id
    assert {team.name for team in staff.teams} == {"Day program", "Referral intake"}
    assert staff.supervisor_id == setting["boss"].id

    email = db.session.query(OutboxEmail).one()
    assert email.kind == "invitation"
    assert email.to_address == "jordan.blake@example.org"
    assert email.sent_at is None
    link = re.search(r"http://localhost/invite/\S+", email.body).group(0)
    assert "Jordan Blake" in email.body

    entry = db.session.query(AuditEntry).filter_by(action="staff.invited").one()
    assert entry.record_id == str(staff.id)
    assert entry.actor_id == setting["admin"].id
    assert "jordan" not in entry.detail.lower()
    assert "invite/" not in entry.detail

    # The confirmation page shows a working link to hand over
    confirmation = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Invitation for Jordan Blake" in confirmation
    shown = re.search(r"http://localhost/invite/[^<\s]+", confirmation).group(0)
    assert "Email sending is not set up yet" in confirmation
    for url in (link, shown):
        path = url.removeprefix("http://localhost")
        accept = client.get(path)
        assert accept.status_code == 200
        assert "Welcome, Jordan Blake" in accept.get_data(as_text=True)


def test_base_url_is_the_base_of_the_link(app, client, db, setting):
    app.config["BASE_URL"] = "https://peerworks.agency.example/"
    client.post("/admin/staff/invite", data=form_data(setting))
    email = db.session.query(OutboxEmail).one()
    assert "https://peerworks.agency.example/invite/" in email.body
    assert "localhost" not in email.body


def test_the_invited_person_can_set_a_password_with_the_link(client, db, setting):
    client.post("/admin/staff/invite", data=form_data(setting))
    path = re.search(r"http://localhost(/invite/\S+)", db.session.query(OutboxEmail).one().body).group(1)
    other = client.application.test_client()
    response = other.post(path, data={"new_password": "a long and unusual passphrase",
                                      "confirm_password": "a long and unusual passphrase"})
    assert response.status_code == 302
    db.session.expire_all()
    assert invited(db).status == StaffStatus.ACTIVE


@pytest.mark.parametrize("email", ["jordan.blake@example.org", "JORDAN.BLAKE@EXAMPLE.ORG", " Jordan.Blake@ex.org "])
def test_duplicate_email_is_a_field_error(client, db, setting, email):
    make_staff("peer", email=email.strip().lower(), name="The First Jordan")
    db.session.commit()
    response = client.post("/admin/staff/invite", data=form_data(setting, email=email, name="Second Jordan"))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "already has an account" in page
    assert 'id="email-error"' in page
    assert 'value="Second Jordan"' in page  # input kept
    assert db.session.query(Staff).filter(Staff.name == "Second Jordan").count() == 0
    assert db.session.query(OutboxEmail).count() == 0
    assert db.session.query(AuditEntry).filter_by(action="staff.invited").count() == 0


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"roles": []}, "roles", "Choose at least one role."),
        ({"name": "  "}, "name", "Enter the person&#39;s full name."),
        ({"email": "not-an-email"}, "email", "Enter an email address in the form name@example.org."),
        ({"email": ""}, "email", "Enter the person&#39;s work email address."),
        ({"roles": ["wizard"]}, "roles", "Choose from the list."),
        ({"teams": ["99999"]}, "teams", "Choose from the list."),
        ({"program": "abc"}, "program", "Choose from the list."),
        ({"name": "x" * 121}, "name", "Use at most 120 characters."),
    ],
)
def test_bad_input_is_shown_next_to_the_field(client, db, setting, overrides, field, message):
    response = client.post("/admin/staff/invite", data=form_data(setting, **overrides))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page
    assert f'id="{field}-error"' in page
    assert "Please fix" in page  # the error summary
    assert invited(db) is None
    assert db.session.query(OutboxEmail).count() == 0


def test_a_deactivated_supervisor_cannot_be_chosen(client, db, setting):
    gone = make_staff("supervisor", status=StaffStatus.DEACTIVATED)
    db.session.commit()
    response = client.post("/admin/staff/invite", data=form_data(setting, supervisor=str(gone.id)))
    assert response.status_code == 400
    assert invited(db) is None


def test_invitation_page_is_only_for_open_invitations(client, db, setting):
    response = client.get(f"/admin/staff/{setting['boss'].id}/invitation")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/staff/{setting['boss'].id}"
    assert client.get("/admin/staff/99999/invitation").status_code == 404


def test_get_changes_nothing(client, db, setting):
    client.get("/admin/staff/invite")
    assert db.session.query(Staff).count() == 2
    assert db.session.query(OutboxEmail).count() == 0
