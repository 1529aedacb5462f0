"""Hiring, end to end in a real browser, on the demo agency: HR builds a posting from the sample template, fixes the
checks it flags, takes it through approval, publishes it and downloads its PDF (the first page kept as a PNG beside
the screenshots); a person applies on the public careers page with a résumé; HR moves them to interview on the
board; and the two interviewers score them blind."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from core import timeutil
from hiring.demo import resume_pdf
from tests.browser.conftest import DEMO_EMAILS, LiveServer, sign_in

pytestmark = pytest.mark.browser

Screenshot = Callable[..., Path | None]


def choose(scope: Page | Locator, words: str) -> None:
    """Tick a radio button as a person does, by its label (USWDS draws its own button over the hidden input)."""
    scope.locator("label.usa-radio__label").filter(has_text=re.compile(f"^{re.escape(words)}$")).click()


def checks_shown(page: Page) -> list[str]:
    return [text.strip() for text in page.locator(".pw-check h3").all_inner_texts()]


def test_hr_builds_a_posting_from_the_sample_fixes_its_checks_publishes_it_and_downloads_its_pdf(
    page: Page, live_server: LiveServer, artifacts: Path, screenshot: Screenshot
) -> None:
    sign_in(page, live_server, DEMO_EMAILS["hr"])
    page.goto(live_server.at("/hiring/"))
    page.get_by_label("Start from").select_option(value="sample")
    page.get_by_role("button", name="Start a draft").click()
    expect(page.get_by_text("Your draft is ready")).to_be_visible()
    flagged = checks_shown(page)
    assert "The blank [Program/Team] is not filled in" in flagged
    assert "No pay range yet" in flagged
    assert "No team chosen yet" in flagged

    page.get_by_role("link", name="Edit words and details").click()
    page.get_by_label("Job title").fill("Peer Specialist, Day Program")
    blanks = {
        "[Program/Team]": "day program team",
        "[Service Line]": "Mental Health Service Line",
        "[supervisor's title]": "peer support supervisor",
        "[Program]": "Community Reintegration Program",
        "[Department or Service Line]": "Mental Health Service Line",
        "[Service Line name]": "Mental Health",
    }
    for label, words in blanks.items():
        page.get_by_label(label).fill(words)
    page.get_by_label("Program (optional)", exact=True).select_option(label="Community Reintegration Program (CRP)")
    page.get_by_label("Team (optional)", exact=True).select_option(label="Day program")
    choose(page, "Community")
    page.get_by_label("Pay from (dollars)").fill("18.00")  # under the living wage: flagged, then fixed
    page.get_by_label("Pay up to (dollars)").fill("22.00")
    page.get_by_label("Last day to apply").fill((timeutil.today() + timedelta(days=30)).isoformat())
    page.get_by_role("button", name="Save as a new version").click()
    expect(page.get_by_text("Saved as version 2.")).to_be_visible()
    flagged = checks_shown(page)
    assert "The pay starts under the living wage" in flagged
    assert not [title for title in flagged if title.startswith("The blank")]
    assert "No team chosen yet" not in flagged

    page.get_by_role("link", name=re.compile("^Fix it.*The pay starts under the living wage")).click()
    page.get_by_label("Pay from (dollars)").fill("25.50")
    page.get_by_label("Pay up to (dollars)").fill("29.00")
    page.get_by_role("button", name="Save as a new version").click()
    expect(page.get_by_text("Saved as version 3.")).to_be_visible()
    assert "The pay starts under the living wage" not in checks_shown(page)

    for button, said in (
        ("Send for review", "Sent for review."),
        ("Approve this version", "Approved."),
        ("Publish on the careers page", "Published: it is on the careers page now."),
    ):
        page.get_by_role("button", name=button).click()
        expect(page.get_by_text(said)).to_be_visible()
    screenshot(page, "hr-journey-published")

    pdf_link = page.get_by_role("link", name="Published PDF")
    response = page.request.get(live_server.at(pdf_link.get_attribute("href") or ""))
    assert response.ok
    assert response.headers["content-type"] == "application/pdf"
    pdf = artifacts / "hr-journey-posting.pdf"
    pdf.write_bytes(response.body())
    assert pdf.read_bytes().startswith(b"%PDF")
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf),
            str(artifacts / "hr-journey-posting-page-1"),
        ],
        check=True,
        timeout=60,
    )
    png = artifacts / "hr-journey-posting-page-1.png"
    assert png.read_bytes().startswith(b"\x89PNG")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True, timeout=60).stdout.decode()
    assert "Peer Specialist, Day Program" in text

    page.goto(live_server.at("/careers/"))
    expect(page.get_by_role("link", name="Peer Specialist, Day Program")).to_be_visible()


def test_a_person_applies_with_a_resume_and_two_interviewers_score_them_blind(
    browser: Browser, live_server: LiveServer, tmp_path: Path, screenshot: Screenshot
) -> None:
    applicant = browser.new_page()
    applicant.goto(live_server.at("/careers/"))
    applicant.get_by_role("link", name="Peer Specialist, Supported Employment").click()
    applicant.get_by_role("link", name="Apply for this job").click()
    applicant.get_by_label("Your name").fill("Quinn Rivera")
    applicant.get_by_label("Email address").fill("quinn.rivera@example.net")
    for question in applicant.locator("textarea[name^='answer_']").all():
        question.fill("Recovery means I choose my own life, one day at a time.")
    resume = tmp_path / "quinn-rivera.pdf"
    resume.write_bytes(resume_pdf("Quinn Rivera"))
    applicant.locator("input[type=file][name=resume]").set_input_files(str(resume))
    applicant.get_by_role("button", name="Send my application").click()
    expect(applicant.get_by_text("your application is sent")).to_be_visible()
    applicant.close()

    hr = browser.new_page()
    sign_in(hr, live_server, DEMO_EMAILS["hr"])
    hr.goto(live_server.at("/hiring/"))
    hr.get_by_role("link", name="Peer Specialist, Supported Employment", exact=True).first.click()
    hr.get_by_role("link", name="Candidates", exact=True).click()
    for stage in ("Screened", "Interview"):
        hr.get_by_label("Move Quinn Rivera to").select_option(label=stage)
        hr.get_by_role("button", name="Move Quinn Rivera").click()
        expect(hr.get_by_text(f"Moved to “{stage}”.")).to_be_visible()
    expect(hr.locator("#stage-interview").get_by_role("link", name="Quinn Rivera")).to_be_visible()
    hr.close()

    evidence = {"terry": "Terry saw a calm, clear answer about boundaries.", "peer": "Pat heard real lived experience."}
    for who, email, scores in (
        ("terry", "terry@example.org", ("4, clearly", "3, some")),
        ("peer", DEMO_EMAILS["peer"], ("5, strongly", "4, clearly")),
    ):
        interviewer = browser.new_page()
        sign_in(interviewer, live_server, email)
        interviewer.get_by_role("navigation", name="Main menu").get_by_role("link", name="Interviews").click()
        interviewer.get_by_role("link", name="Quinn Rivera").click()
        interviewer.get_by_role("link", name="Read the application").click()
        expect(interviewer.get_by_text("once you submit your own")).to_be_visible()
        for other in evidence.values():
            expect(interviewer.get_by_text(other)).to_have_count(0)  # blind: nobody's scores before their own
        interviewer.go_back()
        for n, fieldset in enumerate(interviewer.locator("fieldset").all()):
            choose(fieldset, scores[n % 2])
        for box in interviewer.locator("textarea").all():
            box.fill(evidence[who])
        interviewer.get_by_role("button", name="Submit my scores").click()
        expect(interviewer.get_by_text("Your scores are submitted.")).to_be_visible()
        expect(interviewer.get_by_text(evidence[who]).first).to_be_visible()
        if who == "peer":  # the second to submit now sees both, with the mean and the spread
            expect(interviewer.get_by_text(evidence["terry"]).first).to_be_visible()
            expect(interviewer.get_by_text("2 of 2 interviewers have submitted their scores.")).to_be_visible()
            screenshot(interviewer, "peer-journey-scores")
        else:
            expect(interviewer.get_by_text(evidence["peer"])).to_have_count(0)
        interviewer.close()
