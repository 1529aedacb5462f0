"""The community resource directory: search, categories, pages, CSV, adding and changing with versions."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from caseload.models import Resource
from core.models import AuditEntry
from tests.factories import make_resource, make_staff, start_session

RESOURCES = "/caseload/resources"


@pytest.fixture
def peer(db, login_as):
    return login_as("peer")


def resource_form(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Main Street YMCA",
        "category": "recreation",
        "address": "12 Main Street",
        "phone": "(203) 555-0100",
        "website": "https://www.ymca.org/main-street",
        "hours": "Monday to Saturday, 6:00 to 21:00",
        "notes": "Ask for Denise at the front desk.\nReduced fees on request.",
    }
    data.update(changes)
    return data


# The list ---------------------------------------------------------------------------------------------------


def test_the_directory_lists_searches_and_filters(client, db, peer):
    make_resource(peer, name="Food pantry on Elm", category="food", notes="Bring ID")
    make_resource(peer, name="Public library", category="library", notes="Free computers and job help")
    make_resource(peer, name="Social Security office", category="benefits")
    db.session.commit()
    everything = client.get(RESOURCES).get_data(as_text=True)
    assert "Food pantry on Elm" in everything
    assert "Social Security office" in everything
    assert "Showing 1 to 3 of 3" in everything
    by_notes = client.get(RESOURCES, query_string={"q": "JOB HELP"}).get_data(as_text=True)
    assert "Public library" in by_notes
    assert "Food pantry on Elm" not in by_notes
    by_category = client.get(RESOURCES, query_string={"category": "food"}).get_data(as_text=True)
    assert "Food pantry on Elm" in by_category
    assert "Public library" not in by_category
    none = client.get(RESOURCES, query_string={"q": "%"}).get_data(as_text=True)
    assert "No resources match your search" in none


def test_the_directory_pages(client, db, peer):
    for n in range(30):
        make_resource(peer, name=f"Resource {n:02d}")
    db.session.commit()
    first = client.get(RESOURCES).get_data(as_text=True)
    assert "Resource 00" in first
    assert "Resource 29" not in first
    second = client.get(RESOURCES, query_string={"page": 2}).get_data(as_text=True)
    assert "Resource 29" in second
    assert client.get(RESOURCES, query_string={"page": "99999999999999999999"}).status_code == 200


def test_bad_filters_are_left_out_with_a_message(client, peer):
    response = client.get(RESOURCES, query_string={"category": "weapons", "q": "q" * 5000})
    assert response.status_code == 400
    assert "We could not use this filter" in response.get_data(as_text=True)


def test_categories_show_their_own_words(client, db, peer):
    # "family" and "other" are also values of other caseload enums; each must keep its own label.
    make_resource(peer, name="DCF office", category="family")
    make_resource(peer, name="Barber school", category="other")
    db.session.commit()
    page = client.get(RESOURCES).get_data(as_text=True)
    assert "<td>Family and children services</td>" in page
    assert "<td>Other</td>" in page
    assert "Family member" not in page
    assert "Other urgent need" not in page


def test_an_empty_directory_says_what_to_do(client, peer):
    assert "The directory is empty" in client.get(RESOURCES).get_data(as_text=True)


def test_websites_are_links_that_do_not_leak_the_referrer(client, db, peer):
    resource = make_resource(peer, name="Housing authority", website="https://housing.example.org/apply")
    db.session.commit()
    for path in (RESOURCES, f"{RESOURCES}/{resource.id}"):
        page = client.get(path).get_data(as_text=True)
        assert 'href="https://housing.example.org/apply" rel="noopener noreferrer"' in page


def test_the_csv_holds_the_matching_resources_with_formulas_defused(client, db, peer):
    make_resource(peer, name="=HYPERLINK(\"http://evil\")", category="food", notes="+1 555")
    make_resource(peer, name="Public library", category="library")
    db.session.commit()
    response = client.get(f"{RESOURCES}/export.csv", query_string={"category": "food"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "name"
    assert len(rows) == 2
    assert rows[1][0].startswith("'=")
    assert rows[1][6].startswith("'+")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "resource.exported"))
    assert entry.detail == "filtered; 1 rows"


# Adding -----------------------------------------------------------------------------------------------------


def test_add_a_resource(client, db, peer):
    response = client.post(f"{RESOURCES}/new", data=resource_form())
    assert response.status_code == 302
    resource = db.session.scalar(select(Resource))
    assert (resource.name, resource.category, resource.updated_by_id) == ("Main Street YMCA", "recreation", peer.id)
    assert resource.notes.startswith("Ask for Denise")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Ask for Denise at the front desk." in page
    assert f"by {peer.name}" in page
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "resource.created"))
    assert entry.record_id == str(resource.id)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "Enter the name of the place or service"),
        ({"name": "n" * 5000}, "Use at most 160 characters"),
        ({"notes": "n" * 5000}, "Keep the notes to 4,000 characters or fewer"),
        ({"address": "a" * 5000}, "Use at most 300 characters"),
        ({"hours": "h" * 5000}, "Use at most 200 characters"),
        ({"category": ""}, "Choose a category"),
        ({"category": "casino"}, "Choose a category from the list"),
        ({"website": "javascript:alert(1)"}, "Enter a web address starting with https://"),
        ({"website": "data:text/html,hi"}, "Enter a web address starting with https://"),
        ({"website": "ftp://files.example.org"}, "Enter a web address starting with https://"),
        ({"website": "https://"}, "Enter a web address starting with https://"),
        ({"website": "https://exa mple.org"}, "Enter a web address starting with https://"),
        ({"website": "http://[::1"}, "Enter a web address starting with https://"),
        ({"website": "www.ymca.org"}, "Enter a web address starting with https://"),
        ({"website": "https://" + "w" * 400 + ".org"}, "Use at most 300 characters"),
        ({"phone": "call the desk"}, "Use numbers, spaces, brackets and dashes only"),
        ({"notes": "bad\x07byte"}, "Use only letters, numbers"),
        ({"name": "tab\tinside"}, "Use only letters, numbers"),
    ],
)
def test_bad_input_is_refused_with_the_input_kept(client, db, peer, changes, message):
    response = client.post(f"{RESOURCES}/new", data=resource_form(**changes))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert escape(resource_form(**changes)["address"]) in page  # what was typed is kept
    assert db.session.scalar(select(func.count()).select_from(Resource)) == 0


@pytest.mark.parametrize("website", ["http://library.example.org", "HTTPS://Food.Example.org/path?q=1#x"])
def test_http_and_https_addresses_are_accepted(client, db, peer, website):
    assert client.post(f"{RESOURCES}/new", data=resource_form(website=website)).status_code == 302


# Changing ---------------------------------------------------------------------------------------------------


def test_edit_a_resource_records_who_and_when(client, db, peer):
    author = make_staff("staff", name="Original Author")
    resource = make_resource(author, name="Food pantry", category="food", updated_at=datetime(2024, 1, 2, 3, 4))
    db.session.commit()
    form = client.get(f"{RESOURCES}/{resource.id}/edit").get_data(as_text=True)
    assert 'name="version" type="hidden" value="1"' in form
    assert "by Original Author" in form
    response = client.post(f"{RESOURCES}/{resource.id}/edit",
                           data=resource_form(name="Food pantry", category="food", version="1"))
    assert response.status_code == 302
    db.session.refresh(resource)
    assert resource.version == 2
    assert resource.updated_by_id == peer.id
    assert resource.updated_at > datetime(2024, 1, 2, 3, 4)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "resource.updated"))
    assert entry.detail == "address, phone, website, hours, notes"
    assert f"by {peer.name}" in client.get(RESOURCES).get_data(as_text=True)


def test_a_stale_save_is_refused_with_409_and_the_input_kept(client, db, peer):
    resource = make_resource(peer, name="Food pantry", category="food")
    db.session.commit()
    resource.hours = "Fridays only"  # someone else saved first
    db.session.commit()
    response = client.post(f"{RESOURCES}/{resource.id}/edit",
                           data=resource_form(name="My new name", category="food", version="1"))
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Someone else changed this resource while you were editing" in page
    assert "Fridays only" in page  # what they saved
    assert 'value="My new name"' in page  # what you typed
    assert 'name="version" type="hidden" value="2"' in page  # saving again replaces theirs
    db.session.refresh(resource)
    assert resource.name == "Food pantry"
    again = client.post(f"{RESOURCES}/{resource.id}/edit",
                        data=resource_form(name="My new name", category="food", version="2"))
    assert again.status_code == 302


@pytest.mark.parametrize("version", ["", "abc", "9" * 20])
def test_a_missing_version_is_refused(client, db, peer, version):
    resource = make_resource(peer, name="Food pantry", category="food")
    db.session.commit()
    response = client.post(f"{RESOURCES}/{resource.id}/edit", data=resource_form(version=version))
    assert response.status_code == 400
    assert "This form is missing a part" in response.get_data(as_text=True)


def test_an_unchanged_save_changes_nothing(client, db, peer):
    resource = make_resource(peer, **resource_form())
    db.session.commit()
    response = client.post(f"{RESOURCES}/{resource.id}/edit", data=resource_form(version="1"))
    assert response.status_code == 302
    db.session.refresh(resource)
    assert resource.version == 1


@pytest.mark.parametrize("path", ["/999999", "/999999/edit"])
def test_unknown_resources_are_404(client, peer, path):
    assert client.get(f"{RESOURCES}{path}").status_code == 404


def test_saving_an_unknown_resource_is_404(client, peer):
    assert client.post(f"{RESOURCES}/999999/edit", data=resource_form(version="1")).status_code == 404


@pytest.mark.parametrize("role", ["peer", "staff", "supervisor", "privacy"])
def test_every_role_that_works_with_clients_may_add(app, db, role):
    person = make_staff(role)
    token = start_session(person)
    other = app.test_client()
    with other.session_transaction() as session:
        session["_user_id"] = token
    assert other.post(f"{RESOURCES}/new", data=resource_form()).status_code == 302


@pytest.mark.parametrize("role", ["hr", "admin"])
def test_hr_and_admin_do_not_use_the_directory(app, db, role):
    person = make_staff(role)
    token = start_session(person)
    other = app.test_client()
    with other.session_transaction() as session:
        session["_user_id"] = token
    assert other.get(RESOURCES).status_code == 403
    assert other.post(f"{RESOURCES}/new", data=resource_form()).status_code == 403
