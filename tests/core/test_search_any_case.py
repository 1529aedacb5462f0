"""Every search box finds a name typed in any case, accented capitals included, on both databases
(core.database.contains_text): SQLite's own lower() and LIKE fold only A to Z, so "ZOË" missed "Zoë" there."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from caseload.models import Client
from core.database import contains_text
from core.extensions import db
from core.models import Role, Staff
from tests.factories import assign, make_client, make_program, make_staff, make_team

pytestmark = pytest.mark.both_databases


@pytest.mark.parametrize("typed", ["ZOË", "zoë", "Zoë", "ÅNGSTRÖM", "ë å", "Ë Å"])
def test_contains_text_ignores_the_case_of_every_letter(app, typed):
    make_client("Zoë Ångström")
    make_client("Zoe Angstrom")
    db.session.flush()
    found = db.session.scalars(select(Client.name).where(contains_text(Client.name, typed))).all()
    assert found == ["Zoë Ångström"]


@pytest.mark.parametrize("typed", ["%", "_", "\\"])
def test_what_is_typed_is_taken_as_itself(app, typed):
    make_client("Plain Name")
    make_client(f"Odd {typed} Name")
    db.session.flush()
    found = db.session.scalars(select(Client.name).where(contains_text(Client.name, typed))).all()
    assert found == [f"Odd {typed} Name"]


def test_the_client_list_finds_an_accented_name_typed_in_capitals(client, login_as):
    team = make_team(make_program(code="CRP"))
    peer = login_as(Role.PEER, teams=[team], program=team.program)
    assign(make_client("Zoë Brontë", program=team.program), peer)
    assign(make_client("Sam Other", program=team.program), peer)
    db.session.commit()
    page = client.get("/caseload/clients?q=ZOË BRONTË").get_data(as_text=True)
    assert "Zoë Brontë" in page
    assert "Sam Other" not in page


def test_the_staff_list_finds_an_accented_name_typed_in_capitals(client, login_as):
    login_as(Role.ADMIN)
    make_staff(Role.PEER, name="Émile Zoë")
    db.session.commit()
    page = client.get("/admin/staff?q=ÉMILE").get_data(as_text=True)
    assert "Émile Zoë" in page
    assert db.session.scalar(select(Staff.id).where(contains_text(Staff.name, "ÉMILE ZOË"))) is not None
