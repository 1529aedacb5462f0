"""Staff training sessions in a real browser: HR plans one from the readiness action plan (the action then links
to it); a supervisor plans another, is told what to fix, records who attended, and the hours count on the peer
specialist's certification. Every page checked with axe."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import DEMO_EMAILS, LiveServer, sign_in

pytestmark = pytest.mark.browser


def switch_to(page: Page, server: LiveServer, role: str) -> None:
    page.context.clear_cookies()
    sign_in(page, server, DEMO_EMAILS[role])


def test_sessions_planned_from_an_action_and_attendance_counting_as_ce(
    page: Page,
    live_server: LiveServer,
    axe_violations: Callable[[Page], str],
    screenshot: Callable[..., Path | None],
) -> None:
    reports = []
    # HR: from the readiness action plan to a planned training session, and back.
    sign_in(page, live_server, DEMO_EMAILS["hr"])
    page.goto(live_server.at("/readiness/actions"))
    page.get_by_role("link", name=re.compile(r"Baseline: action plan")).first.click()
    page.get_by_role("table", name=re.compile("Actions for this campaign")).get_by_role("link").first.click()
    page.get_by_role("link", name="Plan a training session for this action").click()
    expect(page.get_by_text("the action's training session will link here")).to_be_visible()
    reports.append(axe_violations(page))
    page.get_by_label("Day").fill(page.evaluate("new Date(Date.now() + 20 * 86400000).toISOString()")[:10])
    page.get_by_label("Starts at").fill("10:00")
    page.get_by_label("Hours", exact=True).fill("2")
    page.get_by_label("Facilitator", exact=True).select_option(label="Sam Okafor")
    page.get_by_role("button", name="Plan the session").click()
    expect(page.get_by_text("It is linked to the readiness action.")).to_be_visible()
    expect(page.get_by_text("Planned for")).to_be_visible()
    reports.append(axe_violations(page))
    screenshot(page, "hr-training-session-from-action")
    page.locator("dd").filter(has_text="readiness action plan").get_by_role("link").click()
    expect(page.get_by_text("Planned for this action:")).to_be_visible()
    expect(page.get_by_role("link", name="Plan a training session for this action")).to_have_count(0)
    reports.append(axe_violations(page))

    # A supervisor plans a CE-eligible WRAP session, fixes what the form says, and records who attended.
    switch_to(page, live_server, "supervisor")
    page.goto(live_server.at("/training/sessions"))
    reports.append(axe_violations(page))
    page.get_by_role("link", name="Plan a training session").click()
    page.get_by_label("Title").fill("WRAP refresher for the team")
    page.get_by_label("Curriculum (optional)").select_option(index=0)
    page.get_by_label("Topic (optional)").fill("Wellness planning")
    page.get_by_label("Day").fill(page.evaluate("new Date(Date.now() - 2 * 86400000).toISOString()")[:10])
    page.get_by_label("Starts at").fill("09:30")
    page.get_by_label("Hours", exact=True).fill("3")
    page.get_by_label("Facilitator", exact=True).select_option(label="Sam Okafor")
    page.get_by_label("Continuing-education category").select_option(label="Recovery and wellness practice")
    page.get_by_role("button", name="Plan the session").click()
    expect(page.get_by_role("alert").filter(has_text="Please fix")).to_be_visible()
    expect(page.get_by_label("Title")).to_have_value("WRAP refresher for the team")
    reports.append(axe_violations(page))
    screenshot(page, "supervisor-training-session-errors")
    page.get_by_label("Provider who approved the hours").fill("State peer specialist network")
    page.get_by_label("Provider approval number").fill("PSN-REC-4410")
    page.get_by_role("button", name="Plan the session").click()
    expect(page.get_by_text("The session is planned.")).to_be_visible()
    page.get_by_label("Who attended").select_option(label="Pat Delgado")
    page.get_by_label("Hours attended").fill("3")
    page.get_by_role("button", name="Record attendance").click()
    expect(page.get_by_text("Pat Delgado: 3 hours recorded.")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="Pat Delgado")).to_contain_text("Counts toward their certification")
    reports.append(axe_violations(page))
    screenshot(page, "supervisor-training-session-attendance")

    # The peer specialist finds the hours among their courses.
    switch_to(page, live_server, "peer")
    page.goto(live_server.at("/training/"))
    page.get_by_role("link", name="Certified Peer Specialist (Pennsylvania)", exact=True).click()
    page.get_by_role("link", name="WRAP refresher for the team").click()
    expect(page.get_by_text("a staff training session")).to_be_visible()
    expect(page.get_by_role("link", name="Correct this course")).to_have_count(0)
    reports.append(axe_violations(page))
    failures = [report for report in reports if report]
    assert not failures, "\n\n".join(failures)
