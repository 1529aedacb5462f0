"""The compliance list: HR narrows it by typing part of a supervisor's name or email address (a search box, not a
list of every supervisor); the filter stays in the page links and the CSV; a name with no match says so; the count
behind the page numbers is the number of people listed, whoever looks."""

from __future__ import annotations

import csv
import io
import re
from html import unescape

import pytest

from core.models import Role, StaffStatus
from tests import factories
from tests.supervision.helpers import sign_in


@pytest.fixture
def agency(db, frozen_time):
    """Two supervisors called Sam and one called Jo, each with their own peer specialists."""
    frozen_time.at("2026-03-20 12:00")
    okafor = factories.make_staff(Role.SUPERVISOR, name="Sam Okafor", email="sam.okafor@example.org")
    lee = factories.make_staff(Role.SUPERVISOR, name="Sam Lee", email="slee@example.org")
    park = factories.make_staff(Role.SUPERVISOR, name="Jo Park", email="jo.park@example.org")
    people = {
        "okafor": [factories.make_staff(Role.PEER, supervisor=okafor, name=f"Avery {n}") for n in range(3)],
        "lee": [factories.make_staff(Role.PEER, supervisor=lee, name=f"Blair {n}") for n in range(2)],
        "park": [factories.make_staff(Role.PEER, supervisor=park, name=f"Casey {n}") for n in range(2)],
    }
    factories.make_staff(Role.PEER, name="Drew Nobody")  # no supervisor set
    hr = factories.make_staff(Role.HR)
    db.session.commit()
    return hr, {"okafor": okafor, "lee": lee, "park": park}, people


def listed(html: str) -> list[str]:
    """The people the page's table lists, in order."""
    found = re.findall(r'<th scope="row"><a class="usa-link" href="[^"]+">([^<]+)</a>', html)
    return [unescape(name) for name in found]


def test_hr_sees_a_search_box_not_a_list_of_supervisors(client, agency):
    hr, _bosses, _people = agency
    sign_in(client, hr)
    html = client.get("/supervision/compliance").get_data(as_text=True)
    assert "<select" not in html
    assert re.search(r'<input[^>]+type="search"[^>]+name="supervisor"|<input[^>]+name="supervisor"[^>]+type="search"',
                     html)
    assert 'aria-describedby="supervisor-hint"' in html
    assert "to see one supervisor’s only, type their whole name or their email address" in html
    assert 'role="search"' in html
    assert len(listed(html)) == 8


def test_typing_a_supervisors_name_narrows_the_list_to_their_peers(client, agency):
    hr, _bosses, _people = agency
    sign_in(client, hr)
    html = client.get("/supervision/compliance?supervisor=OKAFOR").get_data(as_text=True)
    assert listed(html) == ["Avery 0", "Avery 1", "Avery 2"]
    assert "whose supervisor matches “OKAFOR”" in html
    assert 'value="OKAFOR"' in html  # the box keeps what was typed
    assert "Show everyone" in html


def test_several_matching_supervisors_show_all_their_peers_and_the_email_narrows_to_one(client, agency):
    hr, _bosses, _people = agency
    sign_in(client, hr)
    both = client.get("/supervision/compliance?supervisor=sam").get_data(as_text=True)
    assert listed(both) == ["Avery 0", "Avery 1", "Avery 2", "Blair 0", "Blair 1"]
    assert "Sam Okafor" in both
    assert "Sam Lee" in both
    one = client.get("/supervision/compliance?supervisor=slee@example.org").get_data(as_text=True)
    assert listed(one) == ["Blair 0", "Blair 1"]
    whole_name = client.get("/supervision/compliance?supervisor=+Sam+Okafor+").get_data(as_text=True)
    assert listed(whole_name) == ["Avery 0", "Avery 1", "Avery 2"]


def test_the_search_finds_whoever_is_set_as_supervisor(client, agency, db):
    """It matches the name the Supervisor column shows, whatever that person's roles."""
    hr, _bosses, _people = agency
    lead = factories.make_staff(Role.STAFF, name="Robin Lead")
    factories.make_staff(Role.PEER, supervisor=lead, name="Ira Under")
    db.session.commit()
    sign_in(client, hr)
    assert listed(client.get("/supervision/compliance?supervisor=robin").get_data(as_text=True)) == ["Ira Under"]


def test_a_name_with_no_match_says_so(client, agency):
    hr, _bosses, _people = agency
    sign_in(client, hr)
    html = client.get("/supervision/compliance?supervisor=Quinn").get_data(as_text=True)
    assert listed(html) == []
    assert "No supervisor matches" in html
    assert "No active peer specialist has a supervisor whose name or email address contains “Quinn”" in html
    assert 'href="/supervision/compliance"' in html  # show everyone again


def test_the_search_matches_the_text_literally(client, agency):
    """``%`` and ``_`` are letters here, not wildcards; markup typed in comes back as text."""
    hr, _bosses, _people = agency
    sign_in(client, hr)
    for typed in ("%", "_", "S_m", "Sam%Lee"):
        page = client.get("/supervision/compliance", query_string={"supervisor": typed})
        assert listed(page.get_data(as_text=True)) == [], typed
    html = client.get("/supervision/compliance", query_string={"supervisor": "<b>x</b>"}).get_data(as_text=True)
    assert "<b>x</b>" not in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html


def test_the_filter_stays_in_the_page_links_and_the_csv(client, app, agency):
    hr, _bosses, _people = agency
    app.config["PAGE_SIZE"] = 2
    sign_in(client, hr)
    first = client.get("/supervision/compliance?supervisor=sam").get_data(as_text=True)
    assert listed(first) == ["Avery 0", "Avery 1"]
    assert "page 1 of 3" in first
    assert "Showing 1 to 2 of 5." in first
    pages = set(re.findall(r'href="(/supervision/compliance\?[^"]+)"', unescape(first)))
    assert pages
    assert all("supervisor=sam" in link for link in pages), pages
    second = client.get(next(link for link in pages if "page=2" in link)).get_data(as_text=True)
    assert listed(second) == ["Avery 2", "Blair 0"]
    assert 'value="sam"' in second
    csv_link = unescape(re.search(r'href="(/supervision/compliance\.csv[^"]*)"', first).group(1))
    assert csv_link == "/supervision/compliance.csv?supervisor=sam"
    assert "Download the last 12 months of these 5 people" in first
    rows = list(csv.reader(io.StringIO(client.get(csv_link).get_data(as_text=True))))
    assert {row[0] for row in rows[1:]} == {"Avery 0", "Avery 1", "Avery 2", "Blair 0", "Blair 1"}
    assert {row[1] for row in rows[1:]} == {"Sam Okafor", "Sam Lee"}


def test_a_page_past_the_end_leads_back_to_the_first(client, app, agency):
    hr, _bosses, _people = agency
    sign_in(client, hr)
    html = client.get("/supervision/compliance?supervisor=park&page=9").get_data(as_text=True)
    assert "This page is empty" in html
    assert 'href="/supervision/compliance?supervisor=park"' in html


def test_a_search_too_long_is_explained_and_shows_nothing_nor_exports(client, agency, db):
    from sqlalchemy import func, select

    from core.models import AuditEntry

    hr, _bosses, _people = agency
    sign_in(client, hr)
    typed = "x" * 121
    html = client.get(f"/supervision/compliance?supervisor={typed}").get_data(as_text=True)
    assert "Use at most 120 characters." in html
    assert 'aria-invalid="true"' in html
    assert "Nothing shown yet" in html
    assert listed(html) == []
    exported = select(func.count()).where(AuditEntry.action == "supervision.compliance_exported")
    before = db.session.scalar(exported)
    answer = client.get(f"/supervision/compliance.csv?supervisor={typed}")
    assert answer.mimetype == "text/html"
    assert "Use at most 120 characters." in answer.get_data(as_text=True)
    assert db.session.scalar(exported) == before


def test_a_supervisor_has_no_filter_and_sees_their_own_peers_whatever_is_typed(client, agency):
    _hr, bosses, _people = agency
    sign_in(client, bosses["park"])
    html = client.get("/supervision/compliance?supervisor=okafor").get_data(as_text=True)
    assert 'name="supervisor"' not in html
    assert listed(html) == ["Casey 0", "Casey 1"]
    text = client.get("/supervision/compliance.csv?supervisor=okafor").get_data(as_text=True)
    assert {row[0] for row in list(csv.reader(io.StringIO(text)))[1:]} == {"Casey 0", "Casey 1"}


@pytest.mark.parametrize("viewer", ["hr", "park"])
def test_the_count_is_the_number_of_people_listed(client, app, agency, db, viewer):
    """The page numbers count active peer specialists in the viewer's sight, as the list does: not an invited or a
    deactivated one, nor someone active who is not a peer specialist (the count reads the roles and takes away the
    people not active, so each of these is checked)."""
    hr, bosses, _people = agency
    park = bosses["park"]
    factories.make_staff(Role.PEER, supervisor=park, name="Evan Invited", status=StaffStatus.INVITED)
    factories.make_staff(Role.PEER, supervisor=park, name="Fran Gone", status=StaffStatus.DEACTIVATED)
    factories.make_staff(Role.STAFF, supervisor=park, name="Gale Clinician")
    factories.make_staff(Role.PEER, Role.SUPERVISOR, supervisor=park, name="Hal Both")
    db.session.commit()
    app.config["PAGE_SIZE"] = 1
    sign_in(client, hr if viewer == "hr" else park)
    expected = 9 if viewer == "hr" else 3
    html = client.get("/supervision/compliance").get_data(as_text=True)
    assert f"Showing 1 to 1 of {expected}." in html
    everyone = []
    for number in range(1, expected + 2):
        everyone += listed(client.get(f"/supervision/compliance?page={number}").get_data(as_text=True))
    assert len(everyone) == expected
    assert not {"Evan Invited", "Fran Gone", "Gale Clinician"} & set(everyone)
    assert "Hal Both" in everyone
    if viewer == "hr":
        assert "Showing 1 to 1 of 3." in client.get("/supervision/compliance?supervisor=park").get_data(as_text=True)
