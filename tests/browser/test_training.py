"""Training in a real browser: a peer specialist logs a course with its certificate and sees it waiting; their
supervisor approves it and the peer's progress moves; HR finds the certifications expiring soon and downloads a
cycle's audit pack (its first page saved as a PNG beside the screenshots). Every page checked with axe."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import DEMO_EMAILS, LiveServer, sign_in
from training.demo import certificate_pdf

pytestmark = pytest.mark.browser

PA = "Certified Peer Specialist (Pennsylvania)"


def switch_to(page: Page, server: LiveServer, role: str) -> None:
    page.context.clear_cookies()
    sign_in(page, server, DEMO_EMAILS[role])


def test_a_course_logged_approved_and_the_audit_pack(
    page: Page,
    live_server: LiveServer,
    axe_violations: Callable[[Page], str],
    screenshot: Callable[..., Path | None],
    artifacts: Path,
) -> None:
    reports = []
    sign_in(page, live_server, DEMO_EMAILS["peer"])
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Training").click()
    expect(page.get_by_role("heading", name="Your certifications")).to_be_visible()
    page.get_by_role("link", name=f"Log continuing education for {PA}").click()

    # A course with a certificate that is not one: the form comes back with everything else kept.
    page.get_by_label("Course title").fill("Peer support and suicide prevention")
    page.get_by_label("Provider", exact=True).fill("Harbor Valley Training Institute")
    page.get_by_label("Date of the course").fill(page.evaluate("new Date(Date.now() - 86400000).toISOString()")[:10])
    page.get_by_label("Hours").fill("2.5")
    page.get_by_label("Category").select_option(label="Mental health and substance use")
    page.get_by_text("In person", exact=True).click()  # the USWDS radio button is drawn by its label
    page.locator("#certificate").set_input_files(  # USWDS names the drop zone, not the field
        {"name": "certificate.pdf", "mimeType": "application/pdf", "buffer": b"MZ not a pdf at all"}
    )
    page.get_by_role("button", name="Log the course").click()
    expect(page.get_by_role("alert").filter(has_text="Please fix")).to_be_visible()
    expect(page.get_by_label("Course title")).to_have_value("Peer support and suicide prevention")
    reports.append(axe_violations(page))
    screenshot(page, "peer-training-log-errors")

    page.locator("#certificate").set_input_files(  # USWDS names the drop zone, not the field
        {"name": "certificate.pdf", "mimeType": "application/pdf", "buffer": certificate_pdf("Suicide prevention")}
    )
    page.get_by_role("button", name="Log the course").click()
    expect(page.get_by_text("Logged. Your supervisor is asked to approve it")).to_be_visible()
    expect(page.get_by_text("Waiting for approval")).to_be_visible()
    reports.append(axe_violations(page))
    page.get_by_role("link", name=f"Back to {PA}").click()
    counted_before = page.get_by_text("counted of 36 hours").first.inner_text()
    reports.append(axe_violations(page))
    screenshot(page, "peer-training-certification")

    # The supervisor approves it from the list of what waits for them.
    switch_to(page, live_server, "supervisor")
    page.goto(live_server.at("/training/review"))
    reports.append(axe_violations(page))
    page.get_by_role("link", name="Peer support and suicide prevention").click()
    reports.append(axe_violations(page))
    screenshot(page, "supervisor-training-entry")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("Approved: it counts toward the cycle now.")).to_be_visible()

    switch_to(page, live_server, "peer")
    page.goto(live_server.at("/training/"))
    page.get_by_role("link", name=PA, exact=True).click()
    counted_after = page.get_by_text("counted of 36 hours").first.inner_text()
    assert counted_before != counted_after, "the approved hours count now"
    page.goto(live_server.at("/training/"))
    page.get_by_role("link", name="Your shadowing log").click()
    reports.append(axe_violations(page))
    page.get_by_role("link", name="Record shadowing").click()
    page.get_by_role("button", name="Record it").click()
    expect(page.get_by_role("alert").filter(has_text="Please fix")).to_be_visible()
    reports.append(axe_violations(page))
    screenshot(page, "peer-training-shadowing-errors")

    # HR: the certifications expiring within 30 days, and a cycle's audit pack.
    switch_to(page, live_server, "hr")
    page.goto(live_server.at("/training/dashboard"))
    page.get_by_role("link", name="Expiring within 30 days").click()
    expect(page.get_by_role("row").filter(has_text="Jordan Blake")).to_be_visible()
    reports.append(axe_violations(page))
    screenshot(page, "hr-training-dashboard")
    page.get_by_label("Name").fill("Pat")
    page.get_by_label("Show").select_option(label="Every certification")
    page.get_by_role("button", name="Show", exact=True).click()
    page.get_by_role("link", name="Pat Delgado").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Audit pack of this cycle (PDF)").click()
    saved = artifacts / "hr-training-audit-pack.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF-")
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "80",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(saved),
            str(artifacts / "hr-training-audit-pack-page-1"),
        ],
        check=True,
        timeout=60,
    )
    assert (artifacts / "hr-training-audit-pack-page-1.png").exists()
    failures = [report for report in reports if report]
    assert not failures, "\n\n".join(failures)
