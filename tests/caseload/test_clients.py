"""Clients: my caseload, the client list and its CSV, adding and editing, the record page, assignments, consents
and the needs-reassignment list, driven through the routes."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from flask import Flask, url_for
from markupsafe import escape
from sqlalchemy import func, select

from caseload.models import Assignment, Client, ClientStatus, Consent, Determination, SealedAccess
from core import timeutil
from core.models import AuditEntry, Role, StaffStatus
from core.timeutil import utcnow
from tests.factories import assign, make_client, make_program, make_staff, make_team, seal


def audit_entries(db, action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def link(app: Flask, endpoint: str, **values: object) -> str:
    with app.test_request_context():
        return url_for(endpoint, **values)


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def crp(db):
    return make_team(make_program(code="CRP", name="Community Recovery Program"), name="CRP day")


@pytest.fixture
def peer(login_as, crp):
    return login_as(Role.PEER, teams=[crp], program=crp.program, name="Pat Peer")


# My caseload ---------------------------------------------------------------------------------------------------


def test_my_caseload_shows_my_current_clients_with_counts(client, db, peer, crp):
    mine = make_client("Alex Mine", program=crp.program)
    assign(mine, peer)
    ended = make_client("Beth Ended", program=crp.program)
    assign(ended, peer).ended_at = utcnow()
    colleague = make_staff(Role.PEER, teams=[crp], program=crp.program)
    theirs = make_client("Cal Theirs", program=crp.program)
    assign(theirs, colleague)
    make_client("Dee Waiting", program=crp.program)  # active, no worker: needs reassignment
    make_client("Eve Elsewhere", program=make_program())  # outside my programs
    db.session.commit()

    page = text(client.get("/caseload/"))

    assert "My caseload" in page
    assert "Alex Mine" in page
    for absent in ("Beth Ended", "Cal Theirs", "Dee Waiting", "Eve Elsewhere"):
        assert absent not in page
    assert '<p class="margin-0 font-sans-xl text-bold">1</p>\n    <p class="margin-0">client assigned to you' in page
    # Beth (assignment ended) and Dee (never assigned) need a worker; Eve is outside the scope.
    assert '<p class="margin-0 font-sans-xl text-bold">2</p>\n    <p class="margin-0">clients need a new worker' in page
    assert 'href="/caseload/clients"' in page


def test_my_caseload_search_and_pages(client, db, peer, crp):
    for n in range(30):
        assign(make_client(f"Client {n:02d}", program=crp.program), peer)
    assign(make_client("Zora Findme", preferred_name="Zee", program=crp.program), peer)
    db.session.commit()

    first = text(client.get("/caseload/"))
    assert "Showing 1 to 25 of 31." in first
    assert "Client 24" in first
    assert "Client 25" not in first
    second = text(client.get("/caseload/?page=2"))
    assert "Showing 26 to 31 of 31." in second
    assert "Zora Findme" in second

    found = text(client.get("/caseload/?q=zee"))
    assert "Zora Findme" in found
    assert "Client 01" not in found
    none = client.get("/caseload/?q=nobody-like-this")
    assert "None of your clients match" in text(none)

    for odd in ("?page=99999999999999999999999", "?page=-4", "?page=abc", "?q=" + "x" * 5000, "?q=a%00b"):
        assert client.get("/caseload/" + odd).status_code == 200, odd


def test_a_role_without_a_caseload_gets_an_explanation(client, db, login_as):
    login_as(Role.ADMIN)
    response = client.get("/caseload/")
    assert response.status_code == 200
    page = text(response)
    assert "You do not have a caseload of your own" in page
    assert 'href="/caseload/declare"' in page
    assert 'href="/caseload/clients"' not in page  # the admin may not look clients up


def test_the_safeguards_link_shows_only_to_those_who_may_open_it(app, client, db, login_as):
    target = link(app, "caseload.safeguards_index")
    login_as(Role.ADMIN)
    assert f'href="{target}"' in text(client.get("/caseload/"))
    login_as(Role.PEER)
    assert f'href="{target}"' not in text(client.get("/caseload/"))


# The client list and CSV --------------------------------------------------------------------------------------


def test_client_list_search_filters_and_providers(client, db, peer, crp):
    other_program = make_program(name="Housing First")
    colleague = make_staff(Role.STAFF, teams=[crp], name="Cleo Clinician")
    maria = make_client("Maria Lopez", preferred_name="Mari", phone="(555) 123-4567", program=crp.program)
    assign(maria, colleague, "clinician")
    assign(maria, peer)
    make_client("Sam Referred", program=crp.program, status=ClientStatus.REFERRED)
    make_client("Dan Discharged", program=crp.program, status=ClientStatus.DISCHARGED)
    mine_elsewhere = make_client("Olive Other", program=other_program)
    assign(mine_elsewhere, peer)
    make_client("Hidden Person", program=other_program)  # another program, not mine: not visible
    db.session.commit()

    page = text(client.get("/caseload/clients"))
    for name in ("Mari (Maria Lopez)", "Sam Referred", "Dan Discharged", "Olive Other"):
        assert name in page
    assert "Hidden Person" not in page
    assert "Cleo Clinician" in page
    assert "Pat Peer" in page

    def names(query: str) -> set[str]:
        body = text(client.get("/caseload/clients" + query))
        return {n for n in ("Maria Lopez", "Sam Referred", "Dan Discharged", "Olive Other") if n in body}

    assert names("?q=lopez") == {"Maria Lopez"}
    assert names("?q=mari") == {"Maria Lopez"}
    assert names("?q=5551234567") == {"Maria Lopez"}
    assert names("?q=123-4567") == {"Maria Lopez"}
    assert names("?status=referred") == {"Sam Referred"}
    assert names(f"?program={other_program.id}") == {"Olive Other"}
    assert names("?q=%25") == set()  # a LIKE wildcard is searched for literally
    assert names("?status=nonsense&program=abc") == {"Maria Lopez", "Sam Referred", "Dan Discharged", "Olive Other"}
    bad = client.get("/caseload/clients?status=nonsense&q=" + "y" * 5000)
    assert bad.status_code == 200
    assert "This filter was left out." in text(bad)


def test_client_list_pages(client, db, peer, crp):
    for n in range(30):
        make_client(f"Person {n:02d}", program=crp.program)
    db.session.commit()
    assert "Showing 1 to 25 of 30." in text(client.get("/caseload/clients"))
    second = text(client.get("/caseload/clients?page=2"))
    assert "Person 29" in second
    assert "Person 00" not in second
    assert "This page is empty" in text(client.get("/caseload/clients?page=9"))


def read_csv(response) -> list[list[str]]:
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_csv_export_holds_the_filtered_list_guards_formulas_and_audits_a_count(client, db, peer, crp):
    nurse = make_staff(Role.STAFF, name="Nia Nurse")
    formula = make_client("=HYPERLINK(\"http://x\")", phone="+1 555 0100", program=crp.program, pronouns="@they")
    assign(formula, peer)
    assign(formula, nurse, "clinician")
    make_client("Bo Plain", program=crp.program, date_of_birth=date(1990, 5, 6), status=ClientStatus.REFERRED)
    make_client("Not Visible", program=make_program())
    db.session.commit()

    response = client.get("/caseload/clients/export.csv")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0][0] == "Name"
    assert len(rows) == 3
    by_name = {row[0]: row for row in rows[1:]}
    assert set(by_name) == {"'=HYPERLINK(\"http://x\")", "Bo Plain"}
    guarded = by_name["'=HYPERLINK(\"http://x\")"]
    assert guarded[2] == "'@they"
    assert guarded[4] == "'+1 555 0100"
    assert guarded[7] == "Pat Peer"
    assert guarded[8] == "Nia Nurse"
    assert by_name["Bo Plain"][3] == "1990-05-06"
    assert by_name["Bo Plain"][6] == "Referred"

    [entry] = audit_entries(db, "client.exported")
    assert entry.actor_id == peer.id
    assert "2" in entry.detail
    assert "Plain" not in entry.detail
    assert "HYPERLINK" not in entry.detail

    filtered = read_csv(client.get("/caseload/clients/export.csv?status=referred"))
    assert [row[0] for row in filtered[1:]] == ["Bo Plain"]
    assert "1 clients" in audit_entries(db, "client.exported")[-1].detail


# Adding and editing -------------------------------------------------------------------------------------------


def client_form(**overrides: str) -> dict[str, str]:
    data = {
        "name": "Maria Lopez",
        "preferred_name": "Mari",
        "pronouns": "she/her",
        "date_of_birth": "1985-03-15",
        "phone": "(555) 123-4567",
        "program": "",
        "status": "referred",
        "assign_me": "peer",
    }
    data.update(overrides)
    return data


def test_add_a_client_and_assign_myself(client, db, peer, crp):
    response = client.post("/caseload/clients/new", data=client_form(program=str(crp.program.id)))

    assert response.status_code == 302
    created = db.session.scalar(select(Client).where(Client.name == "Maria Lopez"))
    assert response.headers["Location"].endswith(f"/caseload/clients/{created.id}")
    assert created.date_of_birth == date(1985, 3, 15)
    assert created.program_id == crp.program.id
    assert created.status == ClientStatus.ACTIVE  # assigning someone makes a referred client active
    [assignment] = db.session.scalars(select(Assignment).where(Assignment.client_id == created.id))
    assert assignment.staff_id == peer.id
    assert assignment.kind == "peer"
    assert [e.record_id for e in audit_entries(db, "client.created")] == [str(created.id)]
    assert "Maria" not in audit_entries(db, "client.created")[0].detail
    assert audit_entries(db, "client.assigned")


def test_the_add_form_offers_sensible_defaults(client, db, login_as):
    login_as(Role.PEER)
    page = text(client.get("/caseload/clients/new"))
    assert '<input checked class="usa-radio__input" id="assign_me-0" name="assign_me" required type="radio" ' \
        'value="peer">' in page
    assert '<option selected value="referred">' in page
    login_as(Role.STAFF)
    assert '<input checked class="usa-radio__input" id="assign_me-1"' in text(client.get("/caseload/clients/new"))


def test_adding_without_assigning_someone_outside_the_program_lands_on_the_list(client, db, peer):
    response = client.post("/caseload/clients/new", data=client_form(assign_me="no"), follow_redirects=True)
    assert response.request.path == "/caseload/clients"
    assert "their record is not shown to you" in text(response)
    assert db.session.scalar(select(func.count(Client.id))) == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "Enter the client&#39;s full name."),
        ({"name": "N" * 5000}, "name", "Use at most 120 characters."),
        ({"preferred_name": "p" * 5000}, "preferred_name", "Use at most 120 characters."),
        ({"pronouns": "x" * 5000}, "pronouns", "Use at most 40 characters."),
        ({"name": "Nul\x00Byte"}, "name", "Remove the tabs, line breaks or other special characters"),
        ({"date_of_birth": ""}, "date_of_birth", "Enter the client&#39;s date of birth."),
        ({"date_of_birth": "2020-02-31"}, "date_of_birth", "Enter a real date"),
        ({"date_of_birth": "x" * 5000}, "date_of_birth", "Enter a real date"),
        ({"date_of_birth": f"{timeutil.today() + timedelta(days=2)}"}, "date_of_birth", "cannot be in the future"),
        ({"date_of_birth": "1850-01-01"}, "date_of_birth", "after 1900"),
        ({"phone": "call me maybe"}, "phone", "Use only numbers, spaces"),
        ({"phone": "9" * 5000}, "phone", "Use at most 40 characters."),
        ({"program": "999999"}, "program", "Choose one of the options in the list."),
        ({"program": "abc"}, "program", "Choose one of the options in the list."),
        ({"status": "gone"}, "status", "Choose one of the options in the list."),
        ({"assign_me": "boss"}, "assign_me", "Choose one of the options in the list."),
    ],
)
def test_add_client_validation_keeps_the_input(client, db, peer, changes, field, message):
    data = client_form(**changes)
    response = client.post("/caseload/clients/new", data=data)

    assert response.status_code == 400
    page = text(response)
    assert message in page
    assert f'id="{field}-error"' in page
    assert "Please fix" in page
    assert f'value="{escape(data["pronouns"])}"' in page  # what was typed is kept, the wrong part included
    assert db.session.scalar(select(func.count(Client.id))) == 0


def test_phone_numbers_people_really_write_are_accepted(client, db, peer):
    for n, phone in enumerate(("555-0100", "+1 (555) 010-0100", "555.010.0100 ext. 12", "555 0100 x 3")):
        response = client.post("/caseload/clients/new", data=client_form(name=f"Person {n}", phone=phone))
        assert response.status_code == 302, phone


def test_a_role_without_a_caseload_cannot_assign_itself(client, db, login_as):
    login_as(Role.PRIVACY)
    page = text(client.get("/caseload/clients/new"))
    assert 'value="peer"' not in page
    response = client.post("/caseload/clients/new", data=client_form(assign_me="peer"))
    assert response.status_code == 400
    assert client.post("/caseload/clients/new", data=client_form(assign_me="no")).status_code == 302
    assert db.session.scalar(select(func.count(Assignment.id))) == 0


def edit_form(record: Client, **overrides: str) -> dict[str, str]:
    data = {
        "name": record.name,
        "preferred_name": record.preferred_name,
        "pronouns": record.pronouns,
        "date_of_birth": record.date_of_birth.isoformat(),
        "phone": record.phone,
        "program": str(record.program_id or ""),
        "status": record.status,
        "version": str(record.version),
    }
    data.update(overrides)
    return data


def test_edit_a_client(client, db, peer, crp):
    record = make_client("Jo Smith", program=crp.program)
    assign(record, peer)
    db.session.commit()
    page = client.get(f"/caseload/clients/{record.id}/edit")
    assert page.status_code == 200
    assert 'value="Jo Smith"' in text(page)

    response = client.post(
        f"/caseload/clients/{record.id}/edit", data=edit_form(record, name="Jo Smythe", pronouns="they/them")
    )

    assert response.status_code == 302
    db.session.refresh(record)
    assert (record.name, record.pronouns, record.version) == ("Jo Smythe", "they/them", 2)
    [entry] = audit_entries(db, "client.updated")
    assert entry.detail == "name, pronouns"  # which fields, never their values


def test_a_stale_edit_answers_409_and_keeps_the_input(client, db, peer, crp):
    record = make_client("Jo Smith", program=crp.program, phone="555-0100")
    assign(record, peer)
    db.session.commit()
    stale = edit_form(record, name="My Change")
    record.phone = "555-0199"  # someone else saves first
    db.session.commit()

    response = client.post(f"/caseload/clients/{record.id}/edit", data=stale)

    assert response.status_code == 409
    page = text(response)
    assert "Someone else changed this record while you were editing" in page
    assert 'value="My Change"' in page  # my input is kept
    assert "555-0199" in page  # their value is shown
    assert f'name="version" type="hidden" value="{record.version}"' in page
    db.session.refresh(record)
    assert record.name == "Jo Smith"
    # Saving again from the refreshed form goes through.
    again = client.post(f"/caseload/clients/{record.id}/edit", data=edit_form(record, name="My Change"))
    assert again.status_code == 302


def test_edit_validation_and_a_broken_version(client, db, peer, crp):
    record = make_client("Jo Smith", program=crp.program)
    assign(record, peer)
    db.session.commit()
    bad = client.post(f"/caseload/clients/{record.id}/edit", data=edit_form(record, phone="=1+1", name="Kept"))
    assert bad.status_code == 400
    assert 'value="Kept"' in text(bad)
    broken = client.post(f"/caseload/clients/{record.id}/edit", data=edit_form(record, version="x" * 5000))
    assert broken.status_code == 400
    assert "Reload the page" in text(broken)


def test_a_program_where_the_staff_client_works_is_refused_as_a_form_error(client, db, login_as, crp):
    housing = make_team(make_program(name="Housing"), name="Housing team")
    worker = make_staff(Role.PEER, teams=[crp], name="Wren Worker")  # the staff member who is a client
    provider = login_as(Role.STAFF, teams=[housing])
    record = make_client("Wren Worker", program=housing.program)
    assign(record, provider, "clinician")
    seal(record, worker)
    db.session.commit()

    response = client.post(
        f"/caseload/clients/{record.id}/edit", data=edit_form(record, program=str(crp.program.id), pronouns="he")
    )

    assert response.status_code == 409
    page = text(response)
    assert 'id="program-error"' in page
    assert "This client works in that program" in page
    assert 'value="he"' in page
    db.session.refresh(record)
    assert record.program_id == housing.program.id
    assert record.pronouns != "he"  # nothing of the refused edit is saved
    [refusal] = audit_entries(db, "client.program_refused")
    assert refusal.outcome == "denied"
    assert audit_entries(db, "client.updated") == []


def test_a_refusal_undoes_the_work_and_keeps_its_audit_entry(db, crp):
    """``keep_refusal`` (core.errors) for the caseload: a client added with a self-assignment that is refused is
    not kept, while the refusal stays in the log."""
    from caseload.services import clients as service
    from core.errors import Refused, keep_refusal

    former = make_staff(Role.PEER, teams=[crp], name="Fay Former", status=StaffStatus.DEACTIVATED)
    db.session.commit()
    data = {"name": "Jo Smith", "date_of_birth": date(1980, 1, 2), "status": ClientStatus.REFERRED.value}
    with pytest.raises(Refused, match="not an active staff member") as refused:
        service.create_client(data, former, assign_self_as="peer")
    keep_refusal(refused.value, former)

    assert db.session.scalar(select(func.count(Client.id))) == 0
    assert audit_entries(db, "client.created") == []
    [entry] = audit_entries(db, "client.assignment_refused")
    assert (entry.actor_id, entry.outcome) == (former.id, "denied")
    assert entry.detail == f"provider {former.id}: conflict check"


# The record page ----------------------------------------------------------------------------------------------


def test_the_record_page_shows_the_record_and_audits_the_read(client, db, peer, crp):
    former = make_staff(Role.PEER, name="Fay Former")
    record = make_client("Jo Smith", preferred_name="Jojo", pronouns="they/them", phone="555-0100",
                         program=crp.program, date_of_birth=date(1979, 7, 4))
    assign(record, peer)
    assign(record, former).ended_at = utcnow()
    db.session.add(Consent(client_id=record.id, kind="release", recipient="Main St Clinic", purpose="housing",
                           signed_on=date(2024, 1, 2), recorded_by_id=peer.id))
    db.session.commit()

    response = client.get(f"/caseload/clients/{record.id}")

    assert response.status_code == 200
    page = text(response)
    for shown in ("Jojo (Jo Smith)", "they/them", "4 July 1979", "555-0100", "Community Recovery Program",
                  "Pat Peer", "Fay Former", "Past providers", "Main St Clinic", "In effect"):
        assert shown in page, shown
    assert "Sealed record" not in page
    [entry] = audit_entries(db, "client.viewed")
    assert (entry.actor_id, entry.record_id, entry.detail) == (peer.id, str(record.id), "record")


def test_the_record_page_links_the_plan_and_the_notes(app, client, db, peer, crp):
    record = make_client("Jo Smith", program=crp.program)
    db.session.commit()
    page = text(client.get(f"/caseload/clients/{record.id}"))
    assert "Recovery work" in page
    for endpoint in ("caseload.plan", "caseload.client_notes"):
        assert link(app, endpoint, client_id=record.id) in page


def test_the_assign_list_holds_active_providers_without_declared_relationships(client, db, peer, crp):
    from caseload.models import DeclaredRelationship

    record = make_client("Jo Smith", program=crp.program)
    make_staff(Role.SUPERVISOR, name="Sue Supervisor")
    make_staff(Role.PEER, name="Dee Deactivated", status=StaffStatus.DEACTIVATED)
    make_staff(Role.HR, name="Hal HR")
    knows = make_staff(Role.PEER, name="Kim Knows")
    db.session.add(DeclaredRelationship(staff_id=knows.id, client_id=record.id, relationship="friend"))
    db.session.commit()

    page = text(client.get(f"/caseload/clients/{record.id}"))
    options = page.split('id="assign-provider"')[1].split("</select>")[0]
    assert "Sue Supervisor" in options
    assert "Pat Peer" in options
    for absent in ("Dee Deactivated", "Hal HR", "Kim Knows"):
        assert absent not in options


def test_assign_and_end_an_assignment(client, db, peer, crp):
    record = make_client("Jo Smith", program=crp.program, status=ClientStatus.REFERRED)
    nurse = make_staff(Role.STAFF, name="Nia Nurse")
    db.session.commit()

    response = client.post(
        f"/caseload/clients/{record.id}/assign", data={"assign-provider": str(nurse.id), "assign-kind": "clinician"}
    )
    assert response.status_code == 302
    assignment = db.session.scalar(select(Assignment).where(Assignment.client_id == record.id))
    assert (assignment.staff_id, assignment.kind, assignment.ended_at) == (nurse.id, "clinician", None)
    assert record.status == ClientStatus.ACTIVE

    ended = client.post(f"/caseload/clients/{record.id}/assignments/{assignment.id}/end")
    assert ended.status_code == 302
    db.session.refresh(assignment)
    assert assignment.ended_at is not None
    assert audit_entries(db, "client.unassigned")[0].detail == f"provider {nurse.id}"
    # With no one left, the client needs a new worker.
    assert "Jo Smith" in text(client.get("/caseload/reassign"))


def test_assign_validation(client, db, peer, crp):
    record = make_client("Jo Smith", program=crp.program)
    db.session.commit()
    for data in ({}, {"assign-provider": "abc", "assign-kind": "peer"}, {"assign-provider": str(peer.id)},
                 {"assign-provider": "999999", "assign-kind": "peer"},
                 {"assign-provider": str(peer.id), "assign-kind": "boss"}):
        response = client.post(f"/caseload/clients/{record.id}/assign", data=data)
        assert response.status_code == 400, data
        assert "Please fix" in text(response)
    assert db.session.scalar(select(func.count(Assignment.id))) == 0


def test_an_assignment_refused_by_a_conflict_check_answers_409_and_keeps_the_choice(client, db, login_as, crp):
    housing = make_team(make_program(name="Housing"), name="Housing team")
    worker = make_staff(Role.PEER, teams=[crp], name="Wren Worker")
    teammate = make_staff(Role.PEER, teams=[crp], name="Tia Teammate")
    provider = login_as(Role.STAFF, teams=[housing])
    record = make_client("Wren Worker", program=housing.program)
    assign(record, provider, "clinician")
    seal(record, worker)
    db.session.add(Determination(client_id=record.id, situation="s", decision="d", rationale="r", consulted="c",
                                 review_on=timeutil.today() + timedelta(days=90), recorded_by_id=provider.id))
    db.session.commit()

    response = client.post(
        f"/caseload/clients/{record.id}/assign", data={"assign-provider": str(teammate.id), "assign-kind": "peer"}
    )

    assert response.status_code == 409
    page = text(response)
    assert "This assignment was not made" in page
    assert "works on the same team as this client" in page
    assert f'<option selected value="{teammate.id}">' in page or f'value="{teammate.id}" selected' in page
    assert db.session.scalar(
        select(func.count(Assignment.id)).where(Assignment.staff_id == teammate.id)
    ) == 0
    assert audit_entries(db, "client.assignment_refused")[0].outcome == "denied"


def test_an_assignment_from_another_client_answers_404(client, db, peer, crp):
    mine = make_client("Jo Smith", program=crp.program)
    other = make_client("Al Other", program=crp.program)
    theirs = assign(other, peer)
    db.session.commit()
    response = client.post(f"/caseload/clients/{mine.id}/assignments/{theirs.id}/end")
    assert response.status_code == 404
    db.session.refresh(theirs)
    assert theirs.ended_at is None


# Consents -----------------------------------------------------------------------------------------------------


def consent_form(**overrides: str) -> dict[str, str]:
    data = {
        "consent-kind": "release",
        "consent-recipient": "Main St Clinic",
        "consent-purpose": "Coordinating care",
        "consent-signed_on": "2024-02-01",
        "consent-expires_on": "2025-02-01",
    }
    data.update(overrides)
    return data


def test_record_and_revoke_a_consent(client, db, peer, crp):
    record = make_client("Jo Smith", program=crp.program)
    assign(record, peer)
    db.session.commit()

    response = client.post(f"/caseload/clients/{record.id}/consents", data=consent_form())
    assert response.status_code == 302
    consent = db.session.scalar(select(Consent))
    assert (consent.kind, consent.recipient, consent.signed_on, consent.expires_on) == (
        "release", "Main St Clinic", date(2024, 2, 1), date(2025, 2, 1)
    )
    assert audit_entries(db, "client.consent_recorded")[0].detail == "release"
    assert "Expired" in text(client.get(f"/caseload/clients/{record.id}"))

    revoked = client.post(f"/caseload/clients/{record.id}/consents/{consent.id}/revoke", follow_redirects=True)
    assert "is revoked from today" in text(revoked)
    db.session.refresh(consent)
    assert consent.revoked_on == timeutil.today()
    again = client.post(f"/caseload/clients/{record.id}/consents/{consent.id}/revoke", follow_redirects=True)
    assert "was already revoked" in text(again)
    assert len(audit_entries(db, "client.consent_revoked")) == 1

    services = client.post(
        f"/caseload/clients/{record.id}/consents",
        data=consent_form(**{"consent-kind": "services", "consent-recipient": "", "consent-expires_on": ""}),
    )
    assert services.status_code == 302


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"consent-recipient": ""}, "Enter who may receive the information"),
        ({"consent-expires_on": "2024-01-01"}, "The expiry date must be after the date signed."),
        ({"consent-signed_on": (timeutil.today() + timedelta(days=3)).isoformat()}, "cannot be in the future"),
        ({"consent-signed_on": ""}, "Enter the date the client signed."),
        ({"consent-purpose": "p" * 5000}, "Use at most 300 characters."),
        ({"consent-recipient": "r" * 5000}, "Use at most 200 characters."),
        ({"consent-kind": ""}, "Choose consent to services or release of information."),
    ],
)
def test_consent_validation(client, db, peer, crp, changes, message):
    record = make_client("Jo Smith", program=crp.program)
    db.session.commit()
    response = client.post(f"/caseload/clients/{record.id}/consents", data=consent_form(**changes))
    assert response.status_code == 400
    assert message in text(response)
    assert db.session.scalar(select(func.count(Consent.id))) == 0


# Needs reassignment -------------------------------------------------------------------------------------------


def test_clients_of_a_deactivated_worker_need_reassignment(client, db, peer, crp):
    leaver = make_staff(Role.PEER, teams=[crp], name="Lee Leaver")
    left_behind = make_client("Orphan One", program=crp.program)
    assign(left_behind, leaver)
    covered = make_client("Covered Two", program=crp.program)
    assign(covered, peer)
    make_client("Discharged Three", program=crp.program, status=ClientStatus.DISCHARGED)
    elsewhere = make_client("Elsewhere Four", program=make_program())
    leaver.status = StaffStatus.DEACTIVATED
    db.session.commit()

    page = text(client.get("/caseload/reassign"))

    assert "Orphan One" in page
    assert "Lee Leaver" in page
    assert "(account deactivated)" in page
    assert f'href="/caseload/clients/{left_behind.id}#assign"' in page
    for absent in ("Covered Two", "Discharged Three", elsewhere.name):
        assert absent not in page
    for n in range(30):
        make_client(f"Waiting {n:02d}", program=crp.program)
    db.session.commit()
    assert "Showing 26 to 31 of 31." in text(client.get("/caseload/reassign?page=2"))


def test_sealed_access_is_recorded_when_a_provider_opens_a_sealed_record(client, db, login_as, crp):
    housing = make_team(make_program(name="Housing"), name="Housing team")
    worker = make_staff(Role.PEER, teams=[crp])
    provider = login_as(Role.STAFF, teams=[housing])
    record = make_client("Wren Worker", program=housing.program)
    assign(record, provider, "clinician")
    seal(record, worker)
    db.session.commit()

    page = text(client.get(f"/caseload/clients/{record.id}"))
    assert "Sealed record" in page
    client.get("/caseload/clients/export.csv")
    accesses = db.session.scalars(select(SealedAccess).order_by(SealedAccess.id)).all()
    assert [(a.staff_id, a.client_id, a.what) for a in accesses] == [
        (provider.id, record.id, "record"),
        (provider.id, record.id, "clients CSV export"),
    ]
