"""Wide tables on a phone: a table wider than the screen scrolls inside a region that the keyboard can reach
(axe's scrollable-region-focusable), at a phone's width (390 px) and at a desktop's.

The pages named in issue 8: a campaign, its action plan, the same-day-seen report and the results page with its
"Change since…" table. (Every other page gets the same two-width axe check in the rest of the browser suite.)
"""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from sqlalchemy import select

from caseload.models import Client
from core.extensions import db
from readiness.models import Campaign
from tests.browser.conftest import AXE_OPTIONS, DEMO_EMAILS, PHONE, LiveServer, sign_in

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}
SCROLLS = "el => el.scrollWidth > el.clientWidth"


def campaign_ids(server: LiveServer) -> list[int]:
    with server.app.app_context():
        ids = list(db.session.scalars(select(Campaign.id).order_by(Campaign.opens_on)))
        db.session.remove()
    return ids


def check_at_both_widths(page: Page, axe: Axe) -> list[str]:
    problems = []
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        results = axe.run(page, options=AXE_OPTIONS)
        if results.violations_count:
            problems.append(f"{page.url} at {size['width']} px\n{results.generate_report()}")
    return problems


def test_wide_tables_can_be_scrolled_from_the_keyboard(page: Page, live_server: LiveServer, axe: Axe) -> None:
    sign_in(page, live_server, DEMO_EMAILS["hr"])
    problems: list[str] = []
    changes_shown = 0
    scrolling_regions = 0
    for campaign in campaign_ids(live_server):
        for path in (
            f"/readiness/campaigns/{campaign}",
            f"/readiness/campaigns/{campaign}/actions",
            f"/readiness/campaigns/{campaign}/results",
        ):
            response = page.goto(live_server.at(path))
            assert response is not None
            assert response.status == 200, path
            problems += check_at_both_widths(page, axe)
            if path.endswith("/results") and page.get_by_role("heading", name="Change since").count():
                changes_shown += 1
                region = page.get_by_role("region", name="Change in points since")
                expect(region).to_have_attribute("tabindex", "0")
            page.set_viewport_size(PHONE)
            scrolling_regions += sum(
                1 for region in page.locator(".pw-table-scroll").all() if region.evaluate(SCROLLS)
            )
    assert changes_shown, "no results page showed a “Change since…” table"
    assert scrolling_regions, "at 390 px no table scrolled: the check above proved nothing"

    page.set_viewport_size(DESKTOP)
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, live_server, DEMO_EMAILS["peer"])
    page.goto(live_server.at("/caseload/referrals/report"))
    problems += check_at_both_widths(page, axe)
    page.set_viewport_size(PHONE)
    table = page.locator(".pw-table-scroll").first
    assert table.evaluate(SCROLLS), "the same-day report's table is wider than a phone"
    table.focus()
    expect(table).to_be_focused()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("el => el.scrollLeft > 0", arg=table.element_handle())
    assert not problems, "\n\n".join(problems)


SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
LONG_LINK = "https://housing.example.org/apply/" + "x" * 200


def client_ids(server: LiveServer) -> tuple[int, int]:
    with server.app.app_context():
        marcus = db.session.scalars(select(Client.id).where(Client.name == "Marcus Bell")).one()
        sealed = db.session.scalars(select(Client.id).where(Client.name == "Jordan Blake")).one()
        db.session.remove()
    return marcus, sealed


def test_client_pages_do_not_scroll_sideways_on_a_phone(page: Page, live_server: LiveServer) -> None:
    """The providers tables of a client's record and of its safeguards page were wider than a phone and not in a
    scrolling region, so the whole page scrolled sideways (WCAG 1.4.10); a long link in a plan widened the page even
    on a desktop. The tables scroll in their own region, and a long word breaks."""
    marcus, sealed = client_ids(live_server)
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, DEMO_EMAILS["peer"])
    page.goto(live_server.at(f"/caseload/clients/{marcus}"))
    assert page.evaluate(SIDEWAYS) == 0, "the client's record scrolls sideways"
    expect(page.get_by_role("region", name=re.compile(r"^Working with "))).to_have_attribute("tabindex", "0")
    page.goto(live_server.at(f"/caseload/clients/{marcus}/plan"))
    page.locator("main dd").first.evaluate("(dd, link) => { dd.textContent = link; }", LONG_LINK)
    assert page.evaluate(SIDEWAYS) == 0, "a long link in the plan makes the page scroll sideways"
    page.context.clear_cookies()  # the sign-out button is in the closed menu at this width

    sign_in(page, live_server, DEMO_EMAILS["privacy"])
    page.goto(live_server.at(f"/caseload/safeguards/clients/{sealed}"))
    assert page.evaluate(SIDEWAYS) == 0, "the safeguards page of a client scrolls sideways"
    expect(page.get_by_role("region", name="Providers assigned now")).to_have_attribute("tabindex", "0")
