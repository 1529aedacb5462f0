"""TRUSTED_HOSTS: a request whose Host header names another host gets the plain 400 page before anything reads it,
so an address the app builds from the request (an invitation link when BASE_URL is unset, a PDF's base address)
cannot be pointed at another site by a forged header. In production it defaults to BASE_URL's host; on one's own
machine and in the tests (whose client says "localhost") any host is served unless it is set."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from core import config
from core.extensions import db
from core.models import AuditEntry, Staff
from tests.core.security_helpers import built_app
from tests.core.test_headers import assert_security_headers
from tests.factories import PASSWORD, make_staff

HOST = "peerworks.example.org"


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """config.from_environment with the given variables set (and the trusted-host ones otherwise unset)."""
    for name in ("TRUSTED_HOSTS", "BASE_URL", "PEERWORKS_ENV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRET_KEY", "x" * 64)

    def read(**variables: str) -> object:
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        return config.from_environment(tmp_path)["TRUSTED_HOSTS"]

    return read


def test_production_trusts_base_urls_host_when_unset(environment):
    assert environment(PEERWORKS_ENV="production", BASE_URL=f"https://{HOST.upper()}:8443/peerworks/") == [HOST]


def test_the_setting_is_a_comma_separated_list_and_wins(environment):
    assert environment(PEERWORKS_ENV="production", BASE_URL=f"https://{HOST}",
                       TRUSTED_HOSTS=" peerworks.example.org , .agency.example ,") == [HOST, ".agency.example"]


def test_any_host_without_the_setting_outside_production_or_without_base_url(environment):
    assert environment(BASE_URL=f"https://{HOST}") is None, "one's own machine, the tests: any host"
    assert environment(PEERWORKS_ENV="production", BASE_URL="") is None
    assert environment(PEERWORKS_ENV="production", BASE_URL="http://[::1") is None, "no host in it: as if unset"
    assert environment(PEERWORKS_ENV="development", TRUSTED_HOSTS="localhost") == ["localhost"], (
        "set, it holds on one's own machine too")


@pytest.fixture
def guarded(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    with built_app(database_url, tmp_path / "instance", TRUSTED_HOSTS=[HOST]) as application:
        yield application


def test_another_host_gets_the_plain_400_page_and_nothing_happens(guarded: Flask):
    with guarded.app_context():
        staff = make_staff("peer")
        db.session.commit()
        email, staff_id = staff.email, staff.id
    client = guarded.test_client()

    assert client.get("/login", headers={"Host": HOST}).status_code == 200
    assert client.get("/login", headers={"Host": f"{HOST}:443"}).status_code == 200, "a port is no other host"
    for host in ("evil.example", "localhost", f"{HOST}.evil.example", f"evil.{HOST}"):
        for method, path in (("GET", "/login"), ("GET", "/no-such-page"), ("GET", "/static/css/app.css"),
                             ("POST", "/login")):
            response = client.open(path, method=method, headers={"Host": host},
                                   data={"email": email, "password": "a wrong password"})
            page = response.get_data(as_text=True)
            assert response.status_code == 400, (host, method, path)
            assert "<h1>The request could not be read</h1>" in page
            assert "Traceback" not in page
            assert host not in page, "no address is built with that Host"
            assert 'href="/login"' in page, "the page's own links are paths"
            assert_security_headers(response)

    with guarded.app_context():
        assert db.session.get(Staff, staff_id).failed_signins == 0, "the refused sign-in was never looked at"
        assert db.session.scalars(select(AuditEntry.action)).all() == []
    signed_in = client.post("/login", headers={"Host": HOST}, data={"email": email, "password": PASSWORD})
    assert signed_in.status_code == 302


def test_a_forwarded_host_is_checked_behind_a_proxy(database_url: str, tmp_path: Path):
    with built_app(database_url, tmp_path / "instance", TRUSTED_HOSTS=[HOST], TRUSTED_PROXIES=1) as application:
        client = application.test_client()
        assert client.get("/login", headers={"Host": "10.0.0.5", "X-Forwarded-Host": HOST}).status_code == 200
        forged = client.get("/login", headers={"Host": HOST, "X-Forwarded-Host": "evil.example"})
        assert forged.status_code == 400
