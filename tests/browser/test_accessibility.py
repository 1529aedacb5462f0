"""Every page each demo role can reach, checked with axe against WCAG 2.2 AA, with a screenshot of each."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import url_for
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from core import policy
from core.extensions import db
from core.models import Staff
from core.navigation import ITEMS
from tests.browser.conftest import DEMO_EMAILS, LiveServer, sign_in

pytestmark = pytest.mark.browser

Screenshot = Callable[..., Path | None]
AxeCheck = Callable[[Page], str]


def expected_navigation(server: LiveServer, email: str) -> list[tuple[str, str]]:
    """(label, path) of each navigation item the person's roles may open, in menu order."""
    with server.app.test_request_context():
        staff = db.session.scalar(select(Staff).where(Staff.email == email))
        assert staff is not None, f"the demo agency has no {email}"
        items = [(item.label, url_for(item.endpoint)) for item in ITEMS if policy.can(staff, item.permission)]
        db.session.remove()
    return items


def shown_navigation(page: Page) -> list[tuple[str, str]]:
    links = page.get_by_role("navigation", name="Main menu").locator(".usa-nav__primary a")
    return [(link.inner_text().strip(), link.get_attribute("href") or "") for link in links.all()]


def check_page(page: Page, name: str, axe_violations: AxeCheck, screenshot: Screenshot) -> str:
    """axe for the page as it is, and a screenshot (always when axe finds something); returns the violations report
    ('' when clean)."""
    expect(page.locator("h1")).to_have_count(1)
    expect(page.get_by_role("main")).to_have_count(1)
    report = axe_violations(page)
    screenshot(page, name, always=bool(report))
    return report


@pytest.mark.parametrize("role", list(DEMO_EMAILS))
def test_every_page_a_role_can_reach(
    role: str, page: Page, live_server: LiveServer, axe_violations: AxeCheck, screenshot: Screenshot
) -> None:
    email = DEMO_EMAILS[role]
    sign_in(page, live_server, email)

    expected = expected_navigation(live_server, email)
    assert expected, f"{role} should see at least the home page"
    assert shown_navigation(page) == expected

    problems = []  # every page is visited, so one broken page does not hide the others
    for label, path in [*expected, ("Your account", "/account/password")]:
        response = page.goto(live_server.at(path))
        if response is None or response.status != 200:
            status = response.status if response else "nothing"
            problems.append(f"{role}: {label} ({path}) answered {status}\n{live_server.take_errors()}".strip())
        elif page.url != live_server.at(path):
            problems.append(f"{role}: {label} ({path}) went to {page.url}")
        else:
            problems.append(check_page(page, f"{role}-{label}", axe_violations, screenshot))
    failures = [problem for problem in problems if problem]
    assert not failures, "\n\n".join(failures)


def test_sign_in_page(page: Page, live_server: LiveServer, axe_violations: AxeCheck, screenshot: Screenshot) -> None:
    page.goto(live_server.at("/login"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to PeerWorks")
    expect(page.get_by_role("navigation", name="Main menu")).to_have_count(0)
    report = check_page(page, "anonymous-sign-in", axe_violations, screenshot)
    assert not report, report


def test_sign_in_page_with_errors(
    page: Page, live_server: LiveServer, axe_violations: AxeCheck, screenshot: Screenshot
) -> None:
    page.goto(live_server.at("/login"))
    page.get_by_role("button", name="Sign in").click()
    summary = page.get_by_role("alert").filter(has_text="Please fix these 2 things")
    expect(summary).to_be_visible()
    expect(page.get_by_label("Email address")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page).to_have_title("Error: Sign in | PeerWorks")
    report = check_page(page, "anonymous-sign-in-errors", axe_violations, screenshot)
    assert not report, report


def test_page_not_found(page: Page, live_server: LiveServer, axe_violations: AxeCheck, screenshot: Screenshot) -> None:
    response = page.goto(live_server.at("/no-such-page"))
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    report = check_page(page, "anonymous-404", axe_violations, screenshot)
    assert not report, report


def test_invitation_problem(
    page: Page, live_server: LiveServer, axe_violations: AxeCheck, screenshot: Screenshot
) -> None:
    response = page.goto(live_server.at("/invite/not-a-real-invitation"))
    assert response is not None
    assert response.status == 400
    expect(page.get_by_role("heading", level=1)).to_have_text("This invitation cannot be used")
    report = check_page(page, "anonymous-invitation-problem", axe_violations, screenshot)
    assert not report, report


def test_signed_in_error_pages_and_form_errors(
    page: Page, live_server: LiveServer, axe_violations: AxeCheck, screenshot: Screenshot
) -> None:
    sign_in(page, live_server, DEMO_EMAILS["peer"])
    reports = []

    response = page.goto(live_server.at("/hiring/"))
    assert response is not None
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You do not have access to this page")
    reports.append(check_page(page, "peer-403", axe_violations, screenshot))

    response = page.goto(live_server.at("/no-such-page"))
    assert response is not None
    assert response.status == 404
    reports.append(check_page(page, "peer-404", axe_violations, screenshot))

    page.goto(live_server.at("/account/password"))
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("alert").filter(has_text="Please fix these 3 things")).to_be_visible()
    reports.append(check_page(page, "peer-account-errors", axe_violations, screenshot))

    failures = [report for report in reports if report]
    assert not failures, "\n\n".join(failures)


def test_small_screen_menu(
    page: Page, live_server: LiveServer, axe_violations: AxeCheck, screenshot: Screenshot
) -> None:
    """On a phone the menu folds behind a button that opens and closes it from the keyboard."""
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server, DEMO_EMAILS["supervisor"])
    menu = page.get_by_role("navigation", name="Main menu")
    expect(menu).to_be_hidden()
    reports = [check_page(page, "supervisor-phone-home", axe_violations, screenshot)]

    page.get_by_role("button", name="Menu").focus()
    page.keyboard.press("Enter")
    expect(menu).to_be_visible()
    expect(menu.get_by_role("link", name="Supervision")).to_be_visible()
    screenshot(page, "supervisor-phone-menu-open", full_page=False)
    reports.append(axe_violations(page))

    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    failures = [report for report in reports if report]
    assert not failures, "\n\n".join(failures)


def test_pages_reflow_at_320_pixels(page: Page, live_server: LiveServer) -> None:
    """WCAG 1.4.10: at 320 CSS pixels wide (400% zoom) nothing needs scrolling sideways but wide tables."""
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto("/login")
    overflowing = [] if fits_the_width(page) else ["/login"]
    sign_in(page, live_server, DEMO_EMAILS["admin"])
    for _label, path in [*expected_navigation(live_server, DEMO_EMAILS["admin"]), ("", "/account/password")]:
        page.goto(path)
        if not fits_the_width(page):
            overflowing.append(path)
    assert not overflowing, f"these pages scroll sideways at 320px: {overflowing}"


def fits_the_width(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_hiring_pages(page: Page, live_server: LiveServer, axe_violations: AxeCheck, screenshot: Screenshot) -> None:
    """HR's hiring pages on the demo agency: the list, a draft with its checks, its edit form (and its error state),
    its duties, versions and a comparison, the templates and the lists HR keeps."""
    sign_in(page, live_server, DEMO_EMAILS["hr"])
    page.goto(live_server.at("/hiring/"))
    rough = page.get_by_role("link", name="Peer Specialist", exact=True)
    expect(rough).to_have_count(1)
    draft = rough.get_attribute("href") or ""
    reports = []
    for name, path in [
        ("hiring", "/hiring/"), ("draft", draft), ("edit", f"{draft}/edit"), ("duties", f"{draft}/duties"),
        ("versions", f"{draft}/versions"), ("compare", f"{draft}/compare?old=1&new=2"),
        ("templates", "/hiring/templates"), ("sample", "/hiring/templates/sample"),
        ("phrases", "/hiring/phrases"), ("credentials", "/hiring/credentials"),
    ]:
        response = page.goto(live_server.at(path))
        assert response is not None
        assert response.status == 200, f"{path} answered {response.status}\n{live_server.take_errors()}"
        reports.append(check_page(page, f"hr-hiring-{name}", axe_violations, screenshot))

    page.goto(live_server.at(f"{draft}/edit"))
    page.get_by_label("Job title").fill("")
    page.get_by_label("Pay from (dollars)").fill("about twenty")
    page.get_by_role("button", name="Save as a new version").click()
    expect(page.get_by_role("alert").filter(has_text="Please fix these 2 things")).to_be_visible()
    expect(page.get_by_label("Pay from (dollars)")).to_have_attribute("aria-invalid", "true")
    reports.append(check_page(page, "hr-hiring-edit-errors", axe_violations, screenshot))
    failures = [report for report in reports if report]
    assert not failures, "\n\n".join(failures)


def test_careers_pages(page: Page, live_server: LiveServer, axe_violations: AxeCheck, screenshot: Screenshot) -> None:
    """The public careers page, a posting's page and its application form (and its error state), without signing
    in."""
    page.goto(live_server.at("/careers/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Jobs at Harbor Valley Behavioral Health")
    reports = [check_page(page, "anonymous-careers", axe_violations, screenshot)]
    page.get_by_role("link", name="Peer Specialist, Supported Employment").click()
    expect(page.get_by_role("link", name="Download this job description (PDF)")).to_be_visible()
    reports.append(check_page(page, "anonymous-careers-posting", axe_violations, screenshot))
    page.get_by_role("link", name="Apply for this job").click()
    reports.append(check_page(page, "anonymous-careers-apply", axe_violations, screenshot))
    page.get_by_label("Your name").fill("Robin Vega")
    page.get_by_role("button", name="Send my application").click()
    expect(page.get_by_role("alert").filter(has_text="Please fix")).to_be_visible()
    expect(page.get_by_label("Your name")).to_have_value("Robin Vega")
    reports.append(check_page(page, "anonymous-careers-apply-errors", axe_violations, screenshot))
    failures = [report for report in reports if report]
    assert not failures, "\n\n".join(failures)


def test_candidate_pages(
    browser: Browser, live_server: LiveServer, axe_violations: AxeCheck, screenshot: Screenshot
) -> None:
    """The candidates' board, list and page, the interview panel, the hire form, an interviewer's list and
    scorecard, and each of their forms' error states, on the demo agency. The board is used as people use it: a card
    moved with its list and button."""
    reports = []
    hr = browser.new_page()
    sign_in(hr, live_server, DEMO_EMAILS["hr"])
    hr.goto(live_server.at("/hiring/"))
    hr.get_by_role("link", name="Peer Specialist, Supported Employment", exact=True).first.click()
    hr.get_by_role("link", name="Candidates", exact=True).click()
    expect(hr.get_by_role("heading", level=1)).to_have_text(re.compile("^Candidates board"))
    reports.append(check_page(hr, "hr-candidates-board", axe_violations, screenshot))
    hr.set_viewport_size({"width": 320, "height": 640})
    assert fits_the_width(hr), "the board scrolls sideways at 320px"
    hr.set_viewport_size({"width": 1280, "height": 800})

    hr.get_by_label("Move Alexis Moreno to").select_option(label="Not selected")
    hr.get_by_role("button", name="Move Alexis Moreno").click()
    expect(hr.get_by_role("alert").filter(has_text="Please fix this")).to_be_visible()
    expect(hr.get_by_label("Move to", exact=True)).to_have_value("not_selected")
    reports.append(check_page(hr, "hr-candidate-move-errors", axe_violations, screenshot))
    hr.get_by_label("Move to", exact=True).select_option(label="Interview")
    hr.get_by_role("button", name="Move", exact=True).click()
    expect(hr.get_by_text("Moved to “Interview”.")).to_be_visible()  # back on the board, where the move began
    hr.get_by_role("link", name="Alexis Moreno").click()
    reports.append(check_page(hr, "hr-candidate", axe_violations, screenshot))

    hr.get_by_role("link", name=re.compile("^Back to the board")).click()
    hr.get_by_role("link", name="List and search").click()
    reports.append(check_page(hr, "hr-candidates-list", axe_violations, screenshot))
    hr.get_by_role("link", name="Morgan Avery").click()
    hr.get_by_label("Email address for their account").fill("")
    hr.get_by_role("button", name="Hire and send the invitation").click()
    expect(hr.get_by_role("alert").filter(has_text="Please fix this")).to_be_visible()
    reports.append(check_page(hr, "hr-candidate-hire-errors", axe_violations, screenshot))

    hr.get_by_role("link", name=re.compile("^Back to the board")).click()
    hr.get_by_role("link", name="Interview panel").click()
    reports.append(check_page(hr, "hr-panel", axe_violations, screenshot))
    hr.get_by_role("button", name="Add to the panel").click()
    expect(hr.get_by_role("alert").filter(has_text="Please fix this")).to_be_visible()
    reports.append(check_page(hr, "hr-panel-errors", axe_violations, screenshot))
    hr.close()

    peer = browser.new_page()
    sign_in(peer, live_server, DEMO_EMAILS["peer"])
    peer.get_by_role("navigation", name="Main menu").get_by_role("link", name="Interviews").click()
    reports.append(check_page(peer, "peer-interviews", axe_violations, screenshot))
    peer.get_by_role("link", name="Alexis Moreno").click()
    reports.append(check_page(peer, "peer-score", axe_violations, screenshot))
    peer.get_by_role("button", name="Submit my scores").click()
    expect(peer.get_by_role("alert").filter(has_text="Please fix these")).to_be_visible()
    reports.append(check_page(peer, "peer-score-errors", axe_violations, screenshot))
    peer.get_by_role("link", name="Read the application").click()
    expect(peer.get_by_text("once you submit your own")).to_be_visible()
    reports.append(check_page(peer, "peer-candidate-blind", axe_violations, screenshot))
    peer.close()

    admin = browser.new_page()
    sign_in(admin, live_server, DEMO_EMAILS["admin"])
    admin.goto(live_server.at("/admin/settings"))
    admin.get_by_label("Months to keep a closed posting's candidates").fill("0")
    admin.get_by_role("button", name="Save settings").click()
    expect(admin.get_by_role("alert").filter(has_text="Please fix this")).to_be_visible()
    reports.append(check_page(admin, "admin-settings-hiring-errors", axe_violations, screenshot))
    admin.close()
def test_training_pages(page: Page, live_server: LiveServer, axe_violations: AxeCheck, screenshot: Screenshot) -> None:
    """HR's training pages on the demo agency (people, a person, a certification, its change and renewal forms, the
    credentials and a credential's rules with its error state, orientation, its template, a new staff member's
    checklist, curricula, the behind-schedule list, the staff training sessions, one session and its form)."""
    sign_in(page, live_server, DEMO_EMAILS["hr"])
    page.goto(live_server.at("/training/people?q=Morgan"))
    page.get_by_role("link", name="Morgan Ellis").click()
    person = page.url
    page.get_by_role("link", name="Certified Peer Specialist (Pennsylvania)").click()
    certification = page.url
    reports = [check_page(page, "hr-training-certification", axe_violations, screenshot)]
    for name, path in [
        ("people", "/training/people"),
        ("person", person),
        ("edit", f"{certification}/edit"),
        ("renew", f"{certification}/renew"),
        ("credentials", "/training/credentials"),
        ("orientation", "/training/orientation"),
        ("orientation-template", "/training/orientation/template"),
        ("curricula", "/training/curricula"),
        ("dashboard", "/training/dashboard?show=behind"),
        ("sessions", "/training/sessions"),
        ("session-new", "/training/sessions/new"),
    ]:
        response = page.goto(live_server.at(path) if path.startswith("/") else path)
        assert response is not None
        assert response.status == 200, f"{path} answered {response.status}\n{live_server.take_errors()}"
        reports.append(check_page(page, f"hr-training-{name}", axe_violations, screenshot))
    page.goto(live_server.at("/training/sessions"))
    page.get_by_role("link", name="Boundaries and dual relationships").click()
    reports.append(check_page(page, "hr-training-session", axe_violations, screenshot))
    page.get_by_role("link", name="Change the session").click()
    reports.append(check_page(page, "hr-training-session-edit", axe_violations, screenshot))
    page.goto(live_server.at("/training/orientation"))
    page.get_by_role("link", name="Riley Hart").first.click()
    reports.append(check_page(page, "hr-training-riley-orientation", axe_violations, screenshot))
    page.goto(live_server.at("/training/credentials"))
    page.get_by_role("link", name="Certified Recovery Support Specialist (Illinois)").click()
    page.get_by_label("Continuing-education hours a cycle asks for").fill("1.3")
    page.get_by_role("button", name="Save the rules").click()
    expect(page.get_by_role("alert").filter(has_text="Please fix")).to_be_visible()
    reports.append(check_page(page, "hr-training-rules-errors", axe_violations, screenshot))
    failures = [report for report in reports if report]
    assert not failures, "\n\n".join(failures)
