"""Supervision in a real browser: the supervisor logs a group session with two action items (first refused for a
missing owner, the input kept), writes one attendee's private wellness part, opens the prep sheet and the
compliance view; the peer specialist reads the record, sees their own private part and signs it off; HR narrows
compliance to one supervisor's peer specialists by typing in the search box (keyboard only) and sees a name with no
match said so. Every page checked with axe."""

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


def test_a_group_session_logged_and_signed_off(
    page: Page,
    live_server: LiveServer,
    axe_violations: Callable[[Page], str],
    screenshot: Callable[..., Path | None],
) -> None:
    reports = []
    sign_in(page, live_server, DEMO_EMAILS["supervisor"])
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Supervision").click()
    expect(page.get_by_role("heading", name="The people you supervise")).to_be_visible()
    reports.append(axe_violations(page))
    page.get_by_role("link", name="Log a session", exact=True).click()

    page.get_by_role("group", name="Kind of session").get_by_text("Group", exact=True).click()
    attendees = page.get_by_role("group", name="Who attended")
    attendees.get_by_text("Pat Delgado", exact=True).click()  # the USWDS checkbox is drawn by its label
    attendees.get_by_text("Jordan Blake", exact=True).click()
    page.get_by_label("Co-facilitator (group sessions)").select_option(label="Terry Nguyen")
    page.get_by_label("Day of the session").fill(page.evaluate("new Date(Date.now() - 86400000).toISOString()")[:10])
    page.get_by_label("Time it started").fill("10:30")
    page.get_by_label("Length in minutes").fill("75")
    page.get_by_role("group", name="How you met").get_by_text("Video", exact=True).click()
    topics = page.get_by_role("group", name="Agenda topics")
    topics.get_by_text("Role clarity", exact=True).click()
    topics.get_by_text("Role fidelity", exact=True).click()
    page.get_by_label("Notes").fill("We compared a week of peer work with a week of driving people to appointments.")
    page.get_by_label("Decisions").fill("Each of us keeps a one-week log of time by kind of work.")
    page.locator("#items-0-text").fill("Keep a one-week log of time by kind of work")
    page.locator("#items-1-text").fill("Share the log template with the group")
    page.locator("#items-1-owner").select_option(label="You (the supervisor), for Jordan Blake")
    page.get_by_role("button", name="Log the session").click()
    expect(page.get_by_role("alert").filter(has_text="Please fix")).to_be_visible()
    expect(page.locator("#items-0-text")).to_have_value("Keep a one-week log of time by kind of work")
    reports.append(axe_violations(page))
    screenshot(page, "supervisor-supervision-log-errors")

    page.locator("#items-0-owner").select_option(label="Pat Delgado")
    page.get_by_role("button", name="Log the session").click()
    expect(page.get_by_text("Logged. Each attendee is asked to read it and sign it off.")).to_be_visible()
    expect(page.get_by_text("Keep a one-week log of time by kind of work", exact=True)).to_be_visible()
    reports.append(axe_violations(page))
    screenshot(page, "supervisor-supervision-session")

    page.get_by_role("link", name="Write the private part with Pat Delgado").click()
    page.get_by_label("Private wellness notes").fill("Pat is sleeping better; keep Fridays lighter.")
    reports.append(axe_violations(page))
    page.get_by_role("button", name="Save the private part").click()
    expect(page.get_by_text("Only Pat Delgado and you can read it.")).to_be_visible()

    page.goto(live_server.at("/supervision/"))
    page.get_by_role("link", name="prep sheet for Pat Delgado").click()
    expect(page.get_by_role("heading", name="Open action items")).to_be_visible()
    reports.append(axe_violations(page))
    screenshot(page, "supervisor-supervision-prep")
    page.goto(live_server.at("/supervision/compliance"))
    expect(page.get_by_role("row").filter(has_text="Morgan Ellis")).to_be_visible()
    reports.append(axe_violations(page))
    screenshot(page, "supervisor-supervision-compliance")

    # The peer reads the record, sees their own private part only, and signs it off.
    switch_to(page, live_server, "peer")
    page.goto(live_server.at("/supervision/"))
    reports.append(axe_violations(page))
    page.get_by_role("link", name="Group session with Sam Okafor").first.click()
    expect(page.get_by_text("Pat is sleeping better; keep Fridays lighter.")).to_be_visible()
    reports.append(axe_violations(page))
    page.get_by_role("button", name="I have read it: sign off").click()
    expect(page.get_by_text("Signed off. Thank you.")).to_be_visible()
    expect(page.get_by_text("You signed off version 1")).to_be_visible()
    reports.append(axe_violations(page))
    screenshot(page, "peer-supervision-signed")

    switch_to(page, live_server, "supervisor")
    page.goto(live_server.at("/supervision/sessions"))
    page.get_by_role("row").filter(has_text="Jordan Blake, Pat Delgado").first.get_by_role("link").click()
    expect(page.get_by_text("Pat Delgado: signed off on")).to_be_visible()
    page.get_by_role("link", name="History").click()
    expect(page.get_by_role("heading", name="Version 1 (current)")).to_be_visible()
    reports.append(axe_violations(page))
    page.goto(live_server.at("/supervision/sessions"))
    reports.append(axe_violations(page))
    page.goto(live_server.at("/supervision/"))
    page.get_by_role("link", name="prep sheet for Morgan Ellis").click()
    page.get_by_role("link", name="Two years of Morgan Ellis's hours").click()
    expect(page.get_by_text("2 months overdue in the last two years")).to_be_visible()
    reports.append(axe_violations(page))

    # HR keeps the rules and the agenda topics.
    switch_to(page, live_server, "hr")
    # HR narrows compliance to one supervisor's peer specialists by typing the name, with the keyboard only.
    page.goto(live_server.at("/supervision/compliance"))
    search = page.get_by_role("searchbox", name="Supervisor")
    expect(search).to_have_attribute("aria-describedby", "supervisor-hint")
    search.focus()
    page.keyboard.type("okafor")
    page.keyboard.press("Enter")
    expect(page.get_by_role("row").filter(has_text="Morgan Ellis")).to_be_visible()
    rows = page.locator("tbody tr")
    for index in range(rows.count()):
        expect(rows.nth(index)).to_contain_text("Sam Okafor")
    expect(page.get_by_role("searchbox", name="Supervisor")).to_have_value("okafor")
    expect(page.get_by_role("link", name=re.compile("Download the last 12 months of these"))).to_have_attribute(
        "href", "/supervision/compliance.csv?supervisor=okafor")
    reports.append(axe_violations(page))
    screenshot(page, "hr-supervision-compliance-search")
    page.get_by_role("searchbox", name="Supervisor").fill("Nobody by that name")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name="No supervisor matches")).to_be_visible()
    reports.append(axe_violations(page))
    page.get_by_role("link", name="Show everyone").first.click()
    expect(page.get_by_role("searchbox", name="Supervisor")).to_have_value("")
    page.goto(live_server.at("/supervision/rules"))
    page.get_by_label("Of which one-to-one, at least").fill("9")
    page.get_by_label("Hours of supervision a month").fill("2")
    page.get_by_role("button", name="Save the rule").click()
    expect(page.get_by_role("alert").filter(has_text="Please fix")).to_be_visible()
    reports.append(axe_violations(page))
    page.get_by_label("New topic").fill("Working with families")
    page.get_by_role("button", name="Add the topic").click()
    expect(page.get_by_role("listitem").filter(has_text="Working with families")).to_be_visible()
    reports.append(axe_violations(page))
    screenshot(page, "hr-supervision-rules")
    failures = [report for report in reports if report]
    assert not failures, "\n\n".join(failures)
