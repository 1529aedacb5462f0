"""Programs and teams: the overview with staff counts, adding programs and teams, renaming a team."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from core.admin.services import teams as teams_service
from core.models import AuditEntry, Program, StaffStatus, Team
from tests.factories import make_program, make_staff, make_team
from tests.queries import counting_queries


@pytest.fixture
def setting(db, login_as):
    admin = login_as("admin")
    crp = make_program("CRP", "Community Reintegration Program")
    tsh = make_program("TSH", "Transitional Supported Housing")
    day = make_team(crp, "Day program")
    intake = make_team(crp, "Referral intake")
    make_staff("peer", program=crp, teams=[day])
    make_staff("peer", program=crp, teams=[day, intake])
    make_staff("staff", program=crp, teams=[day], status=StaffStatus.INVITED)
    make_staff("staff", program=crp, teams=[day], status=StaffStatus.DEACTIVATED)  # not counted
    db.session.commit()
    return {"admin": admin, "crp": crp, "tsh": tsh, "day": day, "intake": intake}


def actions(db, name):
    return db.session.query(AuditEntry).filter_by(action=name).all()


def test_overview_lists_programs_teams_and_counts(client, db, setting):
    with counting_queries() as statements:
        response = client.get("/admin/teams")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Community Reintegration Program" in page
    assert "Transitional Supported Housing" in page
    assert "3 people in this program" in page  # the deactivated person is not counted
    assert ">3<span class=\"usa-sr-only\"> staff in Day program" in page
    assert ">1<span class=\"usa-sr-only\"> staff in Referral intake" in page
    assert "No teams yet" in page  # TSH
    assert "<caption>Teams in CRP</caption>" in page
    assert 'scope="col"' in page
    assert sum("GROUP BY" in statement for statement in statements) == 2  # counted in SQL


def test_no_programs_yet_says_what_to_do(client, db, login_as):
    login_as("admin")
    db.session.commit()
    page = client.get("/admin/teams").get_data(as_text=True)
    assert "No programs yet" in page
    assert "Add a program first" in page


def test_add_a_program(client, db, setting):
    response = client.post("/admin/teams/programs", data={"program-code": "SADP",
                                                          "program-name": "Substance Abuse Day Program"})
    assert response.status_code == 302
    program = db.session.query(Program).filter_by(code="SADP").one()
    assert program.name == "Substance Abuse Day Program"
    [entry] = actions(db, "program.created")
    assert entry.record_id == str(program.id)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"program-code": "crp", "program-name": "Something new"}, "A program already uses the code “crp”"),
        ({"program-code": "NEW", "program-name": "community reintegration program"}, "A program is already called"),
        ({"program-code": "", "program-name": "Something"}, "Enter a short code"),
        ({"program-code": "X" * 21, "program-name": "Something"}, "Use at most 20 characters."),
    ],
)
def test_program_problems(client, db, setting, data, message):
    response = client.post("/admin/teams/programs", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page
    assert f'value="{data["program-name"]}"' in page  # input kept
    assert db.session.query(Program).count() == 2
    assert actions(db, "program.created") == []


def test_add_a_team(client, db, setting):
    response = client.post("/admin/teams/new", data={"team-program": str(setting["tsh"].id),
                                                     "team-name": "Day program"})  # same name, other program: fine
    assert response.status_code == 302
    team = db.session.query(Team).filter_by(program_id=setting["tsh"].id).one()
    assert team.name == "Day program"
    assert len(actions(db, "team.created")) == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"team-program": "CRP_ID", "team-name": "day PROGRAM"}, "CRP already has a team called “day PROGRAM”"),
        ({"team-program": "", "team-name": "New team"}, "Choose the program this team belongs to."),
        ({"team-program": "99999", "team-name": "New team"}, "Choose from the list."),
        ({"team-program": "CRP_ID", "team-name": ""}, "Enter the team&#39;s name."),
    ],
)
def test_team_problems(client, db, setting, data, message):
    data = {key: value.replace("CRP_ID", str(setting["crp"].id)) for key, value in data.items()}
    response = client.post("/admin/teams/new", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.query(Team).count() == 2


def test_rename_a_team(client, db, setting):
    day = setting["day"]
    page = client.get(f"/admin/teams/{day.id}/rename").get_data(as_text=True)
    assert 'value="Day program"' in page
    assert f'name="version" type="hidden" value="{day.version}"' in page
    response = client.post(f"/admin/teams/{day.id}/rename", data={"name": "Day program (east)",
                                                                   "version": str(day.version)})
    assert response.status_code == 302
    db.session.expire_all()
    assert day.name == "Day program (east)"
    assert len(day.program.teams) == 2
    [entry] = actions(db, "team.renamed")
    assert entry.record_id == str(day.id)


def test_rename_to_a_name_in_use_is_refused(client, db, setting):
    day = setting["day"]
    response = client.post(f"/admin/teams/{day.id}/rename", data={"name": "Referral Intake",
                                                                   "version": str(day.version)})
    assert response.status_code == 400
    assert "CRP already has a team called" in response.get_data(as_text=True)
    db.session.expire_all()
    assert day.name == "Day program"
    assert actions(db, "team.renamed") == []


def test_rename_to_the_same_name_changes_nothing(client, db, setting):
    day = setting["day"]
    response = client.post(f"/admin/teams/{day.id}/rename", data={"name": "Day program", "version": str(day.version)},
                           follow_redirects=True)
    assert "nothing was changed" in response.get_data(as_text=True)
    assert actions(db, "team.renamed") == []


def test_rename_missing_team_is_404(client, setting):
    assert client.get("/admin/teams/99999/rename").status_code == 404
    assert client.post("/admin/teams/99999/rename", data={"name": "x", "version": "1"}).status_code == 404


def test_renaming_moves_the_version_on(client, db, setting):
    day = setting["day"]
    version = day.version
    client.post(f"/admin/teams/{day.id}/rename", data={"name": "Day program (east)", "version": str(version)})
    db.session.expire_all()
    assert day.version == version + 1


def test_a_rename_from_a_stale_tab_is_refused_with_the_input_kept(client, db, setting):
    """Two tabs open the rename page; the first saves; the second must not silently overwrite it."""
    day = setting["day"]
    loaded_at = str(day.version)
    first = client.post(f"/admin/teams/{day.id}/rename", data={"name": "Day program (east)", "version": loaded_at})
    assert first.status_code == 302

    second = client.post(f"/admin/teams/{day.id}/rename", data={"name": "Day program (west)", "version": loaded_at})
    page = second.get_data(as_text=True)
    assert second.status_code == 409
    assert "Someone else renamed this team while you were working" in page
    assert "now called “Day program (east)”" in page  # the team as it is now
    assert 'value="Day program (west)"' in page  # the typed name, kept
    db.session.expire_all()
    assert day.name == "Day program (east)"
    assert len(actions(db, "team.renamed")) == 1
    assert f'name="version" type="hidden" value="{day.version}"' in page

    again = client.post(f"/admin/teams/{day.id}/rename", data={"name": "Day program (west)",
                                                                "version": str(day.version)})
    assert again.status_code == 302  # sending again after seeing the current name is a deliberate overwrite
    db.session.expire_all()
    assert day.name == "Day program (west)"


def test_a_stale_tab_is_refused_even_when_it_sends_the_old_name(client, db, setting):
    day = setting["day"]
    loaded_at = str(day.version)
    client.post(f"/admin/teams/{day.id}/rename", data={"name": "Day program (east)", "version": loaded_at})
    response = client.post(f"/admin/teams/{day.id}/rename", data={"name": "Day program", "version": loaded_at})
    assert response.status_code == 409
    db.session.expire_all()
    assert day.name == "Day program (east)"


def test_a_rename_at_the_last_moment_is_also_409(client, db, setting, monkeypatch):
    """Another request commits between the version check and the write: the version column catches it."""
    day = setting["day"]
    real_taken = teams_service._team_name_taken

    def taken_then_someone_else_saves(program_id, name, *, except_id=None):
        db.session.execute(
            update(Team).where(Team.id == except_id).values(version=Team.version + 1, name="Sneaky name")
            .execution_options(synchronize_session=False)
        )
        return real_taken(program_id, name, except_id=except_id)

    monkeypatch.setattr(teams_service, "_team_name_taken", taken_then_someone_else_saves)
    response = client.post(f"/admin/teams/{day.id}/rename", data={"name": "Mine", "version": str(day.version)})
    assert response.status_code == 409
    assert 'value="Mine"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert actions(db, "team.renamed") == []


def test_a_tampered_version_is_an_error_not_a_crash(client, db, setting):
    day = setting["day"]
    response = client.post(f"/admin/teams/{day.id}/rename", data={"name": "Mine", "version": "abc"})
    assert response.status_code == 400
    assert "Reload the page and try again." in response.get_data(as_text=True)
    db.session.expire_all()
    assert day.name == "Day program"
