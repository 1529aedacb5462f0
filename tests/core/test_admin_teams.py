"""Programs and teams: the overview with staff counts, adding programs and teams, renaming a team."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from core.models import AuditEntry, Program, StaffStatus, Team
from tests.factories import make_program, make_staff, make_team


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
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get("/admin/teams")
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
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
    response = client.post(f"/admin/teams/{day.id}/rename", data={"name": "Day program (east)"})
    assert response.status_code == 302
    db.session.expire_all()
    assert day.name == "Day program (east)"
    assert len(day.program.teams) == 2
    [entry] = actions(db, "team.renamed")
    assert entry.record_id == str(day.id)


def test_rename_to_a_name_in_use_is_refused(client, db, setting):
    day = setting["day"]
    response = client.post(f"/admin/teams/{day.id}/rename", data={"name": "Referral Intake"})
    assert response.status_code == 400
    assert "CRP already has a team called" in response.get_data(as_text=True)
    db.session.expire_all()
    assert day.name == "Day program"
    assert actions(db, "team.renamed") == []


def test_rename_to_the_same_name_changes_nothing(client, db, setting):
    day = setting["day"]
    response = client.post(f"/admin/teams/{day.id}/rename", data={"name": "Day program"}, follow_redirects=True)
    assert "nothing was changed" in response.get_data(as_text=True)
    assert actions(db, "team.renamed") == []


def test_rename_missing_team_is_404(client, setting):
    assert client.get("/admin/teams/99999/rename").status_code == 404
    assert client.post("/admin/teams/99999/rename", data={"name": "x"}).status_code == 404
