"""Security headers on every kind of page, and plain error pages that never show a stack trace."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from flask import Blueprint, Flask, abort
from flask.testing import FlaskClient

from core.extensions import db
from core.policy import public, requires
from tests import factories
from tests.core.security_helpers import built_app, signed_in_client

SECRET_DETAIL = "internal detail that must never reach a page"


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def probe_blueprint() -> Blueprint:
    """Routes that fail on purpose."""
    probe = Blueprint("headers_probe", __name__, url_prefix="/_probe")

    @probe.get("/bad-request")
    @public
    def bad_request() -> str:
        abort(400)

    @probe.get("/conflict")
    @public
    def conflict() -> str:
        abort(409)

    @probe.get("/crash")
    @public
    def crash() -> str:
        raise RuntimeError(SECRET_DETAIL)

    @probe.get("/audit-only")
    @requires("audit.view")
    def audit_only() -> str:
        return "audit page"

    return probe


@dataclass
class Site:
    app: Flask
    token: str

    def client(self, signed_in: bool) -> FlaskClient:
        return signed_in_client(self.app, self.token) if signed_in else self.app.test_client()


@pytest.fixture(scope="module")
def site(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    # TESTING alone would re-raise a view's exception in the test instead of showing the 500 page
    instance = tmp_path_factory.mktemp("headers-instance")
    with built_app(database_url, instance, PROPAGATE_EXCEPTIONS=False) as application:
        application.register_blueprint(probe_blueprint())
        with application.app_context():
            token = factories.start_session(factories.make_staff("peer"))
            db.session.remove()
        yield Site(application, token)


PAGES = {"public page": (False, "/login"), "signed-in page": (True, "/")}


@pytest.fixture(params=list(PAGES), ids=list(PAGES))
def page_request(request: pytest.FixtureRequest, site: Site) -> Callable:
    signed_in, path = PAGES[request.param]
    client = site.client(signed_in)

    def get(**kwargs: object):
        response = client.get(path, **kwargs)
        assert response.status_code == 200
        return response

    return get


def assert_security_headers(response) -> None:
    csp = csp_directives(response.headers["Content-Security-Policy"])
    assert "'unsafe-inline'" not in csp["script-src"]
    assert "'unsafe-eval'" not in csp["script-src"]
    assert any(source.startswith("'nonce-") for source in csp["script-src"])
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["default-src"] == ["'self'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in {"same-origin", "no-referrer", "strict-origin-when-cross-origin"}
    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_security_headers(page_request: Callable):
    assert_security_headers(page_request())


def test_inline_scripts_carry_the_nonce(page_request: Callable):
    response = page_request()
    nonce = next(
        source for source in csp_directives(response.headers["Content-Security-Policy"])["script-src"]
        if source.startswith("'nonce-")
    )[len("'nonce-"):-1]
    page = response.get_data(as_text=True)
    assert page.count("<script") == page.count(f'nonce="{nonce}"')


def test_hsts_only_over_https(page_request: Callable):
    assert "Strict-Transport-Security" not in page_request().headers
    secure = page_request(base_url="https://localhost").headers["Strict-Transport-Security"]
    max_age = int(secure.split("max-age=")[1].split(";")[0])
    assert max_age >= 31536000


ERRORS = {
    400: ("/_probe/bad-request", "The request could not be read"),
    403: ("/_probe/audit-only", "You do not have access to this page"),
    404: ("/no-such-page", "Page not found"),
    405: ("/logout", "That action is not available here"),  # a GET to a POST-only address
    409: ("/_probe/conflict", "Someone else changed this first"),
    500: ("/_probe/crash", "Something went wrong on our side"),
}


@pytest.mark.parametrize("code", list(ERRORS))
def test_error_pages_are_plain(site: Site, code: int):
    path, title = ERRORS[code]

    response = site.client(signed_in=True).get(path)

    assert response.status_code == code
    page = response.get_data(as_text=True)
    assert f"<h1>{title}</h1>" in page
    assert f"Error code: {code}" in page
    assert "Traceback" not in page
    assert SECRET_DETAIL not in page
    assert 'href="/"' in page, "a way back to the home page"
    assert_security_headers(response)


def test_error_pages_for_someone_not_signed_in(site: Site):
    client = site.client(signed_in=False)
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Go to the sign-in page" in response.get_data(as_text=True)
    crash = client.get("/_probe/crash")
    assert crash.status_code == 500
    assert SECRET_DETAIL not in crash.get_data(as_text=True)
