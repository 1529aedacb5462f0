"""CSV import: every row is checked first; one bad row means nobody is imported."""

from __future__ import annotations

import csv
import io
import re

import pytest

from core.admin.services import staff_import as service
from core.models import AuditEntry, OutboxEmail, Staff, StaffStatus
from tests.factories import make_program, make_staff, make_team

HEADER = "name,email,roles,program,team,supervisor\n"


@pytest.fixture
def setting(db, login_as):
    admin = login_as("admin", name="Alex Admin")
    crp = make_program("CRP", "Community Reintegration Program")
    mhicm = make_program("MHICM", "Mental Health Intensive Case Management")
    make_team(crp, "Day program")
    make_team(mhicm, "North team")
    make_team(mhicm, "Day program")  # the same team name in another program
    boss = make_staff("supervisor", name="Sam Okafor", email="sam@example.org")
    gone = make_staff("supervisor", name="Gale Gone", email="gale@example.org", status=StaffStatus.DEACTIVATED)
    db.session.commit()
    return {"admin": admin, "crp": crp, "mhicm": mhicm, "boss": boss, "gone": gone}


def upload(client, content: bytes | str, filename: str = "staff.csv"):
    raw = content.encode() if isinstance(content, str) else content
    return client.post(
        "/admin/staff/import",
        data={"file": (io.BytesIO(raw), filename)},
        content_type="multipart/form-data",
    )


def problems(response) -> list[tuple[str, str, str]]:
    """The rows of the error report: (row, column, problem)."""
    page = response.get_data(as_text=True)
    if 'id="import-problems"' not in page:
        return []
    table = page.split('id="import-problems"')[1].split("</table>")[0]
    cells = re.findall(r"<tr>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*</tr>", table, re.S)
    return [(row.strip(), column.strip(), message.strip()) for row, column, message in cells]


def staff_count(db) -> int:
    return db.session.query(Staff).count()


GOOD = (
    HEADER
    + "Jordan Blake,Jordan@Example.org,peer,CRP,Day program,sam@example.org\n"
    + "Morgan Ellis,morgan@example.org,Peer specialist|supervisor,Mental Health Intensive Case Management,north team,\n"
    + "Riley Hart,riley@example.org,staff;  hr ,mhicm,Day program,morgan@example.org\n"
    + ",,,,,\n"  # blank rows are skipped
    + '"Casey ""CJ"" Lin",casey@example.org,privacy,,,\n'
)


def test_a_good_file_creates_everyone_invited_and_queues_invitations(client, db, setting):
    before = staff_count(db)
    response = upload(client, GOOD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/staff/import/done"
    assert staff_count(db) == before + 4

    jordan = db.session.query(Staff).filter_by(email="jordan@example.org").one()
    assert jordan.status == StaffStatus.INVITED
    assert jordan.password_hash is None
    assert jordan.roles == {"peer"}
    assert jordan.program.code == "CRP"
    assert [team.name for team in jordan.teams] == ["Day program"]
    assert jordan.teams[0].program.code == "CRP"
    assert jordan.supervisor_id == setting["boss"].id

    morgan = db.session.query(Staff).filter_by(email="morgan@example.org").one()
    assert morgan.roles == {"peer", "supervisor"}
    assert morgan.program.code == "MHICM"
    assert [team.name for team in morgan.teams] == ["North team"]
    assert morgan.supervisor_id is None

    riley = db.session.query(Staff).filter_by(email="riley@example.org").one()
    assert riley.roles == {"staff", "hr"}
    assert riley.teams[0].program.code == "MHICM"  # "Day program" within that program
    assert riley.supervisor_id == morgan.id  # another row of the same file

    casey = db.session.query(Staff).filter_by(email="casey@example.org").one()
    assert casey.name == 'Casey "CJ" Lin'
    assert casey.program is None

    emails = db.session.query(OutboxEmail).filter_by(kind="invitation").all()
    assert sorted(e.to_address for e in emails) == sorted(
        ["jordan@example.org", "morgan@example.org", "riley@example.org", "casey@example.org"]
    )
    assert all("/invite/" in e.body for e in emails)
    [entry] = db.session.query(AuditEntry).filter_by(action="staff.imported").all()
    assert entry.detail == "4 staff"
    assert entry.actor_id == setting["admin"].id

    summary = client.get("/admin/staff/import/done").get_data(as_text=True)
    assert "4 people were added" in summary
    assert "Mental Health Intensive Case Management (MHICM)" in summary


def test_one_bad_row_means_nothing_is_imported(client, db, setting):
    before = staff_count(db)
    content = GOOD + "Bad Row,not-an-email,wizard,NOPE,,\n"
    response = upload(client, content)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Nothing was imported" in page
    report = problems(response)
    assert ("7", "email", "“not-an-email” is not a complete email address, like name@example.org.") in report
    assert any(row == "7" and column == "roles" and "“wizard” is not a role" in message
               for row, column, message in report)
    assert any(row == "7" and column == "program" and "There is no program “NOPE”" in message
               for row, column, message in report)
    assert staff_count(db) == before
    assert db.session.query(OutboxEmail).count() == 0
    assert db.session.query(AuditEntry).filter_by(action="staff.imported").count() == 0


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ("A,a@example.org,peer,CRP,Night team,\n", ("2", "team", "CRP has no team “Night team”")),
        ("A,a@example.org,peer,,Day program,\n", ("2", "team", "A team needs a program")),
        ("A,a@example.org,peer,,,nobody@example.org\n", ("2", "supervisor", "No staff member or row in this file")),
        ("A,a@example.org,peer,,,gale@example.org\n", ("2", "supervisor", "is deactivated")),
        ("A,a@example.org,peer,,,a@example.org\n", ("2", "supervisor", "cannot be their own supervisor")),
        ("A,a@example.org,,,,\n", ("2", "roles", "Give at least one role")),
        (",a@example.org,peer,,,\n", ("2", "name", "Enter the person's full name.")),
        ("A,,peer,,,\n", ("2", "email", "Enter the person's work email address.")),
        ("A,SAM@example.org,peer,,,\n", ("2", "email", "already has an account")),
        ("A,a@example.org,peer,,,,extra\n", ("2", "Whole row", "more cells than the header")),
        ("A,a@example.org,peer,,,\nB,A@example.org,peer,,,\n", ("3", "email", "also on row 2")),
        ("A,a@example.org,peer,,,b@example.org\nB,b@example.org,peer,,,a@example.org\n",
         ("2", "supervisor", "Rows 2, 3 supervise each other in a circle")),
    ],
)
def test_row_problems(client, db, setting, rows, expected):
    before = staff_count(db)
    response = upload(client, HEADER + rows)
    assert response.status_code == 400
    row, column, message = expected
    report = problems(response)
    assert any(r == row and c == column and message in m.replace("&#39;", "'") for r, c, m in report), report
    assert staff_count(db) == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty"),
        (b"   \n\n", "The file is empty"),
        (HEADER.encode(), "header row but nobody in it"),
        (b"name,email,roles\nA,a@example.org,peer\n", "The header row is missing program, team, supervisor"),
        (b"full name,email,roles,program,team,supervisor\n", "“full name” is not a column we know"),
        (b"name,email,email,roles,program,team,supervisor\n", "The column “email” appears twice"),
        (b"name;email;roles;program;team;supervisor\nA;a@example.org;peer;;;\n", "separated by semicolons"),
        (HEADER.encode() + "Zoë,zoe@example.org,peer,,,\n".encode("latin-1"), "not saved as UTF-8 text"),
        (HEADER.encode() + b"A,a@example.org,peer,,,\x00\n", "binary data"),
    ],
)
def test_file_problems(client, db, setting, content, message):
    before = staff_count(db)
    response = upload(client, content)
    assert response.status_code == 400
    page = response.get_data(as_text=True).replace("&#39;", "'")
    assert message in page
    assert staff_count(db) == before


def test_non_utf8_names_the_row(client, setting):
    content = HEADER.encode() + b"A,a@example.org,peer,,,\n" + "Zoë,zoe@example.org,peer,,,\n".encode("latin-1")
    [(row, _column, message)] = problems(upload(client, content))
    assert row == "Whole file"
    assert "row 3" in message


def test_utf8_with_excel_byte_order_mark_and_crlf(client, db, setting):
    content = "\ufeff" + HEADER.replace("\n", "\r\n") + "Zoë Ångström,zoe@example.org,peer,,,\r\n"
    response = upload(client, content.encode("utf-8"))
    assert response.status_code == 302
    assert db.session.query(Staff).filter_by(email="zoe@example.org").one().name == "Zoë Ångström"


def test_too_many_rows(client, db, setting):
    rows = "".join(f"Person {n},bulk{n}@import.example,peer,,,\n" for n in range(service.MAX_IMPORT_ROWS + 1))
    response = upload(client, HEADER + rows)
    assert response.status_code == 400
    assert "you can import at most 2,000 at a time" in response.get_data(as_text=True)
    assert db.session.query(Staff).filter(Staff.email.like("bulk%@import.example")).count() == 0


def test_a_large_file_imports_in_one_go(client, db, setting):
    rows = "".join(f"Person {n},bulk{n}@import.example,peer,CRP,Day program,sam@example.org\n" for n in range(300))
    response = upload(client, HEADER + rows)
    assert response.status_code == 302
    assert db.session.query(Staff).filter(Staff.email.like("bulk%@import.example")).count() == 300
    assert db.session.query(OutboxEmail).count() == 300


@pytest.mark.parametrize(
    ("filename", "message"),
    [("staff.xlsx", "Upload a file ending in .csv"), ("", "Choose a CSV file to upload.")],
)
def test_the_upload_must_be_a_csv_file(client, db, setting, filename, message):
    response = upload(client, GOOD, filename=filename) if filename else client.post(
        "/admin/staff/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.query(Staff).filter_by(email="jordan@example.org").count() == 0


def test_too_large_a_file_is_refused(client, db, setting):
    content = HEADER + "x" * (4 * 1024 * 1024)
    response = upload(client, content)
    assert response.status_code in (400, 413)
    assert db.session.query(AuditEntry).filter_by(action="staff.imported").count() == 0


def test_template_download_imports_cleanly(client, db, setting):
    response = client.get("/admin/staff/import/template.csv")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    text = response.get_data(as_text=True)
    header = next(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert header[:6] == ["name", "email", "roles", "program", "team", "supervisor"]
    # The template's example rows are valid against an agency that has its programs
    make_program("MHC", "Mental Hygiene Clinic")
    db.session.commit()
    imported = upload(client, response.data)
    assert imported.status_code == 302, problems(imported)
    pat = db.session.query(Staff).filter_by(email="pat.delgado@example.org").one()
    assert pat.supervisor.email == "sam.okafor@example.org"
    assert pat.job_title == "Peer specialist"


def test_the_page_explains_the_columns(client, setting):
    page = client.get("/admin/staff/import").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page
    assert "Download the template CSV" in page
    for column in ("name", "email", "roles", "program", "team", "supervisor"):
        assert f"<code>{column}</code>" in page


def test_done_page_without_an_import_goes_back(client, setting):
    response = client.get("/admin/staff/import/done")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/staff/import"
