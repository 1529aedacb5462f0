"""Readiness in a real browser (Debian's chromium through Playwright): every readiness page passes axe (WCAG 2.2
AA) for HR and for a peer specialist, and a peer specialist answers the whole survey with the keyboard alone.

The live server, its demo database and the axe helpers are the browser suite's own (tests/browser/conftest.py).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from core.extensions import db
from core.models import Staff
from readiness.models import Campaign, Instrument, Invitation, InvitationStatus, Item
from readiness.services.campaigns import token_hash
from tests.browser import conftest as browser
from tests.browser.conftest import DEMO_EMAILS, LiveServer, sign_in

pytestmark = pytest.mark.browser

AxeCheck = Callable[[Page], str]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not browser.CHROMIUM.exists():
        pytest.skip(f"{browser.CHROMIUM} is missing: install Debian's chromium package (make system-test).")
    return {**browser_type_launch_args, "executable_path": str(browser.CHROMIUM), "args": browser.CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any], live_server: LiveServer) -> dict[str, Any]:
    return {**browser_context_args, "base_url": live_server.url, "viewport": {"width": 1280, "height": 800},
            "locale": "en-US"}


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The demo agency in its own SQLite file (a copy of the one the migrations built), served as people get it
    (CSRF on)."""
    database, instance = browser.demo_database(tmp_path_factory, "readiness-browser")
    yield from browser._serve(browser._make_app(instance, browser._live_config(database)))


@pytest.fixture(scope="session")
def base_url(live_server: LiveServer) -> str:
    """Replaces pytest-playwright's own (as the browser suite does)."""
    return live_server.url


@pytest.fixture
def axe_violations() -> AxeCheck:
    axe = browser.QuickAxe()

    def run(page: Page) -> str:
        return browser.axe_report(axe, page)  # at the page's width and at a phone's

    return run


def _ids(server: LiveServer, email: str) -> dict[str, int]:
    with server.app.app_context():
        person = db.session.scalars(select(Staff).where(Staff.email == email)).one()
        follow_up = db.session.scalars(select(Campaign).order_by(Campaign.opens_on.desc())).first()
        invitation = db.session.scalars(select(Invitation).where(
            Invitation.staff_id == person.id, Invitation.campaign_id == follow_up.id)).one()
        instrument = db.session.scalars(select(Instrument)).first()
        item = db.session.scalars(select(Item).where(Item.instrument_id == instrument.id)).first()
        found = {"campaign": follow_up.id, "invitation": invitation.id, "instrument": instrument.id,
                 "item": item.id, "domain": item.domain_id or 0}
        db.session.remove()
    return found


def _check(page: Page, server: LiveServer, path: str, axe_violations: AxeCheck, status: int = 200) -> str:
    response = page.goto(server.at(path))
    if response is None or response.status != status:
        return f"{path} answered {response.status if response else 'nothing'}\n{server.take_errors()}"
    expect(page.locator("h1")).to_have_count(1)
    return axe_violations(page)


def test_readiness_pages_for_hr_pass_axe(page: Page, live_server: LiveServer, axe_violations: AxeCheck) -> None:
    sign_in(page, live_server, DEMO_EMAILS["hr"])
    ids = _ids(live_server, DEMO_EMAILS["hr"])
    paths = [
        "/readiness/", f"/readiness/campaigns/{ids['campaign']}", "/readiness/campaigns/new",
        f"/readiness/campaigns/{ids['campaign']}/edit", f"/readiness/campaigns/{ids['campaign']}/copy",
        "/readiness/instruments", f"/readiness/instruments/{ids['instrument']}", "/readiness/instruments/new",
        f"/readiness/instruments/{ids['instrument']}/items/new", f"/readiness/items/{ids['item']}/edit",
        f"/readiness/instruments/{ids['instrument']}/domains/new", f"/readiness/domains/{ids['domain']}/edit",
    ]
    problems = [_check(page, live_server, path, axe_violations) for path in paths]

    # A form with errors: the error summary, the messages and the kept input pass too.
    page.goto(live_server.at("/readiness/campaigns/new"))
    page.get_by_label("Name", exact=True).fill("A campaign")
    page.get_by_role("button", name="Save the campaign").click()
    expect(page.locator("#error-summary")).to_be_visible()
    problems.append(axe_violations(page))

    failures = [problem for problem in problems if problem]
    assert not failures, "\n\n".join(failures)


def test_a_peer_specialist_answers_with_the_keyboard_alone(
    page: Page, live_server: LiveServer, axe_violations: AxeCheck
) -> None:
    sign_in(page, live_server, DEMO_EMAILS["peer"])
    ids = _ids(live_server, DEMO_EMAILS["peer"])
    assert not _check(page, live_server, "/readiness/", axe_violations)

    button = page.get_by_role("button", name=re.compile(r"^Answer the survey"))
    button.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(live_server.at("/readiness/survey"))  # one address for everyone: no invitation id
    assert not axe_violations(page)

    # Sending with nothing answered: the error summary takes the focus and links to the first question.
    page.get_by_role("button", name="Send my answers").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#error-summary")).to_be_focused()
    assert not axe_violations(page)

    # Now answer every question: Tab to each group, Space to choose, type into text boxes, Enter to send.
    page.locator("#main-content").focus()
    groups_answered: set[str] = set()
    for _ in range(600):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement; return {tag: e.tagName, type: e.type || '', "
            "name: e.name || '', text: (e.innerText || '').trim()}; }"
        )
        if focused["type"] in ("radio", "checkbox") and focused["name"] not in groups_answered:
            page.keyboard.press("Space")
            groups_answered.add(focused["name"])
        elif focused["tag"] == "TEXTAREA" and focused["name"] not in groups_answered:
            page.keyboard.type("More time to plan together.")
            groups_answered.add(focused["name"])
        elif focused["tag"] == "BUTTON" and focused["text"] == "Send my answers":
            page.keyboard.press("Enter")
            break
    else:
        pytest.fail("never reached the Send button with the Tab key")

    expect(page.get_by_text("Thank you. Your answers were sent, without your name.")).to_be_visible()
    with live_server.app.app_context():
        invitation = db.session.get(Invitation, ids["invitation"])
        assert invitation.status == InvitationStatus.COMPLETED
        db.session.remove()
    assert not axe_violations(page)
    expect(page.get_by_text("Thank you. Your answers were sent without your name.")).to_be_visible()
    # The survey's address no longer shows that survey: it leads back to the Readiness page.
    assert not _check(page, live_server, "/readiness/survey", axe_violations)
    expect(page).to_have_url(live_server.at("/readiness/"))


def _fresh_link(server: LiveServer, email: str) -> tuple[str, int]:
    """A personal link for the person's follow-up invitation, as the email would carry it (the demo keeps only
    the hashes of the links it made, so the test makes one of its own)."""
    token = secrets.token_urlsafe(32)
    with server.app.app_context():
        ids = _ids(server, email)
        invitation = db.session.get(Invitation, ids["invitation"])
        invitation.token_hash = token_hash(token)
        db.session.commit()
        db.session.remove()
    return f"/readiness/survey/{token}", ids["invitation"]


def test_the_emailed_link_and_finishing_later_work_with_the_keyboard_alone(
    page: Page, live_server: LiveServer, axe_violations: AxeCheck
) -> None:
    """The invitation's personal link opens the survey at its one address; "Save and finish later" and "Continue
    the survey" are reached and pressed with the keyboard; every page passes axe."""
    sign_in(page, live_server, DEMO_EMAILS["clinician"])
    link, invitation_id = _fresh_link(live_server, DEMO_EMAILS["clinician"])

    page.goto(live_server.at(link))
    expect(page).to_have_url(live_server.at("/readiness/survey"))
    expect(page.locator("h1")).to_have_count(1)
    assert "invitation" not in page.url
    problems = [axe_violations(page)]

    # Answer the first statement, then Tab on to "Save and finish later" and press Enter.
    page.locator("#main-content").focus()
    chosen = ""
    for _ in range(600):
        page.keyboard.press("Tab")
        focused = page.evaluate("() => ({type: document.activeElement.type || '', "
                                "name: document.activeElement.name || '', "
                                "text: (document.activeElement.innerText || '').trim()})")
        if focused["type"] == "radio" and not chosen:
            page.keyboard.press("Space")
            chosen = focused["name"]
        elif focused["text"] == "Save and finish later":
            page.keyboard.press("Enter")
            break
    else:
        pytest.fail("never reached Save and finish later with the Tab key")
    expect(page).to_have_url(live_server.at("/readiness/"))
    expect(page.get_by_text("Your answers so far are saved.")).to_be_visible()
    problems.append(axe_violations(page))

    button = page.get_by_role("button", name=re.compile(r"^Continue the survey"))
    button.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(live_server.at("/readiness/survey"))
    expect(page.locator(f'input[name="{chosen}"]:checked')).to_have_count(1)  # the saved answer came back
    problems.append(axe_violations(page))

    with live_server.app.app_context():
        invitation = db.session.get(Invitation, invitation_id)
        assert invitation.status == InvitationStatus.STARTED
        db.session.remove()
    failures = [problem for problem in problems if problem]
    assert not failures, "\n\n".join(failures)
