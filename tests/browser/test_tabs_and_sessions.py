"""Tabs and sessions as people really work: several tabs, one sign-in.

* Two tabs share one clock: working in tab B keeps tab A from warning or leaving, whether B tells A (same browser)
  or A has to ask the server (activity from another window the tab cannot hear).
* When the sign-in really ends, what was typed is kept in this tab's sessionStorage (never a password or the CSRF
  token) and offered back after signing in again; signing out clears it, in every tab.
* A recovery plan sent after signing out and in again elsewhere is refused (CSRF), and the text comes back.

These run against the short-session server (a 10-second idle time-out), where the server keeps the last activity to
the second instead of the minute (SESSION_SEEN_STEP), so that tab B's pages really keep the sign-in going. The
browser and the server share one clock (``shared_clock``) that jumps over the seconds nobody acts.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect
from sqlalchemy import select

from caseload.models import Client
from core.extensions import db
from tests.browser.conftest import (
    DEMO_EMAILS,
    DEMO_PASSWORD,
    SHORT_IDLE,
    SHORT_WARNING,
    LiveServer,
    SharedClock,
    sign_in,
)

pytestmark = pytest.mark.browser

WARNING = "You will be signed out soon"
OFFER = "What you typed on this page was not sent"
TYPED = "Wants to try the Thursday WRAP group again; we talked about bus fare."
REASON = "Client is in crisis at the front desk and I need the safety plan now."
SECRET = "typed-password-never-kept"
KEPT = """() => Object.keys(sessionStorage).filter(k => k.startsWith("peerworks."))
    .map(k => k + "=" + sessionStorage.getItem(k)).join("\\n")"""


@pytest.fixture
def context(
    browser: Browser, short_session_server: LiveServer, shared_clock: SharedClock
) -> Iterator[BrowserContext]:
    made = shared_clock.install(
        browser.new_context(base_url=short_session_server.url, viewport={"width": 1280, "height": 800})
    )
    yield made
    made.close()


def plan_edit_path(server: LiveServer) -> str:
    """Marcus Bell's recovery plan (a client of Pat Delgado, peer@); nothing here saves it."""
    with server.app.app_context():
        client_id = db.session.scalars(select(Client.id).where(Client.name == "Marcus Bell")).one()
        db.session.remove()
    return f"/caseload/clients/{client_id}/plan/edit"


def stay_busy(other: Page, server: LiveServer, watched: Page, seconds: float, clock: SharedClock) -> None:
    """Open a page in ``other`` every second; the watched tab must neither warn nor leave meanwhile. The second
    between pages is jumped, then a quarter of a real one lets the watched tab's timer and its question to the
    server run their course."""
    url = watched.url
    until = clock.monotonic() + seconds
    while clock.monotonic() < until:
        other.goto(server.at("/training/"))
        assert not watched.get_by_role("alertdialog", name=WARNING).is_visible(), "tab A warned while B worked"
        assert watched.url == url, "tab A left the page while the sign-in was valid"
        clock.jump(1)
        other.wait_for_timeout(250)


def test_two_tabs_share_one_clock(
    context: BrowserContext, short_session_server: LiveServer, shared_clock: SharedClock
) -> None:
    server = short_session_server
    tab_a = context.new_page()
    sign_in(tab_a, server, DEMO_EMAILS["peer"])
    tab_a.goto(server.at(plan_edit_path(server)))
    box = tab_a.locator("main textarea").first
    box.fill(TYPED)
    tab_b = context.new_page()

    stay_busy(tab_b, server, tab_a, SHORT_IDLE + 6, shared_clock)  # past the end tab A's own clock would have set

    expect(box).to_have_value(TYPED)
    # Both tabs stop: the shared clock runs out, both warn; "Stay signed in" in one closes the warning in both.
    warning_a = tab_a.get_by_role("alertdialog", name=WARNING)
    warning_b = tab_b.get_by_role("alertdialog", name=WARNING)
    shared_clock.jump(SHORT_IDLE - SHORT_WARNING)
    expect(warning_a).to_be_visible(timeout=5000)
    expect(warning_b).to_be_visible(timeout=5000)
    warning_b.get_by_role("button", name="Stay signed in").click()
    expect(warning_b).to_be_hidden()
    expect(warning_a).to_be_hidden(timeout=3000)
    expect(box).to_have_value(TYPED)
    assert tab_a.url.endswith(plan_edit_path(server))


def test_a_tab_asks_the_server_before_it_warns(
    browser: Browser, context: BrowserContext, short_session_server: LiveServer, shared_clock: SharedClock
) -> None:
    """Activity the tab cannot hear (another window with the same sign-in): it asks the server, and stays."""
    server = short_session_server
    tab_a = context.new_page()
    sign_in(tab_a, server, DEMO_EMAILS["clinician"])
    tab_a.goto(server.at("/caseload/referrals/new"))
    box = tab_a.get_by_label("Reason for referral")
    box.fill(TYPED)
    elsewhere = shared_clock.install(browser.new_context(base_url=server.url))
    try:
        elsewhere.add_cookies(context.cookies())
        window = elsewhere.new_page()
        stay_busy(window, server, tab_a, SHORT_IDLE + 6, shared_clock)
    finally:
        elsewhere.close()
    expect(box).to_have_value(TYPED)
    assert tab_a.url.endswith("/caseload/referrals/new")


def test_typed_text_is_offered_back_after_the_sign_in_really_ends(
    context: BrowserContext, short_session_server: LiveServer, shared_clock: SharedClock
) -> None:
    server = short_session_server
    page = context.new_page()
    sign_in(page, server, DEMO_EMAILS["supervisor"])
    page.goto(server.at("/caseload/emergency"))
    page.get_by_label("Reason", exact=True).fill(REASON)
    page.get_by_label("Your password").fill(SECRET)
    token = page.locator("#sign-out-form input[name=csrf_token]").input_value()

    # Nobody answers the warning: the sign-in ends and the page goes to sign in.
    shared_clock.jump(SHORT_IDLE - SHORT_WARNING)
    expect(page.get_by_role("alertdialog", name=WARNING)).to_be_visible(timeout=5000)
    shared_clock.jump(SHORT_WARNING + 2)
    expect(page).to_have_url(re.compile(r"/login\?next="), timeout=8000)
    kept = page.evaluate(KEPT)
    assert REASON in kept
    assert SECRET not in kept, "a password was kept"
    assert token not in kept, "the CSRF token was kept"

    page.get_by_label("Email address").fill(DEMO_EMAILS["supervisor"])
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(server.at("/caseload/emergency"))
    offer = page.get_by_role("region", name=OFFER)
    expect(offer).to_be_visible()
    expect(offer).to_be_focused()
    reason = page.get_by_label("Reason", exact=True)
    expect(reason).to_have_value("")
    offer.get_by_role("button", name="Put back what I typed").click()
    expect(reason).to_have_value(REASON)
    expect(page.get_by_label("Your password")).to_have_value("")
    expect(page.get_by_role("status").filter(has_text="What you typed is back in the form")).to_be_visible()
    assert page.evaluate(KEPT) == "", "offered once: the kept copy is gone"


def test_signing_out_clears_kept_text_in_every_tab(
    context: BrowserContext, short_session_server: LiveServer, shared_clock: SharedClock
) -> None:
    server = short_session_server
    page = context.new_page()
    sign_in(page, server, DEMO_EMAILS["peer"])
    page.goto(server.at("/caseload/referrals/new"))
    page.get_by_label("Reason for referral").fill(TYPED)
    shared_clock.jump(SHORT_IDLE - SHORT_WARNING)
    expect(page.get_by_role("alertdialog", name=WARNING)).to_be_visible(timeout=5000)
    shared_clock.jump(SHORT_WARNING + 2)
    expect(page).to_have_url(re.compile(r"/login\?next="), timeout=8000)
    assert TYPED in page.evaluate(KEPT)

    page.get_by_label("Email address").fill(DEMO_EMAILS["peer"])
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("region", name=OFFER)).to_be_visible()
    other = context.new_page()
    other.goto(server.at("/training/"))

    page.get_by_role("button", name="Sign out").click()

    expect(page.get_by_role("status")).to_contain_text("You are signed out.")
    assert page.evaluate(KEPT) == ""
    expect(other).to_have_url(re.compile(r"/login"), timeout=5000)  # the other tab follows
    sign_in(page, server, DEMO_EMAILS["peer"])
    page.goto(server.at("/caseload/referrals/new"))
    expect(page.get_by_label("Reason for referral")).to_have_value("")
    page.wait_for_timeout(500)
    expect(page.get_by_role("region", name=OFFER)).to_have_count(0)


def test_a_tab_follows_a_sign_out_that_reaches_the_server_late(browser: Browser, live_server: LiveServer) -> None:
    """The storage event reaches the other tabs before the sign-out request reaches the server. A tab that reloaded
    at once was answered while the sign-in still stood, and stayed on a signed-in page after the person had signed
    out (on a shared computer, the next person saw it). It waits for the server to agree first."""
    server = live_server  # a 15-minute sign-in: nothing else makes the watched tab ask the server soon
    context = browser.new_context(base_url=server.url)
    watched = context.new_page()
    sign_in(watched, server, DEMO_EMAILS["peer"])
    watched.goto(server.at("/caseload/clients"))
    leaving = context.new_page()
    leaving.goto(server.at("/training/"))

    def slow_sign_out(route: Route) -> None:
        time.sleep(1)  # the sign-out request is slow to arrive; the other tab has already heard of it
        route.continue_()

    leaving.route("**/logout", slow_sign_out)
    leaving.get_by_role("button", name="Sign out").click()

    expect(leaving).to_have_url(re.compile(r"/login"))
    expect(watched).to_have_url(re.compile(r"/login\?next="), timeout=5000)
    context.close()


def test_a_plan_sent_after_signing_in_again_elsewhere_comes_back(page: Page, live_server: LiveServer) -> None:
    """Tab A holds a recovery plan; the person signs out and in again where tab A cannot hear it. Sending it is
    refused (its CSRF token is from the old sign-in), nothing is saved, and the text is offered back."""
    server = live_server
    path = plan_edit_path(server)
    sign_in(page, server, DEMO_EMAILS["peer"])
    page.goto(server.at(path))
    box = page.locator("main textarea").first
    before = box.input_value()
    box.fill(TYPED)

    other = page.context.request  # the same browser's cookies, but no tab to tell
    token = re.search(r'name="csrf_token" value="([^"]+)"', other.get(server.at("/")).text())
    assert token is not None
    other.post(server.at("/logout"), form={"csrf_token": token.group(1)})
    login = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', other.get(server.at("/login")).text())
    assert login is not None
    other.post(
        server.at("/login"),
        form={"csrf_token": login.group(1), "email": DEMO_EMAILS["peer"], "password": DEMO_PASSWORD},
    )

    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name=re.compile("^Save as version")).click()
    assert answer.value.status == 400
    expect(page.get_by_role("heading", level=1)).to_have_text("This form was not sent")
    page.get_by_role("link", name="Go back to the page").click()
    expect(page).to_have_url(server.at(path))
    box = page.locator("main textarea").first
    expect(box).to_have_value(before)
    page.get_by_role("region", name=OFFER).get_by_role("button", name="Put back what I typed").click()
    expect(box).to_have_value(TYPED)


def test_a_form_sent_after_the_sign_in_ended_is_offered_back(page: Page, live_server: LiveServer) -> None:
    """Signed out where this tab cannot hear it, the person sends the form: the sign-in page answers, and after
    signing in they are back on the form with the text offered."""
    server = live_server
    sign_in(page, server, DEMO_EMAILS["clinician"])
    page.goto(server.at("/caseload/referrals/new"))
    page.get_by_label("Reason for referral").fill(TYPED)
    other = page.context.request
    token = re.search(r'name="csrf_token" value="([^"]+)"', other.get(server.at("/")).text())
    assert token is not None
    other.post(server.at("/logout"), form={"csrf_token": token.group(1)})

    page.get_by_role("button", name="Save the referral").click()

    expect(page).to_have_url(re.compile(r"/login\?next=(/|%2F)caseload(/|%2F)referrals(/|%2F)new"))
    assert TYPED in page.evaluate(KEPT)
    page.get_by_label("Email address").fill(DEMO_EMAILS["clinician"])
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(server.at("/caseload/referrals/new"))
    page.get_by_role("region", name=OFFER).get_by_role("button", name="Put back what I typed").click()
    expect(page.get_by_label("Reason for referral")).to_have_value(TYPED)
