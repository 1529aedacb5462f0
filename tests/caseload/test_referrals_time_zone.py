"""Referrals live on the agency's calendar (New York here), not UTC's: an evening referral, the days the clocks
change, leap day and year end, and the same-day-seen rate the database computes (run on SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import pytest

from caseload.models import Referral
from caseload.services import referrals as service
from core import timeutil
from core.admin.services import agency_settings
from tests.factories import make_client, make_referral, make_staff, make_team

NEW = "/caseload/referrals/new"
DAY = "/caseload/referrals"


@pytest.fixture
def intake(db, login_as, frozen_time):
    """Signs in a CRP peer specialist at the given New York time (sign-in sessions follow the clock)."""

    def start(at: str) -> dict:
        frozen_time.at(at)
        crp = make_team(name="Referral intake")
        peer = login_as("peer", teams=[crp], program=crp.program)
        db.session.commit()
        return {"crp": crp, "peer": peer}

    return start


def typed_referral(program_id: int, received: str, name: str = "Robin Evening") -> dict[str, object]:
    return {
        "source": "emergency_room", "name": name, "reason": "Asks for support after discharge.",
        "urgency": "urgent", "received_at": received, "program": program_id,
    }


def month_row(report: service.Report, key: str) -> service.RateRow:
    return next(row for row in report.by_month if row.key == key)


def test_an_evening_referral_seen_before_midnight_is_seen_the_same_day(client, db, intake):
    """Received 18:40 and seen 20:30 in New York: the same day here, two different days in UTC."""
    agency = intake("2026-12-08 20:30")  # written up at 20:30, after seeing the person
    response = client.post(NEW, data=typed_referral(agency["crp"].program.id, "2026-12-08T18:40"))
    assert response.status_code == 302
    assert "day=2026-12-08" in response.headers["Location"]
    referral = db.session.query(Referral).one()
    assert referral.received_at == datetime(2026, 12, 8, 23, 40)  # stored in UTC
    assert referral.received_on == date(2026, 12, 8)

    page = client.get(DAY).get_data(as_text=True)
    assert "Tuesday 8 December 2026" in page
    assert "Robin Evening" in page
    assert "<td>18:40</td>" in page, "shown at the time it was typed"
    assert client.post(f"{DAY}/{referral.id}/seen", data={"version": referral.version}).status_code == 302
    db.session.refresh(referral)
    assert referral.seen_at == datetime(2026, 12, 9, 1, 30)
    assert referral.seen_at.date() != referral.received_at.date(), "UTC would call this a later day"
    assert referral.seen_same_day is True
    assert "Seen the same day at 20:30" in client.get(DAY).get_data(as_text=True)

    report = service.same_day_report(agency["peer"], date(2026, 12, 1), date(2026, 12, 31))
    assert report.total.referrals == 1
    assert report.total.rate == 100.0
    assert month_row(report, "2026-12").seen_same_day == 1


def test_at_half_past_eleven_the_rounds_list_is_still_todays(client, db, intake, frozen_time):
    agency = intake("2026-12-08 23:30")
    person = make_client("Sam Late", program=agency["crp"].program)
    make_referral(person, agency["peer"], received_at=timeutil.utcnow())
    earlier = make_client("Kit Morning", program=agency["crp"].program)
    make_referral(earlier, agency["peer"], received_at=timeutil.from_local(date(2026, 12, 8), datetime.min.time()))
    yesterday = make_client("Lee Yesterday", program=agency["crp"].program)
    make_referral(yesterday, agency["peer"], received_at=datetime(2026, 12, 8, 4, 59))  # 23:59 on 7 December
    db.session.commit()
    page = client.get(DAY).get_data(as_text=True)
    assert "Tuesday 8 December 2026" in page
    assert "Sam Late" in page
    assert "<td>23:30</td>" in page
    assert "Kit Morning" in page
    assert "<td>00:00</td>" in page
    assert "Lee Yesterday" not in page
    assert 'value="2026-12-08T23:30"' in client.get(NEW).get_data(as_text=True), "the form's now is local"
    rows = list(csv.reader(io.StringIO(client.get(f"{DAY}/export.csv").get_data(as_text=True))))
    assert sorted(row[0] for row in rows[1:]) == ["2026-12-08 00:00", "2026-12-08 23:30"]


def test_a_later_time_today_is_not_the_future_but_a_minute_past_now_is(client, db, intake):
    agency = intake("2026-12-08 23:30")
    program = agency["crp"].program.id
    assert client.post(NEW, data=typed_referral(program, "2026-12-08T23:29")).status_code == 302
    refused = client.post(NEW, data=typed_referral(program, "2026-12-08T23:45", name="Robin Later"))
    assert refused.status_code == 400
    assert "This time is in the future" in refused.get_data(as_text=True)


def test_spring_forward_a_skipped_time_typed_is_kept_an_hour_later(client, db, intake):
    agency = intake("2027-03-14 10:00")
    assert client.post(NEW, data=typed_referral(agency["crp"].program.id, "2027-03-14T02:30")).status_code == 302
    referral = db.session.query(Referral).one()
    assert referral.received_at == datetime(2027, 3, 14, 7, 30)
    assert referral.received_on == date(2027, 3, 14)
    assert "<td>03:30</td>" in client.get(DAY).get_data(as_text=True)


def test_fall_back_the_25_hour_day_lists_both_ends_and_the_repeated_hour(client, db, intake, frozen_time):
    agency = intake("2027-11-07 23:30")
    program = agency["crp"].program
    for name, stored in [
        ("Ash Midnight", datetime(2027, 11, 7, 4, 0)),  # 00:00 EDT
        ("Bo First", datetime(2027, 11, 7, 5, 30)),  # 01:30 EDT
        ("Cy Second", datetime(2027, 11, 7, 6, 30)),  # 01:30 EST, an hour later
        ("Dee Late", datetime(2027, 11, 8, 4, 30)),  # 23:30 EST
        ("Eve Next", datetime(2027, 11, 8, 5, 0)),  # 00:00 on 8 November
    ]:
        make_referral(make_client(name, program=program), agency["peer"], received_at=stored)
    db.session.commit()
    days = {r.client.name: r.received_on for r in db.session.query(Referral)}
    assert days == {"Ash Midnight": date(2027, 11, 7), "Bo First": date(2027, 11, 7), "Cy Second": date(2027, 11, 7),
                    "Dee Late": date(2027, 11, 7), "Eve Next": date(2027, 11, 8)}
    page = client.get(f"{DAY}?day=2027-11-07").get_data(as_text=True)
    for name in ("Ash Midnight", "Bo First", "Cy Second", "Dee Late"):
        assert name in page
    assert "Eve Next" not in page
    assert page.count("<td>01:30</td>") == 2
    typed = client.post(NEW, data=typed_referral(program.id, "2027-11-07T01:30", name="Fay Typed"))
    assert typed.status_code == 302
    fay = db.session.query(Referral).order_by(Referral.id.desc()).first()
    assert fay.received_at == datetime(2027, 11, 7, 5, 30), "the repeated hour is read as the first 01:30"


def test_leap_day_evening(client, db, intake):
    agency = intake("2028-02-29 23:30")
    assert client.post(NEW, data=typed_referral(agency["crp"].program.id, "2028-02-29T23:30")).status_code == 302
    referral = db.session.query(Referral).one()
    assert referral.received_at == datetime(2028, 3, 1, 4, 30)
    assert referral.received_on == date(2028, 2, 29)
    assert "Tuesday 29 February 2028" in client.get(DAY).get_data(as_text=True)
    report = service.same_day_report(agency["peer"], date(2028, 2, 1), date(2028, 3, 31))
    assert month_row(report, "2028-02").referrals == 1
    assert month_row(report, "2028-03").referrals == 0


def test_new_years_eve_counts_in_december_on_the_database(client, db, intake, frozen_time):
    agency = intake("2026-12-31 23:30")
    program = agency["crp"].program
    late = make_referral(make_client("Noel Late", program=program), agency["peer"], received_at=timeutil.utcnow())
    early = make_referral(make_client("Jan Early", program=program), agency["peer"],
                          received_at=timeutil.from_local(date(2027, 1, 1), datetime.min.time().replace(hour=9)))
    late.seen_at = timeutil.from_local(date(2026, 12, 31), datetime.min.time().replace(hour=23, minute=50))
    late.seen_same_day = late.seen_on == late.received_on
    early.seen_same_day = False
    db.session.commit()
    frozen_time.at("2027-01-01 10:00")
    report = service.same_day_report(agency["peer"], date(2026, 12, 1), date(2027, 1, 31))
    december, january = month_row(report, "2026-12"), month_row(report, "2027-01")
    assert (december.referrals, december.seen_same_day, december.rate) == (1, 1, 100.0)
    assert (january.referrals, january.seen_same_day, january.rate) == (1, 0, 0.0)
    assert service.default_range() == (date(2026, 2, 1), date(2027, 1, 1))


def test_changing_the_zone_works_the_stored_days_out_again(db, intake, frozen_time):
    """Received 23:30 and seen 00:30 in New York: two days. In London it was 04:30 and 05:30 on one day."""
    agency = intake("2026-12-08 23:30")
    admin = make_staff("admin")
    referral = make_referral(make_client("Ray Zone", program=agency["crp"].program), agency["peer"],
                             received_at=timeutil.utcnow())
    frozen_time.advance(hours=1)
    service.mark_seen(referral, agency["peer"], version=referral.version, seen=True)
    db.session.commit()
    assert (referral.received_on, referral.seen_on, referral.seen_same_day) == (
        date(2026, 12, 8), date(2026, 12, 9), False)
    agency_settings.save(agency_settings.AgencySettings("Europe/London"), loaded=agency_settings.version(),
                         actor=admin)
    db.session.commit()
    db.session.refresh(referral)
    assert (referral.received_on, referral.seen_on, referral.seen_same_day) == (
        date(2026, 12, 9), date(2026, 12, 9), True)
    assert [r.id for r in db.session.scalars(service.day_list(agency["peer"], date(2026, 12, 9)))] == [referral.id]
