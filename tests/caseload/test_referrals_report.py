"""The same-day-seen report: counted by the database, grouped by source and by month, inside the viewer's scope."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time

import pytest
from sqlalchemy import literal, select

from caseload.models import Referral
from caseload.services import referrals as service
from core import timeutil
from core.models import AuditEntry
from tests.factories import assign, make_client, make_referral, make_staff, make_team, seal, start_session

REPORT = "/caseload/referrals/report"


def month_start(months_ago: int) -> date:
    today = timeutil.today()
    index = today.year * 12 + today.month - 1 - months_ago
    return date(index // 12, index % 12 + 1, 1)


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour))


@pytest.fixture
def referrals(db, login_as):
    """Known referrals in the last two months; one sealed client's referral; one from long ago."""
    crp = make_team(name="Referral intake")
    other = make_team(name="MHICM north")
    peer = login_as("peer", teams=[crp], program=crp.program)
    colleague = make_staff("peer", teams=[crp], program=crp.program)
    outside = make_staff("staff", teams=[other], program=other.program)
    m1, m2 = month_start(1), month_start(2)

    def add(source: str, day: date, seen: bool | None, n: int = 1) -> None:
        for _ in range(n):
            person = make_client(program=crp.program)
            make_referral(person, peer, source=source, received_at=at(day),
                          seen_at=at(day, 15) if seen else None, seen_same_day=seen)

    add("emergency_room", m1, True, 2)
    add("emergency_room", m1, None)
    add("emergency_room", m2, False)
    add("clinic", m1, True, 2)
    add("inpatient", m2, True)
    add("inpatient", m2, False, 3)
    add("self", month_start(14), True)  # outside the default range
    sealed = make_client("Jo Sealed", program=crp.program)
    assign(sealed, outside, "clinician")
    seal(sealed, colleague)
    make_referral(sealed, outside, source="emergency_room", received_at=at(m1), seen_at=at(m1, 11), seen_same_day=True)
    db.session.commit()
    return {"peer": peer, "outside": outside, "m1": m1, "m2": m2}


def by_key(rows: list[service.RateRow]) -> dict[str, tuple[int, int, int, float | None]]:
    return {row.key: (row.referrals, row.seen_same_day, row.not_recorded, row.rate) for row in rows}


def test_rates_by_source_and_month_for_a_coworker(db, referrals):
    start, end = service.default_range()
    report = service.same_day_report(referrals["peer"], start, end)
    sources = by_key(report.by_source)
    assert sources["emergency_room"] == (4, 2, 1, pytest.approx(50.0))
    assert sources["clinic"] == (2, 2, 0, pytest.approx(100.0))
    assert sources["inpatient"] == (4, 1, 0, pytest.approx(25.0))
    assert sources["day_program"] == (0, 0, 0, None)
    assert sources["self"] == (0, 0, 0, None)  # the self-referral is 14 months old
    months = by_key(report.by_month)
    assert len(months) == 12
    assert months[referrals["m1"].strftime("%Y-%m")] == (5, 4, 1, pytest.approx(80.0))
    assert months[referrals["m2"].strftime("%Y-%m")] == (5, 1, 0, pytest.approx(20.0))
    assert (report.total.referrals, report.total.seen_same_day) == (10, 5)
    assert report.total.rate == pytest.approx(50.0)


def test_the_sealed_clients_referral_counts_only_for_their_provider(db, referrals):
    start, end = service.default_range()
    report = service.same_day_report(referrals["outside"], start, end)
    assert (report.total.referrals, report.total.seen_same_day) == (1, 1)
    assert by_key(report.by_source)["emergency_room"] == (1, 1, 0, pytest.approx(100.0))


def test_a_longer_range_takes_in_older_referrals(db, referrals):
    report = service.same_day_report(referrals["peer"], month_start(15), timeutil.today())
    assert by_key(report.by_source)["self"] == (1, 1, 0, pytest.approx(100.0))
    assert report.total.referrals == 11
    assert len(report.by_month) == 16


def test_the_report_page_shows_the_tables(client, db, referrals):
    response = client.get(REPORT)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.count("<caption>") == 2
    assert '<th scope="col">Source</th>' in page
    assert '<th scope="col">Month</th>' in page
    assert "50.0%" in page
    assert "80.0%" in page
    assert "25.0%" in page
    assert "Jo Sealed" not in page
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "referral.report_viewed"))
    assert entry.detail.endswith("; 10 referrals counted")


def test_the_report_csv_holds_the_same_numbers(client, db, referrals):
    m1 = referrals["m1"].strftime("%Y-%m")
    response = client.get(f"{REPORT}.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == list(service.REPORT_CSV_HEADER)
    assert ["source", "Emergency room", "4", "2", "1", "50.0"] in rows
    assert ["source", "Day program", "0", "0", "0", ""] in rows
    assert ["month", m1, "5", "4", "1", "80.0"] in rows
    assert ["total", "All sources", "10", "5", "1", "50.0"] in rows
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "referral.report_exported"))


def test_the_outside_provider_sees_their_count(app, db, referrals):
    token = start_session(referrals["outside"])
    other = app.test_client()
    with other.session_transaction() as session:
        session["_user_id"] = token
    rows = list(csv.reader(io.StringIO(other.get(f"{REPORT}.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert ["total", "All sources", "1", "1", "0", "100.0"] in rows


def test_a_chosen_range(client, db, referrals):
    m2 = referrals["m2"]
    end = date(m2.year, m2.month, 28)
    response = client.get(REPORT, query_string={"start": m2.isoformat(), "end": end.isoformat()})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "20.0%" in page
    assert "<strong>5</strong> referrals" in page


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"start": "2025-05-01", "end": "2025-04-01"}, "The end date must be the same as or after the start date"),
        ({"start": "last year"}, "Enter the date as year-month-day"),
        ({"start": "1950-01-01", "end": "1951-01-01"}, "Choose dates from the year 2000"),
        ({"start": "2001-01-01", "end": "2020-01-01"}, "Choose a range of ten years or less"),
        ({"end": "99999-12-31"}, "Enter the date as year-month-day"),
    ],
)
def test_a_bad_range_shows_the_default_with_a_message(client, referrals, args, message):
    response = client.get(REPORT, query_string=args)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert "We could not use the dates you chose" in page
    assert client.get(f"{REPORT}.csv", query_string=args).status_code == 400


def test_default_range_is_the_last_twelve_months():
    assert service.default_range(date(2025, 3, 15)) == (date(2024, 4, 1), date(2025, 3, 15))
    assert service.default_range(date(2025, 1, 31)) == (date(2024, 2, 1), date(2025, 1, 31))
    assert service.default_range(date(2024, 12, 1)) == (date(2024, 1, 1), date(2024, 12, 1))


def test_month_of_speaks_the_databases_dialect(db):
    dialect = db.session.get_bind().dialect.name
    moment = literal(datetime(2024, 2, 29, 23, 59))
    assert db.session.scalar(select(service.month_of(moment, dialect))) == "2024-02"
    with pytest.raises(NotImplementedError):
        service.month_of(Referral.received_at, "oracle")
