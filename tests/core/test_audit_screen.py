"""The audit screen: who may open it, filters, pagination, the CSV export, bad input, and that looking is logged."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from core import audit
from core.models import AuditEntry, Staff
from core.timeutil import from_local, utcnow
from tests.conftest import ON_POSTGRES
from tests.factories import make_staff
from tests.queries import counting_queries

Write = Callable[..., AuditEntry]


@pytest.fixture
def write(app: Flask, db: Any, monkeypatch: pytest.MonkeyPatch) -> Write:
    """Chain one entry onto the log (at a chosen time, from a chosen browser and address if given) and commit."""

    def add(
        action: str = "client.viewed",
        *,
        at: datetime | None = None,
        agent: str = "",
        address: str = "",
        **fields: Any,
    ) -> AuditEntry:
        monkeypatch.setattr(audit, "utcnow", (lambda: at) if at is not None else utcnow)
        with app.test_request_context(headers={"User-Agent": agent}, environ_base={"REMOTE_ADDR": address}):
            entry = audit.record(action, **fields)
        monkeypatch.setattr(audit, "utcnow", utcnow)
        db.session.commit()
        return entry

    return add


def rows_of(html: str) -> list[str]:
    """The entry numbers listed in the table, in order."""
    return re.findall(r'<th scope="row"><a class="usa-link" href="/audit/(\d+)"', html)


def last_entry(db: Any) -> AuditEntry:
    return db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()


# Who may open it --------------------------------------------------------------------------------------------------

REQUESTS = [("get", "/audit/"), ("get", "/audit/1"), ("get", "/audit/export.csv"), ("post", "/audit/check")]


@pytest.mark.parametrize("role", ["hr", "peer", "staff", "supervisor"])
@pytest.mark.parametrize(("method", "path"), REQUESTS)
def test_other_roles_are_refused_and_the_refusal_logged(
    client: FlaskClient, login_as: Callable[..., Staff], write: Write, db: Any, role: str, method: str, path: str
) -> None:
    write("client.viewed")
    person = login_as(role)
    response = getattr(client, method)(path)
    assert response.status_code == 403
    assert b"You do not have access to this page" in response.data
    refusal = last_entry(db)
    assert (refusal.action, refusal.outcome, refusal.actor_id) == ("access.denied", audit.DENIED, person.id)
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert actions.isdisjoint({"audit.viewed", "audit.exported", "audit.checked"})


def test_anonymous_is_sent_to_sign_in(client: FlaskClient) -> None:
    response = client.get("/audit/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("role", ["admin", "privacy"])
def test_admin_and_privacy_officer_open_the_screen(
    client: FlaskClient, login_as: Callable[..., Staff], write: Write, role: str
) -> None:
    write("client.viewed")
    login_as(role)
    response = client.get("/audit/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1>Audit log</h1>" in html
    assert "All times are your agency's time (America/New_York)." in html
    assert '<th scope="col">Time</th>' in html
    assert rows_of(html) == ["1"]


# What the table shows -------------------------------------------------------------------------------------------


def test_table_lists_newest_first_with_names_and_without_the_browser(
    client: FlaskClient, login_as: Callable[..., Staff], write: Write
) -> None:
    pat = make_staff("peer", name="Pat Rivera", email="pat@example.org")
    write("signin.failed", outcome=audit.DENIED, agent="SecretAgent/7.0", address="198.51.100.9")
    write("client.viewed", actor=pat, record_type="client", record_id=42, at=datetime(2025, 3, 31, 14, 5, 9))
    login_as("privacy")

    html = client.get("/audit/").get_data(as_text=True)
    assert rows_of(html) == ["2", "1"]
    assert "Pat Rivera" in html
    assert "Not signed in" in html
    assert "2025-03-31 10:05:09 EDT" in html  # stored 14:05:09 UTC, shown in the agency's time
    assert "client 42" in html
    assert "198.51.100.9" in html
    assert "<strong>Denied</strong>" in html
    assert "SecretAgent" not in html
    assert '<caption id="audit-index-table-1">All entries, newest first</caption>' in html


def test_detail_page_shows_the_browser_and_the_hashes(
    client: FlaskClient, login_as: Callable[..., Staff], write: Write, db: Any
) -> None:
    pat = make_staff("peer", name="Pat Rivera", email="pat@example.org")
    first = write("signin.succeeded", actor=pat, agent="SecretAgent/7.0", address="198.51.100.9")
    second = write("client.viewed", actor=pat)
    viewer = login_as("admin")

    response = client.get(f"/audit/{first.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1>Audit entry 1</h1>" in html
    assert "SecretAgent/7.0" in html
    assert "Pat Rivera (pat@example.org)" in html
    assert first.hash in html
    assert audit.GENESIS_HASH in html
    assert f'href="/audit/{second.id}"' in html
    assert "This entry was changed" not in html

    note = last_entry(db)
    assert (note.action, note.actor_id, note.record_type, note.record_id) == (
        "audit.viewed",
        viewer.id,
        "audit_entry",
        "1",
    )


@pytest.mark.parametrize("path", ["/audit/999", "/audit/0", "/audit/99999999999999999999", "/audit/abc"])
def test_detail_of_an_unknown_entry_is_not_found(
    client: FlaskClient, login_as: Callable[..., Staff], path: str
) -> None:
    login_as("admin")
    response = client.get(path)
    assert response.status_code == 404
    assert b"Page not found" in response.data


def test_detail_page_warns_when_the_entry_was_changed(
    client: FlaskClient, login_as: Callable[..., Staff], write: Write, db: Any
) -> None:
    write("client.viewed")
    write("client.viewed")
    tamper(db, 1, detail="quietly changed")
    login_as("admin")
    first = client.get("/audit/1").get_data(as_text=True)
    assert "This entry was changed after it was written" in first
    second = client.get("/audit/2").get_data(as_text=True)
    assert "This entry was changed" not in second
    assert "Does it follow the entry before it?</dt>" in second


# Filters ----------------------------------------------------------------------------------------------------------


def test_filter_by_person_action_outcome_and_record(
    client: FlaskClient, login_as: Callable[..., Staff], write: Write
) -> None:
    pat = make_staff("peer", name="Pat Rivera")
    sam = make_staff("peer", name="Sam Okafor")
    write("client.viewed", actor=pat, record_type="client", record_id=7)  # 1
    write("client.viewed", actor=sam, record_type="client", record_id=7)  # 2
    write("client.updated", actor=pat, record_type="client", record_id=8)  # 3
    write("signin.failed", outcome=audit.DENIED)  # 4
    write("access.denied", actor=sam, outcome=audit.DENIED, record_type="route", record_id="hiring.index")  # 5
    login_as("admin")

    def shown(**args: str) -> list[str]:
        response = client.get("/audit/", query_string=args)
        assert response.status_code == 200
        return rows_of(response.get_data(as_text=True))

    assert shown(person="Pat Rivera") == ["3", "1"]
    assert shown(person="rivera") == ["3", "1"]  # part of the name, any case
    assert shown(person=pat.email.upper()) == ["3", "1"]  # or of the email address
    assert shown(person="Not signed in") == ["4"]
    assert shown(person="Nobody By That Name") == []
    assert shown(action="client.viewed") == ["2", "1"]
    assert shown(action="CLIENT.") == ["3", "2", "1"]  # part of the action
    assert shown(action="%") == []  # typed characters are plain text, not patterns
    assert shown(outcome="denied") == ["5", "4"]
    assert shown(outcome="allowed", person="Sam") == ["2"]
    assert shown(record_type="client") == ["3", "2", "1"]
    assert shown(record_type="client", record_id="7") == ["2", "1"]
    assert shown(record_id=" 8 ") == ["3"]
    assert shown(record_type="route", action="client.viewed") == []


def test_filter_by_date_range_includes_both_days(
    client: FlaskClient, login_as: Callable[..., Staff], write: Write
) -> None:
    # The days are the agency's (New York): each entry sits on the edge of a local day.
    write(at=from_local(date(2025, 2, 28), time(23, 59, 59, 999999)))  # 1
    write(at=from_local(date(2025, 3, 1), time(0, 0, 0)))  # 2
    write(at=from_local(date(2025, 3, 31), time(23, 59, 59, 999999)))  # 3
    write(at=from_local(date(2025, 4, 1), time(0, 0, 0)))  # 4
    login_as("admin")

    def shown(**args: str) -> list[str]:
        query = {"action": "client.viewed", **args}  # leave out the notes these views add
        return rows_of(client.get("/audit/", query_string=query).get_data(as_text=True))

    assert shown(date_from="2025-03-01", date_to="2025-03-31") == ["3", "2"]
    assert shown(date_from="2025-03-31", date_to="2025-03-31") == ["3"]
    assert shown(date_from="2025-04-01", date_to="2025-04-01") == ["4"]
    assert shown(date_to="2025-02-28") == ["1"]
    assert shown(date_from="0001-01-01", date_to="9999-12-31") == ["4", "3", "2", "1"]


def test_person_action_and_record_type_are_typed_not_chosen_from_long_lists(
    client: FlaskClient, login_as: Callable[..., Staff], write: Write
) -> None:
    """A list of every person, action and record type grew with the staff and the log (and read the whole log on
    each view): the three are search boxes, labelled, with a hint each, and the page names nobody in a list."""
    pat = make_staff("peer", name="Pat Rivera", email="pat@example.org")
    write("client.viewed", actor=pat, record_type="client", record_id=7)
    login_as("admin")
    html = client.get("/audit/", query_string={"action": "signin"}).get_data(as_text=True)
    for name in ("person", "action", "record_type"):
        assert re.search(rf'<input[^>]*aria-describedby="{name}-hint"[^>]*id="{name}"[^>]*type="search"', html), name
        assert f'<label class="usa-label" for="{name}">' in html
    assert '<select class="usa-select" id="outcome"' in html  # two choices: still a list
    assert html.count("<option") == 3
    assert "pat@example.org" not in html
    assert 'value="signin"' in html


def test_a_filter_stays_selected_and_rides_along_in_page_and_export_links(
    client: FlaskClient, login_as: Callable[..., Staff], write: Write
) -> None:
    for _ in range(60):
        write("client.viewed")
    login_as("admin")
    html = client.get("/audit/?action=client.viewed&date_from=2000-01-01").get_data(as_text=True)
    assert 'name="action" type="search" value="client.viewed"' in html
    assert 'value="2000-01-01"' in html
    assert "/audit/?page=2&amp;action=client.viewed&amp;date_from=2000-01-01" in html
    assert "/audit/export.csv?action=client.viewed&amp;date_from=2000-01-01" in html
    assert "Download these 60 entries as a CSV file" in html


# Pagination and queries -------------------------------------------------------------------------------------------


def test_pages_of_fifty_newest_first(client: FlaskClient, login_as: Callable[..., Staff], write: Write) -> None:
    for _ in range(120):
        write("client.viewed")
    login_as("admin")

    def shown(page: str) -> list[str]:
        response = client.get("/audit/", query_string={"page": page, "action": "client.viewed"})
        assert response.status_code == 200
        return rows_of(response.get_data(as_text=True))

    assert shown("1") == [str(n) for n in range(120, 70, -1)]
    assert shown("3") == [str(n) for n in range(20, 0, -1)]
    assert shown("abc") == shown("1")
    assert shown("-2") == shown("1")
    assert shown("9" * 5000) == shown("1")
    assert shown("²") == shown("1")
    empty = client.get("/audit/?page=99").get_data(as_text=True)
    assert rows_of(empty) == []
    assert "This page is empty" in empty
    assert "Showing 51 to 100 of 120." in client.get("/audit/?page=2&action=client.viewed").get_data(as_text=True)


def test_queries_do_not_grow_with_the_number_of_entries(
    client: FlaskClient, login_as: Callable[..., Staff], write: Write, db: Any
) -> None:
    """Each entry has its own person: without the join, every row would cost a query (or raise: actor is lazy=raise)."""
    login_as("admin")

    def screen_after_adding(entries: int) -> tuple[int, str]:
        for _ in range(entries):
            write("client.viewed", actor=make_staff("peer", name=f"Reader {next(readers):03d}"))
        with counting_queries() as statements:
            response = client.get("/audit/?action=client.viewed")
        assert response.status_code == 200
        return len(statements), response.get_data(as_text=True)

    readers = iter(range(1000))
    with_ten, html = screen_after_adding(10)
    assert len(rows_of(html)) == 10
    assert "Reader 000" in html
    assert "Reader 009" in html
    with_sixty, html = screen_after_adding(50)
    assert len(rows_of(html)) == 50
    assert "Reader 059" in html
    assert "Reader 010" in html
    assert with_ten == with_sixty
    assert with_ten <= 15


# Bad input --------------------------------------------------------------------------------------------------------

BAD_INPUT = [
    ({"date_from": "yesterday"}, "Enter the date as year-month-day"),
    ({"date_to": "2025-13-45"}, "Enter the date as year-month-day"),
    ({"date_from": "2025-03-31", "date_to": "2025-03-01"}, "The to date must be the same as or after the from date."),
    ({"date_from": "x" * 5000}, "Enter the date as year-month-day"),
    ({"person": "x" * 5000}, "A person is at most 120 characters."),
    ({"person": "Pat\x00"}, "Use only letters, numbers and punctuation."),
    ({"action": "x" * 5000}, "An action is at most 60 characters."),
    ({"outcome": "maybe"}, "Choose allowed or denied."),
    ({"record_type": "x" * 41}, "A record type is at most 40 characters."),
    ({"record_id": "9" * 5000}, "A record number is at most 40 characters."),
    ({"record_id": "7\x00"}, "Use only letters, numbers and punctuation."),
]


@pytest.mark.parametrize(("args", "message"), BAD_INPUT, ids=[str(n) for n in range(len(BAD_INPUT))])
@pytest.mark.parametrize("path", ["/audit/", "/audit/export.csv"])
def test_bad_filters_get_a_clear_message_not_an_error(
    client: FlaskClient,
    login_as: Callable[..., Staff],
    write: Write,
    db: Any,
    path: str,
    args: dict[str, str],
    message: str,
) -> None:
    write("client.viewed", record_type="client", record_id=7)
    login_as("admin")
    response = client.get(path, query_string=args)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert message in html
    assert 'id="error-summary"' in html
    assert rows_of(html) == []
    assert "Nothing shown yet" in html
    note = last_entry(db)
    assert (note.action, note.detail) == ("audit.viewed", "filters not valid; nothing shown")


def test_typed_values_are_kept_after_an_error(client: FlaskClient, login_as: Callable[..., Staff]) -> None:
    login_as("admin")
    html = client.get("/audit/?record_id=client-7&date_from=yesterday&date_to=2025-03-01").get_data(as_text=True)
    assert 'value="client-7"' in html
    assert 'value="yesterday"' in html
    assert 'value="2025-03-01"' in html
    assert 'aria-invalid="true"' in html


# Looking is logged ------------------------------------------------------------------------------------------------


def test_viewing_is_logged_without_the_filter_values(
    client: FlaskClient, login_as: Callable[..., Staff], write: Write, db: Any
) -> None:
    pat = make_staff("peer", name="Pat Rivera", email="pat@example.org")
    write("client.viewed", actor=pat, record_type="client", record_id="4711")
    write("client.viewed", actor=pat, record_type="client", record_id="4711")
    viewer = login_as("privacy")

    client.get("/audit/", query_string={"person": "Pat Rivera", "record_type": "client", "record_id": "4711"})
    note = last_entry(db)
    assert (note.action, note.actor_id, note.outcome) == ("audit.viewed", viewer.id, audit.ALLOWED)
    assert note.detail == "filters: person, record type, record number; 2 matching; page 1"
    for secret in ("Pat", "pat@example.org", "4711", str(pat.id) + ";"):
        assert secret not in note.detail

    client.get("/audit/")
    assert last_entry(db).detail == "no filters; 3 matching; page 1"
    assert audit.verify().ok


# CSV export -------------------------------------------------------------------------------------------------------


def read_csv(response: Any) -> list[list[str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_export_streams_every_matching_entry_as_an_attachment(
    client: FlaskClient, login_as: Callable[..., Staff], write: Write, db: Any
) -> None:
    pat = make_staff("peer", name="Pat Rivera", email="pat@example.org")
    for n in range(130):
        write("client.viewed" if n % 2 else "client.updated", actor=pat if n % 3 else None, agent="Browser/1")
    viewer = login_as("admin")

    response = client.get("/audit/export.csv?action=client.viewed")
    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    assert re.fullmatch(
        r'attachment; filename="audit-log-\d{8}-\d{6}-utc\.csv"', response.headers["Content-Disposition"]
    )
    rows = read_csv(response)
    header, body = rows[0], rows[1:]
    assert header[:6] == ["entry", "time_utc", "person_id", "person_name", "person_email", "action"]
    assert [int(row[0]) for row in body] == list(range(130, 0, -2))
    assert {row[5] for row in body} == {"client.viewed"}
    by_id = {int(row[0]): row for row in body}
    assert by_id[2][2:5] == [str(pat.id), "Pat Rivera", "pat@example.org"]
    assert by_id[4][2:5] == ["", "", ""]
    assert by_id[2][10] == "Browser/1"
    assert by_id[2][13] == db.session.get(AuditEntry, 2).hash

    note = last_entry(db)
    assert (note.action, note.actor_id, note.detail) == ("audit.exported", viewer.id, "filters: action; 65 matching")
    assert note.id not in by_id


def test_export_of_the_whole_log_leaves_out_its_own_note(
    client: FlaskClient, login_as: Callable[..., Staff], write: Write, db: Any
) -> None:
    write("client.viewed")
    login_as("admin")
    body = read_csv(client.get("/audit/export.csv"))[1:]
    assert [row[0] for row in body] == ["1"]
    assert last_entry(db).detail == "no filters; 1 matching"


def test_export_guards_against_spreadsheet_formulas(
    client: FlaskClient, login_as: Callable[..., Staff], write: Write
) -> None:
    sneaky = make_staff("peer", name='=HYPERLINK("http://evil.example","click")', email="@sneaky@example.org")
    write("client.viewed", actor=sneaky, record_type="client", record_id="+1", agent="-2+3")
    write("client.viewed", record_type="client", record_id="safe", agent="Mozilla/5.0")
    login_as("admin")
    body = {row[0]: row for row in read_csv(client.get("/audit/export.csv"))[1:]}
    assert body["1"][3] == '\'=HYPERLINK("http://evil.example","click")'
    assert body["1"][4] == "'@sneaky@example.org"
    assert body["1"][7] == "'+1"
    assert body["1"][10] == "'-2+3"
    assert body["2"][7] == "safe"
    assert body["2"][10] == "Mozilla/5.0"


# Check the chain --------------------------------------------------------------------------------------------------


def tamper(db: Any, entry_id: int, **values: Any) -> None:
    if ON_POSTGRES:
        db.session.execute(sa.text("SET LOCAL session_replication_role = replica"))
    db.session.execute(update(AuditEntry).where(AuditEntry.id == entry_id).values(**values))
    db.session.commit()


def test_check_the_chain_reports_an_intact_log(
    client: FlaskClient, login_as: Callable[..., Staff], write: Write, db: Any
) -> None:
    for _ in range(3):
        write("client.viewed")
    viewer = login_as("privacy")
    response = client.post("/audit/check")
    assert response.status_code == 302
    assert response.headers["Location"] == "/audit/"
    note = last_entry(db)
    assert (note.action, note.actor_id, note.detail) == ("audit.checked", viewer.id, "intact, 3 entries")
    html = client.get("/audit/").get_data(as_text=True)
    assert "The audit log is intact: 3 entries checked" in html


def test_check_the_chain_names_the_first_changed_entry(
    client: FlaskClient, login_as: Callable[..., Staff], write: Write, db: Any
) -> None:
    for _ in range(5):
        write("client.viewed")
    tamper(db, 3, outcome=audit.DENIED)
    login_as("admin")
    html = client.post("/audit/check", follow_redirects=True).get_data(as_text=True)
    assert "The audit log was changed at entry 3: its content was changed after it was written." in html
    assert "The 2 entries before it are intact." in html
    assert 'role="alert"' in html
    checked = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "audit.checked")).one()
    assert checked.detail == "broken at entry 3"


def test_check_the_chain_needs_a_post_with_a_csrf_token(
    app: Flask, client: FlaskClient, login_as: Callable[..., Staff], write: Write, db: Any
) -> None:
    write("client.viewed")
    login_as("admin")
    assert client.get("/audit/check").status_code == 405
    app.config["WTF_CSRF_ENABLED"] = True
    refused = client.post("/audit/check")
    assert refused.status_code == 400
    assert "audit.checked" not in set(db.session.scalars(select(AuditEntry.action)))

    page = client.get("/audit/").get_data(as_text=True)
    form = page[page.index('action="/audit/check"') :]
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    accepted = client.post("/audit/check", data={"csrf_token": token.group(1)})
    assert accepted.status_code == 302
    assert last_entry(db).action == "audit.checked"
