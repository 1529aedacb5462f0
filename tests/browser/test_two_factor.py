"""Two-factor sign-in in a real browser: with the agency requiring it, the demo supervisor is taken from the password
to set it up (the QR code and the key in groups of 4), types a code, sees the ten recovery codes once, then signs in
again with a code; a wrong code keeps nothing typed. A peer sets it up from the account page, where the password is
asked too. Each new page is checked with axe, at a desktop's and a phone's width. A server of its own: the other
browser tests' demo agency keeps the requirement off."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    DEMO_EMAILS,
    DEMO_PASSWORD,
    LiveServer,
    _live_config,
    _make_app,
    _serve,
    demo_database,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def required_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    database, instance = demo_database(tmp_path_factory, "two-factor")
    app = _make_app(instance, _live_config(database))
    with app.app_context():
        from core import settings, two_factor
        from core.extensions import db

        settings.put(two_factor.SETTING, "yes")
        db.session.commit()
        db.session.remove()
    yield from _serve(app)


def password(page: Page, server: LiveServer, email: str) -> None:
    page.goto(server.at("/login"))
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_supervisor_sets_it_up_then_signs_in_with_a_code(
    page: Page,
    required_server: LiveServer,
    axe_violations: Callable[[Page], str],
    screenshot: Callable[..., Path],
) -> None:
    reports = []
    password(page, required_server, DEMO_EMAILS["supervisor"])
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor sign-in")
    expect(page.get_by_role("img", name="QR code to scan with your authenticator app")).to_be_visible()
    reports.append(axe_violations(page))
    screenshot(page, "two-factor-set-up")
    secret = "".join(re.findall(r"\b[A-Z2-7]{4}\b", page.locator("#setup-key").inner_text()))
    assert len(secret) == 32, "the key, in groups of 4"
    totp = pyotp.TOTP(secret)

    page.get_by_label("6-digit code").fill("000000")
    page.get_by_role("button", name="Finish setting up").click()
    expect(page.get_by_text("That code did not work").first).to_be_visible()
    expect(page.get_by_label("6-digit code")).to_have_value("")
    reports.append(axe_violations(page))

    page.get_by_label("6-digit code").fill(totp.now())
    page.get_by_role("button", name="Finish setting up").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Save your recovery codes")
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    reports.append(axe_violations(page))
    screenshot(page, "two-factor-recovery-codes")
    page.get_by_role("link", name="I have saved my codes: continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Welcome, "))

    page.context.clear_cookies()
    password(page, required_server, DEMO_EMAILS["supervisor"])
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter the code from your app")
    field = page.get_by_label("6-digit code")
    expect(field).to_have_attribute("autocomplete", "one-time-code")
    expect(field).to_have_attribute("inputmode", "numeric")
    reports.append(axe_violations(page))
    screenshot(page, "two-factor-code")
    field.fill(pyotp.TOTP(secret).at(time.time() + 30))  # the next step: the one used to set up is spent
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Welcome, "))

    page.goto(required_server.at("/account/two-factor"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor sign-in")
    reports.append(axe_violations(page))
    assert not required_server.take_errors()
    assert not any(reports), "\n".join(reports)


def test_peer_sets_it_up_from_the_account_page_with_the_password(
    page: Page,
    required_server: LiveServer,
    axe_violations: Callable[[Page], str],
) -> None:
    """From the account page the set-up asks for the password too (a browser left signed in is not enough); a wrong
    one is a plain message next to the field and nothing typed is kept."""
    reports = []
    password(page, required_server, DEMO_EMAILS["peer"])
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Welcome, "))
    page.goto(required_server.at("/account/two-factor"))
    page.get_by_role("link", name="Set up two-factor sign-in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor sign-in")
    secret = "".join(re.findall(r"\b[A-Z2-7]{4}\b", page.locator("#setup-key").inner_text()))
    totp = pyotp.TOTP(secret)

    page.get_by_label("6-digit code").fill(totp.now())
    page.get_by_label("Your password").fill("not the password at all")
    page.get_by_role("button", name="Finish setting up").click()
    expect(page.get_by_text("That is not your current password.").first).to_be_visible()
    expect(page.get_by_label("Your password")).to_have_value("")
    expect(page.get_by_label("6-digit code")).to_have_value("")
    reports.append(axe_violations(page))

    page.get_by_label("6-digit code").fill(totp.now())
    page.get_by_label("Your password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Finish setting up").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Save your recovery codes")
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    assert not required_server.take_errors()
    assert not any(reports), "\n".join(reports)
