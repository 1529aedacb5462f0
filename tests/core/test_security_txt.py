"""``/.well-known/security.txt`` (RFC 9116): published only when the agency sets ``SECURITY_CONTACT``; unset, the
address answers 404 like any missing page, so nothing false is published. A bad value stops the app at start."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from core import security_txt
from core.app import create_app
from tests.factories import make_staff, start_session

ADDRESS = "/.well-known/security.txt"


def fields(text: str) -> list[tuple[str, str]]:
    """The file's fields in order, as RFC 9116 reads them: ``Name: value`` lines, comments and blanks left out."""
    found = []
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, sep, value = line.partition(": ")
            assert sep, f"not a field: {line!r}"
            found.append((name, value))
    return found


def test_unset_nothing_is_published(app, client):
    assert app.config["SECURITY_CONTACT"] == ""
    response = client.get(ADDRESS)
    assert response.status_code == 404
    assert b"Contact:" not in response.data


@pytest.mark.parametrize("contact", ["mailto:security@example.org", "https://example.org/report-a-vulnerability"])
def test_set_the_file_says_where_to_report(app, client, frozen_time, contact):
    frozen_time.at("2026-12-07 23:30")  # New York: already 8 December in UTC
    app.config["SECURITY_CONTACT"] = contact

    response = client.get(ADDRESS)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert fields(response.get_data(as_text=True)) == [
        ("Contact", contact),
        ("Expires", "2027-12-08T00:00:00Z"),
        ("Preferred-Languages", "en"),
        ("Canonical", f"http://localhost{ADDRESS}"),
    ]


def test_expires_within_a_year_and_in_the_future(app, client, frozen_time):
    """RFC 9116: Expires is required, once, in the future; less than a year ahead is recommended."""
    app.config["SECURITY_CONTACT"] = "mailto:security@example.org"
    for moment in ("2027-01-01 00:00", "2027-06-30 12:34", "2028-02-29 23:59"):
        now = frozen_time.at(moment, zone="UTC").replace(tzinfo=None)
        found = dict(fields(client.get(ADDRESS).get_data(as_text=True)))
        expires = datetime.strptime(found["Expires"], "%Y-%m-%dT%H:%M:%SZ")  # the Z says UTC, as ``now`` is
        assert timedelta(days=364) < expires - now <= timedelta(days=365), moment
        assert list(found) == ["Contact", "Expires", "Preferred-Languages", "Canonical"], "each field once"


def test_canonical_follows_base_url_and_the_file_is_the_same_signed_in(app, client):
    app.config["SECURITY_CONTACT"] = "mailto:security@example.org"
    app.config["BASE_URL"] = "https://peerworks.example.org/"
    anonymous = client.get(ADDRESS).get_data(as_text=True)
    assert f"Canonical: https://peerworks.example.org{ADDRESS}\n" in anonymous

    staff = make_staff("peer")
    token = start_session(staff)
    with client.session_transaction() as session:
        session["_user_id"] = token
    assert client.get(ADDRESS).get_data(as_text=True) == anonymous


@pytest.mark.parametrize(
    "value",
    ["mailto:security@example.org", "  mailto:security@example.org ", "mailto:security@example.org?subject=PeerWorks",
     "https://example.org/security", "https://example.org"],
)
def test_good_contacts(value):
    assert security_txt.check_contact(value) == value.strip()


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("security@example.org", "neither one mailto: nor one https: address"),
        ("http://example.org/security", "neither one mailto: nor one https: address"),
        ("mailto:", "neither"),
        ("mailto:security", "neither"),
        ("mailto:a@example.org,b@example.org", "neither"),
        ("https://", "neither"),
        ("https://[", "neither"),
        ("ftp://example.org", "neither"),
        ("mailto:security@example.org\nCanonical: https://evil.example", "a space or a line break"),
        ("mailto:security@example.org https://example.org", "a space or a line break"),
    ],
)
def test_bad_contacts_are_refused_with_a_plain_message(value, says):
    with pytest.raises(ValueError, match="SECURITY_CONTACT=") as refused:
        security_txt.check_contact(value)
    assert says in str(refused.value)
    assert "mailto:security@example.org" in str(refused.value), "an example of a good value"


def test_unset_is_fine():
    assert security_txt.check_contact("") == ""
    assert security_txt.check_contact("   ") == ""


def test_a_bad_value_stops_the_app_at_start(tmp_path, monkeypatch):
    monkeypatch.setenv("PEERWORKS_INSTANCE", str(tmp_path))
    monkeypatch.setenv("SECURITY_CONTACT", "security@example.org")
    with pytest.raises(ValueError, match="SECURITY_CONTACT='security@example.org' is neither"):
        create_app({"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": "sqlite://"})

    monkeypatch.setenv("SECURITY_CONTACT", " mailto:security@example.org ")
    started = create_app({"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert started.config["SECURITY_CONTACT"] == "mailto:security@example.org"
    response = started.test_client().get(ADDRESS)
    assert response.status_code == 200
    assert "Contact: mailto:security@example.org\n" in response.get_data(as_text=True)
