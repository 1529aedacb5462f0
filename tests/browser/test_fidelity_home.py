"""Role fidelity and the home to-do list in a real browser: the demo supervisor's home says a peer specialist is
flagged; the flagged list leads to Morgan Ellis's page, whose chart is read month by month with the Tab key (each
bar says its share in words, and the focus shows); the table downloads as CSV; Morgan sees her own; HR sets the
threshold (a refused value first, the input kept). Every page checked with axe, at a desktop's and a phone's width."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import DEMO_EMAILS, LiveServer, sign_in

pytestmark = pytest.mark.browser

MORGAN = "morgan@example.org"
BAR = re.compile(r"^[A-Z][a-z]+ \d{4}\s+(\d{1,3}% peer work \(\d+ of \d+ minutes\)( ⚑ flagged: under \d+%)?"
                 r"|no time recorded)$")


def switch_to(page: Page, server: LiveServer, email: str) -> None:
    page.context.clear_cookies()
    sign_in(page, server, email)


def focused() -> str:
    return "() => { const e = document.activeElement; return e ? (e.className || '') + '|' + e.innerText : ''; }"


def read_chart_by_keyboard(page: Page) -> list[str]:
    """Tab from the page's heading into the chart, and read each month as the keyboard reaches it."""
    page.get_by_role("heading", level=1).click()  # the reading position; the heading itself takes no focus
    months: list[str] = []
    for _ in range(40):
        page.keyboard.press("Tab")
        classes, text = page.evaluate(focused()).split("|", 1)
        if "pw-fidelity__bar" in classes:
            outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineWidth")
            assert float(outline.removesuffix("px")) >= 2, "the month with the focus shows it"
            months.append(" ".join(text.split()))
        elif months:
            break
    return months


def test_supervisor_finds_the_flagged_peer_and_reads_the_chart_by_keyboard(
    page: Page,
    live_server: LiveServer,
    axe_violations: Callable[[Page], str],
    screenshot: Callable[..., Path | None],
    artifacts: Path,
) -> None:
    reports = []
    sign_in(page, live_server, DEMO_EMAILS["supervisor"])
    expect(page.get_by_role("heading", name="What needs you")).to_be_visible()
    reports.append(axe_violations(page))
    screenshot(page, "supervisor-home-todo")
    page.get_by_role("link", name="1 peer specialist flagged for role fidelity").click()
    expect(page.get_by_role("heading", name="Role fidelity", exact=True)).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="Morgan Ellis")).to_contain_text("Yes: under 60%")
    reports.append(axe_violations(page))
    page.get_by_role("link", name="All your peer specialists", exact=True).click()
    expect(page.get_by_role("row").filter(has_text="Pat Delgado")).to_be_visible()
    reports.append(axe_violations(page))
    screenshot(page, "supervisor-fidelity-list")

    page.get_by_role("link", name="Morgan Ellis").click()
    expect(page.get_by_role("heading", name="Role fidelity: Morgan Ellis")).to_be_visible()
    expect(page.get_by_role("region", name="Flagged for role fidelity")).to_be_visible()
    reports.append(axe_violations(page))
    screenshot(page, "supervisor-fidelity-person")
    months = read_chart_by_keyboard(page)
    assert len(months) == 12, months
    assert all(BAR.match(month) for month in months), months
    assert any("flagged: under 60%" in month for month in months), months
    # The same figures are in the table beside the chart.
    expect(page.get_by_role("table", name="Minutes of peer work and other tasks, by month")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download this table as a spreadsheet (CSV)").click()
    saved = artifacts / "supervisor-fidelity.csv"
    download.value.save_as(saved)
    assert saved.read_text(encoding="utf-8-sig").startswith("Month,Peer work minutes,Other tasks minutes")

    # Morgan sees her own, and the home page tells her.
    switch_to(page, live_server, MORGAN)
    page.get_by_role("link", name=re.compile(r"^Your role fidelity: .* was under 60% peer work$")).click()
    expect(page.get_by_role("heading", name="Role fidelity: your time")).to_be_visible()
    reports.append(axe_violations(page))
    screenshot(page, "peer-fidelity-own")

    # HR keeps the threshold: a refused value first, the input kept.
    switch_to(page, live_server, DEMO_EMAILS["hr"])
    reports.append(axe_violations(page))
    page.get_by_role("link", name="Role fidelity threshold").click()
    field = page.get_by_label("Flag a month when peer work is under this percentage of the time recorded")
    field.fill("150")
    page.get_by_role("button", name="Save the threshold").click()
    expect(page.get_by_role("alert").filter(has_text="Please fix")).to_be_visible()
    expect(field).to_have_value("150")
    reports.append(axe_violations(page))
    screenshot(page, "hr-fidelity-threshold-error")
    field.fill("60")
    page.get_by_role("button", name="Save the threshold").click()
    expect(page.get_by_text("The role fidelity threshold is saved.")).to_be_visible()
    failures = [report for report in reports if report]
    assert not failures, "\n\n".join(failures)
