"""The visibility rules for sealed records, checked directly against the SQL condition the lists use."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from caseload.access import may_see, provider_conflict, visible_clients
from caseload.models import Client, DeclaredRelationship, EmergencyGrant
from core.timeutil import utcnow
from tests.factories import assign, make_client, make_staff, make_team, seal


@pytest.fixture
def agency(db):
    crp = make_team(name="CRP day")
    mhicm = make_team(name="MHICM north")
    boss = make_staff("supervisor", teams=[crp])
    peer_worker = make_staff("peer", teams=[crp], supervisor=boss)  # the staff member who is also a client
    coworker = make_staff("peer", teams=[crp], supervisor=boss)
    outside_clinician = make_staff("staff", teams=[mhicm])
    hr = make_staff("hr", "staff", teams=[mhicm])
    grand_boss = make_staff("supervisor", teams=[mhicm])
    boss.supervisor = grand_boss
    client = make_client("Jo Doe", program=mhicm.program)
    assign(client, outside_clinician, "clinician")
    seal(client, peer_worker)
    ordinary = make_client("Sam Open", program=crp.program)
    db.session.commit()
    return locals()


def ids_visible_to(db, user):
    return set(db.session.scalars(select(Client.id).where(visible_clients(user))))


def test_only_outside_assigned_provider_sees_sealed(db, agency):
    sealed = agency["client"].id
    assert may_see(agency["outside_clinician"], sealed)
    for who in ("peer_worker", "coworker", "boss", "grand_boss", "hr"):
        assert sealed not in ids_visible_to(db, agency[who]), who
        assert not may_see(agency[who], sealed), who


def test_assigned_teammate_still_cannot_see(db, agency):
    assign(agency["client"], agency["coworker"])
    db.session.commit()
    assert not may_see(agency["coworker"], agency["client"].id)


def test_conflict_checks_name_the_reason(db, agency):
    client = agency["client"]
    assert "same team" in provider_conflict(client, agency["coworker"])
    assert "supervisor chain" in provider_conflict(client, agency["grand_boss"])
    assert "HR" in provider_conflict(client, agency["hr"])
    assert "own" in provider_conflict(client, agency["peer_worker"])
    assert provider_conflict(client, agency["outside_clinician"]) is None


def test_program_colleagues_see_ordinary_clients(db, agency):
    assert agency["ordinary"].id in ids_visible_to(db, agency["coworker"])
    assert agency["ordinary"].id not in ids_visible_to(db, agency["outside_clinician"])


def test_declared_relationship_hides_client(db, agency):
    db.session.add(DeclaredRelationship(staff_id=agency["coworker"].id, client_id=agency["ordinary"].id,
                                        relationship="friend"))
    db.session.commit()
    assert agency["ordinary"].id not in ids_visible_to(db, agency["coworker"])


def test_emergency_grant_opens_then_expires(db, agency):
    # Outside the staff member's teams and supervisor chain: a grant opens the record for them (issue 10: a
    # co-worker's grant opens nothing, see test_emergency_grant_never_overrides_a_bar).
    on_call = make_staff("peer", teams=[make_team(name="Night line")])
    grant = EmergencyGrant(staff_id=on_call.id, client_id=agency["client"].id, purpose="crisis",
                           reason="Client in crisis at the day program now", expires_at=utcnow() + timedelta(hours=4))
    db.session.add(grant)
    db.session.commit()
    assert may_see(on_call, agency["client"].id)
    grant.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert not may_see(on_call, agency["client"].id)


@pytest.mark.parametrize("who", ["coworker", "boss", "grand_boss", "hr"])
def test_emergency_grant_never_overrides_a_bar(db, agency, who):
    db.session.add(EmergencyGrant(staff_id=agency[who].id, client_id=agency["client"].id, purpose="crisis",
                                  reason="Client in crisis at the day program now",
                                  expires_at=utcnow() + timedelta(hours=4)))
    db.session.commit()
    assert not may_see(agency[who], agency["client"].id)


def test_emergency_grant_never_opens_own_record(db, agency):
    db.session.add(EmergencyGrant(staff_id=agency["peer_worker"].id, client_id=agency["client"].id,
                                  purpose="crisis", reason="Trying to read my own record here",
                                  expires_at=utcnow() + timedelta(hours=4)))
    db.session.commit()
    assert not may_see(agency["peer_worker"], agency["client"].id)


def test_declared_relationship_hides_client_from_safeguard_screens_too(db, agency, client, login_as):
    from caseload.access import Viewer, can_safeguard

    officer = login_as("privacy")
    sealed = agency["client"]
    assert sealed.id in set(db.session.scalars(select(Client.id).where(can_safeguard(Viewer.of(officer)))))
    db.session.add(DeclaredRelationship(staff_id=officer.id, client_id=sealed.id, relationship="neighbour"))
    db.session.commit()
    assert sealed.id not in set(db.session.scalars(select(Client.id).where(can_safeguard(Viewer.of(officer)))))
    assert client.get(f"/caseload/safeguards/clients/{sealed.id}").status_code == 404
