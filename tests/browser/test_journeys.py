"""What people do, in a real browser: sign in with the keyboard alone, get a wrong password, sign out, and answer
(or miss) the warning before an idle sign-in ends."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from core.extensions import db
from core.models import AuthSession, Staff
from tests.browser.conftest import (
    DEMO_EMAILS,
    DEMO_PASSWORD,
    SHORT_IDLE,
    SHORT_LIMIT,
    SHORT_WARNING,
    LiveServer,
    SharedClock,
    sign_in,
)

pytestmark = pytest.mark.browser

WARNING = "You will be signed out soon"

# What the element with the keyboard focus looks like: a focus indicator is an outline at least 2px wide,
# or a box shadow.
FOCUSED = """() => {
  const element = document.activeElement;
  if (!element || element === document.body) { return null; }
  const style = getComputedStyle(element);
  const box = element.getBoundingClientRect();
  return {
    name: (element.getAttribute("aria-label") || element.innerText || element.name || element.id
           || element.tagName).trim().slice(0, 60),
    marker: element.outerHTML.slice(0, 200),
    indicator: (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2)
               || style.boxShadow !== "none",
    shown: box.width > 0 && box.height > 0,
  };
}"""


def last_seen(server: LiveServer, email: str) -> datetime:
    """When the server last counted activity on this person's newest sign-in."""
    with server.app.app_context():
        row = db.session.scalars(
            select(AuthSession).join(Staff).where(Staff.email == email).order_by(AuthSession.id.desc()).limit(1)
        ).one()
        db.session.remove()
    return row.last_seen_at


def tab_through(page: Page, limit: int = 80) -> list[dict[str, Any]]:
    """Press Tab until the focus leaves the page or comes round again; what was focused, in order."""
    seen: list[dict[str, Any]] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None or (seen and focused["marker"] == seen[0]["marker"]):
            break
        seen.append(focused)
    return seen


def test_sign_in_with_the_keyboard_only(page: Page, live_server: LiveServer) -> None:
    page.goto("/login")
    skip = page.get_by_role("link", name="Skip to main content")
    email = page.get_by_label("Email address")
    password = page.get_by_label("Password")

    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="PeerWorks", exact=True)).to_be_focused()
    page.keyboard.press("Tab")
    expect(email).to_be_focused()
    page.keyboard.type(DEMO_EMAILS["peer"])
    page.keyboard.press("Tab")
    expect(password).to_be_focused()
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Sign in")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Pat Delgado")
    expect(page).to_have_url(live_server.at("/"))

    # The skip link takes the keyboard past the menu, into the page.
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main#main-content")).to_be_focused()
    page.keyboard.press("Tab")
    # The first thing in the page is what needs the person (the home page's to-do list), most urgent first.
    expect(page.get_by_role("list", name="What needs you").get_by_role("link").first).to_be_focused()


def test_wrong_password_says_so_and_keeps_the_email(page: Page, live_server: LiveServer) -> None:
    page.goto("/login")
    page.get_by_label("Email address").fill(DEMO_EMAILS["hr"])
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("alert")).to_contain_text("That email and password do not match an active account")
    expect(page).to_have_title("Error: Sign in | PeerWorks")
    expect(page.get_by_label("Email address")).to_have_value(DEMO_EMAILS["hr"])
    expect(page.get_by_label("Password")).to_have_value("")
    expect(page.get_by_role("navigation", name="Main menu")).to_have_count(0)

    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Harriet Reyes")


def test_sign_out(page: Page, live_server: LiveServer) -> None:
    sign_in(page, live_server, DEMO_EMAILS["supervisor"])
    page.get_by_role("button", name="Sign out").click()

    expect(page).to_have_url(live_server.at("/login"))
    expect(page.get_by_role("status")).to_contain_text("You are signed out.")
    expect(page.get_by_role("navigation", name="Main menu")).to_have_count(0)

    page.goto("/supervision/")
    expect(page).to_have_url(re.compile(r"/login\?next=(/|%2F)supervision"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to PeerWorks")


@pytest.mark.parametrize(
    ("who", "path"),
    [("anonymous", "/login"), ("admin", "/"), ("admin", "/account/password")],
)
def test_the_keyboard_focus_is_always_visible(page: Page, live_server: LiveServer, who: str, path: str) -> None:
    if who != "anonymous":
        sign_in(page, live_server, DEMO_EMAILS[who])
    page.goto(path)
    visited = tab_through(page)
    assert len(visited) >= 4, f"expected several controls on {path}, reached {visited}"
    hidden = [f["name"] for f in visited if not (f["indicator"] and f["shown"])]
    assert not hidden, f"no visible focus indicator on {path} for: {hidden}"


def test_pages_work_without_javascript(browser: Browser, live_server: LiveServer) -> None:
    """On a phone with scripts off the menu cannot fold away: it is shown, and every link and form works."""
    context = browser.new_context(
        base_url=live_server.url, java_script_enabled=False, viewport={"width": 390, "height": 844}
    )
    try:
        page = context.new_page()
        sign_in(page, live_server, DEMO_EMAILS["peer"])
        menu = page.get_by_role("navigation", name="Main menu")
        expect(page.get_by_role("button", name="Menu", exact=True)).to_be_hidden()
        expect(page.get_by_role("button", name="Close menu", exact=True)).to_be_hidden()
        expect(menu.get_by_role("link", name="Training")).to_be_visible()
        menu.get_by_role("link", name="Training").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Training")
        expect(page.get_by_role("alertdialog")).to_have_count(0)
        menu.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("status")).to_contain_text("You are signed out.")
    finally:
        context.close()


def test_session_warning_keeps_typed_text_and_extends_the_sign_in(
    page: Page,
    short_session_server: LiveServer,
    shared_clock: SharedClock,
    axe_violations: Callable[[Page], str],
    screenshot: Callable[..., Path | None],
) -> None:
    server = short_session_server
    email = DEMO_EMAILS["peer"]
    shared_clock.install(page.context)
    sign_in(page, server, email)
    signed_in_at = shared_clock.monotonic()
    page.goto(server.at("/account/password"))
    field = page.get_by_label("Current password")
    field.click()
    page.keyboard.type("half-typed")

    dialog = page.get_by_role("alertdialog", name=WARNING)
    # Over the seconds nobody acts to two seconds before the warning is due: none yet; it opens on time.
    shared_clock.jump(SHORT_IDLE - SHORT_WARNING - 2)
    page.wait_for_timeout(300)
    expect(dialog).to_be_hidden()
    expect(dialog).to_be_visible(timeout=8000)
    assert shared_clock.monotonic() - signed_in_at >= SHORT_IDLE - SHORT_WARNING - 1, "the warning came too early"
    # Announced as an alert, with its title as its name and its text as its description (not only by focus).
    expect(dialog).to_have_attribute("role", "alertdialog")
    expect(dialog).to_have_accessible_description(re.compile(r"^For privacy, PeerWorks signs you out after"))
    stay = dialog.get_by_role("button", name="Stay signed in")
    expect(stay).to_be_focused()
    expect(dialog).to_contain_text(f"PeerWorks signs you out after {SHORT_IDLE} seconds without activity")
    expect(dialog).to_contain_text("Time left:")
    assert page.evaluate(FOCUSED)["indicator"], "the focused button shows no focus indicator"
    screenshot(page, "peer-session-warning", full_page=False)
    report = axe_violations(page)
    assert not report, report

    before = last_seen(server, email)
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(field).to_be_focused()
    expect(field).to_have_value("half-typed")
    assert last_seen(server, email) > before, "Stay signed in did not reach the server"

    # Past the first deadline, the next page still opens signed in.
    shared_clock.jump(max(0.0, signed_in_at + SHORT_IDLE + 1 - shared_clock.monotonic()))
    response = page.goto(server.at("/account/password"))
    assert response is not None
    assert response.status == 200
    expect(page).to_have_url(server.at("/account/password"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")

    # Less than the warning time is left on this new page, so the warning is back. Escape also keeps you here.
    expect(dialog).to_be_visible(timeout=5000)
    before = last_seen(server, email)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    deadline = time.monotonic() + 5
    while last_seen(server, email) <= before and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert last_seen(server, email) > before, "Escape did not keep the sign-in going"
    page.wait_for_timeout(1500)
    expect(dialog).to_be_hidden()


def test_unanswered_warning_signs_out(page: Page, short_session_server: LiveServer, shared_clock: SharedClock) -> None:
    server = short_session_server
    shared_clock.install(page.context)
    sign_in(page, server, DEMO_EMAILS["clinician"])
    page.goto(server.at("/training/"))
    shared_clock.jump(SHORT_IDLE - SHORT_WARNING)
    expect(page.get_by_role("alertdialog", name=WARNING)).to_be_visible(timeout=5000)

    # When the time is up the page asks the server again, which sends you to sign in and then back here.
    shared_clock.jump(SHORT_WARNING + 2)
    expect(page).to_have_url(re.compile(r"/login\?next=(/|%2F)training"), timeout=8000)
    expect(page.get_by_role("status")).to_contain_text("You were signed out after 15 minutes without activity")
    expect(page.get_by_role("navigation", name="Main menu")).to_have_count(0)
    page.get_by_label("Email address").fill(DEMO_EMAILS["clinician"])
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/training/$"))


def test_warning_before_the_longest_sign_in_ends(
    page: Page, short_limit_server: LiveServer, shared_clock: SharedClock, axe_violations: Callable[[Page], str]
) -> None:
    """The 12-hour limit cannot be extended: the warning says so, can be closed once, and then the time runs out."""
    server = short_limit_server
    shared_clock.install(page.context)
    sign_in(page, server, DEMO_EMAILS["privacy"])
    page.goto(server.at("/readiness/"))
    heading = page.get_by_role("heading", level=1)
    heading_text = heading.inner_text()
    dialog = page.get_by_role("alertdialog", name=WARNING)
    shared_clock.jump(SHORT_LIMIT - SHORT_WARNING)
    expect(dialog).to_be_visible(timeout=5000)
    expect(dialog).to_contain_text(f"You have been signed in for almost {SHORT_LIMIT} seconds")
    expect(dialog.get_by_role("button", name="Stay signed in")).to_have_count(0)
    close = dialog.get_by_role("button", name="Close this message")
    expect(close).to_be_focused()
    report = axe_violations(page)
    assert not report, report

    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    page.wait_for_timeout(1500)
    expect(dialog).to_be_hidden()
    expect(heading).to_have_text(heading_text)

    shared_clock.jump(SHORT_WARNING + 2)
    expect(page).to_have_url(re.compile(r"/login\?next="), timeout=8000)
    expect(page.get_by_role("status")).to_contain_text("a sign-in lasts at most 12 hours")
