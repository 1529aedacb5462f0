"""The expiry dashboard: each group counted in SQL on the agency's today, HR sees everyone and a supervisor their
reports, filters and pages, the CSV, and the same number of queries for 4 certifications or 40."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest

from core.models import Role
from tests import factories
from tests.queries import queries_for
from tests.training.helpers import approved, certify, make_credential
from training.models import Hold

TODAY = date(2026, 6, 1)


def sign_in(client, person) -> None:
    token = factories.start_session(person)
    with client.session_transaction() as session:
        session["_user_id"] = token


@pytest.fixture
def agency(db, frozen_time):
    frozen_time.at("2026-06-01 09:00")
    credential = make_credential(hours=12, grace_days=30, provisional_months=6)
    supervisor = factories.make_staff(Role.SUPERVISOR, name="Sam Okafor")
    other_supervisor = factories.make_staff(Role.SUPERVISOR, name="Terry Nguyen")
    program = factories.make_program(code="CRP")

    def person(name: str, boss=supervisor):
        return factories.make_staff(Role.PEER, name=name, supervisor=boss, program=program)

    people = {
        "expired": certify(person("Ada Expired"), credential, date(2024, 1, 1), TODAY - timedelta(days=40)),
        "grace": certify(person("Ben Grace"), credential, date(2024, 1, 1), TODAY - timedelta(days=5)),
        "soon": certify(person("Cy Soon"), credential, date(2024, 7, 1), TODAY + timedelta(days=20)),
        "sixty": certify(person("Di Sixty"), credential, date(2024, 7, 1), TODAY + timedelta(days=45)),
        "ninety": certify(person("Ed Ninety"), credential, date(2024, 7, 1), TODAY + timedelta(days=90)),
        "later": certify(person("Flo Later"), credential, date(2026, 5, 1), TODAY + timedelta(days=700)),
        "provisional": certify(person("Gus Provisional"), credential, date(2026, 1, 1), provisional=True),
        "other": certify(
            person("Hal Elsewhere", other_supervisor), credential, date(2024, 7, 1), TODAY + timedelta(days=10)
        ),
    }
    suspended = certify(person("Ivy Suspended"), credential, date(2025, 7, 1), TODAY + timedelta(days=300))
    suspended.hold = Hold.SUSPENDED
    approved(people["later"], people["later"].staff, taken_on=date(2026, 5, 10), quarter_hours=48)
    db.session.commit()
    return {"supervisor": supervisor, "other_supervisor": other_supervisor, "people": people}


def numbers(html: bytes) -> dict[str, int]:
    import re

    found = re.findall(rb'<strong class="font-sans-lg">(\d+)</strong><br>([^<]+)</a>', html)
    return {label.decode(): int(count) for count, label in found}


def test_hr_sees_every_group_counted(client, agency, login_as):
    login_as(Role.HR)
    response = client.get("/training/dashboard")
    assert response.status_code == 200
    assert numbers(response.data) == {
        "Expired": 1,
        "In grace period": 1,
        "Expiring within 30 days": 2,  # Cy, and Hal (another supervisor's report)
        "Expiring within 60 days": 3,
        "Expiring within 90 days": 4,
        # Cy, Di, Ed, Hal and Gus have hours missing past an even pace; Flo has all 12 hours; Ivy is suspended.
        "Behind schedule on continuing education": 5,
        "Provisional, deadline within 90 days": 1,  # Gus: 30 June 2026
        "Suspended": 1,
    }


def test_a_supervisor_sees_only_their_reports(client, agency):
    sign_in(client, agency["supervisor"])
    response = client.get("/training/dashboard?show=within_30")
    assert numbers(response.data)["Expiring within 30 days"] == 1
    assert b"Cy Soon" in response.data
    assert b"Hal Elsewhere" not in response.data
    sign_in(client, agency["other_supervisor"])
    assert b"Cy Soon" not in client.get("/training/dashboard").data


def test_filters_narrow_the_list_and_keep_the_counts(client, agency, login_as):
    login_as(Role.HR)
    grace = client.get("/training/dashboard?show=in_grace").data
    assert b"Ben Grace" in grace
    assert b"Ada Expired" not in grace
    by_name = client.get("/training/dashboard?q=ada").data
    assert b"Ada Expired" in by_name
    assert b"Ben Grace" not in by_name
    assert numbers(by_name)["Expired"] == 1
    nothing = client.get("/training/dashboard?show=retired")
    assert b"No certification matches" in nothing.data
    bad = client.get("/training/dashboard?show=everything&program=x")
    assert bad.status_code == 400


def test_provisional_deadlines_show_within_90_days(client, agency, login_as, frozen_time):
    login_as(Role.HR)
    frozen_time.at("2026-03-01 09:00")  # Gus's provisional deadline, 30 June 2026, is 121 days away
    assert numbers(client.get("/training/dashboard").data)["Provisional, deadline within 90 days"] == 0
    frozen_time.at("2026-04-01 09:00")  # 90 days away
    response = client.get("/training/dashboard?show=provisional_due")
    assert numbers(response.data)["Provisional, deadline within 90 days"] == 1
    assert b"Gus Provisional" in response.data


def test_the_csv_has_every_matching_row_and_is_audited(client, agency, login_as, db):
    login_as(Role.HR)
    response = client.get("/training/dashboard.csv?show=within_90")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:5] == ["Name", "Program", "Credential", "Certificate number", "Status"]
    assert [row[0] for row in rows[1:]] == ["Hal Elsewhere", "Cy Soon", "Di Sixty", "Ed Ninety"]
    from sqlalchemy import select

    from core.models import AuditEntry

    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "training.dashboard_exported"))


def test_the_same_queries_for_a_few_certifications_or_many(client, db, login_as, frozen_time):
    frozen_time.at("2026-06-01 09:00")
    hr = login_as(Role.HR)
    credential = make_credential(hours=12, maximums={"general": 4}, minimums={"ethics": 1})

    def add(count: int) -> None:
        for n in range(count):
            person = factories.make_staff(Role.PEER, program=factories.make_program())
            found = certify(person, credential, date(2025, 1, 1) + timedelta(days=n), actor=hr)
            approved(found, person, taken_on=date(2026, 1, 1) + timedelta(days=n))

    add(4)
    db.session.commit()
    few = (queries_for(client, "/training/dashboard"), queries_for(client, "/training/dashboard.csv"))
    add(36)
    db.session.commit()
    many = (queries_for(client, "/training/dashboard"), queries_for(client, "/training/dashboard.csv"))
    assert few == many


def test_each_number_is_the_length_of_its_list(agency, db, frozen_time):
    """The aggregate (status read once in a subquery) and each list (the "behind" one through EXISTS, the holding
    ones through the expiry index) are written differently for speed; they must still pick the same certifications,
    today and on other days (before a cycle starts, in grace, after expiry)."""
    from training.services import dashboard
    from training.services.dashboard import COUNTED, Filters, Show

    hr = factories.make_staff(Role.HR)
    for day in (TODAY, TODAY + timedelta(days=25), TODAY + timedelta(days=95), TODAY - timedelta(days=400)):
        counts = dashboard.counts(hr, Filters(), day)
        for show in (Show.ALL, *COUNTED):
            listed = db.session.scalars(dashboard.listed(hr, Filters(show), day)).all()
            assert counts[show] == len(listed), (day, show)
            assert len(set(listed)) == len(listed)
        assert counts[Show.BEHIND] > 0 or day != TODAY


def test_the_csv_rows_are_read_after_the_request_lets_go_of_the_person(agency, db, frozen_time):
    """A real server streams the CSV after the view returns, when the signed-in person's row may no longer be
    loaded: the query is built at once, so reading the rows later needs nothing from that row."""
    from training.services import dashboard
    from training.services.dashboard import Filters

    supervisor = agency["supervisor"]
    rows = dashboard.csv_rows(dashboard.all_rows(supervisor, Filters(), TODAY))
    db.session.commit()
    db.session.expunge(supervisor)
    names = [row[0] for row in rows]
    assert "Cy Soon" in names
    assert "Hal Elsewhere" not in names


# The session with the person, the programs for the filter, the counts, the page of rows and the audit entry (three
# statements). The programs are read as columns (their teams were one query more), the page reads its rows in one
# query (it read its ids, then their rows by id), and the commit comes after the page is drawn (before, the layout
# read the person again).
DASHBOARD_QUERIES = 7


def test_the_dashboard_reads_its_counts_and_its_page_in_one_query_each(client, agency, db, login_as):
    from tests.queries import counting_queries

    login_as(Role.HR)
    for url in ("/training/dashboard", "/training/dashboard?show=behind", "/training/dashboard?show=expired&q=ada"):
        db.session.expunge_all()
        with counting_queries() as statements:
            assert client.get(url).status_code == 200
        assert len(statements) == DASHBOARD_QUERIES, f"{url}\n\n" + "\n\n".join(statements)
    # Unfiltered, the counts read the certifications alone: not their person, nor every certification's cycle
    # (behind schedule asks IN the few cycles behind).
    db.session.expunge_all()
    with counting_queries() as statements:
        client.get("/training/dashboard")
    (aggregate,) = [s for s in statements if "FILTER (WHERE" in s]
    assert "JOIN" not in aggregate, aggregate
