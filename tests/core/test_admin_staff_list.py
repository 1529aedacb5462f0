"""The staff list: search, filters, pages, the CSV download, and a fixed number of queries."""

from __future__ import annotations

import csv
import io
import re

import pytest

from core.models import Program, Staff, StaffStatus, Team
from tests.factories import make_program, make_staff, make_team
from tests.queries import counting_queries


def names_in(response) -> str:
    return response.get_data(as_text=True)


def rows_in(response) -> list[str]:
    """The names in the first column of the staff table."""
    return re.findall(r'<th scope="row"><a class="usa-link" href="/admin/staff/\d+">([^<]+)</a>', names_in(response))


@pytest.fixture
def agency(db, login_as):
    admin = login_as("admin", name="Alex Admin", email="alex@example.org")
    crp = make_program("CRP", "Community Reintegration Program")
    tsh = make_program("TSH", "Transitional Supported Housing")
    day = make_team(crp, "Day program")
    housing = make_team(tsh, "Housing team")
    sam = make_staff("supervisor", name="Sam Okafor", email="sam@example.org", program=crp, teams=[day])
    pat = make_staff("peer", name="Pat Delgado", email="pat@example.org", program=crp, teams=[day], supervisor=sam)
    avery = make_staff("peer", name="Avery Santos", email="avery@other.org", program=tsh, teams=[housing])
    gone = make_staff("staff", name="Gale Gone", email="gale@example.org", status=StaffStatus.DEACTIVATED)
    new = make_staff("hr", name="Nia New", email="nia@example.org", status=StaffStatus.INVITED)
    db.session.commit()
    return {"admin": admin, "crp": crp, "tsh": tsh, "day": day, "housing": housing, "sam": sam, "pat": pat,
            "avery": avery, "gone": gone, "new": new}


def test_lists_everyone_with_the_columns(client, agency):
    response = client.get("/admin/staff")
    page = names_in(response)
    assert response.status_code == 200
    for name in ("Alex Admin", "Sam Okafor", "Pat Delgado", "Avery Santos", "Gale Gone", "Nia New"):
        assert name in page
    assert '<table class="usa-table' in page
    assert re.search(r"<caption[ >]", page), "the table has a caption"
    assert page.count('scope="col"') == 6
    assert "Peer specialist" in page  # roles
    assert "Community Reintegration Program" in page
    assert "Day program" in page
    assert f'href="/admin/staff/{agency["pat"].id}"' in page  # a link to each person
    assert "Deactivated" in page
    assert "Invited" in page


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("q=pat", ["Pat Delgado"], ["Sam Okafor", "Avery Santos"]),
        ("q=OTHER.ORG", ["Avery Santos"], ["Pat Delgado"]),  # email, any case
        ("role=peer", ["Pat Delgado", "Avery Santos"], ["Sam Okafor", "Nia New"]),
        ("status=deactivated", ["Gale Gone"], ["Pat Delgado"]),
        ("status=invited", ["Nia New"], ["Pat Delgado", "Gale Gone"]),
        ("q=%25", [], ["Pat Delgado", "Sam Okafor"]),  # % is a character, not a wildcard
    ],
)
def test_search_and_filters(client, agency, query, shown, hidden):
    rows = rows_in(client.get(f"/admin/staff?{query}"))
    for name in shown:
        assert name in rows
    for name in hidden:
        assert name not in rows


def test_filter_by_program_and_team(client, agency):
    assert rows_in(client.get(f"/admin/staff?program={agency['tsh'].id}")) == ["Avery Santos"]
    assert rows_in(client.get(f"/admin/staff?team={agency['day'].id}")) == ["Pat Delgado", "Sam Okafor"]
    assert rows_in(client.get(f"/admin/staff?team={agency['day'].id}&role=supervisor")) == ["Sam Okafor"]


def test_empty_search_says_what_to_do(client, agency):
    response = client.get("/admin/staff?q=nobody-has-this-name")
    page = names_in(response)
    assert response.status_code == 200
    assert "No one matches your search" in page
    assert "clear the filters" in page
    assert "<table" not in page


def test_unreadable_filters_are_ignored_not_a_crash(client, agency):
    response = client.get("/admin/staff?role=wizard&program=abc&team=99999&status=gone&page=-4")
    assert response.status_code == 200
    page = names_in(response)
    assert "Pat Delgado" in page
    assert "We could not use this filter" in page


def test_pages(app, client, agency):
    app.config["PAGE_SIZE"] = 2
    first = client.get("/admin/staff")
    assert rows_in(first) == ["Alex Admin", "Avery Santos"]
    assert "Showing 1 to 2 of 6." in names_in(first)
    assert rows_in(client.get("/admin/staff?page=3")) == ["Pat Delgado", "Sam Okafor"]
    assert rows_in(client.get("/admin/staff?page=9")) == []
    # filters are kept in the page links
    filtered = names_in(client.get("/admin/staff?role=peer&page=1"))
    assert "role=peer" in filtered


def test_csv_download_has_every_matching_row(app, client, agency):
    app.config["PAGE_SIZE"] = 1  # the download is not limited to one page
    response = client.get("/admin/staff/export.csv?role=peer")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert ".csv" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:2] == ["Name", "Email"]
    assert [row[0] for row in rows[1:]] == ["Avery Santos", "Pat Delgado"]
    pat = rows[2]
    assert "Peer specialist" in pat[3]
    assert pat[5] == "Day program"
    assert pat[6] == "Sam Okafor"
    assert pat[-1] == "Active"


def test_csv_download_guards_against_formulas(client, db, agency):
    for n, name in enumerate(["=HYPERLINK(\"http://evil\")", "+SUM(A1)", "-2+3", "@cmd", "Plain Name"]):
        make_staff("staff", name=name, email=f"f{n}@formula.org", program=agency["crp"])
    db.session.commit()
    text = client.get("/admin/staff/export.csv?q=formula.org").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    names = sorted(row[0] for row in rows[1:])
    assert names == sorted(["'=HYPERLINK(\"http://evil\")", "'+SUM(A1)", "'-2+3", "'@cmd", "Plain Name"])
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@"))


def test_download_link_keeps_the_filters(client, agency):
    page = names_in(client.get("/admin/staff?role=peer&q=a"))
    assert "/admin/staff/export.csv?" in page
    assert "role=peer" in page.split("/admin/staff/export.csv?")[1].split('"')[0]


def _make_people(db, count, ids):
    program, team, boss = db.session.get(Program, ids[0]), db.session.get(Team, ids[1]), db.session.get(Staff, ids[2])
    for _ in range(count):
        make_staff("peer", "staff", program=program, teams=[team], supervisor=boss)


@pytest.mark.parametrize("url", ["/admin/staff", "/admin/staff/export.csv", "/admin/staff?role=peer"])
def test_queries_do_not_grow_with_the_number_of_rows(client, db, login_as, url):
    login_as("admin")
    program = make_program()
    team = make_team(program)
    other_team = make_team(program)
    boss = make_staff("supervisor", program=program, teams=[team, other_team])
    first, second = (program.id, team.id, boss.id), (program.id, other_team.id, boss.id)

    def measure() -> int:
        db.session.commit()
        db.session.expunge_all()
        client.get(url)  # warm up (session touch, caches)
        db.session.expunge_all()
        with counting_queries() as statements:
            response = client.get(url)
            response.get_data()  # the CSV streams: read it all
        assert response.status_code == 200
        shown = response.get_data(as_text=True).count("\n") - 1 if ".csv" in url else len(rows_in(response))
        return len(statements), shown

    _make_people(db, 4, first)  # 5 besides the admin
    at_five, shown_at_five = measure()
    _make_people(db, 25, second)  # 30
    at_thirty, shown_at_thirty = measure()
    assert shown_at_thirty > shown_at_five >= 4
    assert at_five == at_thirty
    assert at_five < 20
