"""One person: editing with optimistic concurrency, supervisor rules, deactivation, reactivation, invitations."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import update

from core import policy
from core.admin.services import staff as service
from core.errors import InvalidInput
from core.models import AuditEntry, AuthSession, OutboxEmail, Staff, StaffStatus
from tests.factories import make_program, make_staff, make_team, start_session


@pytest.fixture
def setting(db, login_as):
    admin = login_as("admin", name="Alex Admin")
    crp = make_program("CRP", "Community Reintegration Program")
    day = make_team(crp, "Day program")
    intake = make_team(crp, "Referral intake")
    boss = make_staff("supervisor", name="Sam Okafor", program=crp)
    pat = make_staff("peer", name="Pat Delgado", program=crp, teams=[day], supervisor=boss)
    db.session.commit()
    return {"admin": admin, "crp": crp, "day": day, "intake": intake, "boss": boss, "pat": pat}


def edit_data(person: Staff, **overrides):
    data = {
        "name": person.name,
        "job_title": person.job_title,
        "roles": sorted(person.roles),
        "program": str(person.program_id or ""),
        "teams": [str(team.id) for team in person.teams],
        "supervisor": str(person.supervisor_id or ""),
        "version": str(person.version),
    }
    data.update(overrides)
    return data


def checked(page: str, name: str, value: str) -> bool:
    """True when the checkbox name=value is rendered ticked."""
    for tag in re.findall(r"<input [^>]*>", page):
        if f'name="{name}"' in tag and f'value="{value}"' in tag:
            return " checked" in tag
    raise AssertionError(f"no checkbox {name}={value}")


def actions(db, name: str) -> list[AuditEntry]:
    return db.session.query(AuditEntry).filter_by(action=name).all()


def test_the_page_shows_the_person_and_the_form(client, setting):
    pat = setting["pat"]
    response = client.get(f"/admin/staff/{pat.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1>Pat Delgado</h1>" in page
    assert f'name="version" type="hidden" value="{pat.version}"' in page
    assert checked(page, "roles", "peer")
    assert not checked(page, "roles", "hr")
    assert "Deactivate Pat Delgado" in page


def test_missing_person_is_404(client, setting):
    assert client.get("/admin/staff/99999").status_code == 404
    assert client.post("/admin/staff/99999", data={}).status_code == 404
    assert client.post("/admin/staff/99999/deactivate").status_code == 404


def test_edit_saves_and_audits_the_changed_field_names(client, db, setting):
    pat = setting["pat"]
    version = pat.version
    data = edit_data(pat, roles=["peer", "supervisor"], teams=[str(setting["day"].id), str(setting["intake"].id)])
    response = client.post(f"/admin/staff/{pat.id}", data=data)
    assert response.status_code == 302
    db.session.expire_all()
    assert pat.roles == {"peer", "supervisor"}
    assert {team.name for team in pat.teams} == {"Day program", "Referral intake"}
    assert pat.version == version + 1  # roles and teams live in other tables, but still move the version on
    [entry] = actions(db, "staff.updated")
    assert entry.detail == "roles, teams"
    assert entry.record_id == str(pat.id)
    page = client.get(f"/admin/staff/{pat.id}").get_data(as_text=True)
    assert "Saved the changes to Pat Delgado: roles, teams." in page


def test_edit_of_name_job_program_and_supervisor(client, db, setting):
    pat = setting["pat"]
    data = edit_data(pat, name="Pat D. Delgado", job_title="Senior peer specialist", program="", supervisor="")
    assert client.post(f"/admin/staff/{pat.id}", data=data).status_code == 302
    db.session.expire_all()
    assert pat.name == "Pat D. Delgado"
    assert pat.job_title == "Senior peer specialist"
    assert pat.program_id is None
    assert pat.supervisor_id is None
    assert actions(db, "staff.updated")[0].detail == "name, job_title, program, supervisor"


def test_saving_without_changes_changes_nothing(client, db, setting):
    pat = setting["pat"]
    version = pat.version
    response = client.post(f"/admin/staff/{pat.id}", data=edit_data(pat), follow_redirects=True)
    assert "Nothing was changed." in response.get_data(as_text=True)
    db.session.expire_all()
    assert pat.version == version
    assert actions(db, "staff.updated") == []


def test_conflict_keeps_the_input_and_shows_the_new_values(client, db, setting):
    pat = setting["pat"]
    form = edit_data(pat, name="My New Name", roles=["peer", "hr"])
    # Someone else saves first
    service.update_staff(pat, service.StaffDetails(name="Their Name", roles=frozenset({"peer"}),
                                                   program_id=pat.program_id, team_ids=frozenset(),
                                                   supervisor_id=pat.supervisor_id),
                         actor=setting["admin"], expected_version=pat.version)
    db.session.commit()

    response = client.post(f"/admin/staff/{pat.id}", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else changed this person while you were editing" in page
    assert "Their Name" in page  # the new value
    assert 'value="My New Name"' in page  # the user's input, kept
    assert checked(page, "roles", "hr")
    db.session.expire_all()
    assert pat.name == "Their Name"
    assert f'name="version" type="hidden" value="{pat.version}"' in page  # sending again is a deliberate overwrite
    assert len(actions(db, "staff.updated")) == 1

    again = client.post(f"/admin/staff/{pat.id}", data=edit_data(pat, name="My New Name", roles=["peer", "hr"]))
    assert again.status_code == 302
    db.session.expire_all()
    assert pat.name == "My New Name"


def test_conflict_at_the_last_moment_is_also_409(client, db, setting, monkeypatch):
    """Another request commits between loading the record and saving it: the version column catches it."""
    pat = setting["pat"]
    real_resolve = service._resolve

    def resolve_then_someone_else_saves(details, staff):
        resolved = real_resolve(details, staff)
        db.session.execute(
            update(Staff).where(Staff.id == staff.id).values(version=Staff.version + 1, name="Sneaky Edit")
            .execution_options(synchronize_session=False)
        )
        return resolved

    monkeypatch.setattr(service, "_resolve", resolve_then_someone_else_saves)
    response = client.post(f"/admin/staff/{pat.id}", data=edit_data(pat, name="Mine"))
    assert response.status_code == 409
    assert 'value="Mine"' in response.get_data(as_text=True)


def test_tampered_version_is_an_error_not_a_crash(client, setting):
    pat = setting["pat"]
    response = client.post(f"/admin/staff/{pat.id}", data=edit_data(pat, version="abc"))
    assert response.status_code == 400
    assert "Reload the page and try again." in response.get_data(as_text=True)


def test_a_person_cannot_supervise_themself(client, db, setting):
    pat = setting["pat"]
    page = client.get(f"/admin/staff/{pat.id}").get_data(as_text=True)
    assert f'<option value="{pat.id}"' not in page
    response = client.post(f"/admin/staff/{pat.id}", data=edit_data(pat, supervisor=str(pat.id)))
    assert response.status_code == 400
    with pytest.raises(InvalidInput) as refused:
        service.update_staff(pat, service.StaffDetails(name=pat.name, roles=frozenset({"peer"}), supervisor_id=pat.id),
                             actor=setting["admin"], expected_version=pat.version)
    assert "own supervisor" in refused.value.problems["supervisor"]


def test_supervisor_cycles_are_refused(client, db, setting):
    boss, pat = setting["boss"], setting["pat"]
    lead = make_staff("peer", name="Lee Lead", supervisor=pat)  # boss -> pat -> lead
    db.session.commit()
    response = client.post(f"/admin/staff/{boss.id}", data=edit_data(boss, supervisor=str(lead.id)))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "circle" in page
    db.session.expire_all()
    assert boss.supervisor_id is None
    assert actions(db, "staff.updated") == []


def test_admin_cannot_remove_their_own_admin_role(client, db, setting):
    admin = setting["admin"]
    response = client.post(f"/admin/staff/{admin.id}", data=edit_data(admin, roles=["peer"]))
    assert response.status_code == 400
    assert "cannot remove the administrator role from yourself" in response.get_data(as_text=True)
    db.session.expire_all()
    assert "admin" in admin.roles


def test_deactivation_ends_every_session_and_signs_the_person_out(app, client, db, setting):
    pat = setting["pat"]
    token = start_session(pat)
    pats_client = app.test_client()
    with pats_client.session_transaction() as cookie:
        cookie["_user_id"] = token
    assert pats_client.get("/").status_code == 200

    response = client.post(f"/admin/staff/{pat.id}/deactivate")
    assert response.status_code == 302
    db.session.expire_all()
    assert pat.status == StaffStatus.DEACTIVATED
    assert pat.deactivated_at is not None
    assert db.session.query(AuthSession).filter_by(staff_id=pat.id, revoked_at=None).count() == 0
    assert len(actions(db, "staff.deactivated")) == 1

    signed_out = pats_client.get("/")
    assert signed_out.status_code == 302
    assert signed_out.headers["Location"].startswith("/login")


def test_a_deactivation_that_meets_a_concurrent_save_changes_nothing(client, db, setting, monkeypatch):
    """Another request saves the person between loading them and deactivating them: the version column catches it,
    the deactivation is undone (sessions included) and the page says to check and try again."""
    pat = setting["pat"]
    start_session(pat)
    real_authorize = policy.authorize

    def authorize_then_someone_else_saves(user, action, record=None):  # the view has loaded the person
        real_authorize(user, action, record)
        db.session.execute(
            update(Staff).where(Staff.id == pat.id).values(version=Staff.version + 1, job_title="Changed meanwhile")
            .execution_options(synchronize_session=False)
        )

    monkeypatch.setattr(policy, "authorize", authorize_then_someone_else_saves)
    response = client.post(f"/admin/staff/{pat.id}/deactivate", follow_redirects=True)
    assert "Someone else changed this person at the same moment" in response.get_data(as_text=True)
    db.session.expire_all()
    assert pat.status == StaffStatus.ACTIVE
    assert pat.job_title != "Changed meanwhile"  # rolled back with the rest of the request
    assert db.session.query(AuthSession).filter_by(staff_id=pat.id, revoked_at=None).count() == 1
    assert actions(db, "staff.deactivated") == []


def test_admin_cannot_deactivate_themself(client, db, setting):
    admin = setting["admin"]
    response = client.post(f"/admin/staff/{admin.id}/deactivate", follow_redirects=True)
    assert "You cannot deactivate your own account" in response.get_data(as_text=True)
    db.session.expire_all()
    assert admin.status == StaffStatus.ACTIVE
    assert actions(db, "staff.deactivated") == []


def test_reactivate(client, db, setting):
    pat = setting["pat"]
    client.post(f"/admin/staff/{pat.id}/deactivate")
    response = client.post(f"/admin/staff/{pat.id}/reactivate", follow_redirects=True)
    assert "is active again" in response.get_data(as_text=True)
    db.session.expire_all()
    assert pat.status == StaffStatus.ACTIVE
    assert pat.deactivated_at is None
    assert len(actions(db, "staff.reactivated")) == 1


def test_reactivating_someone_who_never_set_a_password_makes_them_invited(client, db, setting):
    newcomer = make_staff("peer", status=StaffStatus.DEACTIVATED)
    newcomer.password_hash = None
    db.session.commit()
    client.post(f"/admin/staff/{newcomer.id}/reactivate")
    db.session.expire_all()
    assert newcomer.status == StaffStatus.INVITED


def test_reactivating_an_active_person_is_refused(client, db, setting):
    response = client.post(f"/admin/staff/{setting['pat'].id}/reactivate", follow_redirects=True)
    assert "is not deactivated" in response.get_data(as_text=True)
    assert actions(db, "staff.reactivated") == []


def test_resend_invitation(client, db, setting):
    newcomer = make_staff("peer", name="Nia New", status=StaffStatus.INVITED)
    newcomer.password_hash = None
    db.session.commit()
    page = client.get(f"/admin/staff/{newcomer.id}").get_data(as_text=True)
    assert "Resend invitation" in page
    response = client.post(f"/admin/staff/{newcomer.id}/resend-invitation")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/staff/{newcomer.id}/invitation"
    email = db.session.query(OutboxEmail).one()
    assert email.kind == "invitation"
    assert email.to_address == newcomer.email
    assert re.search(r"/invite/\S+", email.body)
    [entry] = actions(db, "staff.invitation_resent")
    assert entry.record_id == str(newcomer.id)
    assert entry.detail == ""


def test_resend_is_only_for_invited_people(client, db, setting):
    pat = setting["pat"]
    assert "Resend invitation" not in client.get(f"/admin/staff/{pat.id}").get_data(as_text=True)
    response = client.post(f"/admin/staff/{pat.id}/resend-invitation", follow_redirects=True)
    assert "nothing to resend" in response.get_data(as_text=True)
    assert db.session.query(OutboxEmail).count() == 0
    assert actions(db, "staff.invitation_resent") == []


def test_actions_need_post(client, setting):
    pat = setting["pat"]
    for action in ("deactivate", "reactivate", "resend-invitation"):
        assert client.get(f"/admin/staff/{pat.id}/{action}").status_code == 405


def test_viewing_changes_nothing(client, db, setting):
    before = db.session.query(AuditEntry).count()
    client.get(f"/admin/staff/{setting['pat'].id}")
    assert db.session.query(AuditEntry).count() == before


def test_a_deactivated_supervisor_can_be_kept_but_not_newly_chosen(client, db, setting):
    boss, pat = setting["boss"], setting["pat"]
    gone = make_staff("supervisor", name="Gale Gone", status=StaffStatus.DEACTIVATED)
    boss.status = StaffStatus.DEACTIVATED
    db.session.commit()
    page = client.get(f"/admin/staff/{pat.id}").get_data(as_text=True)
    assert "Sam Okafor" in page
    assert ", deactivated)" in page
    assert "Gale Gone" not in page
    kept = client.post(f"/admin/staff/{pat.id}", data=edit_data(pat, job_title="Peer specialist II"))
    assert kept.status_code == 302
    db.session.expire_all()
    assert pat.supervisor_id == boss.id
    chosen = client.post(f"/admin/staff/{pat.id}", data=edit_data(pat, supervisor=str(gone.id)))
    assert chosen.status_code == 400
