"""Referral intake and the day's list for rounds (seed 000, the CRP referral pager)."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from caseload.models import Client, ClientStatus, Referral, SealedAccess
from core import timeutil
from core.models import AuditEntry
from core.timeutil import utcnow
from tests.factories import assign, make_client, make_referral, make_staff, make_team, seal
from tests.queries import counting_queries

NEW = "/caseload/referrals/new"
TODAY = "/caseload/referrals"


@pytest.fixture
def agency(db, login_as):
    """A CRP intake team: the signed-in peer takes referrals; a colleague on the team is also a client here."""
    crp = make_team(name="Referral intake")
    other = make_team(name="MHICM north")
    peer = login_as("peer", teams=[crp], program=crp.program)
    colleague = make_staff("peer", teams=[crp], program=crp.program)  # the staff member who is also a client
    outside = make_staff("staff", teams=[other], program=other.program)  # their provider, outside the team
    sealed = make_client("Jo Sealed", program=crp.program, date_of_birth=date(1985, 5, 5))
    assign(sealed, outside, "clinician")
    seal(sealed, colleague)
    db.session.commit()
    return {"crp": crp, "other": other, "peer": peer, "colleague": colleague, "outside": outside, "sealed": sealed}


def without_nonce(text: str) -> str:
    """The page without what changes on every response: the script nonce and the session countdowns."""
    text = re.sub(r'nonce="[^"]*"', 'nonce=""', text)
    return re.sub(r'data-(idle|absolute)-seconds="\d+"', r'data-\1-seconds=""', text)


def form_data(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "source": "emergency_room",
        "name": "Robin Example",
        "preferred_name": "Rob",
        "date_of_birth": "1979-03-14",
        "phone": "(203) 555-0142",
        "reason": "Discharged last night, asks for support finding housing.",
        "urgency": "urgent",
        "received_at": timeutil.now_local().strftime("%Y-%m-%dT%H:%M"),
    }
    data.update(changes)
    return data


def with_program(agency, **changes: object) -> dict[str, object]:
    return form_data(**{"program": agency["crp"].program.id, **changes})


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


# Taking a referral ------------------------------------------------------------------------------------------


def test_form_defaults_to_now_and_the_takers_program(client, agency):
    response = client.get(NEW)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    program_id = agency["crp"].program.id
    assert f'<option selected value="{program_id}">' in page
    assert f'value="{timeutil.today():%Y-%m-%d}T' in page  # the received time box holds today


def test_a_referral_creates_a_referred_client_and_is_audited_without_content(client, db, agency):
    response = client.post(NEW, data=with_program(agency))
    assert response.status_code == 302
    assert f"day={timeutil.today():%Y-%m-%d}" in response.headers["Location"]
    referral = db.session.scalar(select(Referral))
    person = db.session.get(Client, referral.client_id)
    assert (person.name, person.preferred_name, person.phone) == ("Robin Example", "Rob", "(203) 555-0142")
    assert person.date_of_birth == date(1979, 3, 14)
    assert person.status == ClientStatus.REFERRED
    assert person.program_id == agency["crp"].program.id
    assert (referral.source, referral.urgency) == ("emergency_room", "urgent")
    assert referral.received_by_id == agency["peer"].id
    assert referral.seen_at is None
    assert referral.seen_same_day is None
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"client.created", "referral.received"} <= actions
    for detail in db.session.scalars(select(AuditEntry.detail)):
        assert "Robin" not in detail
        assert "housing" not in detail
        assert "emergency" not in detail


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"reason": ""}, "Enter the reason for the referral"),
        ({"reason": "x" * 5000}, "Keep the reason to 2,000 characters or fewer"),
        ({"name": ""}, "Enter the person&#39;s full name"),
        ({"name": "n" * 5000}, "Use at most 120 characters"),
        ({"preferred_name": "p" * 5000}, "Use at most 120 characters"),
        ({"phone": "5" * 5000}, "Use at most 40 characters"),
        ({"phone": "call me maybe"}, "Use numbers, spaces, brackets and dashes only"),
        ({"name": "Robin\x01Example"}, "Use only letters, numbers"),
        ({"source": "mars"}, "Choose one of the listed sources"),
        ({"source": ""}, "Choose where the referral came from"),
        ({"urgency": "whenever"}, "Choose one of the listed options"),
        ({"received_at": f"{timeutil.now_local() + timedelta(days=1):%Y-%m-%dT%H:%M}"}, "This time is in the future"),
        ({"received_at": f"{timeutil.now_local() + timedelta(hours=1):%Y-%m-%dT%H:%M}"}, "This time is in the future"),
        ({"received_at": "yesterday-ish"}, "Enter the date and time"),
        ({"received_at": "1899-01-01T10:00"}, "Check the year"),
        ({"date_of_birth": (timeutil.today() + timedelta(days=30)).isoformat()}, "date of birth is in the future"),
        ({"date_of_birth": "14/03/1979"}, "Enter the date as year-month-day"),
        ({"program": "999999"}, "Choose a program from the list"),
        ({"program": "abc"}, "Choose the program the person is referred to"),
        ({"program": ""}, "Choose the program the person is referred to"),
    ],
)
def test_bad_input_is_refused_with_the_input_kept(client, db, agency, changes, message):
    data = with_program(agency, **changes)
    response = client.post(NEW, data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert "Please fix" in page
    assert escape(data["reason"]) in page  # what was typed is still there
    assert count(db, Referral) == 0
    assert count(db, Client) == 1  # only the sealed client from the fixture


def test_a_nul_character_is_refused(client, db, agency):
    response = client.post(NEW, data=with_program(agency, reason="bad\x00byte"))
    assert response.status_code == 400
    assert count(db, Referral) == 0


def test_program_choice_need_not_be_the_takers(client, db, agency):
    response = client.post(NEW, data=form_data(program=agency["other"].program.id))
    assert response.status_code == 302
    program_id = db.session.scalar(select(Client.program_id).where(Client.name == "Robin Example"))
    assert program_id == agency["other"].program.id


def test_same_name_and_birth_date_offers_the_existing_client(client, db, agency):
    known = make_client("Robin Example", program=agency["crp"].program, date_of_birth=date(1979, 3, 14))
    db.session.commit()
    first = client.post(NEW, data=with_program(agency, name="  robin   EXAMPLE "))
    assert first.status_code == 200
    page = first.get_data(as_text=True)
    assert "We may already know this person" in page
    assert f'value="{known.id}"' in page
    assert count(db, Referral) == 0

    second = client.post(NEW, data=with_program(agency, match=str(known.id)))
    assert second.status_code == 302
    referral = db.session.scalar(select(Referral))
    assert referral.client_id == known.id
    assert count(db, Client) == 2  # no duplicate was made


def test_the_taker_may_choose_a_new_client_instead(client, db, agency):
    make_client("Robin Example", program=agency["crp"].program, date_of_birth=date(1979, 3, 14))
    db.session.commit()
    response = client.post(NEW, data=with_program(agency, match="new"))
    assert response.status_code == 302
    assert count(db, Client) == 3


def test_a_choice_outside_the_matches_is_refused(client, db, agency):
    make_client("Robin Example", program=agency["crp"].program, date_of_birth=date(1979, 3, 14))
    db.session.commit()
    response = client.post(NEW, data=with_program(agency, match=str(agency["sealed"].id)))
    assert response.status_code == 400
    assert "Choose one of the people listed" in response.get_data(as_text=True)
    assert count(db, Referral) == 0


def test_attaching_reopens_a_discharged_client(client, db, agency):
    known = make_client("Robin Example", program=agency["crp"].program, date_of_birth=date(1979, 3, 14),
                        status=ClientStatus.DISCHARGED)
    db.session.commit()
    assert client.post(NEW, data=with_program(agency, match=str(known.id))).status_code == 302
    db.session.refresh(known)
    assert known.status == ClientStatus.REFERRED


def test_a_sealed_client_is_never_offered_as_a_match(client, db, agency):
    sealed = agency["sealed"]
    # Control: without the seal, the co-worker would be offered this client (same program, same name and birth date).
    response = client.post(NEW, data=with_program(agency, name=sealed.name, date_of_birth="1985-05-05"))
    assert response.status_code == 302, "a sealed client must not be offered: a new client is created instead"
    assert count(db, Client) == 2
    new = db.session.scalar(select(Referral))
    assert new.client_id != sealed.id


def test_an_unsealed_client_in_the_same_place_would_be_offered(client, db, agency):
    sealed = agency["sealed"]
    sealed.staff_member_id = None
    db.session.commit()
    response = client.post(NEW, data=with_program(agency, name=sealed.name, date_of_birth="1985-05-05"))
    assert response.status_code == 200
    assert "We may already know this person" in response.get_data(as_text=True)


# The day's list for rounds ----------------------------------------------------------------------------------


def test_todays_list_shows_the_days_referrals(client, db, agency):
    peer = agency["peer"]
    today = make_client("Alex Today", program=agency["crp"].program)
    yesterday = make_client("Blair Yesterday", program=agency["crp"].program)
    make_referral(today, peer, reason="Needs a ride to the clinic")
    make_referral(yesterday, peer, received_at=utcnow() - timedelta(days=1))
    db.session.commit()
    page = client.get(TODAY).get_data(as_text=True)
    assert "Alex Today" in page
    assert "Needs a ride to the clinic" in page
    assert "Blair Yesterday" not in page
    assert "Emergency room" in page
    assert peer.name in page
    day = (timeutil.today() - timedelta(days=1)).isoformat()
    earlier = client.get(f"{TODAY}?day={day}").get_data(as_text=True)
    assert "Blair Yesterday" in earlier
    assert "Alex Today" not in earlier
    assert f"day={(timeutil.today() - timedelta(days=2)).isoformat()}" in earlier  # previous-day link


def test_an_empty_day_says_what_to_do(client, agency):
    page = client.get(f"{TODAY}?day=2021-06-01").get_data(as_text=True)
    assert "No referrals on this day" in page
    assert "take a referral" in page


@pytest.mark.parametrize("day", ["yesterday", "2021-13-45", "1066-10-14", "99999-01-01", "2021-06-01'--"])
def test_a_bad_day_falls_back_to_today_with_a_message(client, agency, day):
    response = client.get(TODAY, query_string={"day": day})
    assert response.status_code == 400
    assert "today&#39;s list is shown" in response.get_data(as_text=True)


@pytest.mark.parametrize("number", ["0", "-1", "abc", "99999999999999999999"])
def test_odd_page_numbers_do_not_break_the_list(client, agency, number):
    # Not called "page": that is pytest-playwright's fixture, and asking for it starts a browser.
    assert client.get(TODAY, query_string={"page": number}).status_code == 200


def test_a_sealed_clients_referral_is_absent_for_a_coworker(client, db, agency):
    make_referral(agency["sealed"], agency["outside"], reason="Sealed reason text")
    visible = make_client("Casey Visible", program=agency["crp"].program)
    make_referral(visible, agency["outside"])
    db.session.commit()
    page = client.get(TODAY).get_data(as_text=True)
    assert "Casey Visible" in page
    assert "Jo Sealed" not in page
    assert "Sealed reason text" not in page
    assert "1 referral" in page
    csv_text = client.get(f"{TODAY}/export.csv").get_data(as_text=True)
    assert "Casey Visible" in csv_text
    assert "Jo Sealed" not in csv_text
    assert "Sealed reason" not in csv_text


def test_the_outside_provider_sees_the_sealed_referral_and_the_read_is_logged(app, db, agency):
    make_referral(agency["sealed"], agency["outside"], reason="Sealed reason text")
    db.session.commit()
    from tests.factories import start_session

    token = start_session(agency["outside"])
    other = app.test_client()
    with other.session_transaction() as session:
        session["_user_id"] = token
    page = other.get(TODAY).get_data(as_text=True)
    assert "Jo Sealed" in page
    assert db.session.scalar(select(func.count()).select_from(SealedAccess)) == 1


def test_the_export_is_audited_with_a_count_only(client, db, agency):
    person = make_client("=cmd|' /C calc'!A0", program=agency["crp"].program)
    make_referral(person, agency["peer"], reason="@SUM(1+1)")
    db.session.commit()
    response = client.get(f"{TODAY}/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["received", "client", "preferred_name"]
    assert rows[1][1].startswith("'=")
    assert rows[1][8].startswith("'@")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "referral.exported"))
    assert entry.detail == "1 shown"


# Seen today / not seen today --------------------------------------------------------------------------------


def test_seen_today_records_the_same_day(client, db, agency):
    person = make_client("Dana Seen", program=agency["crp"].program)
    referral = make_referral(person, agency["peer"], received_at=utcnow().replace(second=0, microsecond=0))
    db.session.commit()
    response = client.post(f"{TODAY}/{referral.id}/seen", data={"version": referral.version})
    assert response.status_code == 302
    db.session.refresh(referral)
    assert referral.seen_at is not None
    assert referral.seen_same_day is True
    assert referral.version == 2
    page = client.get(TODAY).get_data(as_text=True)
    assert "Seen the same day" in page


def test_seen_a_day_later_is_not_the_same_day(client, db, agency):
    person = make_client("Eli Later", program=agency["crp"].program)
    referral = make_referral(person, agency["peer"], received_at=utcnow() - timedelta(days=1))
    db.session.commit()
    assert client.post(f"{TODAY}/{referral.id}/seen", data={"version": referral.version}).status_code == 302
    db.session.refresh(referral)
    assert referral.seen_at is not None
    assert referral.seen_same_day is False


def test_not_seen_today_clears_and_records_not_seen(client, db, agency):
    person = make_client("Fran NotSeen", program=agency["crp"].program)
    referral = make_referral(person, agency["peer"], seen_at=utcnow(), seen_same_day=True)
    db.session.commit()
    assert client.post(f"{TODAY}/{referral.id}/not-seen", data={"version": referral.version}).status_code == 302
    db.session.refresh(referral)
    assert referral.seen_at is None
    assert referral.seen_same_day is False
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "referral.not_seen"))
    assert entry.record_type == "client"
    assert entry.record_id == str(person.id)


def test_a_stale_version_is_refused_with_409(client, db, agency):
    person = make_client("Gale Stale", program=agency["crp"].program)
    referral = make_referral(person, agency["peer"])
    db.session.commit()
    stale = referral.version
    referral.seen_same_day = False  # someone else pressed "Not seen today" first
    db.session.commit()
    response = client.post(f"{TODAY}/{referral.id}/seen", data={"version": stale})
    assert response.status_code == 409
    assert "Someone else updated this referral first" in response.get_data(as_text=True)
    db.session.refresh(referral)
    assert referral.seen_at is None
    assert referral.seen_same_day is False


@pytest.mark.parametrize("version", ["", "abc", "1" * 20])
def test_a_missing_version_is_refused(client, db, agency, version):
    person = make_client("Hal Version", program=agency["crp"].program)
    referral = make_referral(person, agency["peer"])
    db.session.commit()
    response = client.post(f"{TODAY}/{referral.id}/seen", data={"version": version})
    assert response.status_code == 400
    db.session.refresh(referral)
    assert referral.seen_at is None


def test_marking_needs_post(client, db, agency):
    person = make_client("Ira Get", program=agency["crp"].program)
    referral = make_referral(person, agency["peer"])
    db.session.commit()
    assert client.get(f"{TODAY}/{referral.id}/seen").status_code == 405


def test_unknown_and_sealed_referrals_answer_the_same_404(client, db, agency):
    sealed = make_referral(agency["sealed"], agency["outside"])
    db.session.commit()
    missing = client.post(f"{TODAY}/{sealed.id + 1000}/seen", data={"version": 1})
    hidden = client.post(f"{TODAY}/{sealed.id}/seen", data={"version": 1})
    assert missing.status_code == hidden.status_code == 404
    assert without_nonce(missing.get_data(as_text=True)) == without_nonce(hidden.get_data(as_text=True))
    db.session.refresh(sealed)
    assert sealed.seen_at is None


# Query counts -----------------------------------------------------------------------------------------------


def _statements_for_list(client, db, crp_id: int, peer_id: int, how_many: int) -> int:
    from core.models import Staff, Team

    team = db.session.get(Team, crp_id)
    takers = [db.session.get(Staff, peer_id), make_staff("peer", teams=[team])]
    start = timeutil.day_bounds(timeutil.today())[0]
    for n in range(how_many):
        person = make_client(f"Person {n}", program=team.program)
        make_referral(person, takers[n % 2], received_at=start + timedelta(seconds=n),
                      seen_at=start if n % 3 == 0 else None, seen_same_day=True if n % 3 == 0 else None)
    db.session.commit()
    client.get(TODAY)  # warm up: the first audit entry ever also creates the log's head row
    db.session.expunge_all()  # nothing cached from setting up: the page loads what it shows
    with counting_queries() as statements:
        response = client.get(TODAY)
    assert response.status_code == 200
    assert response.get_data(as_text=True).count('id="referral-') == how_many
    return len(statements)


def test_todays_list_query_count_does_not_grow(app, client, db, agency):
    crp_id, peer_id = agency["crp"].id, agency["peer"].id
    few = _statements_for_list(client, db, crp_id, peer_id, 3)
    db.session.execute(Referral.__table__.delete())
    db.session.commit()
    many = _statements_for_list(client, db, crp_id, peer_id, 30)
    assert few == many
