"""A privacy officer or administrator in a staff member's supervisor chain or on their team is one of the people the
seal is for, like anyone else there: the safeguards screens, the audit screen and the notices about that staff
member's client record leave them out, and another privacy officer handles it.

Wren, a peer specialist on the peer team, is also a client here (record R, sealed). Pat is a privacy officer who is
also Wren's supervisor; Ada an administrator on Wren's team; Hana a privacy officer who also works in HR. Pia, a
privacy officer outside all of that, handles R. Before this, the safeguards screens, the audit screen and the notices
showed R to anyone holding the privacy officer's or administrator's role but Wren.
"""

from __future__ import annotations

import html
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from caseload.access import handlers_of
from caseload.models import Client
from core import audit
from core.models import Role
from tests import factories

NAME = "Zanzibar Quixote"


@pytest.fixture
def agency(db) -> SimpleNamespace:
    program = factories.make_program()
    peer_team, other_team = factories.make_team(program), factories.make_team(program)
    pat = factories.make_staff(Role.PRIVACY, Role.SUPERVISOR, name="Pat Officer", program=program,
                               teams=[other_team])
    ada = factories.make_staff(Role.ADMIN, name="Ada Admin", program=program, teams=[peer_team])
    pia = factories.make_staff(Role.PRIVACY, name="Pia Privacy")
    hana = factories.make_staff(Role.PRIVACY, Role.HR, name="Hana Both")
    wren = factories.make_staff(Role.PEER, name="Wren Peer", program=program, teams=[peer_team], supervisor=pat)
    outside = factories.make_staff(Role.STAFF, name="Olu Outside", program=program, teams=[other_team])
    record = factories.make_client(NAME, program=program)
    factories.assign(record, outside, kind="clinician")
    factories.seal(record, wren)
    audit.record("client.viewed", actor=outside, record_type="client", record_id=record.id)
    db.session.commit()
    return SimpleNamespace(pat=pat, ada=ada, pia=pia, hana=hana, wren=wren, record=record)


def sign_in(client, staff) -> None:
    token = factories.start_session(staff)
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True


def page(client, url: str) -> tuple[int, str]:
    response = client.get(url)
    return response.status_code, html.unescape(response.get_data(as_text=True))


SCREENS = ("/caseload/safeguards", f"/caseload/safeguards?q={NAME.split()[0]}", "/caseload/safeguards/link",
           "/caseload/safeguards/grants", "/caseload/safeguards/access-report", "/audit/")


@pytest.mark.parametrize("who", ["pat", "ada", "hana"])
def test_an_officer_in_the_chain_or_on_the_team_never_sees_the_record(client, db, agency, who):
    sign_in(client, getattr(agency, who))
    for url in SCREENS:
        status, words = page(client, url)
        assert status == 200, url
        assert NAME not in words, f"{who} reads R's name on {url}"
    status, _words = page(client, f"/caseload/safeguards/clients/{agency.record.id}")
    missing, _ = page(client, "/caseload/safeguards/clients/999999")
    assert status == missing == 404
    status, words = page(client, f"/audit/?record_type=client&record_id={agency.record.id}")
    assert status == 200
    assert f"client {agency.record.id}" not in words.lower()


def test_the_officer_outside_handles_the_record(client, db, agency):
    """The control: Pia sees R on the same screens, and she alone is told about it."""
    assert [person.id for person in handlers_of(db.session.get(Client, agency.record.id))] == [agency.pia.id]
    sign_in(client, agency.pia)
    assert NAME in page(client, f"/caseload/safeguards?q={NAME.split()[0]}")[1]
    assert page(client, f"/caseload/safeguards/clients/{agency.record.id}")[0] == 200
    audit_page = page(client, f"/audit/?record_type=client&record_id={agency.record.id}")[1]
    assert f"client {agency.record.id}" in audit_page.lower()


def test_without_the_relation_the_officer_sees_the_record(client, db, agency):
    """The control: once Pat no longer supervises Wren, Pat sees R like any privacy officer."""
    agency.wren.supervisor = None
    db.session.commit()
    sign_in(client, agency.pat)
    assert NAME in page(client, f"/caseload/safeguards?q={NAME.split()[0]}")[1]
    handlers = {person.id for person in handlers_of(db.session.scalar(select(Client).where(Client.name == NAME)))}
    assert handlers == {agency.pat.id, agency.pia.id}, "never Hana (HR) nor Ada (an administrator, and on the team)"
