"""Issue 11: the draft editor's live preview, in a real browser on the demo agency. HR types in the editor and the
preview beside it shows the new words without a save; a screen reader hears "Preview updated"; nothing on the page
moves when it updates; the preview is reached with the keyboard; axe finds nothing, with the preview shown and with a
problem in it. With scripts off the editor is the form alone, and it still saves."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import DEMO_EMAILS, LiveServer, sign_in

pytestmark = pytest.mark.browser

Screenshot = Callable[..., Path | None]
AxeCheck = Callable[[Page], str]


def _new_draft(page: Page, server: LiveServer) -> str:
    """A draft of HR's own from the sample, so no other test's edits meet this one; its edit page's address."""
    page.goto(server.at("/hiring/"))
    page.get_by_label("Start from").select_option(value="sample")
    page.get_by_role("button", name="Start a draft").click()
    expect(page.get_by_text("Your draft is ready")).to_be_visible()
    page.get_by_role("link", name="Edit words and details").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit the words and details")
    return page.url


def _box(page: Page, selector: str) -> dict[str, float]:
    """Where the element is on the page (not in the window, which scrolls as the person types further down)."""
    return page.locator(selector).evaluate(
        """element => {
            const box = element.getBoundingClientRect();
            return {x: box.left + window.scrollX, y: box.top + window.scrollY, width: box.width, height: box.height};
        }"""
    )


def test_the_preview_follows_what_hr_types_and_is_announced_without_moving_the_page(
    page: Page, live_server: LiveServer, axe_violations: AxeCheck, screenshot: Screenshot
) -> None:
    sign_in(page, live_server, DEMO_EMAILS["hr"])
    edit = _new_draft(page, live_server)
    preview = page.get_by_role("region", name="Preview of the posting")
    status = page.locator("[data-preview-status]")
    expect(preview).to_be_visible()
    expect(status).to_have_attribute("aria-live", "polite")
    expect(preview.get_by_role("heading", level=3)).to_have_text("Peer Specialist")
    title_before = _box(page, "#title")
    panel_before = _box(page, "[data-preview-body]")

    page.get_by_label("Job title").fill("Peer Specialist, Evening Recovery Group")
    page.get_by_label("[Program/Team]").press_sequentially("evening group team", delay=20)

    expect(preview.get_by_role("heading", level=3)).to_have_text("Peer Specialist, Evening Recovery Group")
    expect(preview).to_contain_text("evening group team")
    expect(status).to_have_text("Preview updated")
    assert _box(page, "#title") == title_before, "the form does not move when the preview updates"
    panel_after = _box(page, "[data-preview-body]")  # it stays in view as the page scrolls: compare its size
    assert (panel_after["width"], panel_after["height"]) == (panel_before["width"], panel_before["height"])
    screenshot(page, "hr-posting-live-preview")
    screenshot(page, "hr-posting-live-preview-window", full_page=False)
    report = axe_violations(page)
    assert not report, report

    # A problem in the form: the preview says why and keeps the last good text.
    page.get_by_label("Pay from (dollars)").fill("about twenty")
    problem = page.locator("[data-preview-problem-box]")
    expect(problem).to_be_visible()
    expect(problem).to_contain_text("Pay from (dollars): Enter an amount in dollars")
    expect(status).to_contain_text("Preview not updated")
    expect(preview.get_by_role("heading", level=3)).to_have_text("Peer Specialist, Evening Recovery Group")
    screenshot(page, "hr-posting-live-preview-problem", full_page=False)
    report = axe_violations(page)
    assert not report, report
    page.get_by_label("Pay from (dollars)").fill("26.50")
    expect(problem).to_be_hidden()

    # Nothing was saved: the draft is still version 1 until HR presses Save.
    page.goto(edit.rsplit("/edit", 1)[0])
    expect(page.get_by_role("heading", level=1)).to_have_text("Peer Specialist")
    expect(page.get_by_text("Version 1, saved")).to_be_visible()


def test_the_preview_is_reached_with_the_keyboard(page: Page, live_server: LiveServer) -> None:
    sign_in(page, live_server, DEMO_EMAILS["hr"])
    _new_draft(page, live_server)
    skip = page.get_by_role("link", name="Go to the live preview")
    skip.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#preview-heading")).to_be_focused()
    page.keyboard.press("Tab")
    body = page.locator("[data-preview-body]")
    expect(body).to_be_focused()  # it scrolls with the arrow keys
    top = body.evaluate("element => element.scrollTop")
    page.keyboard.press("PageDown")
    page.wait_for_function("() => document.querySelector('[data-preview-body]').scrollTop > 0")
    assert body.evaluate("element => element.scrollTop") > top


def test_without_javascript_there_is_no_preview_and_the_editor_still_saves(
    browser: Browser, live_server: LiveServer
) -> None:
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, live_server, DEMO_EMAILS["hr"])
        _new_draft(page, live_server)
        expect(page.locator("[data-preview-panel]")).to_be_hidden()
        expect(page.get_by_role("link", name="Go to the live preview")).to_be_hidden()
        page.get_by_label("Job title").fill("Peer Specialist, Saved Without Scripts")
        page.get_by_role("button", name="Save as a new version").click()
        expect(page.get_by_text("Saved as version 2.")).to_be_visible()
        expect(page.get_by_role("heading", level=1)).to_have_text("Peer Specialist, Saved Without Scripts")
    finally:
        context.close()
