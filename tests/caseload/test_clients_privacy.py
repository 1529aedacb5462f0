"""A sealed record and a declared relationship, seen from the client screens: nothing reveals the client, a direct
address answers exactly like a missing record, and the number of queries does not grow with the caseload."""

from __future__ import annotations

import csv
import io
import logging
import re
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from gunicorn.config import Config
from gunicorn.glogging import Logger as GunicornLogger
from sqlalchemy import func, select
from werkzeug.serving import WSGIRequestHandler
from werkzeug.test import EnvironBuilder

from caseload.models import Assignment, Client, DeclaredRelationship
from core.models import AuditEntry, Role
from tests.factories import assign, make_client, make_program, make_staff, make_team, seal
from tests.factories import start_session as start
from tests.queries import counting_queries

MISSING = 999999
DECLARED = "Thank you. If this person is a client here, you will not be assigned to them and their record is closed"


def text(response) -> str:
    return response.get_data(as_text=True)


def sign_in(client, staff) -> None:
    token = start(staff)
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True


def normalized(response) -> str:
    """The page without what differs on every response anyway: the CSP nonce, CSRF token and session timers."""
    body = text(response)
    body = re.sub(r'nonce="[^"]*"', 'nonce=""', body)
    body = re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value=""', body)
    return re.sub(r'data-(idle|absolute)-seconds="\d+"', r'data-\1-seconds=""', body)


@pytest.fixture
def agency(db):
    crp = make_team(make_program(code="CRP", name="Community Recovery Program"), name="CRP day")
    housing = make_team(make_program(code="HF", name="Housing First"), name="Housing team")
    boss = make_staff(Role.SUPERVISOR, teams=[crp], program=crp.program, name="Bea Boss")
    worker = make_staff(Role.PEER, teams=[crp], program=crp.program, supervisor=boss, name="Wren Worker")
    coworker = make_staff(Role.PEER, teams=[crp, housing], program=crp.program, name="Cy Coworker")
    outside = make_staff(Role.STAFF, teams=[housing], program=housing.program, name="Olu Outside")
    # Wren gets services in the housing program; Cy also works there and was assigned before the record was sealed,
    # so without the seal Cy would see Wren everywhere.
    sealed = make_client("Wren Worker", phone="555-0142", program=housing.program, date_of_birth=date(1990, 4, 1))
    assign(sealed, outside, "clinician")
    assign(sealed, coworker)
    seal(sealed, worker)
    ordinary = make_client("Sam Open", program=crp.program)
    assign(ordinary, coworker)
    db.session.commit()
    return locals()


COWORKER_PATHS = ("/caseload/", "/caseload/clients", "/caseload/reassign")
SEARCHES = ("/caseload/clients?q=wren", "/caseload/clients?q=555-0142", "/caseload/clients?q=5550142",
            "/caseload/clients?program=HOUSING", "/caseload/?q=wren")


def test_a_sealed_client_is_absent_everywhere_for_a_coworker(client, db, agency):
    sign_in(client, agency["coworker"])
    for path in COWORKER_PATHS:
        page = text(client.get(path))
        assert "Wren" not in page, path
        assert "555-0142" not in page, path
    for path in SEARCHES:
        page = text(client.get(path.replace("HOUSING", str(agency["housing"].program.id))))
        assert "Wren Worker" not in page, path
        assert "No clients match your search" in page or "None of your clients match" in page, path
    assert "Sam Open" in text(client.get("/caseload/"))
    index = text(client.get("/caseload/"))
    assert '<p class="margin-0 font-sans-xl text-bold">1</p>\n    <p class="margin-0">client assigned to you' in index
    body = text(client.get("/caseload/clients/export.csv"))
    assert "Wren" not in body
    assert "Sam Open" in body
    assert len(list(csv.reader(io.StringIO(body[1:])))) == 2
    assert db.session.scalars(select(AuditEntry.detail).where(AuditEntry.action == "client.exported")).one() == (
        "CSV of 1 clients"
    )


def test_the_outside_provider_sees_the_sealed_client(client, db, agency):
    sign_in(client, agency["outside"])
    assert "Wren Worker" in text(client.get("/caseload/"))
    assert "Wren Worker" in text(client.get("/caseload/clients?q=wren"))
    assert "Wren Worker" in text(client.get("/caseload/clients/export.csv"))


@pytest.mark.parametrize("who", ["coworker", "boss", "worker"])
def test_a_sealed_record_answers_exactly_like_a_missing_one(client, db, agency, who):
    sign_in(client, agency[who])
    sealed_id = agency["sealed"].id
    for suffix in ("", "/edit"):
        hidden = client.get(f"/caseload/clients/{sealed_id}{suffix}")
        missing = client.get(f"/caseload/clients/{MISSING}{suffix}")
        assert hidden.status_code == missing.status_code == 404
        assert normalized(hidden) == normalized(missing)
    for suffix, data in (
        ("/assign", {"assign-provider": str(agency["boss"].id), "assign-kind": "peer"}),
        ("/consents", {"consent-kind": "services", "consent-signed_on": "2024-01-01"}),
        ("/declare", {"know-relationship": "friend"}),
        ("/assignments/1/end", {}),
        ("/consents/1/revoke", {}),
    ):
        hidden = client.post(f"/caseload/clients/{sealed_id}{suffix}", data=data)
        missing = client.post(f"/caseload/clients/{MISSING}{suffix}", data=data)
        assert hidden.status_code == missing.status_code == 404, suffix
        assert normalized(hidden) == normalized(missing), suffix
    refusals = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "access.denied", AuditEntry.record_id == str(sealed_id))
    ).all()
    assert len(refusals) == 7
    assert {r.actor_id for r in refusals} == {agency[who].id}
    assert db.session.scalar(select(func.count(DeclaredRelationship.id))) == 0


def test_hr_cannot_reach_the_client_screens_but_can_declare(client, db, agency, login_as):
    login_as(Role.HR)
    assert client.get(f"/caseload/clients/{agency['sealed'].id}").status_code == 403
    assert client.get("/caseload/clients").status_code == 403
    assert client.get("/caseload/declare").status_code == 200


# Declared relationships ---------------------------------------------------------------------------------------


def declaration(name: str, born: str, relationship: str = "family") -> dict[str, str]:
    return {"name": name, "date_of_birth": born, "relationship": relationship}


def test_a_declaration_answers_the_same_whether_or_not_anyone_matched(client, db, agency):
    sign_in(client, agency["coworker"])
    nobody = client.post("/caseload/declare", data=declaration("No Such Person", "1970-01-01"))
    nobody_page = client.get(nobody.headers["Location"])
    somebody = client.post("/caseload/declare", data=declaration("  wren   WORKER ", "1990-04-01"))
    somebody_page = client.get(somebody.headers["Location"])

    assert nobody.status_code == somebody.status_code == 302
    assert nobody.headers["Location"] == somebody.headers["Location"]
    assert normalized(nobody) == normalized(somebody)
    assert DECLARED in text(somebody_page)
    assert normalized(nobody_page) == normalized(somebody_page)
    client.post("/caseload/declare", data=declaration("No Such Person", "1970-01-01"))

    [declared] = db.session.scalars(select(DeclaredRelationship)).all()
    assert (declared.staff_id, declared.client_id, declared.relationship) == (
        agency["coworker"].id, agency["sealed"].id, "family"
    )
    assignment = db.session.scalar(
        select(Assignment).where(
            Assignment.staff_id == agency["coworker"].id, Assignment.client_id == declared.client_id
        )
    )
    assert assignment.ended_at is not None
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "relationship.declared")).all()
    assert len(entries) == 3
    assert all("Wren" not in e.detail for e in entries)


def test_a_declared_relationship_hides_an_ordinary_client_and_ends_the_assignment(client, db, agency):
    ordinary = agency["ordinary"]
    sign_in(client, agency["coworker"])
    assert "Sam Open" in text(client.get("/caseload/clients"))

    client.post("/caseload/declare", data=declaration("Sam Open", ordinary.date_of_birth.isoformat(), "friend"))

    for path in ("/caseload/", "/caseload/clients", "/caseload/clients?q=sam", "/caseload/clients/export.csv"):
        assert "Sam Open" not in text(client.get(path)), path
    assert client.get(f"/caseload/clients/{ordinary.id}").status_code == 404
    assert db.session.scalar(
        select(Assignment.ended_at).where(Assignment.client_id == ordinary.id)
    ) is not None


def test_i_know_this_person_from_the_record_page(client, db, agency):
    ordinary = agency["ordinary"]
    sign_in(client, agency["coworker"])
    page = text(client.get(f"/caseload/clients/{ordinary.id}"))
    assert "I know this person personally" in page

    missing = client.post(f"/caseload/clients/{ordinary.id}/declare", data={})
    assert missing.status_code == 400
    assert "Choose how you know this person." in text(missing)

    response = client.post(f"/caseload/clients/{ordinary.id}/declare", data={"know-relationship": "neighbour"})

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/caseload/")
    assert DECLARED in text(client.get("/caseload/"))
    assert client.get(f"/caseload/clients/{ordinary.id}").status_code == 404
    assert "Sam Open" not in text(client.get("/caseload/clients"))
    assert db.session.scalar(select(Assignment.ended_at).where(Assignment.client_id == ordinary.id)) is not None
    # The person who declared is no longer offered for assignment to this client.
    sign_in(client, agency["outside"])
    assign(ordinary, agency["outside"])
    db.session.commit()
    page = text(client.get(f"/caseload/clients/{ordinary.id}"))
    options = page.split('id="assign-provider"')[1].split("</select>")[0]
    assert "Cy Coworker" not in options
    assert "Olu Outside" in options


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (declaration("", "1990-01-01"), "Enter the person&#39;s full name."),
        (declaration("Z" * 5000, "1990-01-01"), "Use at most 120 characters."),
        (declaration("Sam Open", ""), "Enter the person&#39;s date of birth."),
        (declaration("Sam Open", "1990-13-40"), "Enter a real date"),
        (declaration("Sam Open", "1990-01-01", ""), "Choose how you know this person."),
        (declaration("Sam Open", "1990-01-01", "enemy"), "Choose one of the options in the list."),
    ],
)
def test_declaration_validation(client, db, agency, data, message):
    sign_in(client, agency["coworker"])
    response = client.post("/caseload/declare", data=data)
    assert response.status_code == 400
    assert message in text(response)
    assert db.session.scalar(select(func.count(DeclaredRelationship.id))) == 0


# Query counts -------------------------------------------------------------------------------------------------


def queries_for(client, db, path: str) -> int:
    db.session.expire_all()
    client.get(path)  # warm up: the sign-in session touch and first-time loads
    db.session.expire_all()
    with counting_queries() as statements:
        response = client.get(path)
    assert response.status_code == 200
    return len(statements)


def add_clients(count: int, peer, nurse, program) -> None:
    for _ in range(count):
        record = make_client(program=program)
        assign(record, peer)
        assign(record, nurse, "clinician")


@pytest.mark.parametrize("path", ["/caseload/", "/caseload/clients", "/caseload/reassign"])
def test_query_count_does_not_grow_with_the_caseload(client, db, login_as, path):
    team = make_team()
    peer = login_as(Role.PEER, teams=[team], program=team.program)
    nurse = make_staff(Role.STAFF, teams=[make_team()])
    leaver = make_staff(Role.PEER, status="deactivated")
    add_clients(5, peer, nurse, team.program)
    for _ in range(5):
        assign(make_client(program=team.program), leaver)
    db.session.commit()
    small = queries_for(client, db, path)

    add_clients(25, peer, nurse, team.program)
    for _ in range(25):
        assign(make_client(program=team.program), leaver)
    db.session.commit()
    large = queries_for(client, db, path)

    assert db.session.scalar(select(func.count(Client.id))) == 60
    assert small == large, f"{path}: {small} queries with 5 clients, {large} with 30"
    assert small <= 25


# What is typed into a search box travels in the address (the search forms are sent by GET), so every request log
# on the way would write it: gunicorn's access log (request line and Referer) and the development server's.
TYPED_IN_SEARCHES = [
    "/caseload/clients?q=Wren+Worker&status=active",
    "/caseload/?q=555-0142",
    "/caseload/safeguards/link?q=Wren%20Worker&date_of_birth=1990-04-01",
    "/caseload/safeguards/access-report?client=Wren+Worker&page=2",
    "/login?next=%2Fcaseload%2Fclients%3Fstatus%3Dactive%26q%3DWren%2BWorker%26page%3D2",
]
TYPED = ("wren", "worker", "555", "1990")


def test_what_is_typed_in_a_client_search_is_in_no_request_log(app):
    config = Config()
    config.set("accesslog", "-")
    gunicorn = GunicornLogger(config)
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    keep = Keep()
    loggers = [logging.getLogger("gunicorn.access"), logging.getLogger("werkzeug")]
    for logger in loggers:
        logger.addHandler(keep)
    levels = [(logger.level, logger.disabled) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.INFO)
        logger.disabled = False
    try:
        for address in TYPED_IN_SEARCHES:
            path, _, query = address.partition("?")
            environ = EnvironBuilder(path=path, query_string=query).get_environ()
            environ["RAW_URI"] = address
            environ["HTTP_REFERER"] = "https://agency.example" + address
            answer = SimpleNamespace(status="200 OK", sent=0, headers=[])
            gunicorn.access(answer, SimpleNamespace(headers=[]), environ, timedelta(milliseconds=3))
            # The development server's line, as werkzeug.serving writes it for this request.
            handler = WSGIRequestHandler.__new__(WSGIRequestHandler)
            handler.path, handler.command, handler.request_version = address, "GET", "HTTP/1.1"
            handler.requestline = f"GET {address} HTTP/1.1"
            handler.client_address = ("127.0.0.1", 0)
            handler.log_request(200, 1234)
    finally:
        for logger, (level, disabled) in zip(loggers, levels, strict=True):
            logger.removeHandler(keep)
            logger.setLevel(level)
            logger.disabled = disabled

    written = "\n".join(lines).lower()
    assert len(lines) == 2 * len(TYPED_IN_SEARCHES), written
    assert not [word for word in TYPED if word in written], written
    assert "q=[hidden]" in written
    assert "status=active" in written, "the other parameters stay readable"
    assert "page=2" in written
    assert "%26q%3d[hidden]%26page%3d2" in written, "and in a next= too"
    assert '"https://agency.example/caseload/clients?q=[hidden]&status=active"' in written, "and in the referer"
