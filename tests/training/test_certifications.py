"""HR keeps the credentials' rules and people's certifications; the person, their supervisor chain and HR read
them (every read of someone else's record audited); renewals add the next cycle; no edit overwrites another."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from core import credentials
from core.models import AuditEntry, CredentialType, Role
from tests import factories
from tests.training.helpers import certify, make_credential
from training.models import Certification, Cycle
from training.services import certifications


def audit_actions(db) -> list[tuple[str, str]]:
    return [(e.action, e.outcome) for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_the_example_rules_for_three_states_are_marked_check_with_your_board(client, db, login_as):
    login_as(Role.HR)
    response = client.post("/training/credentials/examples", follow_redirects=True)
    assert b"Check every figure with the board" in response.data
    added = db.session.scalars(select(CredentialType).order_by(CredentialType.state)).all()
    assert [c.state for c in added] == ["IL", "PA", "TX"]
    assert all(c.check_with_board and c.cycle_months and c.ce_qh for c in added)
    assert any(c.provisional_months for c in added)
    assert all(any(r.category == "ethics" and r.min_qh for r in c.category_rules) for c in added)
    page = client.get("/training/credentials")
    assert page.data.count(b"Check with your board") == 3
    again = client.post("/training/credentials/examples", follow_redirects=True)
    assert b"on the list already" in again.data
    assert len(db.session.scalars(select(CredentialType)).all()) == 3


def _rules_form(credential: CredentialType, **changes: str) -> dict[str, str]:
    from training.forms import rules_form_data

    data = {key: ("" if value is None else str(value)) for key, value in rules_form_data(credential).items()}
    data["check_with_board"] = "y" if credential.check_with_board else ""
    data.update(changes)
    return {key: value for key, value in data.items() if value != "" or key in changes}


def test_hr_edits_the_rules_and_every_certification_follows(client, db, login_as):
    hr = login_as(Role.HR)
    credential = make_credential(grace_days=0)
    peer = factories.make_staff(Role.PEER)
    found = certify(peer, credential, date(2025, 1, 1), date(2026, 12, 31), actor=hr)
    db.session.commit()
    response = client.post(
        f"/training/credentials/{credential.id}/edit",
        data=_rules_form(credential, grace_days="60", ce_hours="20", min_ethics="2.5"),
    )
    assert response.status_code == 302, response.data
    db.session.expire_all()
    assert db.session.get(Certification, found.id).grace_ends_on == date(2027, 3, 1)
    assert credentials.rules_of(db.session.get(CredentialType, credential.id)).minimums == {"ethics": 10}
    assert ("credential.rules_changed", "allowed") in audit_actions(db)


def test_rules_that_cannot_all_hold_come_back_with_the_input_kept(client, db, login_as):
    login_as(Role.HR)
    credential = make_credential()
    db.session.commit()
    response = client.post(
        f"/training/credentials/{credential.id}/edit",
        data=_rules_form(credential, ce_hours="4", min_ethics="3", min_trauma="2", max_online_hours="1.3"),
    )
    assert response.status_code == 400
    assert b"Use quarter hours" in response.data
    response = client.post(
        f"/training/credentials/{credential.id}/edit",
        data=_rules_form(credential, ce_hours="4", min_ethics="3", min_trauma="2"),
    )
    assert response.status_code == 400
    assert b"add up to 5 hours, more than the 4 hours" in response.data
    assert b'value="4"' in response.data


def test_a_stale_rules_form_is_refused_with_409_and_the_input_kept(client, db, login_as):
    login_as(Role.HR)
    credential = make_credential()
    db.session.commit()
    first = _rules_form(credential, grace_days="10")
    second = _rules_form(credential, grace_days="20", rules_note="Checked by phone")
    assert client.post(f"/training/credentials/{credential.id}/edit", data=first).status_code == 302
    late = client.post(f"/training/credentials/{credential.id}/edit", data=second)
    assert late.status_code == 409
    assert b"Checked by phone" in late.data
    assert db.session.get(CredentialType, credential.id).grace_days == 10


def test_hr_adds_a_certification_and_its_first_cycle(client, db, login_as, frozen_time):
    frozen_time.at("2026-06-01 10:00")
    hr = login_as(Role.HR)
    credential = make_credential(cycle_months=24, grace_days=90)
    peer = factories.make_staff(Role.PEER)
    db.session.commit()
    response = client.post(
        f"/training/people/{peer.id}/certifications/new",
        data={"credential_type": credential.id, "number": "CPS-204", "issued_on": "2026-03-15"},
    )
    assert response.status_code == 302, response.data
    found = db.session.scalar(select(Certification).where(Certification.staff_id == peer.id))
    assert (found.expires_on, found.grace_ends_on) == (date(2028, 3, 14), date(2028, 6, 12))
    [cycle] = db.session.scalars(select(Cycle).where(Cycle.certification_id == found.id)).all()
    assert (cycle.number, cycle.starts_on, cycle.ends_on) == (1, date(2026, 3, 15), date(2028, 3, 14))
    page = client.get(response.headers["Location"])
    assert b"Active" in page.data
    assert b"CPS-204" in page.data
    assert hr.id  # HR read a record that is not theirs: audited
    assert ("training.certification_read", "allowed") in audit_actions(db)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"issued_on": "2031-01-01"}, b"cannot be after today"),
        ({"issued_on": "2026-01-01", "expires_on": "2025-01-01"}, b"on or after the day it was issued"),
        ({"issued_on": ""}, b"Enter the day it was issued"),
    ],
)
def test_a_certification_with_impossible_dates_is_refused_next_to_the_field(client, db, login_as, form, message):
    login_as(Role.HR)
    credential = make_credential()
    peer = factories.make_staff(Role.PEER)
    db.session.commit()
    response = client.post(
        f"/training/people/{peer.id}/certifications/new",
        data={"credential_type": credential.id, "number": "KEEP-ME", **form},
    )
    assert response.status_code == 400
    assert message in response.data
    assert b"KEEP-ME" in response.data


def test_a_renewal_adds_the_next_cycle_from_the_day_after(client, db, login_as):
    hr = login_as(Role.HR)
    peer = factories.make_staff(Role.PEER)
    found = certify(
        peer, make_credential(cycle_months=24, grace_days=30), date(2024, 3, 1), date(2026, 2, 28), actor=hr
    )
    db.session.commit()
    form = client.get(f"/training/certifications/{found.id}/renew")
    assert b"2028-02-29" in form.data  # the default: the credential's cycle, to a leap day
    response = client.post(
        f"/training/certifications/{found.id}/renew", data={"expires_on": "2028-02-29", "version": found.version}
    )
    assert response.status_code == 302
    cycles = db.session.scalars(select(Cycle).where(Cycle.certification_id == found.id).order_by(Cycle.number)).all()
    assert [(c.starts_on, c.ends_on) for c in cycles] == [
        (date(2024, 3, 1), date(2026, 2, 28)),
        (date(2026, 3, 1), date(2028, 2, 29)),
    ]
    db.session.expire_all()
    assert db.session.get(Certification, found.id).grace_ends_on == date(2028, 3, 30)


def test_a_renewal_sent_twice_from_the_same_page_is_refused_with_409_and_adds_one_cycle(client, db, login_as):
    hr = login_as(Role.HR)
    peer = factories.make_staff(Role.PEER)
    found = certify(peer, make_credential(cycle_months=24), date(2024, 3, 1), date(2026, 2, 28), actor=hr)
    db.session.commit()
    sent = {"expires_on": "2028-02-29", "version": found.version}
    assert client.post(f"/training/certifications/{found.id}/renew", data=sent).status_code == 302
    late = client.post(f"/training/certifications/{found.id}/renew", data=sent)
    assert late.status_code == 409
    assert b"2028-02-29" in late.data  # the date typed is kept
    assert len(db.session.scalars(select(Cycle).where(Cycle.certification_id == found.id)).all()) == 2


def test_a_stale_certification_edit_is_refused_with_409(client, db, login_as):
    hr = login_as(Role.HR)
    peer = factories.make_staff(Role.PEER)
    found = certify(peer, make_credential(), date(2025, 1, 1), date(2026, 12, 31), actor=hr)
    db.session.commit()
    loaded = found.version
    base = {"issued_on": "2025-01-01", "expires_on": "2026-12-31", "hold": "none", "version": loaded}
    assert client.post(f"/training/certifications/{found.id}/edit", data={**base, "number": "A"}).status_code == 302
    late = client.post(
        f"/training/certifications/{found.id}/edit",
        data={**base, "number": "B", "hold": "suspended", "hold_note": "Board letter"},
    )
    assert late.status_code == 409
    assert b"Board letter" in late.data
    db.session.expire_all()
    assert db.session.get(Certification, found.id).number == "A"


def test_who_sees_a_persons_certification(client, db, login_as):
    """The person, everyone above them and HR; nobody else, not even another supervisor or a teammate: for them
    it answers exactly like a certification that does not exist."""
    top = factories.make_staff(Role.SUPERVISOR)
    middle = factories.make_staff(Role.SUPERVISOR, supervisor=top)
    peer = factories.make_staff(Role.PEER, supervisor=middle)
    found = certify(peer, make_credential(), date(2025, 1, 1), date(2026, 12, 31))
    db.session.commit()
    url = f"/training/certifications/{found.id}"
    for person, expected in [(peer, 200), (middle, 200), (top, 200)]:
        token = factories.start_session(person)
        with client.session_transaction() as session:
            session["_user_id"] = token
        assert client.get(url).status_code == expected
        assert client.get(f"/training/people/{peer.id}").status_code == expected
    for roles in [(Role.SUPERVISOR,), (Role.PEER,), (Role.ADMIN,), (Role.PRIVACY,)]:
        login_as(*roles)
        assert client.get(url).status_code == 404
        assert client.get(f"/training/people/{peer.id}").status_code == 404
    login_as(Role.HR)
    assert client.get(url).status_code == 200


def test_only_hr_changes_certifications(client, db, login_as):
    supervisor = factories.make_staff(Role.SUPERVISOR)
    peer = factories.make_staff(Role.PEER, supervisor=supervisor)
    found = certify(peer, make_credential(), date(2025, 1, 1), date(2026, 12, 31))
    db.session.commit()
    token = factories.start_session(peer)
    with client.session_transaction() as session:
        session["_user_id"] = token
    assert client.get(f"/training/certifications/{found.id}/edit").status_code == 403
    assert client.post(f"/training/people/{peer.id}/certifications/new", data={}).status_code == 403
    assert client.get("/training/credentials").status_code == 403


def test_hr_undoes_a_renewal_recorded_by_mistake_while_it_is_the_latest(client, db, login_as, frozen_time):
    from tests.training.helpers import approved

    frozen_time.at("2026-04-01 10:00")
    hr = login_as(Role.HR)
    peer = factories.make_staff(Role.PEER)
    found = certify(peer, make_credential(cycle_months=24), date(2024, 3, 1), date(2026, 2, 28), actor=hr)
    db.session.commit()
    assert b"Undo the latest renewal" not in client.get(f"/training/certifications/{found.id}").data
    first = client.get(f"/training/certifications/{found.id}/undo-renewal", follow_redirects=True)
    assert b"no renewal to undo" in first.data
    client.post(f"/training/certifications/{found.id}/renew", data={"expires_on": "", "version": found.version})
    db.session.expire_all()
    renewed = db.session.get(Certification, found.id)
    assert renewed.expires_on == date(2028, 2, 29)
    approved(renewed, peer, taken_on=date(2026, 3, 10))  # dated in the new cycle
    db.session.commit()

    page = client.get(f"/training/certifications/{found.id}")
    assert b"Undo the latest renewal" in page.data
    confirm = client.get(f"/training/certifications/{found.id}/undo-renewal")
    assert confirm.status_code == 200
    assert "Cycle 2 (Sunday 1 March 2026 to Tuesday 29 February 2028) will be removed" in confirm.get_data(as_text=True)
    from tests.core.test_stale_edits import forms_on

    [form] = [f for f in forms_on(confirm.get_data(as_text=True)) if f.action.endswith("/undo-renewal")]
    sent_data = dict(form.data({}).items())

    response = client.post(f"/training/certifications/{found.id}/undo-renewal", data=sent_data)

    assert response.status_code == 302
    db.session.expire_all()
    cycles = db.session.scalars(select(Cycle).where(Cycle.certification_id == found.id)).all()
    assert [(c.number, c.starts_on, c.ends_on) for c in cycles] == [(1, date(2024, 3, 1), date(2026, 2, 28))]
    back = db.session.get(Certification, found.id)
    assert (back.expires_on, back.grace_ends_on) == (date(2026, 2, 28), date(2026, 2, 28))
    assert cycles[0].counted_qh == 0  # the March course is outside every cycle again, not counted here
    [undone] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "training.renewal_undone")).all()
    assert undone.record_id == str(found.id)
    assert undone.detail == "cycle 2 (2026-03-01 to 2028-02-29) removed"
    page = client.get(f"/training/certifications/{found.id}").get_data(as_text=True)
    assert "Expired" in page
    assert "count once a renewal is recorded" in page

    # The same button sent again (the cycle it named is gone) changes nothing more.
    again = client.post(f"/training/certifications/{found.id}/undo-renewal", data=sent_data, follow_redirects=True)
    assert b"no renewal to undo" in again.data
    assert len(db.session.scalars(select(Cycle).where(Cycle.certification_id == found.id)).all()) == 1


def test_only_the_latest_renewal_is_undone_and_only_by_hr(client, db, login_as):
    hr = login_as(Role.HR)
    supervisor = factories.make_staff(Role.SUPERVISOR)
    peer = factories.make_staff(Role.PEER, supervisor=supervisor)
    found = certify(peer, make_credential(cycle_months=12), date(2023, 1, 1), date(2023, 12, 31), actor=hr)
    certifications.renew(found, None, found.version, hr)
    second = certifications.latest_cycle(found)
    certifications.renew(found, None, found.version, hr)
    db.session.commit()
    version = db.session.get(Certification, found.id).version

    stale = client.post(
        f"/training/certifications/{found.id}/undo-renewal", data={"cycle": second.id, "version": version}
    )
    assert stale.status_code == 302
    assert len(certifications.cycles_of(found)) == 3
    assert ("training.renewal_undone", "allowed") not in audit_actions(db)

    from tests.training.test_orientation import sign_in

    for role, person in ((Role.SUPERVISOR, supervisor), (Role.PEER, peer)):
        sign_in(client, person)
        refused = client.post(
            f"/training/certifications/{found.id}/undo-renewal",
            data={"cycle": certifications.latest_cycle(found).id, "version": version},
        )
        assert refused.status_code in (403, 404), role
    assert len(certifications.cycles_of(found)) == 3
